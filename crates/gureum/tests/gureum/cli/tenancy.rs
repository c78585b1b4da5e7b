//! Resellers, customers and quotas through the CLI.

use super::*;

#[test]
fn cli_manages_resellers_customers_and_their_quotas() {
    let dir = tempfile::tempdir().unwrap();
    let (_server, user) = setup(dir.path());

    user.run(&["reseller", "create", "acme-r", "--description", "a reseller"]);
    let list = user.run(&["reseller", "list"]);
    assert_eq!(list.row("acme-r")[..3], ["acme-r", "a", "reseller"], "{list:?}");
    user.run(&["customer", "create", "acme", "--reseller", "acme-r"]);
    assert_eq!(user.run(&["customer", "list", "--reseller", "acme-r"]).row("acme")[1], "acme-r");
    let shown = user.run(&["customer", "show", "acme", "--reseller", "acme-r", "-o", "json"]).json();
    assert_eq!(shown["reseller"], "acme-r", "{shown}");

    // A project and a user in the customer; the default otherwise.
    user.run(&["project", "create", "shop", "--reseller", "acme-r", "--customer", "acme"]);
    let projects = user.run(&["project", "list"]);
    assert_eq!(projects.row("shop")[2..4], ["acme-r", "acme"], "{projects:?}");
    assert_eq!(projects.row("demo")[2..4], ["default", "default"], "{projects:?}");
    user.run(&[
        "user",
        "create",
        "boss",
        "--reseller",
        "acme-r",
        "--customer",
        "acme",
        "--tenancy-role",
        "customer_admin",
    ]);
    assert_eq!(user.run(&["user", "list"]).row("boss")[2..5], ["acme-r", "acme", "customer_admin"]);

    let q = user.run(&["customer", "quota", "acme", "--reseller", "acme-r", "--vcpus", "8", "--instances", "2"]);
    assert_eq!(q.row("vcpus")[1..], ["8", "0"], "{q:?}");
    assert_eq!(q.row("memory_mib")[1..], ["unlimited", "0"], "{q:?}");
    let q = user.run(&["project", "quota", "shop", "--volume-gb", "100", "-o", "json"]).json();
    assert_eq!(q["volume_gb"]["limit"], 100, "{q}");
    let q = user.run(&["reseller", "quota", "acme-r", "--unlimited"]);
    assert_eq!(q.row("instances")[1], "unlimited", "{q:?}");

    let bad = user.try_run(&["customer", "quota", "acme", "--reseller", "acme-r", "--vcpus=-1"]);
    assert_ne!(bad.code, 0);
    assert!(bad.stderr.contains("vcpus"), "{bad:?}");

    let usage = user.run(&["reseller", "usage", "acme-r", "--csv"]);
    assert!(usage.stdout.starts_with("customer,project,instance_id,"), "{usage:?}");
    assert!(user.run(&["customer", "usage", "acme", "--reseller", "acme-r"]).stdout.contains("Customer acme"));

    let refused = user.try_run(&["customer", "delete", "acme", "--reseller", "acme-r"]);
    assert_ne!(refused.code, 0, "a customer with a project and a user stays");
    user.run(&["user", "delete", "boss"]);
    user.run(&["project", "delete", "shop"]);
    user.run(&["customer", "delete", "acme", "--reseller", "acme-r"]);
    user.run(&["reseller", "delete", "acme-r"]);
    assert!(user.run(&["reseller", "list", "-o", "json"]).json().as_array().unwrap().len() == 1);
}
