//! The volume state machine and size rules (SPEC §4).

use crate::FieldError;
use crate::spelled_enum;
use crate::state::Refusal;

pub const VOLUME_MIN_GB: i64 = 1;
pub const VOLUME_MAX_GB: i64 = 5_120;

spelled_enum! {
    pub enum VolumeState {
        Creating => "Creating",
        Available => "Available",
        InUse => "In-use",
        Reserved => "Reserved",
        Attaching => "Attaching",
        Detaching => "Detaching",
        Extending => "Extending",
        BackingUp => "Backing-Up",
        Uploading => "Uploading",
        Deleting => "Deleting",
        Error => "Error",
    }
}

spelled_enum! {
    pub enum VolumeAction {
        Attach => "attach",
        Detach => "detach",
        Extend => "extend",
        Snapshot => "snapshot",
        Upload => "upload",
        Delete => "delete",
    }
}

spelled_enum! {
    pub enum VolumeKind {
        Root => "root",
        Data => "data",
    }
}

use VolumeAction as A;
use VolumeState as S;

const RULES: &[(A, &[S], S)] = &[
    (A::Attach, &[S::Available], S::Attaching),
    (A::Detach, &[S::InUse, S::Reserved], S::Detaching),
    (A::Extend, &[S::Available, S::InUse], S::Extending),
    (A::Snapshot, &[S::Available, S::InUse], S::BackingUp),
    (A::Upload, &[S::Available], S::Uploading),
    (A::Delete, &[S::Available, S::Error], S::Deleting),
];

impl VolumeState {
    /// Checks `action` against the table; returns the transitional state to enter.
    pub fn check(self, action: A) -> Result<S, Refusal> {
        RULES.iter().find(|(a, from, _)| *a == action && from.contains(&self)).map(|(_, _, enters)| *enters).ok_or_else(
            || Refusal {
                action: action.as_str(),
                state: self.as_str(),
                allowed: self.allowed_actions().iter().map(|a| a.as_str()).collect(),
                busy_with: None,
            },
        )
    }

    pub fn allowed_actions(self) -> Vec<A> {
        RULES.iter().filter(|(_, from, _)| from.contains(&self)).map(|(a, _, _)| *a).collect()
    }

    /// The state a volume settles in once work on it ends, derived from its attachment:
    /// attached to a shelved instance is `Reserved`, attached otherwise `In-use`.
    pub fn settled(attached: bool, instance_shelved: bool) -> S {
        match (attached, instance_shelved) {
            (false, _) => S::Available,
            (true, true) => S::Reserved,
            (true, false) => S::InUse,
        }
    }
}

/// Size of any volume: 1–5,120 GB.
pub fn validate_size(field: &str, size_gb: i64) -> Result<(), FieldError> {
    crate::validation::in_range(field, size_gb, VOLUME_MIN_GB, VOLUME_MAX_GB)
}

/// Extend only grows, within the limits.
pub fn validate_extend(current_gb: i64, new_gb: i64) -> Result<(), FieldError> {
    validate_size("size_gb", new_gb)?;
    if new_gb <= current_gb {
        return Err(FieldError::new(
            "size_gb",
            format!("a volume can only grow: must be greater than the current {current_gb} GB"),
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn size_limits() {
        assert!(validate_size("size_gb", 0).unwrap_err().rule.contains("between 1 and 5120"));
        assert!(validate_size("size_gb", 5_121).is_err());
        assert!(validate_size("size_gb", 1).is_ok());
        assert!(validate_size("size_gb", 5_120).is_ok());
        assert!(validate_extend(10, 10).unwrap_err().rule.contains("only grow"));
        assert!(validate_extend(10, 11).is_ok());
    }

    #[test]
    fn transitions() {
        assert_eq!(S::Available.check(A::Attach).unwrap(), S::Attaching);
        assert_eq!(S::Reserved.check(A::Detach).unwrap(), S::Detaching);
        assert!(S::InUse.check(A::Delete).is_err());
        let r = S::InUse.check(A::Delete).unwrap_err();
        assert_eq!(r.allowed, vec!["detach", "extend", "snapshot"]);
        for s in [S::Creating, S::Attaching, S::Detaching, S::Extending, S::BackingUp, S::Uploading, S::Deleting] {
            assert!(s.allowed_actions().is_empty(), "{s} is transitional");
        }
        assert_eq!(S::settled(true, true), S::Reserved);
        assert_eq!(S::settled(true, false), S::InUse);
        assert_eq!(S::settled(false, true), S::Available);
    }
}
