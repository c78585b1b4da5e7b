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

impl crate::Store {
    /// An instance's volumes settle in `state` with it (except those being deleted or in
    /// error).
    pub fn volumes_settle_with(instance_id: Uuid, state: VolumeState, now: i64) -> crate::Stmt {
        crate::Stmt::new(
            "UPDATE volumes SET state = $1, op_id = NULL, generation = generation + 1, updated_at = $2 \
             WHERE instance_id = $3 AND state NOT IN ('Deleting', 'Error')",
            crate::args![state.as_str(), now, instance_id],
        )
    }

    /// An instance's data volumes come off it, Available.
    pub fn data_volumes_release(instance_id: Uuid, now: i64) -> crate::Stmt {
        crate::Stmt::new(
            "UPDATE volumes SET state = 'Available', instance_id = NULL, op_id = NULL, generation = generation + 1, \
             updated_at = $1 WHERE instance_id = $2 AND kind = 'data'",
            crate::args![now, instance_id],
        )
    }

    /// Forgets an instance's root volume and public IPs that never existed at the
    /// provider (a create that failed before making them).
    pub fn instance_unmade_forget(instance_id: Uuid) -> crate::Batch {
        let mut batch = crate::Batch::new();
        batch.push(crate::Stmt::new(
            "DELETE FROM volumes WHERE instance_id = $1 AND kind = 'root' AND provider_id IS NULL",
            crate::args![instance_id],
        ));
        batch.push(crate::Stmt::new(
            "DELETE FROM public_ips WHERE instance_id = $1 AND provider_id IS NULL",
            crate::args![instance_id],
        ));
        batch
    }
}
