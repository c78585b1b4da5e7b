//! Persistent VMs (SPEC §1): instances cloned from a released template version into a
//! persistent pool, with the software stack, environment and configuration management
//! chosen for them. Every lifecycle action, metering and console page is the instance's;
//! this adds the choices, their rules and the lean fields of the views.

use crate::compute::instance_create::InstanceExtras;
use crate::lean::templates::mode_of;
use crate::views::{links, ts};
use crate::{Engine, Error, OpContext, Result};
use gureum_api_types::{Instance, InstanceCreate, OsFit, PersistentVm, PersistentVmCreate, SoftwareStack};
use gureum_model::authz::Permission;
use gureum_model::lean::{ConfigurationManagement, Environment, MachineSize, PersistentVmType, TemplateAction};
use gureum_model::pool::PoolPurpose;
use gureum_store::{
    CustomerRecord, InstanceRecord, Key, NodeRecord, PersistentVmRecord, PoolRecord, ProjectRecord, Record,
    ResellerRecord, SoftwareStackRecord, Val, VmTemplateRecord, VmTemplateVersionRecord, new_id, now,
};
use std::collections::{HashMap, HashSet};
use uuid::Uuid;

/// The lean fields an instance view shows when the instance is a persistent VM.
#[derive(Default)]
pub(crate) struct LeanFields {
    pub template: Option<String>,
    pub template_version: Option<i64>,
    pub software_stack: Option<String>,
    pub environment: Option<Environment>,
    pub customer: Option<String>,
}

impl Engine {
    /// The persistent-VM rows of a page of instances (one query: a page is one project's;
    /// rows of deleted instances are not on any page).
    pub(crate) async fn persistent_vms_of(&self, rows: &[InstanceRecord]) -> Result<Vec<PersistentVmRecord>> {
        let Some(first) = rows.first() else { return Ok(vec![]) };
        Ok(self
            .store()
            .list_all::<PersistentVmRecord>(&[("project_id", first.project_id.into()), ("deleted_at", Val::Null)])
            .await?)
    }

    pub(crate) async fn persistent_fields(&self, p: Option<&PersistentVmRecord>) -> LeanFields {
        let Some(p) = p else { return LeanFields::default() };
        LeanFields {
            template: Some(self.name_of::<VmTemplateRecord>(p.template_id).await),
            template_version: Some(p.template_version),
            software_stack: self.name_of_opt::<SoftwareStackRecord>(p.software_stack_id).await,
            environment: p.environment,
            customer: self.name_of_opt::<CustomerRecord>(p.customer_id).await,
        }
    }

    /// The software stacks that fit an OS type and version.
    pub(crate) async fn stacks_fitting(&self, os_type: &str, os_version: &str) -> Result<Vec<SoftwareStack>> {
        let want = OsFit { os_type: os_type.into(), os_version: os_version.into() };
        Ok(self
            .store()
            .list_all::<SoftwareStackRecord>(&[])
            .await?
            .into_iter()
            .map(Self::stack_view)
            .filter(|s| s.fits.contains(&want))
            .collect())
    }

    /// The software stack a persistent VM of `template` asks for, checked against what
    /// fits the template's OS, and the environment against what the stack offers.
    async fn stack_choice(
        &self,
        template: &VmTemplateRecord,
        req: &PersistentVmCreate,
    ) -> Result<(Option<SoftwareStack>, Option<Environment>)> {
        let profile = self
            .store()
            .get_by_id::<gureum_store::VmProfileRecord>(template.profile_id)
            .await?
            .ok_or_else(|| Error::Conflict(format!("template {}'s profile is gone", template.name)))?;
        let os = format!("{} {}", profile.os_type, profile.os_version);
        let stack = match &req.software_stack {
            None => None,
            Some(key) => {
                let fitting = self.stacks_fitting(&profile.os_type, &profile.os_version).await?;
                if fitting.is_empty() {
                    return Err(Error::invalid(
                        "software_stack",
                        format!("no software stack fits {os}, the OS of template {}; leave it out", template.name),
                    ));
                }
                let found = fitting.into_iter().find(|s| s.name == *key || s.id.to_string() == *key);
                let stack = match found {
                    Some(s) => s,
                    None => {
                        let known = self.store().get::<SoftwareStackRecord>(&[], &Key::parse(key)).await?;
                        return Err(Error::invalid(
                            "software_stack",
                            match known {
                                Some(s) => format!("software stack {} does not fit {os}", s.name),
                                None => format!("no software stack {key:?}"),
                            },
                        ));
                    }
                };
                Some(stack)
            }
        };
        let environment = match (req.environment, &stack) {
            (None, _) => None,
            (Some(e), None) => {
                return Err(Error::invalid("environment", format!("{e} needs a software_stack that offers it")));
            }
            (Some(e), Some(s)) if !s.environments.contains(&e) => {
                let offered: Vec<&str> = s.environments.iter().map(|e| e.as_str()).collect();
                return Err(Error::invalid(
                    "environment",
                    if offered.is_empty() {
                        format!("software stack {} offers no environment", s.name)
                    } else {
                        format!("software stack {} offers {}, not {e}", s.name, offered.join(", "))
                    },
                ));
            }
            (Some(e), Some(_)) => Some(e),
        };
        Ok((stack, environment))
    }

