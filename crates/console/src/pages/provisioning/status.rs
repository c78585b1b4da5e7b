//! Provisionings: the status list and a provisioning's page followed live, its
//! installation info, and return and status delete confirmed by typing its name.

use super::history::HistoryParams;
use super::provisionings;
use crate::AppState;
use crate::error::{PageResult, message_of};
use crate::list::ListParams;
use crate::page::{Layout, Page, enc, see_other};
use crate::pages::{READ_ONLY, confirmed, operation_cell, refusal, status};
use crate::session::{Posted, Session};
use crate::view::{Cell, Confirm, Fields, Para, Table, render};
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use gureum_api_types::{Provisioning, ProvisioningAction, ProvisioningConfirm, ProvisioningState, StackResource};
use gureum_engine::Error;
use gureum_model::authz::Permission;

fn progress(p: &Provisioning) -> Cell {
    Cell::num(p.progress.ready as i64, format!("{}/{} ready", p.progress.ready, p.progress.total))
}

pub async fn list(
    State(st): State<AppState>,
    s: Session,
    Path(project): Path<String>,
    Query(q): Query<ListParams>,
) -> PageResult {
    let (l, _) = Layout::project(&st, &s, &project, "provisionings").await?;
    let base = provisionings(&project);
    let lib = format!("{}/library", l.base());
    let (items, next, filter_error) = match st.engine.provisioning_list(&s.ctx, &project, &q.query()).await {
        Ok(p) => (p.items, p.next_cursor, None),
        Err(Error::Invalid(fe)) => (vec![], None, Some(format!("{}: {}", fe.field, fe.rule))),
        Err(e) => return Err(e.into()),
    };
    let mut t = Table::new("provisionings", &["Name", "Template", "State", "Progress", "Executed", "User"])
        .live()
        .empty("No provisionings match.");
    for p in &items {
        t.row(vec![
            Cell::link(&p.name, format!("{base}/{}", p.id)),
            Cell::link(format!("{} {}", p.template, p.template_version), format!("{lib}/{}", enc(&p.template))),
            Cell::state(p.state.as_str(), p.state_reason.as_deref()),
            progress(p),
            Cell::time(Some(&p.executed_at)),
            Cell::opt(p.user.clone()),
        ]);
    }
    q.sort(&base, &mut t, &["name", "template", "state", "executed", "user"]);
    let states: Vec<&str> = ProvisioningState::ALL.iter().map(|s| s.as_str()).collect();
    let can_manage = l.can_manage();
    let page = Page::new(l, "Provisionings").primary_if(can_manage, "Execute a template", lib);
    q.finish(page, &base, &states, filter_error, &t, next.as_deref())
}

/// The resources of a stack with their states.
fn resources_table(id: &str, rows: &[StackResource], live: bool) -> Table {
    let mut t =
        Table::new(id, &["Key", "Kind", "Name", "State", "Resource state", "Provider ID", "Started", "Finished"])
            .caption("Resources")
            .empty("No resources yet.");
    t.live = live;
    for r in rows {
        t.row(vec![
            Cell::mono(&r.key),
            Cell::text(r.kind.as_str()),
            Cell::text(&r.name),
            Cell::state(r.state.as_str(), r.state_reason.as_deref()),
            Cell::opt(r.resource_state.clone()),
            Cell::opt(r.provider_id.clone()).with_title("the provider's id, to remove it by hand if a return failed"),
            Cell::time(r.started_at.as_deref()),
            Cell::time(r.finished_at.as_deref()),
        ]);
    }
    t
}

/// A refused return or delete, shown on its confirmation.
struct Problem {
    code: StatusCode,
    text: String,
    /// `return` or `delete`: which confirmation it belongs to.
    action: ProvisioningAction,
}

async fn detail_page(st: &AppState, s: &Session, project: &str, id: &str, problem: Option<Problem>) -> PageResult {
    let (l, _) = Layout::project(st, s, project, "provisionings").await?;
    let p = st.engine.provisioning_get(&s.ctx, project, id).await?;
    let base = l.base();
    let here = format!("{}/{}", provisionings(project), p.id);
    let mut f = Fields::new("provisioning-fields").live();
    f.add_state(p.state.as_str(), p.state_reason.as_deref());
    f.add("Progress", progress(&p));
    f.add(
        "Template",
        Cell::link(format!("{} {}", p.template, p.template_version), format!("{base}/library/{}", enc(&p.template))),
    );
    f.add("Connection", Cell::text(&p.connection));
    f.add("On failure", Cell::text(p.on_failure.as_str()));
    f.add("Executed", Cell::time(Some(&p.executed_at)));
    f.add("Finished", Cell::time(p.finished_at.as_deref()));
    f.add("User", Cell::opt(p.user.clone()));
    f.add("Operation", operation_cell(&base, p.operation_id));
    f.add("Parameters", Cell::mono(p.parameters.to_string()));
    let can_manage = l.can_manage();
    let mut page = Page::new(l, format!("Provisioning {}", p.name))
        .crumb("Provisionings", provisionings(project))
        .at(&here)
        .block(render(&f))
        .block(render(&resources_table("provisioning-resources", &p.resources, true)))
        .block(Para::link("", "Installation info", format!("{here}/info")))
        .block(Para::link(
            "",
            "History",
            HistoryParams::of(&p.name).href(&format!("{base}/provisioning-history"), None, None),
        ));
    if can_manage {
        let busy = p.operation_id.map(|_| format!("provisioning {} is {}; wait until it ends", p.name, p.state));
        let mut ret =
            Confirm::new("return-provisioning", format!("{here}/return"), &s.csrf, &p.name, "Return resources")
                .explain("Deletes every resource of the provisioning, in reverse order. Its status and history stay.")
                .disabled(busy.or(refusal(p.state.check(ProvisioningAction::Return)).err()));
        let mut del = Confirm::new("delete-provisioning", format!("{here}/delete"), &s.csrf, &p.name, "Delete status")
            .explain("Removes the provisioning from the list; its history stays.");
        del.title = "Delete status".into();
        for (c, action) in [(&mut ret, ProvisioningAction::Return), (&mut del, ProvisioningAction::Delete)] {
            c.error = problem.as_ref().filter(|pr| pr.action == action).map(|pr| pr.text.clone());
        }
        page = page.block(render(&ret));
        // Only offered once there is nothing left to return.
        if p.state.check(ProvisioningAction::Delete).is_ok() {
            page = page.block(render(&del));
        }
    } else {
        page = page.block(Para::note(READ_ONLY));
    }
    if let Some(pr) = problem {
        page = page.error(pr.code, pr.text);
    }
    page.respond()
}

