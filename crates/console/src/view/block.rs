//! Small blocks: text, filters, pagers, tabs, downloads and charts.

use super::*;
use askama::Template;

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

/// A titled list of short texts (a template's features, prerequisites…).
#[derive(Template)]
#[template(path = "frag/bullets.html")]
pub struct Bullets {
    pub id: String,
    pub title: String,
    pub items: Vec<String>,
    pub empty: String,
}

/// Things to choose from, each a card with a title, a line under it and a text.
#[derive(Template)]
#[template(path = "frag/cards.html")]
pub struct Cards {
    pub id: String,
    pub cards: Vec<Card>,
    pub empty: String,
}

pub struct Card {
    pub title: String,
    pub href: String,
    pub meta: String,
    pub text: String,
}
