//! The history of the project's provisionings: filter by provisioning and type, read an
//! event's log in the page or download it (logs expire; the events stay).

use crate::AppState;
use crate::error::{PageResult, message_of};
use crate::forms::FormState;
use crate::page::{Layout, Page};
use crate::session::Session;
use crate::view::{Cell, Field, Form, Pager, Para, Pre, Table, render};
use axum::extract::{Path, Query, State};
use axum::http::header;
use axum::response::IntoResponse;
use gureum_api_types::{HistoryEvent, HistoryQuery, HistoryType};
use gureum_engine::Error;
use serde::Deserialize;

#[derive(Debug, Default, Deserialize)]
pub struct HistoryParams {
    pub provisioning: Option<String>,
    #[serde(rename = "type")]
    pub event_type: Option<String>,
    pub cursor: Option<String>,
    /// The event whose log is shown under the list.
    pub event: Option<String>,
}

fn nonblank(s: &Option<String>) -> Option<&str> {
    s.as_deref().map(str::trim).filter(|s| !s.is_empty())
}

impl HistoryParams {
    /// The history of one provisioning.
    pub fn of(provisioning: &str) -> HistoryParams {
        HistoryParams { provisioning: Some(provisioning.into()), ..Default::default() }
    }

    /// This list's address with the same filters.
    pub fn href(&self, base: &str, cursor: Option<&str>, event: Option<&str>) -> String {
        let mut q = form_urlencoded::Serializer::new(String::new());
        let pairs = [
            ("provisioning", nonblank(&self.provisioning)),
            ("type", nonblank(&self.event_type)),
            ("cursor", cursor),
            ("event", event),
        ];
        for (k, v) in pairs {
            if let Some(v) = v {
                q.append_pair(k, v);
            }
        }
        let q = q.finish();
        if q.is_empty() { base.to_string() } else { format!("{base}?{q}") }
    }

    fn query(&self) -> Result<HistoryQuery, Error> {
        let event_type = match nonblank(&self.event_type) {
            None => None,
            Some(t) => Some(
                HistoryType::parse(t)
                    .ok_or_else(|| Error::invalid("type", format!("must be one of {}", HistoryType::spellings())))?,
            ),
        };
        Ok(HistoryQuery {
            provisioning: nonblank(&self.provisioning).map(str::to_string),
            event_type,
            limit: Some(crate::list::DEFAULT_LIMIT),
            cursor: nonblank(&self.cursor).map(str::to_string),
        })
    }

    fn filter(&self, base: &str, error: Option<String>) -> String {
        let mut types = vec![(String::new(), "Any type".to_string())];
        types.extend(HistoryType::ALL.iter().map(|t| (t.as_str().to_string(), t.as_str().to_string())));
        let mut form = Form::get("history-filter", base, "Filter")
            .inline()
            .field(Field::text("provisioning", "Provisioning").value(nonblank(&self.provisioning).unwrap_or_default()))
            .field(Field::select("type", "Type", types).value(nonblank(&self.event_type).unwrap_or_default()))
            .with_state(&FormState::default());
        form.error = error;
        render(&form)
    }
}

fn log_cells(base: &str, q: &HistoryParams, e: &HistoryEvent) -> [Cell; 2] {
    if !e.log_available {
        let expired = Cell::text("expired").with_title(format!("the log expired at {}", e.log_expires_at));
        return [expired.clone(), expired];
    }
    let id = e.id.to_string();
    [
        Cell::link("View", q.href(base, nonblank(&q.cursor), Some(&id))),
        Cell::link("Download", format!("{base}/{id}/log")),
    ]
}

pub async fn list(
    State(st): State<AppState>,
    s: Session,
    Path(project): Path<String>,
    Query(q): Query<HistoryParams>,
) -> PageResult {
    let (l, _) = Layout::project(&st, &s, &project, "provisioning-history").await?;
    let base = format!("{}/provisioning-history", l.base());
    let found = match q.query() {
        Ok(hq) => st.engine.provisioning_history(&s.ctx, &project, &hq).await,
        Err(e) => Err(e),
    };
    let (items, next, error) = match found {
        Ok(p) => (p.items, p.next_cursor, None),
        Err(e @ Error::Invalid(_)) => (vec![], None, Some(message_of(&e))),
        Err(e) => return Err(e.into()),
    };
    let mut t = Table::new("history", &["Time", "Type", "Provisioning", "Template", "User", "Log", "Download"])
        .empty("No events match.");
    for e in &items {
        let [view, download] = log_cells(&base, &q, e);
        t.row(vec![
            Cell::time(Some(&e.at)),
            Cell::mono(e.event_type.as_str()),
            Cell::link(&e.provisioning, HistoryParams::of(&e.provisioning).href(&base, None, None)),
            Cell::text(&e.template),
            Cell::text(&e.user),
            view,
            download,
        ]);
    }
    let pager = Pager {
        first: nonblank(&q.cursor).map(|_| q.href(&base, None, None)),
        next: next.as_deref().map(|c| q.href(&base, Some(c), None)),
        shown: t.rows.len(),
    };
    let mut page =
        Page::new(l, "Provisioning history").block(q.filter(&base, error)).block(render(&t)).block(render(&pager));
    if let Some(event) = nonblank(&q.event) {
        page = match st.engine.provisioning_history_log(&s.ctx, &project, event).await {
            Ok((e, text)) => page
                .block(render(&Pre {
                    title: format!("Log: {} of {} at {}", e.event_type, e.provisioning, crate::ui::short_time(&e.at)),
                    text,
                }))
                .block(Para::link("", "Download this log", format!("{base}/{}/log", e.id))),
            Err(e @ (Error::Gone(_) | Error::NotFound { .. })) => page.error(crate::pages::status(&e), message_of(&e)),
            Err(e) => return Err(e.into()),
        };
    }
    page.respond()
}

/// An event's log as a file.
pub async fn log(State(st): State<AppState>, s: Session, Path((project, event)): Path<(String, String)>) -> PageResult {
    let (e, text) = st.engine.provisioning_history_log(&s.ctx, &project, &event).await?;
    let id = e.id.to_string();
    let name = format!("{}-{}-{}.log", e.provisioning, e.event_type, &id[..8]);
    Ok((
        [
            (header::CONTENT_TYPE, "text/plain; charset=utf-8".to_string()),
            (header::CONTENT_DISPOSITION, format!("attachment; filename=\"{name}\"")),
            (header::CACHE_CONTROL, "no-store".to_string()),
        ],
        text,
    )
        .into_response())
}
