//! The console against a real engine and database, in-process: sign-in and sessions,
//! CSRF, what readers are offered, field errors, typed-name deletes, disabled actions,
//! lists, pages of a project with 10,000 instances, and the template library.

mod library;
mod pages;
mod support;
mod tenancy;

use axum::http::StatusCode;
use gureum_api_types::{
    InstanceCreate, KeyPairCreate, ListQuery, Role, SecurityGroupCreate, SubnetCreate, UserCreate, VolumeCreate,
    VpcCreate,
};
use gureum_engine::testing::{FAST, TestEngine};
use std::time::Duration;
use support::*;

async fn wait_op(t: &TestEngine, op: Option<uuid::Uuid>) {
    let op = op.expect("an operation").to_string();
    let o = t.engine.operation_get(&t.admin, "demo", &op, Some(Duration::from_secs(30))).await.unwrap();
    assert_eq!(o.status.as_str(), "succeeded", "{o:?}");
}

/// VPC `net`, subnet `web`, security group `sg` on the zero-latency connection.
async fn network(t: &TestEngine) {
    let e = &t.engine;
    let v = e
        .vpc_create(
            &t.admin,
            "demo",
            VpcCreate { name: "net".into(), cidr: "10.0.0.0/16".into(), connection: Some(FAST.into()) },
        )
        .await
        .unwrap();
    wait_op(t, v.operation_id).await;
    let s = e
        .subnet_create(
            &t.admin,
            "demo",
            "net",
            SubnetCreate { name: "web".into(), cidr: "10.0.0.0/20".into(), zone: None },
        )
        .await
        .unwrap();
    wait_op(t, s.operation_id).await;
    let g = e
        .security_group_create(
            &t.admin,
            "demo",
            SecurityGroupCreate { name: "sg".into(), vpc: "net".into(), description: None },
        )
        .await
        .unwrap();
    wait_op(t, g.operation_id).await;
}

fn instance(name: &str) -> InstanceCreate {
    InstanceCreate {
        name: name.into(),
        instance_type: "t1.small".into(),
        image: "ubuntu-22.04".into(),
        subnet: "web".into(),
        security_groups: vec!["sg".into()],
        key_pair: None,
        public_ip: None,
        volumes: vec![],
        root_volume_size_gb: None,
        user_data: None,
    }
}

async fn active_instance(t: &TestEngine, name: &str) -> gureum_api_types::Instance {
    let i = t.engine.instance_create(&t.admin, "demo", instance(name)).await.unwrap();
    wait_op(t, i.operation_id).await;
    t.engine.instance_get(&t.admin, "demo", name).await.unwrap()
}

#[tokio::test]
async fn sign_in_sets_a_strict_http_only_session_cookie_and_sign_out_ends_it() {
    let t = setup().await;
    let mut b = Browser::new(&t);
    // Without a session every page leads to the sign-in page, and back afterwards.
    let r = b.get("/projects/demo/instances").await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    assert_eq!(r.location(), "/login?next=%2Fprojects%2Fdemo%2Finstances");

    let r = b.login("admin", "wrong password!").await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    assert!(r.body.contains("wrong user name or password"), "{}", r.body);
    assert!(!b.cookies.contains_key("gureum_session"));

    let r = b.login("admin", PASSWORD).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let set: Vec<&str> = r.headers.get_all("set-cookie").iter().map(|v| v.to_str().unwrap()).collect();
    let session = set.iter().find(|c| c.starts_with("gureum_session=")).expect("a session cookie");
    for attr in ["HttpOnly", "SameSite=Strict", "Path=/"] {
        assert!(session.contains(attr), "{session} lacks {attr}");
    }
    // The cookie holds a secret; the database only its hash.
    let secret = b.cookies["gureum_session"].clone();
    let rows = t.engine.store().db.query("SELECT id FROM sessions", vec![]).await.unwrap();
    assert_eq!(rows.len(), 1);
    assert_ne!(rows[0].text(0), secret);

    let r = b.get("/").await;
    assert_eq!(r.location(), "/projects/demo/instances");
    let page = b.page("/projects/demo/instances").await;
    assert!(page.body.contains("Instances"));

    let csrf = page.csrf();
    let r = b.post("/logout", &[("csrf", &csrf)]).await;
    assert_eq!(r.location(), "/login");
    assert!(!b.cookies.contains_key("gureum_session"));
    // The old cookie no longer works either.
    b.cookies.insert("gureum_session".into(), secret);
    assert_eq!(b.get("/projects").await.location(), "/login?next=%2Fprojects");
}

