//! What plan and execute share: the request checked, the template made concrete for this
//! run (its nodes, their names and specs) and every check with its verdict. Nothing here
//! calls a provider: the driver's rules are checked locally, durations come from the
//! connection's latency profile.

use super::library::LibraryTemplate;
use super::parameters::{self, Parameters};
use super::render;
use crate::iam::authz::ProjectScope;
use crate::{Engine, Error, Result};
use gureum_api_types::{PlanCheck, ProvisioningCreate};
use gureum_model::Name;
use gureum_model::image::ImageState;
use gureum_model::provisioning::template::ResourceDoc;
use gureum_model::provisioning::{OnFailure, StackNode, StackResourceKind};
use gureum_model::state::LifecycleState;
use gureum_store::{
    ConnectionRecord, InstanceRecord, Key, KeyPairRecord, SecurityGroupRecord, SubnetRecord, VolumeRecord, VpcRecord,
};
use serde_json::{Value, json};

/// A check whose failure is a conflict (409) rather than bad input (400).
pub(crate) const NAME_FREE: &str = "name_free";

pub(crate) struct Prepared {
    pub template: LibraryTemplate,
    pub name: String,
    pub params: Parameters,
    pub on_failure: OnFailure,
    pub connection: Option<ConnectionRecord>,
    /// What the connection's driver tells of itself (its latency profile).
    pub driver_details: Value,
    pub nodes: Vec<PreparedNode>,
    pub checks: Vec<PlanCheck>,
}

pub(crate) struct PreparedNode {
    pub node: StackNode,
    pub name: String,
    pub spec: Value,
}

impl Prepared {
    pub fn first_failure(&self) -> Option<Error> {
        let c = self.checks.iter().find(|c| !c.passed)?;
        let field = c.field.clone().unwrap_or_else(|| "parameters".into());
        Some(if c.check == NAME_FREE { Error::Conflict(c.message.clone()) } else { Error::invalid(field, &c.message) })
    }
}

struct Checks(Vec<PlanCheck>);

impl Checks {
    fn add(&mut self, check: &str, field: &str, result: std::result::Result<String, String>) -> bool {
        let passed = result.is_ok();
        let message = result.unwrap_or_else(|e| e);
        self.0.push(PlanCheck { check: check.into(), field: Some(field.into()), passed, message });
        passed
    }
}

/// The rendering context of a run before anything exists.
pub(crate) fn base_context(name: &str, params: &Parameters, driver: &str) -> Value {
    let mut ctx = Value::Object(params.values.clone());
    ctx["provisioning"] = json!(name);
    ctx["driver"] = json!(driver);
    ctx
}

/// Where an error about a rendered field points: the parameter it came from, if it is one.
fn field_of(text: &str, key: &str, what: &str) -> String {
    match render::parameter_of(text) {
        Some(p) => format!("parameters.{p}"),
        None => format!("resources.{key}.{what}"),
    }
}

