//! The projects the user can see, and (for system administrators and tenancy admins)
//! creating one in their own reseller and customer by default.

use crate::AppState;
use crate::error::PageResult;
use crate::forms::FormState;
use crate::page::{Layout, Page, enc, see_other};
use crate::pages::{form_state, fresh};
use crate::session::{Posted, Session};
use crate::view::{Cell, Field, Form, Table, render};
use axum::extract::State;
use axum::http::StatusCode;
use gureum_api_types::{ProjectCreate, TenancyRole};

async fn projects_page(st: &AppState, s: &Session, state: FormState, code: StatusCode) -> PageResult {
    let l = Layout::global(st, s, "projects").await?;
    let projects = st.engine.project_list(&s.ctx, Some(1000), None).await?;
    let mut t = Table::new("projects", &["Name", "Your role", "Reseller", "Customer", "Description", "Created"])
        .empty("You are not a member of any project yet.");
    for p in &projects.items {
        t.row(vec![
            Cell::link(&p.name, format!("/projects/{}/instances", enc(&p.name))),
            Cell::text(p.role.as_str()),
            Cell::text(&p.reseller),
            Cell::text(&p.customer),
            Cell::text(&p.description),
            Cell::age(&p.created_at),
        ]);
    }
    let mut page = Page::new(l, "Projects").block(render(&t));
    page.status = code.as_u16();
    let me = st.engine.me(&s.ctx).await?.user;
    if s.ctx.is_admin || me.tenancy_role != TenancyRole::None {
        // Preselected: the caller's own reseller and customer.
        let form = Form::new("create-project", "/projects", &s.csrf, "Create project")
            .title("Create a project")
            .field(Field::text("name", "Name").required())
            .field(Field::text("description", "Description"))
            .field(Field::text("reseller", "Reseller").value(me.reseller))
            .field(Field::text("customer", "Customer").value(me.customer))
            .with_state(&state);
        page = page.block(render(&form));
    }
    page.respond()
}

pub async fn list(State(st): State<AppState>, s: Session) -> PageResult {
    projects_page(&st, &s, fresh(), StatusCode::OK).await
}

pub async fn create(State(st): State<AppState>, p: Posted) -> PageResult {
    let f = &p.form;
    let req = ProjectCreate {
        name: f.get("name").into(),
        description: f.opt("description"),
        reseller: f.opt("reseller"),
        customer: f.opt("customer"),
    };
    match st.engine.project_create(&p.session.ctx, req).await {
        Ok(pr) => see_other(format!("/projects/{}/instances", enc(&pr.name))),
        Err(e) => {
            let (state, code) = form_state(&p.form, e, &["name", "description", "reseller", "customer"])?;
            projects_page(&st, &p.session, state, code).await
        }
    }
}
