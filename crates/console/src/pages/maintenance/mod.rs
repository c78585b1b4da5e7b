//! Maintenance (SPEC §2): a project's tasks with their derived statuses coloured as the
//! seed says and their counts; a task's page with each resource's reserved time editable
//! in its row, its actions (exclude, include, run now, retry), and a link to its live
//! log. Pages poll while a slot is reserved or running, so a run is watched as it goes.

pub mod notifications;

use crate::AppState;
use crate::error::PageResult;
use crate::list::ListParams;
use crate::page::{Layout, Page, enc, see_other};
use crate::pages::status;
use crate::session::{Posted, Session};
use crate::ui::maintenance_class;
use crate::view::{Cell, Fields, InlineButton, InlineSchedule, Table, render};
use axum::extract::{Path, Query, State};
use gureum_api_types::{ListQuery, MaintenanceResource, MaintenanceSchedule, MaintenanceTask, ResourceAction};
use gureum_engine::Error;

fn badge(status: &str, reason: Option<&str>) -> Cell {
    Cell { badge: Some(maintenance_class(status)), title: reason.map(str::to_string), ..Cell::text(status) }
}

fn counts(t: &MaintenanceTask) -> String {
    format!("{} completed, {} failed of {}", t.counts.completed, t.counts.failed, t.counts.total)
}

fn downtime(t: &MaintenanceTask) -> String {
    match (t.restarts, t.expected_duration_seconds) {
        (false, _) => "no restart".into(),
        (true, Some(s)) => format!("restarts; about {s} s each (earlier runs)"),
        (true, None) => "restarts; no earlier run to estimate from".into(),
    }
}

pub async fn list(
    State(st): State<AppState>,
    s: Session,
    Path(project): Path<String>,
    Query(q): Query<ListParams>,
) -> PageResult {
    let (l, _) = Layout::project(&st, &s, &project, "maintenance").await?;
    let base = l.base();
    let here = format!("{base}/maintenance");
    // Tasks have no state to filter on: their status is derived.
    let query = ListQuery { state: None, ..q.query() };
    let (tasks, next, filter_error) = match st.engine.maintenance_task_list(&s.ctx, &project, &query).await {
        Ok(p) => (p.items, p.next_cursor, None),
        Err(Error::Invalid(fe)) => (vec![], None, Some(format!("{}: {}", fe.field, fe.rule))),
        Err(e) => return Err(e.into()),
    };
    let mut t = Table::new(
        "maintenance-tasks",
        &["Name", "Type", "Requirement", "Priority", "Downtime", "Status", "Counts", "Created"],
    )
    .live()
    .empty("No maintenance tasks. Create them with the API or `gureum maintenance task create`.");
    for task in &tasks {
        let requirement = match (&task.deadline, &task.recommended_date) {
            (Some(d), _) => format!("{} by {}", task.requirement, crate::ui::short_time(d)),
            (_, Some(r)) => format!("{} from {}", task.requirement, crate::ui::short_time(r)),
            _ => task.requirement.to_string(),
        };
        t.row(vec![
            Cell::link(&task.name, format!("{base}/maintenance/{}", enc(&task.name))),
            Cell::text(task.maintenance_type.as_str()),
            Cell::text(requirement),
            Cell::text(task.priority.as_str()),
            Cell::text(downtime(task)),
            badge(task.status.as_str(), task.stopped_reason.as_deref()),
            Cell::text(counts(task)),
            Cell::age(&task.created_at),
        ]);
    }
    let page = Page::new(l, "Maintenance").block(crate::view::Para::link(
        "Notifications before and after each run:",
        "notifications",
        format!("{here}/notifications"),
    ));
    q.finish(page, &here, &[], filter_error, &t, next.as_deref())
}

async fn detail_page(st: &AppState, s: &Session, project: &str, key: &str, problem: Option<Error>) -> PageResult {
    let (l, scope) = Layout::project(st, s, project, "maintenance").await?;
    let base = l.base();
    let t = st.engine.maintenance_task_get(&s.ctx, project, key).await?;
    let here = format!("{base}/maintenance/{}", enc(&t.name));
    let admin = scope.role == gureum_model::authz::Role::Admin;
    let mut f = Fields::new("maintenance-task-fields").live();
    f.add("Status", badge(t.status.as_str(), None));
    f.add("Counts", Cell::text(counts(&t)));
    if let Some(r) = &t.stopped_reason {
        f.add("Stopped", Cell::text(r));
    }
    f.add("Type", Cell::text(t.maintenance_type.as_str()));
    f.add("Applies", Cell::mono(t.apply.to_string()));
    f.add("Downtime", Cell::text(downtime(&t)));
    f.add("Requirement", Cell::text(t.requirement.as_str()));
    f.add("Deadline", Cell::time(t.deadline.as_deref()));
    f.add("Recommended from", Cell::time(t.recommended_date.as_deref()));
    f.add("Priority", Cell::text(t.priority.as_str()));
    f.add("Rate control", Cell::text(format!("{} at once, {} errors", t.max_concurrency, t.max_errors)));
    f.add("Retries", Cell::text(format!("{} (backoff {} s, doubling)", t.retries, t.retry_backoff_seconds)));
    let mut columns = vec!["Resource", "Reserved (UTC)", "Status", "Attempts", "Last error", "Log"];
    if admin {
        columns.push("Actions");
    }
    let mut table = Table::new("maintenance-resources", &columns).live();
    for r in &t.resources {
        table.row(resource_row(s, &here, r, admin));
    }
    let mut page = Page::new(l, format!("Maintenance task {}", t.name))
        .crumb("Maintenance", format!("{base}/maintenance"))
        .at(&here);
    page = page.block(render(&f)).block(render(&table));
    if let Some(e) = problem {
        page = page.error(status(&e), crate::error::message_of(&e));
    }
    page.respond()
}

