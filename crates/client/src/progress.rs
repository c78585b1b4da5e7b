//! How far an operation has come, for progress displays.

use gureum_api_types::Operation;

/// Where an operation is: for progress displays ("step 4/10 vm_create").
#[derive(Debug, Clone, Copy)]
pub struct OperationProgress<'a> {
    pub operation: &'a Operation,
    /// Steps finished (done or skipped), as the server counts them.
    pub done: usize,
    pub total: usize,
    /// 1-based position of the current step (`total` once all are finished).
    pub position: usize,
    /// The step running (or undoing) now, else the one that failed, else the next to run;
    /// `None` when there are no steps.
    pub step: Option<&'a str>,
}

impl<'a> OperationProgress<'a> {
    pub fn of(op: &'a Operation) -> OperationProgress<'a> {
        use gureum_api_types::StepStatus as S;
        let total = op.progress.total.max(op.steps.len());
        // The step being worked on: the one running (or undoing), else the first not yet
        // finished, else the last.
        let current = op
            .steps
            .iter()
            .position(|s| matches!(s.status, S::Running | S::Undoing))
            .or_else(|| op.steps.iter().position(|s| matches!(s.status, S::Failed | S::UndoFailed)))
            .or_else(|| op.steps.iter().position(|s| s.error.is_some()))
            .or_else(|| op.steps.iter().position(|s| s.status == S::Pending))
            .or_else(|| op.steps.len().checked_sub(1));
        OperationProgress {
            operation: op,
            done: op.progress.done,
            total,
            position: current.map(|i| i + 1).unwrap_or(total),
            step: current.map(|i| op.steps[i].name.as_str()),
        }
    }
}
