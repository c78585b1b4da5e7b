use crate::record;
use gureum_model::provisioning::{OnFailure, ProvisioningState, StackResourceKind, StackResourceState};
use uuid::Uuid;

record! {
    pub struct ProvisioningRecord in "provisionings" {
        pub id: Uuid,
        pub project_id: Uuid,
        pub name: String,
        pub template: String,
        pub template_version: String,
        /// The template document this run was made from.
        pub document: String,
        /// The parameters (JSON), without the secret ones.
        pub parameters: String,
        /// The secret parameters (given or generated passwords), sealed.
        pub secrets: Option<String>,
        pub on_failure: OnFailure,
        /// The VPC's connection: where every resource of the stack is made.
        pub connection_id: Uuid,
        pub state: ProvisioningState,
        pub state_reason: Option<String>,
        pub op_id: Option<Uuid>,
        /// The rendered installation info (JSON) without its credentials.
        pub info: Option<String>,
        /// The rendered credentials (JSON), sealed.
        pub credentials: Option<String>,
        pub generation: i64,
        pub created_by: Uuid,
        pub created_at: i64,
        pub updated_at: i64,
        pub finished_at: Option<i64>,
    }
}

record! {
    /// One resource of a stack as the provisioning follows it.
    pub struct StackResourceRecord in "provisioning_resources" {
        pub id: Uuid,
        pub provisioning_id: Uuid,
        /// Its place in the template's dependency order.
        pub position: i64,
        pub key: String,
        /// The template's resource it comes from.
        pub resource: String,
        pub kind: StackResourceKind,
        /// The keys it needs first (JSON array).
        pub needs: String,
        /// The gureum resource's name.
        pub name: String,
        pub resource_id: Option<Uuid>,
        pub state: StackResourceState,
        pub state_reason: Option<String>,
        pub started_at: Option<i64>,
        pub finished_at: Option<i64>,
        pub generation: i64,
        pub updated_at: i64,
    }
}

impl StackResourceRecord {
    pub fn needed(&self) -> Vec<String> {
        serde_json::from_str(&self.needs).unwrap_or_default()
    }
}

impl crate::Store {
    /// A stack's resources in dependency order.
    pub async fn stack_resources(&self, provisioning_id: Uuid) -> crate::DbResult<Vec<StackResourceRecord>> {
        let mut rows = self.list_all::<StackResourceRecord>(&[("provisioning_id", provisioning_id.into())]).await?;
        rows.sort_by_key(|r| r.position);
        Ok(rows)
    }

    /// Removes a provisioning's rows (its history stays).
    pub fn provisioning_forget(id: Uuid) -> crate::Batch {
        let mut b = crate::Batch::new();
        b.push(crate::Stmt::new("DELETE FROM provisioning_resources WHERE provisioning_id = $1", crate::args![id]));
        b.push(crate::record::delete::<ProvisioningRecord>(id));
        b
    }
}
