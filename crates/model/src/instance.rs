//! The instance state machine (SPEC §4), following OpenStack Nova's rules: which action
//! is allowed from which state, which transitional state it enters, and which actions may
//! interrupt a running task.

use crate::spelled_enum;
use crate::state::Refusal;

spelled_enum! {
    pub enum InstanceState {
        Building => "Building",
        Scheduling => "Scheduling",
        BlockDeviceMapping => "Block_device_mapping",
        Networking => "Networking",
        Spawning => "Spawning",
        Starting => "Starting",
        Active => "Active",
        PoweringOff => "Powering-off",
        Stopped => "Stopped",
        PoweringOn => "Powering-on",
        Rebooting => "Rebooting",
        RebootStarted => "Reboot_started",
        RebootingHard => "Rebooting_hard",
        RebootingStartedHard => "Rebooting_started_hard",
        Shelving => "Shelving",
        ShelvedOffloaded => "Shelved_offloaded",
        Unshelving => "Unshelving",
        ResizePrep => "Resize_prep",
        ResizeMigrating => "Resize_migrating",
        ResizeMigrated => "Resize_migrated",
        ResizeFinished => "Resize_finished",
        Resized => "Resized",
        ResizeConfirm => "Resize_confirm",
        ResizeRevert => "Resize_revert",
        Deleting => "Deleting",
        Error => "Error",
    }
}

spelled_enum! {
    pub enum InstanceAction {
        Start => "start",
        Stop => "stop",
        Shelve => "shelve",
        Unshelve => "unshelve",
        SoftReboot => "soft-reboot",
        HardReboot => "hard-reboot",
        Resize => "resize",
        ConfirmResize => "confirm-resize",
        RevertResize => "revert-resize",
        CreateImage => "create-image",
        Delete => "delete",
    }
}

use InstanceAction as A;
use InstanceState as S;

const REBOOTING: &[S] = &[S::Rebooting, S::RebootStarted, S::RebootingHard, S::RebootingStartedHard];

/// What an action needs and what it does to the state.
struct Rule {
    action: A,
    /// States the action is allowed from; `None` means every state but `Deleting`.
    from: Option<&'static [S]>,
    /// The transitional state entered; `None` keeps the current state (create-image).
    enters: Option<S>,
}

/// The transition table. Everything not listed here is refused.
const RULES: &[Rule] = &[
    Rule { action: A::Start, from: Some(&[S::Stopped]), enters: Some(S::PoweringOn) },
    Rule { action: A::Stop, from: Some(&[S::Active, S::Error]), enters: Some(S::PoweringOff) },
    Rule { action: A::Shelve, from: Some(&[S::Active, S::Stopped]), enters: Some(S::Shelving) },
    Rule { action: A::Unshelve, from: Some(&[S::ShelvedOffloaded]), enters: Some(S::Unshelving) },
    Rule { action: A::SoftReboot, from: Some(&[S::Active]), enters: Some(S::Rebooting) },
    Rule {
        action: A::HardReboot,
        from: Some(&[
            S::Active,
            S::Stopped,
            S::Error,
            S::Rebooting,
            S::RebootStarted,
            S::RebootingHard,
            S::RebootingStartedHard,
        ]),
        enters: Some(S::RebootingHard),
    },
    Rule { action: A::Resize, from: Some(&[S::Active, S::Stopped]), enters: Some(S::ResizePrep) },
    Rule { action: A::ConfirmResize, from: Some(&[S::Resized]), enters: Some(S::ResizeConfirm) },
    Rule { action: A::RevertResize, from: Some(&[S::Resized]), enters: Some(S::ResizeRevert) },
    Rule { action: A::CreateImage, from: Some(&[S::Active, S::Stopped]), enters: None },
    Rule { action: A::Delete, from: None, enters: Some(S::Deleting) },
];

/// The outcome of an allowed action.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Transition {
    /// The state the instance shows while the action runs.
    pub enters: InstanceState,
    /// The running operation must be cancelled first (delete, or a hard reboot of a
    /// stuck reboot).
    pub preempts: bool,
}

fn rule(action: A) -> &'static Rule {
    RULES.iter().find(|r| r.action == action).expect("every action has a rule")
}

fn state_allows(state: S, action: A) -> bool {
    match rule(action).from {
        Some(from) => from.contains(&state),
        None => state != S::Deleting,
    }
}

impl InstanceAction {
    /// Only delete and hard reboot may interrupt a task that is already running, and a
    /// hard reboot only interrupts a reboot.
    fn may_interrupt(self, state: S) -> bool {
        match self {
            A::Delete => true,
            A::HardReboot => REBOOTING.contains(&state),
            _ => false,
        }
    }
}

