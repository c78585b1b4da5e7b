use crate::Links;
use gureum_model::state::LifecycleState;
use gureum_model::volume::{VolumeAction, VolumeKind, VolumeState};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct Volume {
    pub id: Uuid,
    pub name: String,
    pub kind: VolumeKind,
    pub size_gb: i64,
    pub volume_type: String,
    pub zone: String,
    pub connection: String,
    pub image: Option<String>,
    pub snapshot: Option<String>,
    /// The instance it is attached to.
    pub instance: Option<String>,
    /// The node (host) of the connection's pool that holds the disk, when the connection
    /// has a pool; attaching it to an instance on another node moves the disk there.
    #[serde(default)]
    pub node: Option<String>,
    pub state: VolumeState,
    pub state_reason: Option<String>,
    pub allowed_actions: Vec<VolumeAction>,
    pub operation_id: Option<Uuid>,
    pub created_at: String,
    pub links: Links,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct VolumeCreate {
    /// 1–63 characters: a letter, then letters, digits, `-`, `_` or `.` (not shaped like a UUID).
    #[schema(pattern = "^[A-Za-z][A-Za-z0-9._-]*$", min_length = 1, max_length = 63)]
    pub name: String,
    /// 1–5,120 GB (and within the image's limits when made from an image).
    #[schema(minimum = 1, maximum = 5120)]
    pub size_gb: i64,
    /// Make the volume from an image (name or id).
    #[serde(default)]
    pub image: Option<String>,
    /// Make the volume from a snapshot (name or id).
    #[serde(default)]
    pub snapshot: Option<String>,
    /// Connection name (default `sim`).
    #[serde(default)]
    pub connection: Option<String>,
    /// Default: the connection's zone.
    #[serde(default)]
    pub zone: Option<String>,
    /// A disk type the connection's provider sells (`GET /v1/connections/{c}/capabilities`
    /// lists them); default: its first.
    #[serde(default)]
    #[schema(pattern = "\\S")]
    pub volume_type: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct VolumeAttach {
    /// Instance name or id.
    pub instance: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct VolumeExtend {
    /// The new, larger size in GB (at most 5,120).
    #[schema(minimum = 1, maximum = 5120)]
    pub size_gb: i64,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct VolumeUpload {
    /// Name of the image made from the volume (1–63 characters: a letter, then letters,
    /// digits, `-`, `_` or `.`).
    #[schema(pattern = "^[A-Za-z][A-Za-z0-9._-]*$", min_length = 1, max_length = 63)]
    pub image_name: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct Snapshot {
    pub id: Uuid,
    pub name: String,
    pub volume: String,
    pub size_gb: i64,
    pub state: LifecycleState,
    pub state_reason: Option<String>,
    pub operation_id: Option<Uuid>,
    pub created_at: String,
    pub links: Links,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SnapshotCreate {
    /// 1–63 characters: a letter, then letters, digits, `-`, `_` or `.` (not shaped like a UUID).
    #[schema(pattern = "^[A-Za-z][A-Za-z0-9._-]*$", min_length = 1, max_length = 63)]
    pub name: String,
}
