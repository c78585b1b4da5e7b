//! vpc, subnet, security-group, public-ip.

use crate::ctx::Ctx;
use crate::output::{Output, print_list};
use crate::{ListArgs, WaitArg, spelled};
use clap::Subcommand;
use gureum_api_types::*;
use gureum_client::ClientError;

#[derive(Subcommand, Debug)]
pub enum VpcCmd {
    /// VPCs of the project
    List {
        #[command(flatten)]
        list: ListArgs,
    },
    /// Create a VPC
    Create {
        name: String,
        /// Private IPv4 CIDR, /8 to /28 (e.g. 10.0.0.0/16)
        #[arg(long)]
        cidr: String,
        /// Connection (provider) to create it on [default: sim]
        #[arg(long)]
        connection: Option<String>,
        #[command(flatten)]
        wait: WaitArg,
    },
    /// Show a VPC
    Show { vpc: String },
    /// Delete a VPC (it must have no subnets or security groups)
    Delete {
        vpc: String,
        #[command(flatten)]
        wait: WaitArg,
    },
}

#[derive(Subcommand, Debug)]
pub enum SubnetCmd {
    /// Subnets of the project, or of one VPC
    List {
        #[arg(long)]
        vpc: Option<String>,
        #[command(flatten)]
        list: ListArgs,
    },
    /// Create a subnet in a VPC
    Create {
        name: String,
        #[arg(long)]
        vpc: String,
        /// Inside the VPC's CIDR, /16 to /29
        #[arg(long)]
        cidr: String,
        /// [default: the connection's zone]
        #[arg(long)]
        zone: Option<String>,
        #[command(flatten)]
        wait: WaitArg,
    },
    /// Show a subnet
    Show { subnet: String },
    /// Delete a subnet
    Delete {
        subnet: String,
        #[command(flatten)]
        wait: WaitArg,
    },
}

#[derive(Subcommand, Debug)]
pub enum SecurityGroupCmd {
    /// Security groups of the project
    List {
        #[command(flatten)]
        list: ListArgs,
    },
    /// Create a security group in a VPC
    Create {
        name: String,
        #[arg(long)]
        vpc: String,
        #[arg(long)]
        description: Option<String>,
        #[command(flatten)]
        wait: WaitArg,
    },
    /// Show a security group and its rules
    Show { security_group: String },
    /// Delete a security group
    Delete {
        security_group: String,
        #[command(flatten)]
        wait: WaitArg,
    },
    /// Add a rule to a security group
    RuleAdd {
        security_group: String,
        /// inbound or outbound
        #[arg(long, value_parser = spelled::<Direction>)]
        direction: Direction,
        /// tcp, udp, icmp or all
        #[arg(long, value_parser = spelled::<Protocol>)]
        protocol: Protocol,
        /// First port (tcp/udp); omit both ports for all ports
        #[arg(long)]
        port_from: Option<i64>,
        /// Last port [default: --port-from]
        #[arg(long)]
        port_to: Option<i64>,
        /// [default: 0.0.0.0/0]
        #[arg(long)]
        remote_cidr: Option<String>,
        #[command(flatten)]
        wait: WaitArg,
    },
    /// Remove a rule from a security group
    RuleRemove {
        security_group: String,
        /// Rule id (see `security-group show`)
        rule: String,
        #[command(flatten)]
        wait: WaitArg,
    },
}

#[derive(Subcommand, Debug)]
pub enum PublicIpCmd {
    /// Public IPs of the project
    List {
        #[command(flatten)]
        list: ListArgs,
    },
    /// Allocate a static public IP
    Create {
        name: String,
        /// Connection (provider) to allocate it on [default: sim]
        #[arg(long)]
        connection: Option<String>,
        #[command(flatten)]
        wait: WaitArg,
    },
    /// Show a public IP
    Show { public_ip: String },
    /// Release a public IP
    Delete {
        public_ip: String,
        #[command(flatten)]
        wait: WaitArg,
    },
    /// Attach a public IP to an instance
    Attach {
        public_ip: String,
        instance: String,
        #[command(flatten)]
        wait: WaitArg,
    },
    /// Detach a public IP from its instance
    Detach {
        public_ip: String,
        #[command(flatten)]
        wait: WaitArg,
    },
}

pub async fn vpc(ctx: &Ctx, cmd: VpcCmd) -> anyhow::Result<()> {
    let c = &ctx.client;
    let p = ctx.project()?;
    match cmd {
        VpcCmd::List { list } => {
            ctx.print_list(&list.page, list.query(), async |q| c.vpc_list(p, &q).await).await?;
        }
        VpcCmd::Create { name, cidr, connection, wait } => {
            let v = c.vpc_create(p, &VpcCreate { name, cidr, connection }).await?;
            let id = v.id.to_string();
            ctx.accepted(wait.wait, v, async || c.vpc_get(p, &id).await).await?;
        }
        VpcCmd::Show { vpc } => ctx.print(&c.vpc_get(p, &vpc).await?),
        VpcCmd::Delete { vpc, wait } => {
            let v = c.vpc_delete(p, &vpc).await?;
            ctx.deleted(wait.wait, v, "VPC", &vpc).await?;
        }
    }
    Ok(())
}

