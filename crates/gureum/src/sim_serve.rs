//! `gureum sim serve`: the simulated clouds as a process of their own, so that servers
//! sharing one database share one cloud per connection (a sim connection's setting
//! `endpoint` points at it). Each cloud's journal is under `--data-dir`, as a server
//! keeps its own under `<data-dir>/sim`, and survives a restart or a `kill -9`.

use anyhow::Context;
use std::io::Write;
use std::net::SocketAddr;
use std::path::PathBuf;

#[derive(clap::Args, Debug)]
pub struct SimArgs {
    #[command(subcommand)]
    command: SimCommand,
}

#[derive(clap::Subcommand, Debug)]
enum SimCommand {
    /// Serve the simulated clouds over HTTP, for sim connections with an `endpoint`.
    Serve(SimServeArgs),
}

#[derive(clap::Args, Debug)]
struct SimServeArgs {
    /// Where to listen; port 0 picks one and prints it.
    #[arg(long, env = "GUREUM_SIM_LISTEN", default_value = "127.0.0.1:7490", value_parser = crate::serve::listen_addr)]
    listen: SocketAddr,
    /// Where the clouds' journals are kept.
    #[arg(long, env = "GUREUM_SIM_DATA_DIR", default_value = "./gureum-sim-data")]
    data_dir: PathBuf,
    /// The token every call must bear (a sim connection's credentials `{"token": …}`).
    /// Without it, calls from this host need none and calls from other hosts bear
    /// `<data-dir>/sim.token`, made on first start.
    #[arg(long, env = "GUREUM_SIM_TOKEN", hide_env_values = true)]
    token: Option<String>,
    /// Log as JSON lines.
    #[arg(long)]
    log_json: bool,
}

pub fn run(args: SimArgs) -> anyhow::Result<()> {
    let SimCommand::Serve(args) = args.command;
    crate::serve::init_logging(args.log_json);
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build()?;
    runtime.block_on(serve(args))
}

async fn serve(args: SimServeArgs) -> anyhow::Result<()> {
    let dir = std::path::absolute(&args.data_dir).with_context(|| format!("resolving {}", args.data_dir.display()))?;
    std::fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
    // One service per directory: each cloud's journal is locked too, but only once a call
    // opens it, which is too late to tell the operator.
    let lock = std::fs::File::create(dir.join("service.lock"))?;
    lock.try_lock().map_err(|_| anyhow::anyhow!("{} is in use by another gureum sim serve", dir.display()))?;
    let (token, trust_loopback) = match args.token {
        Some(t) => (t, false),
        None => (token_file(&dir.join("sim.token"))?, true),
    };
    let listener =
        tokio::net::TcpListener::bind(args.listen).await.with_context(|| format!("listening on {}", args.listen))?;
    println!("gureum sim listening on http://{}", listener.local_addr()?);
    match trust_loopback {
        true => println!(
            "Calls from this host need no token; calls from other hosts bear the one in {} \
             (a sim connection's credentials {{\"token\": …}}).",
            dir.join("sim.token").display()
        ),
        false => println!("Every call bears the --token (a sim connection's credentials {{\"token\": …}})."),
    }
    std::io::stdout().flush()?;
    let app = gureum_sim::router(dir, &token, trust_loopback).into_make_service_with_connect_info::<SocketAddr>();
    axum::serve(listener, app).with_graceful_shutdown(crate::serve::shutdown()).await?;
    Ok(())
}

/// The token kept in `path`, made (readable by its owner alone) on first start.
fn token_file(path: &std::path::Path) -> anyhow::Result<String> {
    if let Ok(t) = std::fs::read_to_string(path)
        && !t.trim().is_empty()
    {
        return Ok(t.trim().to_string());
    }
    let token = format!("gsim_{}", uuid::Uuid::new_v4().simple());
    crate::serve::write_private(path, &format!("{token}\n"))?;
    Ok(token)
}
