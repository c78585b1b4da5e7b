//! Connections (driver + credentials + region + zone), what their driver supports, and
//! the drift between gureum's records and the provider's inventory.

use crate::AppState;
use crate::error::PageResult;
use crate::forms::FormState;
use crate::page::{Layout, Page, enc, see_other};
use crate::pages::{confirmed, form_state, fresh, status};
use crate::session::{Posted, Session};
use crate::view::{Cell, Confirm, Field, Fields, Form, Para, Pre, Table, options, render};
use axum::extract::{Path, State};
use axum::http::StatusCode;
use gureum_api_types::{ConnectionCreate, DriftItem};
use gureum_engine::Error;

const FIELDS: &[&str] = &["name", "driver", "region", "zone", "settings", "credentials"];

async fn list_page(st: &AppState, s: &Session, state: FormState, code: StatusCode) -> PageResult {
    let l = Layout::global(st, s, "connections").await?;
    let conns = st.engine.connection_list(&s.ctx).await?;
    let mut t = Table::new("connections", &["Name", "Driver", "Region", "Zone", "Credentials", "Age"]);
    for c in &conns {
        t.row(vec![
            Cell::link(&c.name, format!("/connections/{}", c.id)),
            Cell::text(&c.driver),
            Cell::text(&c.region),
            Cell::text(&c.zone),
            Cell::text(if c.has_credentials { "stored" } else { "none" }),
            Cell::age(&c.created_at),
        ]);
    }
    let mut page = Page::new(l, "Connections").block(render(&t));
    page.status = code.as_u16();
    if s.ctx.is_admin {
        let form = Form::new("create-connection", "/connections", &s.csrf, "Create connection")
            .title("Create a connection")
            .field(Field::text("name", "Name").required())
            .field(Field::select("driver", "Driver", options(["sim"])))
            .field(Field::text("region", "Region").help("Default: the driver's first region."))
            .field(Field::text("zone", "Zone").help("Default: the region's first zone."))
            .field(
                Field::new("textarea", "settings", "Settings (JSON)")
                    .placeholder("{\"latency_ms\": 300}")
                    .help("sim: latency_ms, fault_rate, capacity, profile."),
            )
            .field(
                Field::new("textarea", "credentials", "Credentials (JSON)")
                    .help("Encrypted at rest and never shown again."),
            )
            .with_state(&state);
        page = page.block(render(&form));
    }
    page.respond()
}

pub async fn list(State(st): State<AppState>, s: Session) -> PageResult {
    list_page(&st, &s, fresh(), StatusCode::OK).await
}

fn json_field(f: &crate::forms::FormData, name: &str) -> Result<Option<serde_json::Value>, Error> {
    match f.opt(name) {
        None => Ok(None),
        Some(text) => {
            serde_json::from_str(&text).map(Some).map_err(|e| Error::invalid(name, format!("is not valid JSON: {e}")))
        }
    }
}

pub async fn create(State(st): State<AppState>, p: Posted) -> PageResult {
    let f = &p.form;
    let req = (|| {
        Ok::<_, Error>(ConnectionCreate {
            name: f.get("name").into(),
            driver: f.get("driver").into(),
            region: f.opt("region"),
            zone: f.opt("zone"),
            settings: json_field(f, "settings")?,
            credentials: json_field(f, "credentials")?,
        })
    })();
    let r = match req {
        Ok(req) => st.engine.connection_create(&p.session.ctx, req).await,
        Err(e) => Err(e),
    };
    match r {
        Ok(c) => see_other(format!("/connections/{}", c.id)),
        Err(e) => {
            let (mut state, code) = form_state(&p.form, e, FIELDS)?;
            state.values.remove("credentials");
            list_page(&st, &p.session, state, code).await
        }
    }
}

fn drift_table(id: &str, caption: &str, items: &[DriftItem], empty: &str) -> String {
    let mut t = Table::new(id, &["Kind", "Name", "Provider id", "gureum resource", "Project", "State"])
        .caption(caption)
        .empty(empty);
    for d in items {
        t.row(vec![
            Cell::text(&d.kind),
            Cell::text(&d.name),
            Cell::mono(d.provider_id.clone().unwrap_or_else(|| "–".into())),
            Cell::text(match (&d.gureum_type, d.gureum_id) {
                (Some(t), Some(id)) => format!("{t} {id}"),
                (None, Some(id)) => format!("tagged {id}"),
                _ => "–".into(),
            }),
            Cell::opt(d.project.clone()),
            match &d.state {
                Some(s) => Cell::state(s, None),
                None => Cell::text("–"),
            },
        ]);
    }
    render(&t)
}

