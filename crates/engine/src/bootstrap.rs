//! First start: the catalog, the default `sim` connection and the system administrator.

use crate::{Engine, Result};
use gureum_model::catalog::{IMAGES, INSTANCE_TYPES, ImageDef, TINY_LINUX};
use gureum_model::image::ImageState;
use gureum_model::state::LifecycleState;
use gureum_store::{
    Batch, ConnectionRecord, ImageRecord, InstanceTypeRecord, Key, NodeRecord, PoolRecord, Record, Resources,
    UserRecord, new_id, now,
};

pub const ADMIN_USER: &str = "admin";
/// The connection to this host's QEMU, when it has one.
pub const LOCAL_CONNECTION: &str = "local";

/// What bootstrapping did.
#[derive(Debug, Clone)]
pub struct Bootstrap {
    /// The administrator was created now; here is their first API token (shown once).
    pub admin_token: Option<String>,
}

/// What the secret key check seals.
const KEY_CHECK: &[u8] = b"gureum secret key check";

/// Runs a seeding step once more when its write found a name taken: another server
/// sharing the database seeded the same thing between this one's read and write, and
/// the second pass finds it there.
async fn seeded<T, F: Future<Output = Result<T>>>(step: impl Fn() -> F) -> Result<T> {
    match step().await {
        Err(crate::Error::Conflict(_)) => step().await,
        done => done,
    }
}

impl Engine {
    /// Seeds what is missing; safe to run on every start.
    pub async fn bootstrap(&self) -> Result<Bootstrap> {
        self.check_secret_key().await?;
        seeded(|| self.seed()).await
    }

