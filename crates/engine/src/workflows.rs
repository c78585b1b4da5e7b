//! Every workflow kind the executor can run, by name (the name is persisted).

use crate::saga::WorkflowDef;

static ALL: &[&WorkflowDef] = &[
    &crate::generic::RESOURCE_CREATE,
    &crate::generic::RESOURCE_DELETE,
    &crate::security_groups::SECURITY_GROUP_SYNC,
    &crate::instance_workflows::INSTANCE_CREATE,
    &crate::instance_workflows::INSTANCE_DELETE,
    &crate::instance_workflows::INSTANCE_START,
    &crate::instance_workflows::INSTANCE_STOP,
    &crate::instance_workflows::INSTANCE_REBOOT,
    &crate::instance_workflows::INSTANCE_REBOOT_HARD,
    &crate::instance_workflows::INSTANCE_SHELVE,
    &crate::instance_workflows::INSTANCE_UNSHELVE,
    &crate::instance_workflows::INSTANCE_RESIZE,
    &crate::instance_workflows::INSTANCE_RESIZE_CONFIRM,
    &crate::instance_workflows::INSTANCE_RESIZE_REVERT,
    &crate::instance_workflows::INSTANCE_CREATE_IMAGE,
    &crate::volumes::VOLUME_ATTACH,
    &crate::volumes::VOLUME_DETACH,
    &crate::volumes::VOLUME_EXTEND,
    &crate::volumes::VOLUME_UPLOAD,
    &crate::snapshots::SNAPSHOT_CREATE,
    &crate::public_ips::PUBLIC_IP_ATTACH,
    &crate::public_ips::PUBLIC_IP_DETACH,
];

pub(crate) fn find(kind: &str) -> Option<&'static WorkflowDef> {
    ALL.iter().copied().find(|d| d.kind == kind)
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
        }
    }
}
