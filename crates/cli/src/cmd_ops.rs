//! operation, usage, connection.

use crate::PageArgs;
use crate::ctx::Ctx;
use crate::output::{Output, print_json, print_list, render_table};
use crate::rows::DriftRow;
use anyhow::Context;
use clap::{Args, Subcommand};
use gureum_api_types::*;
use std::path::PathBuf;

#[derive(Subcommand, Debug)]
pub enum OperationCmd {
    /// Operations of the project, newest first
    List {
        #[command(flatten)]
        page: PageArgs,
    },
    /// Show an operation with its steps
    Show {
        /// Operation id
        operation: String,
        /// Wait until it finishes, showing its progress
        #[arg(long)]
        wait: bool,
    },
}

#[derive(Args, Debug)]
pub struct UsageArgs {
    /// Start of the range, RFC 3339 [default: 30 days before --to]
    #[arg(long)]
    pub from: Option<String>,
    /// End of the range, RFC 3339 [default: now]
    #[arg(long)]
    pub to: Option<String>,
    /// Print CSV (as the server exports it)
    #[arg(long)]
    pub csv: bool,
}

#[derive(Subcommand, Debug)]
pub enum ServerCmd {
    /// The servers sharing the database, alive or not, and the singleton workers each runs
    List,
}

#[derive(Subcommand, Debug)]
pub enum ConnectionCmd {
    /// Provider connections
    List,
    /// Register a connection (system administrators)
    Create {
        name: String,
        /// sim (or qemu where available)
        #[arg(long)]
        driver: String,
        #[arg(long)]
        region: Option<String>,
        #[arg(long)]
        zone: Option<String>,
        /// Driver settings as a JSON object, e.g. '{"latency_ms": 0}'
        #[arg(long, value_name = "JSON")]
        settings: Option<String>,
        /// JSON file with the provider credentials (stored encrypted, never shown)
        #[arg(long, value_name = "FILE")]
        credentials_file: Option<PathBuf>,
    },
    /// Show a connection
    Show { connection: String },
    /// Delete a connection (no resources may use it)
    Delete { connection: String },
    /// Compare the provider's real inventory with gureum's records
    Drift { connection: String },
    /// Replace a connection's settings and/or credentials
    Update {
        connection: String,
        /// Driver settings as a JSON object (replaces them whole)
        #[arg(long, value_name = "JSON")]
        settings: Option<String>,
        /// JSON file with new provider credentials
        #[arg(long, value_name = "FILE")]
        credentials_file: Option<PathBuf>,
    },
    /// Drivers and what each provider profile supports
    Drivers,
    /// What the connection's driver supports (native, emulated, unsupported), its limits
    Capabilities { connection: String },
    /// Check that the provider answers with the stored credentials
    Verify { connection: String },
    /// Register a resource found only at the provider under a gureum name
    Adopt {
        connection: String,
        /// vm, disk, vpc, subnet, security_group, key_pair or public_ip
        kind: String,
        provider_id: String,
        #[arg(long)]
        project: String,
        #[arg(long)]
        name: String,
        /// vm: the subnet to record it in
        #[arg(long)]
        subnet: Option<String>,
        /// subnet, security_group: the VPC to record it in
        #[arg(long)]
        vpc: Option<String>,
    },
    /// Delete a resource found only at the provider
    DeleteOrphan { connection: String, kind: String, provider_id: String },
    /// Forget a gureum record (by its provider kind) without touching the provider
    Unregister {
        connection: String,
        kind: String,
        name: String,
        #[arg(long)]
        project: String,
    },
}

fn json_arg(flag: &str, text: Option<String>) -> anyhow::Result<Option<serde_json::Value>> {
    text.map(|s| serde_json::from_str(&s).with_context(|| format!("{flag} is not valid JSON"))).transpose()
}

fn credentials_from(file: Option<&PathBuf>) -> anyhow::Result<Option<serde_json::Value>> {
    file.map(|f| {
        let text = std::fs::read_to_string(f).with_context(|| format!("reading {}", f.display()))?;
        serde_json::from_str(&text).with_context(|| format!("{} is not valid JSON", f.display()))
    })
    .transpose()
}

pub async fn operation(ctx: &Ctx, cmd: OperationCmd) -> anyhow::Result<()> {
    let c = &ctx.client;
    let p = ctx.project()?;
    match cmd {
        OperationCmd::List { page } => {
            ctx.print_list(&page, page.query(), async |q| c.operation_list(p, &q.into()).await).await?;
        }
        OperationCmd::Show { operation, wait } => {
            let op = if wait { ctx.follow(p, &operation).await? } else { c.operation_get(p, &operation, None).await? };
            show_operation(ctx, &op);
            // Waiting for an operation that then failed is a failure of the command.
            if wait && op.status != OperationStatus::Succeeded {
                anyhow::bail!("{}", crate::ctx::failure(&op));
            }
        }
    }
    Ok(())
}