    async fn seed(&self) -> Result<Bootstrap> {
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
            if let Some(image) = self.missing_public_image(def, None, t).await? {
                batch.push(image.insert());
            }
        }
        if self.connection_missing(crate::provider::connections::DEFAULT_CONNECTION).await? {
            let config = self.config();
            let mut sim = connection(
                crate::provider::connections::DEFAULT_CONNECTION,
                "sim",
                "sim-1",
                "sim-1a",
                &config.default_sim_settings.to_string(),
                t,
            );
            sim.credentials =
                config.default_sim_credentials.as_ref().map(|c| config.secret_key.seal(c.to_string().as_bytes()));
            batch.push(sim.insert());
        }
        let admin_token = if self.store().count::<UserRecord>(&[]).await? == 0 {
            let admin = UserRecord {
                id: new_id(),
                name: ADMIN_USER.into(),
                password_hash: None,
                is_admin: true,
                customer_id: gureum_model::tenancy::DEFAULT_CUSTOMER_ID,
                tenancy_role: gureum_model::tenancy::TenancyRole::None,
                generation: 1,
                created_at: t,
                updated_at: t,
            };
            let (token, secret) = crate::iam::users::new_token(admin.id, "bootstrap", None);
            batch.push(admin.insert());
            batch.push(token.insert());
            Some(secret)
        } else {
            None
        };
        self.store().write(batch).await?;
        Ok(Bootstrap { admin_token })
    }

    /// Refuses to run with a secret key other than the one this database's sealed values
    /// were made with (servers sharing a database must share the key).
    async fn check_secret_key(&self) -> Result<()> {
        let key = &self.config().secret_key;
        let sealed = self.store().secret_key_check(&key.seal(KEY_CHECK)).await?;
        match key.open(&sealed) {
            Ok(plain) if plain == KEY_CHECK => Ok(()),
            _ => Err(crate::Error::Internal(
                "this database was set up with another secret key, so this server could open none of its \
                 sealed credentials; give every server sharing the database the same key (GUREUM_SECRET_KEY, or \
                 a copy of the first server's <data-dir>/secret.key)"
                    .into(),
            )),
        }
    }

    /// Offers this host's QEMU: the connection [`LOCAL_CONNECTION`] on the qemu driver
    /// with the images in `images_dir`, and the public image tiny-linux on it. Seeds what
    /// is missing; safe to run on every start.
    pub async fn bootstrap_local_host(&self, images_dir: &std::path::Path) -> Result<()> {
        seeded(|| self.seed_local_host(images_dir)).await
    }

    async fn seed_local_host(&self, images_dir: &std::path::Path) -> Result<()> {
        let t = now();
        if self.connection_missing(LOCAL_CONNECTION).await? {
            let settings = serde_json::json!({ "images_dir": images_dir }).to_string();
            let qemu = self.config().drivers.get("qemu").ok_or_else(|| {
                crate::Error::Internal("this server offers its host's QEMU without the qemu driver".into())
            })?;
            let (region, zone) = qemu.default_location();
            let conn = connection(LOCAL_CONNECTION, "qemu", &region, &zone, &settings, t);
            self.store().write(conn.insert()).await?;
        }
        let local = self.connection_record(LOCAL_CONNECTION).await?;
        if let Some(image) = self.missing_public_image(&TINY_LINUX, Some(local.id), t).await? {
            self.store().write(image.insert()).await?;
        }
        Ok(())
    }

    /// The pool [`LOCAL_CONNECTION`] of the local connection, with this host as its node
    /// `node_name` of `capacity` when given (run by this server). A node already there
    /// keeps what an administrator set. Safe to run on every start.
    pub async fn bootstrap_local_pool(&self, node_name: Option<&str>, capacity: Resources) -> Result<()> {
        seeded(|| self.seed_local_pool(node_name, capacity)).await
    }

    async fn seed_local_pool(&self, node_name: Option<&str>, capacity: Resources) -> Result<()> {
        let local = self.connection_record(LOCAL_CONNECTION).await?;
        let pool = match self.pool_of_connection(local.id).await? {
            Some(p) => p,
            None => {
                let t = now();
                let pool = PoolRecord {
                    id: new_id(),
                    name: LOCAL_CONNECTION.into(),
                    connection_id: local.id,
                    cpu_overcommit: crate::fleet::pools::DEFAULT_CPU_OVERCOMMIT,
                    memory_overcommit: crate::fleet::pools::DEFAULT_MEMORY_OVERCOMMIT,
                    disk_overcommit: crate::fleet::pools::DEFAULT_DISK_OVERCOMMIT,
                    generation: 1,
                    created_at: t,
                    updated_at: t,
                    purpose: gureum_model::pool::PoolPurpose::General,
                    name_prefix: gureum_model::pool::DEFAULT_NAME_PREFIX.into(),
                    domain: gureum_model::pool::DEFAULT_DOMAIN.into(),
                    next_name: 1,
                };
                self.store().write(pool.insert()).await?;
                pool
            }
        };
        let Some(node_name) = node_name else { return Ok(()) };
        if self.store().count::<NodeRecord>(&[("pool_id", pool.id.into())]).await? == 0 {
            let node = crate::fleet::pools::new_node(pool.id, node_name, capacity, None, None)?;
            self.store().write(node.insert()).await?;
        }
        Ok(())
    }

    /// This host as node `name` of the pool [`LOCAL_CONNECTION`], its driver served at
    /// `agent_url` to every server (`gureum serve --agent`): what `gureum agent` joins
    /// with a token, done by the server for its own host.
    pub async fn join_local_host(
        &self,
        name: &str,
        agent_url: &str,
        capacity: Resources,
    ) -> Result<gureum_api_types::NodeJoined> {
        let local = self.connection_record(LOCAL_CONNECTION).await?;
        let pool = self.pool_of_connection(local.id).await?.ok_or_else(|| {
            crate::Error::Internal(format!("connection {LOCAL_CONNECTION} has no pool for this host to join"))
        })?;
        self.join_node(pool.id, name, capacity, Some(agent_url.to_string()), Batch::new()).await
    }

    /// Heartbeats of the host [`Engine::join_local_host`] joined, every heartbeat
    /// interval until shutdown; `beat` reads the host's capacity each time.
    pub fn start_host_heartbeat(&self, beat: impl Fn() -> gureum_api_types::NodeHeartbeat + Send + 'static) {
        let engine = self.clone();
        crate::worker::Worker::new("host_heartbeat", self.heartbeat_interval()).spawn(
            self.shutdown_signal(),
            move || {
                let (engine, heartbeat) = (engine.clone(), beat());
                async move { engine.node_heartbeat(heartbeat).await }
            },
        );
    }

    async fn connection_missing(&self, name: &str) -> Result<bool> {
        Ok(self.store().get::<ConnectionRecord>(&[], &Key::Name(name.into())).await?.is_none())
    }

    /// The public image `def` to insert, unless one of that name exists.
    async fn missing_public_image(
        &self,
        def: &ImageDef,
        connection_id: Option<uuid::Uuid>,
        t: i64,
    ) -> Result<Option<ImageRecord>> {
        let filter = [("project_id", gureum_store::Val::Null)];
        if self.store().get::<ImageRecord>(&filter, &Key::Name(def.name.into())).await?.is_some() {
            return Ok(None);
        }
        Ok(Some(ImageRecord {
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
            connection_id,
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
        }))
    }
}

fn connection(name: &str, driver: &str, region: &str, zone: &str, settings: &str, t: i64) -> ConnectionRecord {
    ConnectionRecord {
        id: new_id(),
        name: name.into(),
        driver: driver.into(),
        region: region.into(),
        zone: zone.into(),
        settings: settings.into(),
        credentials: None,
        state: LifecycleState::Available,
        generation: 1,
        created_at: t,
        updated_at: t,
    }
}
