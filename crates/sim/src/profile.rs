//! Provider profiles: which real cloud the simulation imitates. The generic profile
//! supports every kind natively and enforces the rules most clouds share; a profile for
//! a specific provider narrows that (kinds it lacks, rules it accepts but does not apply).

use gureum_driver::{ResourceKind, RuleOutcome, RuleSpec, Support};
use gureum_model::FieldError;
use serde::{Serialize, Serializer};
use serde_json::Value;
use std::collections::BTreeMap;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Profile {
    /// A typical public cloud: every kind native, every security-group rule applied.
    #[default]
    Generic,
}

impl Profile {
    pub const ALL: &[Profile] = &[Profile::Generic];

    pub fn as_str(self) -> &'static str {
        match self {
            Profile::Generic => "generic",
        }
    }

    pub(crate) fn parse(field: &str, v: &Value) -> Result<Profile, FieldError> {
        let known = || Profile::ALL.iter().map(|p| p.as_str()).collect::<Vec<_>>().join(", ");
        let name = v.as_str().ok_or_else(|| FieldError::new(field, format!("must be a string; known: {}", known())))?;
        Profile::ALL
            .iter()
            .copied()
            .find(|p| p.as_str() == name)
            .ok_or_else(|| FieldError::new(field, format!("unknown profile {name:?}; known: {}", known())))
    }

    pub fn kinds(self) -> BTreeMap<ResourceKind, Support> {
        match self {
            Profile::Generic => ResourceKind::ALL.iter().map(|k| (*k, Support::Native)).collect(),
        }
    }

    /// Whether an image may only be made from a stopped VM's disk. The generic cloud
    /// takes a crash-consistent image of a running VM's disk, as most clouds do.
    pub fn image_needs_stopped_vm(self) -> bool {
        match self {
            Profile::Generic => false,
        }
    }

    /// Which of the accepted rules the provider enforces.
    pub fn rule_outcomes(self, rules: &[RuleSpec]) -> Vec<RuleOutcome> {
        match self {
            Profile::Generic => {
                rules.iter().map(|r| RuleOutcome { id: r.id.clone(), applied: true, note: None }).collect()
            }
        }
    }
}

impl Serialize for Profile {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}
