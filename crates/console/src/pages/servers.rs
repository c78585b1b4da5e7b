//! The gureum servers sharing the database and the singleton workers each runs now
//! (system administrators): where the reconciler and the schedulers are.

use crate::AppState;
use crate::error::PageResult;
use crate::page::{Layout, Page};
use crate::session::Session;
use crate::view::{Cell, Table, render};
use axum::extract::State;

pub async fn list(State(st): State<AppState>, s: Session) -> PageResult {
    let servers = st.engine.server_list(&s.ctx).await?;
    let l = Layout::global(&st, &s, "servers").await?;
    let mut t = Table::new("servers", &["Server", "State", "Last seen", "Workers"]);
    for server in &servers {
        let workers = if server.workers.is_empty() { "–".to_string() } else { server.workers.join(", ") };
        t.row(vec![
            Cell::mono(&server.id),
            Cell::state(if server.alive { "alive" } else { "gone" }, None),
            Cell::age(&server.seen_at),
            Cell::text(workers),
        ]);
    }
    Page::new(l, "Servers").block(render(&t)).respond()
}
