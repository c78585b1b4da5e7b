//! VPCs and their subnets.

use crate::AppState;
use crate::error::PageResult;
use crate::forms::FormState;
use crate::list::ListParams;
use crate::page::{Layout, Page, enc, see_other};
use crate::pages::{confirmed, form_state, fresh, operation_cell, status};
use crate::session::{Posted, Session};
use crate::view::{Cell, Confirm, Field, Fields, Form, Table, options, render};
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use gureum_api_types::{LifecycleState, ListQuery, SubnetCreate, VpcCreate};
use gureum_engine::Error;

fn lifecycle_states() -> Vec<&'static str> {
    LifecycleState::ALL.iter().map(|s| s.as_str()).collect()
}

fn not_deletable(what: &str, state: LifecycleState, busy: bool) -> Option<String> {
    if busy || !state.deletable() {
        Some(format!("cannot delete while the {what} is {state}; only a settled {what} can be deleted"))
    } else {
        None
    }
}

pub async fn vpc_list(
    State(st): State<AppState>,
    s: Session,
    Path(project): Path<String>,
    Query(q): Query<ListParams>,
) -> PageResult {
    let (l, _) = Layout::project(&st, &s, &project, "vpcs").await?;
    let base = format!("{}/vpcs", l.base());
    let (items, next, filter_error) = match st.engine.vpc_list(&s.ctx, &project, &q.query()).await {
        Ok(p) => (p.items, p.next_cursor, None),
        Err(Error::Invalid(fe)) => (vec![], None, Some(format!("{}: {}", fe.field, fe.rule))),
        Err(e) => return Err(e.into()),
    };
    let mut t = Table::new("vpcs", &["Name", "State", "CIDR", "Connection", "Age"]).live().empty("No VPCs match.");
    for v in &items {
        t.row(vec![
            Cell::link(&v.name, format!("{base}/{}", v.id)),
            Cell::state(v.state.as_str(), v.state_reason.as_deref()),
            Cell::mono(&v.cidr),
            Cell::text(&v.connection),
            Cell::age(&v.created_at),
        ]);
    }
    q.sort(&base, &mut t, &["name", "state", "cidr", "connection", "age"]);
    let can_manage = l.can_manage();
    let page = Page::new(l, "VPCs").primary_if(can_manage, "Create VPC", format!("{base}/new"));
    q.finish(page, &base, &lifecycle_states(), filter_error, &t, next.as_deref())
}

async fn vpc_form(st: &AppState, s: &Session, project: &str, state: FormState, code: StatusCode) -> PageResult {
    let (l, _) = Layout::project(st, s, project, "vpcs").await?;
    if !l.can_manage() {
        return Err(Error::Forbidden(format!("your role in project {project} may not create VPCs")).into());
    }
    let conns: Vec<String> = st.engine.connection_list(&s.ctx).await?.into_iter().map(|c| c.name).collect();
    let base = format!("{}/vpcs", l.base());
    let form = Form::new("create-vpc", base.clone(), &s.csrf, "Create VPC")
        .field(Field::text("name", "Name").required())
        .field(
            Field::text("cidr", "CIDR")
                .required()
                .placeholder("10.0.0.0/16")
                .help("A private IPv4 network, /8 to /28."),
        )
        .field(Field::select("connection", "Connection", options(conns)).value("sim"))
        .cancel(base.clone())
        .with_state(&state);
    let mut page = Page::new(l, "Create VPC").crumb("VPCs", base);
    page.status = code.as_u16();
    page.block(render(&form)).respond()
}

pub async fn vpc_new(State(st): State<AppState>, s: Session, Path(project): Path<String>) -> PageResult {
    vpc_form(&st, &s, &project, fresh(), StatusCode::OK).await
}

pub async fn vpc_create(State(st): State<AppState>, Path(project): Path<String>, p: Posted) -> PageResult {
    let f = &p.form;
    let req = VpcCreate { name: f.get("name").into(), cidr: f.get("cidr").into(), connection: f.opt("connection") };
    match st.engine.vpc_create(&p.session.ctx, &project, req).await {
        Ok(v) => see_other(format!("/projects/{}/vpcs/{}", enc(&project), v.id)),
        Err(e) => {
            let (state, code) = form_state(&p.form, e, &["name", "cidr", "connection"])?;
            vpc_form(&st, &p.session, &project, state, code).await
        }
    }
}

#[derive(Default)]
struct VpcProblem {
    subnet_form: Option<(FormState, StatusCode)>,
    delete: Option<(StatusCode, String)>,
}

