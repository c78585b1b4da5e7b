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

impl crate::Store {
    /// Removes the rules operation `op_id` was deleting from a group.
    pub fn rules_deleted_by(security_group_id: Uuid, op_id: Uuid) -> crate::Stmt {
        crate::Stmt::new(
            "DELETE FROM security_group_rules WHERE security_group_id = $1 AND state = 'Deleting' AND op_id = $2",
            crate::args![security_group_id, op_id],
        )
    }

    /// The rules operation `op_id` touched show its error.
    pub fn rules_failed_by(security_group_id: Uuid, op_id: Uuid, reason: &str, now: i64) -> crate::Stmt {
        crate::Stmt::new(
            "UPDATE security_group_rules SET state = 'Error', state_reason = $1, op_id = NULL, \
             generation = generation + 1, updated_at = $2 WHERE security_group_id = $3 AND op_id = $4",
            crate::args![reason, now, security_group_id, op_id],
        )
    }
}