fn show_operation(ctx: &Ctx, op: &Operation) {
    match ctx.output {
        Output::Json => print_json(op),
        Output::Table => {
            let mut head = serde_json::to_value(op).unwrap_or_default();
            if let Some(m) = head.as_object_mut() {
                m.remove("steps");
                m.insert("progress".into(), format!("{}/{}", op.progress.done, op.progress.total).into());
                m.insert(
                    "target".into(),
                    format!("{} {} ({})", op.target.target_type, op.target.name, op.target.id).into(),
                );
            }
            ctx.print(&head);
            println!("\nSTEPS:");
            print_list(Output::Table, &op.steps);
        }
    }
}

pub async fn usage(ctx: &Ctx, a: UsageArgs) -> anyhow::Result<()> {
    let c = &ctx.client;
    let p = ctx.project()?;
    if a.csv {
        print!("{}", c.usage_csv(p, a.from.as_deref(), a.to.as_deref()).await?);
        return Ok(());
    }
    let u = c.usage(p, &UsageQuery { from: a.from, to: a.to, format: None }).await?;
    match ctx.output {
        Output::Json => print_json(&u),
        Output::Table => {
            println!("Project {} from {} to {}\n", u.project, u.from, u.to);
            let mut rows: Vec<Vec<String>> = u.lines.iter().map(crate::output::Row::row).collect();
            rows.push(vec![
                "TOTAL".into(),
                String::new(),
                u.total_seconds.to_string(),
                String::new(),
                format!("{:.6}", u.total_cost),
            ]);
            print!("{}", render_table(<UsageLine as crate::output::Row>::HEADERS, rows));
        }
    }
    Ok(())
}

pub async fn server(ctx: &Ctx, cmd: ServerCmd) -> anyhow::Result<()> {
    match cmd {
        ServerCmd::List => print_list(ctx.output, &ctx.client.server_list().await?),
    }
    Ok(())
}

pub async fn connection(ctx: &Ctx, cmd: ConnectionCmd) -> anyhow::Result<()> {
    let c = &ctx.client;
    match cmd {
        ConnectionCmd::List => print_list(ctx.output, &c.connection_list().await?),
        ConnectionCmd::Create { name, driver, region, zone, settings, credentials_file } => {
            let settings = json_arg("--settings", settings)?;
            let credentials = credentials_from(credentials_file.as_ref())?;
            ctx.print(
                &c.connection_create(&ConnectionCreate { name, driver, region, zone, credentials, settings }).await?,
            );
        }
        ConnectionCmd::Show { connection } => ctx.print(&c.connection_get(&connection).await?),
        ConnectionCmd::Delete { connection } => {
            c.connection_delete(&connection).await?;
            if ctx.output == Output::Table {
                println!("Deleted connection {connection}.");
            }
        }
        ConnectionCmd::Update { connection, settings, credentials_file } => {
            let req = ConnectionUpdate {
                settings: json_arg("--settings", settings)?,
                credentials: credentials_from(credentials_file.as_ref())?,
            };
            ctx.print(&c.connection_update(&connection, &req).await?);
        }
        ConnectionCmd::Drivers => print_json(&c.driver_list().await?),
        ConnectionCmd::Capabilities { connection } => print_json(&c.connection_capabilities(&connection).await?),
        ConnectionCmd::Verify { connection } => {
            let v = c.connection_verify(&connection).await?;
            match ctx.output {
                Output::Json => print_json(&v),
                Output::Table => println!("{}: {}", if v.ok { "ok" } else { "failed" }, v.message),
            }
            anyhow::ensure!(v.ok, "connection {} did not verify", v.connection);
        }
        ConnectionCmd::Adopt { connection, kind, provider_id, project, name, subnet, vpc } => {
            let req = DriftAdopt { kind, provider_id, project, name, subnet, vpc };
            print_json(&c.drift_adopt(&connection, &req).await?);
        }
        ConnectionCmd::DeleteOrphan { connection, kind, provider_id } => {
            c.drift_delete(&connection, &DriftDelete { kind, provider_id: provider_id.clone() }).await?;
            if ctx.output == Output::Table {
                println!("Deleting {provider_id} at the provider.");
            }
        }
        ConnectionCmd::Unregister { connection, kind, name, project } => {
            c.drift_unregister(&connection, &DriftUnregister { kind, project, name: name.clone() }).await?;
            if ctx.output == Output::Table {
                println!("Unregistered {name}; the provider keeps it.");
            }
        }
        ConnectionCmd::Drift { connection } => {
            let d = c.connection_drift(&connection).await?;
            match ctx.output {
                Output::Json => print_json(&d),
                Output::Table => {
                    let rows: Vec<DriftRow<'_>> = d
                        .only_in_provider
                        .iter()
                        .map(|item| DriftRow { status: "only_in_provider", item })
                        .chain(d.only_in_gureum.iter().map(|item| DriftRow { status: "only_in_gureum", item }))
                        .chain(d.mapped.iter().map(|item| DriftRow { status: "mapped", item }))
                        .collect();
                    print_list(Output::Table, &rows);
                    println!(
                        "\n{}: {} mapped, {} only in gureum, {} only at the provider.",
                        d.connection,
                        d.mapped.len(),
                        d.only_in_gureum.len(),
                        d.only_in_provider.len()
                    );
                }
            }
        }
    }
    Ok(())
}
