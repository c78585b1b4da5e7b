//! VM templates: the list with each template's mode, version and state, the create form
//! (system administrators), and the detail page with the actions its mode allows (the
//! others greyed with the reason) and its events.

use crate::AppState;
use crate::error::PageResult;
use crate::forms::FormState;
use crate::page::{Layout, Page, enc, see_other};
use crate::pages::{confirmed, form_state, fresh, spelled, status};
use crate::session::{Posted, Session};
use crate::view::{Action, Actions, Cell, Confirm, Field, Fields, Form, Table, options, render};
use axum::extract::{Path, State};
use axum::http::StatusCode;
use gureum_api_types::{ClockOffset, TemplateAction, TemplateMode, VmTemplate, VmTemplateCreate, VmTemplateUpdate};
use gureum_engine::Error;
use gureum_model::pool::PoolPurpose;

const FIELDS: &[&str] = &["profile", "pool", "node", "description", "memory_mib", "disk_gb", "vcpus", "clock_offset"];

/// The template's actions with their labels, in the order the page shows them.
const ACTIONS: &[(TemplateAction, &str)] = &[
    (TemplateAction::Start, "Start"),
    (TemplateAction::Stop, "Stop"),
    (TemplateAction::Sysprep, "Sysprep"),
    (TemplateAction::Release, "Release"),
    (TemplateAction::Maintenance, "Maintenance mode"),
    (TemplateAction::DoNotUse, "Do not use"),
];

/// Whether `action` may be done now, or why not (the engine's words).
fn allowed(t: &VmTemplate, action: TemplateAction) -> Result<(), String> {
    if t.state.busy() {
        return Err(format!("the template is {}; wait until it settles", t.state));
    }
    if (t.mode, action) == (TemplateMode::ReadyForUse, TemplateAction::Start) {
        return Err("a ready_for_use template cannot be started; switch it to maintenance_mode first".into());
    }
    crate::pages::refusal(t.mode.check(action, t.state.power(t.sysprepped)))
}

async fn list_page(st: &AppState, s: &Session, create: FormState, code: StatusCode) -> PageResult {
    let l = Layout::global(st, s, "vm-templates").await?;
    let templates = st.engine.vm_template_list(&s.ctx).await?;
    let mut t = Table::new("vm-templates", &["Name", "Profile", "Pool", "Node", "Mode", "Version", "State", "VMs"]);
    t.live = true;
    for v in &templates {
        t.row(vec![
            Cell::link(&v.name, format!("/vm-templates/{}", enc(&v.name))),
            Cell::text(&v.profile),
            Cell::text(&v.pool),
            Cell::opt(v.node.clone()),
            Cell::text(v.mode.as_str()),
            Cell::num(v.version, v.version.to_string()),
            Cell::state(v.state.as_str(), v.state_reason.as_deref()),
            Cell::num(v.persistent_vms, v.persistent_vms.to_string()),
        ]);
    }
    let mut page = Page::new(l, "VM templates").block(render(&t));
    if s.ctx.is_admin {
        let profiles: Vec<String> = st.engine.vm_profile_list(&s.ctx).await?.into_iter().map(|p| p.name).collect();
        let pools = st.engine.pool_list(&s.ctx).await?;
        let template_pools: Vec<_> = pools.iter().filter(|p| p.purpose == PoolPurpose::Template).collect();
        let nodes = st.engine.node_list(&s.ctx, None).await?;
        let node_options = std::iter::once((String::new(), "placement picks one".to_string(), None))
            .chain(
                nodes
                    .iter()
                    .filter(|n| template_pools.iter().any(|p| p.name == n.pool))
                    .map(|n| (n.name.clone(), n.name.clone(), Some(n.pool.clone()))),
            )
            .collect();
        let form = Form::new("create-vm-template", "/vm-templates", &s.csrf, "Create template")
            .title("Create a VM template")
            .intro("Its name is assigned from the pool's prefix and domain; its machine boots the profile's install media.")
            .field(Field::select("profile", "Profile", options(profiles)).required())
            .field(Field::select("pool", "Template pool", options(template_pools.iter().map(|p| &p.name))).required())
            .field(Field::select("node", "Node", vec![]).depends_on("pool", node_options))
            .field(Field::text("description", "Description"))
            .field(Field::number("memory_mib", "Memory (MiB)").help("Empty: the profile's"))
            .field(Field::number("disk_gb", "Disk (GB)").help("Empty: the profile's"))
            .field(Field::number("vcpus", "vCPUs").help("Empty: the profile's"))
            .field(Field::select("clock_offset", "Clock offset", options(["", "utc", "localtime"])))
            .with_state(&create);
        page = page.block(render(&form));
    }
    page.status = code.as_u16();
    page.respond()
}

pub async fn list(State(st): State<AppState>, s: Session) -> PageResult {
    list_page(&st, &s, fresh(), StatusCode::OK).await
}

