//! volume (and its snapshots).

use crate::ctx::Ctx;
use crate::{ListArgs, WaitArg};
use clap::Subcommand;
use gureum_api_types::*;

#[derive(Subcommand, Debug)]
pub enum VolumeCmd {
    /// Volumes of the project
    List {
        #[command(flatten)]
        list: ListArgs,
    },
    /// Create a data volume: empty, or from an image or a snapshot
    Create {
        name: String,
        /// 1–5,120 GB
        #[arg(long)]
        size_gb: i64,
        /// Make it from this image
        #[arg(long, conflicts_with = "snapshot")]
        image: Option<String>,
        /// Make it from this snapshot
        #[arg(long)]
        snapshot: Option<String>,
        /// [default: the connection's zone]
        #[arg(long)]
        zone: Option<String>,
        /// Connection (provider) to create it on [default: sim]
        #[arg(long)]
        connection: Option<String>,
        /// A disk type the provider sells [default: its first]
        #[arg(long)]
        volume_type: Option<String>,
        #[command(flatten)]
        wait: WaitArg,
    },
    /// Show a volume
    Show { volume: String },
    /// Delete a volume
    Delete {
        volume: String,
        #[command(flatten)]
        wait: WaitArg,
    },
    /// Attach a volume to an instance
    Attach {
        volume: String,
        instance: String,
        #[command(flatten)]
        wait: WaitArg,
    },
    /// Detach a volume from its instance
    Detach {
        volume: String,
        #[command(flatten)]
        wait: WaitArg,
    },
    /// Grow a volume
    Extend {
        volume: String,
        /// The new, larger size
        #[arg(long)]
        size_gb: i64,
        #[command(flatten)]
        wait: WaitArg,
    },
    /// Make an image of the project from a volume
    Upload {
        volume: String,
        #[arg(long)]
        image_name: String,
        #[command(flatten)]
        wait: WaitArg,
    },
    /// Take a snapshot of a volume
    SnapshotCreate {
        volume: String,
        name: String,
        #[command(flatten)]
        wait: WaitArg,
    },
    /// Snapshots of a volume
    SnapshotList {
        volume: String,
        #[command(flatten)]
        list: ListArgs,
    },
    /// Show a snapshot
    SnapshotShow { volume: String, snapshot: String },
    /// Delete a snapshot
    SnapshotDelete {
        volume: String,
        snapshot: String,
        #[command(flatten)]
        wait: WaitArg,
    },
}

pub async fn volume(ctx: &Ctx, cmd: VolumeCmd) -> anyhow::Result<()> {
    let c = &ctx.client;
    let p = ctx.project()?;
    match cmd {
        VolumeCmd::List { list } => {
            ctx.print_list(&list.page, list.query(), async |q| c.volume_list(p, &q).await).await?;
        }
        VolumeCmd::Create { name, size_gb, image, snapshot, zone, connection, volume_type, wait } => {
            let req = VolumeCreate { name, size_gb, image, snapshot, connection, zone, volume_type };
            let v = c.volume_create(p, &req).await?;
            let id = v.id.to_string();
            ctx.accepted(wait.wait, v, async || c.volume_get(p, &id).await).await?;
        }
        VolumeCmd::Show { volume } => ctx.print(&c.volume_get(p, &volume).await?),
        VolumeCmd::Delete { volume, wait } => {
            let v = c.volume_delete(p, &volume).await?;
            ctx.deleted(wait.wait, v, "volume", &volume).await?;
        }
        VolumeCmd::Attach { volume, instance, wait } => {
            let v = c.volume_attach(p, &volume, &VolumeAttach { instance }).await?;
            let id = v.id.to_string();
            ctx.accepted(wait.wait, v, async || c.volume_get(p, &id).await).await?;
        }
        VolumeCmd::Detach { volume, wait } => {
            let v = c.volume_detach(p, &volume).await?;
            let id = v.id.to_string();
            ctx.accepted(wait.wait, v, async || c.volume_get(p, &id).await).await?;
        }
        VolumeCmd::Extend { volume, size_gb, wait } => {
            let v = c.volume_extend(p, &volume, &VolumeExtend { size_gb }).await?;
            let id = v.id.to_string();
            ctx.accepted(wait.wait, v, async || c.volume_get(p, &id).await).await?;
        }
        VolumeCmd::Upload { volume, image_name, wait } => {
            let v = c.volume_upload(p, &volume, &VolumeUpload { image_name: image_name.clone() }).await?;
            match v.operation_id.filter(|_| wait.wait) {
                // With --wait, the result worth showing is the new image.
                Some(op) => {
                    ctx.wait(p, &op.to_string()).await?;
                    ctx.print(&c.project_image_get(p, &image_name).await?);
                }
                None => ctx.started(&v),
            }
        }
        VolumeCmd::SnapshotCreate { volume, name, wait } => {
            let s = c.snapshot_create(p, &volume, &SnapshotCreate { name }).await?;
            let id = s.id.to_string();
            ctx.accepted(wait.wait, s, async || c.snapshot_get(p, &volume, &id).await).await?;
        }
        VolumeCmd::SnapshotList { volume, list } => {
            ctx.print_list(&list.page, list.query(), async |q| c.snapshot_list(p, &volume, &q).await).await?;
        }
        VolumeCmd::SnapshotShow { volume, snapshot } => ctx.print(&c.snapshot_get(p, &volume, &snapshot).await?),
        VolumeCmd::SnapshotDelete { volume, snapshot, wait } => {
            let s = c.snapshot_delete(p, &volume, &snapshot).await?;
            ctx.deleted(wait.wait, s, "snapshot", &snapshot).await?;
        }
    }
    Ok(())
}
