//! What the operator may do to a resource of a task in each status, and the status it
//! leads to. A refusal is a 409 naming the status.

use super::ResourceStatus;
use crate::spelled_enum;
use crate::state::Refusal;

spelled_enum! {
    pub enum ResourceAction {
        /// Set (or move) its reserved time.
        Schedule => "schedule",
        /// Drop its reserved time.
        Unschedule => "unschedule",
        /// Leave it out of the task; its schedule is dropped.
        Exclude => "exclude",
        /// Take an excluded resource back, unscheduled.
        Include => "include",
        /// Run as soon as possible: its reserved time becomes now.
        RunNow => "run_now",
        /// Run a failed resource again, as soon as possible.
        Retry => "retry",
    }
}

use ResourceAction as A;
use ResourceStatus as S;

/// `(action, statuses it is allowed in, status it leads to)`. A running or completed
/// resource is left alone: its update is under way or done.
const RULES: &[(A, &[S], S)] = &[
    (A::Schedule, &[S::Pending, S::Reserved], S::Reserved),
    (A::Unschedule, &[S::Reserved], S::Pending),
    (A::Exclude, &[S::Pending, S::Reserved, S::Failed], S::Excluded),
    (A::Include, &[S::Excluded], S::Pending),
    (A::RunNow, &[S::Pending, S::Reserved], S::Reserved),
    (A::Retry, &[S::Failed], S::Reserved),
];

impl ResourceStatus {
    /// The status `action` leaves the resource in, or why it is refused (HTTP 409).
    pub fn check(self, action: A) -> Result<S, Refusal> {
        self.permits(action).ok_or_else(|| Refusal {
            action: action.as_str(),
            state: self.as_str(),
            allowed: self.allowed().iter().map(|a| a.as_str()).collect(),
            busy_with: None,
        })
    }

    /// What may be done now.
    pub fn allowed(self) -> Vec<A> {
        A::ALL.iter().copied().filter(|a| self.permits(*a).is_some()).collect()
    }

    fn permits(self, action: A) -> Option<S> {
        RULES.iter().find(|(a, from, _)| *a == action && from.contains(&self)).map(|(_, _, to)| *to)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_refusal_names_the_status_and_what_is_allowed() {
        let e = S::Completed.check(A::Schedule).unwrap_err();
        assert_eq!(e.state, "Completed");
        let e = S::Excluded.check(A::RunNow).unwrap_err().to_string();
        assert!(e.contains("Excluded") && e.contains("include"), "{e}");
    }

    #[test]
    fn retry_and_run_now_reserve_the_resource() {
        assert_eq!(S::Failed.check(A::Retry), Ok(S::Reserved));
        assert_eq!(S::Pending.check(A::RunNow), Ok(S::Reserved));
        assert_eq!(S::Excluded.check(A::Include), Ok(S::Pending));
    }

    /// The whole matrix, so a change to it is a visible diff.
    #[test]
    fn matrix_snapshot() {
        let lines: Vec<String> = S::ALL
            .iter()
            .map(|s| {
                let allowed: Vec<&str> = s.allowed().iter().map(|a| a.as_str()).collect();
                format!("{s}: {}", allowed.join(" "))
            })
            .collect();
        assert_eq!(
            lines,
            [
                "Pending: schedule exclude run_now",
                "Reserved: schedule unschedule exclude run_now",
                "In_progress: ",
                "Completed: ",
                "Failed: exclude retry",
                "Excluded: include",
            ]
        );
    }
}
