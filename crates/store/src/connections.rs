use crate::record;
use gureum_model::state::LifecycleState;
use uuid::Uuid;

record! {
    /// A provider account gureum manages resources in: driver + credentials + region + zone.
    pub struct ConnectionRecord in "connections" {
        pub id: Uuid,
        pub name: String,
        pub driver: String,
        pub region: String,
        pub zone: String,
        /// Driver settings as JSON (sim: latency, faults, capacity, profile).
        pub settings: String,
        /// Sealed credentials (see the engine's secrets module); never leaves the server.
        pub credentials: Option<String>,
        pub state: LifecycleState,
        pub generation: i64,
        pub created_at: i64,
        pub updated_at: i64,
    }
}
