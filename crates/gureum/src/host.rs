//! This host's capacity as a node: its CPUs, its memory and the free disk of the
//! directory its VMs' disks go to. Read at start (serve) and at every heartbeat (agent).

use gureum_engine::Resources;
use std::path::Path;

/// The server's own host is the node of this name in the pool `local`.
pub const LOCAL_NODE: &str = "local-1";

pub fn capacity(data_dir: &Path) -> Resources {
    Resources {
        vcpus: std::thread::available_parallelism().map_or(1, |n| n.get() as i64),
        memory_mib: mem_total_mib().unwrap_or(0),
        disk_gb: free_disk_gb(data_dir).unwrap_or(0),
    }
}

fn mem_total_mib() -> Option<i64> {
    let info = std::fs::read_to_string("/proc/meminfo").ok()?;
    let line = info.lines().find(|l| l.starts_with("MemTotal:"))?;
    let kib: i64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib / 1024)
}

/// Free space where `dir` lives, from POSIX `df -Pk` (std has no statvfs).
fn free_disk_gb(dir: &Path) -> Option<i64> {
    let out = std::process::Command::new("df").arg("-Pk").arg(dir).output().ok()?;
    let text = String::from_utf8(out.stdout).ok()?;
    let kib: i64 = text.lines().nth(1)?.split_whitespace().nth(3)?.parse().ok()?;
    Some(kib / (1024 * 1024))
}

#[cfg(test)]
mod tests {
    #[test]
    fn this_host_has_cpus_memory_and_disk() {
        let c = super::capacity(&std::env::temp_dir());
        assert!(c.vcpus >= 1 && c.memory_mib > 0 && c.disk_gb >= 0, "{c:?}");
    }
}