async fn vpc_page(st: &AppState, s: &Session, project: &str, id: &str, problem: VpcProblem) -> PageResult {
    let (l, _) = Layout::project(st, s, project, "vpcs").await?;
    let v = st.engine.vpc_get(&s.ctx, project, id).await?;
    let base = l.base();
    let here = format!("{base}/vpcs/{}", v.id);
    let mut f = Fields::new("vpc-fields").live();
    f.add_state(v.state.as_str(), v.state_reason.as_deref());
    f.add("ID", Cell::mono(v.id.to_string()));
    f.add("CIDR", Cell::mono(&v.cidr));
    f.add("Connection", Cell::text(&v.connection));
    f.add("Created", Cell::time(Some(&v.created_at)));
    f.add("Operation", operation_cell(&base, v.operation_id));
    let subnets = st
        .engine
        .subnet_list(&s.ctx, project, Some(id), &ListQuery { limit: Some(1000), ..Default::default() })
        .await?
        .items;
    let mut t = Table::new("vpc-subnets", &["Name", "State", "CIDR", "Zone", "Age"])
        .live()
        .caption("Subnets")
        .empty("No subnets yet.");
    for n in &subnets {
        t.row(vec![
            Cell::link(&n.name, format!("{base}/subnets/{}", n.id)),
            Cell::state(n.state.as_str(), n.state_reason.as_deref()),
            Cell::mono(&n.cidr),
            Cell::text(&n.zone),
            Cell::age(&n.created_at),
        ]);
    }
    let can_manage = l.can_manage();
    let mut page = Page::new(l, format!("VPC {}", v.name))
        .crumb("VPCs", format!("{base}/vpcs"))
        .at(&here)
        .block(render(&f))
        .block(render(&t));
    if can_manage {
        let (state, code) = problem.subnet_form.unwrap_or_else(|| (fresh(), StatusCode::OK));
        let form = Form::new("create-subnet", format!("{here}/subnets"), &s.csrf, "Create subnet")
            .title("Create a subnet")
            .field(Field::text("name", "Name").required())
            .field(
                Field::text("cidr", "CIDR")
                    .required()
                    .placeholder("10.0.1.0/24")
                    .help("Inside the VPC's CIDR, /16 to /29."),
            )
            .field(Field::text("zone", "Zone").help("Default: the connection's zone."))
            .with_state(&state);
        page.status = code.as_u16();
        let mut c = Confirm::new("delete-vpc", format!("{here}/delete"), &s.csrf, &v.name, "Delete VPC")
            .explain("Delete its subnets and security groups first.")
            .disabled(not_deletable("VPC", v.state, v.operation_id.is_some()));
        if let Some((code, text)) = problem.delete {
            c.error = Some(text.clone());
            page = page.error(code, text);
        }
        page = page.block(render(&form)).block(render(&c));
    } else {
        page = page.block(crate::view::Para::note(super::READ_ONLY));
    }
    page.respond()
}

pub async fn vpc_detail(
    State(st): State<AppState>,
    s: Session,
    Path((project, id)): Path<(String, String)>,
) -> PageResult {
    vpc_page(&st, &s, &project, &id, VpcProblem::default()).await
}

pub async fn vpc_delete(
    State(st): State<AppState>,
    Path((project, id)): Path<(String, String)>,
    p: Posted,
) -> PageResult {
    let v = st.engine.vpc_get(&p.session.ctx, &project, &id).await?;
    let r = match confirmed(&p.form, &v.name) {
        Ok(()) => st.engine.vpc_delete(&p.session.ctx, &project, &id).await.map(|_| ()),
        Err(text) => Err(Error::invalid("confirm_name", text)),
    };
    match r {
        Ok(()) => see_other(format!("/projects/{}/vpcs", enc(&project))),
        Err(e @ Error::Unauthenticated(_)) => Err(e.into()),
        Err(e) => {
            let problem = VpcProblem { delete: Some((status(&e), crate::error::message_of(&e))), ..Default::default() };
            vpc_page(&st, &p.session, &project, &id, problem).await
        }
    }
}

pub async fn subnet_create(
    State(st): State<AppState>,
    Path((project, id)): Path<(String, String)>,
    p: Posted,
) -> PageResult {
    let f = &p.form;
    let req = SubnetCreate { name: f.get("name").into(), cidr: f.get("cidr").into(), zone: f.opt("zone") };
    match st.engine.subnet_create(&p.session.ctx, &project, &id, req).await {
        Ok(_) => see_other(format!("/projects/{}/vpcs/{id}", enc(&project))),
        Err(e) => {
            let form = form_state(&p.form, e, &["name", "cidr", "zone"])?;
            vpc_page(&st, &p.session, &project, &id, VpcProblem { subnet_form: Some(form), ..Default::default() }).await
        }
    }
}

