//! Pools and nodes (SPEC §1): a pool groups the hosts of one connection, with overcommit
//! ratios; a node is a host with its capacity. Administrators write them; any signed-in
//! user may read them. Remote hosts join with a one-time token and heartbeat with the
//! secret they got at join; the server's own host is a node without an agent.

use crate::fleet::placement::{capacity_of, free_on};
use crate::iam::users::{hash_secret, random_secret};
use crate::views::{links, ts, ts_opt};
use crate::{Engine, Error, OpContext, Result};
use gureum_api_types::{
    JoinToken, Node, NodeCreate, NodeHeartbeat, NodeJoin, NodeJoined, NodeResources, NodeUpdate, Pool, PoolCreate,
    PoolUpdate,
};
use gureum_model::Name;
use gureum_model::pool::{self, PoolPurpose};
use gureum_store::{
    Batch, ConnectionRecord, JoinTokenRecord, Key, NodeRecord, PoolRecord, Record, Resources, Store, Update, new_id,
    now,
};
use uuid::Uuid;

pub const DEFAULT_CPU_OVERCOMMIT: f64 = 4.0;
pub const DEFAULT_MEMORY_OVERCOMMIT: f64 = 1.0;
pub const DEFAULT_DISK_OVERCOMMIT: f64 = 1.0;
const OVERCOMMIT_MAX: f64 = 100.0;
/// How long a join token stays usable.
const JOIN_TOKEN_LIFETIME_US: i64 = 3600 * 1_000_000;
const JOIN_TOKEN_PREFIX: &str = "gjt_";
const NODE_SECRET_PREFIX: &str = "gns_";

fn ratio(field: &str, v: Option<f64>, default: f64) -> Result<f64> {
    let v = v.unwrap_or(default);
    if !v.is_finite() || v <= 0.0 || v > OVERCOMMIT_MAX {
        return Err(Error::invalid(field, format!("must be a number above 0 and at most {OVERCOMMIT_MAX}, got {v}")));
    }
    Ok(v)
}

fn amount(field: &str, v: i64) -> Result<i64> {
    if !(0..=1 << 40).contains(&v) {
        return Err(Error::invalid(field, format!("must be between 0 and {}, got {v}", 1i64 << 40)));
    }
    Ok(v)
}

fn capacity(prefix: &str, r: NodeResources) -> Result<Resources> {
    Ok(Resources {
        vcpus: amount(&format!("{prefix}vcpus"), r.vcpus)?,
        memory_mib: amount(&format!("{prefix}memory_mib"), r.memory_mib)?,
        disk_gb: amount(&format!("{prefix}disk_gb"), r.disk_gb)?,
    })
}

fn wire(r: Resources) -> NodeResources {
    NodeResources { vcpus: r.vcpus, memory_mib: r.memory_mib, disk_gb: r.disk_gb }
}

impl Engine {
    async fn pool_view(&self, p: PoolRecord) -> Result<Pool> {
        let nodes = self.store().count::<NodeRecord>(&[("pool_id", p.id.into())]).await? as usize;
        Ok(Pool {
            id: p.id,
            connection: self.name_of::<ConnectionRecord>(p.connection_id).await,
            links: links(format!("/v1/pools/{}", p.id), None),
            created_at: ts(p.created_at),
            name: p.name,
            cpu_overcommit: p.cpu_overcommit,
            memory_overcommit: p.memory_overcommit,
            disk_overcommit: p.disk_overcommit,
            purpose: p.purpose,
            name_prefix: p.name_prefix,
            domain: p.domain,
            nodes,
        })
    }

    /// Views of nodes, with what is allocated on each (one query for all of them).
    async fn node_views(&self, nodes: Vec<NodeRecord>) -> Result<Vec<Node>> {
        let ids: Vec<Uuid> = nodes.iter().map(|n| n.id).collect();
        let usage = self.store().node_usage(&ids).await?;
        let pools = self.store().list_all::<PoolRecord>(&[]).await?;
        let shares = self.store().list_all::<gureum_store::PoolNodeRecord>(&[]).await?;
        let t = now();
        let mut views = Vec::with_capacity(nodes.len());
        for n in nodes {
            let pool = pools.iter().find(|p| p.id == n.pool_id).ok_or_else(|| Error::not_found("pool", n.pool_id))?;
            let used = usage.iter().find(|u| u.node_id == n.id);
            let allocated = used.map(|u| u.allocated).unwrap_or_default();
            let shared_with = shares
                .iter()
                .filter(|s| s.node_id == n.id)
                .filter_map(|s| pools.iter().find(|p| p.id == s.pool_id).map(|p| p.name.clone()))
                .collect();
            views.push(Node {
                shared_with,
                id: n.id,
                state: self.node_state(&n, t),
                pool: pool.name.clone(),
                capacity: wire(capacity_of(&n)),
                capacity_pinned: n.capacity_pinned,
                allocated: wire(allocated),
                free: wire(free_on(&n, pool, allocated)),
                instances: used.map_or(0, |u| u.instances),
                last_heartbeat_at: ts_opt(n.last_heartbeat_at),
                created_at: ts(n.created_at),
                links: links(format!("/v1/pools/{}/nodes/{}", pool.id, n.id), None),
                agent_url: n.agent_url,
                name: n.name,
            });
        }
        Ok(views)
    }

