//! Key pairs: generated (the private key is offered as a download this once and never
//! again) or imported; only their creator may delete them.

use crate::AppState;
use crate::error::PageResult;
use crate::forms::FormState;
use crate::list::ListParams;
use crate::page::{Layout, Page, enc, see_other};
use crate::pages::{confirmed, form_state, fresh, operation_cell, status};
use crate::session::{Posted, Session};
use crate::view::{Cell, Confirm, Download, Field, Fields, Form, Para, Pre, Table, options, render};
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use base64::Engine as _;
use gureum_api_types::{KeyPairCreate, LifecycleState};
use gureum_engine::Error;

const FIELDS: &[&str] = &["name", "public_key", "connection"];

pub async fn list(
    State(st): State<AppState>,
    s: Session,
    Path(project): Path<String>,
    Query(q): Query<ListParams>,
) -> PageResult {
    let (l, _) = Layout::project(&st, &s, &project, "key-pairs").await?;
    let base = format!("{}/key-pairs", l.base());
    let (items, next, filter_error) = match st.engine.key_pair_list(&s.ctx, &project, &q.query()).await {
        Ok(p) => (p.items, p.next_cursor, None),
        Err(Error::Invalid(fe)) => (vec![], None, Some(format!("{}: {}", fe.field, fe.rule))),
        Err(e) => return Err(e.into()),
    };
    let mut t = Table::new("key-pairs", &["Name", "State", "Type", "Fingerprint", "Created by", "Age"])
        .live()
        .empty("No key pairs match.");
    for k in &items {
        t.row(vec![
            Cell::link(&k.name, format!("{base}/{}", k.id)),
            Cell::state(k.state.as_str(), k.state_reason.as_deref()),
            Cell::text(&k.key_type),
            Cell::mono(&k.fingerprint),
            Cell::text(&k.created_by),
            Cell::age(&k.created_at),
        ]);
    }
    q.sort(&base, &mut t, &["name", "state", "type", "created-by", "age"]);
    let states: Vec<&str> = LifecycleState::ALL.iter().map(|s| s.as_str()).collect();
    let can_manage = l.can_manage();
    let page = Page::new(l, "Key pairs").primary_if(can_manage, "Create key pair", format!("{base}/new"));
    q.finish(page, &base, &states, filter_error, &t, next.as_deref())
}

async fn create_form(st: &AppState, s: &Session, project: &str, state: FormState, code: StatusCode) -> PageResult {
    let (l, _) = Layout::project(st, s, project, "key-pairs").await?;
    if !l.can_manage() {
        return Err(Error::Forbidden(format!("your role in project {project} may not create key pairs")).into());
    }
    let conns: Vec<String> = st.engine.connection_list(&s.ctx).await?.into_iter().map(|c| c.name).collect();
    let base = format!("{}/key-pairs", l.base());
    let form = Form::new("create-key-pair", base.clone(), &s.csrf, "Create key pair")
        .intro("Leave the public key empty to have gureum generate an ed25519 key pair; its private key is offered once, right after.")
        .field(Field::text("name", "Name").required())
        .field(Field::new("textarea", "public_key", "Public key to import (optional)").placeholder("ssh-ed25519 AAAA… user@host"))
        .field(Field::select("connection", "Connection", options(conns)).value("sim"))
        .cancel(base.clone())
        .with_state(&state);
    let mut page = Page::new(l, "Create key pair").crumb("Key pairs", base);
    page.status = code.as_u16();
    page.block(render(&form)).respond()
}

pub async fn new(State(st): State<AppState>, s: Session, Path(project): Path<String>) -> PageResult {
    create_form(&st, &s, &project, fresh(), StatusCode::OK).await
}