impl Engine {
    pub(crate) async fn prepare(&self, scope: &ProjectScope, req: &ProvisioningCreate) -> Result<Prepared> {
        Name::parse("name", &req.name)?;
        let template = self.library_template("template", &req.template).await?;
        let params = parameters::resolve(&template.doc, &req.name, &req.parameters)?;
        let mut checks = Checks(vec![]);
        let found = |what: &str, key: &str| format!("no {what} {key:?} in this project");

        let vpc = self.store().get::<VpcRecord>(&scope.filter(), &Key::parse(params.str("vpc"))).await?;
        let vpc_ok = match &vpc {
            None => Err(found("VPC", params.str("vpc"))),
            Some(v) if v.state != LifecycleState::Available => Err(format!("VPC {} is {}", v.name, v.state)),
            Some(v) => Ok(format!("VPC {} ({}) is Available", v.name, v.cidr)),
        };
        checks.add("vpc", "parameters.vpc", vpc_ok);
        let subnet = self.store().get::<SubnetRecord>(&scope.filter(), &Key::parse(params.str("subnet"))).await?;
        let subnet_ok = match (&subnet, &vpc) {
            (None, _) => Err(found("subnet", params.str("subnet"))),
            (Some(s), Some(v)) if s.vpc_id != v.id => Err(format!("subnet {} is not in VPC {}", s.name, v.name)),
            (Some(s), _) if s.state != LifecycleState::Available => Err(format!("subnet {} is {}", s.name, s.state)),
            (Some(s), _) => Ok(format!("subnet {} ({}, zone {}) is Available", s.name, s.cidr, s.zone)),
        };
        checks.add("subnet", "parameters.subnet", subnet_ok);
        let key_pair = self.store().get::<KeyPairRecord>(&scope.filter(), &Key::parse(params.str("key_pair"))).await?;
        let kp_ok = match (&key_pair, &vpc) {
            (None, _) => Err(found("key pair", params.str("key_pair"))),
            (Some(k), Some(v)) if k.connection_id != v.connection_id => {
                Err(format!("key pair {} is in another connection than VPC {}", k.name, v.name))
            }
            (Some(k), _) if k.state != LifecycleState::Available => Err(format!("key pair {} is {}", k.name, k.state)),
            (Some(k), _) => Ok(format!("key pair {} is Available", k.name)),
        };
        checks.add("key_pair", "parameters.key_pair", kp_ok);

        let connection = match &vpc {
            Some(v) => self.store().get_by_id::<ConnectionRecord>(v.connection_id).await?,
            None => None,
        };
        let (driver, driver_details) = match &connection {
            Some(c) => {
                let info = self.driver(c.id).await?.info();
                (info.driver, info.details)
            }
            None => (String::new(), Value::Null),
        };
        if let (Some(c), Some(why)) = (&connection, &template.doc.local_refusal) {
            let ok = if driver == "qemu" {
                Err(format!("{} cannot run on {}: {why}", template.doc.name, c.name))
            } else {
                Ok(format!("{} runs on {}", template.doc.name, c.name))
            };
            checks.add("connection", "template", ok);
        }

        let ctx = base_context(&req.name, &params, &driver);
        let nodes = template.doc.expand(|p| params.count(p));
        let mut prepared = Vec::with_capacity(nodes.len());
        for node in nodes {
            let resource = &template.doc.resources[&node.resource];
            let name = match node.kind {
                StackResourceKind::Instance => format!("{}-{}", params.str("prefix"), node.key),
                _ => format!("{}-{}", req.name, node.key),
            };
            let name_field = if node.kind == StackResourceKind::Instance { "parameters.prefix" } else { "name" };
            match Name::parse(name_field, &name) {
                Ok(_) => {
                    let taken = self.name_taken(scope, node.kind, &name).await?;
                    checks.add(
                        NAME_FREE,
                        name_field,
                        if taken {
                            Err(format!("a {} named {name} already exists", node.kind))
                        } else {
                            Ok(format!("{name} is free"))
                        },
                    );
                }
                Err(e) => {
                    checks.add("name", name_field, Err(format!("{name}: {}", e.rule)));
                }
            }
            let spec =
                self.node_spec(scope, &mut checks, resource, &node, &ctx, subnet.as_ref(), connection.as_ref()).await?;
            prepared.push(PreparedNode { node, name, spec });
        }
        if let Some(c) = &connection {
            let field = match template.doc.resources.values().find_map(|r| match r {
                ResourceDoc::Instance {
                    count: Some(gureum_model::provisioning::template::Count::Parameter(p)),
                    ..
                } => Some(p.clone()),
                _ => None,
            }) {
                Some(p) => format!("parameters.{p}"),
                None => "template".to_string(),
            };
            if let Some(verdict) = self.capacity_check(scope, c, &prepared).await? {
                checks.add("capacity", &field, verdict);
            }
        }
        Ok(Prepared {
            template,
            name: req.name.clone(),
            params,
            on_failure: req.on_failure.unwrap_or(OnFailure::Rollback),
            connection,

            driver_details,
            nodes: prepared,
            checks: checks.0,
        })
    }

