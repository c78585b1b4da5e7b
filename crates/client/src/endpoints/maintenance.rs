//! Maintenance: tasks and their resources' schedules, notifications and webhooks.

use super::*;

fn task_path(project: &str, task: &str, rest: &str) -> String {
    project_path(project, &format!("/maintenance-tasks/{}{rest}", seg(task)))
}

impl Client {
    pub async fn maintenance_task_list(&self, project: &str, q: &ListQuery) -> Result<Page<MaintenanceTask>> {
        self.get_query(&project_path(project, "/maintenance-tasks"), q).await
    }

    pub async fn maintenance_task_create(&self, project: &str, req: &MaintenanceTaskCreate) -> Result<MaintenanceTask> {
        self.post(&project_path(project, "/maintenance-tasks"), req).await
    }

    pub async fn maintenance_task_get(&self, project: &str, task: &str) -> Result<MaintenanceTask> {
        self.get(&task_path(project, task, "")).await
    }

    pub async fn maintenance_task_delete(&self, project: &str, task: &str) -> Result<()> {
        self.delete_no_content(&task_path(project, task, "")).await
    }

    /// Reserves every Pending resource of the task at `at`.
    pub async fn maintenance_task_schedule(&self, project: &str, task: &str, at: &str) -> Result<MaintenanceTask> {
        self.post(&task_path(project, task, "/schedule"), &MaintenanceSchedule { at: at.into() }).await
    }

    /// An action on a resource of the task: `Schedule` reserves (or moves) it at `at`,
    /// `Unschedule` drops its schedule, the others are their `POST`s.
    pub async fn maintenance_resource_action(
        &self,
        project: &str,
        task: &str,
        resource: &str,
        action: ResourceAction,
        at: Option<&str>,
    ) -> Result<MaintenanceTask> {
        let base = task_path(project, task, &format!("/resources/{}", seg(resource)));
        match (action, at) {
            (ResourceAction::Schedule, Some(at)) => {
                self.put(&format!("{base}/schedule"), &MaintenanceSchedule { at: at.into() }).await
            }
            (ResourceAction::Schedule, None) => {
                Err(crate::ClientError::local("invalid_argument", "scheduling a resource needs a time"))
            }
            (ResourceAction::Unschedule, _) => self.delete(&format!("{base}/schedule"), &NoQuery {}).await,
            (other, _) => self.post_empty(&format!("{base}/{}", other.as_str().replace('_', "-"))).await,
        }
    }

    /// Every line the runbooks of the resource wrote, oldest first.
    pub async fn maintenance_resource_log(
        &self,
        project: &str,
        task: &str,
        resource: &str,
    ) -> Result<Vec<MaintenanceLogLine>> {
        self.get(&task_path(project, task, &format!("/resources/{}/log", seg(resource)))).await
    }

    pub async fn notification_list(&self, project: &str, q: &PageQuery) -> Result<Page<Notification>> {
        self.get_query(&project_path(project, "/notifications"), q).await
    }

    pub async fn webhook_list(&self, project: &str, q: &PageQuery) -> Result<Page<Webhook>> {
        self.get_query(&project_path(project, "/webhooks"), q).await
    }

    pub async fn webhook_create(&self, project: &str, req: &WebhookCreate) -> Result<Webhook> {
        self.post(&project_path(project, "/webhooks"), req).await
    }

    pub async fn webhook_delete(&self, project: &str, webhook: &str) -> Result<()> {
        self.delete_no_content(&project_path(project, &format!("/webhooks/{}", seg(webhook)))).await
    }

    pub async fn delivery_list(&self, project: &str, webhook: &str, q: &PageQuery) -> Result<Page<Delivery>> {
        self.get_query(&project_path(project, &format!("/webhooks/{}/deliveries", seg(webhook))), q).await
    }
}
