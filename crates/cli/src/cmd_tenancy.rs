//! reseller, customer: the tenancy above projects, with quotas and usage roll-ups.

use crate::PageArgs;
use crate::cmd_ops::UsageArgs;
use crate::ctx::Ctx;
use crate::output::{Output, print_json, render_table};
use clap::{Args, Subcommand};
use gureum_api_types::*;

#[derive(Args, Debug)]
pub struct QuotaArgs {
    #[arg(long)]
    pub vcpus: Option<i64>,
    #[arg(long)]
    pub memory_mib: Option<i64>,
    #[arg(long)]
    pub instances: Option<i64>,
    #[arg(long)]
    pub volume_gb: Option<i64>,
    /// Remove every limit
    #[arg(long, conflicts_with_all = ["vcpus", "memory_mib", "instances", "volume_gb"])]
    pub unlimited: bool,
}

impl QuotaArgs {
    /// The limits to set, if any flag asks for a change (the limits not given become
    /// unlimited); `None` only shows the quota.
    pub fn to_set(&self) -> Option<QuotaSet> {
        let set = QuotaSet {
            vcpus: self.vcpus,
            memory_mib: self.memory_mib,
            instances: self.instances,
            volume_gb: self.volume_gb,
        };
        let any = [set.vcpus, set.memory_mib, set.instances, set.volume_gb].iter().any(Option::is_some);
        (any || self.unlimited).then_some(set)
    }
}

#[derive(Subcommand, Debug)]
pub enum ResellerCmd {
    /// Resellers (all for a system administrator, your own for its admins)
    List {
        #[command(flatten)]
        page: PageArgs,
    },
    /// Create a reseller (system administrators)
    Create {
        name: String,
        #[arg(long)]
        description: Option<String>,
    },
    /// Show a reseller
    Show { reseller: String },
    /// Delete a reseller without customers (system administrators)
    Delete { reseller: String },
    /// Usage and cost over every project of the reseller's customers
    Usage {
        reseller: String,
        #[command(flatten)]
        range: UsageArgs,
    },
    /// Show the reseller's quota, or set it with limits (the others become unlimited)
    Quota {
        reseller: String,
        #[command(flatten)]
        limits: QuotaArgs,
    },
}

#[derive(Subcommand, Debug)]
pub enum CustomerCmd {
    /// A reseller's customers
    List {
        #[arg(long)]
        reseller: String,
        #[command(flatten)]
        page: PageArgs,
    },
    /// Create a customer (the reseller's admins)
    Create {
        name: String,
        #[arg(long)]
        reseller: String,
        #[arg(long)]
        description: Option<String>,
    },
    /// Show a customer
    Show {
        customer: String,
        #[arg(long)]
        reseller: String,
    },
    /// Delete a customer without projects and users (the reseller's admins)
    Delete {
        customer: String,
        #[arg(long)]
        reseller: String,
    },
    /// Usage and cost over every project of the customer
    Usage {
        customer: String,
        #[arg(long)]
        reseller: String,
        #[command(flatten)]
        range: UsageArgs,
    },
    /// Show the customer's quota, or set it with limits (the others become unlimited)
    Quota {
        customer: String,
        #[arg(long)]
        reseller: String,
        #[command(flatten)]
        limits: QuotaArgs,
    },
}

