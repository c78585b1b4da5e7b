use crate::db::Stmt;
use crate::{DbError, DbResult, Store, args};
use uuid::Uuid;

/// What an earlier request with the same idempotency key did.
#[derive(Debug, Clone)]
pub enum IdempotentReplay {
    /// The key is new: it is now reserved for this request.
    Fresh,
    /// The same request already completed: return its response.
    Done {
        status: u16,
        body: String,
    },
    /// The key was used with a different request, or the first one is still running.
    Mismatch,
    InProgress,
}

impl Store {
    /// Reserves `key` for this request or reports what the first use of it did.
    pub async fn idempotency_begin(
        &self,
        actor: Uuid,
        key: &str,
        method: &str,
        path: &str,
        body_hash: &str,
        now: i64,
    ) -> DbResult<IdempotentReplay> {
        let insert = Stmt::new(
            "INSERT INTO idempotency_keys (actor_id, key, method, path, body_hash, created_at) VALUES ($1, $2, $3, $4, $5, $6)",
            args![actor, key, method, path, body_hash, now],
        );
        match self.db.write(insert).await {
            Ok(_) => return Ok(IdempotentReplay::Fresh),
            Err(DbError::Unique(_)) => {}
            Err(e) => return Err(e),
        }
        let row = self
            .db
            .query_opt(
                "SELECT method, path, body_hash, status_code, response FROM idempotency_keys WHERE actor_id = $1 AND key = $2",
                args![actor, key],
            )
            .await?;
        let Some(r) = row else {
            return Ok(IdempotentReplay::InProgress);
        };
        if r.text(0) != method || r.text(1) != path || r.text(2) != body_hash {
            return Ok(IdempotentReplay::Mismatch);
        }
        Ok(match (r.opt_int(3), r.opt_text(4)) {
            (Some(status), Some(body)) => IdempotentReplay::Done { status: status as u16, body },
            _ => IdempotentReplay::InProgress,
        })
    }

    /// Records the response of the request that reserved `key`.
    pub async fn idempotency_finish(&self, actor: Uuid, key: &str, status: u16, body: &str) -> DbResult<()> {
        self.db
            .write(Stmt::new(
                "UPDATE idempotency_keys SET status_code = $1, response = $2 WHERE actor_id = $3 AND key = $4",
                args![status as i64, body, actor, key],
            ))
            .await
            .map(|_| ())
    }

    /// Frees a key whose request failed on the server, so a retry can run it again.
    pub async fn idempotency_abandon(&self, actor: Uuid, key: &str) -> DbResult<()> {
        self.db
            .write(Stmt::new("DELETE FROM idempotency_keys WHERE actor_id = $1 AND key = $2", args![actor, key]))
            .await
            .map(|_| ())
    }

    /// Forgets keys older than `before`.
    pub async fn idempotency_purge(&self, before: i64) -> DbResult<u64> {
        let r = self.db.write(Stmt::new("DELETE FROM idempotency_keys WHERE created_at < $1", args![before])).await?;
        Ok(r.first().map_or(0, |r| r.affected))
    }
}
