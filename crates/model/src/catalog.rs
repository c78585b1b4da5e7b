//! The defaults a fresh gureum offers: instance types and public images (SPEC §4). Every
//! driver knows these public images by name, so one catalog serves all connections.

use crate::image::OsFamily;

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct InstanceTypeDef {
    pub name: &'static str,
    pub vcpus: i64,
    pub memory_mib: i64,
    pub gpu: Option<&'static str>,
    pub price_per_hour: f64,
}

const fn it(name: &'static str, vcpus: i64, memory_gib: i64, price_per_hour: f64) -> InstanceTypeDef {
    InstanceTypeDef { name, vcpus, memory_mib: memory_gib * 1024, gpu: None, price_per_hour }
}

pub const INSTANCE_TYPES: &[InstanceTypeDef] = &[
    it("t1.micro", 1, 1, 0.012),
    it("t1.small", 1, 2, 0.024),
    it("t1.medium", 2, 4, 0.048),
    it("m1.large", 2, 8, 0.096),
    it("m1.xlarge", 4, 16, 0.192),
    it("m1.2xlarge", 8, 32, 0.384),
    it("c1.large", 4, 8, 0.17),
    it("c1.xlarge", 8, 16, 0.34),
    it("r1.large", 2, 16, 0.126),
    it("r1.xlarge", 4, 32, 0.252),
    InstanceTypeDef {
        name: "g1.xlarge",
        vcpus: 8,
        memory_mib: 64 * 1024,
        gpu: Some("1x NVIDIA T4"),
        price_per_hour: 1.2,
    },
    InstanceTypeDef {
        name: "g1.2xlarge",
        vcpus: 16,
        memory_mib: 128 * 1024,
        gpu: Some("2x NVIDIA T4"),
        price_per_hour: 2.4,
    },
];

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ImageDef {
    pub name: &'static str,
    pub os_family: OsFamily,
    pub distribution: &'static str,
    pub version: &'static str,
    /// Needs an instance type with a GPU.
    pub gpu: bool,
    pub min_disk_gb: i64,
    pub max_disk_gb: i64,
    pub size_gb: i64,
}

const fn linux(name: &'static str, distribution: &'static str, version: &'static str, gpu: bool) -> ImageDef {
    ImageDef {
        name,
        os_family: OsFamily::Linux,
        distribution,
        version,
        gpu,
        min_disk_gb: 10,
        max_disk_gb: 2048,
        size_gb: if gpu { 8 } else { 3 },
    }
}

const fn windows(name: &'static str, version: &'static str) -> ImageDef {
    ImageDef {
        name,
        os_family: OsFamily::Windows,
        distribution: "Windows Server",
        version,
        gpu: false,
        min_disk_gb: 50,
        max_disk_gb: 2048,
        size_gb: 20,
    }
}

pub const IMAGES: &[ImageDef] = &[
    linux("ubuntu-20.04", "Ubuntu", "20.04", false),
    linux("ubuntu-20.04-gpu", "Ubuntu", "20.04", true),
    linux("ubuntu-22.04", "Ubuntu", "22.04", false),
    linux("ubuntu-22.04-gpu", "Ubuntu", "22.04", true),
    linux("ubuntu-24.04", "Ubuntu", "24.04", false),
    linux("centos-stream-9", "CentOS Stream", "9", false),
    linux("rocky-8.10", "Rocky Linux", "8.10", false),
    linux("rocky-9.4", "Rocky Linux", "9.4", false),
    linux("alma-8.10", "AlmaLinux", "8.10", false),
    linux("alma-9.4", "AlmaLinux", "9.4", false),
    windows("windows-server-2019", "2019"),
    windows("windows-server-2019-mssql-2019", "2019 + MSSQL 2019"),
    windows("windows-server-2022", "2022"),
];

/// The guest gureum builds itself (images/tiny-linux): a Debian cloud kernel and busybox
/// in an initramfs, offered on the local QEMU connection only.
pub const TINY_LINUX: ImageDef = ImageDef {
    name: "tiny-linux",
    os_family: OsFamily::Linux,
    distribution: "tiny-linux",
    version: "1",
    gpu: false,
    min_disk_gb: 1,
    max_disk_gb: 64,
    size_gb: 1,
};

pub fn image(name: &str) -> Option<&'static ImageDef> {
    IMAGES.iter().find(|i| i.name == name)
}

pub fn instance_type(name: &str) -> Option<&'static InstanceTypeDef> {
    INSTANCE_TYPES.iter().find(|t| t.name == name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_valid_and_unique() {
        let mut seen = std::collections::HashSet::new();
        for n in IMAGES.iter().map(|i| i.name).chain(INSTANCE_TYPES.iter().map(|t| t.name)) {
            crate::Name::parse("name", n).unwrap();
            assert!(seen.insert(n), "{n} twice");
        }
        assert!(image("windows-server-2022").is_some());
        assert_eq!(instance_type("m1.large").unwrap().memory_mib, 8192);
    }
}
