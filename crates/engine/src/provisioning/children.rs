//! A stack's resources are ordinary gureum resources made, followed and deleted through
//! the same engine calls (and so the same durable workflows, checks and call budgets) a
//! user's requests go through; here is how each kind is made, read and removed.

use crate::{Engine, Error, OpContext, Result};
use gureum_api_types::{InstanceCreate, SecurityGroupCreate, SecurityGroupRuleCreate, VolumeCreate};
use gureum_driver::ResourceKind;
use gureum_model::instance::InstanceState;
use gureum_model::provisioning::StackResourceKind;
use gureum_model::provisioning::template::RuleDoc;
use gureum_model::public_ip::PublicIpMode;
use gureum_model::state::LifecycleState;
use gureum_model::volume::VolumeState;
use gureum_store::{
    InstanceRecord, Key, PublicIpRecord, SecurityGroupRecord, SecurityGroupRuleRecord, UserRecord, VolumeRecord,
};
use std::time::Duration;
use uuid::Uuid;

/// A stack resource as gureum holds it now.
#[derive(Debug, Clone)]
pub(crate) struct Child {
    pub state: String,
    pub provider_id: Option<String>,
    /// An operation is still running on it.
    pub busy: bool,
    /// That operation, to be woken when it ends.
    pub op: Option<Uuid>,
    /// Made and settled as the stack needs it.
    pub ready: bool,
    /// Why it failed, when it is in an error state.
    pub failed: Option<String>,
}

/// What an instance node is made with.
#[derive(Clone)]
pub(crate) struct InstanceSpec {
    pub instance_type: String,
    pub image: String,
    pub subnet: Uuid,
    pub key_pair: Uuid,
    pub security_groups: Vec<Uuid>,
    pub volumes: Vec<Uuid>,
    pub public_ip: bool,
    pub user_data: Option<String>,
}

/// What a node is made with, by kind.
#[derive(Clone)]
pub(crate) enum ChildSpec {
    SecurityGroup { vpc: Uuid },
    Volume { size_gb: i64, connection: String, zone: String },
    Instance(Box<InstanceSpec>),
}

fn failed(state: &str, reason: &Option<String>) -> Option<String> {
    (state == "Error").then(|| reason.clone().unwrap_or_else(|| "it went into Error".into()))
}

impl Engine {
    /// The context a workflow acts in for the user who started it.
    pub(crate) async fn acting_as(&self, user_id: Uuid, request_id: String) -> Result<OpContext> {
        let u =
            self.store().get_by_id::<UserRecord>(user_id).await?.ok_or_else(|| Error::not_found("user", user_id))?;
        Ok(OpContext { user_id, user_name: u.name, is_admin: u.is_admin, request_id })
    }

    pub(crate) async fn child(&self, kind: StackResourceKind, id: Uuid) -> Result<Option<Child>> {
        let s = self.store();
        Ok(match kind {
            StackResourceKind::Instance => s.get_by_id::<InstanceRecord>(id).await?.map(|r| Child {
                failed: failed(r.state.as_str(), &r.state_reason),
                ready: r.state == InstanceState::Active && r.op_id.is_none(),
                busy: r.op_id.is_some(),
                op: r.op_id,
                state: r.state.as_str().into(),
                provider_id: r.provider_id,
            }),
            StackResourceKind::Volume => s.get_by_id::<VolumeRecord>(id).await?.map(|r| Child {
                failed: failed(r.state.as_str(), &r.state_reason),
                ready: matches!(r.state, VolumeState::Available | VolumeState::InUse) && r.op_id.is_none(),
                busy: r.op_id.is_some(),
                op: r.op_id,
                state: r.state.as_str().into(),
                provider_id: r.provider_id,
            }),
            StackResourceKind::SecurityGroup => match s.get_by_id::<SecurityGroupRecord>(id).await? {
                None => None,
                Some(r) => {
                    let rules = s.list_all::<SecurityGroupRuleRecord>(&[("security_group_id", id.into())]).await?;
                    let rules_busy = rules.iter().any(|r| r.op_id.is_some());
                    let rule_failed = rules.iter().find(|r| r.state == LifecycleState::Error);
                    Some(Child {
                        failed: failed(r.state.as_str(), &r.state_reason).or_else(|| {
                            rule_failed.map(|f| f.state_reason.clone().unwrap_or_else(|| "a rule failed".into()))
                        }),
                        ready: r.state == LifecycleState::Available && r.op_id.is_none() && !rules_busy,
                        busy: r.op_id.is_some() || rules_busy,
                        op: r.op_id.or_else(|| rules.iter().find_map(|x| x.op_id)),
                        state: r.state.as_str().into(),
                        provider_id: r.provider_id,
                    })
                }
            },
        })
    }

    /// Until the operation on a child ends (woken by this server's executor), or a poll
    /// interval passes (another server may run it; it may have ended already).
    pub(crate) async fn child_wait(&self, child: Option<&Child>) {
        match child.and_then(|c| c.op) {
            Some(op) => {
                let mut ended = self.executor().subscribe(op);
                if ended.borrow().is_none() {
                    let _ = tokio::time::timeout(super::stack::POLL, ended.changed()).await;
                }
            }
            None => tokio::time::sleep(super::stack::POLL).await,
        }
    }

