//! `gureum <resource> <verb>`: the command line of gureum's API.
//!
//! The binary flattens [`Command`] into its own subcommands and [`GlobalArgs`] into its
//! top-level options, then calls [`run`] (or [`run_blocking`]).

mod cmd_catalog;
mod cmd_compute;
mod cmd_iam;
mod cmd_lean;
mod cmd_lean_vms;
mod cmd_maintenance;
mod cmd_network;
mod cmd_ops;
mod cmd_pools;
mod cmd_provisioning;
mod cmd_storage;
mod cmd_tenancy;
pub mod config;
mod ctx;
pub mod output;
mod rows;

use anyhow::Context;
use clap::{Args, Subcommand};
use gureum_api_types::ListQuery;
use gureum_client::{Client, ClientError};
use gureum_model::state::Spelled;
use std::io::{BufRead, IsTerminal};

pub use cmd_catalog::{ImageCmd, InstanceTypeCmd};
pub use cmd_compute::{InstanceCmd, KeyPairCmd};
pub use cmd_iam::{MemberCmd, ProjectCmd, TokenCmd, UserCmd};
pub use cmd_lean::{SoftwareStackCmd, VmProfileCmd};
pub use cmd_lean_vms::{PersistentVmCmd, VmTemplateCmd};
pub use cmd_maintenance::MaintenanceCmd;
pub use cmd_network::{PublicIpCmd, SecurityGroupCmd, SubnetCmd, VpcCmd};
pub use cmd_ops::{ConnectionCmd, OperationCmd, ServerCmd, UsageArgs};
pub use cmd_pools::{NodeCmd, PoolCmd};
pub use cmd_provisioning::{LibraryCmd, ProvisioningCmd};
pub use cmd_storage::VolumeCmd;
pub use cmd_tenancy::{CustomerCmd, ResellerCmd};
pub use output::Output;

/// The server used when neither `--server`, `GUREUM_SERVER` nor the config file name one.
pub const DEFAULT_SERVER: &str = "http://127.0.0.1:7480";

