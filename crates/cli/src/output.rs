//! Tables for people, JSON for scripts.

use comfy_table::{Table, presets};
use serde::Serialize;
use serde_json::Value;

/// `-o table` (default) or `-o json` (the API's views, as they come).
#[derive(clap::ValueEnum, Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Output {
    #[default]
    Table,
    Json,
}

/// A view shown as one row of a list.
pub trait Row: Serialize {
    const HEADERS: &'static [&'static str];
    fn row(&self) -> Vec<String>;
}

/// A borderless table, columns two spaces apart, no trailing blanks.
pub fn render_table(headers: &[&str], rows: impl IntoIterator<Item = Vec<String>>) -> String {
    let mut t = Table::new();
    t.load_style(presets::NOTHING);
    if !headers.is_empty() {
        t.set_header(headers.to_vec());
    }
    for r in rows {
        t.add_row(r);
    }
    for c in t.column_iter_mut() {
        c.set_padding((0, 2));
    }
    let mut out = String::new();
    for line in t.lines() {
        out.push_str(line.trim_end());
        out.push('\n');
    }
    out
}

pub fn print_json<T: Serialize + ?Sized>(v: &T) {
    println!("{}", serde_json::to_string_pretty(v).unwrap_or_else(|e| format!("\"unprintable: {e}\"")));
}

pub fn print_list<T: Row>(output: Output, items: &[T]) {
    match output {
        Output::Json => print_json(items),
        Output::Table => print!("{}", render_table(T::HEADERS, items.iter().map(Row::row))),
    }
}

/// One resource: `FIELD  VALUE` lines, then a table for each list of objects in it (steps,
/// rules, lines…).
pub fn print_one<T: Serialize + ?Sized>(output: Output, v: &T) {
    match output {
        Output::Json => print_json(v),
        Output::Table => print!("{}", details(&serde_json::to_value(v).unwrap_or(Value::Null))),
    }
}

const FIRST: &[&str] = &["id", "name", "kind", "state", "status", "state_reason", "error"];

pub fn details(v: &Value) -> String {
    let Value::Object(map) = v else {
        return format!("{}\n", scalar(v));
    };
    let mut fields = vec![];
    let mut sub_tables = vec![];
    // JSON objects come sorted by key: put what identifies the resource first.
    let mut entries: Vec<(&String, &Value)> = map.iter().collect();
    entries.sort_by_key(|(k, _)| FIRST.iter().position(|f| f == k).unwrap_or(FIRST.len()));
    for (k, val) in entries {
        if k == "links" {
            continue;
        }
        match val {
            Value::Array(items) if items.iter().any(Value::is_object) => sub_tables.push((k, items)),
            _ => fields.push(vec![k.clone(), scalar(val)]),
        }
    }
    let mut out = render_table(&[], fields);
    for (k, items) in sub_tables {
        let mut headers: Vec<String> = vec![];
        for item in items {
            if let Value::Object(m) = item {
                for key in m.keys() {
                    if key != "links" && !headers.contains(key) {
                        headers.push(key.clone());
                    }
                }
            }
        }
        let rows =
            items.iter().map(|item| headers.iter().map(|h| scalar(item.get(h).unwrap_or(&Value::Null))).collect());
        let upper: Vec<String> = headers.iter().map(|h| h.to_uppercase().replace('_', " ")).collect();
        out.push('\n');
        out.push_str(&format!("{}:\n", k.to_uppercase().replace('_', " ")));
        out.push_str(&render_table(&upper.iter().map(String::as_str).collect::<Vec<_>>(), rows));
    }
    out
}

/// A JSON value as table text: strings bare, null as `-`, lists comma-joined, flat objects
/// as `k=v` pairs, nested ones as JSON.
pub fn scalar(v: &Value) -> String {
    match v {
        Value::Null => "-".into(),
        Value::String(s) => s.clone(),
        Value::Bool(b) => if *b { "yes" } else { "no" }.into(),
        Value::Number(n) => n.to_string(),
        Value::Array(a) if a.is_empty() => "-".into(),
        Value::Array(a) => a.iter().map(scalar).collect::<Vec<_>>().join(", "),
        Value::Object(m) if m.values().any(|v| v.is_object() || v.is_array()) => v.to_string(),
        Value::Object(m) => m
            .iter()
            .filter(|(k, _)| *k != "links")
            .map(|(k, v)| format!("{k}={}", scalar(v)))
            .collect::<Vec<_>>()
            .join(", "),
    }
}

pub fn opt(v: &Option<impl ToString>) -> String {
    v.as_ref().map(|s| s.to_string()).unwrap_or_else(|| "-".into())
}

/// How long ago an RFC 3339 time was: `42s`, `5m`, `3h`, `12d`.
pub fn age(rfc3339: &str) -> String {
    age_at(rfc3339, time::OffsetDateTime::now_utc())
}

fn age_at(rfc3339: &str, now: time::OffsetDateTime) -> String {
    let Ok(t) = time::OffsetDateTime::parse(rfc3339, &time::format_description::well_known::Rfc3339) else {
        return rfc3339.to_string();
    };
    let secs = (now - t).whole_seconds().max(0);
    match secs {
        s if s < 120 => format!("{s}s"),
        s if s < 2 * 3600 => format!("{}m", s / 60),
        s if s < 2 * 86400 => format!("{}h", s / 3600),
        s => format!("{}d", s / 86400),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn ages() {
        let now = time::OffsetDateTime::parse("2026-01-02T00:00:00Z", &time::format_description::well_known::Rfc3339)
            .unwrap();
        assert_eq!(age_at("2026-01-01T23:59:30.5Z", now), "29s");
        assert_eq!(age_at("2026-01-01T23:00:00Z", now), "60m");
        assert_eq!(age_at("2026-01-01T00:00:00Z", now), "24h");
        assert_eq!(age_at("2025-12-01T00:00:00Z", now), "32d");
        assert_eq!(age_at("2026-01-03T00:00:00Z", now), "0s");
        assert_eq!(age_at("garbage", now), "garbage");
    }

    #[test]
    fn table_and_details() {
        let t = render_table(&["NAME", "STATE"], vec![vec!["web-1".into(), "Active".into()]]);
        assert_eq!(t, "NAME   STATE\nweb-1  Active\n");
        let d = details(&json!({"name": "sg", "rules": [{"id": "r1", "protocol": "tcp"}], "links": {"self": "x"},
                                "tags": ["a", "b"], "gpu": null}));
        assert!(d.contains("name   sg") || d.contains("name  sg"), "{d}");
        assert!(d.contains("a, b"), "{d}");
        assert!(d.contains("RULES:\nID  PROTOCOL\nr1  tcp\n"), "{d}");
        assert!(!d.contains("links"), "{d}");
    }
}
