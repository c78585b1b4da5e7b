//! `gureum agent`: makes this host a node of a pool. It joins once with a join token
//! (the node's secret it gets back is kept in `<data-dir>/node.json`, so a restarted
//! agent heartbeats again without a new token), then heartbeats with the host's
//! capacity. A server that hears nothing for its node timeout shows the node
//! `unreachable`, and `ready` again at the next heartbeat. The agent runs the qemu
//! driver on its own data dir and serves its calls to the server (authenticated by the
//! node's secret); its VMs are QEMU processes of their own that outlive the agent.

use anyhow::Context;
use gureum_api_types::{NodeHeartbeat, NodeJoin, NodeResources};
use gureum_client::Client;
use serde::{Deserialize, Serialize};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

#[derive(clap::Args, Debug, Clone)]
pub struct AgentArgs {
    /// The gureum server to join.
    #[arg(long, env = "GUREUM_SERVER", value_name = "URL")]
    pub server: String,
    /// A join token (`gureum pool join-token POOL`); not needed once joined.
    #[arg(long, env = "GUREUM_JOIN_TOKEN", hide_env_values = true)]
    pub join_token: Option<String>,
    /// The node's name [default: this host's name]
    #[arg(long)]
    pub name: Option<String>,
    /// Where the agent listens (its health endpoint), reported to the server.
    #[arg(long, default_value = "127.0.0.1:7481", value_parser = crate::serve::listen_addr)]
    pub listen: SocketAddr,
    /// Guest images for this host's VMs (as for `gureum serve --guest-images`, tiny-linux
    /// built there when missing); default `<data-dir>/images`.
    #[arg(long, env = "GUREUM_GUEST_IMAGES")]
    pub guest_images: Option<PathBuf>,
    /// Never build tiny-linux into the guest images.
    #[arg(long)]
    pub no_guest_build: bool,
    /// Where the agent keeps its node identity, its VMs and their disks (and whose free
    /// disk it reports).
    #[arg(long, env = "GUREUM_AGENT_DATA_DIR", default_value = "./gureum-agent-data")]
    pub data_dir: PathBuf,
}

/// What a joined agent remembers.
#[derive(Serialize, Deserialize)]
struct Joined {
    server: String,
    node: String,
    secret: String,
    heartbeat_seconds: u64,
}

pub fn run(args: AgentArgs) -> anyhow::Result<()> {
    crate::serve::init_logging(false);
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build()?;
    runtime.block_on(agent(args))
}

fn wire(r: gureum_engine::Resources) -> NodeResources {
    NodeResources { vcpus: r.vcpus, memory_mib: r.memory_mib, disk_gb: r.disk_gb }
}

fn host_name() -> String {
    let host = std::fs::read_to_string("/etc/hostname").unwrap_or_default();
    let host = host.trim().to_lowercase();
    if host.is_empty() { "node-1".into() } else { host }
}

/// Where the servers call this agent.
fn agent_url(args: &AgentArgs) -> String {
    format!("http://{}", args.listen)
}

/// A heartbeat of the node holding `secret`, whose host keeps its VMs under `data_dir`
/// and serves them at `agent_url` (`gureum agent`, and `gureum serve --agent`).
pub(crate) fn heartbeat(secret: &str, data_dir: &Path, agent_url: String) -> NodeHeartbeat {
    NodeHeartbeat {
        secret: secret.to_string(),
        capacity: wire(crate::host::capacity(data_dir)),
        agent_url: Some(agent_url),
    }
}

async fn join(args: &AgentArgs, client: &Client, path: &Path) -> anyhow::Result<Joined> {
    if let Ok(text) = std::fs::read_to_string(path) {
        let joined: Joined = serde_json::from_str(&text).with_context(|| format!("reading {}", path.display()))?;
        anyhow::ensure!(
            joined.server == client.base(),
            "{} joined {}, not {}; use another --data-dir",
            path.display(),
            joined.server,
            client.base()
        );
        return Ok(joined);
    }
    let token = args.join_token.clone().context("this agent has not joined yet: pass --join-token")?;
    let req = NodeJoin {
        token,
        name: args.name.clone().unwrap_or_else(host_name),
        agent_url: Some(agent_url(args)),
        capacity: wire(crate::host::capacity(&args.data_dir)),
    };
    let answer = client.node_join(&req).await.context("joining the pool")?;
    let joined = Joined {
        server: client.base().to_string(),
        node: answer.node.name.clone(),
        secret: answer.secret,
        heartbeat_seconds: answer.heartbeat_seconds,
    };
    crate::serve::write_private(path, &serde_json::to_string_pretty(&joined)?)?;
    println!("Joined pool {} as node {}.", answer.node.pool, answer.node.name);
    Ok(joined)
}

/// The qemu driver on this host, its VMs under `<data_dir>/qemu`.
pub(crate) fn host_driver(data_dir: &Path, images: &Path) -> anyhow::Result<std::sync::Arc<dyn gureum_driver::Driver>> {
    let data_dir = std::path::absolute(data_dir)?;
    let images = std::path::absolute(images)?;
    let settings = gureum_qemu::QemuSettings::parse(&serde_json::json!({ "images_dir": images }))
        .map_err(|e| anyhow::anyhow!("--guest-images: {e}"))?;
    let driver = gureum_qemu::QemuDriver::open(&data_dir.join("qemu"), settings).map_err(|e| anyhow::anyhow!(e))?;
    Ok(std::sync::Arc::new(driver))
}

fn images_dir(args: &AgentArgs) -> PathBuf {
    args.guest_images.clone().unwrap_or_else(|| args.data_dir.join("images"))
}

async fn agent(args: AgentArgs) -> anyhow::Result<()> {
    std::fs::create_dir_all(&args.data_dir).with_context(|| format!("creating {}", args.data_dir.display()))?;
    // Before joining, so a first build's time is not a gap in the heartbeats. Without the
    // image the node still serves: creates on it then fail naming the missing image.
    if gureum_qemu::host_unusable().is_none() && !args.no_guest_build {
        let images = images_dir(&args);
        if let Err(e) = tokio::task::spawn_blocking(move || crate::guest_image::provide(&images)).await? {
            println!("This host has no {} image: {e:#}", crate::guest_image::TINY_LINUX);
        }
    }
    let client = Client::new(&args.server, None)?;
    let joined = join(&args, &client, &args.data_dir.join("node.json")).await?;
    let listener =
        tokio::net::TcpListener::bind(args.listen).await.with_context(|| format!("listening on {}", args.listen))?;
    println!("gureum agent of node {} listening on http://{}", joined.node, listener.local_addr()?);
    let mut app = axum::Router::new().route("/healthz", axum::routing::get(|| async { "ok\n" }));
    match gureum_qemu::host_unusable() {
        None => {
            app = app.merge(gureum_remote::router(host_driver(&args.data_dir, &images_dir(&args))?, &joined.secret))
        }
        Some(why) => println!("This host runs no VMs ({why}); the agent only heartbeats."),
    }
    tokio::spawn(async move { axum::serve(listener, app).await });
    let every = Duration::from_secs(joined.heartbeat_seconds.max(1));
    loop {
        let beat = heartbeat(&joined.secret, &args.data_dir, agent_url(&args));
        // A server that is down or restarting is retried at the next beat.
        if let Err(e) = client.node_heartbeat(&beat).await {
            tracing::warn!(error = %e, "heartbeat failed");
        }
        tokio::select! {
            _ = tokio::time::sleep(every) => {}
            _ = crate::serve::shutdown() => return Ok(()),
        }
    }
}