async fn detail_page(st: &AppState, s: &Session, key: &str, problem: Option<(StatusCode, String)>) -> PageResult {
    let l = Layout::global(st, s, "connections").await?;
    let c = st.engine.connection_get(&s.ctx, key).await?;
    let mut f = Fields::new("connection-fields");
    f.add("ID", Cell::mono(c.id.to_string()));
    f.add("Driver", Cell::text(&c.driver));
    f.add("Region / zone", Cell::text(format!("{} / {}", c.region, c.zone)));
    f.add("Credentials", Cell::text(if c.has_credentials { "stored (write-only)" } else { "none" }));
    f.add("Created", Cell::time(Some(&c.created_at)));
    let mut page = Page::new(l, format!("Connection {}", c.name))
        .crumb("Connections", "/connections")
        .block(render(&f))
        .block(render(&Pre {
            title: "Settings".into(),
            text: serde_json::to_string_pretty(&c.settings).unwrap_or_default(),
        }));
    match st.engine.cloud(c.id).await {
        Ok(cloud) => {
            let info = cloud.info();
            let mut t = Table::new("capabilities", &["Resource kind", "Support"]).caption("Capabilities");
            for (kind, support) in &info.kinds {
                let class = match support.as_str() {
                    "native" => "st-green",
                    "emulated" => "st-amber",
                    _ => "st-grey",
                };
                t.row(vec![Cell::text(kind.as_str()), Cell { badge: Some(class), ..Cell::text(support.as_str()) }]);
            }
            let about = format!(
                "Driver {} {}{}. Emulated kinds are kept by gureum itself; unsupported ones are refused before any provider call.",
                info.driver,
                info.version,
                info.profile.as_deref().map(|p| format!(", profile {p}")).unwrap_or_default()
            );
            page = page.block(render(&t)).block(Para::note(about));
        }
        Err(e) => {
            page = page.block(Para::note(format!("The driver could not be opened: {}", crate::error::message_of(&e))))
        }
    }
    if s.ctx.is_admin {
        match st.engine.drift(&s.ctx, &c.id.to_string()).await {
            Ok(d) => {
                page = page
                    .block(Para::note(format!(
                        "Drift: {} mapped, {} only in gureum, {} only in the provider.",
                        d.mapped.len(),
                        d.only_in_gureum.len(),
                        d.only_in_provider.len()
                    )))
                    .block(drift_table(
                        "drift-gureum",
                        "Only in gureum (lost at the provider)",
                        &d.only_in_gureum,
                        "None.",
                    ))
                    .block(drift_table(
                        "drift-provider",
                        "Only in the provider (unknown to gureum)",
                        &d.only_in_provider,
                        "None.",
                    ))
                    .block(drift_table("drift-mapped", "Mapped", &d.mapped, "Nothing at the provider yet."));
            }
            Err(e) => {
                page = page.block(Para::note(format!("Drift is not available: {}", crate::error::message_of(&e))))
            }
        }
        let mut confirm = Confirm::new(
            "delete-connection",
            format!("/connections/{}/delete", c.id),
            &s.csrf,
            &c.name,
            "Delete connection",
        )
        .explain("Only a connection that holds no resources can be deleted.");
        if let Some((_, text)) = &problem {
            confirm.error = Some(text.clone());
        }
        page = page.block(render(&confirm));
    } else {
        page = page.block(Para::note("System administrators see the drift view and manage connections."));
    }
    if let Some((code, text)) = problem {
        page = page.error(code, text);
    }
    page.respond()
}

pub async fn detail(State(st): State<AppState>, s: Session, Path(key): Path<String>) -> PageResult {
    detail_page(&st, &s, &key, None).await
}

pub async fn delete(State(st): State<AppState>, Path(key): Path<String>, p: Posted) -> PageResult {
    let c = st.engine.connection_get(&p.session.ctx, &key).await?;
    let r = match confirmed(&p.form, &c.name) {
        Ok(()) => st.engine.connection_delete(&p.session.ctx, &key).await,
        Err(text) => Err(Error::invalid("confirm_name", text)),
    };
    match r {
        Ok(()) => see_other("/connections"),
        Err(e @ Error::Unauthenticated(_)) => Err(e.into()),
        Err(e) => detail_page(&st, &p.session, &enc(&key), Some((status(&e), crate::error::message_of(&e)))).await,
    }
}
