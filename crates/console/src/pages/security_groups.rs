//! Security groups and their rules.

use crate::AppState;
use crate::error::PageResult;
use crate::forms::{FormData, FormState};
use crate::list::ListParams;
use crate::page::{Layout, Page, enc, see_other};
use crate::pages::{confirmed, form_state, fresh, operation_cell, status};
use crate::session::{Posted, Session};
use crate::view::{Cell, Confirm, Field, Fields, Form, InlineButton, Table, options, render};
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use gureum_api_types::{Direction, LifecycleState, ListQuery, Protocol, SecurityGroupCreate, SecurityGroupRuleCreate};
use gureum_engine::Error;

const RULE_FIELDS: &[&str] = &["direction", "protocol", "port_from", "port_to", "remote_cidr"];

pub async fn list(
    State(st): State<AppState>,
    s: Session,
    Path(project): Path<String>,
    Query(q): Query<ListParams>,
) -> PageResult {
    let (l, _) = Layout::project(&st, &s, &project, "security-groups").await?;
    let pbase = l.base();
    let base = format!("{pbase}/security-groups");
    let (items, next, filter_error) = match st.engine.security_group_list(&s.ctx, &project, &q.query()).await {
        Ok(p) => (p.items, p.next_cursor, None),
        Err(Error::Invalid(fe)) => (vec![], None, Some(format!("{}: {}", fe.field, fe.rule))),
        Err(e) => return Err(e.into()),
    };
    let mut t = Table::new("security-groups", &["Name", "State", "VPC", "Rules", "Description", "Age"])
        .live()
        .empty("No security groups match.");
    for g in &items {
        t.row(vec![
            Cell::link(&g.name, format!("{base}/{}", g.id)),
            Cell::state(g.state.as_str(), g.state_reason.as_deref()),
            Cell::link(&g.vpc, format!("{pbase}/vpcs/{}", enc(&g.vpc))),
            Cell::num(g.rules.len() as i64, g.rules.len().to_string()),
            Cell::text(&g.description),
            Cell::age(&g.created_at),
        ]);
    }
    q.sort(&base, &mut t, &["name", "state", "vpc", "rules", "age"]);
    let states: Vec<&str> = LifecycleState::ALL.iter().map(|s| s.as_str()).collect();
    let can_manage = l.can_manage();
    let page = Page::new(l, "Security groups").primary_if(can_manage, "Create security group", format!("{base}/new"));
    q.finish(page, &base, &states, filter_error, &t, next.as_deref())
}

async fn create_form(st: &AppState, s: &Session, project: &str, state: FormState, code: StatusCode) -> PageResult {
    let (l, _) = Layout::project(st, s, project, "security-groups").await?;
    if !l.can_manage() {
        return Err(Error::Forbidden(format!("your role in project {project} may not create security groups")).into());
    }
    let vpcs = st.engine.vpc_list(&s.ctx, project, &ListQuery { limit: Some(1000), ..Default::default() }).await?.items;
    let base = format!("{}/security-groups", l.base());
    let form = Form::new("create-security-group", base.clone(), &s.csrf, "Create security group")
        .field(Field::text("name", "Name").required())
        .field(Field::select(
            "vpc",
            "VPC",
            vpcs.iter().map(|v| (v.name.clone(), format!("{} ({})", v.name, v.cidr))).collect(),
        ))
        .field(Field::text("description", "Description"))
        .cancel(base.clone())
        .with_state(&state);
    let mut page = Page::new(l, "Create security group").crumb("Security groups", base);
    page.status = code.as_u16();
    if vpcs.is_empty() {
        page = page.info("This project has no VPC yet: create one first.");
    }
    page.block(render(&form)).respond()
}

pub async fn new(State(st): State<AppState>, s: Session, Path(project): Path<String>) -> PageResult {
    create_form(&st, &s, &project, fresh(), StatusCode::OK).await
}