pub async fn create(State(st): State<AppState>, Path(project): Path<String>, p: Posted) -> PageResult {
    let f = &p.form;
    let req =
        KeyPairCreate { name: f.get("name").into(), public_key: f.opt("public_key"), connection: f.opt("connection") };
    match st.engine.key_pair_create(&p.session.ctx, &project, req).await {
        Ok(k) => match k.private_key.clone() {
            // The one response that holds the private key: shown here, never stored.
            Some(key) => {
                let (l, _) = Layout::project(&st, &p.session, &project, "key-pairs").await?;
                let base = format!("{}/key-pairs", l.base());
                let download = Download {
                    filename: format!("{}.pem", k.name),
                    b64: base64::engine::general_purpose::STANDARD.encode(key.as_bytes()),
                    key,
                };
                Page::new(l, format!("Key pair {} created", k.name))
                    .crumb("Key pairs", base.clone())
                    .block(render(&download))
                    .block(Para::link(
                        format!("Fingerprint {}.", k.fingerprint),
                        "Go to the key pair",
                        format!("{base}/{}", k.id),
                    ))
                    .respond()
            }
            None => see_other(format!("/projects/{}/key-pairs/{}", enc(&project), k.id)),
        },
        Err(e) => {
            let (state, code) = form_state(&p.form, e, FIELDS)?;
            create_form(&st, &p.session, &project, state, code).await
        }
    }
}

async fn detail_page(
    st: &AppState,
    s: &Session,
    project: &str,
    id: &str,
    problem: Option<(StatusCode, String)>,
) -> PageResult {
    let (l, _) = Layout::project(st, s, project, "key-pairs").await?;
    let k = st.engine.key_pair_get(&s.ctx, project, id).await?;
    let base = l.base();
    let mut f = Fields::new("key-pair-fields").live();
    f.add_state(k.state.as_str(), k.state_reason.as_deref());
    f.add("ID", Cell::mono(k.id.to_string()));
    f.add("Type", Cell::text(&k.key_type));
    f.add("Fingerprint", Cell::mono(&k.fingerprint));
    f.add("Connection", Cell::text(&k.connection));
    f.add("Created by", Cell::text(&k.created_by));
    f.add("Created", Cell::time(Some(&k.created_at)));
    f.add("Operation", operation_cell(&base, k.operation_id));
    let can_manage = l.can_manage();
    let mut page = Page::new(l, format!("Key pair {}", k.name))
        .crumb("Key pairs", format!("{base}/key-pairs"))
        .at(format!("{base}/key-pairs/{}", k.id))
        .block(render(&f))
        .block(render(&Pre { title: "Public key".into(), text: k.public_key.clone() }));
    if can_manage {
        if k.created_by == s.ctx.user_name {
            let mut c = Confirm::new(
                "delete-key-pair",
                format!("{base}/key-pairs/{}/delete", k.id),
                &s.csrf,
                &k.name,
                "Delete key pair",
            )
            .disabled((!k.state.deletable()).then(|| format!("cannot delete while the key pair is {}", k.state)));
            if let Some((_, text)) = &problem {
                c.error = Some(text.clone());
            }
            page = page.block(render(&c));
        } else {
            page = page.block(Para::note(format!("Only {}, who created this key pair, may delete it.", k.created_by)));
        }
    }
    if let Some((code, text)) = problem {
        page = page.error(code, text);
    }
    page.respond()
}

pub async fn detail(State(st): State<AppState>, s: Session, Path((project, id)): Path<(String, String)>) -> PageResult {
    detail_page(&st, &s, &project, &id, None).await
}

pub async fn delete(State(st): State<AppState>, Path((project, id)): Path<(String, String)>, p: Posted) -> PageResult {
    let k = st.engine.key_pair_get(&p.session.ctx, &project, &id).await?;
    if let Err(text) = confirmed(&p.form, &k.name) {
        return detail_page(&st, &p.session, &project, &id, Some((StatusCode::BAD_REQUEST, text))).await;
    }
    match st.engine.key_pair_delete(&p.session.ctx, &project, &id).await {
        Ok(_) => see_other(format!("/projects/{}/key-pairs", enc(&project))),
        Err(e @ Error::Unauthenticated(_)) => Err(e.into()),
        Err(e) => detail_page(&st, &p.session, &project, &id, Some((status(&e), crate::error::message_of(&e)))).await,
    }
}
