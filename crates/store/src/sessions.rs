//! Console sessions: a row per signed-in browser, keyed by the SHA-256 of the cookie's
//! secret. Sliding expiry: each use moves `expires_at` forward.

use crate::db::{Batch, Stmt};
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

impl Store {
    /// Tries of `name` in a row that have not (yet) succeeded, and when the last began.
    pub async fn sign_in_failures(&self, name: &str) -> DbResult<Option<(i64, i64)>> {
        let row = self
            .db
            .query_opt("SELECT failures, last_failed_at FROM sign_in_failures WHERE name = $1", args![name])
            .await?;
        Ok(row.map(|r| (r.int(0), r.int(1))))
    }

    /// Counts a try of `name` at `at` as failed until it succeeds, making the count
    /// `failures`, unless the row changed since it was read as `seen` (another try took
    /// that count first): whether it was counted. Rows of other names last tried before
    /// `forget_before` go.
    pub async fn sign_in_attempt(
        &self,
        name: &str,
        seen: Option<(i64, i64)>,
        failures: i64,
        at: i64,
        forget_before: i64,
    ) -> DbResult<bool> {
        let mut batch = Batch::from(match seen {
            None => Stmt::new(
                "INSERT INTO sign_in_failures (name, failures, last_failed_at) VALUES ($1, $2, $3) \
                 ON CONFLICT (name) DO NOTHING",
                args![name, failures, at],
            ),
            Some((before, last)) => Stmt::new(
                "UPDATE sign_in_failures SET failures = $2, last_failed_at = $3 \
                 WHERE name = $1 AND failures = $4 AND last_failed_at = $5",
                args![name, failures, at, before, last],
            ),
        });
        batch.push(Stmt::new(
            "DELETE FROM sign_in_failures WHERE last_failed_at < $1 AND name <> $2",
            args![forget_before, name],
        ));
        let done = self.db.write(batch).await?;
        Ok(done.first().is_some_and(|r| r.affected == 1))
    }

    /// A wrong password for `name`, found at `at`: the wait before the next try runs
    /// from here (the try was counted when it began).
    pub fn sign_in_failed(name: &str, at: i64) -> Stmt {
        Stmt::new("UPDATE sign_in_failures SET last_failed_at = $2 WHERE name = $1", args![name, at])
    }

    /// A right password: `name`'s count starts again.
    pub fn sign_in_succeeded(name: &str) -> Stmt {
        Stmt::new("DELETE FROM sign_in_failures WHERE name = $1", args![name])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_try_is_counted_once_against_the_count_it_read_and_a_success_ends_the_count() {
        let (url, _dir) = crate::testing::fresh_database().await.expect("test database");
        let store = Store::open(&url).await.expect("opens");
        assert!(store.sign_in_attempt("bob", None, 1, 5, 0).await.unwrap());
        assert!(store.sign_in_attempt("alice", None, 1, 10, 0).await.unwrap());
        assert!(!store.sign_in_attempt("alice", None, 1, 11, 0).await.unwrap(), "a second first try");
        assert!(store.sign_in_attempt("alice", Some((1, 10)), 2, 20, 0).await.unwrap());
        assert!(!store.sign_in_attempt("alice", Some((1, 10)), 2, 21, 0).await.unwrap(), "read before the last");
        assert_eq!(store.sign_in_failures("alice").await.unwrap(), Some((2, 20)));
        // Another name's try forgets rows last tried before the cut, not its own.
        assert!(store.sign_in_attempt("alice", Some((2, 20)), 3, 30, 6).await.unwrap());
        assert_eq!(store.sign_in_failures("bob").await.unwrap(), None, "bob's old row is gone");
        assert_eq!(store.sign_in_failures("alice").await.unwrap(), Some((3, 30)));
        store.write(Store::sign_in_failed("alice", 35)).await.unwrap();
        assert_eq!(store.sign_in_failures("alice").await.unwrap(), Some((3, 35)));
        store.write(Store::sign_in_succeeded("alice")).await.unwrap();
        assert_eq!(store.sign_in_failures("alice").await.unwrap(), None);
    }
}