pub async fn reseller(ctx: &Ctx, cmd: ResellerCmd) -> anyhow::Result<()> {
    let c = &ctx.client;
    match cmd {
        ResellerCmd::List { page } => {
            ctx.print_list(&page, page.query(), async |q| c.reseller_list(&q.into()).await).await?;
        }
        ResellerCmd::Create { name, description } => {
            ctx.print(&c.reseller_create(&TenantCreate { name, description }).await?)
        }
        ResellerCmd::Show { reseller } => ctx.print(&c.reseller_get(&reseller).await?),
        ResellerCmd::Delete { reseller } => {
            c.reseller_delete(&reseller).await?;
            if ctx.output == Output::Table {
                println!("Deleted reseller {reseller}.");
            }
        }
        ResellerCmd::Usage { reseller, range } => {
            if range.csv {
                print!("{}", c.reseller_usage_csv(&reseller, range.from.as_deref(), range.to.as_deref()).await?);
            } else {
                let q = UsageQuery { from: range.from, to: range.to, format: None };
                print_usage(ctx, &c.reseller_usage(&reseller, &q).await?);
            }
        }
        ResellerCmd::Quota { reseller, limits } => {
            let q = match limits.to_set() {
                Some(set) => c.reseller_quota_set(&reseller, &set).await?,
                None => c.reseller_quota_get(&reseller).await?,
            };
            print_quota(ctx, &q);
        }
    }
    Ok(())
}

pub async fn customer(ctx: &Ctx, cmd: CustomerCmd) -> anyhow::Result<()> {
    let c = &ctx.client;
    match cmd {
        CustomerCmd::List { reseller, page } => {
            ctx.print_list(&page, page.query(), async |q| c.customer_list(&reseller, &q.into()).await).await?;
        }
        CustomerCmd::Create { name, reseller, description } => {
            ctx.print(&c.customer_create(&reseller, &TenantCreate { name, description }).await?)
        }
        CustomerCmd::Show { customer, reseller } => ctx.print(&c.customer_get(&reseller, &customer).await?),
        CustomerCmd::Delete { customer, reseller } => {
            c.customer_delete(&reseller, &customer).await?;
            if ctx.output == Output::Table {
                println!("Deleted customer {customer} of reseller {reseller}.");
            }
        }
        CustomerCmd::Usage { customer, reseller, range } => {
            if range.csv {
                let (from, to) = (range.from.as_deref(), range.to.as_deref());
                print!("{}", c.customer_usage_csv(&reseller, &customer, from, to).await?);
            } else {
                let q = UsageQuery { from: range.from, to: range.to, format: None };
                print_usage(ctx, &c.customer_usage(&reseller, &customer, &q).await?);
            }
        }
        CustomerCmd::Quota { customer, reseller, limits } => {
            let q = match limits.to_set() {
                Some(set) => c.customer_quota_set(&reseller, &customer, &set).await?,
                None => c.customer_quota_get(&reseller, &customer).await?,
            };
            print_quota(ctx, &q);
        }
    }
    Ok(())
}

fn print_usage(ctx: &Ctx, u: &TenantUsage) {
    if ctx.output == Output::Json {
        return print_json(u);
    }
    let whose = u.customer.as_ref().map_or_else(|| format!("Reseller {}", u.reseller), |c| format!("Customer {c}"));
    println!("{whose} from {} to {}\n", u.from, u.to);
    let mut rows: Vec<Vec<String>> = u.lines.iter().map(crate::output::Row::row).collect();
    let mut total = vec![String::new(); <TenantUsageLine as crate::output::Row>::HEADERS.len()];
    total[0] = "TOTAL".into();
    total[4] = u.total_seconds.to_string();
    total[6] = format!("{:.6}", u.total_cost);
    rows.push(total);
    print!("{}", render_table(<TenantUsageLine as crate::output::Row>::HEADERS, rows));
}

/// A quota as one line per resource: its limit and what is in use.
pub fn print_quota(ctx: &Ctx, q: &Quota) {
    if ctx.output == Output::Json {
        return print_json(q);
    }
    println!("Quota of {} {}\n", q.scope, q.name);
    let lines =
        [("vcpus", q.vcpus), ("memory_mib", q.memory_mib), ("instances", q.instances), ("volume_gb", q.volume_gb)];
    let rows = lines.iter().map(|(name, l)| {
        vec![name.to_string(), l.limit.map_or_else(|| "unlimited".into(), |v| v.to_string()), l.used.to_string()]
    });
    print!("{}", render_table(&["RESOURCE", "LIMIT", "USED"], rows));
}
