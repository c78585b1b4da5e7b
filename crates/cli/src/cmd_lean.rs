//! vm-profile and software-stack: lean provisioning's catalog (system administrators
//! write it).

use crate::ctx::Ctx;
use crate::output::{Row, age, print_list};
use crate::spelled;
use clap::Subcommand;
use gureum_api_types::*;

/// A machine's size and clock, as profiles and templates set them.
#[derive(clap::Args, Debug)]
pub struct MachineArgs {
    #[arg(long)]
    pub memory_mib: Option<i64>,
    #[arg(long)]
    pub disk_gb: Option<i64>,
    #[arg(long)]
    pub vcpus: Option<i64>,
    /// utc or localtime
    #[arg(long, value_parser = spelled::<ClockOffset>)]
    pub clock_offset: Option<ClockOffset>,
    #[arg(long)]
    pub description: Option<String>,
}

#[derive(clap::Args, Debug)]
pub struct ProfileSize {
    #[command(flatten)]
    machine: MachineArgs,
    /// A public image of the base profile's OS family
    #[arg(long)]
    install_media: Option<String>,
    /// e.g. Fedora, Ubuntu, Windows Server
    #[arg(long)]
    os_type: Option<String>,
    #[arg(long)]
    os_version: Option<String>,
}

#[derive(Subcommand, Debug)]
pub enum VmProfileCmd {
    /// The VM profiles
    List,
    Show {
        profile: String,
    },
    /// Describe a machine once (--install-media, --os-type, --os-version and the sizes are required)
    Create {
        name: String,
        /// linux or windows (cannot change later)
        #[arg(long, value_parser = spelled::<OsFamily>)]
        base_profile: OsFamily,
        #[command(flatten)]
        fields: ProfileSize,
    },
    /// Change a profile (not its base profile)
    Update {
        profile: String,
        #[command(flatten)]
        fields: ProfileSize,
    },
    Delete {
        profile: String,
    },
}

#[derive(Subcommand, Debug)]
pub enum SoftwareStackCmd {
    /// The software stacks
    List,
    Show {
        stack: String,
    },
    /// Add a stack: --stack-version, --fits TYPE=VERSION (repeatable), --environment (repeatable), --script FILE
    Create {
        name: String,
        /// The stack's version (e.g. 2)
        #[arg(long)]
        stack_version: String,
        #[arg(long = "fits", value_name = "OS_TYPE=OS_VERSION", required = true)]
        fits: Vec<String>,
        #[arg(long = "environment", value_parser = spelled::<Environment>)]
        environments: Vec<Environment>,
        /// The install script (run in the guest)
        #[arg(long)]
        script: std::path::PathBuf,
    },
    Delete {
        stack: String,
    },
}

impl Row for VmProfile {
    const HEADERS: &'static [&'static str] = &["NAME", "BASE", "OS", "VCPUS", "MEMORY (MiB)", "DISK (GB)", "AGE"];
    fn row(&self) -> Vec<String> {
        vec![
            self.name.clone(),
            self.base_profile.to_string(),
            format!("{} {}", self.os_type, self.os_version),
            self.vcpus.to_string(),
            self.memory_mib.to_string(),
            self.disk_gb.to_string(),
            age(&self.created_at),
        ]
    }
}

impl Row for SoftwareStack {
    const HEADERS: &'static [&'static str] = &["NAME", "VERSION", "FITS", "ENVIRONMENTS"];
    fn row(&self) -> Vec<String> {
        let fits: Vec<String> = self.fits.iter().map(|f| format!("{} {}", f.os_type, f.os_version)).collect();
        let envs: Vec<&str> = self.environments.iter().map(|e| e.as_str()).collect();
        vec![self.name.clone(), self.version.clone(), fits.join(", "), envs.join(", ")]
    }
}

fn required<T>(v: Option<T>, flag: &str) -> anyhow::Result<T> {
    v.ok_or_else(|| anyhow::anyhow!("--{flag} is required"))
}

pub async fn vm_profile(ctx: &Ctx, cmd: VmProfileCmd) -> anyhow::Result<()> {
    let c = &ctx.client;
    match cmd {
        VmProfileCmd::List => print_list(ctx.output, &c.vm_profile_list().await?),
        VmProfileCmd::Show { profile } => ctx.print(&c.vm_profile_get(&profile).await?),
        VmProfileCmd::Create { name, base_profile, fields: f } => {
            let m = f.machine;
            let req = VmProfileCreate {
                name,
                base_profile,
                install_media: required(f.install_media, "install-media")?,
                description: m.description.unwrap_or_default(),
                os_type: required(f.os_type, "os-type")?,
                os_version: required(f.os_version, "os-version")?,
                memory_mib: required(m.memory_mib, "memory-mib")?,
                disk_gb: required(m.disk_gb, "disk-gb")?,
                vcpus: required(m.vcpus, "vcpus")?,
                clock_offset: m.clock_offset,
            };
            ctx.print(&c.vm_profile_create(&req).await?);
        }
        VmProfileCmd::Update { profile, fields: f } => {
            let m = f.machine;
            let req = VmProfileUpdate {
                install_media: f.install_media,
                description: m.description,
                os_type: f.os_type,
                os_version: f.os_version,
                memory_mib: m.memory_mib,
                disk_gb: m.disk_gb,
                vcpus: m.vcpus,
                clock_offset: m.clock_offset,
            };
            ctx.print(&c.vm_profile_update(&profile, &req).await?);
        }
        VmProfileCmd::Delete { profile } => c.vm_profile_delete(&profile).await?,
    }
    Ok(())
}

pub async fn software_stack(ctx: &Ctx, cmd: SoftwareStackCmd) -> anyhow::Result<()> {
    let c = &ctx.client;
    match cmd {
        SoftwareStackCmd::List => print_list(ctx.output, &c.software_stack_list().await?),
        SoftwareStackCmd::Show { stack } => ctx.print(&c.software_stack_get(&stack).await?),
        SoftwareStackCmd::Create { name, stack_version, fits, environments, script } => {
            let fits = fits
                .iter()
                .map(|f| {
                    let (t, v) = f
                        .split_once('=')
                        .ok_or_else(|| anyhow::anyhow!("--fits {f}: write it as OS_TYPE=OS_VERSION"))?;
                    Ok(OsFit { os_type: t.into(), os_version: v.into() })
                })
                .collect::<anyhow::Result<Vec<_>>>()?;
            let install_script =
                std::fs::read_to_string(&script).map_err(|e| anyhow::anyhow!("{}: {e}", script.display()))?;
            let req = SoftwareStackCreate { name, version: stack_version, fits, environments, install_script };
            ctx.print(&c.software_stack_create(&req).await?);
        }
        SoftwareStackCmd::Delete { stack } => c.software_stack_delete(&stack).await?,
    }
    Ok(())
}
