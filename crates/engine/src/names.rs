//! Views show related resources by name. Names never change after creation, so a
//! process-wide id → name cache needs no invalidation; a miss costs one indexed lookup.

use crate::Engine;
use gureum_store::Record;
use uuid::Uuid;

impl Engine {
    pub(crate) fn remember_name(&self, id: Uuid, name: &str) {
        self.inner.names.lock().expect("names lock").insert(id, name.to_string());
    }

    /// The name of the `R` with this id; the id itself if the row is gone.
    pub(crate) async fn name_of<R: Record>(&self, id: Uuid) -> String {
        if let Some(n) = self.inner.names.lock().expect("names lock").get(&id) {
            return n.clone();
        }
        match self.store().name_of::<R>(id).await {
            Ok(Some(name)) => {
                self.remember_name(id, &name);
                name
            }
            // A view still shows the resource when its row is gone or unreadable.
            Ok(None) => id.to_string(),
            Err(e) => {
                tracing::warn!(%id, error = %e, "reading a name for a view");
                id.to_string()
            }
        }
    }

    pub(crate) async fn name_of_opt<R: Record>(&self, id: Option<Uuid>) -> Option<String> {
        match id {
            Some(id) => Some(self.name_of::<R>(id).await),
            None => None,
        }
    }
}
