//! library and provisioning: the template catalog, and stacks made from it.

use crate::ctx::Ctx;
use crate::output::{Output, Row, age, opt, print_list};
use crate::{ListArgs, PageArgs, WaitArg, spelled};
use clap::Subcommand;
use gureum_api_types::*;
use std::collections::HashMap;
use std::time::Duration;

#[derive(Subcommand, Debug)]
pub enum LibraryCmd {
    /// The templates of the library
    List,
    /// A template: overview, features, prerequisites, resources, licences, parameters
    Show { template: String },
    /// Add a template from a YAML or JSON file (system administrators)
    Add { file: std::path::PathBuf },
    /// Remove an added template (system administrators)
    Remove { template: String },
}

/// What execute and plan take.
#[derive(clap::Args, Debug, Clone)]
pub struct StackArgs {
    /// The provisioning's name
    name: String,
    /// The library template
    #[arg(long)]
    template: String,
    /// A parameter, `key=value` (a number or true/false is sent as such); repeatable
    #[arg(long = "param", value_name = "KEY=VALUE")]
    params: Vec<String>,
    /// What a failure does with what was made: rollback (default) or keep
    #[arg(long, value_parser = spelled::<OnFailure>)]
    on_failure: Option<OnFailure>,
}

impl StackArgs {
    fn request(self) -> anyhow::Result<ProvisioningCreate> {
        let mut parameters = serde_json::Map::new();
        for p in &self.params {
            let (k, v) = p.split_once('=').ok_or_else(|| anyhow::anyhow!("--param {p}: write it as key=value"))?;
            let value = serde_json::from_str::<serde_json::Value>(v)
                .ok()
                .filter(|v| v.is_number() || v.is_boolean())
                .unwrap_or_else(|| serde_json::Value::from(v));
            parameters.insert(k.to_string(), value);
        }
        Ok(ProvisioningCreate {
            name: self.name,
            template: self.template,
            parameters: parameters.into(),
            on_failure: self.on_failure,
        })
    }
}

#[derive(Subcommand, Debug)]
pub enum ProvisioningCmd {
    /// What an execute would make, its checks and predicted duration (no provider call)
    Plan(StackArgs),
    /// Execute a template: make the whole stack
    Create {
        #[command(flatten)]
        stack: StackArgs,
        #[command(flatten)]
        wait: WaitArg,
    },
    /// The project's provisionings
    List {
        #[command(flatten)]
        list: ListArgs,
    },
    /// A provisioning with each resource, its state and progress
    Show { provisioning: String },
    /// Installation info: access URLs, ports, initial credentials, resources
    Info { provisioning: String },
    /// Return (delete) every resource of the stack; --confirm is its name
    Return {
        provisioning: String,
        #[arg(long)]
        confirm: String,
        #[command(flatten)]
        wait: WaitArg,
    },
    /// Delete a returned provisioning's status; --confirm is its name
    Delete {
        provisioning: String,
        #[arg(long)]
        confirm: String,
    },
    /// The project's provisioning history
    History {
        /// Only this provisioning's events
        #[arg(long)]
        provisioning: Option<String>,
        /// Only events of this type (e.g. provisioning_failed)
        #[arg(long = "type", value_parser = spelled::<HistoryType>)]
        event_type: Option<HistoryType>,
        #[command(flatten)]
        page: PageArgs,
    },
    /// An event's log (as text)
    Log { event: String },
}

impl Row for TemplateSummary {
    const HEADERS: &'static [&'static str] = &["NAME", "TITLE", "VERSION", "SOURCE"];
    fn row(&self) -> Vec<String> {
        vec![self.name.clone(), self.title.clone(), self.version.clone(), self.source.clone()]
    }
}

impl Row for Provisioning {
    const HEADERS: &'static [&'static str] = &["NAME", "TEMPLATE", "STATE", "READY", "USER", "EXECUTED"];
    fn row(&self) -> Vec<String> {
        vec![
            self.name.clone(),
            self.template.clone(),
            self.state.to_string(),
            format!("{}/{}", self.progress.ready, self.progress.total),
            opt(&self.user),
            age(&self.executed_at),
        ]
    }
}

