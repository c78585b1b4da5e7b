//! The rules a template document keeps; a broken one is refused naming the field.

use super::graph::Graph;
use super::template::{Count, ResourceDoc, StackResourceKind, TemplateDoc};
use crate::network::Protocol;
use crate::{FieldError, Name};
use serde_json::{Value, json};

/// Parameters every template takes (SPEC §0): with the provisioning's name, they are the
/// "basic settings" and "network" of the execute form.
pub const COMMON_PARAMETERS: &[(&str, &str, &str)] = &[
    (
        "prefix",
        "VM name prefix",
        "Prefix of the names of the stack's virtual machines (default: the provisioning's name)",
    ),
    ("vpc", "VPC", "The VPC the resources are made in (name or id)"),
    ("subnet", "Subnet", "A subnet of that VPC (name or id)"),
    ("key_pair", "Key pair", "The key pair to reach the virtual machines with (name or id)"),
];

/// At most this many instances of one resource.
pub const MAX_COUNT: u32 = 50;
const KEY_MAX_LEN: usize = 30;

impl TemplateDoc {
    /// A document as YAML (JSON is YAML too).
    pub fn parse(text: &str) -> Result<TemplateDoc, FieldError> {
        let doc: TemplateDoc =
            serde_yaml_ng::from_str(text).map_err(|e| FieldError::new("document", format!("does not parse: {e}")))?;
        doc.validate()?;
        Ok(doc)
    }

    pub fn validate(&self) -> Result<(), FieldError> {
        Name::parse("name", &self.name)?;
        for (field, v) in [("title", &self.title), ("version", &self.version), ("overview", &self.overview)] {
            if v.trim().is_empty() {
                return Err(FieldError::new(field, "must not be empty"));
            }
        }
        let props = self.own_properties()?;
        if self.resources.is_empty() {
            return Err(FieldError::new("resources", "a template makes at least one resource"));
        }
        for (key, r) in &self.resources {
            self.check_resource(key, r, props)?;
        }
        if let Err(cycle) = self.graph().order() {
            return Err(FieldError::new(
                format!("resources.{}.depends_on", cycle[0]),
                format!("dependency cycle: {}", cycle.join(" → ")),
            ));
        }
        if let Some(http) = &self.readiness.http {
            self.an_instance("readiness.http.resource", &http.resource)?;
        }
        for (i, a) in self.outputs.access.iter().enumerate() {
            self.an_instance(&format!("outputs.access[{i}].resource"), &a.resource)?;
        }
        Ok(())
    }

    fn own_properties(&self) -> Result<&serde_json::Map<String, Value>, FieldError> {
        let props = self
            .parameters
            .get("properties")
            .and_then(Value::as_object)
            .ok_or_else(|| FieldError::new("parameters.properties", "must be an object (a JSON Schema object)"))?;
        if let Some((common, ..)) = COMMON_PARAMETERS.iter().find(|(p, ..)| props.contains_key(*p)) {
            return Err(FieldError::new(
                format!("parameters.properties.{common}"),
                "is a parameter every template has; it is added, not declared",
            ));
        }
        for r in self.parameters.get("required").and_then(Value::as_array).into_iter().flatten() {
            let known = r.as_str().is_some_and(|r| props.contains_key(r));
            if !known {
                return Err(FieldError::new("parameters.required", format!("{r} is not a declared property")));
            }
        }
        Ok(props)
    }

