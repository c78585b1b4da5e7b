use crate::record;
use gureum_model::public_ip::{PublicIpKind, PublicIpState};
use uuid::Uuid;

record! {
    pub struct PublicIpRecord in "public_ips" {
        pub id: Uuid,
        pub project_id: Uuid,
        pub name: String,
        pub connection_id: Uuid,
        pub provider_id: Option<String>,
        pub kind: PublicIpKind,
        pub address: Option<String>,
        pub instance_id: Option<Uuid>,
        pub state: PublicIpState,
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
