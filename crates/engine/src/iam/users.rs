//! Users, passwords (argon2id) and API tokens (256-bit random, stored as SHA-256).

use crate::views::{links, page_request, ts, ts_opt};
use crate::{Engine, Error, OpContext, Result};
use argon2::Argon2;
use argon2::password_hash::phc::PasswordHash;
use argon2::password_hash::{PasswordHasher, PasswordVerifier};
use base64::Engine as _;
use gureum_api_types::{Me, Page, PasswordSet, ProjectMembership, Token, TokenCreate, TokenCreated, User, UserCreate};
use gureum_model::Name;
use gureum_model::authz::Permission;
use gureum_model::tenancy::TenancyRole;
use gureum_store::{Key, Record, TokenRecord, Update, UserRecord, new_id, now};
use rand::RngCore;
use sha2::{Digest, Sha256};
use std::sync::LazyLock;
use uuid::Uuid;

pub const PASSWORD_MIN: usize = 12;
const TOKEN_PREFIX: &str = "gur_";
/// Record a token's use at most this often (a write per request would cost throughput).
const TOUCH_EVERY_MICROS: i64 = 60 * 1_000_000;

pub(crate) fn hash_secret(secret: &str) -> String {
    hex::encode(Sha256::digest(secret.as_bytes()))
}

/// 32 random bytes after `prefix`, URL-safe.
pub(crate) fn random_secret(prefix: &str) -> String {
    let mut raw = [0u8; 32];
    rand::rng().fill_bytes(&mut raw);
    format!("{prefix}{}", base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(raw))
}

/// A new token row and its secret (shown once).
pub(crate) fn new_token(user_id: Uuid, name: &str, expires_at: Option<i64>) -> (TokenRecord, String) {
    let secret = random_secret(TOKEN_PREFIX);
    let rec = TokenRecord {
        id: new_id(),
        user_id,
        name: name.to_string(),
        secret_hash: hash_secret(&secret),
        created_at: now(),
        expires_at,
        last_used_at: None,
    };
    (rec, secret)
}

/// The hash a sign-in as a name without a password is checked against.
static NO_PASSWORD_HASH: LazyLock<String> =
    LazyLock::new(|| hash_password("a stand-in no user has").expect("a fixed password hashes"));

/// Argon2 spends tens of milliseconds of CPU by design: it runs off the async workers, so
/// the server's other requests go on meanwhile.
async fn off_runtime<T: Send + 'static>(work: impl FnOnce() -> T + Send + 'static) -> Result<T> {
    tokio::task::spawn_blocking(work).await.map_err(|e| Error::Internal(format!("checking a password: {e}")))
}

/// [`hash_password`], off the async workers.
async fn hash_password_off(password: &str) -> Result<String> {
    let password = password.to_string();
    off_runtime(move || hash_password(&password)).await?
}

fn hash_password(password: &str) -> Result<String> {
    if password.chars().count() < PASSWORD_MIN {
        return Err(Error::invalid("password", format!("must be at least {PASSWORD_MIN} characters")));
    }
    let hash: PasswordHash = Argon2::default()
        .hash_password(password.as_bytes())
        .map_err(|e| Error::Internal(format!("hashing the password failed: {e}")))?;
    Ok(hash.to_string())
}

fn token_view(t: TokenRecord) -> Token {
    Token {
        id: t.id,
        name: t.name,
        created_at: ts(t.created_at),
        expires_at: ts_opt(t.expires_at),
        last_used_at: ts_opt(t.last_used_at),
    }
}

impl Engine {
    /// Who a bearer token belongs to. Unknown, malformed and expired tokens are all the
    /// same 401 (a caller learns nothing about which tokens exist).
    pub async fn authenticate(&self, bearer: &str, request_id: &str) -> Result<OpContext> {
        let unauthenticated = || Error::Unauthenticated("the bearer token is not valid".into());
        if !bearer.starts_with(TOKEN_PREFIX) {
            return Err(unauthenticated());
        }
        let owner = self.store().token_owner(&hash_secret(bearer)).await?.ok_or_else(unauthenticated)?;
        let t = now();
        if owner.expires_at.is_some_and(|e| e <= t) {
            return Err(Error::Unauthenticated("the bearer token has expired".into()));
        }
        let due = {
            let mut touches = self.inner.token_touches.lock().expect("touch lock");
            let last = touches.get(&owner.token_id).copied().unwrap_or(0);
            let due = t - last > TOUCH_EVERY_MICROS;
            if due {
                touches.insert(owner.token_id, t);
            }
            due
        };
        if due {
            let store = self.store().clone();
            let id = owner.token_id;
            tokio::spawn(async move { store.write(gureum_store::Store::token_touch(id, t)).await });
        }
        Ok(OpContext {
            user_id: owner.user.id,
            user_name: owner.user.name,
            is_admin: owner.user.is_admin,
            request_id: request_id.into(),
        })
    }

