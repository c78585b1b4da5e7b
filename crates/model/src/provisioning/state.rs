//! A provisioning's life: created whole, followed until reachable, returned whole. The
//! spellings are the API's (SPEC §0).

use crate::spelled_enum;
use crate::state::Refusal;

spelled_enum! {
    pub enum ProvisioningState {
        Provisioning => "Provisioning",
        Provisioned => "Provisioned",
        ProvisioningFailed => "Provisioning_failed",
        Returning => "Returning",
        Returned => "Returned",
        ReturnFailed => "Return_failed",
    }
}

spelled_enum! {
    pub enum ProvisioningAction {
        /// Delete every resource of the stack.
        Return => "return",
        /// Remove the provisioning's status from the list (its history stays).
        Delete => "delete",
    }
}

use ProvisioningAction as A;
use ProvisioningState as S;

const RULES: &[(A, &[S], Option<S>)] = &[
    // A failed create that was kept (`on_failure: keep`) or only partly unwound is
    // returned like a finished one; a failed return may be retried.
    (A::Return, &[S::Provisioned, S::ProvisioningFailed, S::ReturnFailed], Some(S::Returning)),
    (A::Delete, &[S::Returned, S::ReturnFailed], None),
];

impl ProvisioningState {
    /// The state `action` enters from this one (`None`: the row goes away), or why not.
    pub fn check(self, action: A) -> Result<Option<S>, Refusal> {
        RULES.iter().find(|(a, from, _)| *a == action && from.contains(&self)).map(|(_, _, enters)| *enters).ok_or_else(
            || Refusal {
                action: action.as_str(),
                state: self.as_str(),
                allowed: self.allowed().iter().map(|a| a.as_str()).collect(),
                busy_with: None,
            },
        )
    }

    pub fn allowed(self) -> Vec<A> {
        RULES.iter().filter(|(_, from, _)| from.contains(&self)).map(|(a, _, _)| *a).collect()
    }

    /// Still at work: the console follows it live.
    pub fn is_transitional(self) -> bool {
        matches!(self, S::Provisioning | S::Returning)
    }
}

spelled_enum! {
    /// One resource of a stack, as the provisioning follows it.
    pub enum StackResourceState {
        Pending => "Pending",
        Creating => "Creating",
        Ready => "Ready",
        Failed => "Failed",
        Deleting => "Deleting",
        Deleted => "Deleted",
        DeleteFailed => "Delete_failed",
    }
}

impl StackResourceState {
    /// The provider may hold something of it: a return must delete it.
    pub fn may_exist(self) -> bool {
        !matches!(self, StackResourceState::Pending | StackResourceState::Deleted)
    }
}

spelled_enum! {
    /// What the history records (SPEC §0).
    pub enum HistoryType {
        ProvisioningExecuted => "provisioning_executed",
        ProvisioningFailed => "provisioning_failed",
        ProvisioningCompleted => "provisioning_completed",
        ReturnExecuted => "return_executed",
        ReturnFailed => "return_failed",
        ReturnCompleted => "return_completed",
        StatusDeleted => "status_deleted",
    }
}

spelled_enum! {
    /// What a failed provisioning does with what it made.
    pub enum OnFailure {
        Rollback => "rollback",
        Keep => "keep",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_stack_is_returned_once_settled() {
        for from in [S::Provisioned, S::ProvisioningFailed, S::ReturnFailed] {
            assert_eq!(from.check(A::Return).unwrap(), Some(S::Returning), "{from}");
        }
        for busy in [S::Provisioning, S::Returning, S::Returned] {
            assert!(busy.check(A::Return).is_err(), "{busy}");
        }
    }

    #[test]
    fn only_a_returned_or_failed_return_is_deleted() {
        assert_eq!(S::Returned.check(A::Delete).unwrap(), None);
        assert_eq!(S::ReturnFailed.check(A::Delete).unwrap(), None);
        let refused = S::Provisioned.check(A::Delete).unwrap_err().to_string();
        assert!(refused.contains("Provisioned") && refused.contains("allowed now: return"), "{refused}");
    }

    #[test]
    fn what_a_return_must_delete() {
        assert!(!StackResourceState::Pending.may_exist());
        assert!(!StackResourceState::Deleted.may_exist());
        assert!(StackResourceState::Failed.may_exist(), "a failed create may have made something");
        assert!(StackResourceState::DeleteFailed.may_exist());
    }
}
