//! A template's parameter schema (JSON Schema) as form fields, and a posted form as the
//! parameters of an execute request. The fields are named `parameters.<name>`, the
//! engine's name for them, so its field errors land on them as they are.

use crate::forms::FormData;
use crate::view::Field;
use gureum_engine::Error;
use gureum_model::provisioning::COMMON_PARAMETERS;
use serde_json::{Map, Value};

/// One parameter of a template.
#[derive(Debug, Clone)]
pub struct Param {
    pub name: String,
    pub title: String,
    pub description: Option<String>,
    pub integer: bool,
    /// `format: password`: generated when left empty, never shown again.
    pub secret: bool,
    pub required: bool,
    pub default: Option<String>,
    pub minimum: Option<i64>,
    pub maximum: Option<i64>,
}

impl Param {
    /// The form field's name.
    pub fn field(&self) -> String {
        format!("parameters.{}", self.name)
    }

    /// What the field says under it: the description and the limits.
    fn help(&self) -> Option<String> {
        let mut parts: Vec<String> = self.description.iter().cloned().collect();
        match (self.minimum, self.maximum) {
            (Some(lo), Some(hi)) => parts.push(format!("{lo}–{hi}.")),
            (Some(lo), None) => parts.push(format!("At least {lo}.")),
            (None, Some(hi)) => parts.push(format!("At most {hi}.")),
            (None, None) => {}
        }
        if self.secret {
            parts.push("Left empty, a password is generated; the installation info shows it.".into());
        }
        (!parts.is_empty()).then(|| parts.join(" "))
    }

    /// The field for this parameter; `choices` makes it a select (the project's VPCs…).
    pub fn input(&self, choices: Option<Vec<(String, String)>>) -> Field {
        let label = self.title.as_str();
        let mut f = match choices {
            Some(options) => Field::select(&self.field(), label, options),
            None if self.secret => Field::new("password", &self.field(), label),
            None if self.integer => Field::number(&self.field(), label),
            None => Field::text(&self.field(), label),
        };
        if self.required {
            f = f.required();
        }
        if let Some(d) = &self.default {
            f = f.value(d);
        }
        f.help = self.help();
        f
    }
}

fn as_text(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Null => None,
        other => Some(other.to_string()),
    }
}

/// The parameters of `schema`, the common ones first (prefix, VPC, subnet, key pair).
pub fn params(schema: &Value) -> Vec<Param> {
    let props = schema["properties"].as_object().cloned().unwrap_or_default();
    let required: Vec<&str> = schema["required"].as_array().into_iter().flatten().filter_map(Value::as_str).collect();
    let common: Vec<&str> = COMMON_PARAMETERS.iter().map(|(n, ..)| *n).collect();
    let mut names: Vec<&String> = props.keys().collect();
    names.sort_by_key(|n| common.iter().position(|c| c == n).unwrap_or(common.len()));
    names
        .into_iter()
        .map(|name| {
            let s = &props[name];
            Param {
                name: name.clone(),
                title: s["title"].as_str().unwrap_or(name).to_string(),
                description: s["description"].as_str().map(str::to_string),
                integer: s["type"] == "integer",
                secret: s["format"] == "password",
                required: required.contains(&name.as_str()),
                default: s.get("default").and_then(as_text),
                minimum: s["minimum"].as_i64(),
                maximum: s["maximum"].as_i64(),
            }
        })
        .collect()
}

/// The parameters a form gives: blank fields left out (the engine fills in defaults and
/// generates passwords), whole numbers as numbers.
pub fn values(params: &[Param], form: &FormData) -> Result<Value, Error> {
    let mut out = Map::new();
    for p in params {
        let field = p.field();
        let Some(v) = form.opt(&field) else { continue };
        let value = if p.integer {
            Value::from(
                v.parse::<i64>().map_err(|_| Error::invalid(&field, format!("must be a whole number, got {v:?}")))?,
            )
        } else {
            Value::from(v)
        };
        out.insert(p.name.clone(), value);
    }
    Ok(Value::Object(out))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn schema() -> Value {
        json!({
            "type": "object",
            "properties": {
                "admin_password": {"type": "string", "format": "password"},
                "key_pair": {"type": "string", "title": "Key pair"},
                "node_count": {"type": "integer", "title": "Nodes", "minimum": 1, "maximum": 10, "default": 2},
                "prefix": {"type": "string", "title": "VM name prefix"},
                "subnet": {"type": "string", "title": "Subnet"},
                "vpc": {"type": "string", "title": "VPC"}
            },
            "required": ["vpc", "subnet", "key_pair"]
        })
    }

    #[test]
    fn the_schema_becomes_fields_common_ones_first() {
        let ps = params(&schema());
        let names: Vec<&str> = ps.iter().map(|p| p.name.as_str()).collect();
        assert_eq!(names, ["prefix", "vpc", "subnet", "key_pair", "admin_password", "node_count"]);
        let nodes = ps[5].input(None);
        assert_eq!((nodes.kind, nodes.name.as_str(), nodes.value.as_str()), ("number", "parameters.node_count", "2"));
        assert_eq!(nodes.help.as_deref(), Some("1–10."));
        let password = ps[4].input(None);
        assert_eq!(password.kind, "password");
        assert!(password.help.unwrap().contains("generated"));
        assert!(ps[1].required && !ps[0].required);
        assert_eq!(ps[1].input(Some(vec![])).kind, "select");
    }

    #[test]
    fn a_form_becomes_parameters() {
        let ps = params(&schema());
        let f = FormData::parse(b"parameters.node_count=3&parameters.vpc=net&parameters.admin_password=&name=x");
        assert_eq!(values(&ps, &f).unwrap(), json!({"node_count": 3, "vpc": "net"}));
        let f = FormData::parse(b"parameters.node_count=three");
        let e = values(&ps, &f).unwrap_err();
        assert!(matches!(e, Error::Invalid(fe) if fe.field == "parameters.node_count"));
    }
}
