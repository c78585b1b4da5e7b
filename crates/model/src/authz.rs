//! The IAM matrix of SPEC §4: project roles and what each may do. The engine asks this
//! table, and nothing else, whether an actor may act.

use crate::spelled_enum;

spelled_enum! {
    pub enum Role {
        Admin => "admin",
        Member => "member",
        Reader => "reader",
    }
}

spelled_enum! {
    pub enum Permission {
        /// See the project and everything in it.
        View => "view",
        /// Create, change and delete instances, volumes, images, key pairs and networks.
        ManageResources => "manage resources",
        /// Allocate, attach, detach and release static public IPs.
        ManagePublicIps => "set public IP configuration",
        /// Add, change and remove project members.
        ManageMembers => "manage project members",
        /// Read the initial credentials a provisioning hands back.
        ViewCredentials => "view initial credentials",
    }
}

impl Role {
    pub fn allows(self, permission: Permission) -> bool {
        use Permission as P;
        match self {
            Role::Admin => true,
            Role::Member => matches!(permission, P::View | P::ManageResources | P::ViewCredentials),
            Role::Reader => permission == P::View,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A snapshot of the whole matrix, so a change to it is a visible diff.
    #[test]
    fn matrix_snapshot() {
        let mut lines = vec![];
        for &r in Role::ALL {
            let allowed: Vec<_> = Permission::ALL.iter().filter(|p| r.allows(**p)).map(|p| p.as_str()).collect();
            lines.push(format!("{r}: {}", allowed.join(", ")));
        }
        assert_eq!(
            lines,
            [
                "admin: view, manage resources, set public IP configuration, manage project members, view initial credentials",
                "member: view, manage resources, view initial credentials",
                "reader: view",
            ]
        );
    }
}
