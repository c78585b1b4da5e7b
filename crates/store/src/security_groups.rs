use crate::record;
use gureum_model::network::{Direction, Protocol};
use gureum_model::state::LifecycleState;
use uuid::Uuid;

record! {
    pub struct SecurityGroupRecord in "security_groups" {
        pub id: Uuid,
        pub project_id: Uuid,
        pub vpc_id: Uuid,
        pub name: String,
        pub description: String,
        pub connection_id: Uuid,
        pub provider_id: Option<String>,
        pub state: LifecycleState,
        pub state_reason: Option<String>,
        pub op_id: Option<Uuid>,
        pub generation: i64,
        pub created_by: Uuid,
        pub created_at: i64,
        pub updated_at: i64,
    }
}

record! {
    pub struct SecurityGroupRuleRecord in "security_group_rules" {
        pub id: Uuid,
        pub project_id: Uuid,
        pub security_group_id: Uuid,
        pub direction: Direction,
        pub protocol: Protocol,
        pub port_from: Option<i64>,
        pub port_to: Option<i64>,
        pub remote_cidr: String,
        pub applied: bool,
        pub state: LifecycleState,
        pub state_reason: Option<String>,
        pub op_id: Option<Uuid>,
        pub generation: i64,
        pub created_by: Uuid,
        pub created_at: i64,
        pub updated_at: i64,
    }
}
