//! Public IPs: ephemeral ones live and die with their instance's running life; static
//! ones stay allocated and move between instances.

use crate::spelled_enum;
use crate::state::Refusal;

spelled_enum! {
    pub enum PublicIpState {
        Allocating => "Allocating",
        Available => "Available",
        Attaching => "Attaching",
        InUse => "In-use",
        Detaching => "Detaching",
        Releasing => "Releasing",
        Error => "Error",
    }
}

spelled_enum! {
    pub enum PublicIpKind {
        Ephemeral => "ephemeral",
        Static => "static",
    }
}

spelled_enum! {
    /// What an instance create asks for.
    pub enum PublicIpMode {
        None => "none",
        Ephemeral => "ephemeral",
        Static => "static",
    }
}

spelled_enum! {
    pub enum PublicIpAction {
        Attach => "attach",
        Detach => "detach",
        Release => "release",
    }
}

use PublicIpAction as A;
use PublicIpState as S;

const RULES: &[(A, &[S], S)] = &[
    (A::Attach, &[S::Available], S::Attaching),
    (A::Detach, &[S::InUse], S::Detaching),
    (A::Release, &[S::Available, S::Error], S::Releasing),
];

impl PublicIpState {
    pub fn check(self, action: A) -> Result<S, Refusal> {
        RULES.iter().find(|(a, from, _)| *a == action && from.contains(&self)).map(|(_, _, enters)| *enters).ok_or_else(
            || Refusal {
                action: action.as_str(),
                state: self.as_str(),
                allowed: RULES.iter().filter(|(_, f, _)| f.contains(&self)).map(|(a, _, _)| a.as_str()).collect(),
                busy_with: None,
            },
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn transitions() {
        assert_eq!(S::Available.check(A::Attach).unwrap(), S::Attaching);
        assert!(S::InUse.check(A::Release).unwrap_err().to_string().contains("allowed now: detach"));
    }
}
