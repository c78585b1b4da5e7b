//! Lean provisioning (SPEC §1): VM profiles and software stacks.

use crate::Links;
use gureum_model::image::OsFamily;
use gureum_model::lean::{ClockOffset, Environment};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct VmProfile {
    pub id: Uuid,
    pub name: String,
    /// `linux` or `windows`: the OS family, read-only once made.
    pub base_profile: OsFamily,
    /// The image the machine is installed from.
    pub install_media: String,
    pub description: String,
    pub os_type: String,
    pub os_version: String,
    pub memory_mib: i64,
    pub disk_gb: i64,
    pub vcpus: i64,
    pub clock_offset: ClockOffset,
    pub created_at: String,
    pub links: Links,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct VmProfileCreate {
    /// 1–63 characters: a letter, then letters, digits, `-`, `_` or `.`.
    #[schema(pattern = "^[A-Za-z][A-Za-z0-9._-]*$", min_length = 1, max_length = 63)]
    pub name: String,
    pub base_profile: OsFamily,
    /// An image (name or id) of the base profile's OS family.
    pub install_media: String,
    #[serde(default)]
    pub description: String,
    /// e.g. Fedora, Gentoo, Ubuntu, Windows Server: 1–64 characters, no control character.
    #[schema(min_length = 1, max_length = 64, pattern = "^[^\\u0000-\\u001f\\u007f-\\u009f]+$")]
    pub os_type: String,
    /// e.g. 18, 2013.0, 22.04: 1–64 characters, no control character.
    #[schema(min_length = 1, max_length = 64, pattern = "^[^\\u0000-\\u001f\\u007f-\\u009f]+$")]
    pub os_version: String,
    /// 256–1,048,576.
    #[schema(minimum = 256, maximum = 1048576)]
    pub memory_mib: i64,
    /// 1–5,120.
    #[schema(minimum = 1, maximum = 5120)]
    pub disk_gb: i64,
    /// 1–128.
    #[schema(minimum = 1, maximum = 128)]
    pub vcpus: i64,
    /// `utc` (default) or `localtime`.
    #[serde(default)]
    pub clock_offset: Option<ClockOffset>,
}

/// Changes a profile; `base_profile` cannot change.
#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct VmProfileUpdate {
    #[serde(default)]
    pub install_media: Option<String>,
    #[serde(default)]
    pub description: Option<String>,
    #[serde(default)]
    #[schema(min_length = 1, max_length = 64, pattern = "^[^\\u0000-\\u001f\\u007f-\\u009f]+$")]
    pub os_type: Option<String>,
    #[serde(default)]
    #[schema(min_length = 1, max_length = 64, pattern = "^[^\\u0000-\\u001f\\u007f-\\u009f]+$")]
    pub os_version: Option<String>,
    #[serde(default)]
    #[schema(minimum = 256, maximum = 1048576)]
    pub memory_mib: Option<i64>,
    #[serde(default)]
    #[schema(minimum = 1, maximum = 5120)]
    pub disk_gb: Option<i64>,
    #[serde(default)]
    #[schema(minimum = 1, maximum = 128)]
    pub vcpus: Option<i64>,
    #[serde(default)]
    pub clock_offset: Option<ClockOffset>,
}

/// An OS a software stack fits.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct OsFit {
    #[schema(min_length = 1, max_length = 64, pattern = "^[^\\u0000-\\u001f\\u007f-\\u009f]+$")]
    pub os_type: String,
    #[schema(min_length = 1, max_length = 64, pattern = "^[^\\u0000-\\u001f\\u007f-\\u009f]+$")]
    pub os_version: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct SoftwareStack {
    pub id: Uuid,
    pub name: String,
    pub version: String,
    pub fits: Vec<OsFit>,
    pub environments: Vec<Environment>,
    pub install_script: String,
    pub created_at: String,
    pub links: Links,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SoftwareStackCreate {
    /// 1–63 characters: a letter, then letters, digits, `-`, `_` or `.`.
    #[schema(pattern = "^[A-Za-z][A-Za-z0-9._-]*$", min_length = 1, max_length = 63)]
    pub name: String,
    /// 1–64 characters, no control character.
    #[schema(min_length = 1, max_length = 64, pattern = "^[^\\u0000-\\u001f\\u007f-\\u009f]+$")]
    pub version: String,
    /// The OS types and versions it can be installed on (at least one, each once).
    #[schema(schema_with = unique_fits)]
    pub fits: Vec<OsFit>,
    /// A subset of test, development, production (may be empty).
    #[serde(default)]
    pub environments: Vec<Environment>,
    /// A script run in the guest: starts with `#!`, at most 65,536 characters.
    #[schema(pattern = "^#!", max_length = 65536)]
    pub install_script: String,
}

/// At least one OS, each once (the server refuses repeats).
fn unique_fits() -> utoipa::openapi::Array {
    use utoipa::openapi::{ArrayBuilder, Ref};
    ArrayBuilder::new().items(Ref::from_schema_name("OsFit")).min_items(Some(1)).unique_items(true).build()
}
