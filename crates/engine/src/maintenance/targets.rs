//! What a task's `resources` name, by its service: instances of the project, or
//! provisionings (stacks of the template library) whose instances are then each a
//! resource of the task — a stack's database VMs get the engine upgrade one runbook each.

use crate::iam::authz::ProjectScope;
use crate::{Engine, Error, Result};
use gureum_model::maintenance::Service;
use gureum_model::provisioning::{ProvisioningState, StackResourceKind};
use gureum_store::{InstanceRecord, Key, ProvisioningRecord};

impl Engine {
    /// The instances `keys` name (each once) under `service`, or a 400 naming `resources`.
    pub(super) async fn maintenance_targets(
        &self,
        scope: &ProjectScope,
        service: Service,
        keys: &[String],
    ) -> Result<Vec<InstanceRecord>> {
        if keys.is_empty() {
            return Err(Error::invalid("resources", format!("name at least one {} of the project", noun(service))));
        }
        let mut out: Vec<InstanceRecord> = vec![];
        for key in keys {
            let found = match service {
                Service::Instance => vec![self.maintenance_instance(scope, key).await?],
                Service::Provisioning => self.maintenance_stack_instances(scope, key).await?,
            };
            for inst in found {
                if out.iter().any(|i| i.id == inst.id) {
                    return Err(Error::invalid("resources", format!("instance {} is named twice", inst.name)));
                }
                out.push(inst);
            }
        }
        Ok(out)
    }

    async fn maintenance_instance(&self, scope: &ProjectScope, key: &str) -> Result<InstanceRecord> {
        self.store()
            .get::<InstanceRecord>(&scope.filter(), &Key::parse(key))
            .await?
            .ok_or_else(|| Error::invalid("resources", format!("no instance {key:?} in project {}", scope.name)))
    }

    /// The instances of a provisioned stack.
    async fn maintenance_stack_instances(&self, scope: &ProjectScope, key: &str) -> Result<Vec<InstanceRecord>> {
        let stack =
            self.store().get::<ProvisioningRecord>(&scope.filter(), &Key::parse(key)).await?.ok_or_else(|| {
                Error::invalid("resources", format!("no provisioning {key:?} in project {}", scope.name))
            })?;
        if stack.state != ProvisioningState::Provisioned {
            return Err(Error::invalid(
                "resources",
                format!("provisioning {} is {}; only a Provisioned stack is maintained", stack.name, stack.state),
            ));
        }
        let mut out = vec![];
        for r in self.store().stack_resources(stack.id).await? {
            if r.kind != StackResourceKind::Instance {
                continue;
            }
            if let Some(id) = r.resource_id
                && let Some(inst) = self.store().get_by_id::<InstanceRecord>(id).await?
            {
                out.push(inst);
            }
        }
        if out.is_empty() {
            return Err(Error::invalid("resources", format!("provisioning {} has no instances", stack.name)));
        }
        Ok(out)
    }
}

fn noun(service: Service) -> &'static str {
    match service {
        Service::Instance => "instance",
        Service::Provisioning => "provisioning",
    }
}
