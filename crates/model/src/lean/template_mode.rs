//! A VM template's mode (SPEC §1) and what each mode allows. A template is a machine the
//! administrator installs once; its mode decides whether it may run and whether VMs may
//! be cloned from it. The spellings are the API's.

use crate::spelled_enum;
use crate::state::Refusal;

spelled_enum! {
    pub enum TemplateMode {
        /// Just created: the administrator installs it; no VM from it.
        FirstInstallation => "first_installation",
        /// Released: VMs are cloned from it; it may not run itself.
        ReadyForUse => "ready_for_use",
        /// Being updated: no VM from it; sysprep and release make a new version.
        MaintenanceMode => "maintenance_mode",
        /// Undefined, needs an administrator: no VM from it.
        DoNotUse => "do_not_use",
    }
}

spelled_enum! {
    pub enum TemplateAction {
        Start => "start",
        Stop => "stop",
        /// Generalize the installed system (hostname, host keys, machine id, logs) and
        /// power it off.
        Sysprep => "sysprep",
        /// A sysprepped, stopped template becomes ready for use.
        Release => "release",
        /// Take a released (or flagged) template back for updates.
        Maintenance => "maintenance",
        /// Clone a persistent VM from it.
        CreateVm => "create_vm",
        /// Flag it as not to be used (`PATCH {"mode": "do_not_use"}`).
        DoNotUse => "do_not_use",
    }
}

/// Whether the template's machine runs, and whether it was sysprepped since it last ran.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TemplatePower {
    pub running: bool,
    pub sysprepped: bool,
}

use TemplateAction as A;
use TemplateMode as M;

/// `(action, modes it is allowed in, mode it leads to)`; power is checked apart.
const RULES: &[(A, &[M], Option<M>)] = &[
    (A::Start, &[M::FirstInstallation, M::MaintenanceMode], None),
    (A::Stop, &[M::FirstInstallation, M::MaintenanceMode, M::DoNotUse], None),
    (A::Sysprep, &[M::FirstInstallation, M::MaintenanceMode], None),
    (A::Release, &[M::FirstInstallation, M::MaintenanceMode], Some(M::ReadyForUse)),
    (A::Maintenance, &[M::ReadyForUse, M::DoNotUse], Some(M::MaintenanceMode)),
    (A::CreateVm, &[M::ReadyForUse], None),
    (A::DoNotUse, &[M::FirstInstallation, M::ReadyForUse, M::MaintenanceMode, M::DoNotUse], Some(M::DoNotUse)),
];

impl TemplateMode {
    /// The mode `action` leaves the template in, or why it is refused (HTTP 409 naming the
    /// mode, or the machine's power state, and what is allowed).
    pub fn check(self, action: A, power: TemplatePower) -> Result<M, Refusal> {
        self.permits(action, power).map_err(|state| Refusal {
            action: action.as_str(),
            state,
            allowed: self.allowed(power).iter().map(|a| a.as_str()).collect(),
            busy_with: None,
        })
    }

    /// What may be done now.
    pub fn allowed(self, power: TemplatePower) -> Vec<A> {
        A::ALL.iter().copied().filter(|a| self.permits(*a, power).is_ok()).collect()
    }

    /// The mode it leads to, or the state (mode or power) that forbids it.
    fn permits(self, action: A, power: TemplatePower) -> Result<M, &'static str> {
        let Some((_, _, to)) = RULES.iter().find(|(a, from, _)| *a == action && from.contains(&self)) else {
            return Err(self.as_str());
        };
        let power_ok = match action {
            A::Start => !power.running,
            A::Stop | A::Sysprep => power.running,
            A::Release => !power.running && power.sysprepped,
            _ => true,
        };
        if power_ok { Ok(to.unwrap_or(self)) } else { Err(power_state(power)) }
    }

    /// A stored mode as read: missing or unknown is `None`, which the reconciler heals to
    /// `do_not_use`.
    pub fn read(stored: Option<&str>) -> Option<M> {
        stored.and_then(M::parse)
    }
}

