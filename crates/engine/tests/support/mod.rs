//! The engine's integration-test harness: a real engine on a fresh database (SQLite, or
//! PostgreSQL with `GUREUM_TEST_DATABASE_URL`) with the zero-latency sim connection
//! `fast`; helpers that build the state a workflow starts from; and [`H::world`], which
//! checks everything a finished workflow must leave behind — nothing running, nothing in
//! a transitional state, the provider's inventory matching the records exactly, and
//! every record agreeing with what the provider says.

#![allow(dead_code)]

pub mod scenarios;
mod world;

use gureum_api_types::*;
use gureum_driver::{ProviderResource, ResourceKind};
use gureum_engine::testing::{FAST, TestEngine};
use gureum_engine::{Cloud, Engine, Error, OpContext, WorkflowHooks};
use gureum_sim::{SimDriver, SimSettings, SimStats};
use gureum_store::{InstanceRecord, InstanceTypeRecord, PublicIpRecord, VolumeRecord, WorkflowRecord, args};
use std::time::Duration;
use uuid::Uuid;

/// How long a test waits for one operation (zero latency: they take milliseconds).
pub const OP_WAIT: Duration = Duration::from_secs(30);

/// Problems found, each with the context it was found in; tests collect them across
/// many runs and fail once with the whole list.
#[derive(Default)]
pub struct Report {
    context: String,
    pub items: Vec<String>,
    /// Problems already reported: a leftover shows up in every later check of the whole
    /// database, but is reported once, with the context that first saw it.
    seen: std::collections::HashSet<String>,
}

impl Report {
    pub fn set_context(&mut self, context: impl Into<String>) {
        self.context = context.into();
    }

    pub fn check(&mut self, ok: bool, problem: impl FnOnce() -> String) {
        if !ok {
            self.fail(problem());
        }
    }

    pub fn fail(&mut self, problem: impl Into<String>) {
        self.items.push(format!("[{}] {}", self.context, problem.into()));
    }

    /// Like [`Report::check`] for problems of the whole database, reported once.
    fn check_once(&mut self, ok: bool, problem: impl FnOnce() -> String) {
        if !ok {
            self.once(problem());
        }
    }

    fn once(&mut self, problem: String) {
        if self.seen.insert(problem.clone()) {
            self.fail(problem);
        }
    }

    /// Fails the test with every problem found.
    pub fn assert_clean(&self) {
        assert!(self.items.is_empty(), "{} problem(s):\n{}", self.items.len(), self.items.join("\n"));
    }
}

pub struct H {
    pub engine: Engine,
    pub admin: OpContext,
    /// Keeps the test database and data directory alive.
    _te: Option<TestEngine>,
}

impl H {
    /// A fresh engine with the zero-latency connection `fast`.
    pub async fn start() -> H {
        let te = TestEngine::start(gureum_sim::registry()).await;
        H { engine: te.engine.clone(), admin: te.admin.clone(), _te: Some(te) }
    }

    /// The harness over an engine the test built itself.
    pub fn on(engine: Engine, admin: OpContext) -> H {
        H { engine, admin, _te: None }
    }

    pub fn engine(&self) -> &Engine {
        &self.engine
    }

    pub fn admin(&self) -> &OpContext {
        &self.admin
    }

    pub async fn project(&self, name: &str) {
        self.engine
            .project_create(&self.admin, ProjectCreate { name: name.into(), description: None, ..Default::default() })
            .await
            .expect("project");
    }

    pub fn hooks(&self, hooks: WorkflowHooks) {
        self.engine().set_workflow_hooks(hooks);
    }

    /// A sim connection with the given settings.
    pub async fn connection(&self, name: &str, settings: serde_json::Value) {
        self.engine()
            .connection_create(
                self.admin(),
                ConnectionCreate {
                    name: name.into(),
                    driver: "sim".into(),
                    region: None,
                    zone: None,
                    credentials: None,
                    settings: Some(settings),
                },
            )
            .await
            .expect("connection");
    }

    /// The simulated cloud's call counters behind a connection (every handle on one
    /// cloud shares them).
    pub async fn sim_stats(&self, connection: &str) -> SimStats {
        let c = self.engine.connection_get(&self.admin, connection).await.expect("connection");
        let dir = self.engine.config().data_dir.join("sim");
        SimDriver::open(&dir, &c.id.to_string(), &c.region, &c.zone, SimSettings::instant()).expect("sim").stats()
    }

    pub async fn cloud(&self, connection: &str) -> Cloud {
        let id = self.engine().connection_get(self.admin(), connection).await.expect("connection").id;
        self.engine().cloud(id).await.expect("cloud")
    }

    /// Waits until the operation has finished and returns it.
    pub async fn finish(&self, project: &str, op: Option<Uuid>) -> Operation {
        let op = op.expect("the call started an operation").to_string();
        // A VM template's operation belongs to no project.
        let o = match self.engine().operation_get(self.admin(), project, &op, Some(OP_WAIT)).await {
            Err(Error::NotFound { .. }) => self.engine().system_operation_get(self.admin(), &op, Some(OP_WAIT)).await,
            found => found,
        }
        .expect("op");
        assert!(o.status.is_finished(), "{} {} still {} after {OP_WAIT:?}: {:?}", o.kind, o.id, o.status, o.steps);
        o
    }

    /// Waits for the operation and requires it to have succeeded.
    pub async fn succeed(&self, project: &str, op: Option<Uuid>) -> Operation {
        let o = self.finish(project, op).await;
        assert_eq!(o.status, OperationStatus::Succeeded, "{} on {} failed: {:?}", o.kind, o.target.name, o.error);
        o
    }

