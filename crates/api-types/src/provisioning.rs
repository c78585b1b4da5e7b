//! The template library (SPEC §0): the catalog, plans, provisionings, their
//! installation info and their history.

use crate::Links;
use gureum_model::provisioning::{
    HistoryType, OnFailure, ProvisioningAction, ProvisioningState, StackResourceKind, StackResourceState,
};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::ToSchema;
use uuid::Uuid;

/// A template as the catalog lists it.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct TemplateSummary {
    pub name: String,
    pub title: String,
    pub version: String,
    pub overview: String,
    /// `shipped` (in the binary) or `added` (by a system administrator).
    pub source: String,
}

/// Everything about a template: its details, parameters (JSON Schema) and the document.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct Template {
    pub name: String,
    pub title: String,
    pub version: String,
    pub overview: String,
    pub features: Vec<String>,
    pub prerequisites: Vec<String>,
    pub installation_resources: Vec<String>,
    pub licenses: Vec<TemplateLicense>,
    /// JSON Schema of `parameters` in an execute request (the common ones included).
    #[schema(value_type = Object)]
    pub parameters: Value,
    /// The resources it makes, by key: kind and what each needs first.
    pub resources: Vec<TemplateResource>,
    /// Why it cannot run on a QEMU connection, if it cannot.
    pub local_refusal: Option<String>,
    pub source: String,
    /// The document (YAML or JSON) as written.
    pub document: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct TemplateLicense {
    pub name: String,
    pub version: String,
    pub license: String,
    pub url: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct TemplateResource {
    pub key: String,
    pub kind: StackResourceKind,
    pub depends_on: Vec<String>,
}

/// A template added by a system administrator.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TemplateCreate {
    /// The template document, YAML or JSON.
    pub document: String,
}

/// Execute (and plan) a provisioning.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ProvisioningCreate {
    /// 1–63 characters: a letter, then letters, digits, `-`, `_` or `.`.
    #[schema(pattern = "^[A-Za-z][A-Za-z0-9._-]*$", min_length = 1, max_length = 63)]
    pub name: String,
    pub template: String,
    /// As the template's parameter schema says (always `vpc`, `subnet`, `key_pair`;
    /// `prefix` defaults to the name).
    #[serde(default)]
    #[schema(value_type = Object)]
    pub parameters: Value,
    /// `rollback` (default): a failed provisioning removes everything it made.
    #[serde(default)]
    pub on_failure: Option<OnFailure>,
}

/// What an execute would do, computed without any provider call.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct Plan {
    pub template: String,
    pub connection: String,
    /// The resources it would make, in the order they would be made.
    pub resources: Vec<PlannedResource>,
    /// `(from, to)`: `from` is made after `to`.
    #[schema(schema_with = edge_pairs)]
    pub edges: Vec<(String, String)>,
    pub checks: Vec<PlanCheck>,
    /// True when every check passed.
    pub ok: bool,
    /// From the connection's latencies and the installation time.
    pub predicted_seconds: f64,
    pub critical_path: Vec<String>,
    pub predicted_return_seconds: f64,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct PlannedResource {
    pub key: String,
    pub kind: StackResourceKind,
    /// The name it gets.
    pub name: String,
    pub needs: Vec<String>,
    /// What it is made with (instance type, image, size, rules…).
    #[schema(value_type = Object)]
    pub spec: Value,
    pub predicted_seconds: f64,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct PlanCheck {
    pub check: String,
    /// The request field it is about.
    pub field: Option<String>,
    pub passed: bool,
    pub message: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct Provisioning {
    pub id: Uuid,
    pub name: String,
    pub template: String,
    pub template_version: String,
    pub state: ProvisioningState,
    pub state_reason: Option<String>,
    pub on_failure: OnFailure,
    pub connection: String,
    /// The parameters it ran with (secret ones left out).
    #[schema(value_type = Object)]
    pub parameters: Value,
    pub executed_at: String,
    pub finished_at: Option<String>,
    /// The user who executed it.
    pub user: Option<String>,
    pub allowed_actions: Vec<ProvisioningAction>,
    pub progress: StackProgress,
    /// In a single provisioning's GET only.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub resources: Vec<StackResource>,
    pub operation_id: Option<Uuid>,
    pub links: Links,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct StackProgress {
    pub ready: usize,
    pub total: usize,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct StackResource {
    pub key: String,
    pub kind: StackResourceKind,
    pub name: String,
    pub id: Option<Uuid>,
    /// The provider's id, for removing it by hand after a failed return.
    pub provider_id: Option<String>,
    pub state: StackResourceState,
    pub state_reason: Option<String>,
    pub needs: Vec<String>,
    /// The gureum resource's own state (`Running`, `Available`…), while it exists.
    pub resource_state: Option<String>,
    pub started_at: Option<String>,
    pub finished_at: Option<String>,
}

/// How to reach what was installed, and what was made.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct InstallationInfo {
    pub provisioning: String,
    pub state: ProvisioningState,
    pub access: Vec<AccessInfo>,
    /// Initial credentials: project admins and members only (empty for readers, with
    /// `credentials_hidden` set).
    pub credentials: Vec<CredentialInfo>,
    pub credentials_hidden: bool,
    pub resources: Vec<StackResource>,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct AccessInfo {
    pub name: String,
    pub instance: String,
    pub url: String,
    pub address: String,
    pub port: u16,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct CredentialInfo {
    pub name: String,
    pub value: String,
}

/// Confirms a return or a delete by the provisioning's name.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ProvisioningConfirm {
    pub confirm: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct HistoryEvent {
    pub id: Uuid,
    pub at: String,
    #[serde(rename = "type")]
    pub event_type: HistoryType,
    pub provisioning: String,
    pub provisioning_id: Uuid,
    pub template: String,
    pub user: String,
    /// `false` once the log expired.
    pub log_available: bool,
    pub log_expires_at: String,
    pub links: Links,
}

/// Filters of the history list.
#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct HistoryQuery {
    /// Provisioning name or id.
    #[serde(default)]
    pub provisioning: Option<String>,
    #[serde(default, rename = "type")]
    #[param(value_type = Option<HistoryType>)]
    pub event_type: Option<HistoryType>,
    /// Page size, 1–1000 (default 100).
    #[serde(default)]
    #[param(minimum = 1, maximum = 1000)]
    pub limit: Option<u32>,
    #[serde(default)]
    pub cursor: Option<String>,
}

/// Pairs as two-item arrays: utoipa writes a tuple with `items: false`, valid JSON Schema
/// 2020-12 that common client generators cannot read.
fn edge_pairs() -> utoipa::openapi::Array {
    use utoipa::openapi::{ArrayBuilder, ObjectBuilder, Type};
    let pair =
        ArrayBuilder::new().items(ObjectBuilder::new().schema_type(Type::String)).min_items(Some(2)).max_items(Some(2));
    ArrayBuilder::new().items(pair).build()
}
