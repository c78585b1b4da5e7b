//! `gureum serve`: opens the database, bootstraps a fresh install, resumes unfinished
//! workflows and serves the API.

use anyhow::Context;
use gureum_engine::{Engine, EngineConfig, SecretKey};
use gureum_store::Store;
use std::io::Write;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};

#[derive(clap::Args, Debug, Clone)]
pub struct ServeArgs {
    /// Where gureum keeps its database, keys and provider state.
    #[arg(long, env = "GUREUM_DATA_DIR", default_value = "./gureum-data")]
    pub data_dir: PathBuf,
    /// Address to listen on, `IP:PORT` or `HOST:PORT` (port 0 picks a free port and
    /// prints it).
    #[arg(long, env = "GUREUM_LISTEN", default_value = "127.0.0.1:7480", value_parser = listen_addr)]
    pub listen: SocketAddr,
    /// `postgres://user@host:port/db` to share one database between several servers;
    /// default: the SQLite file `<data-dir>/gureum.db`.
    #[arg(long, env = "GUREUM_DATABASE_URL")]
    pub database_url: Option<String>,
    /// Guest images for VMs on this host's QEMU (one directory each, as
    /// images/tiny-linux/build.sh makes them); default `<data-dir>/images`. When QEMU is
    /// installed and tiny-linux is missing there, it is built (once per host, from Debian
    /// packages) and linked in.
    #[arg(long, env = "GUREUM_GUEST_IMAGES")]
    pub guest_images: Option<PathBuf>,
    /// Never build tiny-linux: without it in the guest images, run on `sim` alone.
    #[arg(long)]
    pub no_guest_build: bool,
    /// The `endpoint` (`http://HOST:PORT`) of a `gureum sim serve` for the `sim`
    /// connection a fresh install makes; without it that simulated cloud lives inside
    /// this server, which servers sharing a database cannot do.
    #[arg(long, env = "GUREUM_SIM_ENDPOINT", value_name = "URL")]
    pub sim_endpoint: Option<String>,
    /// The token of that `gureum sim serve` (its `<data-dir>/sim.token`), kept sealed as
    /// the `sim` connection's credentials.
    #[arg(long, env = "GUREUM_SIM_TOKEN", hide_env_values = true)]
    pub sim_token: Option<String>,
    /// Offer this host's QEMU as the connection `local` (node `local-1`), run by this
    /// server itself. The default with SQLite (one server); with PostgreSQL only when
    /// asked, since the other servers sharing the database could not drive its VMs:
    /// there, hosts join a pool as nodes through `gureum agent`.
    #[arg(long, conflicts_with = "agent")]
    pub local_host: bool,
    /// Join this host to the pool `local` as node NAME, run by an agent inside this
    /// server (as `gureum agent` does) and driven by every server sharing the database;
    /// its VMs live under `<data-dir>/agent`.
    #[arg(long, value_name = "NAME")]
    pub agent: Option<String>,
    /// A node whose agent has not heartbeaten for this many seconds is unreachable.
    #[arg(long, env = "GUREUM_NODE_TIMEOUT", default_value_t = 15)]
    pub node_timeout_seconds: u64,
    /// How many days provisioning history logs are kept before they are purged (the
    /// events stay).
    #[arg(long, env = "GUREUM_HISTORY_LOG_DAYS", default_value_t = 15, value_parser = clap::value_parser!(u32).range(1..=3650))]
    pub history_log_days: u32,
    /// Log as JSON lines instead of text.
    #[arg(long)]
    pub log_json: bool,
}

pub(crate) fn init_logging(json: bool) {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into());
    // Colour only on a terminal: logs sent to a file or journal stay plain text.
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()));
    if json {
        builder.json().init();
    } else {
        builder.init();
    }
}

/// Writes a file only its owner can read.
pub(crate) fn write_private(path: &Path, contents: &str) -> anyhow::Result<()> {
    use std::os::unix::fs::OpenOptionsExt;
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .open(path)
        .with_context(|| format!("writing {}", path.display()))?;
    f.write_all(contents.as_bytes())?;
    Ok(())
}

/// The drivers this binary ships, and agents over HTTP for the nodes of a pool.
fn drivers() -> gureum_engine::DriverRegistry {
    gureum_engine::DriverRegistry::new()
        .with(gureum_sim::factory())
        .with(gureum_qemu::factory())
        .with_agents(gureum_remote::agent_factory())
}

/// A `--listen` address: `IP:PORT`, or `HOST:PORT` resolved now (its first address).
pub(crate) fn listen_addr(s: &str) -> Result<SocketAddr, String> {
    use std::net::ToSocketAddrs;
    let mut addrs = s.to_socket_addrs().map_err(|e| format!("{s} is not an address to listen on (HOST:PORT): {e}"))?;
    addrs.next().ok_or_else(|| format!("{s} resolves to no address"))
}

