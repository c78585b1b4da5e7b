//! me, project, member, user, token.

use crate::cmd_tenancy::{QuotaArgs, print_quota};
use crate::ctx::Ctx;
use crate::output::{Output, print_list};
use crate::{PageArgs, read_secret, spelled};
use clap::Subcommand;
use gureum_api_types::*;

#[derive(Subcommand, Debug)]
pub enum ProjectCmd {
    /// Projects you are a member of or administer (all, for a system administrator)
    List {
        #[command(flatten)]
        page: PageArgs,
    },
    /// Create a project (system administrators, reseller and customer admins); you
    /// become its admin
    Create {
        name: String,
        #[arg(long)]
        description: Option<String>,
        /// Reseller (default: yours)
        #[arg(long)]
        reseller: Option<String>,
        /// Customer of that reseller (default: yours)
        #[arg(long)]
        customer: Option<String>,
    },
    /// Show a project
    Show { project: String },
    /// Delete an empty project (its customer's admins)
    Delete { project: String },
    /// Show the project's quota, or set it with limits (the others become unlimited)
    Quota {
        project: String,
        #[command(flatten)]
        limits: QuotaArgs,
    },
}

#[derive(Subcommand, Debug)]
pub enum MemberCmd {
    /// Members of the project
    List,
    /// Add a user to the project, or change their role (admin, member, reader)
    Set {
        user: String,
        #[arg(value_parser = spelled::<Role>)]
        role: Role,
    },
    /// Remove a user from the project
    Remove { user: String },
}

#[derive(Subcommand, Debug)]
pub enum UserCmd {
    /// Users of the customers you administer (all, for a system administrator)
    List {
        #[command(flatten)]
        page: PageArgs,
    },
    /// Create a user; without --password-stdin it can only use API tokens
    Create {
        name: String,
        /// Read the console password (at least 12 characters) from standard input
        #[arg(long)]
        password_stdin: bool,
        /// Make the user a system administrator
        #[arg(long)]
        admin: bool,
        /// Home reseller (default: yours)
        #[arg(long)]
        reseller: Option<String>,
        /// Home customer of that reseller (default: yours)
        #[arg(long)]
        customer: Option<String>,
        /// none, customer_admin or reseller_admin (at most yours)
        #[arg(long, value_parser = spelled::<TenancyRole>)]
        tenancy_role: Option<TenancyRole>,
    },
    /// Show a user
    Show { user: String },
    /// Delete a user
    Delete { user: String },
    /// Set a user's console password (read from standard input, or prompted without echo)
    SetPassword { user: String },
}

#[derive(Subcommand, Debug)]
pub enum TokenCmd {
    /// A user's API tokens (default: yours)
    List {
        #[arg(long)]
        user: Option<String>,
    },
    /// Create an API token; its secret is shown this once
    Create {
        name: String,
        /// Owner of the token (default: you)
        #[arg(long)]
        user: Option<String>,
        /// Days until it expires (default: never)
        #[arg(long)]
        expires_in_days: Option<i64>,
    },
    /// Delete (revoke) an API token
    Delete {
        /// Token id
        token: String,
        #[arg(long)]
        user: Option<String>,
    },
}

pub async fn me(ctx: &Ctx) -> anyhow::Result<()> {
    let me = ctx.client.me().await?;
    match ctx.output {
        Output::Json => crate::output::print_json(&me),
        Output::Table => {
            let admin = if me.user.is_admin { " (system administrator)" } else { "" };
            println!("User: {}{admin}", me.user.name);
            println!("Server: {}", ctx.client.base());
            if let Some(p) = &ctx.project {
                println!("Current project: {p}");
            }
            println!();
            print_list(Output::Table, &me.projects);
        }
    }
    Ok(())
}

