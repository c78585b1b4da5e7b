//! The CLI as a user drives it: a real `gureum serve` on a temporary data directory and
//! free port, and the `gureum` binary run once per command with its own config file.
//! Also the typed client (`gureum-client`) against the same kind of server.

use gureum_client::types::*;
use gureum_client::{Client, list_all};
use serde_json::Value;
use std::io::Write;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

struct Server {
    child: Child,
    base: String,
    token: String,
}

impl Server {
    fn start(data_dir: &Path) -> Server {
        let mut child = Command::new(env!("CARGO_BIN_EXE_gureum"))
            .args(["serve", "--no-guest-build", "--listen", "127.0.0.1:0", "--data-dir"])
            .arg(data_dir)
            .env("RUST_LOG", "warn")
            .env_remove("GUREUM_DATABASE_URL")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("start gureum serve");
        let (base, _) = crate::support::listening(&mut child, "gureum listening on ");
        let token = std::fs::read_to_string(data_dir.join("admin.token")).expect("admin.token").trim().to_string();
        Server { child, base, token }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The result of one CLI run.
#[derive(Debug)]
struct Out {
    code: i32,
    stdout: String,
    stderr: String,
}

impl Out {
    fn json(&self) -> Value {
        serde_json::from_str(&self.stdout).unwrap_or_else(|e| panic!("stdout is not JSON ({e}): {self:?}"))
    }

    /// The table row that starts with `name`, split into columns.
    fn row(&self, name: &str) -> Vec<String> {
        self.stdout
            .lines()
            .map(|l| l.split_whitespace().map(str::to_string).collect::<Vec<_>>())
            .find(|cols| cols.first().map(String::as_str) == Some(name))
            .unwrap_or_else(|| panic!("no row {name:?} in:\n{}", self.stdout))
    }

    /// A `field  value` line of a `show` table.
    fn field(&self, field: &str) -> String {
        self.stdout
            .lines()
            .find_map(|l| {
                let (k, v) = l.split_once(char::is_whitespace)?;
                (k == field).then(|| v.trim().to_string())
            })
            .unwrap_or_else(|| panic!("no field {field:?} in:\n{}", self.stdout))
    }
}

/// The CLI as one user with one config file.
struct User {
    config: PathBuf,
}

impl User {
    fn new(dir: &Path) -> User {
        User { config: dir.join("home").join("gureum").join("config.toml") }
    }

    fn run_with_stdin(&self, args: &[&str], stdin: Option<&str>) -> Out {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_gureum"));
        cmd.args(args)
            .env("GUREUM_CONFIG", &self.config)
            .env_remove("GUREUM_SERVER")
            .env_remove("GUREUM_TOKEN")
            .env_remove("GUREUM_PROJECT")
            .stdin(if stdin.is_some() { Stdio::piped() } else { Stdio::null() })
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let mut child = cmd.spawn().expect("run gureum");
        if let Some(input) = stdin {
            child.stdin.take().expect("stdin").write_all(input.as_bytes()).expect("write stdin");
        }
        let out = child.wait_with_output().expect("wait for gureum");
        Out {
            code: out.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        }
    }

    fn try_run(&self, args: &[&str]) -> Out {
        self.run_with_stdin(args, None)
    }

    /// Runs a command that must succeed.
    fn run(&self, args: &[&str]) -> Out {
        let out = self.try_run(args);
        assert_eq!(out.code, 0, "gureum {} failed: {out:?}", args.join(" "));
        out
    }
}

/// A server, a user logged in with the admin token, a zero-latency connection `fast`, and
/// a project `demo` saved as the default.
fn setup(dir: &Path) -> (Server, User) {
    let server = Server::start(&dir.join("data"));
    let user = User::new(dir);
    let login = user.run(&["login", "--server", &server.base, "--token", &server.token]);
    assert!(login.stdout.contains("as admin"), "{login:?}");
    user.run(&["connection", "create", "fast", "--driver", "sim", "--settings", r#"{"latency_ms": 0}"#]);
    user.run(&["project", "create", "demo"]);
    // Logging in again with --project saves it as the default for what follows.
    user.run(&["login", "--server", &server.base, "--token", &server.token, "--project", "demo"]);
    (server, user)
}

/// Network, key pair, an instance through create → list → stop → delete, and bad input.
#[test]
fn cli_drives_an_instance_through_its_life() {
    let dir = tempfile::tempdir().unwrap();
    let (_server, user) = setup(dir.path());

    // The config file holds the token: owner-only.
    let mode = std::fs::metadata(&user.config).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o600, "config file mode");
    let config = std::fs::read_to_string(&user.config).unwrap();
    assert!(config.contains("demo"), "default project saved: {config}");

    let me = user.run(&["me"]);
    assert!(me.stdout.contains("admin") && me.stdout.contains("demo"), "{me:?}");

    let vpc = user.run(&["vpc", "create", "net", "--cidr", "10.0.0.0/16", "--connection", "fast", "--wait"]);
    assert_eq!(vpc.field("state"), "Available", "{vpc:?}");
    let subnet = user.run(&["subnet", "create", "net", "--vpc", "net", "--cidr", "10.0.0.0/24", "--wait"]);
    assert_eq!(subnet.field("state"), "Available");
    assert_eq!(user.run(&["subnet", "list", "--vpc", "net"]).row("net")[1], "Available");

    let sg = user.run(&["security-group", "create", "web", "--vpc", "net", "--wait"]);
    assert_eq!(sg.field("state"), "Available");
    let rule = user.run(&[
        "security-group",
        "rule-add",
        "web",
        "--direction",
        "inbound",
        "--protocol",
        "tcp",
        "--port-from",
        "22",
        "--wait",
    ]);
    assert_eq!(rule.field("port_from"), "22");
    let group = user.run(&["-o", "json", "security-group", "show", "web"]).json();
    assert_eq!(group["rules"].as_array().unwrap().len(), 1, "{group}");
    assert_eq!(group["rules"][0]["protocol"], "tcp");

    // A generated key pair: the private key goes to a new owner-only file, not stdout.
    let key_file = dir.path().join("k1.pem");
    let kp = user.run(&[
        "key-pair",
        "create",
        "k1",
        "--connection",
        "fast",
        "--private-key-out",
        key_file.to_str().unwrap(),
        "--wait",
    ]);
    assert!(!kp.stdout.contains("PRIVATE KEY"), "{kp:?}");
    let key = std::fs::read_to_string(&key_file).unwrap();
    assert!(key.starts_with("-----BEGIN OPENSSH PRIVATE KEY-----"), "{key}");
    assert_eq!(std::fs::metadata(&key_file).unwrap().permissions().mode() & 0o777, 0o600, "private key mode");
    // Never overwritten.
    let again = user.try_run(&["key-pair", "create", "k2", "--private-key-out", key_file.to_str().unwrap()]);
    assert_eq!(again.code, 1, "{again:?}");
    assert_eq!(std::fs::read_to_string(&key_file).unwrap(), key);

    let created = user.run(&[
        "instance",
        "create",
        "web-1",
        "--type",
        "t1.micro",
        "--image",
        "ubuntu-22.04",
        "--subnet",
        "net",
        "--security-group",
        "web",
        "--key-pair",
        "k1",
        "--wait",
    ]);
    assert_eq!(created.field("state"), "Active", "{created:?}");
    // Progress goes to stderr, a line per change when stderr is not a terminal.
    assert!(created.stderr.contains("instance_create web-1: step"), "{created:?}");
    assert!(created.stderr.contains("(succeeded)"), "{created:?}");

    let list = user.run(&["instance", "list"]);
    let header: Vec<&str> =
        list.stdout.lines().next().unwrap().split("  ").map(str::trim).filter(|s| !s.is_empty()).collect();
    assert_eq!(header, ["NAME", "STATE", "TYPE", "IMAGE", "PRIVATE IP", "PUBLIC IP", "NODE", "AGE"]);
    let row = list.row("web-1");
    assert_eq!(&row[1..4], ["Active", "t1.micro", "ubuntu-22.04"], "{list:?}");

    let json = user.run(&["instance", "list", "-o", "json"]).json();
    let items = json.as_array().expect("a JSON array");
    assert_eq!(items.len(), 1);
    assert_eq!(items[0]["name"], "web-1");
    assert_eq!(items[0]["state"], "Active");
    assert_eq!(items[0]["key_pair"], "k1");

    let stopped = user.run(&["instance", "stop", "web-1", "--wait"]);
    assert_eq!(stopped.field("state"), "Stopped");
    assert_eq!(user.run(&["instance", "list", "--state", "Stopped"]).row("web-1")[1], "Stopped");

    // Without --wait: the transitional view and the operation to follow.
    let starting = user.run(&["-o", "json", "instance", "start", "web-1"]).json();
    let op = starting["operation_id"].as_str().expect("an operation id").to_string();
    assert!(user.run(&["operation", "show", &op, "--wait"]).stdout.contains("succeeded"));
    assert_eq!(user.run(&["instance", "show", "web-1"]).field("state"), "Active");
    let ops = user.run(&["operation", "list"]);
    assert!(ops.stdout.contains("instance_create") && ops.stdout.contains("instance_stop"), "{ops:?}");

    let deleted = user.run(&["instance", "delete", "web-1", "--wait"]);
    assert!(deleted.stdout.contains("Deleted instance web-1"), "{deleted:?}");
    let gone = user.try_run(&["instance", "show", "web-1"]);
    assert_eq!(gone.code, 1, "{gone:?}");
    assert!(gone.stderr.contains("not found"), "{gone:?}");
    assert!(!user.run(&["instance", "list"]).stdout.contains("web-1"));

    // Bad input: the error names the field, the exit code is 1, and nothing was made.
    let bad = user.try_run(&["vpc", "create", "bad", "--cidr", "10.0.0.1/16", "--connection", "fast"]);
    assert_eq!(bad.code, 1, "{bad:?}");
    assert!(bad.stderr.starts_with("error: "), "{bad:?}");
    assert!(bad.stderr.contains("field cidr"), "{bad:?}");
    assert!(bad.stdout.is_empty(), "{bad:?}");
    assert!(!user.run(&["vpc", "list"]).stdout.contains("bad"));

    // Usage errors are clap's: exit 2.
    let usage = user.try_run(&["instance", "create", "x", "--image", "ubuntu-22.04"]);
    assert_eq!(usage.code, 2, "{usage:?}");
    let role = user.try_run(&["member", "set", "admin", "owner"]);
    assert_eq!(role.code, 2, "{role:?}");
    assert!(role.stderr.contains("admin, member, reader"), "{role:?}");

    // Without a project: a clear error.
    let stranger = User::new(&dir.path().join("stranger"));
    let no_project = stranger.try_run(&["vpc", "list"]);
    assert_eq!(no_project.code, 1, "{no_project:?}");
    assert!(no_project.stderr.contains("no project selected"), "{no_project:?}");
    // Without a token (and no server there): an error, not a hang or a panic.
    let no_server = stranger.try_run(&["--server", "http://127.0.0.1:9", "me"]);
    assert_eq!(no_server.code, 1, "{no_server:?}");
    assert!(no_server.stderr.contains("cannot reach"), "{no_server:?}");
}

/// Volumes, snapshots, public IPs, the other instance actions, images, IAM, usage.
#[test]
fn cli_covers_volumes_ips_actions_and_iam() {
    let dir = tempfile::tempdir().unwrap();
    let (_server, user) = setup(dir.path());
    user.run(&["vpc", "create", "net", "--cidr", "10.0.0.0/16", "--connection", "fast", "--wait"]);
    user.run(&["subnet", "create", "net", "--vpc", "net", "--cidr", "10.0.0.0/24", "--wait"]);
    let vm =
        &["instance", "create", "vm", "--type", "t1.micro", "--image", "ubuntu-22.04", "--subnet", "net", "--wait"];
    assert_eq!(user.run(vm).field("state"), "Active");

    let vol = user.run(&["volume", "create", "data", "--size-gb", "5", "--connection", "fast", "--wait"]);
    assert_eq!(vol.field("state"), "Available", "{vol:?}");
    let attached = user.run(&["volume", "attach", "data", "vm", "--wait"]);
    assert_eq!(attached.field("state"), "In-use");
    assert_eq!(attached.field("instance"), "vm");
    let snap = user.run(&["volume", "snapshot-create", "data", "s1", "--wait"]);
    assert_eq!(snap.field("state"), "Available", "{snap:?}");
    assert_eq!(user.run(&["volume", "snapshot-list", "data"]).row("s1")[1], "Available");
    assert_eq!(user.run(&["volume", "detach", "data", "--wait"]).field("state"), "Available");
    let extended = user.run(&["volume", "extend", "data", "--size-gb", "8", "--wait"]);
    assert_eq!(extended.field("size_gb"), "8");
    assert!(user.run(&["volume", "snapshot-delete", "data", "s1", "--wait"]).stdout.contains("Deleted snapshot s1"));
    assert!(user.run(&["volume", "delete", "data", "--wait"]).stdout.contains("Deleted volume data"));

    let ip = user.run(&["public-ip", "create", "ip1", "--connection", "fast", "--wait"]);
    assert_eq!(ip.field("state"), "Available", "{ip:?}");
    let address = ip.field("address");
    let on = user.run(&["public-ip", "attach", "ip1", "vm", "--wait"]);
    assert_eq!(on.field("state"), "In-use");
    assert_eq!(user.run(&["instance", "list"]).row("vm")[5], address, "the instance shows its public IP");
    assert_eq!(user.run(&["public-ip", "detach", "ip1", "--wait"]).field("state"), "Available");
    assert!(user.run(&["public-ip", "delete", "ip1", "--wait"]).stdout.contains("Deleted public IP ip1"));

    assert_eq!(user.run(&["instance", "reboot", "vm", "--hard", "--wait"]).field("state"), "Active");
    assert_eq!(user.run(&["instance", "reboot", "vm", "--wait"]).field("state"), "Active");
    assert_eq!(user.run(&["instance", "resize", "vm", "--type", "t1.small", "--wait"]).field("state"), "Resized");
    let confirmed = user.run(&["instance", "confirm-resize", "vm", "--wait"]);
    assert_eq!(confirmed.field("state"), "Active");
    assert_eq!(confirmed.field("instance_type"), "t1.small");
    assert_eq!(user.run(&["instance", "shelve", "vm", "--wait"]).field("state"), "Shelved_offloaded");
    assert_eq!(user.run(&["instance", "unshelve", "vm", "--wait"]).field("state"), "Active");
    // A refused action: 409 with the state named, exit 1.
    let refused = user.try_run(&["instance", "unshelve", "vm"]);
    assert_eq!(refused.code, 1, "{refused:?}");
    assert!(refused.stderr.contains("Active"), "{refused:?}");
    assert!(user.run(&["instance", "console-log", "vm"]).stdout.contains("login:"));

    let image = user.run(&["instance", "create-image", "vm", "--name", "golden", "--wait"]);
    assert_eq!(image.field("name"), "golden", "{image:?}");
    assert_eq!(image.field("state"), "Active");
    assert_eq!(user.run(&["image", "list", "--mine"]).row("golden")[1], "Active");
    assert!(user.run(&["image", "list"]).stdout.contains("ubuntu-22.04"));
    assert_eq!(user.run(&["image", "show", "golden"]).field("visibility"), "project");
    assert!(user.run(&["image", "delete", "golden", "--wait"]).stdout.contains("Deleted image golden"));

    assert_eq!(user.run(&["instance-type", "list"]).row("t1.micro")[1], "1");
    assert_eq!(user.run(&["instance-type", "show", "t1.small"]).field("memory_mib"), "2048");

    // IAM: a user with a password from stdin, a member role, an API token.
    let bob = user.run_with_stdin(&["user", "create", "bob", "--password-stdin"], Some("correct horse battery\n"));
    assert_eq!(bob.code, 0, "{bob:?}");
    assert_eq!(bob.field("has_password"), "yes");
    assert_eq!(user.run(&["member", "set", "bob", "reader"]).field("role"), "reader");
    assert_eq!(user.run(&["member", "list"]).row("bob")[1], "reader");
    let token = user.run(&["token", "create", "ci", "--user", "bob"]);
    let secret = token.stdout.lines().last().unwrap().trim().to_string();
    assert!(token.stderr.contains("shown only this once"), "{token:?}");
    assert_eq!(user.run(&["token", "list", "--user", "bob"]).row(&token.field("id"))[1], "ci");

    // Bob, with his own config and token, may look but not touch.
    let bob_cli = User::new(&dir.path().join("bob"));
    let server = std::fs::read_to_string(&user.config).unwrap();
    let base = server.lines().find_map(|l| l.strip_prefix("server = ")).unwrap().trim_matches('"').to_string();
    bob_cli.run(&["login", "--server", &base, "--token", &secret, "--project", "demo"]);
    assert_eq!(bob_cli.run(&["instance", "list"]).row("vm")[1], "Active");
    let denied = bob_cli.try_run(&["instance", "stop", "vm"]);
    assert_eq!(denied.code, 1, "{denied:?}");
    assert!(denied.stderr.contains("forbidden"), "{denied:?}");
    let pw = bob_cli.run_with_stdin(&["user", "set-password", "bob"], Some("another long password\n"));
    assert_eq!(pw.code, 0, "{pw:?}");
    assert!(user.run(&["member", "remove", "bob"]).stdout.contains("Removed bob"));

    let csv = user.run(&["usage", "--csv"]);
    assert!(csv.stdout.starts_with("instance_id,instance,instance_type,seconds"), "{csv:?}");
    let usage = user.run(&["-o", "json", "usage"]).json();
    assert_eq!(usage["project"], "demo");
    let drift = user.run(&["-o", "json", "connection", "drift", "fast"]).json();
    assert_eq!(drift["only_in_provider"], Value::Array(vec![]), "{drift}");
    assert_eq!(drift["only_in_gureum"], Value::Array(vec![]), "{drift}");

    // The same Idempotency-Key and body: the first result again, not a second VPC.
    let idem = ["--idempotency-key", "k-1", "-o", "json", "vpc", "create", "v2", "--cidr", "10.9.0.0/16"];
    let first = user.run(&idem).json();
    let second = user.run(&idem).json();
    assert_eq!(first["id"], second["id"]);
}

mod client_and_pools;
mod maintenance;
mod provisioning;
mod tenancy;