    fn check_resource(
        &self,
        key: &str,
        r: &ResourceDoc,
        props: &serde_json::Map<String, Value>,
    ) -> Result<(), FieldError> {
        let field = |f: &str| format!("resources.{key}.{f}");
        let key_ok = key.len() <= KEY_MAX_LEN
            && key.starts_with(|c: char| c.is_ascii_lowercase())
            && key.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
        if !key_ok {
            return Err(FieldError::new(
                format!("resources.{key}"),
                format!(
                    "a resource key is 1–{KEY_MAX_LEN} characters: a lowercase letter, then lowercase letters, digits or '-'"
                ),
            ));
        }
        for need in r.needs() {
            if !self.resources.contains_key(need) {
                return Err(FieldError::new(
                    field("depends_on"),
                    format!("names {need}, which the template does not declare"),
                ));
            }
        }
        match r {
            ResourceDoc::SecurityGroup { rules, .. } => {
                for (i, rule) in rules.iter().enumerate() {
                    let ported = matches!(rule.protocol, Protocol::Tcp | Protocol::Udp);
                    match rule.port {
                        Some(p) if !ported => {
                            return Err(FieldError::new(
                                field(&format!("rules[{i}].port")),
                                format!("{p}: only tcp and udp rules have ports"),
                            ));
                        }
                        Some(p) if !(1..=65535).contains(&p) => {
                            return Err(FieldError::new(field(&format!("rules[{i}].port")), "must be 1–65535"));
                        }
                        _ => {}
                    }
                }
            }
            ResourceDoc::Volume { size_gb, .. } => crate::validation::in_range(&field("size_gb"), *size_gb, 1, 5120)?,
            ResourceDoc::Instance { count, security_groups, volumes, .. } => {
                self.of_kind(&field("security_groups"), security_groups, StackResourceKind::SecurityGroup)?;
                self.of_kind(&field("volumes"), volumes, StackResourceKind::Volume)?;
                match count {
                    Some(Count::Fixed(n)) if !(1..=MAX_COUNT).contains(n) => {
                        return Err(FieldError::new(field("count"), format!("must be 1–{MAX_COUNT}")));
                    }
                    Some(Count::Parameter(p)) => {
                        let integer =
                            props.get(p).and_then(|s| s.get("type")).and_then(Value::as_str) == Some("integer");
                        if !integer {
                            return Err(FieldError::new(field("count"), format!("{p} must be an integer parameter")));
                        }
                    }
                    _ => {}
                }
                if count.is_some() && !volumes.is_empty() {
                    return Err(FieldError::new(field("volumes"), "a counted instance cannot share volumes"));
                }
            }
        }
        Ok(())
    }

    fn of_kind(&self, field: &str, keys: &[String], kind: StackResourceKind) -> Result<(), FieldError> {
        match keys.iter().find(|k| self.resources.get(*k).is_some_and(|r| r.kind() != kind)) {
            Some(k) => Err(FieldError::new(field, format!("{k} is not a {kind}"))),
            None => Ok(()),
        }
    }

    fn an_instance(&self, field: &str, key: &str) -> Result<(), FieldError> {
        match self.resources.get(key).map(ResourceDoc::kind) {
            Some(StackResourceKind::Instance) => Ok(()),
            _ => Err(FieldError::new(field, format!("{key} is not an instance of the template"))),
        }
    }

    /// The resources by key with what each needs first.
    pub fn graph(&self) -> Graph {
        Graph::new(self.resources.iter().map(|(k, r)| (k.as_str(), r.needs())))
    }

    /// The whole parameter schema: the common parameters and the template's own.
    pub fn parameter_schema(&self) -> Value {
        let mut schema = self.parameters.clone();
        let mut props = serde_json::Map::new();
        for (name, title, description) in COMMON_PARAMETERS {
            let pattern = "^[A-Za-z][A-Za-z0-9._-]*$";
            props.insert(name.to_string(), json!({"type": "string", "title": title, "description": description, "pattern": pattern, "minLength": 1, "maxLength": 63}));
        }
        if let Some(own) = self.parameters.get("properties").and_then(Value::as_object) {
            props.extend(own.clone());
        }
        let mut required: Vec<Value> = ["vpc", "subnet", "key_pair"].map(Value::from).into();
        required.extend(self.parameters.get("required").and_then(Value::as_array).cloned().unwrap_or_default());
        schema["type"] = json!("object");
        schema["properties"] = Value::Object(props);
        schema["required"] = Value::Array(required);
        schema
    }
}
