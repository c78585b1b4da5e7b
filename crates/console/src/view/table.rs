//! Cells, columns and tables.

use super::*;
use crate::ui;
use askama::Template;

/// One table cell or one field value.
#[derive(Debug, Clone, Default)]
pub struct Cell {
    pub text: String,
    pub href: Option<String>,
    /// A state badge's colour class.
    pub badge: Option<&'static str>,
    /// Shown on hover (full timestamps, reasons).
    pub title: Option<String>,
    pub mono: bool,
    /// What sorting compares (defaults to the text).
    pub key: String,
    /// Pre-rendered HTML instead of the text (a small inline form).
    pub html: Option<Html>,
}

impl Cell {
    pub fn text(s: impl Into<String>) -> Cell {
        let text = s.into();
        Cell { key: text.clone(), text, ..Default::default() }
    }

    pub fn opt(s: Option<impl Into<String>>) -> Cell {
        match s {
            Some(s) => Cell::text(s),
            None => Cell::text("–"),
        }
    }

    pub fn link(s: impl Into<String>, href: impl Into<String>) -> Cell {
        Cell { href: Some(href.into()), ..Cell::text(s) }
    }

    pub fn mono(s: impl Into<String>) -> Cell {
        Cell { mono: true, ..Cell::text(s) }
    }

    /// A coloured state badge; `reason` shows on hover.
    pub fn state(state: &str, reason: Option<&str>) -> Cell {
        Cell { badge: Some(ui::state_class(state)), title: reason.map(str::to_string), ..Cell::text(state) }
    }

    /// An age ("5m") with the full time on hover; sorts by the time.
    pub fn age(rfc3339: &str) -> Cell {
        Cell {
            text: ui::age(rfc3339),
            title: Some(ui::short_time(rfc3339)),
            key: rfc3339.to_string(),
            ..Default::default()
        }
    }

    pub fn time(rfc3339: Option<&str>) -> Cell {
        match rfc3339 {
            Some(t) => Cell { title: Some(t.to_string()), key: t.to_string(), ..Cell::text(ui::short_time(t)) },
            None => Cell::text("–"),
        }
    }

    /// A number that sorts as a number.
    pub fn num(n: i64, text: impl Into<String>) -> Cell {
        let key = format!("{:020}", (n as i128 + i64::MAX as i128 / 2).max(0));
        Cell { key, ..Cell::text(text) }
    }

    pub fn html(html: Html) -> Cell {
        Cell { html: Some(html), ..Default::default() }
    }

    pub fn with_title(mut self, t: impl Into<String>) -> Cell {
        self.title = Some(t.into());
        self
    }
}

#[derive(Debug, Clone)]
pub struct Column {
    pub label: String,
    /// Link that sorts by this column (list pages).
    pub sort_href: Option<String>,
    /// `ascending` / `descending` when the table is sorted by it.
    pub sorted: Option<&'static str>,
    pub ascending: bool,
}

impl Column {
    pub fn new(label: &str) -> Column {
        Column { label: label.into(), sort_href: None, sorted: None, ascending: false }
    }
}

#[derive(Template)]
#[template(path = "frag/table.html")]
pub struct Table {
    pub id: String,
    pub caption: Option<String>,
    /// Refreshed in place while something in it is transitional.
    pub live: bool,
    pub columns: Vec<Column>,
    pub rows: Vec<Vec<Cell>>,
    pub empty: String,
}

impl Table {
    pub fn new(id: &str, columns: &[&str]) -> Table {
        Table {
            id: id.into(),
            caption: None,
            live: false,
            columns: columns.iter().map(|c| Column::new(c)).collect(),
            rows: vec![],
            empty: "Nothing here yet.".into(),
        }
    }

    pub fn caption(mut self, c: &str) -> Table {
        self.caption = Some(c.into());
        self
    }

    pub fn live(mut self) -> Table {
        self.live = true;
        self
    }

    pub fn empty(mut self, e: &str) -> Table {
        self.empty = e.into();
        self
    }

    pub fn row(&mut self, cells: Vec<Cell>) {
        self.rows.push(cells);
    }
}
