//! The template library through the CLI: list and show, plan, create with --wait, info,
//! return, delete, history and a log.

use super::*;

#[test]
fn cli_provisions_a_stack_and_returns_it() {
    let dir = tempfile::tempdir().unwrap();
    let (_server, user) = setup(dir.path());
    user.run(&["vpc", "create", "net", "--cidr", "10.0.0.0/16", "--connection", "fast", "--wait"]);
    user.run(&["subnet", "create", "web", "--vpc", "net", "--cidr", "10.0.1.0/24", "--wait"]);
    let pem = dir.path().join("me.pem");
    user.run(&[
        "key-pair",
        "create",
        "me",
        "--connection",
        "fast",
        "--private-key-out",
        pem.to_str().unwrap(),
        "--wait",
    ]);

    let list = user.run(&["library", "list"]);
    assert!(list.row("static-website").ends_with(&["1.0.0".to_string(), "shipped".into()]), "{list:?}");
    let show = user.run(&["library", "show", "message-broker", "-o", "json"]).json();
    assert_eq!(show["licenses"][0]["name"], "RabbitMQ", "{show}");

    let params = ["--param", "vpc=net", "--param", "subnet=web", "--param", "key_pair=me", "--param", "node_count=2"];
    let plan = user
        .run(&[&["provisioning", "plan", "site", "--template", "static-website", "-o", "json"][..], &params].concat())
        .json();
    assert_eq!((plan["ok"].as_bool(), plan["resources"].as_array().map(Vec::len)), (Some(true), Some(3)), "{plan}");
    let bad = user.try_run(&[
        "provisioning",
        "create",
        "site",
        "--template",
        "static-website",
        "--param",
        "vpc=net",
        "--param",
        "subnet=web",
    ]);
    assert!(bad.code != 0 && bad.stderr.contains("parameters.key_pair"), "{bad:?}");

    let made = user
        .run(&[&["provisioning", "create", "site", "--template", "static-website", "--wait"][..], &params].concat());
    assert_eq!(made.field("state"), "Provisioned", "{made:?}");
    assert!(made.stderr.contains("site web-1 (instance) Ready"), "progress per resource: {made:?}");
    assert_eq!(user.run(&["provisioning", "list"]).row("site")[2], "Provisioned");
    let info = user.run(&["provisioning", "info", "site", "-o", "json"]).json();
    assert_eq!(info["access"].as_array().map(Vec::len), Some(2), "{info}");

    let refused = user.try_run(&["provisioning", "return", "site", "--confirm", "nope"]);
    assert!(refused.code != 0 && refused.stderr.contains("confirm"), "{refused:?}");
    let returned = user.run(&["provisioning", "return", "site", "--confirm", "site", "--wait"]);
    assert_eq!(returned.field("state"), "Returned", "{returned:?}");
    user.run(&["provisioning", "delete", "site", "--confirm", "site"]);

    let history = user.run(&["provisioning", "history", "--provisioning", "site", "-o", "json"]).json();
    let types: Vec<&str> = history.as_array().unwrap().iter().filter_map(|e| e["type"].as_str()).collect();
    assert_eq!(
        types,
        ["status_deleted", "return_completed", "return_executed", "provisioning_completed", "provisioning_executed"]
    );
    let completed = history[3]["id"].as_str().unwrap();
    let log = user.run(&["provisioning", "log", completed]);
    assert!(log.stdout.contains("provisioning completed") && log.stdout.contains("site-web-1"), "{log:?}");
}
