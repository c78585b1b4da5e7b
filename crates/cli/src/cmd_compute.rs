//! instance, key-pair.

use crate::ctx::Ctx;
use crate::output::{Output, print_json};
use crate::{ListArgs, WaitArg, spelled};
use anyhow::Context;
use clap::Subcommand;
use gureum_api_types::*;
use std::path::{Path, PathBuf};

#[derive(Subcommand, Debug)]
pub enum KeyPairCmd {
    /// Key pairs of the project
    List {
        #[command(flatten)]
        list: ListArgs,
    },
    /// Create a key pair: import a public key, or have the server generate one and show
    /// its private key once
    Create {
        name: String,
        /// Import this OpenSSH public key instead of generating a key pair
        #[arg(long, value_name = "FILE", conflicts_with = "private_key_out")]
        public_key_file: Option<PathBuf>,
        /// Write the generated private key to this new file (mode 0600) instead of
        /// printing it
        #[arg(long, value_name = "FILE")]
        private_key_out: Option<PathBuf>,
        /// Connection (provider) to create it on [default: sim]
        #[arg(long)]
        connection: Option<String>,
        #[command(flatten)]
        wait: WaitArg,
    },
    /// Show a key pair
    Show { key_pair: String },
    /// Delete a key pair (only its creator may)
    Delete {
        key_pair: String,
        #[command(flatten)]
        wait: WaitArg,
    },
}

#[derive(Subcommand, Debug)]
pub enum InstanceCmd {
    /// Instances of the project
    List {
        #[command(flatten)]
        list: ListArgs,
    },
    /// Create an instance
    Create {
        name: String,
        /// Instance type
        #[arg(long = "type", value_name = "INSTANCE_TYPE")]
        instance_type: String,
        #[arg(long)]
        image: String,
        /// Subnet (the instance lives in its VPC and connection)
        #[arg(long)]
        subnet: String,
        /// Security group of the subnet's VPC (repeatable)
        #[arg(long = "security-group", value_name = "SECURITY_GROUP")]
        security_groups: Vec<String>,
        #[arg(long)]
        key_pair: Option<String>,
        /// none, ephemeral (released when the instance stops) or static [default: none]
        #[arg(long, value_parser = spelled::<PublicIpMode>)]
        public_ip: Option<PublicIpMode>,
        /// Available volume to attach (repeatable)
        #[arg(long = "volume", value_name = "VOLUME")]
        volumes: Vec<String>,
        /// Root volume size [default: the image's minimum]
        #[arg(long)]
        root_size_gb: Option<i64>,
        /// cloud-init user data, at most 64 KiB
        #[arg(long, value_name = "FILE")]
        user_data_file: Option<PathBuf>,
        #[command(flatten)]
        wait: WaitArg,
    },
    /// Show an instance
    Show { instance: String },
    /// Delete an instance; data volumes are detached and kept unless --delete-volumes
    Delete {
        instance: String,
        #[arg(long)]
        delete_volumes: bool,
        #[command(flatten)]
        wait: WaitArg,
    },
    /// Start a stopped instance
    Start {
        instance: String,
        #[command(flatten)]
        wait: WaitArg,
    },
    /// Stop an instance
    Stop {
        instance: String,
        #[command(flatten)]
        wait: WaitArg,
    },
    /// Shelve an instance: release its provider resources, keep its volumes
    Shelve {
        instance: String,
        #[command(flatten)]
        wait: WaitArg,
    },
    /// Bring a shelved instance back
    Unshelve {
        instance: String,
        #[command(flatten)]
        wait: WaitArg,
    },
    /// Reboot an instance (graceful; --hard to force)
    Reboot {
        instance: String,
        #[arg(long)]
        hard: bool,
        #[command(flatten)]
        wait: WaitArg,
    },
    /// Change an instance's type; confirm or revert afterwards
    Resize {
        instance: String,
        #[arg(long = "type", value_name = "INSTANCE_TYPE")]
        instance_type: String,
        #[command(flatten)]
        wait: WaitArg,
    },
    /// Keep the new type of a resized instance
    ConfirmResize {
        instance: String,
        #[command(flatten)]
        wait: WaitArg,
    },
    /// Go back to the old type of a resized instance
    RevertResize {
        instance: String,
        #[command(flatten)]
        wait: WaitArg,
    },
    /// Make an image of the project from an instance
    CreateImage {
        instance: String,
        /// Name of the new image
        #[arg(long)]
        name: String,
        #[command(flatten)]
        wait: WaitArg,
    },
    /// Print the instance's serial console output
    ConsoleLog { instance: String },
}

/// Writes a new file only its owner can read; never overwrites.
fn write_private(path: &Path, contents: &str) -> anyhow::Result<()> {
    use std::io::Write;
    use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)
        .with_context(|| format!("creating {}", path.display()))?;
    f.set_permissions(std::fs::Permissions::from_mode(0o600))?;
    f.write_all(contents.as_bytes()).with_context(|| format!("writing {}", path.display()))?;
    Ok(())
}