fn resource_row(s: &Session, here: &str, r: &MaintenanceResource, admin: bool) -> Vec<Cell> {
    let at = format!("{here}/resources/{}", enc(&r.name));
    let scheduled = r.scheduled_at.as_deref().map_or_else(String::new, |t| t.get(..19).unwrap_or(t).to_string());
    let editable = r.status.check(ResourceAction::Schedule).is_ok();
    let mut row = vec![
        Cell::text(&r.name),
        if admin && editable {
            Cell::html(render(&InlineSchedule {
                action: format!("{at}/schedule"),
                csrf: s.csrf.clone(),
                resource: r.name.clone(),
                value: scheduled,
            }))
        } else {
            Cell::text(if scheduled.is_empty() { "-".to_string() } else { scheduled.replace('T', " ") })
        },
        badge(r.status.as_str(), r.last_error.as_deref()),
        Cell::num(r.attempts, r.attempts.to_string()),
        Cell::opt(r.last_error.clone()),
        Cell::link("log", format!("{at}/log")),
    ];
    if admin {
        let buttons: String = r
            .status
            .allowed()
            .into_iter()
            .filter(|a| !matches!(a, ResourceAction::Schedule))
            .map(|a| {
                let label = a.as_str().replace('_', " ");
                render(&InlineButton {
                    action: format!("{at}/action"),
                    csrf: s.csrf.clone(),
                    label: label.clone(),
                    hidden: vec![("action".into(), a.as_str().into())],
                    danger: a == ResourceAction::Exclude,
                    aria_label: format!("{label} {}", r.name),
                    confirm: None,
                })
                .to_string()
            })
            .collect();
        row.push(Cell::html(crate::view::Html::from(buttons)));
    }
    row
}

pub async fn detail(
    State(st): State<AppState>,
    s: Session,
    Path((project, task)): Path<(String, String)>,
) -> PageResult {
    detail_page(&st, &s, &project, &task, None).await
}

/// The inline schedule form: a `datetime-local` value, taken as UTC.
pub async fn schedule(
    State(st): State<AppState>,
    Path((project, task, resource)): Path<(String, String, String)>,
    p: Posted,
) -> PageResult {
    let at = p.form.get("at").to_string();
    // The browser sends `YYYY-MM-DDTHH:MM[:SS]` without a zone; the page says UTC.
    let at = match at.len() {
        16 => format!("{at}:00Z"),
        19 => format!("{at}Z"),
        _ => at,
    };
    let result = st
        .engine
        .maintenance_resource_schedule(&p.session.ctx, &project, &task, &resource, MaintenanceSchedule { at })
        .await;
    finish(&st, &p, &project, &task, result).await
}

pub async fn action(
    State(st): State<AppState>,
    Path((project, task, resource)): Path<(String, String, String)>,
    p: Posted,
) -> PageResult {
    let result = match ResourceAction::parse(p.form.get("action")) {
        Some(ResourceAction::Schedule) | None => Err(Error::invalid("action", "is not a resource action here")),
        Some(a) => st.engine.maintenance_resource_action(&p.session.ctx, &project, &task, &resource, a).await,
    };
    finish(&st, &p, &project, &task, result).await
}

async fn finish(
    st: &AppState,
    p: &Posted,
    project: &str,
    task: &str,
    result: gureum_engine::Result<MaintenanceTask>,
) -> PageResult {
    match result {
        Ok(t) => see_other(format!("/projects/{}/maintenance/{}", enc(project), enc(&t.name))),
        Err(Error::Unauthenticated(m)) => Err(Error::Unauthenticated(m).into()),
        Err(e) => detail_page(st, &p.session, project, task, Some(e)).await,
    }
}

/// A resource's runbook log, live while it runs.
pub async fn log(
    State(st): State<AppState>,
    s: Session,
    Path((project, task, resource)): Path<(String, String, String)>,
) -> PageResult {
    let (l, _) = Layout::project(&st, &s, &project, "maintenance").await?;
    let base = l.base();
    let t = st.engine.maintenance_task_get(&s.ctx, &project, &task).await?;
    let lines = st.engine.maintenance_resource_log(&s.ctx, &project, &task, &resource).await?;
    let r = t.resources.iter().find(|r| r.name == resource || r.id.to_string() == resource);
    let task_page = format!("{base}/maintenance/{}", enc(&t.name));
    let mut f = Fields::new("maintenance-resource-fields").live();
    if let Some(r) = r {
        f.add("Status", badge(r.status.as_str(), r.last_error.as_deref()));
        f.add("Reserved", Cell::time(r.scheduled_at.as_deref()));
        f.add("Started", Cell::time(r.started_at.as_deref()));
        f.add("Finished", Cell::time(r.finished_at.as_deref()));
    }
    let mut table = Table::new("maintenance-log", &["At", "Line"]).live().empty("Nothing has run yet.");
    for line in &lines {
        table.row(vec![Cell::time(Some(&line.at)), Cell::text(&line.line)]);
    }
    Page::new(l, format!("Maintenance of {resource}"))
        .crumb("Maintenance", format!("{base}/maintenance"))
        .crumb(&t.name, task_page)
        .block(render(&f))
        .block(render(&table))
        .respond()
}