fn power_state(p: TemplatePower) -> &'static str {
    match (p.running, p.sysprepped) {
        (true, _) => "running",
        (false, true) => "stopped after sysprep",
        (false, false) => "stopped, not sysprepped",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const OFF: TemplatePower = TemplatePower { running: false, sysprepped: false };
    const ON: TemplatePower = TemplatePower { running: true, sysprepped: false };
    const PREPPED: TemplatePower = TemplatePower { running: false, sysprepped: true };

    #[test]
    fn vms_come_only_from_a_template_ready_for_use() {
        assert_eq!(M::ReadyForUse.check(A::CreateVm, PREPPED), Ok(M::ReadyForUse));
        for m in [M::FirstInstallation, M::MaintenanceMode, M::DoNotUse] {
            let e = m.check(A::CreateVm, PREPPED).unwrap_err();
            assert_eq!(e.state, m.as_str(), "{e}");
        }
    }

    #[test]
    fn a_ready_template_cannot_start_until_it_is_in_maintenance() {
        let e = M::ReadyForUse.check(A::Start, PREPPED).unwrap_err().to_string();
        assert!(e.contains("ready_for_use") && e.contains("maintenance"), "{e}");
        assert_eq!(M::ReadyForUse.check(A::Maintenance, PREPPED), Ok(M::MaintenanceMode));
        assert_eq!(M::MaintenanceMode.check(A::Start, PREPPED), Ok(M::MaintenanceMode));
    }

    #[test]
    fn release_needs_a_sysprepped_stopped_machine() {
        assert_eq!(M::FirstInstallation.check(A::Release, PREPPED), Ok(M::ReadyForUse));
        assert_eq!(M::FirstInstallation.check(A::Release, OFF).unwrap_err().state, "stopped, not sysprepped");
        assert_eq!(M::MaintenanceMode.check(A::Release, ON).unwrap_err().state, "running");
        assert_eq!(M::FirstInstallation.check(A::Sysprep, ON), Ok(M::FirstInstallation));
        assert!(M::FirstInstallation.check(A::Sysprep, OFF).is_err(), "sysprep runs in the guest");
    }

    #[test]
    fn any_template_can_be_flagged_do_not_use() {
        for m in M::ALL {
            assert_eq!(m.check(A::DoNotUse, OFF), Ok(M::DoNotUse));
        }
        assert_eq!(M::DoNotUse.check(A::Maintenance, OFF), Ok(M::MaintenanceMode));
    }

    #[test]
    fn a_missing_or_unknown_mode_reads_as_none() {
        assert_eq!(TemplateMode::read(None), None);
        assert_eq!(TemplateMode::read(Some("ready")), None);
        assert_eq!(TemplateMode::read(Some("ready_for_use")), Some(M::ReadyForUse));
    }

    /// The whole matrix, so a change to it is a visible diff.
    #[test]
    fn matrix_snapshot() {
        let mut lines = vec![];
        for m in M::ALL {
            for (label, p) in [("off", OFF), ("on", ON), ("prepped", PREPPED)] {
                let allowed: Vec<&str> = m.allowed(p).iter().map(|a| a.as_str()).collect();
                lines.push(format!("{m} {label}: {}", allowed.join(" ")));
            }
        }
        assert_eq!(
            lines,
            [
                "first_installation off: start do_not_use",
                "first_installation on: stop sysprep do_not_use",
                "first_installation prepped: start release do_not_use",
                "ready_for_use off: maintenance create_vm do_not_use",
                "ready_for_use on: maintenance create_vm do_not_use",
                "ready_for_use prepped: maintenance create_vm do_not_use",
                "maintenance_mode off: start do_not_use",
                "maintenance_mode on: stop sysprep do_not_use",
                "maintenance_mode prepped: start release do_not_use",
                "do_not_use off: maintenance do_not_use",
                "do_not_use on: stop maintenance do_not_use",
                "do_not_use prepped: maintenance do_not_use",
            ]
        );
    }
}