/// Options of every client command; `global`, so they go before or after the subcommand.
#[derive(Args, Debug, Clone, Default)]
#[command(next_help_heading = "Global options")]
pub struct GlobalArgs {
    /// gureum server address [default: the config file's, else http://127.0.0.1:7480]
    #[arg(long, env = "GUREUM_SERVER", global = true, value_name = "URL")]
    pub server: Option<String>,
    /// API token [default: the config file's]
    #[arg(long, env = "GUREUM_TOKEN", global = true, hide_env_values = true, value_name = "TOKEN")]
    pub token: Option<String>,
    /// Output format: human tables or the API's JSON views
    #[arg(short = 'o', long, value_enum, global = true, default_value_t = Output::Table)]
    pub output: Output,
    /// Project of project-scoped commands (name or id) [default: the config file's]
    #[arg(short = 'p', long, env = "GUREUM_PROJECT", global = true, value_name = "PROJECT")]
    pub project: Option<String>,
    /// Send this Idempotency-Key with the POST of a create or action, so that running the
    /// same command again returns the first result instead of doing it twice
    #[arg(long, global = true, value_name = "KEY")]
    pub idempotency_key: Option<String>,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Check a server address and API token and save them (and a default --project) in
    /// the config file
    Login,
    /// Who you are, and your projects
    Me,
    /// Projects
    #[command(subcommand)]
    Project(ProjectCmd),
    /// Members of the project and their roles
    #[command(subcommand)]
    Member(MemberCmd),
    /// Users (system administrators, reseller and customer admins)
    #[command(subcommand)]
    User(UserCmd),
    /// Resellers: the top of the tenancy, with their quotas and usage
    #[command(subcommand)]
    Reseller(ResellerCmd),
    /// Customers of a reseller, with their quotas and usage
    #[command(subcommand)]
    Customer(CustomerCmd),
    /// API tokens
    #[command(subcommand)]
    Token(TokenCmd),
    /// Instance types (flavors)
    #[command(subcommand)]
    InstanceType(InstanceTypeCmd),
    /// Images: public ones, and the project's own (--mine)
    #[command(subcommand)]
    Image(ImageCmd),
    /// SSH key pairs
    #[command(subcommand)]
    KeyPair(KeyPairCmd),
    /// Virtual private clouds
    #[command(subcommand)]
    Vpc(VpcCmd),
    /// Subnets of VPCs
    #[command(subcommand)]
    Subnet(SubnetCmd),
    /// Security groups and their rules
    #[command(subcommand)]
    SecurityGroup(SecurityGroupCmd),
    /// Public IP addresses
    #[command(subcommand)]
    PublicIp(PublicIpCmd),
    /// Volumes and their snapshots
    #[command(subcommand)]
    Volume(VolumeCmd),
    /// Virtual machine instances
    #[command(subcommand)]
    Instance(InstanceCmd),
    /// Operations: the progress and result of long actions
    #[command(subcommand)]
    Operation(OperationCmd),
    /// Billed time and cost of the project's instances
    Usage(UsageArgs),
    /// Provider connections (system administrators)
    #[command(subcommand)]
    Connection(ConnectionCmd),
    /// gureum servers sharing the database (system administrators)
    #[command(subcommand)]
    Server(ServerCmd),
    /// Pools of hosts instances are placed on (writes: system administrators)
    #[command(subcommand)]
    Pool(PoolCmd),
    /// Nodes (hosts) of the pools, with capacity and what is allocated
    #[command(subcommand)]
    Node(NodeCmd),
    /// The template library: whole application stacks to provision
    #[command(subcommand)]
    Library(LibraryCmd),
    /// Stacks provisioned from library templates, and their history
    #[command(subcommand)]
    Provisioning(ProvisioningCmd),
    /// VM profiles: machines described once (lean provisioning; system administrators write)
    #[command(subcommand)]
    VmProfile(VmProfileCmd),
    /// Software stacks persistent VMs may be given (system administrators write)
    #[command(subcommand)]
    SoftwareStack(SoftwareStackCmd),
    /// VM templates: machines installed once, released as versions (system administrators)
    #[command(subcommand)]
    VmTemplate(VmTemplateCmd),
    /// Persistent VMs cloned from released templates
    #[command(subcommand)]
    PersistentVm(PersistentVmCmd),
    /// Maintenance: tasks over the project's instances, their schedules, notifications
    /// and webhooks
    #[command(subcommand)]
    Maintenance(MaintenanceCmd),
}

/// `--wait`, on every long action.
#[derive(Args, Debug, Clone, Copy, Default)]
pub struct WaitArg {
    /// Wait until the operation finishes, showing its progress, then show the result
    #[arg(long)]
    pub wait: bool,
}

/// Paging and filters of project-scoped lists.
#[derive(Args, Debug, Clone, Default)]
pub struct ListArgs {
    /// Only resources in this state (spelled as shown, e.g. Active)
    #[arg(long)]
    pub state: Option<String>,
    /// Only resources whose name contains this text
    #[arg(long)]
    pub name: Option<String>,
    #[command(flatten)]
    pub page: PageArgs,
}

/// `--limit`/`--cursor`: one page; without them, every page.
#[derive(Args, Debug, Clone, Default)]
pub struct PageArgs {
    /// Show one page of at most this many (1–1000) instead of everything
    #[arg(long)]
    pub limit: Option<u32>,
    /// Continue after a page (the cursor it printed)
    #[arg(long)]
    pub cursor: Option<String>,
}

impl ListArgs {
    fn query(&self) -> ListQuery {
        ListQuery {
            limit: self.page.limit,
            cursor: self.page.cursor.clone(),
            state: self.state.clone(),
            name: self.name.clone(),
        }
    }
}

impl PageArgs {
    fn query(&self) -> ListQuery {
        ListQuery { limit: self.limit, cursor: self.cursor.clone(), ..Default::default() }
    }

    fn one_page(&self) -> bool {
        self.limit.is_some() || self.cursor.is_some()
    }
}