impl InstanceState {
    /// Checks `action` against the table. `busy_with` names the operation currently
    /// running on the instance, if any.
    pub fn check(self, action: A, busy_with: Option<&str>) -> Result<Transition, Refusal> {
        let interrupting = busy_with.is_some() && action.may_interrupt(self);
        if state_allows(self, action) && (busy_with.is_none() || interrupting) {
            let enters = rule(action).enters.unwrap_or(self);
            return Ok(Transition { enters, preempts: interrupting });
        }
        Err(Refusal {
            action: action.as_str(),
            state: self.as_str(),
            allowed: self.allowed_actions(busy_with.is_some()).iter().map(|a| a.as_str()).collect(),
            busy_with: busy_with.map(str::to_string),
        })
    }

    /// Every action the table allows now, in table order.
    pub fn allowed_actions(self, busy: bool) -> Vec<A> {
        RULES.iter().map(|r| r.action).filter(|&a| state_allows(self, a) && (!busy || a.may_interrupt(self))).collect()
    }

    /// States the instance settles in; every other state is shown while work runs.
    pub fn is_settled(self) -> bool {
        matches!(self, S::Active | S::Stopped | S::ShelvedOffloaded | S::Resized | S::Error)
    }

    /// The states of a create, in the order the user sees them.
    pub fn is_provisioning(self) -> bool {
        matches!(self, S::Building | S::Scheduling | S::BlockDeviceMapping | S::Networking | S::Spawning | S::Starting)
    }

    /// Whether the provider has hypervisor resources (a running or stopped VM) for an
    /// instance in this state. Shelved instances keep only their disks.
    pub fn holds_vm(self) -> bool {
        !matches!(self, S::ShelvedOffloaded | S::Error) && !self.is_provisioning()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_action_in_every_state_is_either_a_transition_or_a_named_refusal() {
        for &state in S::ALL {
            for &action in A::ALL {
                for busy in [None, Some("op-1")] {
                    match state.check(action, busy) {
                        Ok(t) => {
                            assert!(busy.is_none() || t.preempts, "{state} {action} {busy:?}")
                        }
                        Err(r) => {
                            assert_eq!(r.state, state.as_str());
                            assert_eq!(r.action, action.as_str());
                            let msg = r.to_string();
                            assert!(msg.contains(state.as_str()), "{msg}");
                            for a in &r.allowed {
                                assert!(state.check(A::parse(a).unwrap(), busy).is_ok(), "{msg}");
                            }
                        }
                    }
                }
            }
        }
    }

    #[test]
    fn nova_rules_hold() {
        assert_eq!(S::Active.check(A::SoftReboot, None).unwrap().enters, S::Rebooting);
        assert!(S::Stopped.check(A::SoftReboot, None).is_err(), "soft reboot only from Active");
        assert!(S::Error.check(A::SoftReboot, None).is_err());
        for s in [S::Active, S::Stopped, S::Error] {
            assert_eq!(s.check(A::HardReboot, None).unwrap().enters, S::RebootingHard);
        }
        assert!(S::ShelvedOffloaded.check(A::HardReboot, None).is_err());
        assert!(S::Active.check(A::Resize, None).is_ok());
        assert!(S::Stopped.check(A::Resize, None).is_ok());
        assert!(S::ShelvedOffloaded.check(A::Resize, None).is_err());
        assert!(S::Resized.check(A::ConfirmResize, None).is_ok());
        assert!(S::Resized.check(A::RevertResize, None).is_ok());
        assert!(S::Active.check(A::ConfirmResize, None).is_err());
        assert_eq!(S::Stopped.check(A::Start, None).unwrap().enters, S::PoweringOn);
        assert!(S::Active.check(A::Start, None).is_err());
        assert_eq!(S::ShelvedOffloaded.check(A::Unshelve, None).unwrap().enters, S::Unshelving);
        assert!(S::Deleting.check(A::Delete, None).is_err());
        assert_eq!(S::Active.check(A::CreateImage, None).unwrap().enters, S::Active);
    }

    #[test]
    fn only_delete_and_hard_reboot_interrupt_a_running_task() {
        let busy = Some("op-1");
        for &s in S::ALL {
            if s != S::Deleting {
                assert!(s.check(A::Delete, busy).unwrap().preempts, "{s}");
            }
            for &a in A::ALL {
                if a != A::Delete && a != A::HardReboot {
                    assert!(s.check(a, busy).is_err(), "{s} {a} must wait for the running task");
                }
            }
        }
        assert!(S::Rebooting.check(A::HardReboot, busy).unwrap().preempts);
        assert!(S::Building.check(A::HardReboot, busy).is_err());
        assert!(S::Active.check(A::HardReboot, busy).is_err(), "create-image is not interrupted");
    }

    #[test]
    fn spellings_are_the_specs() {
        assert_eq!(S::ShelvedOffloaded.as_str(), "Shelved_offloaded");
        assert_eq!(S::PoweringOff.as_str(), "Powering-off");
        assert_eq!(S::BlockDeviceMapping.as_str(), "Block_device_mapping");
        assert_eq!(S::parse("Rebooting_started_hard"), Some(S::RebootingStartedHard));
        assert_eq!(S::ALL.len(), 26);
    }
}
