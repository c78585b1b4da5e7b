//! vm-template and persistent-vm: machines installed once (system administrators) and
//! the persistent VMs cloned from them.

use crate::WaitArg;
use crate::cmd_lean::MachineArgs;
use crate::ctx::Ctx;
use crate::output::{Row, age, print_list};
use crate::spelled;
use clap::Subcommand;
use gureum_api_types::*;
use gureum_client::SYSTEM_OPERATIONS;

#[derive(Subcommand, Debug)]
pub enum VmTemplateCmd {
    /// The VM templates with their mode and version
    List,
    Show {
        template: String,
    },
    /// Create a template from a profile in a template pool (its name is assigned); its
    /// machine boots the profile's install media (mode first_installation)
    Create {
        #[arg(long)]
        profile: String,
        #[arg(long)]
        pool: String,
        /// A node of the pool [default: placement picks one]
        #[arg(long)]
        node: Option<String>,
        #[command(flatten)]
        size: MachineArgs,
        #[command(flatten)]
        wait: WaitArg,
    },
    /// Change the description, size or clock offset (the size applies at the next start)
    Update {
        template: String,
        #[command(flatten)]
        size: MachineArgs,
    },
    /// Flag the template do_not_use (no VM is cloned from it until it goes to maintenance)
    DoNotUse {
        template: String,
    },
    /// Boot the machine (first_installation or maintenance_mode)
    Start {
        template: String,
        #[command(flatten)]
        wait: WaitArg,
    },
    Stop {
        template: String,
        #[command(flatten)]
        wait: WaitArg,
    },
    /// Generalize the running machine (hostname, SSH host keys, machine id, logs) and power it off
    Sysprep {
        template: String,
        #[command(flatten)]
        wait: WaitArg,
    },
    /// Make the sysprepped, stopped template its next version: ready_for_use
    Release {
        template: String,
        #[command(flatten)]
        wait: WaitArg,
    },
    /// What the template's machine printed on its serial console (the installation)
    Console {
        template: String,
    },
    /// Take the template back for updates: maintenance_mode
    Maintenance {
        template: String,
    },
    /// Delete the template, its machine and versions (refused while persistent VMs of it exist)
    Delete {
        template: String,
        #[command(flatten)]
        wait: WaitArg,
    },
}

#[derive(clap::Args, Debug)]
pub struct PersistentVmCreateArgs {
    #[arg(long)]
    template: String,
    /// A persistent pool of the template's connection
    #[arg(long)]
    pool: String,
    /// A node of the pool [default: placement picks one]
    #[arg(long)]
    node: Option<String>,
    #[arg(long)]
    description: Option<String>,
    /// server or desktop [default: server]
    #[arg(long = "type", value_parser = spelled::<PersistentVmType>)]
    vm_type: Option<PersistentVmType>,
    /// A software stack that fits the template's OS
    #[arg(long)]
    software_stack: Option<String>,
    /// test, development or production (one the stack offers)
    #[arg(long, value_parser = spelled::<Environment>)]
    environment: Option<Environment>,
    /// none, install_only or install_and_maintain [default: none]
    #[arg(long, value_parser = spelled::<ConfigurationManagement>)]
    configuration_management: Option<ConfigurationManagement>,
    #[arg(long)]
    reseller: Option<String>,
    #[arg(long)]
    customer: Option<String>,
    #[arg(long)]
    subnet: String,
    /// Security group of the subnet's VPC (repeatable)
    #[arg(long = "security-group", value_name = "SECURITY_GROUP")]
    security_groups: Vec<String>,
    #[arg(long)]
    key_pair: Option<String>,
    #[command(flatten)]
    wait: WaitArg,
}

#[derive(Subcommand, Debug)]
pub enum PersistentVmCmd {
    /// The project's persistent VMs
    List,
    Show {
        vm: String,
    },
    /// Clone a persistent VM from a ready_for_use template (its name is assigned)
    Create(Box<PersistentVmCreateArgs>),
    /// Delete a persistent VM (the template's version it was cloned from is untouched)
    Delete {
        vm: String,
        #[command(flatten)]
        wait: WaitArg,
    },
}

impl Row for VmTemplate {
    const HEADERS: &'static [&'static str] =
        &["NAME", "PROFILE", "POOL", "NODE", "MODE", "VERSION", "STATE", "VMS", "AGE"];
    fn row(&self) -> Vec<String> {
        vec![
            self.name.clone(),
            self.profile.clone(),
            self.pool.clone(),
            self.node.clone().unwrap_or_else(|| "-".into()),
            self.mode.to_string(),
            self.version.to_string(),
            self.state.to_string(),
            self.persistent_vms.to_string(),
            age(&self.created_at),
        ]
    }
}

