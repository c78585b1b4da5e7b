use super::*;
use serde_json::json;

fn err(v: Value) -> FieldError {
    SimSettings::parse(&v).unwrap_err()
}

#[test]
fn operations_are_listed_in_declaration_order() {
    for (i, op) in Operation::ALL.iter().enumerate() {
        assert_eq!(*op as usize, i, "stats index by discriminant");
        assert_eq!(Operation::parse(op.as_str()), Some(*op));
    }
}

#[test]
fn empty_and_null_give_the_defaults() {
    assert_eq!(SimSettings::parse(&json!({})).unwrap(), SimSettings::default());
    assert_eq!(SimSettings::parse(&Value::Null).unwrap(), SimSettings::default());
    let d = SimSettings::default();
    assert_eq!(d.latency(Operation::VmCreate), 3000);
    assert_eq!(d.latency(Operation::KeyPairCreate), 100);
    assert_eq!(d.capacity.instances, 500);
    assert_eq!(d.hang_ms, 30_000);
}

#[test]
fn latency_as_a_number_or_per_operation() {
    let s = SimSettings::parse(&json!({"latency_ms": 7})).unwrap();
    assert!(Operation::ALL.iter().all(|op| s.latency(*op) == 7));

    let s = SimSettings::parse(&json!({"latency_ms": {"vm_create": 50}})).unwrap();
    assert_eq!(s.latency(Operation::VmCreate), 50);
    assert_eq!(s.latency(Operation::VmStart), 2000, "others keep their defaults");

    let s = SimSettings::parse(&json!({"latency_ms": {"default": 0, "disk_create": 20}})).unwrap();
    assert_eq!(s.latency(Operation::DiskCreate), 20);
    assert_eq!(s.latency(Operation::VmCreate), 0);
}

#[test]
fn rates_keep_only_active_operations() {
    let s = SimSettings::parse(&json!({
        "fault_rate": {"disk_create": 0.5, "vm_create": 0},
        "hang_rate": 0.25,
        "hang_ms": 10,
        "lost_response_rate": {"vm_create": 1},
        "error_rate": {"vm_start": 0.1}
    }))
    .unwrap();
    assert_eq!(s.fault_rate.len(), 1);
    assert_eq!(s.fault_rate(Operation::DiskCreate), 0.5);
    assert_eq!(s.fault_rate(Operation::VmCreate), 0.0);
    assert_eq!(s.hang_rate.len(), Operation::ALL.len());
    assert_eq!(s.hang_ms, 10);
    assert_eq!(s.lost_response_rate(Operation::VmCreate), 1.0);
    assert_eq!(s.error_rate(Operation::VmStart), 0.1);
}

#[test]
fn vm_update_names_every_kind_of_update_and_a_kind_of_its_own_wins() {
    let s = SimSettings::parse(&json!({"fault_rate": {"vm_update": 0.3, "vm_os_update": 0.5}})).unwrap();
    assert_eq!(s.fault_rate(Operation::VmKernelUpgrade), 0.3);
    assert_eq!(s.fault_rate(Operation::VmConfigChange), 0.3);
    assert_eq!(s.fault_rate(Operation::VmOsUpdate), 0.5);
    assert_eq!(s.fault_rate(Operation::DiskRevert), 0.0, "a revert is not an update");
    let s = SimSettings::parse(&json!({"latency_ms": {"vm_update": 0}})).unwrap();
    assert_eq!((s.latency(Operation::VmEngineUpgrade), s.latency(Operation::VmStart)), (0, 2000));
}

#[test]
fn capacity_overrides_single_limits() {
    let s = SimSettings::parse(&json!({"capacity": {"vcpus": 8, "public_ips": 0}})).unwrap();
    assert_eq!(s.capacity.vcpus, 8);
    assert_eq!(s.capacity.public_ips, 0);
    assert_eq!(s.capacity.instances, 500);
}

#[test]
fn errors_name_the_field_and_the_rule() {
    let e = err(json!({"fault_rate": {"disk_create": 1.5}}));
    assert_eq!(e.field, "settings.fault_rate.disk_create");
    assert!(e.rule.contains("between 0.0 and 1.0"), "{e}");

    let e = err(json!({"latency_ms": {"vm_create": -1}}));
    assert_eq!(e.field, "settings.latency_ms.vm_create");
    assert!(e.rule.contains("whole number"), "{e}");

    let e = err(json!({"latency_ms": {"foo": 1}}));
    assert_eq!(e.field, "settings.latency_ms");
    assert!(e.rule.starts_with("unknown operation \"foo\"; known: default, vm_update, vpc_create"), "{e}");

    let e = err(json!({"latency_ms": "fast"}));
    assert_eq!(e.field, "settings.latency_ms");

    let e = err(json!({"hang_rate": {"default": 2}}));
    assert_eq!(e.field, "settings.hang_rate.default");

    let e = err(json!({"capacity": {"gpus": 1}}));
    assert_eq!(e.field, "settings.capacity.gpus");
    assert!(e.rule.contains("known: instances, vcpus"), "{e}");

    let e = err(json!({"capacity": 5}));
    assert_eq!((e.field.as_str(), e.rule.as_str()), ("settings.capacity", "must be a JSON object"));

    let e = err(json!({"profile": "aws"}));
    assert_eq!(e.field, "settings.profile");
    assert!(e.rule.contains("known: generic"), "{e}");

    let e = err(json!({"latency": 1}));
    assert_eq!(e.field, "settings.latency");
    assert!(e.rule.contains("known: latency_ms"), "{e}");

    let e = err(json!([1]));
    assert_eq!(e.field, "settings");
}

#[test]
fn serialized_settings_parse_back_to_the_same() {
    let s = SimSettings::parse(&json!({
        "latency_ms": {"vm_create": 5},
        "fault_rate": {"disk_create": 0.5},
        "capacity": {"instances": 3},
    }))
    .unwrap();
    let v = serde_json::to_value(&s).unwrap();
    assert_eq!(v["latency_ms"]["vm_create"], 5);
    assert_eq!(v["profile"], "generic");
    assert_eq!(SimSettings::parse(&v).unwrap(), s);
}

#[test]
fn an_endpoint_is_an_http_url_with_a_host() {
    let s = SimSettings::parse(&json!({"endpoint": "http://127.0.0.1:7490/"})).unwrap();
    assert_eq!(s.endpoint.as_deref(), Some("http://127.0.0.1:7490"));
    assert!(SimSettings::parse(&json!({"endpoint": "https://sim.example/base"})).is_ok());
    for bad in [json!("127.0.0.1:7490"), json!("ftp://host"), json!("http://"), json!("http://h/?q=1"), json!(7490)] {
        let e = err(json!({ "endpoint": bad }));
        assert_eq!(e.field, "settings.endpoint", "{bad}");
        assert!(e.rule.starts_with("must be an http(s) URL with a host"), "{bad}: {}", e.rule);
    }
}
