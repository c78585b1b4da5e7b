//! Extractors that turn bad requests into errors naming the field.

use crate::error::ApiError;
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use gureum_engine::{Error, OpContext};
use serde::de::DeserializeOwned;

/// The authenticated caller (set by the auth middleware).
pub struct Ctx(pub OpContext);

impl<S: Send + Sync> FromRequestParts<S> for Ctx {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        match parts.extensions.get::<Result<OpContext, Error>>() {
            Some(Ok(ctx)) => Ok(Ctx(ctx.clone())),
            Some(Err(e)) => Err(ApiError(e.clone())),
            None => Err(ApiError(Error::Unauthenticated(
                "this endpoint needs an API token: send Authorization: Bearer <token>".into(),
            ))),
        }
    }
}

/// Where in a serde error message a field name stands.
fn field_of(path: &str, message: &str) -> String {
    let top = path.is_empty() || path == ".";
    // The path of an unknown field already ends at that field; a missing field's path
    // ends at the object that lacks it.
    for (marker, path_names_it) in [("unknown field `", true), ("missing field `", false)] {
        if let Some(rest) = message.split(marker).nth(1)
            && let Some(name) = rest.split('`').next()
        {
            return match (top, path_names_it) {
                (true, _) => name.to_string(),
                (false, true) => path.to_string(),
                (false, false) => format!("{path}.{name}"),
            };
        }
    }
    if top { "body".into() } else { path.to_string() }
}

fn invalid_json(e: serde_path_to_error::Error<serde_json::Error>) -> ApiError {
    let path = e.path().to_string();
    let inner = e.into_inner();
    let message = inner.to_string();
    let message = message.split(" at line ").next().unwrap_or(&message).to_string();
    let field = if inner.is_syntax() || inner.is_eof() { "body".to_string() } else { field_of(&path, &message) };
    let rule = if inner.is_syntax() || inner.is_eof() { format!("is not valid JSON ({message})") } else { message };
    ApiError(Error::invalid(field, rule))
}

/// A JSON body; errors name the field (`security_groups[0]`, `cidr`) and the rule.
pub struct ApiJson<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequest<S> for ApiJson<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let json_type = req
            .headers()
            .get(axum::http::header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.starts_with("application/json") || v.contains("+json"));
        let bytes = axum::body::Bytes::from_request(req, state)
            .await
            .map_err(|e| ApiError(Error::invalid("body", format!("could not be read: {e}"))))?;
        // The document marks every request body required; an empty one would otherwise
        // read as `{}` and pass for whatever has only optional fields.
        if bytes.iter().all(u8::is_ascii_whitespace) {
            return Err(ApiError(Error::invalid("body", "is required: send a JSON object (`{}` for all defaults)")));
        }
        if !json_type {
            return Err(ApiError(Error::invalid("body", "must be JSON: send Content-Type: application/json")));
        }
        // serde would also read a struct from a JSON array, field by field in order.
        if bytes.iter().find(|b| !b.is_ascii_whitespace()) != Some(&b'{') {
            return Err(ApiError(Error::invalid("body", "must be a JSON object")));
        }
        let de = &mut serde_json::Deserializer::from_slice(&bytes);
        match serde_path_to_error::deserialize(de) {
            Ok(value) => Ok(ApiJson(value)),
            Err(e) if e.inner().to_string().starts_with("invalid type: floating point") => {
                // JSON has one number type: `2.0` is the integer 2 (as JSON Schema's
                // `integer` says), which serde refuses for an integer field. Read again
                // with whole numbers written as integers; other errors stay as they were.
                let Some(value) = integral(&bytes) else { return Err(invalid_json(e)) };
                serde_path_to_error::deserialize(value).map(ApiJson).map_err(invalid_json)
            }
            Err(e) => Err(invalid_json(e)),
        }
    }
}

/// The body with every whole-valued float (within f64's exact integers) as an integer,
/// or `None` when it has none.
fn integral(bytes: &[u8]) -> Option<serde_json::Value> {
    fn walk(v: &mut serde_json::Value, changed: &mut bool) {
        match v {
            serde_json::Value::Number(n) => {
                if let Some(f) =
                    n.as_f64().filter(|f| n.is_f64() && f.fract() == 0.0 && f.abs() <= 9_007_199_254_740_992.0)
                {
                    *n = (f as i64).into();
                    *changed = true;
                }
            }
            serde_json::Value::Array(items) => items.iter_mut().for_each(|i| walk(i, changed)),
            serde_json::Value::Object(fields) => fields.values_mut().for_each(|f| walk(f, changed)),
            _ => {}
        }
    }
    let mut value: serde_json::Value = serde_json::from_slice(bytes).ok()?;
    let mut changed = false;
    walk(&mut value, &mut changed);
    changed.then_some(value)
}

/// Query parameters; errors name the parameter.
pub struct ApiQuery<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequestParts<S> for ApiQuery<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        let query = parts.uri.query().unwrap_or("");
        let de = serde_urlencoded::Deserializer::new(form_urlencoded::parse(query.as_bytes()));
        serde_path_to_error::deserialize(de).map(ApiQuery).map_err(|e| {
            let path = e.path().to_string();
            let message = e.into_inner().to_string();
            ApiError(Error::invalid(field_of(&path, &message), message))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::field_of;

    #[test]
    fn whole_floats_read_as_integers() {
        let v = super::integral(br#"{"a": 2.0, "b": [3.0, 1.5], "c": {"d": -4.0}, "e": 5}"#).unwrap();
        assert_eq!(v, serde_json::json!({"a": 2, "b": [3, 1.5], "c": {"d": -4}, "e": 5}));
        assert!(super::integral(br#"{"a": 1.5, "b": 2}"#).is_none());
        assert!(super::integral(br#"{"a": 1e300}"#).is_none());
    }

    #[test]
    fn field_names_come_from_serde_messages() {
        assert_eq!(field_of("", "missing field `cidr`"), "cidr");
        assert_eq!(field_of(".", "unknown field `cdir`, expected one of `name`, `cidr`"), "cdir");
        assert_eq!(field_of("cdir", "unknown field `cdir`, expected one of `name`, `cidr`"), "cdir");
        assert_eq!(field_of("settings.x", "unknown field `x`, expected `a`"), "settings.x");
        assert_eq!(field_of("settings", "missing field `a`"), "settings.a");
        assert_eq!(field_of("size_gb", "invalid type: string \"x\", expected i64"), "size_gb");
        assert_eq!(field_of("", "expected value"), "body");
    }
}
