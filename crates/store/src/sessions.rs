//! Console sessions: a row per signed-in browser, keyed by the SHA-256 of the cookie's
//! secret. Sliding expiry: each use moves `expires_at` forward.

use crate::db::Stmt;
use crate::{DbResult, Store, UserRecord, args, record};

record! {
    pub struct SessionRecord in "sessions" {
        /// SHA-256 (hex) of the session secret; the secret itself is never stored.
        pub id: String,
        pub user_id: uuid::Uuid,
        pub csrf_token: String,
        pub created_at: i64,
        pub expires_at: i64,
        pub last_seen_at: i64,
    }
}

/// A session with the user it belongs to.
#[derive(Debug, Clone)]
pub struct SessionOwner {
    pub session: SessionRecord,
    pub user: UserRecord,
}

impl Store {
    pub async fn session_owner(&self, id: &str) -> DbResult<Option<SessionOwner>> {
        let cols = |prefix: &str, columns: &[&str]| {
            columns.iter().map(|c| format!("{prefix}.{c}")).collect::<Vec<_>>().join(", ")
        };
        let session_cols = <SessionRecord as crate::Record>::COLUMNS;
        let sql = format!(
            "SELECT {}, {} FROM sessions s JOIN users u ON u.id = s.user_id WHERE s.id = $1",
            cols("s", session_cols),
            cols("u", <UserRecord as crate::Record>::COLUMNS)
        );
        let row = self.db.query_opt(&sql, args![id]).await?;
        Ok(row.map(|r| {
            let n = session_cols.len();
            SessionOwner {
                session: <SessionRecord as crate::Record>::from_row(&crate::Row(r.0[..n].to_vec())),
                user: <UserRecord as crate::Record>::from_row(&crate::Row(r.0[n..].to_vec())),
            }
        }))
    }

    /// Moves a session's expiry forward (sliding lifetime).
    pub fn session_touch(id: &str, at: i64, expires_at: i64) -> Stmt {
        Stmt::new("UPDATE sessions SET last_seen_at = $1, expires_at = $2 WHERE id = $3", args![at, expires_at, id])
    }

    pub fn session_delete(id: &str) -> Stmt {
        Stmt::new("DELETE FROM sessions WHERE id = $1", args![id])
    }

    /// Forgets every session that expired before `now`.
    pub fn sessions_purge(now: i64) -> Stmt {
        Stmt::new("DELETE FROM sessions WHERE expires_at < $1", args![now])
    }
}
