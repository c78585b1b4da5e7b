//! A task's status, derived from its resources' statuses (SPEC §2) in one pure function.

use super::{ResourceStatus as R, TaskStatus as T};

/// What the task shows next to its status: finished resources and how many count.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
pub struct TaskCounts {
    pub completed: u32,
    pub failed: u32,
    /// Resources that count: all but the excluded ones.
    pub total: u32,
}

/// The task's status and counts. Excluded resources do not count unless all are excluded.
/// The rules, first match wins:
/// 1. all excluded → Excluded;
/// 2. one running → In_progress (activity shows even while another waits for a schedule);
/// 3. one without a schedule → Pending (the operator has to act; also a task with none);
/// 4. all completed → Completed;
/// 5. all finished, one failed → Failed (mixed endings too: they need the operator);
/// 6. some finished, others reserved → In_progress;
/// 7. all reserved → Reserved.
pub fn derive_task_status(resources: &[R]) -> (T, TaskCounts) {
    let counted: Vec<R> = resources.iter().copied().filter(|s| *s != R::Excluded).collect();
    let n = |s: R| counted.iter().filter(|c| **c == s).count() as u32;
    let counts = TaskCounts { completed: n(R::Completed), failed: n(R::Failed), total: counted.len() as u32 };
    let finished = counts.completed + counts.failed;
    let status = if counted.is_empty() && !resources.is_empty() {
        T::Excluded
    } else if n(R::InProgress) > 0 {
        T::InProgress
    } else if counted.is_empty() || n(R::Pending) > 0 {
        T::Pending
    } else if counts.completed == counts.total {
        T::Completed
    } else if finished == counts.total {
        T::Failed
    } else if finished > 0 {
        T::InProgress
    } else {
        T::Reserved
    };
    (status, counts)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn status(rs: &[R]) -> T {
        derive_task_status(rs).0
    }

    #[test]
    fn all_excluded_is_excluded() {
        assert_eq!(status(&[R::Excluded, R::Excluded]), T::Excluded);
    }

    #[test]
    fn one_unscheduled_is_pending() {
        assert_eq!(status(&[R::Reserved, R::Pending]), T::Pending);
    }

    #[test]
    fn all_scheduled_none_started_is_reserved() {
        assert_eq!(status(&[R::Reserved, R::Reserved]), T::Reserved);
    }

    #[test]
    fn one_running_is_in_progress() {
        assert_eq!(status(&[R::Reserved, R::InProgress]), T::InProgress);
    }

    #[test]
    fn some_finished_others_to_run_is_in_progress_with_counts() {
        let (s, c) = derive_task_status(&[R::Completed, R::Failed, R::Reserved]);
        assert_eq!((s, c), (T::InProgress, TaskCounts { completed: 1, failed: 1, total: 3 }));
    }

    #[test]
    fn all_completed_is_completed() {
        assert_eq!(status(&[R::Completed, R::Completed]), T::Completed);
    }

    #[test]
    fn all_failed_is_failed() {
        assert_eq!(status(&[R::Failed, R::Failed]), T::Failed);
    }

    #[test]
    fn mixed_endings_are_failed() {
        let (s, c) = derive_task_status(&[R::Completed, R::Failed]);
        assert_eq!((s, c), (T::Failed, TaskCounts { completed: 1, failed: 1, total: 2 }));
    }

    #[test]
    fn excluded_ones_do_not_count() {
        assert_eq!(status(&[R::Completed, R::Excluded]), T::Completed);
        assert_eq!(status(&[R::Reserved, R::Excluded]), T::Reserved);
        assert_eq!(derive_task_status(&[R::Failed, R::Excluded]).1.total, 1);
    }

    #[test]
    fn running_beats_unscheduled() {
        assert_eq!(status(&[R::InProgress, R::Pending]), T::InProgress);
    }

    #[test]
    fn unscheduled_beats_finished() {
        assert_eq!(status(&[R::Completed, R::Pending]), T::Pending);
        assert_eq!(status(&[R::Failed, R::Pending]), T::Pending);
    }

    #[test]
    fn running_beats_failed() {
        assert_eq!(status(&[R::Failed, R::InProgress]), T::InProgress);
    }

    #[test]
    fn a_task_without_resources_is_pending() {
        assert_eq!(derive_task_status(&[]), (T::Pending, TaskCounts::default()));
    }
}