pub async fn subnet_list(
    State(st): State<AppState>,
    s: Session,
    Path(project): Path<String>,
    Query(q): Query<ListParams>,
) -> PageResult {
    let (l, _) = Layout::project(&st, &s, &project, "subnets").await?;
    let pbase = l.base();
    let base = format!("{pbase}/subnets");
    let (items, next, filter_error) = match st.engine.subnet_list(&s.ctx, &project, None, &q.query()).await {
        Ok(p) => (p.items, p.next_cursor, None),
        Err(Error::Invalid(fe)) => (vec![], None, Some(format!("{}: {}", fe.field, fe.rule))),
        Err(e) => return Err(e.into()),
    };
    let mut t =
        Table::new("subnets", &["Name", "State", "VPC", "CIDR", "Zone", "Age"]).live().empty("No subnets match.");
    for n in &items {
        t.row(vec![
            Cell::link(&n.name, format!("{base}/{}", n.id)),
            Cell::state(n.state.as_str(), n.state_reason.as_deref()),
            Cell::link(&n.vpc, format!("{pbase}/vpcs/{}", enc(&n.vpc))),
            Cell::mono(&n.cidr),
            Cell::text(&n.zone),
            Cell::age(&n.created_at),
        ]);
    }
    q.sort(&base, &mut t, &["name", "state", "vpc", "cidr", "zone", "age"]);
    Page::new(l, "Subnets")
        .info("Subnets are created from their VPC's page.")
        .block(q.filter(&base, &lifecycle_states(), filter_error))
        .block(render(&t))
        .block(q.pager(&base, items.len(), next.as_deref()))
        .respond()
}

async fn subnet_page(
    st: &AppState,
    s: &Session,
    project: &str,
    id: &str,
    problem: Option<(StatusCode, String)>,
) -> PageResult {
    let (l, _) = Layout::project(st, s, project, "subnets").await?;
    let n = st.engine.subnet_get(&s.ctx, project, None, id).await?;
    let base = l.base();
    let mut f = Fields::new("subnet-fields").live();
    f.add_state(n.state.as_str(), n.state_reason.as_deref());
    f.add("ID", Cell::mono(n.id.to_string()));
    f.add("VPC", Cell::link(&n.vpc, format!("{base}/vpcs/{}", enc(&n.vpc))));
    f.add("CIDR", Cell::mono(&n.cidr));
    f.add("Zone", Cell::text(&n.zone));
    f.add("Created", Cell::time(Some(&n.created_at)));
    f.add("Operation", operation_cell(&base, n.operation_id));
    let can_manage = l.can_manage();
    let mut page = Page::new(l, format!("Subnet {}", n.name))
        .crumb("VPCs", format!("{base}/vpcs"))
        .crumb(n.vpc.clone(), format!("{base}/vpcs/{}", enc(&n.vpc)))
        .at(format!("{base}/subnets/{}", n.id))
        .block(render(&f));
    if can_manage {
        let mut c =
            Confirm::new("delete-subnet", format!("{base}/subnets/{}/delete", n.id), &s.csrf, &n.name, "Delete subnet")
                .explain("Delete its instances first.")
                .disabled(not_deletable("subnet", n.state, n.operation_id.is_some()));
        if let Some((code, text)) = problem {
            c.error = Some(text.clone());
            page = page.error(code, text);
        }
        page = page.block(render(&c));
    }
    page.respond()
}

pub async fn subnet_detail(
    State(st): State<AppState>,
    s: Session,
    Path((project, id)): Path<(String, String)>,
) -> PageResult {
    subnet_page(&st, &s, &project, &id, None).await
}

pub async fn subnet_delete(
    State(st): State<AppState>,
    Path((project, id)): Path<(String, String)>,
    p: Posted,
) -> PageResult {
    let n = st.engine.subnet_get(&p.session.ctx, &project, None, &id).await?;
    let r = match confirmed(&p.form, &n.name) {
        Ok(()) => st.engine.subnet_delete(&p.session.ctx, &project, None, &id).await.map(|_| ()),
        Err(text) => Err(Error::invalid("confirm_name", text)),
    };
    match r {
        Ok(()) => see_other(format!("/projects/{}/vpcs/{}", enc(&project), enc(&n.vpc))),
        Err(e @ Error::Unauthenticated(_)) => Err(e.into()),
        Err(e) => subnet_page(&st, &p.session, &project, &id, Some((status(&e), crate::error::message_of(&e)))).await,
    }
}