/// The key that seals connection credentials: `GUREUM_SECRET_KEY`, else
/// `<data-dir>/secret.key` (made on first start).
fn secret_key(data_dir: &Path) -> anyhow::Result<SecretKey> {
    if let Ok(k) = std::env::var("GUREUM_SECRET_KEY") {
        return SecretKey::from_base64(&k).map_err(|e| anyhow::anyhow!("GUREUM_SECRET_KEY: {e}"));
    }
    let path = data_dir.join("secret.key");
    if path.exists() {
        let text = std::fs::read_to_string(&path)?;
        return SecretKey::from_base64(&text).map_err(|e| anyhow::anyhow!("{}: {e}", path.display()));
    }
    let key = SecretKey::generate();
    write_private(&path, &key.to_base64())?;
    Ok(key)
}

/// This server's lasting identity (`<data-dir>/server.id`), under an exclusive lock on
/// `<data-dir>/gureum.lock` held for the life of the process: two servers can never share
/// a data directory, so a server finding its own leases knows their holder is dead.
fn server_identity(data_dir: &Path) -> anyhow::Result<(String, std::fs::File)> {
    let lock =
        std::fs::OpenOptions::new().create(true).truncate(false).write(true).open(data_dir.join("gureum.lock"))?;
    if lock.try_lock().is_err() {
        anyhow::bail!("another gureum server is using {}", data_dir.display());
    }
    let path = data_dir.join("server.id");
    let id = match std::fs::read_to_string(&path) {
        Ok(id) if !id.trim().is_empty() => id.trim().to_string(),
        _ => {
            let host = std::fs::read_to_string("/etc/hostname").unwrap_or_default();
            let id = format!("{}-{}", host.trim(), &uuid::Uuid::new_v4().simple().to_string()[..12]);
            std::fs::write(&path, format!("{id}\n"))?;
            id
        }
    };
    Ok((id, lock))
}

pub fn run(args: ServeArgs) -> anyhow::Result<()> {
    init_logging(args.log_json);
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build()?;
    // The background loops' own threads: a long pass never holds a request's thread, and
    // (two of them) the maintenance scheduler never waits for a reconciler pass.
    let background = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .thread_name("gureum-background")
        .enable_all()
        .build()?;
    runtime.block_on(serve(args, background.handle().clone()))
}

async fn serve(args: ServeArgs, background: tokio::runtime::Handle) -> anyhow::Result<()> {
    // Refused before anything is made: bad input changes nothing.
    anyhow::ensure!(
        args.agent.is_none() || !args.listen.ip().is_unspecified(),
        "--agent: the servers reach this host's driver at the address this server listens on, and {} is none: \
         give --listen this host's address",
        args.listen
    );
    // A broken shipped template is a broken build: refuse to start, naming the file.
    let templates = gureum_engine::provisioning::check_shipped()
        .map_err(|e| anyhow::anyhow!("a library template is broken: {e}"))?;
    tracing::info!(templates, "library templates checked");
    std::fs::create_dir_all(&args.data_dir).with_context(|| format!("creating {}", args.data_dir.display()))?;
    let (server_id, _lock) = server_identity(&args.data_dir)?;
    let url = match &args.database_url {
        Some(u) => u.clone(),
        None => format!("sqlite:{}", args.data_dir.join("gureum.db").display()),
    };
    let store = Store::open(&url).await.map_err(|e| anyhow::anyhow!("opening the database: {e}"))?;
    // Absolute for the engine and its drivers: QEMU daemonizes into `/`, where a pidfile
    // or socket path relative to our working directory no longer resolves.
    let data_dir =
        std::path::absolute(&args.data_dir).with_context(|| format!("resolving {}", args.data_dir.display()))?;
    let mut config = EngineConfig::new(data_dir, secret_key(&args.data_dir)?);
    config.server_id = Some(server_id);
    config.node_timeout = std::time::Duration::from_secs(args.node_timeout_seconds.max(1));
    config.history_log_days = args.history_log_days;
    config.drivers = drivers();
    config.background = Some(background);
    if let Some(url) = &args.sim_endpoint {
        let settings = serde_json::json!({ "endpoint": url });
        gureum_sim::factory().validate(&settings, None, None).map_err(|e| anyhow::anyhow!("--sim-endpoint: {e}"))?;
        config.default_sim_settings = settings;
        config.default_sim_credentials = args.sim_token.as_ref().map(|t| serde_json::json!({ "token": t }));
    }
    let engine = Engine::new(store, config);
    let boot = engine.bootstrap().await.map_err(|e| anyhow::anyhow!("bootstrapping: {e}"))?;
    let first_start = boot.admin_token.is_some();
    if let Some(token) = boot.admin_token {
        let path = args.data_dir.join("admin.token");
        write_private(&path, &format!("{token}\n"))?;
        println!("Created the system administrator `admin`; its API token is in {} (mode 0600).", path.display());
        println!("Use it with: export GUREUM_TOKEN=$(cat {})", path.display());
    }
    offer_local_host(&engine, &args).await?;
    if shared_database(&args) {
        let inside = engine.connections_inside_server().await.map_err(|e| anyhow::anyhow!("{e}"))?;
        if !inside.is_empty() {
            println!(
                "Connections {} keep their simulated cloud inside this server, so servers sharing the database \
                 each see their own: give them the endpoint of a `gureum sim serve` (settings.endpoint; \
                 --sim-endpoint for a fresh install's `sim`).",
                inside.join(", ")
            );
        }
    }
    engine.start();
    let listener =
        tokio::net::TcpListener::bind(args.listen).await.with_context(|| format!("listening on {}", args.listen))?;
    let addr = listener.local_addr()?;
    // The console's routes join the API's; unknown paths keep the API's JSON 404.
    let mut app = gureum_api::app(engine.clone()).merge(gureum_console::router(engine.clone()));
    if let Some(name) = &args.agent {
        let dir = std::path::absolute(args.data_dir.join("agent"))?;
        app = app.merge(
            crate::serve_agent::start(&engine, name, format!("http://{addr}"), dir, &guest_images(&args)?).await?,
        );
    }
    println!("gureum listening on http://{addr}");
    if first_start {
        let token = args.data_dir.join("admin.token");
        println!("The web console is at http://{addr}/ . To sign in as `admin`, first give it a password:");
        println!(
            "  GUREUM_SERVER=http://{addr} GUREUM_TOKEN=$(cat {}) gureum user set-password admin",
            token.display()
        );
    }
    std::io::stdout().flush()?;
    axum::serve(listener, app).with_graceful_shutdown(shutdown()).await?;
    // The background loops stop between ticks; unfinished workflows stay leased to this
    // server, which takes them back at once when it starts again.
    engine.shutdown();
    Ok(())
}

