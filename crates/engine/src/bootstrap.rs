//! First start: the catalog, the default `sim` connection and the system administrator.

use crate::{Engine, Result};
use gureum_model::catalog::{IMAGES, INSTANCE_TYPES};
use gureum_model::image::ImageState;
use gureum_model::state::LifecycleState;
use gureum_store::{Batch, ConnectionRecord, ImageRecord, InstanceTypeRecord, Key, Record, UserRecord, new_id, now};

pub const ADMIN_USER: &str = "admin";

/// What bootstrapping did.
#[derive(Debug, Clone)]
pub struct Bootstrap {
    /// The administrator was created now; here is their first API token (shown once).
    pub admin_token: Option<String>,
}

impl Engine {
    /// Seeds what is missing; safe to run on every start.
    pub async fn bootstrap(&self) -> Result<Bootstrap> {
        let t = now();
        let mut batch = Batch::new();
        for def in INSTANCE_TYPES {
            if self.store().get::<InstanceTypeRecord>(&[], &Key::Name(def.name.into())).await?.is_none() {
                batch.push(
                    InstanceTypeRecord {
                        id: new_id(),
                        name: def.name.into(),
                        vcpus: def.vcpus,
                        memory_mib: def.memory_mib,
                        gpu: def.gpu.map(str::to_string),
                        price_per_hour: def.price_per_hour,
                        created_at: t,
                    }
                    .insert(),
                );
            }
        }
        for def in IMAGES {
            if self
                .store()
                .get::<ImageRecord>(&[("project_id", gureum_store::Val::Null)], &Key::Name(def.name.into()))
                .await?
                .is_none()
            {
                batch.push(
                    ImageRecord {
                        id: new_id(),
                        project_id: None,
                        name: def.name.into(),
                        os_family: def.os_family,
                        distribution: def.distribution.into(),
                        version: def.version.into(),
                        gpu: def.gpu,
                        min_disk_gb: def.min_disk_gb,
                        max_disk_gb: def.max_disk_gb,
                        size_gb: def.size_gb,
                        connection_id: None,
                        provider_id: None,
                        source_instance_id: None,
                        source_volume_id: None,
                        state: ImageState::Active,
                        state_reason: None,
                        op_id: None,
                        generation: 1,
                        created_by: None,
                        created_at: t,
                        updated_at: t,
                    }
                    .insert(),
                );
            }
        }
        if self
            .store()
            .get::<ConnectionRecord>(&[], &Key::Name(crate::connections::DEFAULT_CONNECTION.into()))
            .await?
            .is_none()
        {
            let conn = ConnectionRecord {
                id: new_id(),
                name: crate::connections::DEFAULT_CONNECTION.into(),
                driver: "sim".into(),
                region: "sim-1".into(),
                zone: "sim-1a".into(),
                settings: "{}".into(),
                credentials: None,
                state: LifecycleState::Available,
                generation: 1,
                created_at: t,
                updated_at: t,
            };
            batch.push(conn.insert());
        }
        let admin_token = if self.store().count::<UserRecord>(&[]).await? == 0 {
            let admin = UserRecord {
                id: new_id(),
                name: ADMIN_USER.into(),
                password_hash: None,
                is_admin: true,
                generation: 1,
                created_at: t,
                updated_at: t,
            };
            let (token, secret) = crate::users::new_token(admin.id, "bootstrap", None);
            batch.push(admin.insert());
            batch.push(token.insert());
            Some(secret)
        } else {
            None
        };
        self.store().write(batch).await?;
        Ok(Bootstrap { admin_token })
    }
}
