//! The template library's workflows: a two-VM static web site executed on the
//! zero-latency connection, and returned.

use super::*;

/// The stack every stack scenario runs.
pub fn request() -> ProvisioningCreate {
    ProvisioningCreate {
        name: "st".into(),
        template: "static-website".into(),
        parameters: serde_json::json!({"vpc": "net", "subnet": "net", "key_pair": "kp", "node_count": 2}),
        on_failure: None,
    }
}

pub(super) fn confirm() -> ProvisioningConfirm {
    ProvisioningConfirm { confirm: "st".into() }
}

pub(super) async fn provisioned(h: &H, p: &str) {
    let x = h.engine().provisioning_create(h.admin(), p, request()).await.expect("execute");
    h.succeed(p, x.operation_id).await;
}

/// The stack's state and how many of its VMs and security groups exist.
async fn stack(h: &H, p: &str) -> (Option<ProvisioningState>, Option<String>, usize, usize) {
    let (e, a) = (h.engine(), h.admin());
    let st = e.provisioning_get(a, p, "st").await.ok();
    let vms = e.instance_list(a, p, &ListQuery::default()).await.expect("instances").items;
    let groups = e.security_group_list(a, p, &ListQuery::default()).await.expect("groups").items;
    let stack_vms = vms.iter().filter(|v| v.name.starts_with("st-")).count();
    let stack_groups = groups.iter().filter(|g| g.name.starts_with("st-")).count();
    (st.as_ref().map(|s| s.state), st.and_then(|s| s.state_reason), stack_vms, stack_groups)
}

pub(super) async fn check_succeeded(h: &H, s: Scenario, p: &str, r: &mut Report) {
    let got = stack(h, p).await;
    let want = match s {
        S::StackExecute => (Some(ProvisioningState::Provisioned), None, 2, 1),
        _ => (Some(ProvisioningState::Returned), None, 0, 0),
    };
    r.check(got == want, || format!("stack is {got:?}, want {want:?}"));
}

/// A failed execute leaves nothing of the stack; a failed return says so. Either is then
/// returned by the user and ends `Returned` with nothing left.
pub(super) async fn check_failed(h: &H, s: Scenario, p: &str, r: &mut Report) {
    let (state, reason, vms, groups) = stack(h, p).await;
    let want =
        if s == S::StackExecute { ProvisioningState::ProvisioningFailed } else { ProvisioningState::ReturnFailed };
    r.check(state == Some(want), || format!("stack is {state:?}, want {want}"));
    r.check(reason.as_deref().is_some_and(|m| m.contains("injected failure")), || format!("reason {reason:?}"));
    if s == S::StackExecute {
        r.check((vms, groups) == (0, 0), || format!("{vms} VMs and {groups} groups of the stack left by the unwind"));
    }
    let x = h.engine().provisioning_return(h.admin(), p, "st", confirm()).await.expect("return");
    let o = h.finish(p, x.operation_id).await;
    r.check(o.status == OperationStatus::Succeeded, || format!("returning it afterwards: {:?}", o.error));
    let got = stack(h, p).await;
    r.check(got == (Some(ProvisioningState::Returned), None, 0, 0), || format!("after the return: {got:?}"));
}
