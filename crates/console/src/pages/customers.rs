//! A reseller's customers with their quotas, and (for the reseller's admins) creating one.

use crate::AppState;
use crate::error::PageResult;
use crate::forms::FormState;
use crate::page::{Layout, Page, enc, see_other};
use crate::pages::{form_state, fresh};
use crate::session::{Posted, Session};
use crate::view::{Cell, Field, Form, Table, render};
use axum::extract::{Path, State};
use axum::http::StatusCode;
use gureum_api_types::{QuotaLine, TenantCreate};

fn quota_cell(l: QuotaLine) -> Cell {
    Cell::text(match l.limit {
        Some(limit) => format!("{} of {limit}", l.used),
        None => format!("{} (no limit)", l.used),
    })
}

async fn customers_page(st: &AppState, s: &Session, reseller: &str, state: FormState, code: StatusCode) -> PageResult {
    let l = Layout::global(st, s, "resellers").await?;
    let customers = st.engine.customer_list(&s.ctx, reseller, Some(1000), None).await?;
    let mut t = Table::new("customers", &["Name", "vCPUs", "Memory (MiB)", "Instances", "Volume GB", "Created"])
        .empty("This reseller has no customers yet.");
    for c in &customers.items {
        let q = st.engine.customer_quota_get(&s.ctx, reseller, &c.name).await?;
        t.row(vec![
            Cell::text(&c.name),
            quota_cell(q.vcpus),
            quota_cell(q.memory_mib),
            quota_cell(q.instances),
            quota_cell(q.volume_gb),
            Cell::age(&c.created_at),
        ]);
    }
    let mut page = Page::new(l, format!("Customers of {reseller}")).block(render(&t));
    page.status = code.as_u16();
    let (tenancy, r) = st.engine.reseller_for(&s.ctx, reseller, false).await?;
    if tenancy.administers_reseller(r.id) {
        let form =
            Form::new("create-customer", format!("/resellers/{}/customers", enc(reseller)), &s.csrf, "Create customer")
                .title("Create a customer")
                .field(Field::text("name", "Name").required())
                .field(Field::text("description", "Description"))
                .with_state(&state);
        page = page.block(render(&form));
    }
    page.respond()
}

pub async fn list(State(st): State<AppState>, Path(reseller): Path<String>, s: Session) -> PageResult {
    customers_page(&st, &s, &reseller, fresh(), StatusCode::OK).await
}

pub async fn create(State(st): State<AppState>, Path(reseller): Path<String>, p: Posted) -> PageResult {
    let req = TenantCreate { name: p.form.get("name").into(), description: p.form.opt("description") };
    match st.engine.customer_create(&p.session.ctx, &reseller, req).await {
        Ok(_) => see_other(format!("/resellers/{}/customers", enc(&reseller))),
        Err(e) => {
            let (state, code) = form_state(&p.form, e, &["name", "description"])?;
            customers_page(&st, &p.session, &reseller, state, code).await
        }
    }
}
