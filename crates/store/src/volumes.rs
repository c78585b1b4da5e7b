use crate::record;
use gureum_model::volume::{VolumeKind, VolumeState};
use uuid::Uuid;

record! {
    pub struct VolumeRecord in "volumes" {
        pub id: Uuid,
        pub project_id: Uuid,
        pub name: String,
        pub connection_id: Uuid,
        pub provider_id: Option<String>,
        pub kind: VolumeKind,
        pub size_gb: i64,
        pub volume_type: String,
        pub zone: String,
        pub image_id: Option<Uuid>,
        pub snapshot_id: Option<Uuid>,
        pub instance_id: Option<Uuid>,
        pub delete_with_instance: bool,
        pub state: VolumeState,
        pub state_reason: Option<String>,
        pub op_id: Option<Uuid>,
        pub generation: i64,
        pub created_by: Uuid,
        pub created_at: i64,
        pub updated_at: i64,
        /// The node of the pool whose host holds it (`None`: the connection's own provider).
        pub node_id: Option<Uuid>,
    }
}
