//! Users (system administrators and tenancy admins, in their subtree) and the signed-in
//! user's own password.

use crate::AppState;
use crate::error::PageResult;
use crate::forms::FormState;
use crate::page::{Layout, Page, see_other};
use crate::pages::{form_state, fresh};
use crate::session::{Posted, Session};
use crate::view::{Cell, Field, Fields, Form, Table, render};
use axum::extract::{Path, State};
use axum::http::StatusCode;
use gureum_api_types::{PasswordSet, TenancyRole, UserCreate};
use gureum_engine::Error;

async fn users_page(
    st: &AppState,
    s: &Session,
    create: FormState,
    password: FormState,
    code: StatusCode,
) -> PageResult {
    let l = Layout::global(st, s, "users").await?;
    let users = st.engine.user_list(&s.ctx, Some(1000), None).await?.items;
    let me = st.engine.me(&s.ctx).await?.user;
    let mut t = Table::new(
        "users",
        &["Name", "System admin", "Reseller", "Customer", "Tenancy role", "Console password", "Created"],
    );
    for u in &users {
        t.row(vec![
            Cell::text(&u.name),
            Cell::text(if u.is_admin { "yes" } else { "no" }),
            Cell::text(&u.reseller),
            Cell::text(&u.customer),
            Cell::text(u.tenancy_role.as_str()),
            Cell::text(if u.has_password { "set" } else { "not set" }),
            Cell::age(&u.created_at),
        ]);
    }
    let create_form = Form::new("create-user", "/users", &s.csrf, "Create user")
        .title("Create a user")
        .field(Field::text("name", "Name").required())
        .field(
            Field::new("password", "password", "Password")
                .help("At least 12 characters; leave empty for an API-only user."),
        )
        .field(Field::new("checkbox", "is_admin", "System administrator"))
        // Preselected: the caller's own reseller and customer.
        .field(Field::text("reseller", "Reseller").value(me.reseller))
        .field(Field::text("customer", "Customer").value(me.customer))
        .field(Field::select(
            "tenancy_role",
            "Tenancy role",
            crate::view::options(TenancyRole::ALL.iter().map(|r| r.as_str())),
        ))
        .with_state(&create);
    let names: Vec<String> = users.iter().map(|u| u.name.clone()).collect();
    let password_form = Form::new("set-password", "/users/-/password", &s.csrf, "Set password")
        .title("Set a user's password")
        .field(Field::select("user", "User", crate::view::options(names)))
        .field(Field::new("password", "password", "New password").required())
        .with_state(&password);
    let mut page = Page::new(l, "Users").block(render(&t)).block(render(&create_form)).block(render(&password_form));
    page.status = code.as_u16();
    page.respond()
}

pub async fn list(State(st): State<AppState>, s: Session) -> PageResult {
    users_page(&st, &s, fresh(), fresh(), StatusCode::OK).await
}

pub async fn create(State(st): State<AppState>, p: Posted) -> PageResult {
    let f = &p.form;
    let req = UserCreate {
        name: f.get("name").into(),
        password: f.opt("password"),
        is_admin: f.checked("is_admin"),
        reseller: f.opt("reseller"),
        customer: f.opt("customer"),
        tenancy_role: match f.opt("tenancy_role") {
            None => None,
            Some(r) => match TenancyRole::parse(&r) {
                Some(role) => Some(role),
                None => {
                    let e = Error::invalid("tenancy_role", format!("must be one of {}", TenancyRole::spellings()));
                    let (state, code) = form_state(&p.form, e, &["tenancy_role"])?;
                    return users_page(&st, &p.session, state, fresh(), code).await;
                }
            },
        },
    };
    match st.engine.user_create(&p.session.ctx, req).await {
        Ok(_) => see_other("/users"),
        Err(e) => {
            let (state, code) =
                form_state(&p.form, e, &["name", "password", "is_admin", "reseller", "customer", "tenancy_role"])?;
            users_page(&st, &p.session, state, fresh(), code).await
        }
    }
}

pub async fn set_password(State(st): State<AppState>, Path(_user): Path<String>, p: Posted) -> PageResult {
    let user = p.form.get("user").to_string();
    match st
        .engine
        .user_set_password(&p.session.ctx, &user, PasswordSet { password: p.form.get("password").into() })
        .await
    {
        Ok(_) => see_other("/users"),
        Err(e) => {
            let (state, code) = form_state(&p.form, e, &["user", "password"])?;
            users_page(&st, &p.session, fresh(), state, code).await
        }
    }
}

async fn account_page(st: &AppState, s: &Session, state: FormState, code: StatusCode, done: bool) -> PageResult {
    let l = Layout::global(st, s, "account").await?;
    let me = st.engine.me(&s.ctx).await?;
    let mut f = Fields::new("me");
    f.add("User", Cell::text(&me.user.name));
    f.add("System administrator", Cell::text(if me.user.is_admin { "yes" } else { "no" }));
    let roles: Vec<String> = me.projects.iter().map(|p| format!("{} ({})", p.name, p.role)).collect();
    f.add("Projects", Cell::text(if roles.is_empty() { "none".into() } else { roles.join(", ") }));
    let form = Form::new("change-password", "/account", &s.csrf, "Change password")
        .title("Change your password")
        .field(Field::new("password", "password", "New password").required().help("At least 12 characters."))
        .with_state(&state);
    let mut page = Page::new(l, "My account").block(render(&f)).block(render(&form));
    page.status = code.as_u16();
    if done {
        page = page.info("Your password was changed.");
    }
    page.respond()
}

pub async fn account(State(st): State<AppState>, s: Session) -> PageResult {
    account_page(&st, &s, fresh(), StatusCode::OK, false).await
}

pub async fn account_password(State(st): State<AppState>, p: Posted) -> PageResult {
    let me = p.session.ctx.user_id.to_string();
    match st
        .engine
        .user_set_password(&p.session.ctx, &me, PasswordSet { password: p.form.get("password").into() })
        .await
    {
        Ok(_) => account_page(&st, &p.session, fresh(), StatusCode::OK, true).await,
        Err(e @ Error::Unauthenticated(_)) => Err(e.into()),
        Err(e) => {
            let (state, code) = form_state(&p.form, e, &["password"])?;
            account_page(&st, &p.session, state, code, false).await
        }
    }
}