    /// The stored record of an operation (its internal kind and target).
    pub async fn workflow(&self, op: Uuid) -> WorkflowRecord {
        self.engine().store().get_by_id::<WorkflowRecord>(op).await.expect("db").expect("workflow record")
    }

    // ---- building blocks ----

    pub async fn vpc(&self, p: &str, conn: &str) {
        let v = self
            .engine()
            .vpc_create(
                self.admin(),
                p,
                VpcCreate { name: "net".into(), cidr: "10.0.0.0/16".into(), connection: Some(conn.into()) },
            )
            .await
            .expect("vpc");
        self.succeed(p, v.operation_id).await;
    }

    pub async fn subnet(&self, p: &str) {
        let s = self
            .engine()
            .subnet_create(
                self.admin(),
                p,
                "net",
                SubnetCreate { name: "net".into(), cidr: "10.0.1.0/24".into(), zone: None },
            )
            .await
            .expect("subnet");
        self.succeed(p, s.operation_id).await;
    }

    pub async fn security_group(&self, p: &str) {
        let g = self
            .engine()
            .security_group_create(
                self.admin(),
                p,
                SecurityGroupCreate { name: "sg".into(), vpc: "net".into(), description: None },
            )
            .await
            .expect("security group");
        self.succeed(p, g.operation_id).await;
    }

    pub async fn key_pair(&self, p: &str, conn: &str) {
        let k = self
            .engine()
            .key_pair_create(
                self.admin(),
                p,
                KeyPairCreate { name: "kp".into(), public_key: None, connection: Some(conn.into()) },
            )
            .await
            .expect("key pair");
        self.succeed(p, k.operation_id).await;
    }

    /// VPC `net`, subnet `net`, security group `sg`, key pair `kp`.
    pub async fn network(&self, p: &str, conn: &str) {
        self.vpc(p, conn).await;
        self.subnet(p).await;
        self.security_group(p).await;
        self.key_pair(p, conn).await;
    }

    pub async fn volume(&self, p: &str, name: &str, conn: &str) -> Volume {
        let v = self.engine().volume_create(self.admin(), p, volume_req(name, conn)).await.expect("volume");
        self.succeed(p, v.operation_id).await;
        self.engine().volume_get(self.admin(), p, name).await.expect("volume")
    }

    pub async fn static_ip(&self, p: &str, name: &str, conn: &str) -> PublicIp {
        let ip = self
            .engine()
            .public_ip_create(self.admin(), p, PublicIpCreate { name: name.into(), connection: Some(conn.into()) })
            .await
            .expect("public IP");
        self.succeed(p, ip.operation_id).await;
        self.engine().public_ip_get(self.admin(), p, name).await.expect("public IP")
    }

    /// An Active instance in the project's network.
    pub async fn instance(&self, p: &str, name: &str, ip: PublicIpMode, volumes: &[&str]) -> Instance {
        let i =
            self.engine().instance_create(self.admin(), p, instance_req(name, ip, volumes)).await.expect("instance");
        self.succeed(p, i.operation_id).await;
        let i = self.engine().instance_get(self.admin(), p, name).await.expect("instance");
        assert_eq!(i.state, InstanceState::Active);
        i
    }

    pub async fn get_instance(&self, p: &str, name: &str) -> Option<Instance> {
        gone_is_none(self.engine().instance_get(self.admin(), p, name).await)
    }

    pub async fn get_volume(&self, p: &str, name: &str) -> Option<Volume> {
        gone_is_none(self.engine().volume_get(self.admin(), p, name).await)
    }

    pub async fn get_ip(&self, p: &str, name: &str) -> Option<PublicIp> {
        gone_is_none(self.engine().public_ip_get(self.admin(), p, name).await)
    }

    pub async fn get_image(&self, p: &str, name: &str) -> Option<Image> {
        gone_is_none(self.engine().project_image_get(self.admin(), p, name).await)
    }

    /// Resources at the provider carrying `tag` (gureum's id of their record).
    pub async fn tagged(&self, conn: &str, kind: ResourceKind, tag: Uuid) -> Vec<ProviderResource> {
        let tag = tag.to_string();
        let all = self.cloud(conn).await.list(kind).await.expect("provider list");
        all.into_iter().filter(|r| r.tag.as_deref() == Some(tag.as_str())).collect()
    }
}

/// `Ok(x)` → `Some(x)`, not found → `None`, anything else panics.
pub fn gone_is_none<T>(r: Result<T, Error>) -> Option<T> {
    match r {
        Ok(x) => Some(x),
        Err(Error::NotFound { .. }) => None,
        Err(e) => panic!("unexpected error: {e}"),
    }
}

pub fn volume_req(name: &str, conn: &str) -> VolumeCreate {
    VolumeCreate {
        name: name.into(),
        size_gb: 10,
        image: None,
        snapshot: None,
        connection: Some(conn.into()),
        zone: None,
        volume_type: None,
    }
}

pub fn instance_req(name: &str, ip: PublicIpMode, volumes: &[&str]) -> InstanceCreate {
    InstanceCreate {
        name: name.into(),
        instance_type: "t1.micro".into(),
        image: "ubuntu-22.04".into(),
        subnet: "net".into(),
        security_groups: vec!["sg".into()],
        key_pair: Some("kp".into()),
        public_ip: Some(ip),
        volumes: volumes.iter().map(|v| v.to_string()).collect(),
        root_volume_size_gb: None,
        user_data: None,
    }
}

pub fn ssh_rule() -> SecurityGroupRuleCreate {
    SecurityGroupRuleCreate {
        direction: Direction::Inbound,
        protocol: Protocol::Tcp,
        port_from: Some(22),
        port_to: Some(22),
        remote_cidr: None,
    }
}

pub const FAST_CONN: &str = FAST;