/// Whether other servers may share this server's database (PostgreSQL).
fn shared_database(args: &ServeArgs) -> bool {
    args.database_url.as_deref().is_some_and(|u| u.starts_with("postgres"))
}

/// Offers the connection `local` on this host's QEMU with the tiny-linux image when both
/// are there; otherwise says in one line why gureum runs on the simulated cloud alone.
/// This host becomes node `local-1`, run by this server, unless the database is shared:
/// then the pool `local` takes hosts that join it through `gureum agent` (or `--agent`),
/// so that every server drives every node.
async fn offer_local_host(engine: &Engine, args: &ServeArgs) -> anyhow::Result<()> {
    let images = guest_images(args)?;
    let tiny = gureum_model::catalog::TINY_LINUX.name;
    let why_not = match gureum_qemu::host_unusable() {
        Some(why) => Some(why),
        None if gureum_qemu::images(&images).iter().any(|i| i == tiny) => None,
        None if args.no_guest_build => Some(format!("no {tiny} image in {} (and --no-guest-build)", images.display())),
        None => {
            let dir = images.clone();
            tokio::task::spawn_blocking(move || crate::guest_image::provide(&dir))
                .await?
                .err()
                .map(|e| format!("{e:#}"))
        }
    };
    if let Some(why) = why_not {
        println!("No local QEMU connection: {why}; running on the simulated cloud alone.");
        return Ok(());
    }
    engine.bootstrap_local_host(&images).await.map_err(|e| anyhow::anyhow!("offering local QEMU: {e}"))?;
    let local = gureum_engine::LOCAL_CONNECTION;
    // With --agent this host is a node of its own name instead.
    let one_server = !shared_database(args) && args.agent.is_none();
    let node = (one_server || args.local_host).then_some(crate::host::LOCAL_NODE);
    let capacity = crate::host::capacity(&args.data_dir);
    engine.bootstrap_local_pool(node, capacity).await.map_err(|e| anyhow::anyhow!("making the pool {local}: {e}"))?;
    if node.is_none() {
        // With --agent, joining says where this host went.
        if args.agent.is_none() {
            println!(
                "Connection `{local}` runs VMs on the nodes of pool `{local}`: the database is shared, so each host \
                 joins it with `gureum agent` (`--local-host` makes this host a node run by this server alone)."
            );
        }
        return Ok(());
    }
    let accel = if gureum_qemu::hardware_kvm() { "KVM" } else { "TCG (no hardware virtualization)" };
    println!("Connection `{local}` runs VMs on this host's QEMU with {accel}; image {tiny} from {}.", images.display());
    Ok(())
}

/// Where this host's guest images are (`--guest-images`, else `<data-dir>/images`).
fn guest_images(args: &ServeArgs) -> anyhow::Result<PathBuf> {
    let images = args.guest_images.clone().unwrap_or_else(|| args.data_dir.join("images"));
    std::path::absolute(&images).with_context(|| format!("resolving {}", images.display()))
}

pub(crate) async fn shutdown() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    let term = async {
        if let Ok(mut s) = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            s.recv().await;
        }
    };
    tokio::select! {
        _ = ctrl_c => {},
        _ = term => {},
    }
    tracing::info!("shutting down");
}
