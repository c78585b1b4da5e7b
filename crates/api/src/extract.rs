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
        if !json_type && !bytes.is_empty() {
            return Err(ApiError(Error::invalid("body", "must be JSON: send Content-Type: application/json")));
        }
        let bytes = if bytes.is_empty() { axum::body::Bytes::from_static(b"{}") } else { bytes };
        // serde would also read a struct from a JSON array, field by field in order.
        if bytes.iter().find(|b| !b.is_ascii_whitespace()) != Some(&b'{') {
            return Err(ApiError(Error::invalid("body", "must be a JSON object")));
        }
        let de = &mut serde_json::Deserializer::from_slice(&bytes);
        let value = serde_path_to_error::deserialize(de).map_err(invalid_json)?;
        Ok(ApiJson(value))
    }
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
