//! Operations: the user-visible face of a durable workflow.

use crate::spelled_enum;

spelled_enum! {
    pub enum OperationStatus {
        Running => "running",
        Unwinding => "unwinding",
        Succeeded => "succeeded",
        Failed => "failed",
        Cancelled => "cancelled",
    }
}

impl OperationStatus {
    pub fn is_finished(self) -> bool {
        matches!(self, Self::Succeeded | Self::Failed | Self::Cancelled)
    }
}

spelled_enum! {
    pub enum StepStatus {
        Pending => "pending",
        Running => "running",
        Done => "done",
        Skipped => "skipped",
        Failed => "failed",
        Undoing => "undoing",
        Undone => "undone",
        UndoFailed => "undo_failed",
    }
}