/// Fetches a list: every page, or (with --limit/--cursor) one page, telling on stderr how
/// to get the next.
async fn fetch_list<T>(
    page: &PageArgs,
    q: ListQuery,
    mut fetch: impl AsyncFnMut(ListQuery) -> Result<gureum_api_types::Page<T>, ClientError>,
) -> anyhow::Result<Vec<T>> {
    if page.one_page() {
        let p = fetch(q).await?;
        if let Some(c) = &p.next_cursor {
            eprintln!("More: pass --cursor {c}");
        }
        return Ok(p.items);
    }
    Ok(gureum_client::list_all(&q, fetch).await?)
}

impl ctx::Ctx {
    /// Fetches a list as [`fetch_list`] does and prints it.
    pub(crate) async fn print_list<T: output::Row>(
        &self,
        page: &PageArgs,
        q: ListQuery,
        fetch: impl AsyncFnMut(ListQuery) -> Result<gureum_api_types::Page<T>, ClientError>,
    ) -> anyhow::Result<()> {
        let items = fetch_list(page, q, fetch).await?;
        output::print_list(self.output, &items);
        Ok(())
    }
}

/// A clap value parser for the API's spelled enums (roles, directions, protocols…).
pub(crate) fn spelled<T: Spelled>(s: &str) -> Result<T, String> {
    T::parse_spelling(s).ok_or_else(|| format!("must be one of: {}", T::all_spellings()))
}

/// A secret from stdin: the first line when stdin is not a terminal; otherwise prompted
/// without echo (twice when `confirm`).
pub(crate) fn read_secret(prompt: &str, confirm: bool) -> anyhow::Result<String> {
    if !std::io::stdin().is_terminal() {
        let mut line = String::new();
        std::io::stdin().lock().read_line(&mut line).context("reading standard input")?;
        let s = line.trim_end_matches(['\r', '\n']).to_string();
        anyhow::ensure!(!s.is_empty(), "nothing on standard input");
        return Ok(s);
    }
    let s = rpassword::prompt_password(format!("{prompt}: ")).context("reading from the terminal")?;
    if confirm {
        let again = rpassword::prompt_password(format!("{prompt} (again): ")).context("reading from the terminal")?;
        anyhow::ensure!(s == again, "the two entries differ");
    }
    anyhow::ensure!(!s.is_empty(), "nothing entered");
    Ok(s)
}

/// Runs one client command. API errors come back as errors whose text is the server's
/// message, the field at fault and the request id.
pub async fn run(cmd: Command, global: GlobalArgs) -> anyhow::Result<()> {
    run_inner(cmd, global).await.map_err(|e| match e.downcast::<ClientError>() {
        Ok(ce) => anyhow::anyhow!(describe(&ce)),
        Err(e) => e,
    })
}

/// [`run`] on a runtime of its own, for a synchronous `main`.
pub fn run_blocking(cmd: Command, global: GlobalArgs) -> anyhow::Result<()> {
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().context("starting the runtime")?;
    rt.block_on(run(cmd, global))
}

/// `cidr: must be … (field cidr; invalid_request, request 01a2…)`
fn describe(e: &ClientError) -> String {
    let mut s = match &e.field {
        Some(f) if e.request_id.is_empty() => format!("{} (field {f}; {})", e.message, e.code),
        Some(f) => format!("{} (field {f}; {}, request {})", e.message, e.code, e.request_id),
        None => e.to_string(),
    };
    if e.status == 401 {
        s.push_str("\nhint: log in with `gureum login --server URL --token TOKEN`, or set GUREUM_TOKEN");
    }
    s
}

