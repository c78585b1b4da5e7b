//! The tiny-linux guest image, built on this host from Debian packages by the project's
//! own script (images/tiny-linux), which the binary carries so an installed gureum needs
//! no source tree. A build downloads ~60 MB and takes 10–20 s, so it is kept in the
//! user's cache (keyed by the script's contents) and each new data directory only links
//! it in.

use anyhow::Context;
use sha2::{Digest, Sha256};
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::Command;

pub const TINY_LINUX: &str = gureum_model::catalog::TINY_LINUX.name;

/// images/tiny-linux as the binary carries it: (path, executable, contents).
const SOURCES: &[(&str, bool, &str)] = &[
    ("build.sh", true, include_str!("../../../images/tiny-linux/build.sh")),
    ("rootfs/bin/agent", true, include_str!("../../../images/tiny-linux/rootfs/bin/agent")),
    ("rootfs/bin/banner", true, include_str!("../../../images/tiny-linux/rootfs/bin/banner")),
    ("rootfs/bin/disk-watch", true, include_str!("../../../images/tiny-linux/rootfs/bin/disk-watch")),
    ("rootfs/etc/acpi/PWRF/00000080", true, include_str!("../../../images/tiny-linux/rootfs/etc/acpi/PWRF/00000080")),
    ("rootfs/etc/init.d/rcK", true, include_str!("../../../images/tiny-linux/rootfs/etc/init.d/rcK")),
    ("rootfs/etc/init.d/rcS", true, include_str!("../../../images/tiny-linux/rootfs/etc/init.d/rcS")),
    ("rootfs/etc/inittab", false, include_str!("../../../images/tiny-linux/rootfs/etc/inittab")),
    ("rootfs/init", true, include_str!("../../../images/tiny-linux/rootfs/init")),
    (
        "rootfs/lib/tiny-linux/settings",
        false,
        include_str!("../../../images/tiny-linux/rootfs/lib/tiny-linux/settings"),
    ),
    ("rootfs/lib/tiny-linux/system", false, include_str!("../../../images/tiny-linux/rootfs/lib/tiny-linux/system")),
];

/// What a built image holds besides its `kernels/`; `stamp` is written last, so it marks
/// a finished build.
const FILES: &[&str] = &["vmlinuz", "initrd.img", "disk.qcow2", "image.json", "stamp"];
/// Each kernel's files in `kernels/<release>/`.
const KERNEL_FILES: &[&str] = &["vmlinuz", "initrd.img"];

/// Whether `images` holds a finished tiny-linux.
pub fn present(images: &Path) -> bool {
    gureum_qemu::ImageFiles::of(images, TINY_LINUX).is_some() && images.join(TINY_LINUX).join("stamp").is_file()
}

/// Makes sure `images` holds tiny-linux: hard links (or copies) of the user's cached
/// build, made first when needed; without a cache directory it is built in place.
pub fn provide(images: &Path) -> anyhow::Result<()> {
    if gureum_qemu::ImageFiles::of(images, TINY_LINUX).is_some() {
        return Ok(());
    }
    let Some(cache) = cache_dir() else {
        return build(images);
    };
    build(&cache)?;
    std::fs::create_dir_all(images).with_context(|| format!("creating {}", images.display()))?;
    let _lock = lock(images)?;
    if present(images) {
        return Ok(());
    }
    // Linked next to its place, then renamed in: a crash leaves no half image.
    let partial = images.join(format!(".{TINY_LINUX}.partial"));
    let _ = std::fs::remove_dir_all(&partial);
    std::fs::create_dir_all(&partial)?;
    let built = cache.join(TINY_LINUX);
    let kernels: Vec<PathBuf> = std::fs::read_dir(built.join("kernels"))
        .into_iter()
        .flatten()
        .flatten()
        .map(|e| Path::new("kernels").join(e.file_name()))
        .collect();
    for kernel in &kernels {
        std::fs::create_dir_all(partial.join(kernel))?;
    }
    let kernel_files = kernels.iter().flat_map(|k| KERNEL_FILES.iter().map(move |f| k.join(f)));
    for file in FILES.iter().map(PathBuf::from).chain(kernel_files) {
        let (from, to) = (built.join(&file), partial.join(&file));
        // The build replaces files by new ones (never rewrites them), so a link stays valid.
        if std::fs::hard_link(&from, &to).is_err() {
            std::fs::copy(&from, &to).with_context(|| format!("copying {} to {}", from.display(), to.display()))?;
        }
    }
    let target = images.join(TINY_LINUX);
    let _ = std::fs::remove_dir_all(&target);
    std::fs::rename(&partial, &target).with_context(|| format!("placing {}", target.display()))?;
    Ok(())
}

