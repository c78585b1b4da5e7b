//! The project's maintenance notifications, newest first: what was announced before a
//! run (`upcoming`) and what happened (`started`, `completed`, `failed`), live.

use crate::AppState;
use crate::error::PageResult;
use crate::list::ListParams;
use crate::page::{Layout, Page, enc};
use crate::session::Session;
use crate::view::{Cell, Table};
use axum::extract::{Path, Query, State};
use gureum_api_types::{NoticeKind, PageQuery};

fn badge(kind: NoticeKind) -> Cell {
    let class = match kind {
        NoticeKind::Failed => "st-red",
        NoticeKind::Completed => "st-green",
        NoticeKind::Started => "st-green st-waiting",
        _ => "st-grey",
    };
    Cell { badge: Some(class), ..Cell::text(kind.as_str()) }
}

pub async fn list(
    State(st): State<AppState>,
    s: Session,
    Path(project): Path<String>,
    Query(q): Query<ListParams>,
) -> PageResult {
    let (l, _) = Layout::project(&st, &s, &project, "maintenance").await?;
    let base = l.base();
    let here = format!("{base}/maintenance/notifications");
    let page = st.engine.maintenance_notification_list(&s.ctx, &project, &PageQuery::from(q.query())).await?;
    let mut t = Table::new("maintenance-notifications", &["When", "Kind", "Task", "Resource", "Message"])
        .live()
        .empty("No notifications yet.");
    for n in &page.items {
        let task = format!("{base}/maintenance/{}", enc(&n.task.name));
        t.row(vec![
            Cell::time(Some(&n.created_at)),
            badge(n.kind),
            Cell::link(&n.task.name, task),
            Cell::opt(n.resource.as_ref().map(|r| r.name.clone())),
            Cell::text(&n.message),
        ]);
    }
    q.finish(
        Page::new(l, "Maintenance notifications").crumb("Maintenance", format!("{base}/maintenance")),
        &here,
        &[],
        None,
        &t,
        page.next_cursor.as_deref(),
    )
}
