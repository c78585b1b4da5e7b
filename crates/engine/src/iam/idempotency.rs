//! `Idempotency-Key` bookkeeping for the API: a key is reserved by its caller's first
//! request and keeps that request's response, sealed like credentials because a first
//! response may carry a secret shown once (a generated private key, a new API token).

use crate::{Engine, Error, OpContext, Result};
use gureum_store::{IdempotentReplay, IdempotentRequest};

/// What to do with a request that carries an `Idempotency-Key`.
pub enum Replay {
    /// The key is new and now reserved for this request: run it.
    Fresh,
    /// The same request already completed: answer with its response.
    Done { status: u16, body: Vec<u8> },
    /// The key was used with a different request.
    Mismatch,
    /// The first request with this key is still running.
    InProgress,
}

impl Engine {
    /// Reserves `key` for this request, or tells how the first request with it went (a
    /// request a dead server was running is run again).
    pub async fn idempotency_begin(
        &self,
        ctx: &OpContext,
        key: &str,
        method: &str,
        path: &str,
        body_hash: &str,
    ) -> Result<Replay> {
        let req = IdempotentRequest { actor: ctx.user_id, key, method, path, body_hash };
        let (owner, now) = (self.executor().owner(), gureum_store::now());
        let dead_before = crate::worker::servers::dead_before(now);
        Ok(match self.store().idempotency_begin(&req, owner, now, dead_before).await? {
            IdempotentReplay::Fresh => Replay::Fresh,
            IdempotentReplay::Mismatch => Replay::Mismatch,
            IdempotentReplay::InProgress => Replay::InProgress,
            IdempotentReplay::Done { status, body } => {
                let body = self
                    .config()
                    .secret_key
                    .open(&body)
                    .map_err(|e| Error::Internal(format!("a stored response cannot be opened: {e}")))?;
                Replay::Done { status, body }
            }
        })
    }

    /// Keeps the final response of the request that reserved `key`.
    pub async fn idempotency_finish(&self, ctx: &OpContext, key: &str, status: u16, body: &[u8]) -> Result<()> {
        let sealed = self.config().secret_key.seal(body);
        Ok(self.store().idempotency_finish(ctx.user_id, key, status, &sealed).await?)
    }

    /// Frees `key` after a server fault, so a retry runs the request again.
    pub async fn idempotency_abandon(&self, ctx: &OpContext, key: &str) -> Result<()> {
        Ok(self.store().idempotency_abandon(ctx.user_id, key).await?)
    }

    /// Whether the database answers (the readiness probe).
    pub async fn ready(&self) -> Result<()> {
        self.store().ping().await.map_err(|e| Error::Unavailable(e.to_string()))
    }
}
