use crate::record;
use gureum_model::state::LifecycleState;
use uuid::Uuid;

record! {
    pub struct KeyPairRecord in "key_pairs" {
        pub id: Uuid,
        pub project_id: Uuid,
        pub name: String,
        pub connection_id: Uuid,
        pub provider_id: Option<String>,
        pub public_key: String,
        /// `SHA256:…`, as `ssh-keygen -l` prints it.
        pub fingerprint: String,
        pub key_type: String,
        pub state: LifecycleState,
        pub state_reason: Option<String>,
        pub op_id: Option<Uuid>,
        pub generation: i64,
        /// Only this user may delete the key pair.
        pub created_by: Uuid,
        pub created_at: i64,
        pub updated_at: i64,
    }
}
