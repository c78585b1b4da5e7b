//! The typed client against a real server, and pools and nodes from the CLI.

use super::*;

/// The typed client: errors, pagination, waiting with progress, idempotency.
#[test]
fn client_library_against_a_real_server() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(&dir.path().join("data"));
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    rt.block_on(async {
        let c = Client::new(&server.base, Some(&server.token)).unwrap();
        let conn = ConnectionCreate {
            name: "fast".into(),
            driver: "sim".into(),
            region: None,
            zone: None,
            credentials: None,
            settings: Some(serde_json::json!({"latency_ms": 0})),
        };
        c.connection_create(&conn).await.unwrap();
        c.project_create(&ProjectCreate { name: "lib".into(), description: None, ..Default::default() }).await.unwrap();

        let bad = VpcCreate { name: "bad".into(), cidr: "10.0.0.1/16".into(), connection: Some("fast".into()) };
        let e = c.vpc_create("lib", &bad).await.unwrap_err();
        assert_eq!((e.status, e.code.as_str(), e.field.as_deref()), (400, "invalid_request", Some("cidr")), "{e}");
        assert!(!e.request_id.is_empty());
        assert!(e.to_string().contains(&format!("(invalid_request, request {})", e.request_id)), "{e}");

        let e = c.instance_get("lib", "nope").await.unwrap_err();
        assert!(e.is_not_found(), "{e}");
        let anonymous = Client::new(&server.base, None).unwrap();
        assert_eq!(anonymous.me().await.unwrap_err().status, 401);

        // Five VPCs, read back two per page.
        let mut ops = vec![];
        for i in 0..5 {
            let req =
                VpcCreate { name: format!("v{i}"), cidr: format!("10.{i}.0.0/16"), connection: Some("fast".into()) };
            ops.push(c.vpc_create("lib", &req).await.unwrap().operation_id.unwrap());
        }
        for op in &ops {
            let mut seen = vec![];
            let done = c
                .wait_operation("lib", &op.to_string(), Duration::from_secs(60), |p| {
                    seen.push((p.operation.status, p.done, p.total))
                })
                .await
                .unwrap();
            assert_eq!(done.status, OperationStatus::Succeeded);
            let last = seen.last().copied().expect("progress was reported");
            assert_eq!(last, (OperationStatus::Succeeded, done.progress.total, done.progress.total));
        }
        let q = ListQuery { limit: Some(2), ..Default::default() };
        let first = c.vpc_list("lib", &q).await.unwrap();
        assert_eq!(first.items.len(), 2);
        assert!(first.next_cursor.is_some());
        let all = list_all(&q, async |q| c.vpc_list("lib", &q).await).await.unwrap();
        let mut names: Vec<String> = all.into_iter().map(|v| v.name).collect();
        names.sort();
        assert_eq!(names, ["v0", "v1", "v2", "v3", "v4"]);

        // Idempotency: same key and body → same resource; same key, other body → 409.
        let keyed = c.with_idempotency_key("same-key");
        let req = VpcCreate { name: "once".into(), cidr: "10.50.0.0/16".into(), connection: Some("fast".into()) };
        let a = keyed.vpc_create("lib", &req).await.unwrap();
        let b = keyed.vpc_create("lib", &req).await.unwrap();
        assert_eq!(a.id, b.id);
        let other = VpcCreate { name: "twice".into(), ..req };
        assert!(keyed.vpc_create("lib", &other).await.unwrap_err().is_conflict());

        let csv = c.usage_csv("lib", None, None).await.unwrap();
        assert!(csv.starts_with("instance_id,"), "{csv}");
        assert_eq!(c.usage("lib", &UsageQuery::default()).await.unwrap().project, "lib");
        let me = c.me().await.unwrap();
        assert_eq!(me.user.name, "admin");
        assert!(c.token_list("admin").await.unwrap().iter().any(|t| t.last_used_at.is_some()));
    });
}

/// Pools and nodes from the command line: a node filled by one instance refuses the next
/// with the capacity error, and the instance list names its node.
#[test]
fn cli_manages_pools_and_nodes() {
    let dir = tempfile::tempdir().unwrap();
    let (_server, user) = setup(dir.path());
    let pool = user.run(&["pool", "create", "fp", "--connection", "fast", "--cpu-overcommit", "1", "-o", "json"]);
    assert_eq!(pool.json()["cpu_overcommit"], 1.0, "{pool:?}");
    user.run(&["node", "add", "n1", "--pool", "fp", "--vcpus", "1", "--memory-mib", "4096", "--disk-gb", "100"]);
    assert_eq!(user.run(&["node", "list"]).row("n1")[..5], ["n1", "fp", "ready", "0", "1/1"]);
    user.run(&["vpc", "create", "net", "--cidr", "10.0.0.0/16", "--connection", "fast", "--wait"]);
    user.run(&["subnet", "create", "net", "--vpc", "net", "--cidr", "10.0.0.0/24", "--wait"]);
    let vm = |name: &'static str| {
        ["instance", "create", name, "--type", "t1.micro", "--image", "ubuntu-22.04", "--subnet", "net", "--wait"]
    };
    assert_eq!(user.run(&vm("vm")).field("node"), "n1");
    assert_eq!(user.run(&["instance", "list"]).row("vm")[6], "n1", "the NODE column");
    let refused = user.try_run(&vm("vm2"));
    assert_eq!(refused.code, 1, "{refused:?}");
    assert!(refused.stderr.contains("no node of pool fp has 1 vCPUs free: n1 has 0 vCPUs"), "{refused:?}");
    let n = user.run(&["node", "show", "n1", "--pool", "fp", "-o", "json"]).json();
    assert_eq!((n["allocated"]["vcpus"].as_i64(), n["free"]["vcpus"].as_i64()), (Some(1), Some(0)), "{n}");
    user.run(&["pool", "update", "fp", "--cpu-overcommit", "2"]);
    assert_eq!(user.run(&vm("vm2")).field("state"), "Active");
    let token = user.run(&["pool", "join-token", "fp"]);
    assert!(token.stdout.starts_with("gjt_"), "{token:?}");
    assert!(token.stderr.contains("gureum agent --server"), "{token:?}");
}