async fn run_inner(cmd: Command, mut global: GlobalArgs) -> anyhow::Result<()> {
    // An empty option or variable (`GUREUM_PROJECT=`) means "not given".
    for v in [&mut global.server, &mut global.token, &mut global.project, &mut global.idempotency_key] {
        if v.as_deref().is_some_and(|s| s.trim().is_empty()) {
            *v = None;
        }
    }
    let config_path = config::path()?;
    let cfg = config::Config::load(&config_path)?;
    if let Command::Login = cmd {
        return login(global, cfg, &config_path).await;
    }
    let server = global.server.clone().or(cfg.server).unwrap_or_else(|| DEFAULT_SERVER.to_string());
    let token = global.token.clone().or(cfg.token);
    let mut client = Client::new(&server, token.as_deref())?;
    if let Some(k) = &global.idempotency_key {
        client = client.with_idempotency_key(k.clone());
    }
    let ctx = ctx::Ctx { client, output: global.output, project: global.project.clone().or(cfg.project) };
    match cmd {
        Command::Login => unreachable!("handled above"),
        Command::Me => cmd_iam::me(&ctx).await,
        Command::Project(c) => cmd_iam::project(&ctx, c).await,
        Command::Member(c) => cmd_iam::member(&ctx, c).await,
        Command::User(c) => cmd_iam::user(&ctx, c).await,
        Command::Reseller(c) => cmd_tenancy::reseller(&ctx, c).await,
        Command::Customer(c) => cmd_tenancy::customer(&ctx, c).await,
        Command::Token(c) => cmd_iam::token(&ctx, c).await,
        Command::InstanceType(c) => cmd_catalog::instance_type(&ctx, c).await,
        Command::Image(c) => cmd_catalog::image(&ctx, c).await,
        Command::KeyPair(c) => cmd_compute::key_pair(&ctx, c).await,
        Command::Vpc(c) => cmd_network::vpc(&ctx, c).await,
        Command::Subnet(c) => cmd_network::subnet(&ctx, c).await,
        Command::SecurityGroup(c) => cmd_network::security_group(&ctx, c).await,
        Command::PublicIp(c) => cmd_network::public_ip(&ctx, c).await,
        Command::Volume(c) => cmd_storage::volume(&ctx, c).await,
        Command::Library(c) => cmd_provisioning::library(&ctx, c).await,
        Command::Provisioning(c) => cmd_provisioning::provisioning(&ctx, c).await,
        Command::VmProfile(c) => cmd_lean::vm_profile(&ctx, c).await,
        Command::SoftwareStack(c) => cmd_lean::software_stack(&ctx, c).await,
        Command::VmTemplate(c) => cmd_lean_vms::vm_template(&ctx, c).await,
        Command::PersistentVm(c) => cmd_lean_vms::persistent_vm(&ctx, c).await,
        Command::Maintenance(c) => cmd_maintenance::maintenance(&ctx, c).await,
        Command::Instance(c) => cmd_compute::instance(&ctx, c).await,
        Command::Operation(c) => cmd_ops::operation(&ctx, c).await,
        Command::Usage(a) => cmd_ops::usage(&ctx, a).await,
        Command::Connection(c) => cmd_ops::connection(&ctx, c).await,
        Command::Server(c) => cmd_ops::server(&ctx, c).await,
        Command::Pool(c) => cmd_pools::pool(&ctx, c).await,
        Command::Node(c) => cmd_pools::node(&ctx, c).await,
    }
}

/// `gureum login`: checks the address and token with `GET /v1/me` (and the project, if
/// one is given) and writes them to the config file.
async fn login(global: GlobalArgs, old: config::Config, path: &std::path::Path) -> anyhow::Result<()> {
    let server = global.server.clone().or(old.server.clone()).unwrap_or_else(|| DEFAULT_SERVER.to_string());
    let token = match &global.token {
        Some(t) => t.clone(),
        None => read_secret("API token", false)?,
    };
    let client = Client::new(&server, Some(&token))?;
    let me = client.me().await?;
    let project = match &global.project {
        Some(p) => Some(client.project_get(p).await?.name),
        // Keep the default project when logging in again to the same server.
        None if old.server.as_deref().map(|s| s.trim_end_matches('/')) == Some(client.base()) => old.project.clone(),
        None => None,
    };
    let cfg = config::Config { server: Some(client.base().to_string()), token: Some(token), project: project.clone() };
    cfg.save(path)?;
    match global.output {
        Output::Json => output::print_json(&me),
        Output::Table => {
            let p = project.map(|p| format!(", project {p}")).unwrap_or_default();
            println!("Logged in to {} as {}{p}.", client.base(), me.user.name);
        }
    }
    eprintln!("Saved to {} (mode 0600).", path.display());
    Ok(())
}