    async fn node_view(&self, n: NodeRecord) -> Result<Node> {
        Ok(self.node_views(vec![n]).await?.pop().expect("one view per node"))
    }

    pub(crate) async fn pool_record(&self, key: &str) -> Result<PoolRecord> {
        self.store().get::<PoolRecord>(&[], &Key::parse(key)).await?.ok_or_else(|| Error::not_found("pool", key))
    }

    async fn node_record(&self, pool: &PoolRecord, key: &str) -> Result<NodeRecord> {
        self.store()
            .get::<NodeRecord>(&[("pool_id", pool.id.into())], &Key::parse(key))
            .await?
            .ok_or_else(|| Error::not_found("node", key))
    }

    pub async fn pool_create(&self, ctx: &OpContext, req: PoolCreate) -> Result<Pool> {
        self.require_admin(ctx, "create pools")?;
        let rec = self.new_pool(&req).await?;
        self.store().write(rec.insert()).await.map_err(crate::error::on_unique(|| {
            Error::Conflict(format!(
                "a pool named {} or a general pool of connection {} already exists",
                req.name, req.connection
            ))
        }))?;
        self.pool_view(rec).await
    }

    /// The row of a new pool, validated (not stored).
    async fn new_pool(&self, req: &PoolCreate) -> Result<PoolRecord> {
        let name = Name::parse("name", &req.name)?;
        let conn = self
            .store()
            .get::<ConnectionRecord>(&[], &Key::parse(&req.connection))
            .await?
            .ok_or_else(|| Error::invalid("connection", format!("no connection named {:?}", req.connection)))?;
        let t = now();
        Ok(PoolRecord {
            id: new_id(),
            name: name.to_string(),
            connection_id: conn.id,
            cpu_overcommit: ratio("cpu_overcommit", req.cpu_overcommit, DEFAULT_CPU_OVERCOMMIT)?,
            memory_overcommit: ratio("memory_overcommit", req.memory_overcommit, DEFAULT_MEMORY_OVERCOMMIT)?,
            disk_overcommit: ratio("disk_overcommit", req.disk_overcommit, DEFAULT_DISK_OVERCOMMIT)?,
            generation: 1,
            created_at: t,
            updated_at: t,
            purpose: req.purpose.unwrap_or(PoolPurpose::General),
            name_prefix: pool::name_prefix(
                "name_prefix",
                req.name_prefix.as_deref().unwrap_or(pool::DEFAULT_NAME_PREFIX),
            )?,
            domain: pool::domain("domain", req.domain.as_deref().unwrap_or(pool::DEFAULT_DOMAIN))?,
            next_name: 1,
        })
    }

    pub async fn pool_list(&self, _ctx: &OpContext) -> Result<Vec<Pool>> {
        let mut views = vec![];
        for p in self.store().list_all::<PoolRecord>(&[]).await? {
            views.push(self.pool_view(p).await?);
        }
        Ok(views)
    }

    pub async fn pool_get(&self, _ctx: &OpContext, key: &str) -> Result<Pool> {
        self.pool_view(self.pool_record(key).await?).await
    }

    /// Changes overcommit ratios. Lowering one below what is allocated is allowed: the
    /// instances stay; the nodes just take no more until enough is freed.
    pub async fn pool_update(&self, ctx: &OpContext, key: &str, req: PoolUpdate) -> Result<Pool> {
        self.require_admin(ctx, "change pools")?;
        let mut p = self.pool_record(key).await?;
        p.cpu_overcommit = ratio("cpu_overcommit", req.cpu_overcommit, p.cpu_overcommit)?;
        p.memory_overcommit = ratio("memory_overcommit", req.memory_overcommit, p.memory_overcommit)?;
        p.disk_overcommit = ratio("disk_overcommit", req.disk_overcommit, p.disk_overcommit)?;
        let update = Update::<PoolRecord>::of(p.id)
            .set(PoolRecord::cpu_overcommit, p.cpu_overcommit)
            .set(PoolRecord::memory_overcommit, p.memory_overcommit)
            .set(PoolRecord::disk_overcommit, p.disk_overcommit)
            .guard(PoolRecord::generation, p.generation);
        self.store().write(update.stmt(now())).await?;
        self.pool_view(p).await
    }

