//! The kernels an image directory offers (images/tiny-linux/build.sh): `kernels/<release>/`
//! with `vmlinuz` and `initrd.img` each, the default one also at the image's top level
//! and named by `image.json`'s `kernel`. A VM boots the default unless a kernel upgrade
//! chose another (its record's `kernel`).

use crate::vm::ImageFiles;
use gureum_driver::{DriverError, DriverResult};
use std::cmp::Ordering;
use std::path::Path;

/// The release of the image's default kernel, as image.json names it.
pub(crate) fn default_release(image_dir: &Path) -> Option<String> {
    let text = std::fs::read_to_string(image_dir.join("image.json")).ok()?;
    let json: serde_json::Value = serde_json::from_str(&text).ok()?;
    json["kernel"].as_str().map(str::to_string)
}

/// The releases installed in the image, oldest first; an image built before there were
/// several has its default alone.
pub(crate) fn installed(image_dir: &Path) -> Vec<String> {
    let mut releases: Vec<String> = std::fs::read_dir(image_dir.join("kernels"))
        .into_iter()
        .flatten()
        .flatten()
        .filter(|e| e.path().join("vmlinuz").is_file() && e.path().join("initrd.img").is_file())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    if releases.is_empty() {
        releases.extend(default_release(image_dir));
    }
    releases.sort_by(|a, b| compare(a, b));
    releases
}

/// The newest installed release that `wanted` names: the release itself, or a prefix of
/// it ending at a version part ("6.1" is 6.1.x, not 6.12).
pub(crate) fn select(image_dir: &Path, wanted: &str) -> DriverResult<String> {
    let releases = installed(image_dir);
    let names = |r: &String| {
        r.strip_prefix(wanted).is_some_and(|rest| {
            let next = rest.chars().next();
            next.is_none_or(|c| !c.is_ascii_digit()) || wanted.ends_with(|c: char| !c.is_ascii_digit())
        })
    };
    match releases.iter().rfind(|r| !wanted.is_empty() && names(r)) {
        Some(release) => Ok(release.clone()),
        None => Err(DriverError::InvalidRequest(format!(
            "no kernel {wanted:?} in image {}; installed: {}",
            image_dir.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default(),
            releases.join(", ")
        ))),
    }
}

/// The image's files with kernel `release` (the default's are the image's own).
pub(crate) fn boot_files(image: ImageFiles, image_dir: &Path, release: Option<&str>) -> DriverResult<ImageFiles> {
    let Some(release) = release else { return Ok(image) };
    let dir = image_dir.join("kernels").join(release);
    let (kernel, initrd) = (dir.join("vmlinuz"), dir.join("initrd.img"));
    if kernel.is_file() && initrd.is_file() {
        return Ok(ImageFiles { kernel, initrd, ..image });
    }
    if default_release(image_dir).as_deref() == Some(release) {
        return Ok(image);
    }
    Err(DriverError::InvalidRequest(format!(
        "kernel {release} is no longer in image {}; installed: {}",
        image_dir.display(),
        installed(image_dir).join(", ")
    )))
}

/// Version order: runs of digits compare as numbers, the rest as text.
fn compare(a: &str, b: &str) -> Ordering {
    fn parts(s: &str) -> Vec<(bool, &str)> {
        let mut out = vec![];
        let mut start = 0;
        for (i, c) in s.char_indices().skip(1) {
            let prev = s[..i].chars().next_back().is_some_and(|p| p.is_ascii_digit());
            if c.is_ascii_digit() != prev {
                out.push((prev, &s[start..i]));
                start = i;
            }
        }
        if !s.is_empty() {
            out.push((s[start..].starts_with(|c: char| c.is_ascii_digit()), &s[start..]));
        }
        out
    }
    for (x, y) in parts(a).into_iter().zip(parts(b)) {
        let order = match (x, y) {
            ((true, x), (true, y)) => x.parse::<u64>().unwrap_or(0).cmp(&y.parse().unwrap_or(0)),
            ((_, x), (_, y)) => x.cmp(y),
        };
        if order != Ordering::Equal {
            return order;
        }
    }
    a.len().cmp(&b.len())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn image(releases: &[&str]) -> tempfile::TempDir {
        let dir = tempfile::tempdir().unwrap();
        for r in releases {
            let k = dir.path().join("kernels").join(r);
            std::fs::create_dir_all(&k).unwrap();
            std::fs::write(k.join("vmlinuz"), "").unwrap();
            std::fs::write(k.join("initrd.img"), "").unwrap();
        }
        std::fs::write(dir.path().join("image.json"), r#"{"kernel": "6.1.0-9-cloud-amd64"}"#).unwrap();
        dir
    }

    #[test]
    fn a_prefix_names_the_newest_of_its_version_and_a_release_itself() {
        let dir = image(&["6.1.0-9-cloud-amd64", "6.1.0-10-cloud-amd64", "6.12.9+deb12-cloud-amd64", "broken-6.12.9"]);
        let pick = |w: &str| select(dir.path(), w);
        assert_eq!(pick("6.1").unwrap(), "6.1.0-10-cloud-amd64", "6.1 is not 6.12; 10 is newer than 9");
        assert_eq!(pick("6.12").unwrap(), "6.12.9+deb12-cloud-amd64", "the broken one is asked for by name");
        assert_eq!(pick("6.1.0-9-cloud-amd64").unwrap(), "6.1.0-9-cloud-amd64");
        assert_eq!(pick("broken").unwrap(), "broken-6.12.9");
        match pick("5.10") {
            Err(DriverError::InvalidRequest(m)) => {
                assert!(m.contains("installed: 6.1.0-9") && m.contains("broken"), "{m}")
            }
            other => panic!("{other:?}"),
        }
        assert!(pick("").is_err());
    }

    #[test]
    fn an_image_without_kernels_has_its_default() {
        let dir = image(&[]);
        assert_eq!(installed(dir.path()), ["6.1.0-9-cloud-amd64"]);
    }
}
