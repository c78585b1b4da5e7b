//! The template library: catalog, plans, provisionings and their history.

use super::*;

impl Client {
    pub async fn template_list(&self) -> Result<Page<TemplateSummary>> {
        self.get("/v1/library/templates").await
    }

    pub async fn template_get(&self, template: &str) -> Result<Template> {
        self.get(&format!("/v1/library/templates/{}", seg(template))).await
    }

    pub async fn template_create(&self, req: &TemplateCreate) -> Result<Template> {
        self.post("/v1/library/templates", req).await
    }

    pub async fn template_delete(&self, template: &str) -> Result<()> {
        self.delete_no_content(&format!("/v1/library/templates/{}", seg(template))).await
    }

    pub async fn provisioning_plan(&self, project: &str, req: &ProvisioningCreate) -> Result<Plan> {
        self.post(&project_path(project, "/provisionings/plan"), req).await
    }

    pub async fn provisioning_create(&self, project: &str, req: &ProvisioningCreate) -> Result<Provisioning> {
        self.post(&project_path(project, "/provisionings"), req).await
    }

    pub async fn provisioning_list(&self, project: &str, q: &ListQuery) -> Result<Page<Provisioning>> {
        self.get_query(&project_path(project, "/provisionings"), q).await
    }

    pub async fn provisioning_get(&self, project: &str, provisioning: &str) -> Result<Provisioning> {
        self.get(&project_path(project, &format!("/provisionings/{}", seg(provisioning)))).await
    }

    pub async fn provisioning_info(&self, project: &str, provisioning: &str) -> Result<InstallationInfo> {
        self.get(&project_path(project, &format!("/provisionings/{}/installation-info", seg(provisioning)))).await
    }

    /// Returns (deletes) every resource of the stack; `confirm` is its name.
    pub async fn provisioning_return(&self, project: &str, provisioning: &str, confirm: &str) -> Result<Provisioning> {
        let path = project_path(project, &format!("/provisionings/{}/return", seg(provisioning)));
        self.post(&path, &ProvisioningConfirm { confirm: confirm.into() }).await
    }

    /// Deletes a returned (or failed-to-return) provisioning's status.
    pub async fn provisioning_delete(&self, project: &str, provisioning: &str, confirm: &str) -> Result<()> {
        let path = project_path(project, &format!("/provisionings/{}?confirm={}", seg(provisioning), seg(confirm)));
        self.delete_no_content(&path).await
    }

    pub async fn provisioning_history(&self, project: &str, q: &HistoryQuery) -> Result<Page<HistoryEvent>> {
        self.get_query(&project_path(project, "/provisioning-history"), q).await
    }

    /// An event's log (text).
    pub async fn provisioning_log(&self, project: &str, event: &str) -> Result<String> {
        self.get_text(&project_path(project, &format!("/provisioning-history/{}/log", seg(event))), &NoQuery {}).await
    }
}
