//! Small presentation rules shared by every page: the colour of a state, ages, sizes.

/// The colour class of any state the console shows (instances, volumes, images, public
/// IPs, lifecycle states, operations and their steps, provisionings, their resources and
/// plan checks). The one place this is decided:
/// grey settled-and-idle, green running or done, red failed, amber everything else (work
/// in progress).
pub fn state_class(state: &str) -> &'static str {
    match state {
        "Stopped" | "Shelved_offloaded" | "Pending" | "pending" | "Reserved" | "cancelled" | "skipped" | "undone"
        | "Returned" | "Deleted" => "st-grey",
        "Active" | "Available" | "In-use" | "completed" | "Completed" | "succeeded" | "done" | "mapped"
        | "Provisioned" | "Ready" | "passed" | "Running" | "alive" => "st-green",
        "Error"
        | "failed"
        | "Failed"
        | "undo_failed"
        | "Provisioning_failed"
        | "Return_failed"
        | "Delete_failed"
        | "gone" => "st-red",
        _ => "st-amber",
    }
}

/// A maintenance status's colour (seed 002): grey for Pending and Excluded, green for
/// Reserved, In progress and Completed, red for Failed. What waits for its time or runs
/// keeps the page polling for live status.
pub fn maintenance_class(status: &str) -> &'static str {
    match status {
        "Reserved" | "In_progress" => "st-green st-waiting",
        "Completed" => "st-green",
        "Failed" => "st-red",
        _ => "st-grey",
    }
}

/// "3m", "5h", "2d" since an RFC 3339 time; empty when it does not parse.
pub fn age(rfc3339: &str) -> String {
    let Ok(t) = time::OffsetDateTime::parse(rfc3339, &time::format_description::well_known::Rfc3339) else {
        return String::new();
    };
    let secs = (time::OffsetDateTime::now_utc() - t).whole_seconds().max(0);
    match secs {
        s if s < 60 => format!("{s}s"),
        s if s < 3600 => format!("{}m", s / 60),
        s if s < 86_400 => format!("{}h", s / 3600),
        s => format!("{}d", s / 86_400),
    }
}

/// An RFC 3339 time shortened for tables: `2026-11-22 10:41:07`.
pub fn short_time(rfc3339: &str) -> String {
    let s = rfc3339.replace('T', " ");
    s.split(['.', 'Z', '+']).next().unwrap_or(&s).to_string()
}

/// MiB as "512 MiB" or "4 GiB".
pub fn memory(mib: i64) -> String {
    if mib >= 1024 && mib % 1024 == 0 { format!("{} GiB", mib / 1024) } else { format!("{mib} MiB") }
}

/// Seconds as "1h 02m 03s".
pub fn duration(seconds: i64) -> String {
    let (h, m, s) = (seconds / 3600, (seconds % 3600) / 60, seconds % 60);
    if h > 0 {
        format!("{h}h {m:02}m {s:02}s")
    } else if m > 0 {
        format!("{m}m {s:02}s")
    } else {
        format!("{s}s")
    }
}

/// Decimals that tell apart axis lines `step` dollars apart (2 to 6): a week of a few
/// small instances costs fractions of a cent.
pub fn axis_decimals(step: f64) -> usize {
    if step <= 0.0 { 2 } else { (-step.log10()).ceil().clamp(2.0, 6.0) as usize }
}

pub fn money(v: f64) -> String {
    format!("${v:.4}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn states_are_coloured_by_meaning() {
        for s in ["Stopped", "Shelved_offloaded", "Pending", "pending", "cancelled"] {
            assert_eq!(state_class(s), "st-grey", "{s}");
        }
        for s in ["Active", "Available", "In-use", "completed", "succeeded"] {
            assert_eq!(state_class(s), "st-green", "{s}");
        }
        for s in ["Error", "failed"] {
            assert_eq!(state_class(s), "st-red", "{s}");
        }
        for s in ["Building", "Powering-off", "Resize_prep", "Deleting", "Creating", "Attaching", "running"] {
            assert_eq!(state_class(s), "st-amber", "{s}");
        }
        // A provisioning is followed live exactly while the model calls it transitional.
        use gureum_model::provisioning::{ProvisioningState, StackResourceState};
        for s in ProvisioningState::ALL {
            assert_eq!(state_class(s.as_str()) == "st-amber", s.is_transitional(), "{s}");
        }
        for s in StackResourceState::ALL {
            let amber = matches!(s, StackResourceState::Creating | StackResourceState::Deleting);
            assert_eq!(state_class(s.as_str()) == "st-amber", amber, "{s}");
        }
        // Every instance state has a colour, and only the settled ones are not amber.
        use gureum_model::instance::InstanceState;
        for s in InstanceState::ALL {
            let amber = state_class(s.as_str()) == "st-amber";
            assert_eq!(amber, !s.is_settled() || *s == InstanceState::Resized, "{s}");
        }
    }

    #[test]
    fn small_formats() {
        assert_eq!(memory(512), "512 MiB");
        assert_eq!(memory(4096), "4 GiB");
        assert_eq!(duration(3723), "1h 02m 03s");
        assert_eq!(short_time("2026-11-22T10:41:07.123Z"), "2026-11-22 10:41:07");
        assert_eq!(axis_decimals(0.000075), 5);
        assert_eq!(axis_decimals(0.25), 2);
        assert_eq!(axis_decimals(250.0), 2);
    }
}
