//! The building blocks pages are made of. Each block is a small askama template rendered
//! to escaped HTML on its own; a page is a layout plus a list of rendered blocks. Every
//! list, detail, form and confirmation in the console goes through these, so labels,
//! error placement, disabled-action reasons and state colours are the same everywhere.

use crate::ui;
use askama::Template;

/// Rendered, escaped HTML of one block.
pub type Html = String;

pub fn render(t: &impl Template) -> Html {
    t.render().unwrap_or_else(|e| {
        tracing::error!(error = %e, "rendering a console block failed");
        String::from("<p class=\"error\">This part of the page could not be rendered.</p>")
    })
}

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

/// Label/value pairs of a detail page.
#[derive(Template)]
#[template(path = "frag/fields.html")]
pub struct Fields {
    pub id: String,
    pub title: Option<String>,
    pub live: bool,
    pub items: Vec<(String, Cell)>,
}

impl Fields {
    pub fn new(id: &str) -> Fields {
        Fields { id: id.into(), title: None, live: false, items: vec![] }
    }

    pub fn live(mut self) -> Fields {
        self.live = true;
        self
    }

    pub fn add(&mut self, label: &str, value: Cell) {
        self.items.push((label.into(), value));
    }
}

/// One input of a form.
#[derive(Debug, Clone, Default)]
pub struct Field {
    pub name: String,
    pub label: String,
    /// `text`, `number`, `password`, `select`, `checkboxes`, `checkbox`, `textarea`,
    /// `date`, `datetime-local`.
    pub kind: &'static str,
    pub value: String,
    /// Selected values of `checkboxes` (and the checked state of a `checkbox`).
    pub checked: Vec<String>,
    pub options: Vec<(String, String)>,
    pub help: Option<String>,
    pub error: Option<String>,
    pub required: bool,
    pub placeholder: Option<String>,
    /// The id of the element (form id + name).
    pub id: String,
}

impl Field {
    pub fn new(kind: &'static str, name: &str, label: &str) -> Field {
        Field { name: name.into(), label: label.into(), kind, ..Default::default() }
    }

    pub fn text(name: &str, label: &str) -> Field {
        Field::new("text", name, label)
    }

    pub fn number(name: &str, label: &str) -> Field {
        Field::new("number", name, label)
    }

    pub fn select(name: &str, label: &str, options: Vec<(String, String)>) -> Field {
        Field { options, ..Field::new("select", name, label) }
    }

    pub fn checkboxes(name: &str, label: &str, options: Vec<(String, String)>) -> Field {
        Field { options, ..Field::new("checkboxes", name, label) }
    }

    pub fn required(mut self) -> Field {
        self.required = true;
        self
    }

    pub fn help(mut self, h: impl Into<String>) -> Field {
        self.help = Some(h.into());
        self
    }

    pub fn value(mut self, v: impl Into<String>) -> Field {
        self.value = v.into();
        self
    }

    pub fn placeholder(mut self, p: &str) -> Field {
        self.placeholder = Some(p.into());
        self
    }
}

/// Options of a select from plain values (value = label).
pub fn options<S: AsRef<str>>(values: impl IntoIterator<Item = S>) -> Vec<(String, String)> {
    values.into_iter().map(|v| (v.as_ref().to_string(), v.as_ref().to_string())).collect()
}

#[derive(Template)]
#[template(path = "frag/form.html")]
pub struct Form {
    pub id: String,
    pub title: Option<String>,
    pub action: String,
    pub csrf: String,
    pub submit: String,
    pub fields: Vec<Field>,
    /// An error that belongs to no single field.
    pub error: Option<String>,
    pub intro: Option<String>,
    pub cancel_href: Option<String>,
    /// Lay the fields out on one line (small forms inside detail pages).
    pub inline: bool,
}

impl Form {
    pub fn new(id: &str, action: impl Into<String>, csrf: &str, submit: &str) -> Form {
        Form {
            id: id.into(),
            title: None,
            action: action.into(),
            csrf: csrf.into(),
            submit: submit.into(),
            fields: vec![],
            error: None,
            intro: None,
            cancel_href: None,
            inline: false,
        }
    }

    pub fn title(mut self, t: &str) -> Form {
        self.title = Some(t.into());
        self
    }

    pub fn field(mut self, f: Field) -> Form {
        self.fields.push(f);
        self
    }

    pub fn intro(mut self, t: impl Into<String>) -> Form {
        self.intro = Some(t.into());
        self
    }

