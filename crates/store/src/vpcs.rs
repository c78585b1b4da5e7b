use crate::record;
use gureum_model::state::LifecycleState;
use uuid::Uuid;

record! {
    pub struct VpcRecord in "vpcs" {
        pub id: Uuid,
        pub project_id: Uuid,
        pub name: String,
        pub connection_id: Uuid,
        pub provider_id: Option<String>,
        pub cidr: String,
        pub state: LifecycleState,
        pub state_reason: Option<String>,
        pub op_id: Option<Uuid>,
        pub generation: i64,
        pub created_by: Uuid,
        pub created_at: i64,
        pub updated_at: i64,
    }
}
