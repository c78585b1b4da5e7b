//! Who is acting, for every engine call.

use uuid::Uuid;

#[derive(Debug, Clone)]
pub struct OpContext {
    pub user_id: Uuid,
    pub user_name: String,
    /// System administrator: every project, users, connections.
    pub is_admin: bool,
    pub request_id: String,
}
