//! Every workflow kind the executor can run, by name (the name is persisted).

use crate::workflow::WorkflowDef;

static ALL: &[&WorkflowDef] = &[
    &crate::workflow::generic::RESOURCE_CREATE,
    &crate::workflow::generic::RESOURCE_DELETE,
    &crate::network::security_groups::SECURITY_GROUP_RULES_APPLY,
    &crate::compute::instance_workflows::INSTANCE_CREATE,
    &crate::compute::instance_workflows::INSTANCE_DELETE,
    &crate::compute::instance_workflows::INSTANCE_START,
    &crate::compute::instance_workflows::INSTANCE_STOP,
    &crate::compute::instance_workflows::INSTANCE_REBOOT,
    &crate::compute::instance_workflows::INSTANCE_REBOOT_HARD,
    &crate::compute::instance_workflows::INSTANCE_SHELVE,
    &crate::compute::instance_workflows::INSTANCE_UNSHELVE,
    &crate::compute::instance_workflows::INSTANCE_RESIZE,
    &crate::compute::instance_workflows::INSTANCE_RESIZE_CONFIRM,
    &crate::compute::instance_workflows::INSTANCE_RESIZE_REVERT,
    &crate::compute::instance_workflows::INSTANCE_CREATE_IMAGE,
    &crate::storage::volume_workflows::VOLUME_ATTACH,
    &crate::storage::volume_workflows::VOLUME_DETACH,
    &crate::storage::volume_workflows::VOLUME_EXTEND,
    &crate::storage::volume_workflows::VOLUME_UPLOAD,
    &crate::storage::snapshots::VOLUME_SNAPSHOT,
    &crate::network::public_ips::PUBLIC_IP_ATTACH,
    &crate::network::public_ips::PUBLIC_IP_DETACH,
    &crate::provisioning::stack_create::PROVISIONING_EXECUTE,
    &crate::provisioning::stack_return::PROVISIONING_RETURN,
    &crate::lean::template_workflows::VM_TEMPLATE_CREATE,
    &crate::lean::template_workflows::VM_TEMPLATE_POWER,
    &crate::lean::template_workflows::VM_TEMPLATE_RELEASE,
    &crate::lean::template_workflows::VM_TEMPLATE_DELETE,
    &crate::maintenance::runbook::MAINTENANCE_RUNBOOK,
];

pub(crate) fn find(kind: &str) -> Option<&'static WorkflowDef> {
    let found = ALL.iter().copied().find(|d| d.kind == kind);
    #[cfg(test)]
    let found = found.or_else(|| crate::workflow::upgrade::tests::DEFS.iter().copied().find(|d| d.kind == kind));
    found
}

/// All workflow kinds (for tests that exercise every workflow).
pub fn all() -> &'static [&'static WorkflowDef] {
    ALL
}

#[cfg(test)]
mod tests {
    #[test]
    fn kinds_and_step_names_are_unique() {
        let mut kinds = std::collections::HashSet::new();
        for d in super::ALL {
            assert!(kinds.insert(d.kind), "{} registered twice", d.kind);
            let mut steps = std::collections::HashSet::new();
            for s in d.steps {
                assert!(steps.insert(s.name), "{}: step {} twice", d.kind, s.name);
            }
            for (old, new) in d.renames {
                assert!(steps.contains(new), "{}: rename {old} to a step {new} it does not have", d.kind);
                assert!(!steps.contains(old), "{}: renamed step {old} is still a step", d.kind);
            }
        }
    }
}
