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

/// A request that carries an idempotency key: who sent it, the key, and what the key
/// must go with (method, path, the body's hash).
#[derive(Debug, Clone, Copy)]
pub struct IdempotentRequest<'a> {
    pub actor: Uuid,
    pub key: &'a str,
    pub method: &'a str,
    pub path: &'a str,
    pub body_hash: &'a str,
}

impl Store {
    /// Reserves the request's key for it, on server `holder`, or reports what the first
    /// use of the key did. A key whose request was still running on a server not seen
    /// since `dead_before` (it died mid-request) is taken over: the request runs again.
    pub async fn idempotency_begin(
        &self,
        req: &IdempotentRequest<'_>,
        holder: &str,
        now: i64,
        dead_before: i64,
    ) -> DbResult<IdempotentReplay> {
        let IdempotentRequest { actor, key, method, path, body_hash } = *req;
        let insert = Stmt::new(
            "INSERT INTO idempotency_keys (actor_id, key, method, path, body_hash, created_at, holder) \
             VALUES ($1, $2, $3, $4, $5, $6, $7)",
            args![actor, key, method, path, body_hash, now, holder],
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
            _ if self.idempotency_take_over(actor, key, holder, now, dead_before).await? => IdempotentReplay::Fresh,
            _ => IdempotentReplay::InProgress,
        })
    }

    /// Takes an unfinished key over for `holder` when the server holding it is dead: not
    /// seen since `dead_before` (or unknown, with the key older than that).
    async fn idempotency_take_over(
        &self,
        actor: Uuid,
        key: &str,
        holder: &str,
        now: i64,
        dead_before: i64,
    ) -> DbResult<bool> {
        let r = self
            .db
            .write(Stmt::new(
                "UPDATE idempotency_keys SET holder = $1, created_at = $2 \
                 WHERE actor_id = $3 AND key = $4 AND status_code IS NULL AND created_at < $5 \
                 AND COALESCE(holder, '') <> $1 \
                 AND NOT EXISTS (SELECT 1 FROM servers s WHERE s.id = idempotency_keys.holder AND s.seen_at >= $5)",
                args![holder, now, actor, key, dead_before],
            ))
            .await?;
        Ok(r.first().is_some_and(|r| r.affected == 1))
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
