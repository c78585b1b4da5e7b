//! The matrix rows of resellers, customers and quotas. Every caller of the matrix lives
//! in the default customer without a tenancy role, so only the system administrator
//! reaches the tenancy above projects; the rest get 404 (it is outside their subtree).

use super::*;

const R: &str = "/v1/resellers/default";
const C: &str = "/v1/resellers/default/customers/default";

/// Administration of p1's customer (none of the project's own roles reach it).
const fn customer_admin(ok: u16) -> Expect {
    [ok, 403, 403, 403, 404, 401]
}

pub(super) fn tenancy_rows() -> Vec<Row> {
    use Case::*;
    use Fresh as F;
    let unlimited = |_: &str| json!({});
    vec![
        row("GET /v1/resellers", anyone(200), Fixed("/v1/resellers")),
        row("POST /v1/resellers", system(201), Body("/v1/resellers", |u| json!({"name": format!("res-{u}")}))),
        row("GET /v1/resellers/{reseller}", others_account(200), Fixed(R)),
        row("DELETE /v1/resellers/{reseller}", others_account(204), Make(F::ResellerDelete)),
        row("GET /v1/resellers/{reseller}/quota", others_account(200), Fixed("/v1/resellers/default/quota")),
        row("PUT /v1/resellers/{reseller}/quota", others_account(200), Body("/v1/resellers/default/quota", unlimited)),
        row("GET /v1/resellers/{reseller}/usage", others_account(200), Fixed("/v1/resellers/default/usage")),
        row("GET /v1/resellers/{reseller}/customers", others_account(200), Fixed("/v1/resellers/default/customers")),
        row(
            "POST /v1/resellers/{reseller}/customers",
            others_account(201),
            Body("/v1/resellers/default/customers", |u| json!({"name": format!("cus-{u}")})),
        ),
        row("GET /v1/resellers/{reseller}/customers/{customer}", others_account(200), Fixed(C)),
        row("DELETE /v1/resellers/{reseller}/customers/{customer}", others_account(204), Make(F::CustomerDelete)),
        row(
            "GET /v1/resellers/{reseller}/customers/{customer}/quota",
            others_account(200),
            Fixed("/v1/resellers/default/customers/default/quota"),
        ),
        row(
            "PUT /v1/resellers/{reseller}/customers/{customer}/quota",
            others_account(200),
            Body("/v1/resellers/default/customers/default/quota", unlimited),
        ),
        row(
            "GET /v1/resellers/{reseller}/customers/{customer}/usage",
            others_account(200),
            Fixed("/v1/resellers/default/customers/default/usage"),
        ),
        row("GET /v1/projects/{project}/quota", read(), Fixed("/v1/projects/p1/quota")),
        row("PUT /v1/projects/{project}/quota", customer_admin(200), Body("/v1/projects/p1/quota", unlimited)),
    ]
}
