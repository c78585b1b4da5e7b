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

impl crate::Store {
    /// An instance's public IPs that exist at the provider are in use by it.
    pub fn public_ips_in_use_by(instance_id: Uuid, now: i64) -> crate::Stmt {
        crate::Stmt::new(
            "UPDATE public_ips SET state = $1, op_id = NULL, generation = generation + 1, updated_at = $2 \
             WHERE instance_id = $3 AND provider_id IS NOT NULL",
            crate::args![PublicIpState::InUse.as_str(), now, instance_id],
        )
    }
}