pub async fn detail(State(st): State<AppState>, s: Session, Path((project, id)): Path<(String, String)>) -> PageResult {
    detail_page(&st, &s, &project, &id, None).await
}

pub async fn info(State(st): State<AppState>, s: Session, Path((project, id)): Path<(String, String)>) -> PageResult {
    let (l, _) = Layout::project(&st, &s, &project, "provisionings").await?;
    let p = st.engine.provisioning_get(&s.ctx, &project, &id).await?;
    let i = st.engine.provisioning_info(&s.ctx, &project, &id).await?;
    let may_see_credentials = l.may(Permission::ViewCredentials);
    let here = format!("{}/{}", provisionings(&project), p.id);
    let mut access = Table::new("installation-access", &["Name", "URL", "Address", "Port", "Instance"])
        .caption("Access")
        .empty("Nothing to reach yet: the access URLs come once it is Provisioned.");
    for a in &i.access {
        access.row(vec![
            Cell::text(&a.name),
            Cell::link(&a.url, &a.url),
            Cell::mono(&a.address),
            Cell::num(a.port.into(), a.port.to_string()),
            Cell::text(&a.instance),
        ]);
    }
    let mut page = Page::new(l, format!("Installation info of {}", p.name))
        .crumb("Provisionings", provisionings(&project))
        .crumb(&p.name, &here)
        .block(render(&access));
    // By role rather than `credentials_hidden`, which is set only when there are some: a
    // reader never gets the credentials table.
    if !may_see_credentials {
        page = page.block(Para::note("The initial credentials are shown to the project's admins and members only."));
    } else {
        let mut creds = Table::new("installation-credentials", &["Name", "Value"])
            .caption("Initial credentials")
            .empty("No credentials.");
        for c in &i.credentials {
            creds.row(vec![Cell::text(&c.name), Cell::mono(&c.value)]);
        }
        page = page.block(render(&creds));
    }
    page.block(render(&resources_table("installation-resources", &i.resources, false))).respond()
}

/// Return and delete: the typed name first (checked here and by the engine).
async fn confirm_then(st: &AppState, project: &str, id: &str, p: Posted, action: ProvisioningAction) -> PageResult {
    let (e, ctx) = (&st.engine, &p.session.ctx);
    let prov = e.provisioning_get(ctx, project, id).await?;
    let outcome = match confirmed(&p.form, &prov.name) {
        Err(text) => Err(Problem { code: StatusCode::BAD_REQUEST, text, action }),
        Ok(()) => {
            let confirm = prov.name.clone();
            let done = match action {
                ProvisioningAction::Return => {
                    e.provisioning_return(ctx, project, id, ProvisioningConfirm { confirm }).await.map(|_| ())
                }
                ProvisioningAction::Delete => e.provisioning_delete(ctx, project, id, &confirm).await,
            };
            match done {
                Ok(()) => Ok(()),
                Err(err @ Error::Unauthenticated(_)) => return Err(err.into()),
                Err(err) => Err(Problem { code: status(&err), text: message_of(&err), action }),
            }
        }
    };
    match outcome {
        Ok(()) if action == ProvisioningAction::Delete => see_other(provisionings(project)),
        // Back to its page, which follows the return live.
        Ok(()) => see_other(format!("{}/{}", provisionings(project), prov.id)),
        Err(problem) => detail_page(st, &p.session, project, id, Some(problem)).await,
    }
}

pub async fn return_(State(st): State<AppState>, Path((project, id)): Path<(String, String)>, p: Posted) -> PageResult {
    confirm_then(&st, &project, &id, p, ProvisioningAction::Return).await
}

pub async fn delete(State(st): State<AppState>, Path((project, id)): Path<(String, String)>, p: Posted) -> PageResult {
    confirm_then(&st, &project, &id, p, ProvisioningAction::Delete).await
}
