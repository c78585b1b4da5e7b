//! Public IPs: ephemeral ones follow their instance; static ones are allocated,
//! attached, detached and released here (by project admins).

use crate::AppState;
use crate::error::PageResult;
use crate::forms::FormState;
use crate::list::ListParams;
use crate::page::{Layout, Page, enc, see_other};
use crate::pages::{confirmed, form_state, fresh, operation_cell, refusal, status};
use crate::session::{Posted, Session};
use crate::view::{Action, Actions, Cell, Confirm, Field, Fields, Form, Para, Table, options, render};
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use gureum_api_types::{PublicIp, PublicIpAttach, PublicIpCreate, PublicIpKind, PublicIpState};
use gureum_engine::Error;
use gureum_model::authz::Permission;
use gureum_model::public_ip::PublicIpAction;

pub async fn list(
    State(st): State<AppState>,
    s: Session,
    Path(project): Path<String>,
    Query(q): Query<ListParams>,
) -> PageResult {
    let (l, _) = Layout::project(&st, &s, &project, "public-ips").await?;
    let pbase = l.base();
    let base = format!("{pbase}/public-ips");
    let (items, next, filter_error) = match st.engine.public_ip_list(&s.ctx, &project, &q.query()).await {
        Ok(p) => (p.items, p.next_cursor, None),
        Err(Error::Invalid(fe)) => (vec![], None, Some(format!("{}: {}", fe.field, fe.rule))),
        Err(e) => return Err(e.into()),
    };
    let mut t = Table::new("public-ips", &["Name", "State", "Address", "Kind", "Instance", "Age"])
        .live()
        .empty("No public IPs match.");
    for ip in &items {
        t.row(vec![
            Cell::link(&ip.name, format!("{base}/{}", ip.id)),
            Cell::state(ip.state.as_str(), ip.state_reason.as_deref()),
            Cell::opt(ip.address.clone()),
            Cell::text(ip.kind.as_str()),
            match &ip.instance {
                Some(i) => Cell::link(i, format!("{pbase}/instances/{}", enc(i))),
                None => Cell::text("–"),
            },
            Cell::age(&ip.created_at),
        ]);
    }
    q.sort(&base, &mut t, &["name", "state", "address", "kind", "instance", "age"]);
    let states: Vec<&str> = PublicIpState::ALL.iter().map(|s| s.as_str()).collect();
    let may = l.may(Permission::ManagePublicIps);
    let page = Page::new(l, "Public IPs").primary_if(may, "Allocate static IP", format!("{base}/new"));
    q.finish(page, &base, &states, filter_error, &t, next.as_deref())
}

async fn create_form(st: &AppState, s: &Session, project: &str, state: FormState, code: StatusCode) -> PageResult {
    let (l, _) = Layout::project(st, s, project, "public-ips").await?;
    if !l.may(Permission::ManagePublicIps) {
        return Err(Error::Forbidden(format!("only an admin of project {project} may allocate public IPs")).into());
    }
    let conns: Vec<String> = st.engine.connection_list(&s.ctx).await?.into_iter().map(|c| c.name).collect();
    let base = format!("{}/public-ips", l.base());
    let form = Form::new("create-public-ip", base.clone(), &s.csrf, "Allocate")
        .intro("A static IP stays allocated until released and can be moved between instances.")
        .field(Field::text("name", "Name").required())
        .field(Field::select("connection", "Connection", options(conns)).value("sim"))
        .cancel(base.clone())
        .with_state(&state);
    let mut page = Page::new(l, "Allocate a static public IP").crumb("Public IPs", base);
    page.status = code.as_u16();
    page.block(render(&form)).respond()
}

pub async fn new(State(st): State<AppState>, s: Session, Path(project): Path<String>) -> PageResult {
    create_form(&st, &s, &project, fresh(), StatusCode::OK).await
}

pub async fn create(State(st): State<AppState>, Path(project): Path<String>, p: Posted) -> PageResult {
    let req = PublicIpCreate { name: p.form.get("name").into(), connection: p.form.opt("connection") };
    match st.engine.public_ip_create(&p.session.ctx, &project, req).await {
        Ok(ip) => see_other(format!("/projects/{}/public-ips/{}", enc(&project), ip.id)),
        Err(e) => {
            let (state, code) = form_state(&p.form, e, &["name", "connection"])?;
            create_form(&st, &p.session, &project, state, code).await
        }
    }
}

