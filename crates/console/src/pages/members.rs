//! Project members and their roles (admin / member / reader).

use crate::AppState;
use crate::error::PageResult;
use crate::forms::FormState;
use crate::page::{Layout, Page, enc, see_other};
use crate::pages::{confirmed, form_state, fresh};
use crate::session::{Posted, Session};
use crate::view::{Cell, Field, Form, InlineButton, Para, Table, options, render};
use axum::extract::{Path, State};
use axum::http::StatusCode;
use gureum_api_types::{MemberSet, Role};
use gureum_engine::Error;
use gureum_model::authz::Permission;

async fn members_page(st: &AppState, s: &Session, project: &str, state: FormState, code: StatusCode) -> PageResult {
    let (l, _) = Layout::project(st, s, project, "members").await?;
    let members = st.engine.member_list(&s.ctx, project).await?;
    let base = format!("{}/members", l.base());
    let may = l.may(Permission::ManageMembers);
    let cols: &[&str] = if may { &["User", "Role", "Since", ""] } else { &["User", "Role", "Since"] };
    let mut t = Table::new("members", cols).empty("No members.");
    for m in &members {
        let mut row = vec![Cell::text(&m.user), Cell::text(m.role.as_str()), Cell::age(&m.created_at)];
        if may {
            row.push(Cell::html(render(&InlineButton {
                action: format!("{base}/{}/delete", enc(&m.user)),
                csrf: s.csrf.clone(),
                label: "Remove".into(),
                hidden: vec![],
                danger: true,
                aria_label: format!("Remove {} from the project", m.user),
                confirm: Some(m.user.clone()),
            })));
        }
        t.row(row);
    }
    let mut page = Page::new(l, "Members").block(render(&t));
    page.status = code.as_u16();
    page = page.block(Para::note(
        "Admins manage members and public IPs; members manage instances, volumes, images, key pairs and networks; readers only look.",
    ));
    if may {
        let form = Form::new("set-member", base, &s.csrf, "Save")
            .title("Add a member or change a role")
            .inline()
            .field(Field::text("user", "User name").required())
            .field(Field::select("role", "Role", options(Role::ALL.iter().map(|r| r.as_str()))).value("member"))
            .with_state(&state);
        page = page.block(render(&form));
    }
    page.respond()
}

pub async fn list(State(st): State<AppState>, s: Session, Path(project): Path<String>) -> PageResult {
    members_page(&st, &s, &project, fresh(), StatusCode::OK).await
}

pub async fn set(State(st): State<AppState>, Path(project): Path<String>, p: Posted) -> PageResult {
    let r = match Role::parse(p.form.get("role")) {
        Some(role) => st.engine.member_set(&p.session.ctx, &project, p.form.get("user"), MemberSet { role }).await,
        None => Err(Error::invalid("role", format!("must be one of {}", Role::spellings()))),
    };
    let r = match r {
        Err(Error::NotFound { kind: "user", key }) => Err(Error::invalid("user", format!("no user named {key:?}"))),
        other => other,
    };
    match r {
        Ok(_) => see_other(format!("/projects/{}/members", enc(&project))),
        Err(e) => {
            let (state, code) = form_state(&p.form, e, &["user", "role"])?;
            members_page(&st, &p.session, &project, state, code).await
        }
    }
}

pub async fn delete(
    State(st): State<AppState>,
    Path((project, user)): Path<(String, String)>,
    p: Posted,
) -> PageResult {
    let r = match confirmed(&p.form, &user) {
        Ok(()) => st.engine.member_delete(&p.session.ctx, &project, &user).await,
        Err(text) => Err(Error::invalid("confirm_name", text)),
    };
    match r {
        Ok(()) => see_other(format!("/projects/{}/members", enc(&project))),
        Err(e @ (Error::Unauthenticated(_) | Error::Internal(_))) => Err(e.into()),
        Err(e) => {
            let state = FormState { general: Some(crate::error::message_of(&e)), ..Default::default() };
            members_page(&st, &p.session, &project, state, crate::error::status_of(&e)).await
        }
    }
}
