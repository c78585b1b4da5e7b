use crate::Links;
use gureum_model::authz::Role;
use gureum_model::tenancy::TenancyRole;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct User {
    pub id: Uuid,
    pub name: String,
    pub is_admin: bool,
    /// The home reseller and customer, by name.
    pub reseller: String,
    pub customer: String,
    pub tenancy_role: TenancyRole,
    pub has_password: bool,
    pub created_at: String,
    pub links: Links,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UserCreate {
    /// 1–63 characters: a letter, then letters, digits, `-`, `_` or `.` (not shaped like a UUID).
    #[schema(pattern = "^[A-Za-z][A-Za-z0-9._-]*$", min_length = 1, max_length = 63)]
    pub name: String,
    /// At least 12 characters; omit for a user who only uses API tokens.
    #[serde(default)]
    #[schema(min_length = 12)]
    pub password: Option<String>,
    #[serde(default)]
    pub is_admin: bool,
    /// The home reseller (name or id); default: yours.
    #[serde(default)]
    pub reseller: Option<String>,
    /// The home customer (name or id, of that reseller); default: yours.
    #[serde(default)]
    pub customer: Option<String>,
    /// `none` (default), `customer_admin` or `reseller_admin`; at most your own.
    #[serde(default)]
    pub tenancy_role: Option<TenancyRole>,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PasswordSet {
    /// At least 12 characters.
    #[schema(min_length = 12)]
    pub password: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct Token {
    pub id: Uuid,
    pub name: String,
    pub created_at: String,
    pub expires_at: Option<String>,
    pub last_used_at: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TokenCreate {
    /// 1–63 characters: a letter, then letters, digits, `-`, `_` or `.` (not shaped like a UUID).
    #[schema(pattern = "^[A-Za-z][A-Za-z0-9._-]*$", min_length = 1, max_length = 63)]
    pub name: String,
    /// Days until the token expires (1–3650); omit for a token that does not expire.
    #[serde(default)]
    #[schema(minimum = 1, maximum = 3650)]
    pub expires_in_days: Option<i64>,
}

/// A new token; `secret` is shown this once and never again.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct TokenCreated {
    pub token: Token,
    pub secret: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct Me {
    pub user: User,
    pub projects: Vec<ProjectMembership>,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct ProjectMembership {
    pub id: Uuid,
    pub name: String,
    pub role: Role,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct Project {
    pub id: Uuid,
    pub name: String,
    pub description: String,
    /// The caller's role in the project.
    pub role: Role,
    /// The reseller and customer the project belongs to, by name.
    pub reseller: String,
    pub customer: String,
    pub created_at: String,
    pub links: Links,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ProjectCreate {
    /// 1–63 characters: a letter, then letters, digits, `-`, `_` or `.` (not shaped like a UUID).
    #[schema(pattern = "^[A-Za-z][A-Za-z0-9._-]*$", min_length = 1, max_length = 63)]
    pub name: String,
    #[serde(default)]
    pub description: Option<String>,
    /// The reseller (name or id); default: yours.
    #[serde(default)]
    pub reseller: Option<String>,
    /// The customer (name or id, of that reseller); default: yours.
    #[serde(default)]
    pub customer: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct Member {
    pub user_id: Uuid,
    pub user: String,
    pub role: Role,
    pub created_at: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MemberSet {
    pub role: Role,
}