    pub async fn pool_delete(&self, ctx: &OpContext, key: &str) -> Result<()> {
        self.require_admin(ctx, "delete pools")?;
        let p = self.pool_record(key).await?;
        let nodes = self.store().count::<NodeRecord>(&[("pool_id", p.id.into())]).await?;
        if nodes > 0 {
            return Err(Error::Conflict(format!("pool {} still has {nodes} nodes; delete them first", p.name)));
        }
        let systems = self.store().count::<gureum_store::VmTemplateRecord>(&[("pool_id", p.id.into())]).await?
            + self
                .store()
                .count::<gureum_store::PersistentVmRecord>(&[
                    ("pool_id", p.id.into()),
                    ("deleted_at", gureum_store::Val::Null),
                ])
                .await?;
        if systems > 0 {
            return Err(Error::Conflict(format!(
                "pool {} still has {systems} VM templates or persistent VMs; delete them first",
                p.name
            )));
        }
        self.store().write(gureum_store::Store::pool_forget(p.id)).await?;
        Ok(())
    }

    /// Nodes of one pool, or of every pool.
    pub async fn node_list(&self, _ctx: &OpContext, pool: Option<&str>) -> Result<Vec<Node>> {
        let nodes = match pool {
            Some(key) => self.nodes_serving(&self.pool_record(key).await?).await?,
            None => self.store().list_all::<NodeRecord>(&[]).await?,
        };
        self.node_views(nodes).await
    }

    pub async fn node_get(&self, _ctx: &OpContext, pool: &str, key: &str) -> Result<Node> {
        let pool = self.pool_record(pool).await?;
        self.node_view(self.node_record(&pool, key).await?).await
    }

    /// Registers a host without an agent: the server's own host, or a simulated host of
    /// a sim connection's pool.
    pub async fn node_create(&self, ctx: &OpContext, pool: &str, req: NodeCreate) -> Result<Node> {
        self.require_admin(ctx, "add nodes")?;
        let pool = self.pool_record(pool).await?;
        let cap = capacity("", NodeResources { vcpus: req.vcpus, memory_mib: req.memory_mib, disk_gb: req.disk_gb })?;
        let rec = new_node(pool.id, &req.name, cap, None, None)?;
        self.store().write(rec.insert()).await.map_err(crate::error::on_unique(|| node_taken(&req.name)))?;
        self.node_view(rec).await
    }

    /// Replaces parts of a node's recorded capacity (lowering it below what is allocated
    /// is allowed, as with overcommit).
    pub async fn node_update(&self, ctx: &OpContext, pool: &str, key: &str, req: NodeUpdate) -> Result<Node> {
        self.require_admin(ctx, "change nodes")?;
        let pool = self.pool_record(pool).await?;
        let mut n = self.node_record(&pool, key).await?;
        n.vcpus = amount("vcpus", req.vcpus.unwrap_or(n.vcpus))?;
        n.memory_mib = amount("memory_mib", req.memory_mib.unwrap_or(n.memory_mib))?;
        n.disk_gb = amount("disk_gb", req.disk_gb.unwrap_or(n.disk_gb))?;
        let sets_capacity = req.vcpus.is_some() || req.memory_mib.is_some() || req.disk_gb.is_some();
        n.capacity_pinned = req.capacity_pinned.unwrap_or(sets_capacity || n.capacity_pinned);
        let update = Update::<NodeRecord>::of(n.id)
            .set(NodeRecord::vcpus, n.vcpus)
            .set(NodeRecord::memory_mib, n.memory_mib)
            .set(NodeRecord::disk_gb, n.disk_gb)
            .set(NodeRecord::capacity_pinned, n.capacity_pinned)
            .guard(NodeRecord::generation, n.generation);
        self.store().write(update.stmt(now())).await?;
        self.node_view(n).await
    }

    /// Removes a node that holds no instance.
    pub async fn node_delete(&self, ctx: &OpContext, pool: &str, key: &str) -> Result<()> {
        self.require_admin(ctx, "delete nodes")?;
        let pool = self.pool_record(pool).await?;
        let n = self.node_record(&pool, key).await?;
        let held = self.store().count_in("node_allocations", &[("node_id", n.id.into())]).await?;
        if held > 0 {
            return Err(Error::Conflict(format!("node {} still holds {held} instances; delete them first", n.name)));
        }
        for (table, what) in [("volumes", "volumes"), ("public_ips", "public IPs"), ("snapshots", "snapshots")] {
            let held = self.store().count_in(table, &[("node_id", n.id.into())]).await?;
            if held > 0 {
                return Err(Error::Conflict(format!("node {} still holds {held} {what}; delete them first", n.name)));
            }
        }
        self.store().write(gureum_store::Store::node_forget(n.id)).await?;
        Ok(())
    }

