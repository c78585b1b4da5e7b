//! The provider's last view of each instance's VM, and when it was seen (see migration 6).

use crate::db::Stmt;
use crate::{DbResult, Store, args};
use std::collections::HashMap;
use uuid::Uuid;

/// A VM as the provider last described it.
#[derive(Debug, Clone, PartialEq)]
pub struct ProviderView {
    /// `{"id", "status", "attributes"}` as JSON text.
    pub view: String,
    pub seen_at: i64,
}

impl Store {
    /// Records `view` of an instance of `connection`, seen at `seen_at`.
    pub fn provider_view_set(instance_id: Uuid, connection: Uuid, view: &str, seen_at: i64) -> Stmt {
        Stmt::new(
            "INSERT INTO instance_provider_views (instance_id, connection_id, view, seen_at) VALUES ($1, $2, $3, $4) \
             ON CONFLICT (instance_id) DO UPDATE SET view = excluded.view, seen_at = excluded.seen_at",
            args![instance_id, connection, view, seen_at],
        )
    }

    /// Forgets an instance's view (its VM is gone: shelved, deleted, unregistered).
    pub fn provider_view_forget(instance_id: Uuid) -> Stmt {
        Stmt::new("DELETE FROM instance_provider_views WHERE instance_id = $1", args![instance_id])
    }

    pub async fn provider_view(&self, instance_id: Uuid) -> DbResult<Option<ProviderView>> {
        let row = self
            .db
            .query_opt("SELECT view, seen_at FROM instance_provider_views WHERE instance_id = $1", args![instance_id])
            .await?;
        Ok(row.map(|r| ProviderView { view: r.text(0), seen_at: r.int(1) }))
    }

    /// The views of every instance of a connection, by instance.
    pub async fn provider_views_of(&self, connection: Uuid) -> DbResult<HashMap<Uuid, ProviderView>> {
        let rows = self
            .db
            .query(
                "SELECT instance_id, view, seen_at FROM instance_provider_views WHERE connection_id = $1",
                args![connection],
            )
            .await?;
        Ok(rows.iter().map(|r| (r.uuid(0), ProviderView { view: r.text(1), seen_at: r.int(2) })).collect())
    }
}
