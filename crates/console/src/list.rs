//! List pages: name/state filters, sorting of the shown page, and keyset pagination
//! (the engine's limit + cursor, so a page costs the same with 10 or 10,000 rows).

use crate::error::PageResult;
use crate::page::Page;
use crate::view::{Filter, Opt, Pager, Table, render};
use gureum_api_types::ListQuery;
use serde::Deserialize;

pub const DEFAULT_LIMIT: u32 = 50;

/// Query parameters of a list page.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct ListParams {
    pub name: Option<String>,
    pub state: Option<String>,
    pub limit: Option<String>,
    pub cursor: Option<String>,
    pub sort: Option<String>,
    pub dir: Option<String>,
    /// Images: which tab.
    pub tab: Option<String>,
}

fn nonblank(s: &Option<String>) -> Option<String> {
    s.as_deref().map(str::trim).filter(|s| !s.is_empty()).map(str::to_string)
}

impl ListParams {
    pub fn limit(&self) -> u32 {
        self.limit.as_deref().and_then(|l| l.parse().ok()).filter(|l| (1..=1000).contains(l)).unwrap_or(DEFAULT_LIMIT)
    }

    pub fn query(&self) -> ListQuery {
        ListQuery {
            limit: Some(self.limit()),
            cursor: nonblank(&self.cursor),
            state: nonblank(&self.state),
            name: nonblank(&self.name),
        }
    }

    /// The query string of this list with some parameters replaced.
    fn href(&self, base: &str, cursor: Option<&str>, sort: Option<(&str, &str)>) -> String {
        let mut q = form_urlencoded::Serializer::new(String::new());
        for (k, v) in [("tab", &self.tab), ("name", &self.name), ("state", &self.state)] {
            if let Some(v) = nonblank(v) {
                q.append_pair(k, &v);
            }
        }
        if self.limit() != DEFAULT_LIMIT {
            q.append_pair("limit", &self.limit().to_string());
        }
        let (sort, dir) = match sort {
            Some((s, d)) => (Some(s.to_string()), Some(d.to_string())),
            None => (nonblank(&self.sort), nonblank(&self.dir)),
        };
        if let Some(s) = sort {
            q.append_pair("sort", &s);
            q.append_pair("dir", dir.as_deref().unwrap_or("asc"));
        }
        if let Some(c) = cursor {
            q.append_pair("cursor", c);
        }
        let q = q.finish();
        if q.is_empty() { base.to_string() } else { format!("{base}?{q}") }
    }

    /// The filter bar.
    pub fn filter(&self, base: &str, states: &[&str], error: Option<String>) -> String {
        let state = nonblank(&self.state).unwrap_or_default();
        render(&Filter {
            action: base.to_string(),
            name: nonblank(&self.name).unwrap_or_default(),
            states: states.iter().map(|s| Opt { value: s.to_string(), selected: *s == state }).collect(),
            limits: [25u32, 50, 100, 200]
                .iter()
                .map(|n| Opt { value: n.to_string(), selected: *n == self.limit() })
                .collect(),
            sort: nonblank(&self.sort).unwrap_or_default(),
            dir: nonblank(&self.dir).unwrap_or_default(),
            tab: nonblank(&self.tab).unwrap_or_default(),
            error,
        })
    }

    pub fn pager(&self, base: &str, shown: usize, next_cursor: Option<&str>) -> String {
        render(&Pager {
            first: nonblank(&self.cursor).map(|_| self.href(base, None, None)),
            next: next_cursor.map(|c| self.href(base, Some(c), None)),
            shown,
        })
    }

    /// Ends a list page: the filter bar, the table and the pager under it (a row per item
    /// shown).
    pub fn finish(
        &self,
        page: Page,
        base: &str,
        states: &[&str],
        error: Option<String>,
        table: &Table,
        next_cursor: Option<&str>,
    ) -> PageResult {
        page.block(self.filter(base, states, error))
            .block(render(table))
            .block(self.pager(base, table.rows.len(), next_cursor))
            .respond()
    }

    /// Makes the columns named in `sortable` (label → key) clickable and sorts the rows
    /// of the page by the chosen one.
    pub fn sort(&self, base: &str, table: &mut Table, sortable: &[&str]) {
        let chosen = nonblank(&self.sort);
        let desc = self.dir.as_deref() == Some("desc");
        let mut sort_col = None;
        for (i, col) in table.columns.iter_mut().enumerate() {
            let key = slug(&col.label);
            if !sortable.contains(&key.as_str()) {
                continue;
            }
            let active = chosen.as_deref() == Some(key.as_str());
            let next_dir = if active && !desc { "desc" } else { "asc" };
            col.sort_href = Some(self.href(base, nonblank(&self.cursor).as_deref(), Some((&key, next_dir))));
            if active {
                col.sorted = Some(if desc { "descending" } else { "ascending" });
                col.ascending = !desc;
                sort_col = Some(i);
            }
        }
        if let Some(i) = sort_col {
            table.rows.sort_by(|a, b| {
                let (x, y) = (&a[i].key, &b[i].key);
                let o = natural_cmp(x, y);
                if desc { o.reverse() } else { o }
            });
        }
    }
}

/// `Public IP` → `public-ip`.
pub fn slug(label: &str) -> String {
    label.to_ascii_lowercase().replace(' ', "-")
}

/// Compares text with embedded numbers by value (`web-2` before `web-10`).
pub fn natural_cmp(a: &str, b: &str) -> std::cmp::Ordering {
    fn chunks(s: &str) -> Vec<(bool, String)> {
        let mut out: Vec<(bool, String)> = vec![];
        for c in s.chars() {
            let digit = c.is_ascii_digit();
            match out.last_mut() {
                Some((d, text)) if *d == digit => text.push(c),
                _ => out.push((digit, c.to_string())),
            }
        }
        out
    }
    let (ca, cb) = (chunks(a), chunks(b));
    for (x, y) in ca.iter().zip(cb.iter()) {
        let o = match (x.0, y.0) {
            (true, true) => {
                let (tx, ty) = (x.1.trim_start_matches('0'), y.1.trim_start_matches('0'));
                tx.len().cmp(&ty.len()).then_with(|| tx.cmp(ty))
            }
            _ => x.1.to_lowercase().cmp(&y.1.to_lowercase()),
        };
        if o != std::cmp::Ordering::Equal {
            return o;
        }
    }
    ca.len().cmp(&cb.len())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::cmp::Ordering;

    #[test]
    fn natural_order() {
        assert_eq!(natural_cmp("web-2", "web-10"), Ordering::Less);
        assert_eq!(natural_cmp("Web-b", "web-a"), Ordering::Greater);
        assert_eq!(natural_cmp("a", "a1"), Ordering::Less);
    }

    #[test]
    fn links_keep_filters() {
        let p = ListParams { name: Some("web".into()), state: Some("Active".into()), ..Default::default() };
        assert_eq!(p.href("/x", Some("c1"), None), "/x?name=web&state=Active&cursor=c1");
        assert_eq!(p.href("/x", None, Some(("name", "desc"))), "/x?name=web&state=Active&sort=name&dir=desc");
    }
}
