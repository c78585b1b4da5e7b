use super::{Created, Errors, accepted};
use crate::AppState;
use crate::error::ApiResult;
use crate::extract::{ApiJson, ApiQuery, Ctx};
use axum::Json;
use axum::extract::{Path, State};
use gureum_api_types::*;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(vpc_list, vpc_create))
        .routes(routes!(vpc_get, vpc_delete))
        .routes(routes!(vpc_subnet_list, subnet_create))
        .routes(routes!(subnet_list))
        .routes(routes!(subnet_get, subnet_delete))
        .routes(routes!(vpc_subnet_get, vpc_subnet_delete))
        .routes(routes!(security_group_list, security_group_create))
        .routes(routes!(security_group_get, security_group_delete))
        .routes(routes!(rule_list, rule_create))
        .routes(routes!(rule_delete))
        .routes(routes!(public_ip_list, public_ip_create))
        .routes(routes!(public_ip_get, public_ip_delete))
        .routes(routes!(public_ip_attach))
        .routes(routes!(public_ip_detach))
}

list!(vpc_list, "network", "/v1/projects/{project}/vpcs", Vpc, vpc_list);
get!(vpc_get, "network", "/v1/projects/{project}/vpcs/{vpc}", "vpc", Vpc, vpc_get);
delete!(vpc_delete, "network", "/v1/projects/{project}/vpcs/{vpc}", "vpc", Vpc, vpc_delete);
create!(vpc_create, "network", "/v1/projects/{project}/vpcs", VpcCreate, Vpc, vpc_create);

/// Subnets of one VPC.
#[utoipa::path(get, path = "/v1/projects/{project}/vpcs/{vpc}/subnets", tag = "network",
    params(("project" = String, Path, description = "Project name or id"), ("vpc" = String, Path, description = "VPC name or id"), ListQuery),
    responses((status = 200, body = Page<Subnet>), Errors))]
async fn vpc_subnet_list(
    State(s): State<AppState>,
    Ctx(ctx): Ctx,
    Path((project, vpc)): Path<(String, String)>,
    ApiQuery(q): ApiQuery<ListQuery>,
) -> ApiResult<Json<Page<Subnet>>> {
    Ok(Json(s.engine.subnet_list(&ctx, &project, Some(&vpc), &q).await?))
}

/// Creates a subnet in a VPC.
#[utoipa::path(post, path = "/v1/projects/{project}/vpcs/{vpc}/subnets", tag = "network",
    params(("project" = String, Path, description = "Project name or id"), ("vpc" = String, Path, description = "VPC name or id")),
    request_body = SubnetCreate, responses((status = 202, body = Subnet), Errors))]
async fn subnet_create(
    State(s): State<AppState>,
    Ctx(ctx): Ctx,
    Path((project, vpc)): Path<(String, String)>,
    ApiJson(req): ApiJson<SubnetCreate>,
) -> ApiResult<Created<Subnet>> {
    Ok(accepted(s.engine.subnet_create(&ctx, &project, &vpc, req).await?))
}

/// Every subnet of the project.
#[utoipa::path(get, path = "/v1/projects/{project}/subnets", tag = "network",
    params(("project" = String, Path, description = "Project name or id"), ListQuery), responses((status = 200, body = Page<Subnet>), Errors))]
async fn subnet_list(
    State(s): State<AppState>,
    Ctx(ctx): Ctx,
    Path(project): Path<String>,
    ApiQuery(q): ApiQuery<ListQuery>,
) -> ApiResult<Json<Page<Subnet>>> {
    Ok(Json(s.engine.subnet_list(&ctx, &project, None, &q).await?))
}

/// A subnet of the project.
#[utoipa::path(get, path = "/v1/projects/{project}/subnets/{subnet}", tag = "network",
    params(("project" = String, Path, description = "Project name or id"), ("subnet" = String, Path, description = "Name or id")),
    responses((status = 200, body = Subnet), Errors))]
async fn subnet_get(
    State(s): State<AppState>,
    Ctx(ctx): Ctx,
    Path((project, subnet)): Path<(String, String)>,
) -> ApiResult<Json<Subnet>> {
    Ok(Json(s.engine.subnet_get(&ctx, &project, None, &subnet).await?))
}

/// Deletes a subnet (no instance may be in it).
#[utoipa::path(delete, path = "/v1/projects/{project}/subnets/{subnet}", tag = "network",
    params(("project" = String, Path, description = "Project name or id"), ("subnet" = String, Path, description = "Name or id")),
    responses((status = 202, description = "Deleting; follow the operation", body = Subnet), Errors))]
async fn subnet_delete(
    State(s): State<AppState>,
    Ctx(ctx): Ctx,
    Path((project, subnet)): Path<(String, String)>,
) -> ApiResult<Created<Subnet>> {
    Ok(accepted(s.engine.subnet_delete(&ctx, &project, None, &subnet).await?))
}

