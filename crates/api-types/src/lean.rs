//! Lean provisioning (SPEC §1): VM profiles, software stacks, VM templates and
//! persistent VMs.

use crate::Links;
use gureum_model::image::OsFamily;
use gureum_model::lean::{
    ClockOffset, ConfigurationManagement, Environment, PersistentVmType, TemplateAction, TemplateMode, TemplateState,
};
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

/// Something that happened to a template: an action, or a repair nobody asked for.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct VmTemplateEvent {
    pub at: String,
    pub message: String,
}

/// A VM template: a machine installed once in a template pool and cloned from once it
/// is released. Its OS fields come from its profile.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct VmTemplate {
    pub id: Uuid,
    /// Assigned in sequence from the pool's name prefix and domain.
    pub name: String,
    pub profile: String,
    pub pool: String,
    pub node: Option<String>,
    pub description: String,
    /// From the profile, read-only.
    pub base_profile: OsFamily,
    pub os_type: String,
    pub os_version: String,
    pub install_media: String,
    pub memory_mib: i64,
    pub disk_gb: i64,
    pub vcpus: i64,
    pub clock_offset: ClockOffset,
    /// `first_installation`, `ready_for_use`, `maintenance_mode` or `do_not_use`.
    pub mode: TemplateMode,
    /// The latest released version (0 before the first release).
    pub version: i64,
    /// What its machine is doing.
    pub state: TemplateState,
    pub state_reason: Option<String>,
    /// The action under way (`GET /v1/operations/{id}` follows it).
    pub operation_id: Option<Uuid>,
    /// Generalized (sysprep) since it last ran: it may be released.
    pub sysprepped: bool,
    /// The actions its mode and power allow now.
    pub allowed_actions: Vec<TemplateAction>,
    /// Persistent VMs cloned from it.
    pub persistent_vms: i64,
    /// The latest events, newest last.
    pub events: Vec<VmTemplateEvent>,
    pub created_at: String,
    pub links: Links,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct VmTemplateCreate {
    /// A VM profile (name or id).
    pub profile: String,
    /// A pool whose purpose is `template` (name or id).
    pub pool: String,
    /// A node of that pool (name or id); placement picks one when omitted.
    #[serde(default)]
    pub node: Option<String>,
    #[serde(default)]
    pub description: String,
    /// 256–1,048,576; the profile's when omitted.
    #[serde(default)]
    #[schema(minimum = 256, maximum = 1048576)]
    pub memory_mib: Option<i64>,
    /// 1–5,120; the profile's when omitted.
    #[serde(default)]
    #[schema(minimum = 1, maximum = 5120)]
    pub disk_gb: Option<i64>,
    /// 1–128; the profile's when omitted.
    #[serde(default)]
    #[schema(minimum = 1, maximum = 128)]
    pub vcpus: Option<i64>,
    /// `utc` or `localtime`; the profile's when omitted.
    #[serde(default)]
    pub clock_offset: Option<ClockOffset>,
}

/// Changes a template. Its size applies at its next start; `mode` may only be set to
/// `do_not_use` (the other modes follow from the actions).
#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct VmTemplateUpdate {
    #[serde(default)]
    pub description: Option<String>,
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
    #[serde(default)]
    pub mode: Option<TemplateMode>,
}

/// A persistent VM: an instance cloned from a released template, with its lean fields.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct PersistentVm {
    /// The instance's id.
    pub id: Uuid,
    /// Assigned in sequence from the pool's name prefix and domain.
    pub name: String,
    pub state: gureum_model::instance::InstanceState,
    /// The operation running on its instance, if any.
    pub operation_id: Option<Uuid>,
    pub template: String,
    /// The template version its disk is a clone of.
    pub version: i64,
    pub pool: String,
    pub node: Option<String>,
    pub description: String,
    #[serde(rename = "type")]
    pub vm_type: PersistentVmType,
    pub software_stack: Option<String>,
    pub environment: Option<Environment>,
    pub reseller: Option<String>,
    pub customer: Option<String>,
    pub configuration_management: ConfigurationManagement,
    pub key_pair: Option<String>,
    pub subnet: String,
    pub security_groups: Vec<String>,
    pub created_at: String,
    pub links: Links,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PersistentVmCreate {
    /// A template `ready_for_use` (name or id).
    pub template: String,
    /// A pool whose purpose is `persistent` (name or id).
    pub pool: String,
    /// A node of that pool; placement picks one when omitted.
    #[serde(default)]
    pub node: Option<String>,
    #[serde(default)]
    pub description: String,
    /// `server` (default) or `desktop`.
    #[serde(default, rename = "type")]
    pub vm_type: Option<PersistentVmType>,
    /// A software stack that fits the template's OS type and version.
    #[serde(default)]
    pub software_stack: Option<String>,
    /// One of the environments the software stack offers.
    #[serde(default)]
    pub environment: Option<Environment>,
    /// The caller's when omitted.
    #[serde(default)]
    pub reseller: Option<String>,
    /// The caller's when omitted.
    #[serde(default)]
    pub customer: Option<String>,
    /// `none` (default), `install_only` or `install_and_maintain`.
    #[serde(default)]
    pub configuration_management: Option<ConfigurationManagement>,
    #[serde(default)]
    pub key_pair: Option<String>,
    pub subnet: String,
    #[serde(default)]
    #[schema(schema_with = crate::compute::unique_names)]
    pub security_groups: Vec<String>,
    /// A script (`#!…`) run at every boot, at most 65,536 bytes.
    #[serde(default)]
    pub user_data: Option<String>,
}
