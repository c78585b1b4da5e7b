//! What a task applies, read from its type and its `apply` object, checked when the task
//! is created so that a runbook never starts with an update it cannot carry out.

use crate::{Error, Result};
use gureum_driver::{GuestFacts, GuestUpdate};
use gureum_model::maintenance::MaintenanceType;
use serde_json::Value;
use std::collections::BTreeMap;

/// How long a restarted guest has to come back and pass its health check, unless the
/// task's `apply.health_timeout_seconds` says otherwise.
pub const HEALTH_TIMEOUT_SECONDS: u64 = 300;

/// The update of a task of type `kind` with `apply`, or a 400 naming the field.
pub fn guest_update(kind: MaintenanceType, apply: &Value, downtime: bool) -> Result<GuestUpdate> {
    let update = match kind {
        MaintenanceType::KernelUpgrade => GuestUpdate::KernelUpgrade { kernel: text(apply, "kernel")? },
        MaintenanceType::OsUpdate => GuestUpdate::OsUpdate { version: text(apply, "version")? },
        MaintenanceType::EngineUpgrade => GuestUpdate::EngineUpgrade { version: text(apply, "version")? },
        MaintenanceType::ConfigChange => GuestUpdate::ConfigChange { settings: settings(apply)? },
    };
    if !downtime && restarts(&update) {
        return Err(Error::invalid("downtime", format!("a {kind} restarts the instance: set downtime to true")));
    }
    Ok(update)
}

/// Whether the update needs the VM stopped (and so restarts it).
pub fn restarts(update: &GuestUpdate) -> bool {
    !matches!(update, GuestUpdate::ConfigChange { .. })
}

/// The health-check timeout `apply` asks for (10 s to an hour).
pub fn health_timeout(apply: &Value) -> Result<u64> {
    match apply.get("health_timeout_seconds") {
        None => Ok(HEALTH_TIMEOUT_SECONDS),
        Some(v) => v.as_u64().filter(|s| (10..=3600).contains(s)).ok_or_else(|| {
            Error::invalid(
                "apply.health_timeout_seconds",
                format!("must be a whole number of seconds, 10–3600, got {v}"),
            )
        }),
    }
}

/// Why the guest does not show the update, or `None` when it does.
pub fn health_mismatch(update: &GuestUpdate, facts: &GuestFacts) -> Option<String> {
    let shown = |v: &Option<String>| v.clone().unwrap_or_else(|| "nothing".into());
    match update {
        GuestUpdate::KernelUpgrade { kernel } => match &facts.kernel {
            Some(k) if is_release_of(k, kernel) => None,
            other => Some(format!("the guest runs kernel {}, not {kernel}", shown(other))),
        },
        GuestUpdate::OsUpdate { version } => (facts.os_version.as_ref() != Some(version))
            .then(|| format!("the guest's OS is {}, not {version}", shown(&facts.os_version))),
        GuestUpdate::EngineUpgrade { version } => (facts.engine_version.as_ref() != Some(version))
            .then(|| format!("the engine is {}, not {version}", shown(&facts.engine_version))),
        GuestUpdate::ConfigChange { settings } => settings.iter().find_map(|(k, v)| {
            let now = facts.settings.get(k);
            (now != Some(v)).then(|| format!("{k} is {}, not {v}", now.map_or("unset", String::as_str)))
        }),
    }
}

/// The update that puts back what `update` changed, from the facts before it, if known.
pub fn rollback_of(update: &GuestUpdate, before: &GuestFacts) -> Option<GuestUpdate> {
    match update {
        GuestUpdate::KernelUpgrade { .. } => before.kernel.clone().map(|kernel| GuestUpdate::KernelUpgrade { kernel }),
        GuestUpdate::OsUpdate { .. } => before.os_version.clone().map(|version| GuestUpdate::OsUpdate { version }),
        GuestUpdate::EngineUpgrade { .. } => {
            before.engine_version.clone().map(|version| GuestUpdate::EngineUpgrade { version })
        }
        GuestUpdate::ConfigChange { settings } => {
            let old: BTreeMap<String, String> =
                settings.keys().filter_map(|k| before.settings.get(k).map(|v| (k.clone(), v.clone()))).collect();
            (!old.is_empty()).then_some(GuestUpdate::ConfigChange { settings: old })
        }
    }
}

/// Whether `release` is `version` or one of its releases: the prefix ends at a version
/// boundary, so "6.1" matches 6.1.0-41 and not 6.12.
fn is_release_of(release: &str, version: &str) -> bool {
    release.strip_prefix(version).is_some_and(|rest| rest.is_empty() || rest.starts_with(['.', '-', '+']))
}