#[tokio::test]
async fn wrong_passwords_in_a_row_make_the_next_sign_in_wait_for_any_name() {
    let t = setup().await;
    let mut b = Browser::new(&t);
    for name in ["admin", "nobody"] {
        for n in 0..gureum_model::sign_in::FREE_FAILURES {
            let r = b.login(name, "wrong password!").await;
            assert_eq!(r.status, StatusCode::UNAUTHORIZED, "{name} try {n}: {}", r.body);
        }
        // Even the right password waits now, and the answer is the same for a name no
        // user has.
        assert_eq!(t.engine.store().sign_in_failures(name).await.unwrap().map(|f| f.0), Some(5));
        let r = b.login(name, PASSWORD).await;
        assert_eq!(r.status, StatusCode::TOO_MANY_REQUESTS, "{name}: {}", r.body);
        assert!(r.body.contains("too many wrong passwords in a row for this user: try again in 1 s"), "{}", r.body);
        assert!(!b.cookies.contains_key("gureum_session"));
    }
    // Another user signs in meanwhile.
    t.engine
        .user_create(
            &t.admin,
            UserCreate { name: "carol".into(), password: Some(PASSWORD.into()), ..Default::default() },
        )
        .await
        .unwrap();
    assert_eq!(b.login("carol", PASSWORD).await.status, StatusCode::SEE_OTHER);
    b.cookies.remove("gureum_session");
    // Once the wait is over the right password works, and the count starts again.
    tokio::time::sleep(Duration::from_millis(1100)).await;
    assert_eq!(b.login("admin", PASSWORD).await.status, StatusCode::SEE_OTHER);
    let left = t.engine.store().sign_in_failures("admin").await.unwrap();
    assert_eq!(left, None, "a success ends the count");
}

#[tokio::test]
async fn every_post_needs_the_sessions_csrf_token() {
    let t = setup().await;
    let mut b = Browser::new(&t);
    // Sign-in without the token that came with the form.
    let r = b.post("/login", &[("name", "admin"), ("password", PASSWORD)]).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    b.login("admin", PASSWORD).await;
    let fields = [("name", "net"), ("cidr", "10.0.0.0/16")];
    let r = b.post("/projects/demo/vpcs", &fields).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "no token");
    let mut with_wrong = vec![("csrf", "not-the-token")];
    with_wrong.extend_from_slice(&fields);
    let r = b.post("/projects/demo/vpcs", &with_wrong).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "wrong token");
    assert!(t.engine.vpc_list(&t.admin, "demo", &ListQuery::default()).await.unwrap().items.is_empty());
    // With the page's token the same form works.
    let r = b.submit("/projects/demo/vpcs/new", "/projects/demo/vpcs", &fields).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    assert_eq!(t.engine.vpc_list(&t.admin, "demo", &ListQuery::default()).await.unwrap().items.len(), 1);
}

#[tokio::test]
async fn a_reader_is_offered_nothing_to_create_or_change() {
    let t = setup().await;
    network(&t).await;
    let i = active_instance(&t, "web-1").await;
    member(&t, "rita", Role::Reader).await;
    let mut b = Browser::new(&t);
    b.login("rita", PASSWORD).await;
    for (list, create) in [
        ("instances", "Create instance"),
        ("volumes", "Create volume"),
        ("key-pairs", "Create key pair"),
        ("vpcs", "Create VPC"),
        ("security-groups", "Create security group"),
        ("public-ips", "Allocate static IP"),
    ] {
        let page = b.page(&format!("/projects/demo/{list}")).await;
        assert!(!page.body.contains(create), "a reader is offered {create:?}");
        assert!(!page.body.contains("method=\"post\" action=\"/projects"), "{list} has a form a reader cannot use");
    }
    let page = b.page(&format!("/projects/demo/instances/{}", i.id)).await;
    assert!(page.body.contains("web-1") && page.body.contains("Active"));
    for offered in ["data-action=", "Danger zone", "Delete instance", "/action\""] {
        assert!(!page.body.contains(offered), "a reader's instance page offers {offered}");
    }
    assert!(page.body.contains("read-only"));
    let page = b.page("/projects/demo/vpcs/net").await;
    assert!(!page.body.contains("Create subnet") && !page.body.contains("Delete VPC"));
    let members = b.page("/projects/demo/members").await;
    assert!(!members.body.contains("Add a member") && !members.body.contains(">Remove<"));
    // Going to a create form directly is refused, and so is posting to it.
    assert_eq!(b.get("/projects/demo/instances/new").await.status, StatusCode::FORBIDDEN);
    let r = b.submit("/projects/demo/vpcs", "/projects/demo/vpcs", &[("name", "x"), ("cidr", "10.1.0.0/16")]).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    let r = b
        .submit("/projects/demo/instances", &format!("/projects/demo/instances/{}/action", i.id), &[("action", "stop")])
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert_eq!(t.engine.instance_get(&t.admin, "demo", "web-1").await.unwrap().state.as_str(), "Active");
}