    /// Checks a user's password (for console sign-in). Wrong user and wrong password read
    /// the same.
    pub async fn verify_password(&self, name: &str, password: &str, request_id: &str) -> Result<OpContext> {
        let wrong = || Error::Unauthenticated("wrong user name or password".into());
        let user = self.store().get::<UserRecord>(&[], &Key::Name(name.into())).await?;
        // A name without a password is checked against a stand-in hash, so that its
        // answer takes as long as a wrong password's and does not tell the names apart.
        let hash = user.as_ref().and_then(|u| u.password_hash.clone());
        let password = password.to_string();
        let right = off_runtime(move || {
            let hash = hash.as_deref().unwrap_or(&NO_PASSWORD_HASH);
            PasswordHash::new(hash).is_ok_and(|h| Argon2::default().verify_password(password.as_bytes(), &h).is_ok())
        })
        .await?;
        match user {
            Some(u) if right && u.password_hash.is_some() => {
                Ok(OpContext { user_id: u.id, user_name: u.name, is_admin: u.is_admin, request_id: request_id.into() })
            }
            _ => Err(wrong()),
        }
    }

    async fn user_view(&self, u: UserRecord) -> Result<User> {
        let (reseller, customer) = self.tenant_names(u.customer_id).await?;
        Ok(User {
            links: links(format!("/v1/users/{}", u.id), None),
            has_password: u.password_hash.is_some(),
            id: u.id,
            name: u.name,
            is_admin: u.is_admin,
            reseller,
            customer,
            tenancy_role: u.tenancy_role,
            created_at: ts(u.created_at),
        })
    }

    async fn user_record(&self, key: &str) -> Result<UserRecord> {
        self.store().get::<UserRecord>(&[], &Key::parse(key)).await?.ok_or_else(|| Error::not_found("user", key))
    }

    /// A user the caller may manage: themselves, anyone for a system administrator, and
    /// the users of the customers a reseller or customer admin administers.
    async fn user_for(&self, ctx: &OpContext, key: &str) -> Result<UserRecord> {
        let u = self.user_record(key).await?;
        if u.id != ctx.user_id && !self.tenancy_of(ctx).await?.administers_customer(self, u.customer_id).await? {
            return Err(Error::not_found("user", key));
        }
        Ok(u)
    }

    /// Creates a user whose home is a customer the caller administers (default: their
    /// own), with at most the caller's own tenancy role.
    pub async fn user_create(&self, ctx: &OpContext, req: UserCreate) -> Result<User> {
        let tenancy = self.tenancy_of(ctx).await?;
        if !tenancy.is_tenant_admin() {
            return Err(Error::Forbidden(
                "only a system administrator or a reseller or customer admin may create users".into(),
            ));
        }
        if req.is_admin {
            self.require_admin(ctx, "make system administrators")?;
        }
        let name = Name::parse("name", &req.name)?;
        let tenancy_role = req.tenancy_role.unwrap_or(TenancyRole::None);
        if !tenancy.system_admin && tenancy_role > tenancy.role {
            return Err(Error::invalid("tenancy_role", format!("must be at most yours, {}", tenancy.role)));
        }
        let password_hash = match req.password.as_deref() {
            Some(p) => Some(hash_password_off(p).await?),
            None => None,
        };
        let (_, customer) = self.tenant_for_new(&tenancy, req.reseller.as_deref(), req.customer.as_deref()).await?;
        let t = now();
        let u = UserRecord {
            id: new_id(),
            name: name.to_string(),
            password_hash,
            is_admin: req.is_admin,
            customer_id: customer.id,
            tenancy_role,
            generation: 1,
            created_at: t,
            updated_at: t,
        };
        self.store().write(u.insert()).await.map_err(crate::workflow::operations::name_taken("user", name.as_str()))?;
        self.user_view(u).await
    }