/// A subnet of one VPC (another VPC's subnet answers 404).
#[utoipa::path(get, path = "/v1/projects/{project}/vpcs/{vpc}/subnets/{subnet}", tag = "network",
    params(("project" = String, Path, description = "Project name or id"), ("vpc" = String, Path, description = "VPC name or id"),
           ("subnet" = String, Path, description = "Name or id")),
    responses((status = 200, body = Subnet), Errors))]
async fn vpc_subnet_get(
    State(s): State<AppState>,
    Ctx(ctx): Ctx,
    Path((project, vpc, subnet)): Path<(String, String, String)>,
) -> ApiResult<Json<Subnet>> {
    Ok(Json(s.engine.subnet_get(&ctx, &project, Some(&vpc), &subnet).await?))
}

/// Deletes a subnet of one VPC.
#[utoipa::path(delete, path = "/v1/projects/{project}/vpcs/{vpc}/subnets/{subnet}", tag = "network",
    params(("project" = String, Path, description = "Project name or id"), ("vpc" = String, Path, description = "VPC name or id"),
           ("subnet" = String, Path, description = "Name or id")),
    responses((status = 202, description = "Deleting; follow the operation", body = Subnet), Errors))]
async fn vpc_subnet_delete(
    State(s): State<AppState>,
    Ctx(ctx): Ctx,
    Path((project, vpc, subnet)): Path<(String, String, String)>,
) -> ApiResult<Created<Subnet>> {
    Ok(accepted(s.engine.subnet_delete(&ctx, &project, Some(&vpc), &subnet).await?))
}

list!(security_group_list, "network", "/v1/projects/{project}/security-groups", SecurityGroup, security_group_list);
get!(
    security_group_get,
    "network",
    "/v1/projects/{project}/security-groups/{security_group}",
    "security_group",
    SecurityGroup,
    security_group_get
);
delete!(
    security_group_delete,
    "network",
    "/v1/projects/{project}/security-groups/{security_group}",
    "security_group",
    SecurityGroup,
    security_group_delete
);
create!(
    security_group_create,
    "network",
    "/v1/projects/{project}/security-groups",
    SecurityGroupCreate,
    SecurityGroup,
    security_group_create
);

/// The rules of a security group, with whether the provider applies each.
#[utoipa::path(get, path = "/v1/projects/{project}/security-groups/{security_group}/rules", tag = "network",
    params(("project" = String, Path, description = "Project name or id"), ("security_group" = String, Path, description = "Name or id")),
    responses((status = 200, body = Vec<SecurityGroupRule>), Errors))]
async fn rule_list(
    State(s): State<AppState>,
    Ctx(ctx): Ctx,
    Path((project, group)): Path<(String, String)>,
) -> ApiResult<Json<Vec<SecurityGroupRule>>> {
    Ok(Json(s.engine.security_group_get(&ctx, &project, &group).await?.rules))
}

/// Adds a rule to a security group and applies the group's rules at the provider.
#[utoipa::path(post, path = "/v1/projects/{project}/security-groups/{security_group}/rules", tag = "network",
    params(("project" = String, Path, description = "Project name or id"), ("security_group" = String, Path, description = "Name or id")),
    request_body = SecurityGroupRuleCreate, responses((status = 202, body = SecurityGroupRule), Errors))]
async fn rule_create(
    State(s): State<AppState>,
    Ctx(ctx): Ctx,
    Path((project, group)): Path<(String, String)>,
    ApiJson(req): ApiJson<SecurityGroupRuleCreate>,
) -> ApiResult<Created<SecurityGroupRule>> {
    Ok(accepted(s.engine.security_group_rule_create(&ctx, &project, &group, req).await?))
}

#[utoipa::path(delete, path = "/v1/projects/{project}/security-groups/{security_group}/rules/{rule}", tag = "network",
    params(("project" = String, Path, description = "Project name or id"), ("security_group" = String, Path, description = "Name or id"),
           ("rule" = String, Path, description = "Rule id")),
    responses((status = 202, body = SecurityGroupRule), Errors))]
async fn rule_delete(
    State(s): State<AppState>,
    Ctx(ctx): Ctx,
    Path((project, group, rule)): Path<(String, String, String)>,
) -> ApiResult<Created<SecurityGroupRule>> {
    Ok(accepted(s.engine.security_group_rule_delete(&ctx, &project, &group, &rule).await?))
}

list!(public_ip_list, "network", "/v1/projects/{project}/public-ips", PublicIp, public_ip_list);
get!(public_ip_get, "network", "/v1/projects/{project}/public-ips/{public_ip}", "public_ip", PublicIp, public_ip_get);
delete!(
    public_ip_delete,
    "network",
    "/v1/projects/{project}/public-ips/{public_ip}",
    "public_ip",
    PublicIp,
    public_ip_delete
);
create!(public_ip_create, "network", "/v1/projects/{project}/public-ips", PublicIpCreate, PublicIp, public_ip_create);
action!(public_ip_attach, "network", "/v1/projects/{project}/public-ips/{public_ip}/attach", "public_ip", PublicIp, public_ip_attach, body: PublicIpAttach);
action!(
    public_ip_detach,
    "network",
    "/v1/projects/{project}/public-ips/{public_ip}/detach",
    "public_ip",
    PublicIp,
    public_ip_detach
);