impl Row for HistoryEvent {
    const HEADERS: &'static [&'static str] = &["ID", "TIME", "TYPE", "PROVISIONING", "TEMPLATE", "USER", "LOG"];
    fn row(&self) -> Vec<String> {
        let log = if self.log_available { "yes".into() } else { "expired".into() };
        vec![
            self.id.to_string(),
            self.at.clone(),
            self.event_type.to_string(),
            self.provisioning.clone(),
            self.template.clone(),
            self.user.clone(),
            log,
        ]
    }
}

pub async fn library(ctx: &Ctx, cmd: LibraryCmd) -> anyhow::Result<()> {
    let c = &ctx.client;
    match cmd {
        LibraryCmd::List => print_list(ctx.output, &c.template_list().await?.items),
        LibraryCmd::Show { template } => ctx.print(&c.template_get(&template).await?),
        LibraryCmd::Add { file } => {
            let document = std::fs::read_to_string(&file).map_err(|e| anyhow::anyhow!("{}: {e}", file.display()))?;
            ctx.print(&c.template_create(&TemplateCreate { document }).await?);
        }
        LibraryCmd::Remove { template } => c.template_delete(&template).await?,
    }
    Ok(())
}

pub async fn provisioning(ctx: &Ctx, cmd: ProvisioningCmd) -> anyhow::Result<()> {
    let c = &ctx.client;
    let p = ctx.project()?;
    match cmd {
        ProvisioningCmd::Plan(stack) => ctx.print(&c.provisioning_plan(p, &stack.request()?).await?),
        ProvisioningCmd::Create { stack, wait } => {
            let v = c.provisioning_create(p, &stack.request()?).await?;
            follow(ctx, wait.wait, v).await?;
        }
        ProvisioningCmd::List { list } => {
            ctx.print_list(&list.page, list.query(), async |q| c.provisioning_list(p, &q).await).await?;
        }
        ProvisioningCmd::Show { provisioning } => ctx.print(&c.provisioning_get(p, &provisioning).await?),
        ProvisioningCmd::Info { provisioning } => ctx.print(&c.provisioning_info(p, &provisioning).await?),
        ProvisioningCmd::Return { provisioning, confirm, wait } => {
            let v = c.provisioning_return(p, &provisioning, &confirm).await?;
            follow(ctx, wait.wait, v).await?;
        }
        ProvisioningCmd::Delete { provisioning, confirm } => {
            c.provisioning_delete(p, &provisioning, &confirm).await?;
            if ctx.output == Output::Table {
                println!("provisioning {provisioning} deleted (its history stays)");
            }
        }
        ProvisioningCmd::History { provisioning, event_type, page } => {
            let q = HistoryQuery { provisioning, event_type, limit: page.limit, cursor: page.cursor.clone() };
            let page = c.provisioning_history(p, &q).await?;
            print_list(ctx.output, &page.items);
        }
        ProvisioningCmd::Log { event } => print!("{}", c.provisioning_log(p, &event).await?),
    }
    Ok(())
}

/// With `--wait`, follows the stack until it settles, a line on stderr per resource that
/// changes state; then shows the provisioning.
async fn follow(ctx: &Ctx, wait: bool, v: Provisioning) -> anyhow::Result<()> {
    if !wait {
        ctx.print(&v);
        return Ok(());
    }
    let p = ctx.project()?;
    let mut seen: HashMap<String, StackResourceState> = HashMap::new();
    loop {
        let now = ctx.client.provisioning_get(p, &v.id.to_string()).await?;
        for r in &now.resources {
            if seen.insert(r.key.clone(), r.state) != Some(r.state) {
                let why = r.state_reason.as_deref().map(|m| format!(": {m}")).unwrap_or_default();
                eprintln!("{} {} ({}) {}{why}", now.name, r.key, r.kind, r.state);
            }
        }
        if !now.state.is_transitional() {
            ctx.print(&now);
            return match now.state {
                ProvisioningState::ProvisioningFailed | ProvisioningState::ReturnFailed => {
                    Err(anyhow::anyhow!("{} is {}: {}", now.name, now.state, opt(&now.state_reason)))
                }
                _ => Ok(()),
            };
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
}