#[tokio::test]
async fn administrators_see_the_servers_and_the_workers_each_runs() {
    let t = setup().await;
    let now = gureum_store::now();
    t.engine.store().server_heartbeat("srv-live", now).await.unwrap();
    t.engine.store().server_heartbeat("srv-gone", now - 60_000_000).await.unwrap();
    assert!(t.engine.store().worker_lease_claim("test_singleton", "srv-live", now, now + 10_000_000).await.unwrap());
    let mut b = Browser::new(&t);
    b.login("admin", PASSWORD).await;
    let page = b.page("/servers").await;
    let row =
        |id: &str| page.body.split(id).nth(1).and_then(|r| r.split("</tr>").next()).unwrap_or_default().to_string();
    assert!(row("srv-live").contains("alive") && row("srv-live").contains("test_singleton"), "{}", page.body);
    assert!(row("srv-gone").contains("gone") && !row("srv-gone").contains("test_singleton"), "{}", page.body);
    assert!(page.body.contains("href=\"/servers\""), "in the administrator's navigation");
    member(&t, "rita", Role::Reader).await;
    let mut reader = Browser::new(&t);
    reader.login("rita", PASSWORD).await;
    assert_eq!(reader.get("/servers").await.status, StatusCode::FORBIDDEN);
    assert!(!reader.page("/projects/demo/instances").await.body.contains("href=\"/servers\""));
}

#[tokio::test]
async fn a_field_error_from_the_engine_is_shown_next_to_its_field() {
    let t = setup().await;
    let mut b = Browser::new(&t);
    b.login("admin", PASSWORD).await;
    let r = b
        .submit(
            "/projects/demo/volumes/new",
            "/projects/demo/volumes",
            &[("name", "data"), ("size_gb", "0"), ("connection", FAST)],
        )
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    let error_at = r.body.find("id=\"create-volume-size_gb-error\"").expect("an error element for size_gb");
    let input_at = r.body.find("id=\"create-volume-size_gb\"").expect("the size_gb input");
    assert!(error_at > input_at, "the error follows its input");
    assert!(
        r.body[error_at..]
            .starts_with("id=\"create-volume-size_gb-error\" data-field=\"size_gb\">must be between 1 and 5120, got 0"),
        "{}",
        &r.body[error_at..error_at + 200]
    );
    assert!(r.body.contains("aria-invalid=\"true\" aria-describedby=\"create-volume-size_gb-error\""));
    // What the user typed is kept.
    assert!(r.body.contains("id=\"create-volume-name\" name=\"name\" type=\"text\" value=\"data\""));
    // Not a number at all: the same place.
    let r =
        b.submit("/projects/demo/volumes/new", "/projects/demo/volumes", &[("name", "data"), ("size_gb", "ten")]).await;
    assert!(r.body.contains("data-field=\"size_gb\">must be a whole number"), "{}", r.body);
    assert!(t.engine.volume_list(&t.admin, "demo", &ListQuery::default()).await.unwrap().items.is_empty());
    // A bad CIDR on the VPC form, and an error the form has no field for (a conflict).
    let r =
        b.submit("/projects/demo/vpcs/new", "/projects/demo/vpcs", &[("name", "net"), ("cidr", "10.0.0.1/16")]).await;
    assert!(r.body.contains("data-field=\"cidr\">must be a network address: did you mean 10.0.0.0/16?"), "{}", r.body);
    b.submit("/projects/demo/vpcs/new", "/projects/demo/vpcs", &[("name", "net"), ("cidr", "10.0.0.0/16")]).await;
    let r =
        b.submit("/projects/demo/vpcs/new", "/projects/demo/vpcs", &[("name", "net"), ("cidr", "10.0.0.0/16")]).await;
    assert_eq!(r.status, StatusCode::CONFLICT);
    assert!(r.body.contains("id=\"create-vpc-error\">"), "{}", r.body);
}

