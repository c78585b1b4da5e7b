//! Operations and usage.

use super::*;

/// What to pass as the project of an operation of no project (a VM template's), which
/// `GET /v1/operations/{id}` serves to system administrators.
pub const SYSTEM_OPERATIONS: &str = "";

impl Client {
    /// An operation; with `wait_seconds` the server holds the request (at most 60 s)
    /// until the operation finishes.
    pub async fn operation_get(
        &self,
        project: &str,
        operation_id: &str,
        wait_seconds: Option<u64>,
    ) -> Result<Operation> {
        let q = WaitQuery { wait_seconds };
        let path = format!("/operations/{}", seg(operation_id));
        let path = if project == SYSTEM_OPERATIONS { format!("/v1{path}") } else { project_path(project, &path) };
        self.get_query(&path, &q).await
    }

    /// The project's operations, newest first.
    pub async fn operation_list(&self, project: &str, q: &PageQuery) -> Result<Page<Operation>> {
        self.get_query(&project_path(project, "/operations"), q).await
    }

    /// Billed seconds and cost per instance and instance type (`format` in the query is
    /// ignored: use [`Client::usage_csv`] for CSV).
    pub async fn usage(&self, project: &str, q: &UsageQuery) -> Result<Usage> {
        let q = UsageQuery { format: None, ..q.clone() };
        self.get_query(&project_path(project, "/usage"), &q).await
    }

    /// The same as [`Client::usage`], as CSV text.
    pub async fn usage_csv(&self, project: &str, from: Option<&str>, to: Option<&str>) -> Result<String> {
        self.get_text(&project_path(project, "/usage"), &CsvQuery { from, to, format: "csv" }).await
    }
}
