//! Moving a disk between two hosts of one provider (two nodes of a pool): the source
//! exports it as self-contained bytes, the destination imports them as a new disk.

use serde::{Deserialize, Serialize};

/// A disk's bytes on their way between hosts.
pub type DiskContent = futures::stream::BoxStream<'static, std::io::Result<bytes::Bytes>>;

/// What the receiving host needs besides the bytes to recreate the disk as it was.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DiskManifest {
    pub name: String,
    /// Gureum's id, as on the source.
    pub tag: String,
    pub size_gb: i64,
    pub zone: String,
    pub volume_type: String,
    /// The image the disk boots, for a root disk made from one (the receiving host must
    /// have that image to boot it).
    pub boot_image: Option<String>,
}

/// A detached disk's export: its manifest and a qcow2 image that needs nothing else on
/// the receiving host (a copy-on-write overlay is flattened).
pub struct DiskExport {
    pub manifest: DiskManifest,
    pub content: DiskContent,
}