    /// The users of every customer the caller administers (all for a system administrator).
    pub async fn user_list(&self, ctx: &OpContext, limit: Option<u32>, cursor: Option<&str>) -> Result<Page<User>> {
        let tenancy = self.tenancy_of(ctx).await?;
        if !tenancy.is_tenant_admin() {
            return Err(Error::Forbidden(
                "only a system administrator or a reseller or customer admin may list users".into(),
            ));
        }
        let page = page_request(limit, cursor)?;
        let rows = self.store().users_visible(tenancy.reach(), &page).await?;
        let next_cursor =
            (rows.len() as u32 == page.limit).then(|| rows.last().map(|r| crate::views::encode_cursor(r.id))).flatten();
        let mut items = Vec::with_capacity(rows.len());
        for u in rows {
            items.push(self.user_view(u).await?);
        }
        Ok(Page { items, next_cursor })
    }

    pub async fn user_get(&self, ctx: &OpContext, key: &str) -> Result<User> {
        let u = self.user_for(ctx, key).await?;
        self.user_view(u).await
    }

    pub async fn user_delete(&self, ctx: &OpContext, key: &str) -> Result<()> {
        let u = self.user_for(ctx, key).await?;
        if !ctx.is_admin && (u.is_admin || !self.tenancy_of(ctx).await?.is_tenant_admin()) {
            return Err(Error::Forbidden(format!("you may not delete user {}", u.name)));
        }
        if u.id == ctx.user_id {
            return Err(Error::Conflict("you cannot delete yourself".into()));
        }
        self.store().write(gureum_store::Store::user_forget(u.id)).await?;
        Ok(())
    }

    pub async fn user_set_password(&self, ctx: &OpContext, key: &str, req: PasswordSet) -> Result<User> {
        let u = self.user_for(ctx, key).await?;
        let hash = hash_password_off(&req.password).await?;
        self.store()
            .write(Update::<UserRecord>::of(u.id).set(UserRecord::password_hash, hash.as_str()).stmt(now()))
            .await?;
        self.user_view(UserRecord { password_hash: Some(hash), ..u }).await
    }

    pub async fn token_create(&self, ctx: &OpContext, user: &str, req: TokenCreate) -> Result<TokenCreated> {
        let u = self.user_for(ctx, user).await?;
        let name = Name::parse("name", &req.name)?;
        let expires_at = match req.expires_in_days {
            None => None,
            Some(d) => {
                gureum_model::validation::in_range("expires_in_days", d, 1, 3650)?;
                Some(now() + d * 24 * 3600 * 1_000_000)
            }
        };
        let (rec, secret) = new_token(u.id, name.as_str(), expires_at);
        self.store().write(rec.insert()).await?;
        Ok(TokenCreated { token: token_view(rec), secret })
    }

    pub async fn token_list(&self, ctx: &OpContext, user: &str) -> Result<Vec<Token>> {
        let u = self.user_for(ctx, user).await?;
        Ok(self
            .store()
            .list_all::<TokenRecord>(&[("user_id", u.id.into())])
            .await?
            .into_iter()
            .map(token_view)
            .collect())
    }

    pub async fn token_delete(&self, ctx: &OpContext, user: &str, token: &str) -> Result<()> {
        let u = self.user_for(ctx, user).await?;
        let Key::Id(id) = Key::parse(token) else {
            return Err(Error::not_found("token", token));
        };
        let t = self
            .store()
            .get::<TokenRecord>(&[("user_id", u.id.into())], &Key::Id(id))
            .await?
            .ok_or_else(|| Error::not_found("token", token))?;
        self.store().write(gureum_store::record::delete::<TokenRecord>(t.id)).await?;
        Ok(())
    }

    pub async fn me(&self, ctx: &OpContext) -> Result<Me> {
        let user = self.user_record(&ctx.user_id.to_string()).await?;
        let reach = self.tenancy_of(ctx).await?.reach();
        let projects = self
            .store()
            .projects_visible(ctx.user_id, reach, &gureum_store::Page { limit: 10_000, after: None })
            .await?;
        let mut memberships = Vec::with_capacity(projects.len());
        for p in projects {
            let role = self.authorize(ctx, &p.id.to_string(), Permission::View).await?.role;
            memberships.push(ProjectMembership { id: p.id, name: p.name, role });
        }
        Ok(Me { user: self.user_view(user).await?, projects: memberships })
    }
}