    /// The reseller and customer a persistent VM is for: the project's customer unless
    /// named; a named one must be the project's, the caller's own, or one the caller
    /// administers (400 naming the field otherwise).
    async fn vm_tenant(
        &self,
        ctx: &OpContext,
        project: Uuid,
        req: &PersistentVmCreate,
    ) -> Result<(ResellerRecord, CustomerRecord)> {
        let tenancy = self.tenancy_of(ctx).await?;
        let project = self
            .store()
            .get_by_id::<ProjectRecord>(project)
            .await?
            .ok_or_else(|| Error::not_found("project", project))?;
        let home = self
            .store()
            .get_by_id::<CustomerRecord>(project.customer_id)
            .await?
            .ok_or_else(|| Error::Internal(format!("project {} has no customer", project.name)))?;
        let reseller_id = match &req.reseller {
            None => home.reseller_id,
            Some(key) => {
                self.store()
                    .get::<ResellerRecord>(&[], &Key::parse(key))
                    .await?
                    .filter(|r| {
                        r.id == home.reseller_id || r.id == tenancy.reseller_id || tenancy.administers_reseller(r.id)
                    })
                    .ok_or_else(|| Error::invalid("reseller", format!("no reseller {key:?} within your reach")))?
                    .id
            }
        };
        let customer = match &req.customer {
            None if reseller_id == home.reseller_id => home,
            None => return Err(Error::invalid("customer", "name a customer of the reseller you chose")),
            Some(key) => self
                .store()
                .get::<CustomerRecord>(&[("reseller_id", reseller_id.into())], &Key::parse(key))
                .await?
                .filter(|c| {
                    c.id == home.id
                        || c.id == tenancy.customer_id
                        || tenancy.administers_customer_of(c.id, c.reseller_id)
                })
                .ok_or_else(|| {
                    Error::invalid("customer", format!("no customer {key:?} of that reseller within your reach"))
                })?,
        };
        let reseller = self
            .store()
            .get_by_id::<ResellerRecord>(customer.reseller_id)
            .await?
            .ok_or_else(|| Error::Internal(format!("customer {} has no reseller", customer.name)))?;
        Ok((reseller, customer))
    }

    pub async fn persistent_vm_create(
        &self,
        ctx: &OpContext,
        project: &str,
        req: PersistentVmCreate,
    ) -> Result<PersistentVm> {
        let scope = self.authorize(ctx, project, Permission::ManageResources).await?;
        let template = self
            .store()
            .get::<VmTemplateRecord>(&[], &Key::parse(&req.template))
            .await?
            .ok_or_else(|| Error::invalid("template", format!("no VM template {:?}", req.template)))?;
        if template.state.busy() {
            return Err(Error::Conflict(format!(
                "template {} is {}; try once it settles",
                template.name, template.state
            )));
        }
        mode_of(&template).check(TemplateAction::CreateVm, template.state.power(template.sysprepped))?;
        let pool = self.pool_for("pool", &req.pool, PoolPurpose::Persistent).await?;
        if pool.connection_id != template.connection_id {
            return Err(Error::invalid(
                "pool",
                format!("pool {} is of another connection than template {}", pool.name, template.name),
            ));
        }
        let node = self.node_of_pool("node", &pool, req.node.as_deref()).await?;
        let node = self.node_reaching_versions(&pool, node, &template).await?;
        let (stack, environment) = self.stack_choice(&template, &req).await?;
        let (reseller, customer) = self.vm_tenant(ctx, scope.id, &req).await?;
        let management = req.configuration_management.unwrap_or(ConfigurationManagement::None);
        let user_data = match (&stack, management) {
            (None, ConfigurationManagement::None) => req.user_data.clone(),
            (None, m) => {
                return Err(Error::invalid(
                    "configuration_management",
                    format!("{m} needs a software_stack to install"),
                ));
            }
            (Some(_), ConfigurationManagement::None) => req.user_data.clone(),
            (Some(_), _) if req.user_data.is_some() => {
                return Err(Error::invalid(
                    "user_data",
                    "configuration management runs the software stack's install script as the user data; leave it out",
                ));
            }
            (Some(s), _) => Some(s.install_script.clone()),
        };
        let version = self
            .store()
            .list_all::<VmTemplateVersionRecord>(&[("template_id", template.id.into())])
            .await?
            .into_iter()
            .max_by_key(|v| v.version)
            .ok_or_else(|| Error::Conflict(format!("template {} has no released version", template.name)))?;
        let size = MachineSize { memory_mib: template.memory_mib, disk_gb: template.disk_gb, vcpus: template.vcpus };
        let itype = self.fitting_instance_type(size).await?;
        let id = new_id();
        let row = PersistentVmRecord {
            id,
            project_id: scope.id,
            template_id: template.id,
            template_version: version.version,
            pool_id: pool.id,
            node_id: node,
            description: req.description.clone(),
            vm_type: req.vm_type.unwrap_or(PersistentVmType::Server),
            software_stack_id: stack.as_ref().map(|s| s.id),
            environment,
            configuration_management: management,
            reseller_id: Some(reseller.id),
            customer_id: Some(customer.id),
            created_at: now(),
            deleted_at: None,
        };
        let create = InstanceCreate {
            name: self.system_name(&pool).await?,
            instance_type: itype.name,
            image: version.image_id.to_string(),
            subnet: req.subnet,
            security_groups: req.security_groups,
            key_pair: req.key_pair,
            public_ip: None,
            volumes: vec![],
            root_volume_size_gb: Some(template.disk_gb),
            user_data,
        };
        let extras = InstanceExtras { id, pool: Some(pool), node, batch: row.insert().into() };
        self.instance_create_with(ctx, project, create, extras).await?;
        self.persistent_vm_get(ctx, project, &id.to_string()).await
    }