#[tokio::test]
async fn deleting_needs_the_resources_name_typed() {
    let t = setup().await;
    network(&t).await;
    let v = t
        .engine
        .volume_create(
            &t.admin,
            "demo",
            VolumeCreate {
                name: "data".into(),
                size_gb: 10,
                image: None,
                snapshot: None,
                connection: Some(FAST.into()),
                zone: None,
                volume_type: None,
            },
        )
        .await
        .unwrap();
    wait_op(&t, v.operation_id).await;
    let mut b = Browser::new(&t);
    b.login("admin", PASSWORD).await;
    let detail = format!("/projects/demo/volumes/{}", v.id);
    let page = b.page(&detail).await;
    assert!(page.body.contains("data-confirm=\"data\""), "the form names what must be typed");
    for typed in ["", "dat", "DATA"] {
        let r = b.submit(&detail, &format!("{detail}/delete"), &[("confirm_name", typed)]).await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST, "{typed:?}");
        assert!(r.body.contains("nothing was deleted") || r.body.contains("type the name data"), "{}", r.body);
        assert_eq!(t.engine.volume_get(&t.admin, "demo", "data").await.unwrap().state.as_str(), "Available");
    }
    let r = b.submit(&detail, &format!("{detail}/delete"), &[("confirm_name", "data")]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    assert_eq!(r.location(), "/projects/demo/volumes");
    let engine = t.engine.clone();
    let admin = t.admin.clone();
    eventually(Duration::from_secs(10), "the volume is gone", || {
        let (e, a) = (engine.clone(), admin.clone());
        async move { e.volume_get(&a, "demo", "data").await.is_err() }
    })
    .await;
}

#[tokio::test]
async fn actions_not_allowed_now_are_disabled_with_the_engines_reason() {
    let t = setup().await;
    network(&t).await;
    let i = active_instance(&t, "web-1").await;
    let mut b = Browser::new(&t);
    b.login("admin", PASSWORD).await;
    let page = b.page(&format!("/projects/demo/instances/{}", i.id)).await;
    let button = |action: &str| {
        let at = page.body.find(&format!("data-action=\"{action}\"")).unwrap_or_else(|| panic!("a {action} button"));
        page.body[at..].split('>').next().unwrap().to_string()
    };
    assert!(button("start").contains("disabled"));
    assert!(
        button("start").contains("title=\"cannot start while the resource is Active; allowed now: stop, shelve, soft-reboot, hard-reboot, resize, create-image, delete\""),
        "{}",
        button("start")
    );
    for enabled in ["stop", "shelve", "soft-reboot", "hard-reboot", "resize", "create-image"] {
        assert!(!button(enabled).contains("disabled"), "{enabled}: {}", button(enabled));
    }
    for disabled in ["unshelve", "confirm-resize", "revert-resize"] {
        assert!(button(disabled).contains("disabled") && button(disabled).contains("title=\"cannot"), "{disabled}");
    }
    // Stop, then the page shows the transitional state and what it allows.
    let detail = format!("/projects/demo/instances/{}", i.id);
    let r = b.submit(&detail, &format!("{detail}/action"), &[("action", "stop")]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let page = b.page(&detail).await;
    assert!(page.body.contains("st-amber") || page.body.contains(">Stopped<"), "{}", page.body);
    // An action refused in the current state comes back as a message, not an error page.
    let engine = t.engine.clone();
    let admin = t.admin.clone();
    eventually(Duration::from_secs(10), "the instance stops", || {
        let (e, a) = (engine.clone(), admin.clone());
        async move { e.instance_get(&a, "demo", "web-1").await.unwrap().state.as_str() == "Stopped" }
    })
    .await;
    let r = b.submit(&detail, &format!("{detail}/action"), &[("action", "stop")]).await;
    assert_eq!(r.status, StatusCode::CONFLICT);
    assert!(r.body.contains("cannot stop while the resource is Stopped"), "{}", r.body);
    assert!(r.body.contains(&format!("data-live-url=\"{detail}\"")));
}

#[tokio::test]
async fn the_private_key_is_offered_once() {
    let t = setup().await;
    let mut b = Browser::new(&t);
    b.login("admin", PASSWORD).await;
    let r = b
        .submit("/projects/demo/key-pairs/new", "/projects/demo/key-pairs", &[("name", "me"), ("connection", FAST)])
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert!(r.body.contains("download=\"me.pem\" href=\"data:application/x-pem-file;base64,"));
    assert!(r.body.contains("BEGIN OPENSSH PRIVATE KEY"));
    assert_eq!(r.headers.get("cache-control").unwrap(), "no-store");
    let k = t.engine.key_pair_get(&t.admin, "demo", "me").await.unwrap();
    let page = b.page(&format!("/projects/demo/key-pairs/{}", k.id)).await;
    assert!(!page.body.contains("PRIVATE KEY") && !page.body.contains("download="));
    assert!(page.body.contains(&k.fingerprint));
    // Importing a public key offers nothing to download.
    let public = k.public_key.clone();
    let r = b
        .submit(
            "/projects/demo/key-pairs/new",
            "/projects/demo/key-pairs",
            &[("name", "imported"), ("public_key", &public), ("connection", FAST)],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let _ = KeyPairCreate { name: String::new(), public_key: None, connection: None };
}
