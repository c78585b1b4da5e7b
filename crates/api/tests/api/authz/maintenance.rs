//! The matrix rows of maintenance tasks and webhooks: project admins (and system
//! administrators) write them, every project role reads them and the notifications.
//! Each caller gets a fresh task over p1's instance `vm`, with its resource in the status
//! the action needs, or a fresh webhook.

use super::*;

const TASKS: &str = "/v1/projects/p1/maintenance-tasks";
const LATER: &str = "2099-01-01T00:00:00Z";
const WEBHOOKS: &str = "/v1/projects/p1/webhooks";

fn webhook_body(name: &str) -> Value {
    json!({"name": name, "url": "http://127.0.0.1:9/hook", "secret": "authz-secret-0123456789"})
}

pub(super) fn task_body(name: &str) -> Value {
    json!({"name": name, "requirement": "mandatory", "deadline": LATER, "type": "os_update",
           "apply": {"version": "12.8"}, "downtime": true, "resources": ["vm"]})
}

pub(super) fn rows() -> Vec<Row> {
    use Case::*;
    let fresh = |action: &'static str| Make(Fresh::Maintenance { action });
    vec![
        row("GET /v1/projects/{project}/maintenance-tasks", read(), Fixed(TASKS)),
        row(
            "POST /v1/projects/{project}/maintenance-tasks",
            project_admin(201),
            Body(TASKS, |u| task_body(&format!("mt-{u}"))),
        ),
        row("GET /v1/projects/{project}/maintenance-tasks/{task}", read(), fresh("get")),
        row("DELETE /v1/projects/{project}/maintenance-tasks/{task}", project_admin(204), fresh("delete")),
        row("POST /v1/projects/{project}/maintenance-tasks/{task}/schedule", project_admin(200), fresh("schedule")),
        row(
            "PUT /v1/projects/{project}/maintenance-tasks/{task}/resources/{resource}/schedule",
            project_admin(200),
            fresh("resource-schedule"),
        ),
        row(
            "DELETE /v1/projects/{project}/maintenance-tasks/{task}/resources/{resource}/schedule",
            project_admin(200),
            fresh("unschedule"),
        ),
        row(
            "POST /v1/projects/{project}/maintenance-tasks/{task}/resources/{resource}/exclude",
            project_admin(200),
            fresh("exclude"),
        ),
        row(
            "POST /v1/projects/{project}/maintenance-tasks/{task}/resources/{resource}/include",
            project_admin(200),
            fresh("include"),
        ),
        row(
            "POST /v1/projects/{project}/maintenance-tasks/{task}/resources/{resource}/run-now",
            project_admin(200),
            fresh("run-now"),
        ),
        row("GET /v1/projects/{project}/maintenance-tasks/{task}/resources/{resource}/log", read(), fresh("log")),
        // Nothing fails before the runbook exists, so a permitted caller's retry of a
        // Pending resource is refused by its status, after its role was checked.
        row(
            "POST /v1/projects/{project}/maintenance-tasks/{task}/resources/{resource}/retry",
            [409, 409, 403, 403, 404, 401],
            fresh("retry"),
        ),
        row("GET /v1/projects/{project}/notifications", read(), Fixed("/v1/projects/p1/notifications")),
        row("GET /v1/projects/{project}/webhooks", read(), Fixed(WEBHOOKS)),
        row(
            "POST /v1/projects/{project}/webhooks",
            project_admin(201),
            Body(WEBHOOKS, |u| webhook_body(&format!("wh-{u}"))),
        ),
        row("GET /v1/projects/{project}/webhooks/{webhook}", read(), fresh("webhook")),
        row("DELETE /v1/projects/{project}/webhooks/{webhook}", project_admin(204), fresh("webhook")),
        row("GET /v1/projects/{project}/webhooks/{webhook}/deliveries", read(), fresh("deliveries")),
    ]
}

impl World {
    /// A fresh task whose resource `vm` is in the status `action` needs, and the request.
    pub(super) async fn maintenance_fresh(&self, action: &str, u: &str) -> Request {
        let adm = self.adm();
        if let "webhook" | "deliveries" = action {
            let hook = adm.expect(201, Method::POST, WEBHOOKS, Some(webhook_body(&format!("wh-f{u}")))).await;
            let path = format!("{WEBHOOKS}/{}", hook["id"].as_str().expect("webhook id"));
            return if action == "webhook" { (path, None) } else { (format!("{path}/deliveries"), None) };
        }
        let task = format!("{TASKS}/mt-f{u}");
        adm.expect(201, Method::POST, TASKS, Some(task_body(&format!("mt-f{u}")))).await;
        let resource = format!("{task}/resources/vm");
        let at = json!({ "at": LATER });
        match action {
            "unschedule" => {
                adm.expect(200, Method::PUT, &format!("{resource}/schedule"), Some(at.clone())).await;
            }
            "include" => {
                adm.expect(200, Method::POST, &format!("{resource}/exclude"), None).await;
            }
            _ => {}
        }
        match action {
            "get" | "delete" => (task, None),
            "schedule" => (format!("{task}/schedule"), Some(at)),
            "resource-schedule" => (format!("{resource}/schedule"), Some(at)),
            "unschedule" => (format!("{resource}/schedule"), None),
            "log" => (format!("{resource}/log"), None),
            other => (format!("{resource}/{other}"), None),
        }
    }
}