pub async fn key_pair(ctx: &Ctx, cmd: KeyPairCmd) -> anyhow::Result<()> {
    let c = &ctx.client;
    let p = ctx.project()?;
    match cmd {
        KeyPairCmd::List { list } => {
            ctx.print_list(&list.page, list.query(), async |q| c.key_pair_list(p, &q).await).await?;
        }
        KeyPairCmd::Create { name, public_key_file, private_key_out, connection, wait } => {
            let public_key = match &public_key_file {
                Some(f) => Some(
                    std::fs::read_to_string(f).with_context(|| format!("reading {}", f.display()))?.trim().to_string(),
                ),
                None => None,
            };
            if let Some(out) = &private_key_out
                && out.exists()
            {
                anyhow::bail!("{} exists; not overwriting it with a new private key", out.display());
            }
            let mut kp = c.key_pair_create(p, &KeyPairCreate { name, public_key, connection }).await?;
            // The private key is in this answer only: secure it before anything else.
            let private_key = kp.private_key.take();
            if let (Some(key), Some(out)) = (&private_key, &private_key_out) {
                write_private(out, key)?;
                eprintln!("Private key written to {} (mode 0600).", out.display());
            }
            let show_key = if private_key_out.is_none() { private_key } else { None };
            let id = kp.id.to_string();
            let mut kp = match kp.operation_id.filter(|_| wait.wait) {
                Some(op) => {
                    ctx.wait(p, &op.to_string()).await?;
                    c.key_pair_get(p, &id).await?
                }
                None => kp,
            };
            match (ctx.output, show_key) {
                (Output::Json, key) => {
                    kp.private_key = key;
                    print_json(&kp);
                }
                (Output::Table, Some(key)) => {
                    ctx.print(&kp);
                    eprintln!("\nwarning: this is the private key; it is not stored and will not be shown again.");
                    eprintln!("Save it now (or use --private-key-out FILE next time):\n");
                    println!("{}", key.trim_end());
                }
                (Output::Table, None) => ctx.print(&kp),
            }
            if !wait.wait
                && let Some(op) = &kp.operation_id
            {
                crate::ctx::hint(op);
            }
        }
        KeyPairCmd::Show { key_pair } => ctx.print(&c.key_pair_get(p, &key_pair).await?),
        KeyPairCmd::Delete { key_pair, wait } => {
            let v = c.key_pair_delete(p, &key_pair).await?;
            ctx.deleted(wait.wait, v, "key pair", &key_pair).await?;
        }
    }
    Ok(())
}

pub async fn instance(ctx: &Ctx, cmd: InstanceCmd) -> anyhow::Result<()> {
    let c = &ctx.client;
    let p = ctx.project()?;
    // An action answering with the instance: follow it, then show the instance.
    macro_rules! act {
        ($wait:expr, $call:expr) => {{
            let v = $call.await?;
            let id = v.id.to_string();
            ctx.accepted($wait.wait, v, async || c.instance_get(p, &id).await).await?;
        }};
    }
    match cmd {
        InstanceCmd::List { list } => {
            ctx.print_list(&list.page, list.query(), async |q| c.instance_list(p, &q).await).await?;
        }
        InstanceCmd::Create {
            name,
            instance_type,
            image,
            subnet,
            security_groups,
            key_pair,
            public_ip,
            volumes,
            root_size_gb,
            user_data_file,
            wait,
        } => {
            let user_data = match &user_data_file {
                Some(f) => Some(std::fs::read_to_string(f).with_context(|| format!("reading {}", f.display()))?),
                None => None,
            };
            let req = InstanceCreate {
                name,
                instance_type,
                image,
                subnet,
                security_groups,
                key_pair,
                public_ip,
                volumes,
                root_volume_size_gb: root_size_gb,
                user_data,
            };
            act!(wait, c.instance_create(p, &req))
        }
        InstanceCmd::Show { instance } => ctx.print(&c.instance_get(p, &instance).await?),
        InstanceCmd::Delete { instance, delete_volumes, wait } => {
            let v = c.instance_delete(p, &instance, delete_volumes).await?;
            ctx.deleted(wait.wait, v, "instance", &instance).await?;
        }
        InstanceCmd::Start { instance, wait } => act!(wait, c.instance_start(p, &instance)),
        InstanceCmd::Stop { instance, wait } => act!(wait, c.instance_stop(p, &instance)),
        InstanceCmd::Shelve { instance, wait } => act!(wait, c.instance_shelve(p, &instance)),
        InstanceCmd::Unshelve { instance, wait } => act!(wait, c.instance_unshelve(p, &instance)),
        InstanceCmd::Reboot { instance, hard, wait } => {
            let t = if hard { RebootType::Hard } else { RebootType::Soft };
            act!(wait, c.instance_reboot(p, &instance, t))
        }
        InstanceCmd::Resize { instance, instance_type, wait } => {
            act!(wait, c.instance_resize(p, &instance, &InstanceResize { instance_type }))
        }
        InstanceCmd::ConfirmResize { instance, wait } => act!(wait, c.instance_confirm_resize(p, &instance)),
        InstanceCmd::RevertResize { instance, wait } => act!(wait, c.instance_revert_resize(p, &instance)),
        InstanceCmd::CreateImage { instance, name, wait } => {
            let v = c.instance_create_image(p, &instance, &InstanceCreateImage { name: name.clone() }).await?;
            match v.operation_id.filter(|_| wait.wait) {
                // With --wait, the result worth showing is the new image.
                Some(op) => {
                    ctx.wait(p, &op.to_string()).await?;
                    ctx.print(&c.project_image_get(p, &name).await?);
                }
                None => ctx.started(&v),
            }
        }
        InstanceCmd::ConsoleLog { instance } => {
            let log = c.instance_console(p, &instance).await?;
            match ctx.output {
                Output::Json => print_json(&log),
                Output::Table => print!("{}", log.output),
            }
        }
    }
    Ok(())
}