pub async fn create(State(st): State<AppState>, p: Posted) -> PageResult {
    let f = &p.form;
    let req = || -> Result<VmTemplateCreate, Error> {
        Ok(VmTemplateCreate {
            profile: f.get("profile").into(),
            pool: f.get("pool").into(),
            node: f.opt("node"),
            description: f.get("description").into(),
            memory_mib: f.int("memory_mib")?,
            disk_gb: f.int("disk_gb")?,
            vcpus: f.int("vcpus")?,
            clock_offset: spelled(f, "clock_offset", ClockOffset::parse, &ClockOffset::spellings())?,
        })
    };
    let result = match req() {
        Ok(req) => st.engine.vm_template_create(&p.session.ctx, req).await,
        Err(e) => Err(e),
    };
    match result {
        Ok(t) => see_other(format!("/vm-templates/{}", enc(&t.name))),
        Err(e) => {
            let (state, code) = form_state(f, e, FIELDS)?;
            list_page(&st, &p.session, state, code).await
        }
    }
}

async fn detail_page(st: &AppState, s: &Session, key: &str, problem: Option<(StatusCode, String, bool)>) -> PageResult {
    let l = Layout::global(st, s, "vm-templates").await?;
    let t = st.engine.vm_template_get(&s.ctx, key).await?;
    let here = format!("/vm-templates/{}", enc(&t.name));
    let mut f = Fields::new("vm-template-fields").live();
    f.add_state(t.state.as_str(), t.state_reason.as_deref());
    f.add("Mode", Cell::text(t.mode.as_str()));
    f.add("Version", Cell::text(t.version.to_string()));
    f.add("Sysprepped", Cell::text(if t.sysprepped { "yes" } else { "no" }));
    f.add("Profile", Cell::text(&t.profile));
    f.add("Operating system", Cell::text(format!("{} {} ({})", t.os_type, t.os_version, t.base_profile)));
    f.add("Install media", Cell::text(&t.install_media));
    f.add("Pool / node", Cell::text(format!("{} / {}", t.pool, t.node.as_deref().unwrap_or("–"))));
    f.add("Size", Cell::text(format!("{} vCPUs, {} MiB, {} GB", t.vcpus, t.memory_mib, t.disk_gb)));
    f.add("Clock offset", Cell::text(t.clock_offset.as_str()));
    f.add("Persistent VMs", Cell::text(t.persistent_vms.to_string()));
    f.add("Description", Cell::text(&t.description));
    let mut events = Table::new("vm-template-events", &["At", "Event"]);
    for e in t.events.iter().rev() {
        events.row(vec![Cell::time(Some(&e.at)), Cell::text(&e.message)]);
    }
    let mut page = Page::new(l, format!("VM template {}", t.name)).crumb("VM templates", "/vm-templates").at(&here);
    page = page.block(render(&f));
    if s.ctx.is_admin {
        let mut acts = Actions::new("vm-template-actions", format!("{here}/action"), &s.csrf);
        for (action, label) in ACTIONS {
            acts.push(Action::new(label, action.as_str(), allowed(&t, *action)));
        }
        let busy = t.state.busy().then(|| format!("the template is {}", t.state));
        let clones = (t.persistent_vms > 0).then(|| format!("{} persistent VMs are cloned from it", t.persistent_vms));
        let mut confirm =
            Confirm::new("delete-vm-template", format!("{here}/delete"), &s.csrf, &t.name, "Delete template")
                .explain("Its machine, disk and every version go with it.")
                .disabled(busy.or(clones));
        if let Some((_, text, on_confirm)) = &problem {
            if *on_confirm {
                confirm.error = Some(text.clone());
            } else {
                acts.error = Some(text.clone());
            }
        }
        page = page.block(render(&acts)).block(render(&confirm));
    }
    page = page.block(render(&events));
    if let Some((code, text, _)) = problem {
        page = page.error(code, text);
    }
    page.respond()
}

pub async fn detail(State(st): State<AppState>, s: Session, Path(key): Path<String>) -> PageResult {
    detail_page(&st, &s, &key, None).await
}

pub async fn action(State(st): State<AppState>, Path(key): Path<String>, p: Posted) -> PageResult {
    let (e, ctx) = (&st.engine, &p.session.ctx);
    let result = match TemplateAction::parse(p.form.get("action")) {
        Some(TemplateAction::DoNotUse) => {
            let req = VmTemplateUpdate { mode: Some(TemplateMode::DoNotUse), ..Default::default() };
            e.vm_template_update(ctx, &key, req).await
        }
        Some(TemplateAction::CreateVm) | None => Err(Error::invalid("action", "is not a template action")),
        Some(a) => e.vm_template_action(ctx, &key, a).await,
    };
    match result {
        Ok(t) => see_other(format!("/vm-templates/{}", enc(&t.name))),
        Err(Error::Unauthenticated(m)) => Err(Error::Unauthenticated(m).into()),
        Err(err) => {
            detail_page(&st, &p.session, &key, Some((status(&err), crate::error::message_of(&err), false))).await
        }
    }
}

pub async fn delete(State(st): State<AppState>, Path(key): Path<String>, p: Posted) -> PageResult {
    let t = st.engine.vm_template_get(&p.session.ctx, &key).await?;
    if let Err(text) = confirmed(&p.form, &t.name) {
        return detail_page(&st, &p.session, &key, Some((StatusCode::BAD_REQUEST, text, true))).await;
    }
    match st.engine.vm_template_delete(&p.session.ctx, &key).await {
        Ok(_) => see_other("/vm-templates"),
        Err(err) => {
            detail_page(&st, &p.session, &key, Some((status(&err), crate::error::message_of(&err), true))).await
        }
    }
}