pub async fn project(ctx: &Ctx, cmd: ProjectCmd) -> anyhow::Result<()> {
    let c = &ctx.client;
    match cmd {
        ProjectCmd::List { page } => {
            ctx.print_list(&page, page.query(), async |q| c.project_list(&q.into()).await).await?;
        }
        ProjectCmd::Create { name, description, reseller, customer } => {
            ctx.print(&c.project_create(&ProjectCreate { name, description, reseller, customer }).await?)
        }
        ProjectCmd::Show { project } => ctx.print(&c.project_get(&project).await?),
        ProjectCmd::Delete { project } => {
            c.project_delete(&project).await?;
            if ctx.output == Output::Table {
                println!("Deleted project {project}.");
            }
        }
        ProjectCmd::Quota { project, limits } => {
            let q = match limits.to_set() {
                Some(set) => c.project_quota_set(&project, &set).await?,
                None => c.project_quota_get(&project).await?,
            };
            print_quota(ctx, &q);
        }
    }
    Ok(())
}

pub async fn member(ctx: &Ctx, cmd: MemberCmd) -> anyhow::Result<()> {
    let c = &ctx.client;
    let p = ctx.project()?;
    match cmd {
        MemberCmd::List => print_list(ctx.output, &c.member_list(p).await?),
        MemberCmd::Set { user, role } => ctx.print(&c.member_set(p, &user, &MemberSet { role }).await?),
        MemberCmd::Remove { user } => {
            c.member_delete(p, &user).await?;
            if ctx.output == Output::Table {
                println!("Removed {user} from project {p}.");
            }
        }
    }
    Ok(())
}

pub async fn user(ctx: &Ctx, cmd: UserCmd) -> anyhow::Result<()> {
    let c = &ctx.client;
    match cmd {
        UserCmd::List { page } => {
            ctx.print_list(&page, page.query(), async |q| c.user_list(&q.into()).await).await?;
        }
        UserCmd::Create { name, password_stdin, admin, reseller, customer, tenancy_role } => {
            let password = if password_stdin { Some(read_secret("Password", true)?) } else { None };
            let req = UserCreate { name, password, is_admin: admin, reseller, customer, tenancy_role };
            ctx.print(&c.user_create(&req).await?);
        }
        UserCmd::Show { user } => ctx.print(&c.user_get(&user).await?),
        UserCmd::Delete { user } => {
            c.user_delete(&user).await?;
            if ctx.output == Output::Table {
                println!("Deleted user {user}.");
            }
        }
        UserCmd::SetPassword { user } => {
            let password = read_secret(&format!("New password for {user}"), true)?;
            ctx.print(&c.user_set_password(&user, &PasswordSet { password }).await?);
        }
    }
    Ok(())
}

/// The user a token command is about: the one named, else the caller.
async fn token_user(ctx: &Ctx, user: Option<String>) -> anyhow::Result<String> {
    match user {
        Some(u) => Ok(u),
        None => Ok(ctx.client.me().await?.user.name),
    }
}

pub async fn token(ctx: &Ctx, cmd: TokenCmd) -> anyhow::Result<()> {
    let c = &ctx.client;
    match cmd {
        TokenCmd::List { user } => {
            let user = token_user(ctx, user).await?;
            print_list(ctx.output, &c.token_list(&user).await?);
        }
        TokenCmd::Create { name, user, expires_in_days } => {
            let user = token_user(ctx, user).await?;
            let created = c.token_create(&user, &TokenCreate { name, expires_in_days }).await?;
            match ctx.output {
                Output::Json => crate::output::print_json(&created),
                Output::Table => {
                    ctx.print(&created.token);
                    eprintln!("The token's secret follows; it is shown only this once.");
                    println!("{}", created.secret);
                }
            }
        }
        TokenCmd::Delete { token, user } => {
            let user = token_user(ctx, user).await?;
            c.token_delete(&user, &token).await?;
            if ctx.output == Output::Table {
                println!("Deleted token {token} of {user}.");
            }
        }
    }
    Ok(())
}