pub async fn create(State(st): State<AppState>, Path(project): Path<String>, p: Posted) -> PageResult {
    let f = &p.form;
    let req =
        SecurityGroupCreate { name: f.get("name").into(), vpc: f.get("vpc").into(), description: f.opt("description") };
    match st.engine.security_group_create(&p.session.ctx, &project, req).await {
        Ok(g) => see_other(format!("/projects/{}/security-groups/{}", enc(&project), g.id)),
        Err(e) => {
            let (state, code) = form_state(&p.form, e, &["name", "vpc", "description"])?;
            create_form(&st, &p.session, &project, state, code).await
        }
    }
}

#[derive(Default)]
struct Problem {
    rule_form: Option<(FormState, StatusCode)>,
    other: Option<(StatusCode, String)>,
}

async fn detail_page(st: &AppState, s: &Session, project: &str, id: &str, problem: Problem) -> PageResult {
    let (l, _) = Layout::project(st, s, project, "security-groups").await?;
    let g = st.engine.security_group_get(&s.ctx, project, id).await?;
    let base = l.base();
    let here = format!("{base}/security-groups/{}", g.id);
    let mut f = Fields::new("security-group-fields").live();
    f.add_state(g.state.as_str(), g.state_reason.as_deref());
    f.add("ID", Cell::mono(g.id.to_string()));
    f.add("VPC", Cell::link(&g.vpc, format!("{base}/vpcs/{}", enc(&g.vpc))));
    f.add("Description", Cell::text(if g.description.is_empty() { "–" } else { &g.description }));
    f.add("Created", Cell::time(Some(&g.created_at)));
    f.add("Operation", operation_cell(&base, g.operation_id));
    let can_manage = l.can_manage();
    let mut cols = vec!["Direction", "Protocol", "Ports", "Remote", "Applied", "State"];
    if can_manage {
        cols.push("");
    }
    let mut t = Table::new("rules", &cols).live().caption("Rules").empty("No rules: nothing is let in.");
    for r in &g.rules {
        let ports = match (r.port_from, r.port_to) {
            (Some(a), Some(b)) if a == b => a.to_string(),
            (Some(a), Some(b)) => format!("{a}–{b}"),
            _ => "all".into(),
        };
        let mut row = vec![
            Cell::text(r.direction.as_str()),
            Cell::text(r.protocol.as_str()),
            Cell::text(ports),
            Cell::mono(&r.remote_cidr),
            match &r.note {
                Some(n) => Cell::text(if r.applied { "yes" } else { "no" }).with_title(n.clone()),
                None => Cell::text(if r.applied { "yes" } else { "no" }),
            },
            Cell::state(r.state.as_str(), None),
        ];
        if can_manage {
            row.push(Cell::html(render(&InlineButton {
                action: format!("{here}/rules/{}/delete", r.id),
                csrf: s.csrf.clone(),
                label: "Remove".into(),
                hidden: vec![],
                danger: true,
                aria_label: format!("Remove rule {} {} {}", r.direction, r.protocol, r.remote_cidr),
                confirm: None,
            })));
        }
        t.row(row);
    }
    let notes: Vec<String> = g.rules.iter().filter_map(|r| r.note.clone()).collect();
    let mut page = Page::new(l, format!("Security group {}", g.name))
        .crumb("Security groups", format!("{base}/security-groups"))
        .at(&here)
        .block(render(&f))
        .block(render(&t));
    for n in notes {
        page = page.block(crate::view::Para::note(n));
    }
    if can_manage {
        let (state, code) = problem.rule_form.unwrap_or_else(|| (fresh(), StatusCode::OK));
        page.status = code.as_u16();
        let form = Form::new("add-rule", format!("{here}/rules"), &s.csrf, "Add rule")
            .title("Add a rule")
            .intro("Ports apply to tcp and udp; leave both empty for all ports, or give one port alone.")
            .inline()
            .field(Field::select("direction", "Direction", options(Direction::ALL.iter().map(|d| d.as_str()))))
            .field(Field::select("protocol", "Protocol", options(Protocol::ALL.iter().map(|p| p.as_str()))))
            .field(Field::number("port_from", "From port"))
            .field(Field::number("port_to", "To port"))
            .field(Field::text("remote_cidr", "Remote CIDR").placeholder("0.0.0.0/0"))
            .with_state(&state);
        let mut c =
            Confirm::new("delete-security-group", format!("{here}/delete"), &s.csrf, &g.name, "Delete security group")
                .explain("Instances using the group must be deleted first.")
                .disabled((!g.state.deletable() || g.operation_id.is_some()).then(|| {
                    format!(
                        "cannot delete while the security group is {}{}",
                        g.state,
                        if g.operation_id.is_some() { " with an operation in progress" } else { "" }
                    )
                }));
        if let Some((code, text)) = problem.other {
            c.error = Some(text.clone());
            page = page.error(code, text);
        }
        page = page.block(render(&form)).block(render(&c));
    } else {
        page = page.block(crate::view::Para::note(super::READ_ONLY));
    }
    page.respond()
}