pub async fn subnet(ctx: &Ctx, cmd: SubnetCmd) -> anyhow::Result<()> {
    let c = &ctx.client;
    let p = ctx.project()?;
    match cmd {
        SubnetCmd::List { vpc: None, list } => {
            ctx.print_list(&list.page, list.query(), async |q| c.subnet_list(p, &q).await).await?;
        }
        SubnetCmd::List { vpc: Some(vpc), list } => {
            ctx.print_list(&list.page, list.query(), async |q| c.vpc_subnet_list(p, &vpc, &q).await).await?;
        }
        SubnetCmd::Create { name, vpc, cidr, zone, wait } => {
            let v = c.subnet_create(p, &vpc, &SubnetCreate { name, cidr, zone }).await?;
            let id = v.id.to_string();
            ctx.accepted(wait.wait, v, async || c.subnet_get(p, &id).await).await?;
        }
        SubnetCmd::Show { subnet } => ctx.print(&c.subnet_get(p, &subnet).await?),
        SubnetCmd::Delete { subnet, wait } => {
            let v = c.subnet_delete(p, &subnet).await?;
            ctx.deleted(wait.wait, v, "subnet", &subnet).await?;
        }
    }
    Ok(())
}

pub async fn security_group(ctx: &Ctx, cmd: SecurityGroupCmd) -> anyhow::Result<()> {
    let c = &ctx.client;
    let p = ctx.project()?;
    match cmd {
        SecurityGroupCmd::List { list } => {
            ctx.print_list(&list.page, list.query(), async |q| c.security_group_list(p, &q).await).await?;
        }
        SecurityGroupCmd::Create { name, vpc, description, wait } => {
            let v = c.security_group_create(p, &SecurityGroupCreate { name, vpc, description }).await?;
            let id = v.id.to_string();
            ctx.accepted(wait.wait, v, async || c.security_group_get(p, &id).await).await?;
        }
        SecurityGroupCmd::Show { security_group } => show_group(ctx, &c.security_group_get(p, &security_group).await?),
        SecurityGroupCmd::Delete { security_group, wait } => {
            let v = c.security_group_delete(p, &security_group).await?;
            ctx.deleted(wait.wait, v, "security group", &security_group).await?;
        }
        SecurityGroupCmd::RuleAdd { security_group, direction, protocol, port_from, port_to, remote_cidr, wait } => {
            let port_to = port_to.or(port_from);
            let req = SecurityGroupRuleCreate { direction, protocol, port_from, port_to, remote_cidr };
            let rule = c.security_group_rule_create(p, &security_group, &req).await?;
            let id = rule.id;
            ctx.accepted(wait.wait, rule, async || {
                let g = c.security_group_get(p, &security_group).await?;
                g.rules.into_iter().find(|r| r.id == id).ok_or_else(|| ClientError {
                    status: 404,
                    code: "not_found".into(),
                    message: format!("rule {id} is no longer in security group {security_group}"),
                    request_id: String::new(),
                    field: None,
                })
            })
            .await?;
        }
        SecurityGroupCmd::RuleRemove { security_group, rule, wait } => {
            let v = c.security_group_rule_delete(p, &security_group, &rule).await?;
            ctx.deleted(wait.wait, v, "rule", &rule).await?;
        }
    }
    Ok(())
}

fn show_group(ctx: &Ctx, g: &SecurityGroup) {
    match ctx.output {
        Output::Json => crate::output::print_json(g),
        Output::Table => {
            let mut head = serde_json::to_value(g).unwrap_or_default();
            if let Some(m) = head.as_object_mut() {
                m.remove("rules");
            }
            ctx.print(&head);
            println!("\nRULES:");
            print_list(Output::Table, &g.rules);
        }
    }
}

pub async fn public_ip(ctx: &Ctx, cmd: PublicIpCmd) -> anyhow::Result<()> {
    let c = &ctx.client;
    let p = ctx.project()?;
    match cmd {
        PublicIpCmd::List { list } => {
            ctx.print_list(&list.page, list.query(), async |q| c.public_ip_list(p, &q).await).await?;
        }
        PublicIpCmd::Create { name, connection, wait } => {
            let v = c.public_ip_create(p, &PublicIpCreate { name, connection }).await?;
            let id = v.id.to_string();
            ctx.accepted(wait.wait, v, async || c.public_ip_get(p, &id).await).await?;
        }
        PublicIpCmd::Show { public_ip } => ctx.print(&c.public_ip_get(p, &public_ip).await?),
        PublicIpCmd::Delete { public_ip, wait } => {
            let v = c.public_ip_delete(p, &public_ip).await?;
            ctx.deleted(wait.wait, v, "public IP", &public_ip).await?;
        }
        PublicIpCmd::Attach { public_ip, instance, wait } => {
            let v = c.public_ip_attach(p, &public_ip, &PublicIpAttach { instance }).await?;
            let id = v.id.to_string();
            ctx.accepted(wait.wait, v, async || c.public_ip_get(p, &id).await).await?;
        }
        PublicIpCmd::Detach { public_ip, wait } => {
            let v = c.public_ip_detach(p, &public_ip).await?;
            let id = v.id.to_string();
            ctx.accepted(wait.wait, v, async || c.public_ip_get(p, &id).await).await?;
        }
    }
    Ok(())
}