    /// Whether the stack's instances fit in what the connection's pool has free (`None`:
    /// the connection has no pool to check).
    async fn capacity_check(
        &self,
        scope: &ProjectScope,
        connection: &ConnectionRecord,
        nodes: &[PreparedNode],
    ) -> Result<Option<std::result::Result<String, String>>> {
        let Some((pool, free)) = self.pool_free(connection.id).await? else {
            return Ok(None);
        };
        // Counted instances share their spec: each instance type and image is read once.
        let mut specs: std::collections::BTreeMap<(&str, &str), i64> = Default::default();
        for n in nodes.iter().filter(|n| n.node.kind == StackResourceKind::Instance) {
            let spec =
                (n.spec["instance_type"].as_str().unwrap_or_default(), n.spec["image"].as_str().unwrap_or_default());
            *specs.entry(spec).or_default() += 1;
        }
        let mut need = gureum_store::Resources::default();
        for ((itype, image), count) in specs {
            let itype = self.instance_type_record(itype).await?;
            let image = self.image_for("image", scope.id, image).await.ok();
            let (Some(t), Some(i)) = (itype, image) else { return Ok(None) };
            need.vcpus += t.vcpus * count;
            need.memory_mib += t.memory_mib * count;
            need.disk_gb += i.min_disk_gb * count;
        }
        let short = need.vcpus > free.vcpus || need.memory_mib > free.memory_mib || need.disk_gb > free.disk_gb;
        let what = format!(
            "the stack needs {} vCPUs, {} MiB and {} GB; pool {pool}'s ready nodes have {} vCPUs, {} MiB and {} GB free",
            need.vcpus, need.memory_mib, need.disk_gb, free.vcpus, free.memory_mib, free.disk_gb
        );
        Ok(Some(if short { Err(what) } else { Ok(what) }))
    }

    async fn name_taken(&self, scope: &ProjectScope, kind: StackResourceKind, name: &str) -> Result<bool> {
        let key = Key::Name(name.to_string());
        let f = scope.filter();
        Ok(match kind {
            StackResourceKind::Instance => self.store().get::<InstanceRecord>(&f, &key).await?.is_some(),
            StackResourceKind::Volume => self.store().get::<VolumeRecord>(&f, &key).await?.is_some(),
            StackResourceKind::SecurityGroup => self.store().get::<SecurityGroupRecord>(&f, &key).await?.is_some(),
        })
    }

    /// What a node is made with, with the checks of its instance type and image (once per
    /// template resource).
    #[allow(clippy::too_many_arguments)]
    async fn node_spec(
        &self,
        scope: &ProjectScope,
        checks: &mut Checks,
        resource: &ResourceDoc,
        node: &StackNode,
        ctx: &Value,
        subnet: Option<&SubnetRecord>,
        connection: Option<&ConnectionRecord>,
    ) -> Result<Value> {
        Ok(match resource {
            ResourceDoc::SecurityGroup { rules, .. } => json!({ "rules": rules }),
            ResourceDoc::Volume { size_gb, .. } => json!({ "size_gb": size_gb }),
            ResourceDoc::Instance { instance_type, image, public_ip, .. } => {
                let itype_name = render::render(instance_type, ctx).unwrap_or_default();
                let image_name = render::render(image, ctx).unwrap_or_default();
                let first = node.index.is_none_or(|i| i == 1);
                if first {
                    let itype_field = field_of(instance_type, &node.resource, "instance_type");
                    let image_field = field_of(image, &node.resource, "image");
                    let itype = self.instance_type_record(&itype_name).await?;
                    let itype_ok = itype
                        .as_ref()
                        .map(|t| format!("instance type {} ({} vCPU, {} MiB)", t.name, t.vcpus, t.memory_mib))
                        .ok_or_else(|| format!("unknown instance type {itype_name:?}"));
                    checks.add("instance_type", &itype_field, itype_ok);
                    let img = self.image_for(&image_field, scope.id, &image_name).await.ok();
                    let img_ok = match (&img, connection) {
                        (None, _) => Err(format!("unknown image {image_name:?}")),
                        (Some(i), _) if i.state != ImageState::Active => {
                            Err(format!("image {} is {}", i.name, i.state))
                        }
                        (Some(i), Some(c)) if i.connection_id.is_some_and(|ic| ic != c.id) => {
                            Err(format!("image {} lives in another connection than {}", i.name, c.name))
                        }
                        (Some(i), _) => Ok(format!("image {} is Active", i.name)),
                    };
                    let img_passed = checks.add("image", &image_field, img_ok);
                    if let (Some(t), Some(i), Some(s), true) = (&itype, &img, subnet, img_passed) {
                        let rule = self.precheck_vm(s.connection_id, &itype_name, t, i, &s.zone, i.min_disk_gb).await;
                        checks.add(
                            "provider_rules",
                            &itype_field,
                            rule.map(|_| format!("the provider runs {itype_name} with {image_name}"))
                                .map_err(|e| e.to_string()),
                        );
                    }
                }
                json!({ "instance_type": itype_name, "image": image_name, "public_ip": public_ip })
            }
        })
    }
}
