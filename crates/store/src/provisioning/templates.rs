use crate::record;
use uuid::Uuid;

record! {
    /// A template a system administrator added through the API.
    pub struct LibraryTemplateRecord in "library_templates" {
        pub id: Uuid,
        pub name: String,
        /// The document as it was sent (YAML or JSON).
        pub document: String,
        pub created_by: Uuid,
        pub created_at: i64,
        pub updated_at: i64,
        pub generation: i64,
    }
}
