//! pool, node: the hosts instances are placed on (system administrators write them).

use crate::ctx::Ctx;
use crate::output::{Output, print_list};
use crate::spelled;
use clap::Subcommand;
use gureum_api_types::*;

#[derive(Subcommand, Debug)]
pub enum PoolCmd {
    /// Pools and their connections
    List,
    /// Make a pool of a connection's hosts (one general pool per connection)
    Create(PoolCreateArgs),
    /// Show a pool
    Show { pool: String },
    /// Change a pool's overcommit ratios
    Update {
        pool: String,
        #[arg(long)]
        cpu_overcommit: Option<f64>,
        #[arg(long)]
        memory_overcommit: Option<f64>,
        #[arg(long)]
        disk_overcommit: Option<f64>,
    },
    /// Delete a pool without nodes
    Delete { pool: String },
    /// Make a one-time token for `gureum agent --join-token` (shown once)
    JoinToken { pool: String },
    /// Let the pool place on a node of another pool of its connection (the host serves
    /// both; its capacity is booked once)
    ShareNode {
        pool: String,
        #[arg(long)]
        node: String,
    },
    /// Stop the pool placing on a node it shares
    UnshareNode {
        pool: String,
        #[arg(long)]
        node: String,
    },
}

#[derive(Subcommand, Debug)]
pub enum NodeCmd {
    /// Nodes with capacity, allocation, free room and state (of one pool with --pool)
    List {
        #[arg(long)]
        pool: Option<String>,
    },
    /// Add a host without an agent (a simulated host, or capacity set by hand)
    Add {
        name: String,
        #[arg(long)]
        pool: String,
        #[arg(long)]
        vcpus: i64,
        #[arg(long)]
        memory_mib: i64,
        #[arg(long)]
        disk_gb: i64,
    },
    /// Show a node
    Show {
        node: String,
        #[arg(long)]
        pool: String,
    },
    /// Set a node's capacity (kept until --reported hands it back to the agent)
    Update {
        node: String,
        #[arg(long)]
        pool: String,
        #[arg(long)]
        vcpus: Option<i64>,
        #[arg(long)]
        memory_mib: Option<i64>,
        #[arg(long)]
        disk_gb: Option<i64>,
        /// Let the agent's heartbeats report the host's own capacity again
        #[arg(long, conflicts_with_all = ["vcpus", "memory_mib", "disk_gb"])]
        reported: bool,
    },
    /// Remove a node that holds no instance
    Delete {
        node: String,
        #[arg(long)]
        pool: String,
    },
}

#[derive(clap::Args, Debug)]
pub struct PoolCreateArgs {
    name: String,
    /// The connection whose instances go to this pool's nodes
    #[arg(long)]
    connection: String,
    /// Allocatable vCPUs per physical one [default: 4.0]
    #[arg(long)]
    cpu_overcommit: Option<f64>,
    /// [default: 1.0]
    #[arg(long)]
    memory_overcommit: Option<f64>,
    /// [default: 1.0]
    #[arg(long)]
    disk_overcommit: Option<f64>,
    /// general (instances are placed here), template or persistent [default: general]
    #[arg(long, value_parser = spelled::<PoolPurpose>)]
    purpose: Option<PoolPurpose>,
    /// Systems in the pool are named <prefix>-0001.<domain> [default: kvm]
    #[arg(long)]
    name_prefix: Option<String>,
    /// [default: gureum.internal]
    #[arg(long)]
    domain: Option<String>,
}

impl From<PoolCreateArgs> for PoolCreate {
    fn from(a: PoolCreateArgs) -> Self {
        PoolCreate {
            name: a.name,
            connection: a.connection,
            cpu_overcommit: a.cpu_overcommit,
            memory_overcommit: a.memory_overcommit,
            disk_overcommit: a.disk_overcommit,
            purpose: a.purpose,
            name_prefix: a.name_prefix,
            domain: a.domain,
        }
    }
}

pub async fn pool(ctx: &Ctx, cmd: PoolCmd) -> anyhow::Result<()> {
    let c = &ctx.client;
    match cmd {
        PoolCmd::List => print_list(ctx.output, &c.pool_list().await?),
        PoolCmd::Create(req) => ctx.print(&c.pool_create(&req.into()).await?),
        PoolCmd::Show { pool } => ctx.print(&c.pool_get(&pool).await?),
        PoolCmd::Update { pool, cpu_overcommit, memory_overcommit, disk_overcommit } => {
            let req = PoolUpdate { cpu_overcommit, memory_overcommit, disk_overcommit };
            ctx.print(&c.pool_update(&pool, &req).await?);
        }
        PoolCmd::Delete { pool } => {
            c.pool_delete(&pool).await?;
            if ctx.output == Output::Table {
                println!("Deleted pool {pool}.");
            }
        }
        PoolCmd::ShareNode { pool, node } => ctx.print(&c.node_share(&pool, &NodeShare { node }).await?),
        PoolCmd::UnshareNode { pool, node } => c.node_unshare(&pool, &node).await?,
        PoolCmd::JoinToken { pool } => {
            let t = c.join_token_create(&pool).await?;
            match ctx.output {
                Output::Json => crate::output::print_json(&t),
                Output::Table => {
                    println!("{}", t.token);
                    eprintln!("Join token for pool {} (shown once, valid until {}):", t.pool, t.expires_at);
                    eprintln!("  gureum agent --server {} --join-token {}", c.base(), t.token);
                }
            }
        }
    }
    Ok(())
}

pub async fn node(ctx: &Ctx, cmd: NodeCmd) -> anyhow::Result<()> {
    let c = &ctx.client;
    match cmd {
        NodeCmd::List { pool } => print_list(ctx.output, &c.node_list(pool.as_deref()).await?),
        NodeCmd::Add { name, pool, vcpus, memory_mib, disk_gb } => {
            ctx.print(&c.node_create(&pool, &NodeCreate { name, vcpus, memory_mib, disk_gb }).await?);
        }
        NodeCmd::Show { node, pool } => ctx.print(&c.node_get(&pool, &node).await?),
        NodeCmd::Update { node, pool, vcpus, memory_mib, disk_gb, reported } => {
            let req = NodeUpdate { vcpus, memory_mib, disk_gb, capacity_pinned: reported.then_some(false) };
            ctx.print(&c.node_update(&pool, &node, &req).await?);
        }
        NodeCmd::Delete { node, pool } => {
            c.node_delete(&pool, &node).await?;
            if ctx.output == Output::Table {
                println!("Deleted node {node}.");
            }
        }
    }
    Ok(())
}
