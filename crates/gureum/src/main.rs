//! `gureum`: the server (`gureum serve`), the CLI and the benchmark in one binary.

mod agent;
mod bench;
mod bench_qemu;
mod guest_image;
mod host;
mod serve;
mod serve_agent;
mod sim_serve;

use clap::{Parser, Subcommand};

#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[derive(Parser)]
#[command(name = "gureum", version, about = "A self-hosted cloud control plane", propagate_version = true)]
struct Cli {
    #[command(flatten)]
    global: gureum_cli::GlobalArgs,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run the API server, console and workers.
    Serve(serve::ServeArgs),
    /// Make this host a node of a pool: join with a token, then heartbeat.
    Agent(agent::AgentArgs),
    /// The simulated cloud as a service of its own (`gureum sim serve`).
    Sim(sim_serve::SimArgs),
    /// Print the OpenAPI document of the /v1 API.
    Openapi,
    /// Measure throughput and latency against a fresh local server (`bench qemu`: real VMs).
    Bench(bench::BenchArgs),
    // The client commands: `gureum instance list`, `gureum vpc create …`.
    #[command(flatten)]
    Client(gureum_cli::Command),
}

fn main() -> std::process::ExitCode {
    match run(Cli::parse()) {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            // The chain of causes, not a debug dump: this is what users read.
            eprintln!("error: {e:#}");
            std::process::ExitCode::FAILURE
        }
    }
}

fn run(cli: Cli) -> anyhow::Result<()> {
    match cli.command {
        Command::Serve(args) => serve::run(args),
        Command::Agent(args) => agent::run(args),
        Command::Sim(args) => sim_serve::run(args),
        Command::Bench(args) => bench::run(args),
        Command::Client(cmd) => gureum_cli::run_blocking(cmd, cli.global),
        Command::Openapi => {
            print!("{}", gureum_api::openapi_json());
            Ok(())
        }
    }
}

#[cfg(test)]
mod tests {
    /// Clap's own checks of every subcommand (duplicate flags, clashing short options),
    /// which otherwise only fire when a user runs the broken subcommand.
    #[test]
    fn the_command_line_is_well_formed() {
        <super::Cli as clap::CommandFactory>::command().debug_assert();
    }

    #[test]
    fn listen_takes_an_address_or_a_host_name_with_a_port() {
        let listen = |args: &[&str]| {
            let cli = <super::Cli as clap::Parser>::try_parse_from([&["gureum", "sim", "serve"], args].concat());
            cli.map(|_| ()).map_err(|e| e.to_string())
        };
        assert_eq!(listen(&["--listen", "127.0.0.1:0"]), Ok(()));
        assert_eq!(listen(&["--listen", "localhost:7490"]), Ok(()));
        let bad = listen(&["--listen", "localhost"]).expect_err("no port");
        assert!(bad.contains("--listen") && bad.contains("HOST:PORT"), "{bad}");
        assert_eq!(crate::serve::listen_addr("localhost:0").map(|a| a.ip().is_loopback()), Ok(true));
    }
}