    /// The resource of `kind` named `name` in the project: one an interrupted run made
    /// before it could record it (names were checked free when the run began).
    pub(crate) async fn child_named(&self, project: Uuid, kind: StackResourceKind, name: &str) -> Result<Option<Uuid>> {
        let (f, k) = ([("project_id", project.into())], Key::Name(name.to_string()));
        let s = self.store();
        Ok(match kind {
            StackResourceKind::Instance => s.get::<InstanceRecord>(&f, &k).await?.map(|r| r.id),
            StackResourceKind::Volume => s.get::<VolumeRecord>(&f, &k).await?.map(|r| r.id),
            StackResourceKind::SecurityGroup => s.get::<SecurityGroupRecord>(&f, &k).await?.map(|r| r.id),
        })
    }

    pub(crate) async fn child_create(
        &self,
        ctx: &OpContext,
        project: Uuid,
        name: &str,
        spec: ChildSpec,
    ) -> Result<Uuid> {
        let p = project.to_string();
        Ok(match spec {
            ChildSpec::SecurityGroup { vpc } => {
                let req = SecurityGroupCreate { name: name.into(), vpc: vpc.to_string(), description: None };
                self.security_group_create(ctx, &p, req).await?.id
            }
            ChildSpec::Volume { size_gb, connection, zone } => {
                let req = VolumeCreate {
                    name: name.into(),
                    size_gb,
                    image: None,
                    snapshot: None,
                    connection: Some(connection),
                    zone: Some(zone),
                    volume_type: None,
                };
                self.volume_create(ctx, &p, req).await?.id
            }
            ChildSpec::Instance(s) => {
                let req = InstanceCreate {
                    name: name.into(),
                    instance_type: s.instance_type,
                    image: s.image,
                    subnet: s.subnet.to_string(),
                    security_groups: s.security_groups.iter().map(Uuid::to_string).collect(),
                    key_pair: Some(s.key_pair.to_string()),
                    public_ip: s.public_ip.then_some(PublicIpMode::Ephemeral),
                    volumes: s.volumes.iter().map(Uuid::to_string).collect(),
                    root_volume_size_gb: None,
                    user_data: s.user_data,
                };
                self.instance_create(ctx, &p, req).await?.id
            }
        })
    }

    /// Adds the rules a security group of the stack lacks, one at a time (each applies
    /// the group's rules at the provider).
    pub(crate) async fn child_rules(&self, ctx: &OpContext, project: Uuid, sg: Uuid, rules: &[RuleDoc]) -> Result<()> {
        for rule in rules {
            let req = SecurityGroupRuleCreate {
                direction: rule.direction,
                protocol: rule.protocol,
                port_from: rule.port,
                port_to: rule.port,
                remote_cidr: rule.remote_cidr.clone(),
            };
            loop {
                match self.security_group_rule_create(ctx, &project.to_string(), &sg.to_string(), req.clone()).await {
                    Ok(_) => break,
                    // Added by an earlier run of this step.
                    Err(Error::Conflict(m)) if m.contains("already has this rule") => break,
                    // The group is busy applying the previous rule.
                    Err(Error::Conflict(_)) => tokio::time::sleep(Duration::from_millis(100)).await,
                    Err(e) => return Err(e),
                }
            }
        }
        Ok(())
    }

    pub(crate) async fn child_delete(
        &self,
        ctx: &OpContext,
        project: Uuid,
        kind: StackResourceKind,
        id: Uuid,
    ) -> Result<()> {
        let (p, k) = (project.to_string(), id.to_string());
        match kind {
            // Its data volumes are the stack's own nodes, deleted after it.
            StackResourceKind::Instance => self.instance_delete(ctx, &p, &k, false).await.map(|_| ()),
            StackResourceKind::Volume => self.volume_delete(ctx, &p, &k).await.map(|_| ()),
            StackResourceKind::SecurityGroup => self.security_group_delete(ctx, &p, &k).await.map(|_| ()),
        }
    }

    /// Where an instance is reached on `port`: its public IP's address, else its private
    /// address. On QEMU a public IP is ports of 127.0.0.1, one forwarded to each guest
    /// port its security groups open: there it is the port the IP shows it forwards to
    /// `port` (read from the provider, which allocates them).
    pub(crate) async fn child_address(&self, id: Uuid, port: u16) -> Result<(String, u16)> {
        let inst =
            self.store().get_by_id::<InstanceRecord>(id).await?.ok_or_else(|| Error::not_found("instance", id))?;
        let ip = self.store().list_all::<PublicIpRecord>(&[("instance_id", id.into())]).await?.into_iter().next();
        let cloud = self.instance_cloud(inst.connection_id, id).await?;
        let Some(provider_id) =
            ip.as_ref().and_then(|i| i.provider_id.as_ref()).filter(|_| cloud.info().driver == "qemu")
        else {
            return Ok((ip.and_then(|i| i.address).or(inst.private_ip).unwrap_or_default(), port));
        };
        let view = cloud.get(ResourceKind::PublicIp, provider_id).await?;
        let forwarded = view.attrs.get("forwards").and_then(|f| f.get(port.to_string())).and_then(|p| p.as_u64());
        match forwarded.and_then(|p| u16::try_from(p).ok()) {
            Some(host) => Ok(("127.0.0.1".into(), host)),
            None => Err(Error::Conflict(format!(
                "the public IP of instance {} forwards nothing to its port {port} (no security group rule \
                 lets TCP port {port} in from 127.0.0.1)",
                inst.name
            ))),
        }
    }
}