fn text(apply: &Value, key: &str) -> Result<String> {
    match apply.get(key).and_then(Value::as_str).map(str::trim) {
        Some(s) if !s.is_empty() && s.len() <= 128 => Ok(s.to_string()),
        _ => Err(Error::invalid(format!("apply.{key}"), "required: a non-empty string of at most 128 characters")),
    }
}

/// `{"settings": {"vm.swappiness": "10"}}`: names of letters, digits and `._-`; values
/// strings or numbers.
fn settings(apply: &Value) -> Result<BTreeMap<String, String>> {
    let field = "apply.settings";
    let map = apply.get("settings").and_then(Value::as_object).filter(|m| !m.is_empty()).ok_or_else(|| {
        Error::invalid(field, "required: an object of at least one setting, e.g. {\"vm.swappiness\": \"10\"}")
    })?;
    let mut out = BTreeMap::new();
    for (k, v) in map {
        let name_ok = !k.is_empty()
            && k.len() <= 128
            && k.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'));
        if !name_ok {
            return Err(Error::invalid(field, format!("{k:?} is not a setting name (letters, digits, '.', '_', '-')")));
        }
        let value = match v {
            Value::String(s) if s.len() <= 256 && !s.contains(['\n', '\r']) => s.clone(),
            Value::Number(n) => n.to_string(),
            _ => return Err(Error::invalid(field, format!("{k}: the value must be a one-line string or a number"))),
        };
        out.insert(k.clone(), value);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn each_type_reads_its_field_and_names_it_when_missing() {
        let k = guest_update(MaintenanceType::KernelUpgrade, &json!({"kernel": "6.12"}), true).unwrap();
        assert_eq!(k, GuestUpdate::KernelUpgrade { kernel: "6.12".into() });
        let e = guest_update(MaintenanceType::OsUpdate, &json!({}), true).unwrap_err().to_string();
        assert!(e.contains("apply.version"), "{e}");
        let e = guest_update(MaintenanceType::ConfigChange, &json!({"settings": {"a b": "1"}}), false).unwrap_err();
        assert!(e.to_string().contains("apply.settings"), "{e}");
    }

    #[test]
    fn an_update_that_restarts_needs_downtime() {
        let e = guest_update(MaintenanceType::KernelUpgrade, &json!({"kernel": "6.12"}), false).unwrap_err();
        assert!(e.to_string().contains("downtime"), "{e}");
        assert!(
            guest_update(MaintenanceType::ConfigChange, &json!({"settings": {"vm.swappiness": 10}}), false).is_ok()
        );
    }

    #[test]
    fn the_health_check_compares_what_the_guest_says() {
        let up = GuestUpdate::KernelUpgrade { kernel: "6.12".into() };
        let facts = |k: &str| GuestFacts { kernel: Some(k.into()), ..GuestFacts::default() };
        assert_eq!(health_mismatch(&up, &facts("6.12.95+deb12-cloud-amd64")), None);
        assert!(health_mismatch(&up, &facts("6.1.0-41-cloud-amd64")).unwrap().contains("6.1.0-41"));
        let back = GuestUpdate::KernelUpgrade { kernel: "6.1".into() };
        assert!(health_mismatch(&back, &facts("6.12.95+deb12-cloud-amd64")).is_some(), "6.12 is not a 6.1");
        let cfg = GuestUpdate::ConfigChange { settings: [("vm.swappiness".into(), "10".into())].into() };
        assert!(health_mismatch(&cfg, &GuestFacts::default()).unwrap().contains("unset"));
    }

    #[test]
    fn the_rollback_restores_what_was_there() {
        let before = GuestFacts {
            kernel: Some("6.1.0-41-cloud-amd64".into()),
            settings: [("vm.swappiness".into(), "60".into())].into(),
            ..GuestFacts::default()
        };
        let up = GuestUpdate::KernelUpgrade { kernel: "6.12".into() };
        assert_eq!(
            rollback_of(&up, &before),
            Some(GuestUpdate::KernelUpgrade { kernel: "6.1.0-41-cloud-amd64".into() })
        );
        let cfg = GuestUpdate::ConfigChange { settings: [("vm.swappiness".into(), "10".into())].into() };
        assert_eq!(
            rollback_of(&cfg, &before),
            Some(GuestUpdate::ConfigChange { settings: [("vm.swappiness".into(), "60".into())].into() })
        );
        assert_eq!(rollback_of(&GuestUpdate::OsUpdate { version: "12.8".into() }, &before), None);
    }
}
