//! Console sessions: signing in with a password makes a session whose secret lives only
//! in the browser's cookie (the database keeps its SHA-256) and whose CSRF token every
//! console form carries back. Sessions slide: each use keeps one alive for
//! [`SESSION_LIFETIME_MICROS`] more.

use crate::{Engine, Error, OpContext, Result};
use base64::Engine as _;
use gureum_model::sign_in;
use gureum_store::{SessionRecord, Store, now};
use rand::RngCore;
use sha2::{Digest, Sha256};

/// 12 hours since the last use.
pub const SESSION_LIFETIME_MICROS: i64 = 12 * 3600 * 1_000_000;
/// The longest user name a sign-in count is kept under.
const MAX_NAME_KEY: usize = 128;
/// How many times a try reads the count again when others took it first.
const TAKE_ATTEMPTS: usize = 3;
/// Record a session's use at most this often (each record is a write).
const TOUCH_EVERY_MICROS: i64 = 60 * 1_000_000;

/// A signed-in browser, as the console sees it on each request.
#[derive(Debug, Clone)]
pub struct SessionContext {
    pub ctx: OpContext,
    /// The token every form of this session must send back.
    pub csrf: String,
}

fn random_secret() -> String {
    let mut raw = [0u8; 32];
    rand::rng().fill_bytes(&mut raw);
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(raw)
}

fn session_id(secret: &str) -> String {
    hex::encode(Sha256::digest(secret.as_bytes()))
}

impl Engine {
    /// Checks the password and opens a session: returns `(secret, csrf token)`. A wrong
    /// user name and a wrong password read the same. Tries of one name in a row that
    /// failed make the next wait ([`sign_in`]): a 429 saying how long.
    pub async fn session_create(&self, name: &str, password: &str, request_id: &str) -> Result<(String, String)> {
        // The count's key, bounded: names no user has are counted too.
        let key: String = name.chars().take(MAX_NAME_KEY).collect();
        self.sign_in_try(&key).await?;
        let ctx = match self.verify_password(name, password, request_id).await {
            Err(wrong @ Error::Unauthenticated(_)) => {
                self.store().write(Store::sign_in_failed(&key, now())).await?;
                return Err(wrong);
            }
            checked => checked?,
        };
        let (secret, csrf) = (random_secret(), random_secret());
        let t = now();
        let rec = SessionRecord {
            id: session_id(&secret),
            user_id: ctx.user_id,
            csrf_token: csrf.clone(),
            created_at: t,
            expires_at: t + SESSION_LIFETIME_MICROS,
            last_seen_at: t,
        };
        let mut batch = gureum_store::Batch::from(Store::sessions_purge(t));
        batch.push(gureum_store::Record::insert(&rec));
        batch.push(Store::sign_in_succeeded(&key));
        self.store().write(batch).await?;
        Ok((secret, csrf))
    }

    /// Counts a try of `key` as failed until its password is found right, or refuses it
    /// while the failures before it make it wait. Each try takes the count it read, so
    /// tries sent at once cannot all pass as the first.
    async fn sign_in_try(&self, key: &str) -> Result<()> {
        for _ in 0..TAKE_ATTEMPTS {
            let t = now();
            let seen = self.store().sign_in_failures(key).await?;
            let failures = sign_in::counted(seen, t);
            let wait = sign_in::wait_left(failures, seen.map_or(t, |(_, last)| last), t);
            if !wait.is_zero() {
                return Err(Error::RateLimited(format!(
                    "too many wrong passwords in a row for this user: try again in {} s",
                    wait.as_micros().div_ceil(1_000_000)
                )));
            }
            let forget_before = t - sign_in::FAILURES_KEPT.as_micros() as i64;
            if self.store().sign_in_attempt(key, seen, failures + 1, t, forget_before).await? {
                return Ok(());
            }
        }
        Err(Error::RateLimited("sign-ins as this user are being tried at once: try again".into()))
    }

    /// Who a session cookie belongs to; unknown and expired sessions are both 401.
    pub async fn session_context(&self, secret: &str, request_id: &str) -> Result<SessionContext> {
        let expired = || Error::Unauthenticated("the session has ended; sign in again".into());
        if secret.is_empty() || secret.len() > 128 {
            return Err(expired());
        }
        let id = session_id(secret);
        let owner = self.store().session_owner(&id).await?.ok_or_else(expired)?;
        let t = now();
        if owner.session.expires_at <= t {
            self.store().write(Store::session_delete(&id)).await?;
            return Err(expired());
        }
        if t - owner.session.last_seen_at > TOUCH_EVERY_MICROS {
            self.store().write(Store::session_touch(&id, t, t + SESSION_LIFETIME_MICROS)).await?;
        }
        Ok(SessionContext {
            ctx: OpContext {
                user_id: owner.user.id,
                user_name: owner.user.name,
                is_admin: owner.user.is_admin,
                request_id: request_id.into(),
            },
            csrf: owner.session.csrf_token,
        })
    }

    /// Signs a session out (nothing happens for an unknown one).
    pub async fn session_delete(&self, secret: &str) -> Result<()> {
        self.store().write(Store::session_delete(&session_id(secret))).await?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use crate::testing::TestEngine;
    use gureum_api_types::PasswordSet;

    #[tokio::test]
    async fn a_session_opens_with_the_password_and_closes_on_delete() {
        let t = TestEngine::start(gureum_sim::registry()).await;
        let pw = PasswordSet { password: "correct horse battery".into() };
        t.engine.user_set_password(&t.admin, "admin", pw).await.unwrap();
        assert!(t.engine.session_create("admin", "wrong password!!", "r").await.is_err());
        assert!(t.engine.session_create("nobody", "correct horse battery", "r").await.is_err());
        let (secret, csrf) = t.engine.session_create("admin", "correct horse battery", "r").await.unwrap();
        let s = t.engine.session_context(&secret, "r").await.unwrap();
        assert_eq!(s.ctx.user_name, "admin");
        assert!(s.ctx.is_admin);
        assert_eq!(s.csrf, csrf);
        assert!(t.engine.session_context("not-a-session", "r").await.is_err());
        t.engine.session_delete(&secret).await.unwrap();
        assert!(t.engine.session_context(&secret, "r").await.is_err());
    }
}
