//! Test support for every crate that builds on the engine: a real engine on a fresh
//! database (SQLite, or PostgreSQL with `GUREUM_TEST_DATABASE_URL`), a temporary data
//! directory, the bootstrap done, and a zero-latency simulated connection.

use crate::{Engine, EngineConfig, OpContext, SecretKey};
use gureum_api_types::{ConnectionCreate, ProjectCreate};
use gureum_driver::DriverRegistry;
use gureum_store::{Key, Store, UserRecord};
use std::time::Duration;

/// The connection test resources use: the sim driver with no latency.
pub const FAST: &str = "fast";

pub struct TestEngine {
    pub engine: Engine,
    /// The system administrator.
    pub admin: OpContext,
    /// The admin's bearer token.
    pub admin_token: String,
    pub database_url: String,
    _db_dir: tempfile::TempDir,
    pub data_dir: tempfile::TempDir,
}

impl TestEngine {
    /// A started engine with these drivers (the caller's test registers the simulated
    /// cloud: the engine itself knows no driver) and a `fast` connection (sim, zero
    /// latency).
    pub async fn start(drivers: DriverRegistry) -> TestEngine {
        Self::start_with(drivers, serde_json::json!({ "latency_ms": 0 })).await
    }

    /// Like [`TestEngine::start`] with the `fast` connection's sim settings given.
    pub async fn start_with(drivers: DriverRegistry, fast_settings: serde_json::Value) -> TestEngine {
        let (database_url, db_dir) = gureum_store::testing::fresh_database().await.expect("test database");
        let data_dir = tempfile::tempdir().expect("temp dir");
        let store = Store::open(&database_url).await.expect("open store");
        let mut config = EngineConfig::new(data_dir.path().to_path_buf(), SecretKey::generate()).with_drivers(drivers);
        config.wait_timeout = Duration::from_secs(60);
        let engine = Engine::new(store, config);
        let boot = engine.bootstrap().await.expect("bootstrap");
        let admin_token = boot.admin_token.expect("a fresh install makes an admin");
        let admin = engine.authenticate(&admin_token, "test").await.expect("admin token works");
        engine.start();
        engine
            .connection_create(
                &admin,
                ConnectionCreate {
                    name: FAST.into(),
                    driver: "sim".into(),
                    region: None,
                    zone: None,
                    credentials: None,
                    settings: Some(fast_settings),
                },
            )
            .await
            .expect("fast connection");
        TestEngine { engine, admin, admin_token, database_url, _db_dir: db_dir, data_dir }
    }

    /// Creates a project (the admin becomes its admin).
    pub async fn project(&self, name: &str) {
        self.engine
            .project_create(&self.admin, ProjectCreate { name: name.into(), description: None, ..Default::default() })
            .await
            .expect("project");
    }

    /// A user's context, by name.
    pub async fn context_of(&self, user: &str) -> OpContext {
        let u = self.engine.store().get::<UserRecord>(&[], &Key::Name(user.into())).await.unwrap().expect("user");
        OpContext { user_id: u.id, user_name: u.name, is_admin: u.is_admin, request_id: "test".into() }
    }
}
