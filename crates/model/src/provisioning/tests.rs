use super::*;

const WEB: &str = r#"
name: web
title: Web
version: "1.0"
overview: web VMs behind a balancer
parameters:
  type: object
  required: [node_count]
  properties:
    node_count: {type: integer, minimum: 1, maximum: 5}
resources:
  sg:
    kind: security_group
    rules: [{protocol: tcp, port: 80}]
  web:
    kind: instance
    count: node_count
    instance_type: t1.small
    image: tiny-linux
    security_groups: [sg]
  data:
    kind: volume
    size_gb: 10
  lb:
    kind: instance
    instance_type: t1.small
    image: tiny-linux
    security_groups: [sg]
    volumes: [data]
    depends_on: [web]
"#;

fn broken(edit: impl FnOnce(&mut TemplateDoc)) -> crate::FieldError {
    let mut doc = TemplateDoc::parse(WEB).unwrap();
    edit(&mut doc);
    doc.validate().unwrap_err()
}

#[test]
fn a_good_template_parses_and_expands_its_counts() {
    let doc = TemplateDoc::parse(WEB).unwrap();
    let nodes = doc.expand(|p| if p == "node_count" { 3 } else { 0 });
    let keys: Vec<&str> = nodes.iter().map(|n| n.key.as_str()).collect();
    assert_eq!(keys, ["data", "lb", "sg", "web-1", "web-2", "web-3"]);
    let lb = nodes.iter().find(|n| n.key == "lb").unwrap();
    assert_eq!(lb.needs, ["sg", "data", "web-1", "web-2", "web-3"]);
    assert_eq!(nodes.iter().find(|n| n.key == "web-2").unwrap().index, Some(2));
    let order = graph_of(&nodes).order().unwrap();
    assert_eq!(order.last().map(String::as_str), Some("lb"));
}

#[test]
fn the_schema_has_the_common_parameters() {
    let schema = TemplateDoc::parse(WEB).unwrap().parameter_schema();
    for p in ["prefix", "vpc", "subnet", "key_pair", "node_count"] {
        assert!(schema["properties"].get(p).is_some(), "{p}");
    }
    let required: Vec<&str> = schema["required"].as_array().unwrap().iter().filter_map(|v| v.as_str()).collect();
    assert_eq!(required, ["vpc", "subnet", "key_pair", "node_count"]);
}

#[test]
fn a_cycle_is_refused_naming_it() {
    let e = broken(|d| {
        if let template::ResourceDoc::SecurityGroup { depends_on, .. } = d.resources.get_mut("sg").unwrap() {
            depends_on.push("lb".into());
        }
    });
    assert!(e.field.ends_with(".depends_on") && e.rule.starts_with("dependency cycle"), "{e}");
}

#[test]
fn unknown_and_mistyped_references_are_refused() {
    let e = broken(|d| {
        if let template::ResourceDoc::Instance { depends_on, .. } = d.resources.get_mut("lb").unwrap() {
            depends_on.push("nope".into());
        }
    });
    assert_eq!(e.field, "resources.lb.depends_on");
    let e = broken(|d| {
        if let template::ResourceDoc::Instance { security_groups, .. } = d.resources.get_mut("lb").unwrap() {
            security_groups.push("data".into());
        }
    });
    assert_eq!((e.field.as_str(), e.rule.as_str()), ("resources.lb.security_groups", "data is not a security_group"));
}

#[test]
fn a_count_must_be_an_integer_parameter() {
    let e = broken(|d| {
        if let template::ResourceDoc::Instance { count, .. } = d.resources.get_mut("web").unwrap() {
            *count = Some(template::Count::Parameter("nodes".into()));
        }
    });
    assert_eq!(e.field, "resources.web.count");
}

#[test]
fn common_parameters_are_not_redeclared() {
    let e = broken(|d| d.parameters["properties"]["vpc"] = serde_json::json!({"type": "string"}));
    assert_eq!(e.field, "parameters.properties.vpc");
}

#[test]
fn a_document_that_does_not_parse_says_where() {
    let e = TemplateDoc::parse("name: [").unwrap_err();
    assert_eq!(e.field, "document");
    let e = TemplateDoc::parse(&WEB.replace("kind: volume", "kind: disk")).unwrap_err();
    assert!(e.rule.contains("disk"), "{e}");
}
