//! A run's parameters: the template's defaults filled in, passwords generated where left
//! empty, and the whole checked against the parameter schema, each error naming the
//! parameter (`parameters.node_count`).

use gureum_model::FieldError;
use gureum_model::provisioning::TemplateDoc;
use rand::Rng;
use serde_json::{Map, Value};

/// The parameters of a run, split into what may be shown and what is sealed.
#[derive(Debug, Clone)]
pub(crate) struct Parameters {
    pub values: Map<String, Value>,
    /// Names of the secret ones (`format: password`).
    pub secret: Vec<String>,
}

impl Parameters {
    /// What may be shown and logged: the secret values left out.
    pub fn public(&self) -> Map<String, Value> {
        self.values.iter().filter(|(k, _)| !self.secret.contains(k)).map(|(k, v)| (k.clone(), v.clone())).collect()
    }

    pub fn secrets(&self) -> Map<String, Value> {
        self.values.iter().filter(|(k, _)| self.secret.contains(k)).map(|(k, v)| (k.clone(), v.clone())).collect()
    }

    pub fn str(&self, name: &str) -> &str {
        self.values.get(name).and_then(Value::as_str).unwrap_or_default()
    }

    pub fn count(&self, name: &str) -> u32 {
        self.values.get(name).and_then(Value::as_u64).unwrap_or(1) as u32
    }
}

fn validator(doc: &TemplateDoc) -> Result<jsonschema::Validator, FieldError> {
    jsonschema::validator_for(&doc.parameter_schema())
        .map_err(|e| FieldError::new("parameters", format!("is not a valid JSON Schema: {e}")))
}

/// A template's parameter schema compiles.
pub(crate) fn check_schema(doc: &TemplateDoc) -> Result<(), FieldError> {
    validator(doc).map(|_| ())
}

fn is_secret(schema: &Value) -> bool {
    schema.get("format").and_then(Value::as_str) == Some("password")
}

/// A password of 20 letters and digits.
fn generated_password() -> String {
    const CHARS: &[u8] = b"ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789";
    let mut rng = rand::rng();
    (0..20).map(|_| CHARS[rng.random_range(0..CHARS.len())] as char).collect()
}

/// `given` completed and checked against `doc`'s schema, for a run named `name`.
pub(crate) fn resolve(doc: &TemplateDoc, name: &str, given: &Value) -> Result<Parameters, FieldError> {
    let mut values = match given {
        Value::Null => Map::new(),
        Value::Object(m) => m.clone(),
        _ => return Err(FieldError::new("parameters", "must be an object")),
    };
    let schema = doc.parameter_schema();
    let props = schema["properties"].as_object().cloned().unwrap_or_default();
    if let Some(unknown) = values.keys().find(|k| !props.contains_key(*k)) {
        let known: Vec<&str> = props.keys().map(String::as_str).collect();
        return Err(FieldError::new(
            format!("parameters.{unknown}"),
            format!("is not a parameter of {} (it takes {})", doc.name, known.join(", ")),
        ));
    }
    values.entry("prefix").or_insert_with(|| Value::from(name));
    let mut secret = vec![];
    for (p, s) in &props {
        let empty = values.get(p).is_none_or(|v| v.is_null() || v.as_str() == Some(""));
        if is_secret(s) {
            secret.push(p.clone());
            if empty {
                values.insert(p.clone(), Value::from(generated_password()));
            }
        } else if empty && let Some(default) = s.get("default") {
            values.insert(p.clone(), default.clone());
        }
    }
    for r in schema["required"].as_array().into_iter().flatten().filter_map(Value::as_str) {
        if values.get(r).is_none_or(|v| v.is_null() || v.as_str() == Some("")) {
            return Err(FieldError::new(format!("parameters.{r}"), "is required"));
        }
    }
    let instance = Value::Object(values.clone());
    if let Some(e) = validator(doc)?.iter_errors(&instance).next() {
        let path = e.instance_path().to_string();
        let field = path.trim_start_matches('/').replace('/', ".");
        let field = if field.is_empty() { "parameters".to_string() } else { format!("parameters.{field}") };
        return Err(FieldError::new(field, e.to_string()));
    }
    Ok(Parameters { values, secret })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn doc() -> TemplateDoc {
        TemplateDoc::parse(
            r#"
name: t
title: T
version: "1"
overview: o
parameters:
  type: object
  properties:
    node_count: {type: integer, minimum: 1, maximum: 10, default: 2}
    admin_password: {type: string, format: password}
resources:
  vm: {kind: instance, instance_type: t1.small, image: x}
"#,
        )
        .unwrap()
    }

    fn net() -> Value {
        json!({"vpc": "v", "subnet": "s", "key_pair": "k"})
    }

    #[test]
    fn defaults_and_passwords_are_filled_in() {
        let p = resolve(&doc(), "site", &net()).unwrap();
        assert_eq!(p.values["node_count"], 2);
        assert_eq!(p.str("prefix"), "site");
        assert_eq!(p.str("admin_password").len(), 20);
        assert!(!p.public().contains_key("admin_password"));
        assert_eq!(p.secrets().len(), 1);
    }

    #[test]
    fn each_error_names_its_parameter() {
        let mut bad = net();
        bad["node_count"] = json!(11);
        assert_eq!(resolve(&doc(), "site", &bad).unwrap_err().field, "parameters.node_count");
        bad["node_count"] = json!("two");
        assert_eq!(resolve(&doc(), "site", &bad).unwrap_err().field, "parameters.node_count");
        let missing = json!({"vpc": "v", "subnet": "s"});
        let e = resolve(&doc(), "site", &missing).unwrap_err();
        assert_eq!((e.field.as_str(), e.rule.as_str()), ("parameters.key_pair", "is required"));
        let mut unknown = net();
        unknown["nodes"] = json!(1);
        assert_eq!(resolve(&doc(), "site", &unknown).unwrap_err().field, "parameters.nodes");
        assert_eq!(resolve(&doc(), "site", &json!([1])).unwrap_err().field, "parameters");
    }
}