    pub fn cancel(mut self, href: impl Into<String>) -> Form {
        self.cancel_href = Some(href.into());
        self
    }

    pub fn inline(mut self) -> Form {
        self.inline = true;
        self
    }

    /// Fills values back in and puts each error next to its field (or on the form).
    pub fn with_state(mut self, state: &crate::forms::FormState) -> Form {
        for f in &mut self.fields {
            f.id = format!("{}-{}", self.id, f.name);
            if let Some(v) = state.values.get(&f.name) {
                if f.kind == "checkboxes" || f.kind == "checkbox" {
                    f.checked = v.clone();
                } else if let Some(first) = v.first() {
                    f.value = first.clone();
                }
            }
            f.error = state.errors.get(&f.name).cloned();
        }
        self.error = state.general.clone();
        self
    }
}

/// One action button of a detail page, in its own small form. A disabled action says
/// why on hover.
#[derive(Debug, Clone)]
pub struct Action {
    pub label: String,
    /// The value posted as `action`.
    pub action: String,
    pub enabled: bool,
    pub reason: Option<String>,
    /// Inputs the action needs (a new size, an instance type…).
    pub fields: Vec<Field>,
    pub danger: bool,
}

impl Action {
    pub fn new(label: &str, action: &str, allowed: Result<(), String>) -> Action {
        let (enabled, reason) = match allowed {
            Ok(()) => (true, None),
            Err(r) => (false, Some(r)),
        };
        Action { label: label.into(), action: action.into(), enabled, reason, fields: vec![], danger: false }
    }

    pub fn field(mut self, f: Field) -> Action {
        self.fields.push(f);
        self
    }

    pub fn danger(mut self) -> Action {
        self.danger = true;
        self
    }
}

#[derive(Template)]
#[template(path = "frag/actions.html")]
pub struct Actions {
    pub id: String,
    pub title: String,
    pub post_to: String,
    pub csrf: String,
    pub actions: Vec<Action>,
    pub live: bool,
    pub error: Option<String>,
}

impl Actions {
    pub fn new(id: &str, post_to: impl Into<String>, csrf: &str) -> Actions {
        Actions {
            id: id.into(),
            title: "Actions".into(),
            post_to: post_to.into(),
            csrf: csrf.into(),
            actions: vec![],
            live: true,
            error: None,
        }
    }

    pub fn any_disabled(&self) -> bool {
        self.actions.iter().any(|a| !a.enabled)
    }

    pub fn push(&mut self, mut a: Action) {
        for f in &mut a.fields {
            f.id = format!("{}-{}-{}", self.id, a.action, f.name);
        }
        self.actions.push(a);
    }
}

/// A destructive action confirmed by typing the resource's name (checked again by the
/// server).
#[derive(Template)]
#[template(path = "frag/confirm.html")]
pub struct Confirm {
    pub id: String,
    pub title: String,
    pub action: String,
    pub csrf: String,
    pub name: String,
    pub button: String,
    pub explain: String,
    pub fields: Vec<Field>,
    pub error: Option<String>,
    /// Not allowed now: the reason, and the button stays disabled.
    pub disabled: Option<String>,
}

impl Confirm {
    pub fn new(id: &str, action: impl Into<String>, csrf: &str, name: &str, button: &str) -> Confirm {
        Confirm {
            id: id.into(),
            title: "Danger zone".into(),
            action: action.into(),
            csrf: csrf.into(),
            name: name.into(),
            button: button.into(),
            explain: String::new(),
            fields: vec![],
            error: None,
            disabled: None,
        }
    }

    pub fn explain(mut self, e: impl Into<String>) -> Confirm {
        self.explain = e.into();
        self
    }

    pub fn field(mut self, mut f: Field) -> Confirm {
        f.id = format!("{}-{}", self.id, f.name);
        self.fields.push(f);
        self
    }

    pub fn disabled(mut self, reason: Option<String>) -> Confirm {
        self.disabled = reason;
        self
    }
}

/// A small POST button inside a table row (e.g. remove a rule).
#[derive(Template)]
#[template(path = "frag/button.html")]
pub struct InlineButton {
    pub action: String,
    pub csrf: String,
    pub label: String,
    pub hidden: Vec<(String, String)>,
    pub danger: bool,
    pub aria_label: String,
    /// A name the user must type first (a destructive action).
    pub confirm: Option<String>,
}

