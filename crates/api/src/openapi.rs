//! The OpenAPI document: every `/v1` route registers itself through `utoipa_axum`, so the
//! document cannot leave a route out.

use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};

#[derive(OpenApi)]
#[openapi(
    info(
        title = "gureum",
        description = "A self-hosted cloud control plane: instances, images, volumes, key pairs, networks and \
                       public IPs on pluggable providers. Long actions return 202 with the resource in its \
                       transitional state and an operation to follow. Errors share one body: \
                       {\"error\": {\"code\", \"message\", \"request_id\"}}.",
        license(name = "Apache-2.0")
    ),
    // Every 4xx/5xx of every operation refers to the one error body.
    components(schemas(gureum_api_types::ErrorBody, gureum_api_types::ErrorDetail)),
    modifiers(&BearerAuth),
    security(("bearer" = []))
)]
pub struct ApiDoc;

struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).bearer_format("gur_…").build()),
        );
    }
}

/// The document as served and as committed in `docs/openapi.json`.
pub fn openapi_json() -> String {
    let (_, doc) = crate::routes::api_router().split_for_parts();
    let mut s = doc.to_pretty_json().expect("the OpenAPI document serializes");
    s.push('\n');
    s
}