/// The user's cached build: a directory of guest images holding tiny-linux, built when
/// missing.
pub fn cached() -> anyhow::Result<PathBuf> {
    let cache = cache_dir().context("neither XDG_CACHE_HOME nor HOME is set, so there is no cache to build in")?;
    build(&cache)?;
    Ok(cache)
}

/// `$XDG_CACHE_HOME/gureum/guest/<key>` (or `~/.cache/…`), where `key` hashes the build's
/// sources, so a gureum with another guest never uses this one's build.
fn cache_dir() -> Option<PathBuf> {
    let var = |name| std::env::var_os(name).filter(|v| !v.is_empty()).map(PathBuf::from);
    let root = var("XDG_CACHE_HOME").or_else(|| var("HOME").map(|home| home.join(".cache")))?;
    let mut hash = Sha256::new();
    for (path, executable, contents) in SOURCES {
        hash.update(format!("{path}\0{executable}\0{}\0", contents.len()));
        hash.update(contents);
    }
    let key: String = hash.finalize()[..8].iter().map(|b| format!("{b:02x}")).collect();
    Some(root.join("gureum/guest").join(key))
}

/// Runs the carried build script into `images/tiny-linux` unless a finished build is there.
fn build(images: &Path) -> anyhow::Result<()> {
    std::fs::create_dir_all(images).with_context(|| format!("creating {}", images.display()))?;
    let _lock = lock(images)?;
    if present(images) {
        return Ok(());
    }
    let sources = tempfile::tempdir()?;
    for (path, executable, contents) in SOURCES {
        let file = sources.path().join(path);
        std::fs::create_dir_all(file.parent().expect("a file in a directory"))?;
        std::fs::write(&file, contents)?;
        let mode = if *executable { 0o755 } else { 0o644 };
        std::fs::set_permissions(&file, std::fs::Permissions::from_mode(mode))?;
    }
    println!(
        "Building the {TINY_LINUX} guest image from Debian packages in {} (once per host; 10–20 s)…",
        images.display()
    );
    let out = Command::new("sh")
        .arg(sources.path().join("build.sh"))
        .arg(images.join(TINY_LINUX))
        .output()
        .context("running sh for the tiny-linux build")?;
    if !out.status.success() {
        let stderr = String::from_utf8_lossy(&out.stderr);
        let why = stderr.lines().rev().find(|l| !l.trim().is_empty()).unwrap_or("no message");
        anyhow::bail!("building {TINY_LINUX} failed: {}", why.trim());
    }
    Ok(())
}

/// One build or link at a time per directory, across processes.
fn lock(images: &Path) -> anyhow::Result<std::fs::File> {
    let path = images.join(".tiny-linux.lock");
    let file = std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&path)
        .with_context(|| format!("opening {}", path.display()))?;
    file.lock().with_context(|| format!("locking {}", path.display()))?;
    Ok(file)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The binary carries exactly images/tiny-linux: every file, executable or not.
    #[test]
    fn carried_sources_are_the_tree() {
        let tree = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../images/tiny-linux");
        let mut on_disk = vec![];
        let mut dirs = vec![tree.clone()];
        while let Some(dir) = dirs.pop() {
            for entry in std::fs::read_dir(&dir).unwrap() {
                let path = entry.unwrap().path();
                if path.is_dir() {
                    dirs.push(path);
                } else {
                    let executable = std::fs::metadata(&path).unwrap().permissions().mode() & 0o100 != 0;
                    let name = path.strip_prefix(&tree).unwrap().to_string_lossy().into_owned();
                    on_disk.push((name, executable, std::fs::read_to_string(&path).unwrap()));
                }
            }
        }
        on_disk.sort();
        let mut carried: Vec<_> = SOURCES.iter().map(|(p, m, c)| (p.to_string(), *m, c.to_string())).collect();
        carried.sort();
        assert_eq!(carried, on_disk, "SOURCES in guest_image.rs must list images/tiny-linux as it is");
    }
}
