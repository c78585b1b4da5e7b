use crate::record;
use gureum_model::image::{ImageState, OsFamily};
use uuid::Uuid;

record! {
    /// Public images have no project (and no connection: every driver maps them by
    /// name); "my images" belong to a project and live in one connection.
    pub struct ImageRecord in "images" {
        pub id: Uuid,
        pub project_id: Option<Uuid>,
        pub name: String,
        pub os_family: OsFamily,
        pub distribution: String,
        pub version: String,
        pub gpu: bool,
        pub min_disk_gb: i64,
        pub max_disk_gb: i64,
        pub size_gb: i64,
        pub connection_id: Option<Uuid>,
        pub provider_id: Option<String>,
        pub source_instance_id: Option<Uuid>,
        pub source_volume_id: Option<Uuid>,
        pub state: ImageState,
        pub state_reason: Option<String>,
        pub op_id: Option<Uuid>,
        pub generation: i64,
        pub created_by: Option<Uuid>,
        pub created_at: i64,
        pub updated_at: i64,
    }
}

record! {
    pub struct InstanceTypeRecord in "instance_types" {
        pub id: Uuid,
        pub name: String,
        pub vcpus: i64,
        pub memory_mib: i64,
        pub gpu: Option<String>,
        pub price_per_hour: f64,
        pub created_at: i64,
    }
}
