//! The strings of a template that vary per run (instance types, images, user-data,
//! access URLs, credentials) are Jinja templates rendered with the run's parameters and,
//! for user-data and outputs, what the stack's resources became.

use gureum_model::FieldError;
use gureum_model::provisioning::TemplateDoc;
use gureum_model::provisioning::template::ResourceDoc;
use minijinja::Environment;
use serde_json::Value;

fn environment() -> Environment<'static> {
    let mut env = Environment::new();
    // User-data is a script: keep its last newline.
    env.set_keep_trailing_newline(true);
    env
}

/// Every template string of `doc` compiles, each error naming where it is.
pub(crate) fn check_templates(doc: &TemplateDoc) -> Result<(), FieldError> {
    let env = environment();
    let mut strings: Vec<(String, &str)> = vec![];
    for (key, r) in &doc.resources {
        if let ResourceDoc::Instance { instance_type, image, user_data, .. } = r {
            strings.push((format!("resources.{key}.instance_type"), instance_type));
            strings.push((format!("resources.{key}.image"), image));
            if let Some(u) = user_data {
                strings.push((format!("resources.{key}.user_data"), u));
            }
        }
    }
    for (i, a) in doc.outputs.access.iter().enumerate() {
        strings.push((format!("outputs.access[{i}].url"), &a.url));
    }
    for (i, c) in doc.outputs.credentials.iter().enumerate() {
        strings.push((format!("outputs.credentials[{i}].value"), &c.value));
    }
    for (field, text) in strings {
        env.template_from_str(text).map_err(|e| FieldError::new(field, format!("does not compile: {e}")))?;
    }
    Ok(())
}

/// Renders `text` with `context`.
pub(crate) fn render(text: &str, context: &Value) -> Result<String, String> {
    environment().render_str(text, context).map_err(|e| e.to_string())
}

/// `{{ name }}` alone: the parameter a rendered field comes from, to name it in errors.
pub(crate) fn parameter_of(text: &str) -> Option<&str> {
    let inner = text.trim().strip_prefix("{{")?.strip_suffix("}}")?.trim();
    inner.chars().all(|c| c.is_ascii_alphanumeric() || c == '_').then_some(inner)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn renders_with_the_context() {
        let ctx =
            json!({"prefix": "site", "resources": {"web": [{"private_ip": "10.0.0.5"}, {"private_ip": "10.0.0.6"}]}});
        let out = render("{% for w in resources.web %}{{ w.private_ip }} {% endfor %}\n", &ctx).unwrap();
        assert_eq!(out, "10.0.0.5 10.0.0.6 \n");
        assert_eq!(render("{{ image or 'tiny-linux' }}", &ctx).unwrap(), "tiny-linux");
    }

    #[test]
    fn the_parameter_a_field_comes_from() {
        assert_eq!(parameter_of("{{ instance_type }}"), Some("instance_type"));
        assert_eq!(parameter_of("{{ image or 'x' }}"), None);
        assert_eq!(parameter_of("t1.small"), None);
    }
}
