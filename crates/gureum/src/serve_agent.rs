//! `gureum serve --agent NAME`: the server's host joins the pool `local` as node NAME,
//! as `gureum agent` would, within the server: the host's qemu driver (VMs under
//! `<data-dir>/agent/qemu`) is served on the server's own address and heartbeats go
//! straight to the engine. Every server sharing the database drives the node over
//! HTTP, so unlike `--local-host` it suits several servers.

use crate::agent::{heartbeat, host_driver};
use anyhow::Context;
use gureum_engine::Engine;
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};

/// What the joined host remembers, so a restarted server heartbeats as the same node.
#[derive(Serialize, Deserialize)]
struct HostNode {
    node: String,
    secret: String,
}

/// Joins this host (once; afterwards its remembered secret is used), starts its
/// heartbeats and returns the routes that serve its driver to the servers.
pub(crate) async fn start(
    engine: &Engine,
    name: &str,
    url: String,
    dir: PathBuf,
    images: &Path,
) -> anyhow::Result<axum::Router> {
    std::fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
    let path = dir.join("node.json");
    let joined = match std::fs::read_to_string(&path) {
        Ok(text) => serde_json::from_str::<HostNode>(&text).with_context(|| format!("reading {}", path.display()))?,
        Err(_) => {
            let joined = engine.join_local_host(name, &url, crate::host::capacity(&dir)).await.map_err(|e| {
                anyhow::anyhow!("--agent {name}: joining pool {}: {e}", gureum_engine::LOCAL_CONNECTION)
            })?;
            let node = HostNode { node: joined.node.name, secret: joined.secret };
            crate::serve::write_private(&path, &serde_json::to_string_pretty(&node)?)?;
            node
        }
    };
    anyhow::ensure!(
        joined.node == name,
        "{} is node {}, not {name}: keep --agent {} or use another data directory",
        path.display(),
        joined.node,
        joined.node
    );
    println!("This host is node {name} of pool {}, its driver served at {url}.", gureum_engine::LOCAL_CONNECTION);
    let routes = gureum_remote::router(host_driver(&dir, images)?, &joined.secret);
    engine.start_host_heartbeat(move || heartbeat(&joined.secret, &dir, url.clone()));
    Ok(routes)
}
