//! What a VM template's machine is doing. The mode (template_mode) says what the
//! template may be used for; this says whether its machine runs or is busy with an
//! action, which the mode table needs as its power.

use crate::lean::TemplatePower;
use crate::spelled_enum;

spelled_enum! {
    pub enum TemplateState {
        /// Its disk and machine are being made; the machine then boots the install media.
        Building => "Building",
        Running => "Running",
        Stopped => "Stopped",
        Starting => "Starting",
        Stopping => "Stopping",
        /// The guest generalizes itself and powers off.
        Sysprepping => "Sysprepping",
        /// Its disk is being frozen into a new version.
        Releasing => "Releasing",
        Deleting => "Deleting",
        Error => "Error",
    }
}

impl TemplateState {
    /// A state an action is under way in: another action waits for it to settle.
    pub fn busy(self) -> bool {
        !matches!(self, Self::Running | Self::Stopped | Self::Error)
    }

    /// The power the mode table decides with.
    pub fn power(self, sysprepped: bool) -> TemplatePower {
        TemplatePower { running: self == Self::Running, sysprepped: sysprepped && self != Self::Running }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_settled_states_take_actions() {
        let settled: Vec<_> = TemplateState::ALL.iter().filter(|s| !s.busy()).map(|s| s.as_str()).collect();
        assert_eq!(settled, ["Running", "Stopped", "Error"]);
    }

    #[test]
    fn a_running_machine_is_not_sysprepped() {
        assert_eq!(TemplateState::Running.power(true), TemplatePower { running: true, sysprepped: false });
        assert_eq!(TemplateState::Stopped.power(true), TemplatePower { running: false, sysprepped: true });
        assert_eq!(TemplateState::Error.power(false), TemplatePower { running: false, sysprepped: false });
    }
}
