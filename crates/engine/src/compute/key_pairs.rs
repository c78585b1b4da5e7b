//! Key pairs: generated here (the private key is returned once and never stored) or
//! imported. Only the member who created a key pair may delete it.

use crate::views::{links, project_path, ts};
use crate::{Engine, Error, OpContext, ProjectScope, Result};
use gureum_api_types::{KeyPair, KeyPairCreate, ListQuery, Page};
use gureum_driver::CreateSpec;
use gureum_model::Name;
use gureum_model::authz::Permission;
use gureum_model::state::LifecycleState;
use gureum_store::{ConnectionRecord, Key, KeyPairRecord, UserRecord, new_id, now};
use ssh_key::{Algorithm, HashAlg, LineEnding, PrivateKey, PublicKey};

/// `(public key, fingerprint, type)` of an OpenSSH public key.
pub(crate) fn inspect_public_key(s: &str) -> Result<(String, String, String)> {
    let key = PublicKey::from_openssh(s.trim())
        .map_err(|e| Error::invalid("public_key", format!("is not an OpenSSH public key ({e})")))?;
    let text = key.to_openssh().map_err(|e| Error::Internal(e.to_string()))?;
    Ok((text, key.fingerprint(HashAlg::Sha256).to_string(), key.algorithm().as_str().to_string()))
}

/// A new ed25519 key pair: `(private key in OpenSSH format, public key)`.
fn generate() -> Result<(String, String)> {
    let key = PrivateKey::random(&mut ssh_key::rand_core::OsRng, Algorithm::Ed25519)
        .map_err(|e| Error::Internal(format!("key generation failed: {e}")))?;
    let private = key.to_openssh(LineEnding::LF).map_err(|e| Error::Internal(e.to_string()))?;
    let public = key.public_key().to_openssh().map_err(|e| Error::Internal(e.to_string()))?;
    Ok((private.to_string(), public))
}

impl Engine {
    async fn key_pair_view(&self, r: KeyPairRecord, private_key: Option<String>) -> KeyPair {
        KeyPair {
            links: links(project_path(r.project_id, "key-pairs", r.id), r.op_id.map(|o| (r.project_id, o))),
            connection: self.name_of::<ConnectionRecord>(r.connection_id).await,
            created_by: self.name_of::<UserRecord>(r.created_by).await,
            id: r.id,
            name: r.name,
            state: r.state,
            state_reason: r.state_reason,
            fingerprint: r.fingerprint,
            key_type: r.key_type,
            public_key: r.public_key,
            operation_id: r.op_id,
            created_at: ts(r.created_at),
            private_key,
        }
    }

    pub(crate) async fn key_pair_record(&self, scope: &ProjectScope, key: &str) -> Result<KeyPairRecord> {
        self.store()
            .get::<KeyPairRecord>(&scope.filter(), &Key::parse(key))
            .await?
            .ok_or_else(|| Error::not_found("key pair", key))
    }

    pub async fn key_pair_create(&self, ctx: &OpContext, project: &str, req: KeyPairCreate) -> Result<KeyPair> {
        let scope = self.authorize(ctx, project, Permission::ManageResources).await?;
        let name = Name::parse("name", &req.name)?;
        let (private_key, public_text) = match req.public_key {
            Some(pk) => (None, pk),
            None => {
                let (private, public) = generate()?;
                (Some(private), public)
            }
        };
        let (public_key, fingerprint, key_type) = inspect_public_key(&public_text)?;
        let conn = self.resolve_connection(req.connection.as_deref()).await?;
        let (id, op_id, t) = (new_id(), new_id(), now());
        let rec = KeyPairRecord {
            id,
            project_id: scope.id,
            name: name.to_string(),
            connection_id: conn.id,
            provider_id: None,
            public_key,
            fingerprint,
            key_type,
            state: LifecycleState::Creating,
            state_reason: None,
            op_id: Some(op_id),
            generation: 1,
            created_by: ctx.user_id,
            created_at: t,
            updated_at: t,
        };
        let spec =
            CreateSpec::KeyPair { name: rec.name.clone(), tag: id.to_string(), public_key: rec.public_key.clone() };
        self.start_create(ctx, &scope, &rec, spec, LifecycleState::Available.as_str(), gureum_store::Batch::new())
            .await?;
        Ok(self.key_pair_view(rec, private_key).await)
    }

    pub async fn key_pair_get(&self, ctx: &OpContext, project: &str, key: &str) -> Result<KeyPair> {
        let scope = self.authorize(ctx, project, Permission::View).await?;
        Ok(self.key_pair_view(self.key_pair_record(&scope, key).await?, None).await)
    }

    pub async fn key_pair_list(&self, ctx: &OpContext, project: &str, q: &ListQuery) -> Result<Page<KeyPair>> {
        let scope = self.authorize(ctx, project, Permission::View).await?;
        self.list_views::<KeyPairRecord, LifecycleState, _, _>(
            scope.filter().to_vec(),
            q,
            |r| r.id,
            |r| self.key_pair_view(r, None),
        )
        .await
    }

    pub async fn key_pair_delete(&self, ctx: &OpContext, project: &str, key: &str) -> Result<KeyPair> {
        let scope = self.authorize(ctx, project, Permission::ManageResources).await?;
        let r = self.key_pair_record(&scope, key).await?;
        if r.created_by != ctx.user_id {
            let creator = self.name_of::<UserRecord>(r.created_by).await;
            return Err(Error::Forbidden(format!(
                "only the member who created key pair {} ({creator}) may delete it",
                r.name
            )));
        }
        if !r.state.deletable() {
            return Err(Error::Conflict(format!("key pair {} is {}; wait until it is Available", r.name, r.state)));
        }
        let op = self.start_delete(ctx, &scope, &r, "Deleting").await?;
        Ok(self.key_pair_view(KeyPairRecord { state: LifecycleState::Deleting, op_id: Some(op), ..r }, None).await)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_keys_round_trip_and_fingerprint_like_ssh_keygen() {
        let (private, public) = generate().unwrap();
        assert!(private.starts_with("-----BEGIN OPENSSH PRIVATE KEY-----"));
        let (text, fp, kind) = inspect_public_key(&public).unwrap();
        assert!(text.starts_with("ssh-ed25519 "));
        assert!(fp.starts_with("SHA256:"));
        assert_eq!(kind, "ssh-ed25519");
        let e = inspect_public_key("ssh-rsa not-a-key").unwrap_err();
        assert!(matches!(e, Error::Invalid(f) if f.field == "public_key"));
    }
}
