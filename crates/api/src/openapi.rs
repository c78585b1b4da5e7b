//! The OpenAPI document: every `/v1` route registers itself through `utoipa_axum`, so the
//! document cannot leave a route out.

use utoipa::openapi::path::ParameterIn;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::openapi::{Content, ContentBuilder, Ref, RefOr, Response, ResponseBuilder, Schema};
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
    components(schemas(gureum_api_types::ErrorBody, gureum_api_types::ErrorDetail, gureum_api_types::UsageFormat)),
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

/// Operations that call the provider while the request waits, and so pass on its
/// throttling (429) and its outages (503); every other operation only records work.
const CALLS_PROVIDER: [&str; 5] =
    ["connection_verify", "connection_drift", "drift_adopt", "drift_delete", "instance_console"];

/// Reads that depend on the resource's state: an instance without a VM has no console.
const STATEFUL_READS: [&str; 1] = ["instance_console"];

fn error_response(description: &str) -> RefOr<Response> {
    let content = ContentBuilder::new().schema(Some(Ref::from_schema_name("ErrorBody"))).build();
    RefOr::T(ResponseBuilder::new().description(description).content("application/json", content).build())
}

/// Adds the error responses that follow from what an operation is rather than from its
/// handler, after the routes are merged (a `Modify` on `ApiDoc` runs before that):
/// 409 for every write (the state, a name taken, a concurrent change or an
/// `Idempotency-Key` reused), 413 wherever a body is read, 429/503 where the provider is
/// called.
fn rule_based_responses(doc: &mut utoipa::openapi::OpenApi) {
    for item in doc.paths.paths.values_mut() {
        let ops = [
            (false, item.get.as_mut()),
            (true, item.post.as_mut()),
            (true, item.put.as_mut()),
            (true, item.patch.as_mut()),
            (true, item.delete.as_mut()),
        ];
        for (writes, op) in ops {
            let Some(op) = op else { continue };
            let id = op.operation_id.clone().unwrap_or_default();
            let r = &mut op.responses.responses;
            // OpenAPI requires a description on every response; a route that gives none
            // gets the one its status code means here.
            for (status, response) in r.iter_mut() {
                if let RefOr::T(response) = response
                    && response.description.is_empty()
                {
                    response.description = match status.as_str() {
                        "200" => "OK",
                        "201" => "Created",
                        "202" => "Accepted: the work runs on; follow the operation",
                        "204" => "Done; no content",
                        _ => "See the error body",
                    }
                    .into();
                }
            }
            if writes || STATEFUL_READS.contains(&id.as_str()) {
                r.entry("409".into()).or_insert_with(|| {
                    error_response("Not allowed in the current state, already exists, changed concurrently, or the Idempotency-Key was used for another request.")
                });
            }
            if op.request_body.is_some() {
                r.entry("413".into()).or_insert_with(|| error_response("The body is over the size limit (1 MiB)."));
            }
            if CALLS_PROVIDER.contains(&id.as_str()) {
                r.entry("429".into())
                    .or_insert_with(|| error_response("The provider throttled the call; retry later."));
                r.entry("503".into())
                    .or_insert_with(|| error_response("The provider could not be reached; retry later."));
            }
        }
    }
}

/// The `state` filter of a list takes the states of the listed resource: its schema is
/// the one of the resource's `state` property, or of its derived `status` (maintenance
/// tasks) — `ListQuery` is shared by every list, so its own schema can only say "a string".
fn list_state_filters(doc: &mut utoipa::openapi::OpenApi) {
    let schemas = doc.components.as_ref().map(|c| c.schemas.clone()).unwrap_or_default();
    let state_of = |page: &str| -> Option<RefOr<Schema>> {
        let item = page.strip_prefix("#/components/schemas/Page_")?;
        match schemas.get(item)? {
            RefOr::T(Schema::Object(o)) => o.properties.get("state").or_else(|| o.properties.get("status")).cloned(),
            _ => None,
        }
    };
    for item in doc.paths.paths.values_mut() {
        let Some(op) = item.get.as_mut() else { continue };
        let page = match op.responses.responses.get("200") {
            Some(RefOr::T(r)) => match r.content.get("application/json") {
                Some(RefOr::T(Content { schema: Some(RefOr::Ref(r)), .. })) => r.ref_location.clone(),
                _ => continue,
            },
            _ => continue,
        };
        let Some(state) = state_of(&page) else { continue };
        for p in op.parameters.iter_mut().flatten() {
            if let RefOr::T(p) = p
                && p.name == "state"
                && p.parameter_in == ParameterIn::Query
            {
                p.schema = Some(state.clone());
            }
        }
    }
}

/// The document as served and as committed in `docs/openapi.json`.
pub fn openapi_json() -> String {
    let (_, mut doc) = crate::routes::api_router().split_for_parts();
    rule_based_responses(&mut doc);
    list_state_filters(&mut doc);
    let mut s = doc.to_pretty_json().expect("the OpenAPI document serializes");
    s.push('\n');
    s
}