pub async fn detail(State(st): State<AppState>, s: Session, Path((project, id)): Path<(String, String)>) -> PageResult {
    detail_page(&st, &s, &project, &id, Problem::default()).await
}

fn rule_request(f: &FormData) -> Result<SecurityGroupRuleCreate, Error> {
    let direction = Direction::parse(f.get("direction"))
        .ok_or_else(|| Error::invalid("direction", format!("must be one of {}", Direction::spellings())))?;
    let protocol = Protocol::parse(f.get("protocol"))
        .ok_or_else(|| Error::invalid("protocol", format!("must be one of {}", Protocol::spellings())))?;
    Ok(SecurityGroupRuleCreate {
        direction,
        protocol,
        port_from: f.int("port_from")?,
        port_to: f.int("port_to")?,
        remote_cidr: f.opt("remote_cidr"),
    })
}

pub async fn rule_create(
    State(st): State<AppState>,
    Path((project, id)): Path<(String, String)>,
    p: Posted,
) -> PageResult {
    let r = match rule_request(&p.form) {
        Ok(req) => st.engine.security_group_rule_create(&p.session.ctx, &project, &id, req).await.map(|_| ()),
        Err(e) => Err(e),
    };
    match r {
        Ok(()) => see_other(format!("/projects/{}/security-groups/{id}", enc(&project))),
        Err(e) => {
            let form = form_state(&p.form, e, RULE_FIELDS)?;
            detail_page(&st, &p.session, &project, &id, Problem { rule_form: Some(form), ..Default::default() }).await
        }
    }
}

pub async fn rule_delete(
    State(st): State<AppState>,
    Path((project, id, rule)): Path<(String, String, String)>,
    p: Posted,
) -> PageResult {
    match st.engine.security_group_rule_delete(&p.session.ctx, &project, &id, &rule).await {
        Ok(_) => see_other(format!("/projects/{}/security-groups/{id}", enc(&project))),
        Err(e @ Error::Unauthenticated(_)) => Err(e.into()),
        Err(e) => {
            let problem = Problem { other: Some((status(&e), crate::error::message_of(&e))), ..Default::default() };
            detail_page(&st, &p.session, &project, &id, problem).await
        }
    }
}

pub async fn delete(State(st): State<AppState>, Path((project, id)): Path<(String, String)>, p: Posted) -> PageResult {
    let g = st.engine.security_group_get(&p.session.ctx, &project, &id).await?;
    let r = match confirmed(&p.form, &g.name) {
        Ok(()) => st.engine.security_group_delete(&p.session.ctx, &project, &id).await.map(|_| ()),
        Err(text) => Err(Error::invalid("confirm_name", text)),
    };
    match r {
        Ok(()) => see_other(format!("/projects/{}/security-groups", enc(&project))),
        Err(e @ Error::Unauthenticated(_)) => Err(e.into()),
        Err(e) => {
            let problem = Problem { other: Some((status(&e), crate::error::message_of(&e))), ..Default::default() };
            detail_page(&st, &p.session, &project, &id, problem).await
        }
    }
}
