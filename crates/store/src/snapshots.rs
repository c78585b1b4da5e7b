use crate::record;
use gureum_model::state::LifecycleState;
use uuid::Uuid;

record! {
    pub struct SnapshotRecord in "snapshots" {
        pub id: Uuid,
        pub project_id: Uuid,
        pub volume_id: Uuid,
        pub name: String,
        pub connection_id: Uuid,
        pub provider_id: Option<String>,
        pub size_gb: i64,
        pub state: LifecycleState,
        pub state_reason: Option<String>,
        pub op_id: Option<Uuid>,
        pub generation: i64,
        pub created_by: Uuid,
        pub created_at: i64,
        pub updated_at: i64,
        /// The node whose host holds it: its volume's when it was taken.
        pub node_id: Option<Uuid>,
    }
}
