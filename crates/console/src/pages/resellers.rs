//! Resellers: the list (all for system administrators, their own for reseller and
//! customer admins) and, for system administrators, creating one.

use crate::AppState;
use crate::error::PageResult;
use crate::forms::FormState;
use crate::page::{Layout, Page, enc, see_other};
use crate::pages::{form_state, fresh};
use crate::session::{Posted, Session};
use crate::view::{Cell, Field, Form, Table, render};
use axum::extract::State;
use axum::http::StatusCode;
use gureum_api_types::TenantCreate;

async fn resellers_page(st: &AppState, s: &Session, state: FormState, code: StatusCode) -> PageResult {
    let l = Layout::global(st, s, "resellers").await?;
    let resellers = st.engine.reseller_list(&s.ctx, Some(1000), None).await?;
    let mut t = Table::new("resellers", &["Name", "Description", "Created"]).empty("You administer no reseller.");
    for r in &resellers.items {
        t.row(vec![
            Cell::link(&r.name, format!("/resellers/{}/customers", enc(&r.name))),
            Cell::text(&r.description),
            Cell::age(&r.created_at),
        ]);
    }
    let mut page = Page::new(l, "Resellers").block(render(&t));
    page.status = code.as_u16();
    if s.ctx.is_admin {
        let form = Form::new("create-reseller", "/resellers", &s.csrf, "Create reseller")
            .title("Create a reseller")
            .field(Field::text("name", "Name").required())
            .field(Field::text("description", "Description"))
            .with_state(&state);
        page = page.block(render(&form));
    }
    page.respond()
}

pub async fn list(State(st): State<AppState>, s: Session) -> PageResult {
    resellers_page(&st, &s, fresh(), StatusCode::OK).await
}

pub async fn create(State(st): State<AppState>, p: Posted) -> PageResult {
    let req = TenantCreate { name: p.form.get("name").into(), description: p.form.opt("description") };
    match st.engine.reseller_create(&p.session.ctx, req).await {
        Ok(r) => see_other(format!("/resellers/{}/customers", enc(&r.name))),
        Err(e) => {
            let (state, code) = form_state(&p.form, e, &["name", "description"])?;
            resellers_page(&st, &p.session, state, code).await
        }
    }
}