/// Free text (console output, JSON settings).
#[derive(Template)]
#[template(path = "frag/pre.html")]
pub struct Pre {
    pub title: String,
    pub text: String,
}

/// A short paragraph, optionally a link.
#[derive(Template)]
#[template(path = "frag/para.html")]
pub struct Para {
    pub class: &'static str,
    pub text: String,
    pub link: Option<(String, String)>,
}

impl Para {
    pub fn note(text: impl Into<String>) -> Html {
        render(&Para { class: "note", text: text.into(), link: None })
    }

    pub fn link(text: impl Into<String>, label: &str, href: impl Into<String>) -> Html {
        render(&Para { class: "note", text: text.into(), link: Some((label.into(), href.into())) })
    }
}

/// Name and state filters of a list.
#[derive(Template)]
#[template(path = "frag/filter.html")]
pub struct Filter {
    pub action: String,
    pub name: String,
    /// `(state, selected)`.
    pub states: Vec<Opt>,
    pub limits: Vec<Opt>,
    pub sort: String,
    pub dir: String,
    pub tab: String,
    pub error: Option<String>,
}

#[derive(Template)]
#[template(path = "frag/pager.html")]
pub struct Pager {
    pub first: Option<String>,
    pub next: Option<String>,
    pub shown: usize,
}

/// An option of a select, with whether it is chosen.
pub struct Opt {
    pub value: String,
    pub selected: bool,
}

/// Tabs (images: default / mine).
#[derive(Template)]
#[template(path = "frag/tabs.html")]
pub struct Tabs {
    pub tabs: Vec<Tab>,
}

pub struct Tab {
    pub label: String,
    pub href: String,
    pub current: bool,
}

/// A file offered once, embedded in the page (nothing is kept on the server).
#[derive(Template)]
#[template(path = "frag/download.html")]
pub struct Download {
    pub filename: String,
    pub b64: String,
    pub key: String,
}

pub struct Bar {
    pub x: String,
    pub y: String,
    pub w: String,
    pub h: String,
    pub tip: String,
    pub tick: String,
    pub tick_x: String,
}

/// A bar chart drawn as inline SVG on the server (no script, no library).
#[derive(Template)]
#[template(path = "frag/chart.html")]
pub struct Chart {
    pub id: String,
    pub title: String,
    pub desc: String,
    pub caption: String,
    pub width: u32,
    pub height: u32,
    pub left: u32,
    pub left_label: u32,
    pub tick_y: u32,
    /// `(y, label)` of the horizontal grid lines.
    pub grid: Vec<(String, String)>,
    pub bars: Vec<Bar>,
}

impl Chart {
    /// Vertical bars of `values` (label, value, tooltip), the axis formatted by `fmt`.
    pub fn bars(id: &str, title: &str, values: &[(String, f64, String)], fmt: impl Fn(f64) -> String) -> Chart {
        let (width, height, left, bottom, top) = (760u32, 240u32, 64u32, 28u32, 10u32);
        let plot_h = (height - bottom - top) as f64;
        let max = values.iter().map(|v| v.1).fold(0.0, f64::max);
        let max = if max <= 0.0 { 1.0 } else { max };
        let n = values.len().max(1);
        let slot = (width - left) as f64 / n as f64;
        let every = n.div_ceil(12).max(1);
        let bars = values
            .iter()
            .enumerate()
            .map(|(i, (label, v, tip))| {
                let h = (v / max * plot_h).max(if *v > 0.0 { 1.0 } else { 0.0 });
                let x = left as f64 + i as f64 * slot + slot * 0.12;
                Bar {
                    x: format!("{x:.1}"),
                    y: format!("{:.1}", top as f64 + plot_h - h),
                    w: format!("{:.1}", slot * 0.76),
                    h: format!("{h:.1}"),
                    tip: tip.clone(),
                    tick: if i % every == 0 { label.clone() } else { String::new() },
                    tick_x: format!("{:.1}", x + slot * 0.38),
                }
            })
            .collect();
        let grid = (0..=4)
            .map(|k| {
                let v = max * k as f64 / 4.0;
                (format!("{:.1}", top as f64 + plot_h - plot_h * k as f64 / 4.0), fmt(v))
            })
            .collect();
        Chart {
            id: id.into(),
            title: title.into(),
            desc: String::new(),
            caption: String::new(),
            width,
            height,
            left,
            left_label: left - 6,
            tick_y: height - 8,
            grid,
            bars,
        }
    }
}