    /// Views of persistent VMs from their rows and instances, the instances' views made
    /// together (a few queries for the whole list). A row whose instance is not among
    /// `instances` is left out: a delete finished between the two reads.
    async fn persistent_vm_views(
        &self,
        rows: Vec<PersistentVmRecord>,
        instances: Vec<InstanceRecord>,
    ) -> Result<Vec<PersistentVm>> {
        let mut views: HashMap<Uuid, Instance> =
            self.instance_views(instances).await?.into_iter().map(|v| (v.id, v)).collect();
        let mut out = Vec::with_capacity(rows.len());
        for p in rows {
            let Some(view) = views.remove(&p.id) else { continue };
            out.push(PersistentVm {
                links: links(format!("/v1/projects/{}/persistent-vms/{}", p.project_id, p.id), None),
                template: self.name_of::<VmTemplateRecord>(p.template_id).await,
                pool: self.name_of::<PoolRecord>(p.pool_id).await,
                node: view.node.or(self.name_of_opt::<NodeRecord>(p.node_id).await),
                software_stack: self.name_of_opt::<SoftwareStackRecord>(p.software_stack_id).await,
                reseller: self.name_of_opt::<ResellerRecord>(p.reseller_id).await,
                customer: self.name_of_opt::<CustomerRecord>(p.customer_id).await,
                created_at: ts(p.created_at),
                id: p.id,
                name: view.name,
                state: view.state,
                operation_id: view.operation_id,
                version: p.template_version,
                description: p.description,
                vm_type: p.vm_type,
                environment: p.environment,
                configuration_management: p.configuration_management,
                key_pair: view.key_pair,
                subnet: view.subnet,
                security_groups: view.security_groups,
            });
        }
        Ok(out)
    }

    pub async fn persistent_vm_list(&self, ctx: &OpContext, project: &str) -> Result<Vec<PersistentVm>> {
        let scope = self.authorize(ctx, project, Permission::View).await?;
        let store = self.store();
        let rows =
            store.list_all::<PersistentVmRecord>(&[("project_id", scope.id.into()), ("deleted_at", Val::Null)]).await?;
        let ids: HashSet<Uuid> = rows.iter().map(|p| p.id).collect();
        let mut instances = store.list_all::<InstanceRecord>(&[("project_id", scope.id.into())]).await?;
        instances.retain(|i| ids.contains(&i.id));
        self.persistent_vm_views(rows, instances).await
    }

    pub async fn persistent_vm_get(&self, ctx: &OpContext, project: &str, key: &str) -> Result<PersistentVm> {
        let scope = self.authorize(ctx, project, Permission::View).await?;
        let gone = || Error::not_found("persistent VM", key);
        let inst = self.instance_record(&scope, key).await.map_err(|e| match e {
            Error::NotFound { .. } => gone(),
            e => e,
        })?;
        let row = self.store().get_by_id::<PersistentVmRecord>(inst.id).await?.ok_or_else(gone)?;
        self.persistent_vm_views(vec![row], vec![inst]).await?.pop().ok_or_else(gone)
    }

    /// Deletes the persistent VM (its instance, root disk and row; the template's
    /// version it was cloned from is untouched).
    pub async fn persistent_vm_delete(
        &self,
        ctx: &OpContext,
        project: &str,
        key: &str,
    ) -> Result<gureum_api_types::Instance> {
        let vm = self.persistent_vm_get(ctx, project, key).await?;
        self.instance_delete(ctx, project, &vm.id.to_string(), false).await
    }
}