fn allowed(ip: &PublicIp, a: PublicIpAction) -> Result<(), String> {
    if ip.kind == PublicIpKind::Ephemeral {
        return Err("an ephemeral IP comes and goes with its instance".into());
    }
    if ip.operation_id.is_some() {
        return Err(format!("cannot {a} while an operation is in progress"));
    }
    refusal(ip.state.check(a))
}

async fn detail_page(
    st: &AppState,
    s: &Session,
    project: &str,
    id: &str,
    problem: Option<(StatusCode, String, bool)>,
) -> PageResult {
    let (l, _) = Layout::project(st, s, project, "public-ips").await?;
    let ip = st.engine.public_ip_get(&s.ctx, project, id).await?;
    let base = l.base();
    let here = format!("{base}/public-ips/{}", ip.id);
    let mut f = Fields::new("public-ip-fields").live();
    f.add_state(ip.state.as_str(), ip.state_reason.as_deref());
    f.add("ID", Cell::mono(ip.id.to_string()));
    f.add("Address", Cell::opt(ip.address.clone()));
    f.add("Kind", Cell::text(ip.kind.as_str()));
    f.add(
        "Instance",
        match &ip.instance {
            Some(i) => Cell::link(i, format!("{base}/instances/{}", enc(i))),
            None => Cell::text("–"),
        },
    );
    f.add("Connection", Cell::text(&ip.connection));
    f.add("Created", Cell::time(Some(&ip.created_at)));
    f.add("Operation", operation_cell(&base, ip.operation_id));
    let may = l.may(Permission::ManagePublicIps);
    let mut page = Page::new(l, format!("Public IP {}", ip.name))
        .crumb("Public IPs", format!("{base}/public-ips"))
        .at(&here)
        .block(render(&f));
    if may {
        let mut acts = Actions::new("public-ip-actions", format!("{here}/action"), &s.csrf);
        acts.push(
            Action::new("Attach", "attach", allowed(&ip, PublicIpAction::Attach))
                .field(Field::text("instance", "Instance").placeholder("name or id")),
        );
        acts.push(Action::new("Detach", "detach", allowed(&ip, PublicIpAction::Detach)));
        let mut c = Confirm::new("release-public-ip", format!("{here}/delete"), &s.csrf, &ip.name, "Release IP")
            .explain("The address goes back to the provider's pool.")
            .disabled(allowed(&ip, PublicIpAction::Release).err());
        if let Some((_, text, confirm)) = &problem {
            if *confirm {
                c.error = Some(text.clone());
            } else {
                acts.error = Some(text.clone());
            }
        }
        page = page.block(render(&acts)).block(render(&c));
    } else {
        page = page.block(Para::note("Only project admins change public IPs."));
    }
    if let Some((code, text, _)) = problem {
        page = page.error(code, text);
    }
    page.respond()
}

pub async fn detail(State(st): State<AppState>, s: Session, Path((project, id)): Path<(String, String)>) -> PageResult {
    detail_page(&st, &s, &project, &id, None).await
}

pub async fn action(State(st): State<AppState>, Path((project, id)): Path<(String, String)>, p: Posted) -> PageResult {
    let (e, ctx) = (&st.engine, &p.session.ctx);
    let r = match p.form.get("action") {
        "attach" => {
            e.public_ip_attach(ctx, &project, &id, PublicIpAttach { instance: p.form.get("instance").into() }).await
        }
        "detach" => e.public_ip_detach(ctx, &project, &id).await,
        _ => Err(Error::invalid("action", "is not a public IP action")),
    };
    match r {
        Ok(_) => see_other(format!("/projects/{}/public-ips/{id}", enc(&project))),
        Err(e @ Error::Unauthenticated(_)) => Err(e.into()),
        Err(e) => {
            detail_page(&st, &p.session, &project, &id, Some((status(&e), crate::error::message_of(&e), false))).await
        }
    }
}

pub async fn delete(State(st): State<AppState>, Path((project, id)): Path<(String, String)>, p: Posted) -> PageResult {
    let ip = st.engine.public_ip_get(&p.session.ctx, &project, &id).await?;
    let r = match confirmed(&p.form, &ip.name) {
        Ok(()) => st.engine.public_ip_delete(&p.session.ctx, &project, &id).await.map(|_| ()),
        Err(text) => Err(Error::invalid("confirm_name", text)),
    };
    match r {
        Ok(()) => see_other(format!("/projects/{}/public-ips", enc(&project))),
        Err(e @ Error::Unauthenticated(_)) => Err(e.into()),
        Err(e) => {
            detail_page(&st, &p.session, &project, &id, Some((status(&e), crate::error::message_of(&e), true))).await
        }
    }
}
