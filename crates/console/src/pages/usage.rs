//! Usage and cost of a project over a chosen range: a chart per day (per hour for short
//! ranges), the lines per instance and type, and the CSV export.

use crate::AppState;
use crate::error::PageResult;
use crate::page::{Layout, Page, enc};
use crate::session::Session;
use crate::ui::{duration, money};
use crate::view::{Cell, Chart, Para, Table, render};
use axum::extract::{Path, Query, State};
use axum::http::header;
use axum::response::IntoResponse;
use gureum_engine::Error;
use serde::Deserialize;
use time::macros::format_description;
use time::{Date, Duration, OffsetDateTime, Time};

const MAX_DAYS: i64 = 92;

#[derive(Debug, Default, Deserialize)]
pub struct UsageParams {
    pub from: Option<String>,
    pub to: Option<String>,
}

/// The chosen range: first and last day (inclusive), as UTC days.
struct Range {
    from: Date,
    to: Date,
}

fn parse_day(field: &str, s: &str) -> Result<Date, Error> {
    Date::parse(s, format_description!("[year]-[month]-[day]"))
        .map_err(|_| Error::invalid(field, format!("must be a date such as 2026-01-31, got {s:?}")))
}

fn day_text(d: Date) -> String {
    d.format(format_description!("[year]-[month]-[day]")).unwrap_or_default()
}

fn rfc3339(t: OffsetDateTime) -> String {
    t.format(&time::format_description::well_known::Rfc3339).unwrap_or_default()
}

fn start_of(d: Date) -> OffsetDateTime {
    d.with_time(Time::MIDNIGHT).assume_utc()
}

impl Range {
    fn parse(p: &UsageParams) -> Result<Range, Error> {
        let today = OffsetDateTime::now_utc().date();
        let to = match p.to.as_deref().filter(|s| !s.is_empty()) {
            Some(s) => parse_day("to", s)?,
            None => today,
        };
        let from = match p.from.as_deref().filter(|s| !s.is_empty()) {
            Some(s) => parse_day("from", s)?,
            None => to - Duration::days(6),
        };
        if from > to {
            return Err(Error::invalid("from", "must not be after to"));
        }
        if (to - from).whole_days() >= MAX_DAYS {
            return Err(Error::invalid("from", format!("the range may span at most {MAX_DAYS} days")));
        }
        Ok(Range { from, to })
    }

    fn start(&self) -> OffsetDateTime {
        start_of(self.from)
    }

    fn end(&self) -> OffsetDateTime {
        start_of(self.to) + Duration::days(1)
    }

    fn hourly(&self) -> bool {
        (self.to - self.from).whole_days() < 2
    }

    /// Buckets of the chart: hours for a range of up to two days, else days.
    fn buckets(&self) -> Vec<(OffsetDateTime, OffsetDateTime, String)> {
        let hourly = self.hourly();
        let step = if hourly { Duration::hours(1) } else { Duration::days(1) };
        let mut out = vec![];
        let mut t = self.start();
        while t < self.end() {
            let label = if hourly {
                t.format(format_description!("[hour]h")).unwrap_or_default()
            } else {
                t.format(format_description!("[month]-[day]")).unwrap_or_default()
            };
            out.push((t, t + step, label));
            t += step;
        }
        out
    }
}

pub async fn page(
    State(st): State<AppState>,
    s: Session,
    Path(project): Path<String>,
    Query(p): Query<UsageParams>,
) -> PageResult {
    let (l, _) = Layout::project(&st, &s, &project, "usage").await?;
    let base = format!("{}/usage", l.base());
    let range = Range::parse(&p);
    let (from_text, to_text) = match &range {
        Ok(r) => (day_text(r.from), day_text(r.to)),
        Err(_) => (p.from.clone().unwrap_or_default(), p.to.clone().unwrap_or_default()),
    };
    let range_error = range.as_ref().err().map(crate::error::message_of);
    let form = crate::view::render(&RangeForm {
        action: base.clone(),
        from: from_text.clone(),
        to: to_text.clone(),
        error: range_error,
    });
    let mut page = Page::new(l, "Usage and cost").block(form);
    let Ok(range) = range else {
        page.status = 400;
        return page.respond();
    };
    let now = OffsetDateTime::now_utc();
    let mut values = vec![];
    for (a, b, label) in range.buckets() {
        let (cost, seconds) = if a > now {
            (0.0, 0)
        } else {
            let u = st.engine.usage(&s.ctx, &project, Some(&rfc3339(a)), Some(&rfc3339(b))).await?;
            (u.total_cost, u.total_seconds)
        };
        let tip = format!("{label}: {} over {}", money(cost), duration(seconds));
        values.push((label, cost, tip));
    }
    let total = st.engine.usage(&s.ctx, &project, Some(&rfc3339(range.start())), Some(&rfc3339(range.end()))).await?;
    let highest = values.iter().map(|v| v.1).fold(0.0, f64::max);
    let decimals = crate::ui::axis_decimals(highest / 4.0);
    let mut chart = Chart::bars("usage-chart", "Cost", &values, |v| format!("${v:.decimals$}"));
    chart.title = format!("Cost of project {project}, {} to {} (UTC)", day_text(range.from), day_text(range.to));
    let unit = if range.hourly() { "hour" } else { "day" };
    chart.desc = format!("Bar chart of the cost per {unit}; total {}.", money(total.total_cost));
    chart.caption = format!(
        "Total {} for {} of billed instance time. Only billed states count (Active, Stopped, rebooting, shelving, powering on/off).",
        money(total.total_cost),
        duration(total.total_seconds)
    );
    let mut t = Table::new("usage-lines", &["Instance", "Instance type", "Billed time", "Price per hour", "Cost"])
        .caption("By instance and type")
        .empty("Nothing was billed in this range.");
    for line in &total.lines {
        t.row(vec![
            Cell::text(&line.instance),
            Cell::text(&line.instance_type),
            Cell::num(line.seconds, duration(line.seconds)),
            Cell::text(format!("${:.4}", line.price_per_hour)),
            Cell::num((line.cost * 1e6) as i64, money(line.cost)),
        ]);
    }
    let csv = format!("{base}.csv?from={}&to={}", enc(&day_text(range.from)), enc(&day_text(range.to)));
    page = page.block(render(&chart)).block(Para::link("", "Download CSV", csv)).block(render(&t));
    page.respond()
}

#[derive(askama::Template)]
#[template(path = "frag/range.html")]
struct RangeForm {
    action: String,
    from: String,
    to: String,
    error: Option<String>,
}

pub async fn csv(
    State(st): State<AppState>,
    s: Session,
    Path(project): Path<String>,
    Query(p): Query<UsageParams>,
) -> PageResult {
    let range = Range::parse(&p)?;
    let u = st.engine.usage(&s.ctx, &project, Some(&rfc3339(range.start())), Some(&rfc3339(range.end()))).await?;
    let name = format!("usage-{}-{}-{}.csv", u.project, day_text(range.from), day_text(range.to));
    Ok((
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_string()),
            (header::CONTENT_DISPOSITION, format!("attachment; filename=\"{name}\"")),
            (header::CACHE_CONTROL, "no-store".to_string()),
        ],
        gureum_engine::compute::usage::usage_csv(&u),
    )
        .into_response())
}