    /// A token an agent presents once to join `pool` (shown once, stored hashed).
    pub async fn join_token_create(&self, ctx: &OpContext, pool: &str) -> Result<JoinToken> {
        self.require_admin(ctx, "make join tokens")?;
        let pool = self.pool_record(pool).await?;
        let token = random_secret(JOIN_TOKEN_PREFIX);
        let t = now();
        let rec = JoinTokenRecord {
            id: new_id(),
            pool_id: pool.id,
            secret_hash: hash_secret(&token),
            created_at: t,
            expires_at: t + JOIN_TOKEN_LIFETIME_US,
        };
        self.store().write(rec.insert()).await?;
        Ok(JoinToken { pool: pool.name, token, expires_at: ts(rec.expires_at) })
    }

    /// An agent joins with a join token (used up by it) and gets its node's secret.
    pub async fn node_join(&self, req: NodeJoin) -> Result<NodeJoined> {
        let hash = hash_secret(&req.token);
        let token = self
            .store()
            .list_all::<JoinTokenRecord>(&[("secret_hash", hash.into())])
            .await?
            .pop()
            .filter(|t| t.expires_at > now())
            .ok_or_else(|| Error::Unauthenticated("the join token is unknown, used or expired".into()))?;
        check_agent_url(req.agent_url.as_deref())?;
        let cap = capacity("capacity.", req.capacity)?;
        let used = gureum_store::record::delete::<JoinTokenRecord>(token.id).expect_one();
        self.join_node(token.pool_id, &req.name, cap, req.agent_url.clone(), used.into()).await
    }

    /// Node `name` of pool `pool_id` with a new secret, ready as of now, written with
    /// `batch`.
    pub(crate) async fn join_node(
        &self,
        pool_id: Uuid,
        name: &str,
        cap: Resources,
        agent_url: Option<String>,
        mut batch: Batch,
    ) -> Result<NodeJoined> {
        let secret = random_secret(NODE_SECRET_PREFIX);
        let mut rec = new_node(pool_id, name, cap, Some(hash_secret(&secret)), agent_url)?;
        rec.agent_secret = Some(self.config().secret_key.seal(secret.as_bytes()));
        rec.last_heartbeat_at = Some(now());
        batch.push(rec.insert());
        self.store().write(batch).await.map_err(|e| match e {
            gureum_store::DbError::Unique(_) => node_taken(name),
            other => other.into(),
        })?;
        Ok(NodeJoined {
            node: self.node_view(rec).await?,
            secret,
            heartbeat_seconds: self.heartbeat_interval().as_secs().max(1),
        })
    }

    /// An agent's heartbeat: the node is ready again, with the capacity it reports.
    pub async fn node_heartbeat(&self, req: NodeHeartbeat) -> Result<()> {
        let cap = capacity("capacity.", req.capacity)?;
        check_agent_url(req.agent_url.as_deref())?;
        self.store()
            .write(Store::node_heartbeat(&hash_secret(&req.secret), cap, req.agent_url.as_deref(), now()))
            .await
            .map_err(crate::error::on_no_row(|| Error::Unauthenticated("no node has this secret".into())))?;
        Ok(())
    }

    /// How often agents heartbeat: a third of the time after which a node is unreachable.
    pub fn heartbeat_interval(&self) -> std::time::Duration {
        self.config().node_timeout / 3
    }
}

fn check_agent_url(url: Option<&str>) -> Result<()> {
    match url {
        Some(url) if !(url.starts_with("http://") || url.starts_with("https://")) => {
            Err(Error::invalid("agent_url", format!("must be an http(s) URL, got {url:?}")))
        }
        _ => Ok(()),
    }
}

fn node_taken(name: &str) -> Error {
    Error::Conflict(format!("a node named {name} already exists"))
}

pub(crate) fn new_node(
    pool_id: Uuid,
    name: &str,
    cap: Resources,
    secret_hash: Option<String>,
    agent_url: Option<String>,
) -> Result<NodeRecord> {
    let name = Name::parse("name", name)?;
    let t = now();
    Ok(NodeRecord {
        id: new_id(),
        pool_id,
        name: name.to_string(),
        vcpus: cap.vcpus,
        memory_mib: cap.memory_mib,
        disk_gb: cap.disk_gb,
        agent_url,
        secret_hash,
        agent_secret: None,
        last_heartbeat_at: None,
        capacity_pinned: false,
        generation: 1,
        created_at: t,
        updated_at: t,
    })
}
