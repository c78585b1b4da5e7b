//! Maintenance through the CLI: a task over two instances, each resource action, the
//! task-wide schedule, the task page with counts and each resource's schedule, an
//! upcoming notification, a webhook whose secret is read from stdin and never shown, and
//! a resource run now on the simulated cloud, announced when it starts and completes.

use super::*;

const SECRET: &str = "cli-webhook-secret-0123456789";

/// Polls a CLI command's JSON until `check` holds, for up to 60 s.
fn until(user: &User, args: &[&str], what: &str, check: impl Fn(&Value) -> bool) -> Value {
    for _ in 0..600 {
        let v = user.run(args).json();
        if check(&v) {
            return v;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    panic!("{what}: not within 60 s")
}

#[test]
fn cli_schedules_maintenance_and_shows_its_notifications_and_webhooks() {
    let dir = tempfile::tempdir().unwrap();
    let (_server, user) = setup(dir.path());
    user.run(&["vpc", "create", "net", "--cidr", "10.0.0.0/16", "--connection", "fast", "--wait"]);
    user.run(&["subnet", "create", "net", "--vpc", "net", "--cidr", "10.0.0.0/24", "--wait"]);
    user.run(&["security-group", "create", "sg", "--vpc", "net", "--wait"]);
    for name in ["a", "b"] {
        let args = ["--type", "t1.micro", "--image", "ubuntu-22.04", "--subnet", "net", "--security-group", "sg"];
        user.run(&[&["instance", "create", name][..], &args, &["--wait"]].concat());
    }

    let m = |args: &[&str]| user.run(&[&["maintenance"][..], args].concat());
    let created = m(&[
        "task",
        "create",
        "kernel",
        "--requirement",
        "mandatory",
        "--deadline",
        "2099-01-01T00:00:00Z",
        "--type",
        "kernel_upgrade",
        "--apply",
        r#"{"kernel": "6.12"}"#,
        "--downtime",
        "--resource",
        "a",
        "--resource",
        "b",
        "--notify-before",
        "1h",
    ]);
    assert_eq!(created.field("status"), "Pending (completed 0, failed 0, total 2)", "{created:?}");
    assert_eq!(created.field("notify_before"), "1h");
    let list = m(&["task", "list"]);
    assert_eq!(list.row("kernel")[1..4], ["Pending", "0/0/2", "kernel_upgrade"], "{list:?}");

    // One resource reserved: its time shows, the other's is "-".
    let shown = m(&["resource", "schedule", "kernel", "a", "--at", "+3h"]);
    let a = shown.row("a");
    assert_eq!((a[2].len(), a[3].as_str(), a[4].as_str()), (20, "Reserved", "-"), "{shown:?}");
    assert_eq!(shown.row("b")[2..], ["-", "Pending", "-"], "{shown:?}");
    let json = m(&["task", "show", "kernel", "-o", "json"]).json();
    assert_eq!(a[1], json["resources"][0]["id"].as_str().unwrap(), "the instance's id");

    let all = m(&["schedule", "kernel", "--at", "2098-01-01T00:00:00Z"]);
    assert_eq!(all.field("status"), "Reserved (completed 0, failed 0, total 2)", "{all:?}");
    assert_eq!(all.row("b")[2..4], ["2098-01-01T00:00:00Z", "Reserved"]);
    assert_eq!(m(&["resource", "exclude", "kernel", "b"]).row("b")[2..4], ["-", "Excluded"]);
    assert_eq!(m(&["resource", "include", "kernel", "b"]).row("b")[3], "Pending");
    assert_eq!(m(&["resource", "schedule", "kernel", "b", "--at", "+5h"]).row("b")[3], "Reserved");
    assert_eq!(m(&["resource", "unschedule", "kernel", "b"]).row("b")[2..4], ["-", "Pending"]);
    let refused = user.try_run(&["maintenance", "resource", "retry", "kernel", "b"]);
    assert_ne!(refused.code, 0, "{refused:?}");
    assert!(refused.stderr.contains("Pending"), "the refusal names the status: {refused:?}");

    // A webhook with its secret from stdin; nothing answers on port 9, so its delivery
    // stays pending with the error recorded.
    let hook = user.run_with_stdin(
        &["maintenance", "webhook", "create", "ops", "--url", "http://127.0.0.1:9/hook", "-o", "json"],
        Some(&format!("{SECRET}\n")),
    );
    assert_eq!(hook.code, 0, "{hook:?}");
    assert_eq!(hook.json()["url"], "http://127.0.0.1:9/hook");
    assert!(m(&["webhook", "list"]).row("ops")[1].starts_with("http://127.0.0.1:9"));

    m(&["resource", "schedule", "kernel", "a", "--at", "+30m"]);
    let notes = until(&user, &["maintenance", "notifications", "-o", "json"], "the upcoming notice", |v| {
        v.as_array().is_some_and(|a| !a.is_empty())
    });
    assert_eq!(notes[0]["kind"], "upcoming", "{notes}");
    let table = m(&["notifications"]);
    assert!(table.stdout.contains("upcoming") && table.stdout.contains("kernel_upgrade of a"), "{table:?}");
    let deliveries = until(&user, &["maintenance", "webhook", "deliveries", "ops", "-o", "json"], "an attempt", |v| {
        v[0]["attempts"].as_i64().is_some_and(|n| n >= 1)
    });
    assert_eq!(deliveries[0]["status"], "pending", "{deliveries}");
    assert!(deliveries[0]["last_error"].as_str().unwrap().contains("connect"), "{deliveries}");
    assert!(m(&["webhook", "deliveries", "ops"]).stdout.contains("upcoming"));

    // Run now, b is upgraded on the simulated cloud; its start and end are announced.
    let now = m(&["resource", "run-now", "kernel", "b"]);
    assert!(["Reserved", "In_progress"].contains(&now.row("b")[3].as_str()), "{now:?}");
    let t = until(&user, &["maintenance", "task", "show", "kernel", "-o", "json"], "b completed", |t| {
        t["resources"][1]["status"] == "Completed"
    });
    assert_eq!(t["counts"], serde_json::json!({"completed": 1, "failed": 0, "total": 2}), "{t}");
    let shown = m(&["task", "show", "kernel"]);
    assert_eq!(shown.field("status"), "In_progress (completed 1, failed 0, total 2)", "{shown:?}");
    let notes = until(&user, &["maintenance", "notifications", "-o", "json"], "b announced", |v| {
        v.as_array().is_some_and(|a| a.iter().any(|n| n["kind"] == "completed"))
    });
    let kinds: Vec<&str> = notes.as_array().unwrap().iter().map(|n| n["kind"].as_str().unwrap()).collect();
    assert!(kinds.contains(&"started") && kinds.contains(&"completed"), "{notes}");

    for out in [m(&["webhook", "list", "-o", "json"]), m(&["webhook", "deliveries", "ops"]), m(&["notifications"])] {
        assert!(!out.stdout.contains(SECRET), "the secret is never shown: {out:?}");
    }
    m(&["webhook", "delete", "ops"]);
    m(&["task", "delete", "kernel"]);
    assert_eq!(m(&["task", "list", "-o", "json"]).json(), serde_json::json!([]));
}
