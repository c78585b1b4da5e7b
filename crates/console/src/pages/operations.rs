//! Operations: what ran, its steps, status and error; running ones update live.

use crate::AppState;
use crate::error::PageResult;
use crate::list::ListParams;
use crate::page::{Layout, Page};
use crate::session::Session;
use crate::view::{Cell, Fields, Table, render};
use axum::extract::{Path, Query, State};
use gureum_api_types::{Operation, OperationStatus};

/// The console page of an operation's target, when it has one.
fn target_href(base: &str, o: &Operation) -> Option<String> {
    let collection = match o.target.target_type.as_str() {
        "instance" => "instances",
        "volume" => "volumes",
        "vpc" => "vpcs",
        "subnet" => "subnets",
        "security group" => "security-groups",
        "key pair" => "key-pairs",
        "public IP" => "public-ips",
        "image" => "images",
        "provisioning" => "provisionings",
        _ => return None,
    };
    Some(format!("{base}/{collection}/{}", o.target.id))
}

fn target_cell(base: &str, o: &Operation) -> Cell {
    let text = format!("{} {}", o.target.target_type, o.target.name);
    match target_href(base, o) {
        Some(h) => Cell::link(text, h),
        None => Cell::text(text),
    }
}

pub async fn list(
    State(st): State<AppState>,
    s: Session,
    Path(project): Path<String>,
    Query(q): Query<ListParams>,
) -> PageResult {
    let (l, _) = Layout::project(&st, &s, &project, "operations").await?;
    let pbase = l.base();
    let base = format!("{pbase}/operations");
    let page = st.engine.operation_list(&s.ctx, &project, Some(q.limit()), q.query().cursor.as_deref()).await?;
    let mut t = Table::new("operations", &["Operation", "Target", "Status", "Progress", "By", "Started", "Finished"])
        .live()
        .empty("No operations yet.");
    for o in &page.items {
        t.row(vec![
            Cell::link(&o.kind, format!("{base}/{}", o.id)),
            target_cell(&pbase, o),
            Cell::state(o.status.as_str(), o.error.as_deref()),
            Cell::num(o.progress.done as i64, format!("{}/{}", o.progress.done, o.progress.total)),
            Cell::opt(o.created_by.clone()),
            Cell::age(&o.created_at),
            Cell::time(o.finished_at.as_deref()),
        ]);
    }
    q.sort(&base, &mut t, &["operation", "target", "status", "by", "started"]);
    Page::new(l, "Operations")
        .block(render(&t))
        .block(q.pager(&base, page.items.len(), page.next_cursor.as_deref()))
        .respond()
}

pub async fn detail(State(st): State<AppState>, s: Session, Path((project, id)): Path<(String, String)>) -> PageResult {
    let (l, _) = Layout::project(&st, &s, &project, "operations").await?;
    let o = st.engine.operation_get(&s.ctx, &project, &id, None).await?;
    let base = l.base();
    let mut f = Fields::new("operation-fields").live();
    f.add("Status", Cell::state(o.status.as_str(), None));
    f.add("Kind", Cell::text(&o.kind));
    f.add("Target", target_cell(&base, &o));
    f.add("Progress", Cell::text(format!("{} of {} steps", o.progress.done, o.progress.total)));
    f.add("Error", Cell::opt(o.error.clone()));
    f.add("Started by", Cell::opt(o.created_by.clone()));
    f.add("Started", Cell::time(Some(&o.created_at)));
    f.add("Finished", Cell::time(o.finished_at.as_deref()));
    f.add("ID", Cell::mono(o.id.to_string()));
    let mut t = Table::new("steps", &["Step", "Status", "Started", "Finished", "Error"]).live().caption("Steps");
    for step in &o.steps {
        t.row(vec![
            Cell::text(&step.name),
            Cell::state(step.status.as_str(), step.error.as_deref()),
            Cell::time(step.started_at.as_deref()),
            Cell::time(step.finished_at.as_deref()),
            Cell::opt(step.error.clone()),
        ]);
    }
    let mut page = Page::new(l, format!("Operation {}", o.kind)).crumb("Operations", format!("{base}/operations"));
    if o.status == OperationStatus::Failed
        && let Some(e) = &o.error
    {
        page = page.error(axum::http::StatusCode::OK, format!("The operation failed: {e}"));
    }
    page.block(render(&f)).block(render(&t)).respond()
}