impl Row for PersistentVm {
    const HEADERS: &'static [&'static str] =
        &["NAME", "STATE", "TEMPLATE", "VERSION", "NODE", "TYPE", "STACK", "ENVIRONMENT", "AGE"];
    fn row(&self) -> Vec<String> {
        vec![
            self.name.clone(),
            self.state.to_string(),
            self.template.clone(),
            self.version.to_string(),
            self.node.clone().unwrap_or_else(|| "-".into()),
            self.vm_type.to_string(),
            self.software_stack.clone().unwrap_or_else(|| "-".into()),
            self.environment.map_or_else(|| "-".into(), |e| e.to_string()),
            age(&self.created_at),
        ]
    }
}

/// Shows the template as the action left it, or with `--wait` follows the action's
/// operation (a system operation) and shows the template after it.
async fn follow(ctx: &Ctx, wait: WaitArg, t: VmTemplate) -> anyhow::Result<()> {
    match t.operation_id {
        Some(op) if wait.wait => {
            ctx.wait(SYSTEM_OPERATIONS, &op.to_string()).await?;
            match ctx.client.vm_template_get(&t.id.to_string()).await {
                Ok(now) => ctx.print(&now),
                // A delete: the template is gone.
                Err(e) if e.is_not_found() => eprintln!("template {} deleted", t.name),
                Err(e) => return Err(e.into()),
            }
        }
        _ => ctx.print(&t),
    }
    Ok(())
}

pub async fn vm_template(ctx: &Ctx, cmd: VmTemplateCmd) -> anyhow::Result<()> {
    let c = &ctx.client;
    let act =
        async |template: &str, action, wait| follow(ctx, wait, c.vm_template_action(template, action).await?).await;
    match cmd {
        VmTemplateCmd::List => print_list(ctx.output, &c.vm_template_list().await?),
        VmTemplateCmd::Show { template } => ctx.print(&c.vm_template_get(&template).await?),
        VmTemplateCmd::Create { profile, pool, node, size: s, wait } => {
            let req = VmTemplateCreate {
                profile,
                pool,
                node,
                description: s.description.unwrap_or_default(),
                memory_mib: s.memory_mib,
                disk_gb: s.disk_gb,
                vcpus: s.vcpus,
                clock_offset: s.clock_offset,
            };
            follow(ctx, wait, c.vm_template_create(&req).await?).await?;
        }
        VmTemplateCmd::Update { template, size: s } => {
            let req = VmTemplateUpdate {
                description: s.description,
                memory_mib: s.memory_mib,
                disk_gb: s.disk_gb,
                vcpus: s.vcpus,
                clock_offset: s.clock_offset,
                mode: None,
            };
            ctx.print(&c.vm_template_update(&template, &req).await?);
        }
        VmTemplateCmd::DoNotUse { template } => {
            let req = VmTemplateUpdate { mode: Some(TemplateMode::DoNotUse), ..Default::default() };
            ctx.print(&c.vm_template_update(&template, &req).await?);
        }
        VmTemplateCmd::Start { template, wait } => act(&template, TemplateAction::Start, wait).await?,
        VmTemplateCmd::Stop { template, wait } => act(&template, TemplateAction::Stop, wait).await?,
        VmTemplateCmd::Sysprep { template, wait } => act(&template, TemplateAction::Sysprep, wait).await?,
        VmTemplateCmd::Release { template, wait } => act(&template, TemplateAction::Release, wait).await?,
        VmTemplateCmd::Console { template } => print!("{}", c.vm_template_console(&template).await?.output),
        VmTemplateCmd::Maintenance { template } => {
            ctx.print(&c.vm_template_action(&template, TemplateAction::Maintenance).await?)
        }
        VmTemplateCmd::Delete { template, wait } => follow(ctx, wait, c.vm_template_delete(&template).await?).await?,
    }
    Ok(())
}

pub async fn persistent_vm(ctx: &Ctx, cmd: PersistentVmCmd) -> anyhow::Result<()> {
    let c = &ctx.client;
    let p = ctx.project()?;
    match cmd {
        PersistentVmCmd::List => print_list(ctx.output, &c.persistent_vm_list(p).await?),
        PersistentVmCmd::Show { vm } => ctx.print(&c.persistent_vm_get(p, &vm).await?),
        PersistentVmCmd::Create(args) => {
            let PersistentVmCreateArgs {
                template,
                pool,
                node,
                description,
                vm_type,
                software_stack,
                environment,
                configuration_management,
                reseller,
                customer,
                subnet,
                security_groups,
                key_pair,
                wait,
            } = *args;
            let req = PersistentVmCreate {
                template,
                pool,
                node,
                description: description.unwrap_or_default(),
                vm_type,
                software_stack,
                environment,
                reseller,
                customer,
                configuration_management,
                key_pair,
                subnet,
                security_groups,
                user_data: None,
            };
            let v = c.persistent_vm_create(p, &req).await?;
            let id = v.id.to_string();
            ctx.accepted(wait.wait, v, async || c.persistent_vm_get(p, &id).await).await?;
        }
        PersistentVmCmd::Delete { vm, wait } => {
            let v = c.persistent_vm_delete(p, &vm).await?;
            ctx.deleted(wait.wait, v, "persistent VM", &vm).await?;
        }
    }
    Ok(())
}
