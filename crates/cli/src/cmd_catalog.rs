//! instance-type, image.

use crate::ctx::Ctx;
use crate::output::print_list;
use crate::{ListArgs, WaitArg};
use clap::Subcommand;

#[derive(Subcommand, Debug)]
pub enum InstanceTypeCmd {
    /// Instance types with their size and price per hour
    List,
    /// Show an instance type
    Show { instance_type: String },
}

#[derive(Subcommand, Debug)]
pub enum ImageCmd {
    /// Public images, or with --mine the project's own
    List {
        /// The project's images (made from instances and volumes)
        #[arg(long)]
        mine: bool,
        #[command(flatten)]
        list: ListArgs,
    },
    /// Show an image: a public one, else one of the project's
    Show {
        image: String,
        /// Look only among the project's images
        #[arg(long)]
        mine: bool,
    },
    /// Delete one of the project's images
    Delete {
        image: String,
        #[command(flatten)]
        wait: WaitArg,
    },
}

pub async fn instance_type(ctx: &Ctx, cmd: InstanceTypeCmd) -> anyhow::Result<()> {
    match cmd {
        InstanceTypeCmd::List => print_list(ctx.output, &ctx.client.instance_type_list().await?),
        InstanceTypeCmd::Show { instance_type } => ctx.print(&ctx.client.instance_type_get(&instance_type).await?),
    }
    Ok(())
}

pub async fn image(ctx: &Ctx, cmd: ImageCmd) -> anyhow::Result<()> {
    let c = &ctx.client;
    match cmd {
        ImageCmd::List { mine: false, list } => {
            ctx.print_list(&list.page, list.query(), async |q| c.image_list(&q).await).await?;
        }
        ImageCmd::List { mine: true, list } => {
            let p = ctx.project()?;
            ctx.print_list(&list.page, list.query(), async |q| c.project_image_list(p, &q).await).await?;
        }
        ImageCmd::Show { image, mine: true } => ctx.print(&c.project_image_get(ctx.project()?, &image).await?),
        ImageCmd::Show { image, mine: false } => match c.image_get(&image).await {
            Ok(i) => ctx.print(&i),
            Err(e) if e.is_not_found() && ctx.project.is_some() => {
                ctx.print(&c.project_image_get(ctx.project()?, &image).await?)
            }
            Err(e) => return Err(e.into()),
        },
        ImageCmd::Delete { image, wait } => {
            let v = c.project_image_delete(ctx.project()?, &image).await?;
            ctx.deleted(wait.wait, v, "image", &image).await?;
        }
    }
    Ok(())
}
