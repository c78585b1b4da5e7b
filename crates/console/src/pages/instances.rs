//! Instances: the list, the create form, the detail page with every action of the
//! transition table (disabled ones say why), console output, and name-confirmed delete.

use crate::AppState;
use crate::error::PageResult;
use crate::forms::{FormData, FormState};
use crate::list::ListParams;
use crate::page::{Layout, Page, see_other};
use crate::pages::{confirmed, form_state, fresh, operation_cell, refusal, status};
use crate::session::{Posted, Session};
use crate::view::{Action, Actions, Cell, Confirm, Field, Fields, Form, Pre, Table, options, render};
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use gureum_api_types::{
    Instance, InstanceAction, InstanceCreate, InstanceCreateImage, InstanceReboot, InstanceResize, InstanceState,
    ListQuery, PublicIpMode, RebootType, VolumeState,
};
use gureum_engine::Error;

const FIELDS: &[&str] = &[
    "name",
    "instance_type",
    "image",
    "subnet",
    "security_groups",
    "key_pair",
    "public_ip",
    "root_volume_size_gb",
    "volumes",
    "user_data",
];

pub async fn list(
    State(st): State<AppState>,
    s: Session,
    Path(project): Path<String>,
    Query(q): Query<ListParams>,
) -> PageResult {
    let (l, _) = Layout::project(&st, &s, &project, "instances").await?;
    let base = format!("{}/instances", l.base());
    let (items, next, filter_error) = match st.engine.instance_list(&s.ctx, &project, &q.query()).await {
        Ok(p) => (p.items, p.next_cursor, None),
        Err(Error::Invalid(fe)) => (vec![], None, Some(format!("{}: {}", fe.field, fe.rule))),
        Err(e) => return Err(e.into()),
    };
    let mut t = Table::new("instances", &["Name", "State", "Type", "Image", "Private IP", "Public IP", "Zone", "Age"])
        .live()
        .empty("No instances match.");
    for i in &items {
        t.row(vec![
            Cell::link(&i.name, format!("{base}/{}", i.id)),
            Cell::state(i.state.as_str(), i.state_reason.as_deref()),
            Cell::text(&i.instance_type),
            Cell::text(&i.image),
            Cell::opt(i.private_ip.clone()),
            Cell::opt(i.public_ip.as_ref().and_then(|p| p.address.clone())),
            Cell::text(&i.zone),
            Cell::age(&i.created_at),
        ]);
    }
    q.sort(&base, &mut t, &["name", "state", "type", "image", "private-ip", "public-ip", "age"]);
    let states: Vec<&str> = InstanceState::ALL.iter().map(|s| s.as_str()).collect();
    let can_manage = l.can_manage();
    let page = Page::new(l, "Instances").primary_if(can_manage, "Create instance", format!("{base}/new"));
    q.finish(page, &base, &states, filter_error, &t, next.as_deref())
}

/// Everything the create form offers to choose from.
async fn create_form(st: &AppState, s: &Session, project: &str, state: FormState, code: StatusCode) -> PageResult {
    let (l, _) = Layout::project(st, s, project, "instances").await?;
    if !l.can_manage() {
        return Err(Error::Forbidden(format!("your role in project {project} may not create instances")).into());
    }
    let e = &st.engine;
    let all = ListQuery { limit: Some(1000), ..Default::default() };
    let types = e.instance_type_list(&s.ctx).await?;
    let public_images = e.public_image_list(&s.ctx, &all).await?.items;
    let active = ListQuery { state: Some("Active".into()), ..all.clone() };
    let my_images = e.project_image_list(&s.ctx, project, &active);
    let subnets = e.subnet_list(&s.ctx, project, None, &all).await?.items;
    let groups = e.security_group_list(&s.ctx, project, &all).await?.items;
    let key_pairs = e.key_pair_list(&s.ctx, project, &all).await?.items;
    let volumes = e
        .volume_list(&s.ctx, project, &ListQuery { state: Some(VolumeState::Available.as_str().into()), ..all.clone() })
        .await?
        .items;
    let mut images: Vec<(String, String)> = public_images
        .iter()
        .map(|i| {
            (
                i.name.clone(),
                format!("{} ({} {}, {}–{} GB)", i.name, i.distribution, i.version, i.min_disk_gb, i.max_disk_gb),
            )
        })
        .collect();
    images.extend(my_images.await?.items.iter().map(|i| (i.name.clone(), format!("{} (my image)", i.name))));
    let base = format!("{}/instances", l.base());
    let mut key_opts = vec![(String::new(), "No key pair".to_string())];
    key_opts.extend(key_pairs.iter().map(|k| (k.name.clone(), format!("{} ({})", k.name, k.key_type))));
    let form = Form::new("create-instance", base.clone(), &s.csrf, "Create instance")
        .field(Field::text("name", "Name").required().help("Letters, digits, '-', '_' and '.'; starts with a letter."))
        .field(Field::select(
            "instance_type",
            "Instance type",
            types
                .iter()
                .map(|t| {
                    let gpu = t.gpu.as_deref().map(|g| format!(", {g}")).unwrap_or_default();
                    let label = format!(
                        "{} — {} vCPU, {}{gpu}, ${:.3}/h",
                        t.name,
                        t.vcpus,
                        crate::ui::memory(t.memory_mib),
                        t.price_per_hour
                    );
                    (t.name.clone(), label)
                })
                .collect(),
        ))
        .field(Field::select("image", "Image", images))
        .field(
            Field::select(
                "subnet",
                "Subnet",
                subnets.iter().map(|n| (n.name.clone(), format!("{} — VPC {}, {}", n.name, n.vpc, n.cidr))).collect(),
            )
            .help("The instance lives in the subnet's VPC and connection."),
        )
        .field(Field::checkboxes(
            "security_groups",
            "Security groups",
            groups.iter().map(|g| (g.name.clone(), format!("{} (VPC {})", g.name, g.vpc))).collect(),
        ))
        .field(Field::select("key_pair", "Key pair", key_opts))
        .field(
            Field::select("public_ip", "Public IP", options(["none", "ephemeral", "static"])).help(
                "Ephemeral: released when the instance stops or is deleted. Static: stays allocated until released.",
            ),
        )
        .field(
            Field::number("root_volume_size_gb", "Root volume size (GB)")
                .help("Default: the image's minimum. 1–5,120 GB, within the image's limits."),
        )
        .field(Field::checkboxes(
            "volumes",
            "Attach data volumes",
            volumes.iter().map(|v| (v.name.clone(), format!("{} ({} GB)", v.name, v.size_gb))).collect(),
        ))
        .field(Field::new("textarea", "user_data", "User data (cloud-init)").help("At most 64 KiB."))
        .cancel(base.clone())
        .with_state(&state);
    let mut page = Page::new(l, "Create instance").crumb("Instances", base);
    page.status = code.as_u16();
    if subnets.is_empty() {
        page = page.info("This project has no subnet yet: create a VPC and a subnet first.");
    }
    page.block(render(&form)).respond()
}

pub async fn new(State(st): State<AppState>, s: Session, Path(project): Path<String>) -> PageResult {
    create_form(&st, &s, &project, fresh(), StatusCode::OK).await
}

fn create_request(f: &FormData) -> Result<InstanceCreate, Error> {
    let public_ip = match f.opt("public_ip") {
        None => None,
        Some(m) => Some(
            PublicIpMode::parse(&m)
                .ok_or_else(|| Error::invalid("public_ip", format!("must be one of {}", PublicIpMode::spellings())))?,
        ),
    };
    Ok(InstanceCreate {
        name: f.get("name").into(),
        instance_type: f.get("instance_type").into(),
        image: f.get("image").into(),
        subnet: f.get("subnet").into(),
        security_groups: f.all("security_groups"),
        key_pair: f.opt("key_pair"),
        public_ip,
        volumes: f.all("volumes"),
        root_volume_size_gb: f.int("root_volume_size_gb")?,
        user_data: f.opt("user_data"),
    })
}

pub async fn create(State(st): State<AppState>, Path(project): Path<String>, p: Posted) -> PageResult {
    let result = match create_request(&p.form) {
        Ok(req) => st.engine.instance_create(&p.session.ctx, &project, req).await,
        Err(e) => Err(e),
    };
    match result {
        Ok(i) => see_other(format!("/projects/{}/instances/{}", crate::page::enc(&project), i.id)),
        Err(e) => {
            let (state, code) = form_state(&p.form, e, FIELDS)?;
            create_form(&st, &p.session, &project, state, code).await
        }
    }
}

/// The label, form value and extra input of every action button, in table order.
const ACTIONS: &[(InstanceAction, &str)] = &[
    (InstanceAction::Start, "Start"),
    (InstanceAction::Stop, "Stop"),
    (InstanceAction::SoftReboot, "Reboot"),
    (InstanceAction::HardReboot, "Hard reboot"),
    (InstanceAction::Shelve, "Shelve"),
    (InstanceAction::Unshelve, "Unshelve"),
    (InstanceAction::Resize, "Resize"),
    (InstanceAction::ConfirmResize, "Confirm resize"),
    (InstanceAction::RevertResize, "Revert resize"),
    (InstanceAction::CreateImage, "Create image"),
];

/// Whether `action` is allowed now, or the engine's refusal.
fn allowed(i: &Instance, action: InstanceAction) -> Result<(), String> {
    refusal(i.state.check(action, i.operation_id.map(|o| o.to_string()).as_deref()))
}

struct Problem {
    code: StatusCode,
    text: String,
    confirm: bool,
}

async fn detail_page(st: &AppState, s: &Session, project: &str, id: &str, problem: Option<Problem>) -> PageResult {
    let (l, _) = Layout::project(st, s, project, "instances").await?;
    let i = st.engine.instance_get(&s.ctx, project, id).await?;
    let base = l.base();
    let here = format!("{base}/instances/{}", i.id);
    let mut f = Fields::new("instance-fields").live();
    f.add_state(i.state.as_str(), i.state_reason.as_deref());
    f.add("ID", Cell::mono(i.id.to_string()));
    f.add("Instance type", Cell::text(&i.instance_type));
    f.add("Image", Cell::text(&i.image));
    f.add("Private IP", Cell::opt(i.private_ip.clone()));
    f.add(
        "Public IP",
        match &i.public_ip {
            Some(ip) => Cell::link(
                format!("{} ({})", ip.address.as_deref().unwrap_or("allocating"), ip.kind),
                format!("{base}/public-ips/{}", ip.name),
            ),
            None => Cell::text(format!("none ({})", i.public_ip_mode)),
        },
    );
    f.add("VPC", Cell::link(&i.vpc, format!("{base}/vpcs/{}", i.vpc)));
    f.add("Subnet", Cell::link(&i.subnet, format!("{base}/subnets/{}", i.subnet)));
    f.add(
        "Security groups",
        Cell::text(if i.security_groups.is_empty() { "–".into() } else { i.security_groups.join(", ") }),
    );
    f.add("Key pair", Cell::opt(i.key_pair.clone()));
    f.add("Connection / zone", Cell::text(format!("{} / {}", i.connection, i.zone)));
    f.add("Created", Cell::time(Some(&i.created_at)));
    f.add("Launched", Cell::time(i.launched_at.as_deref()));
    f.add("Operation", operation_cell(&base, i.operation_id));

    let can_manage = l.can_manage();
    let mut page =
        Page::new(l, format!("Instance {}", i.name)).crumb("Instances", format!("{base}/instances")).at(&here);
    page = page.block(render(&f));
    if can_manage {
        let types = st.engine.instance_type_list(&s.ctx).await?;
        let mut acts = Actions::new("instance-actions", format!("{here}/action"), &s.csrf);
        for (action, label) in ACTIONS {
            let mut a = Action::new(label, action.as_str(), allowed(&i, *action));
            match action {
                InstanceAction::Resize => {
                    let opts = types.iter().filter(|t| t.name != i.instance_type).map(|t| t.name.clone());
                    a = a.field(Field::select("instance_type", "New type", crate::view::options(opts)));
                }
                InstanceAction::CreateImage => {
                    a = a.field(Field::text("name", "Image name"));
                }
                // Forced: the guest gets no chance to flush its disks.
                InstanceAction::HardReboot => a = a.danger(),
                _ => {}
            }
            acts.push(a);
        }
        let mut confirm = Confirm::new(
            "delete-instance",
            format!("{here}/delete"),
            &s.csrf,
            &i.name,
            "Delete instance",
        )
        .explain(
            "The root volume is deleted. Data volumes are detached and kept Available unless you choose otherwise.",
        )
        .field(Field::new("checkbox", "delete_volumes", "Also delete attached data volumes"))
        .disabled(allowed(&i, InstanceAction::Delete).err());
        if let Some(p) = &problem {
            if p.confirm {
                confirm.error = Some(p.text.clone());
            } else {
                acts.error = Some(p.text.clone());
            }
        }
        page = page.block(render(&acts)).block(render(&confirm));
    } else {
        page = page.block(crate::view::Para::note(super::READ_ONLY));
    }
    page = page.block(crate::view::Para::link("", "Console output", format!("{here}/console")));
    if let Some(p) = problem {
        page = page.error(p.code, p.text);
    }
    page.respond()
}

pub async fn detail(State(st): State<AppState>, s: Session, Path((project, id)): Path<(String, String)>) -> PageResult {
    detail_page(&st, &s, &project, &id, None).await
}

pub async fn action(State(st): State<AppState>, Path((project, id)): Path<(String, String)>, p: Posted) -> PageResult {
    let (e, ctx, f) = (&st.engine, &p.session.ctx, &p.form);
    let result = match InstanceAction::parse(f.get("action")) {
        Some(InstanceAction::Start) => e.instance_start(ctx, &project, &id).await,
        Some(InstanceAction::Stop) => e.instance_stop(ctx, &project, &id).await,
        Some(InstanceAction::SoftReboot) => {
            e.instance_reboot(ctx, &project, &id, InstanceReboot { reboot_type: RebootType::Soft }).await
        }
        Some(InstanceAction::HardReboot) => {
            e.instance_reboot(ctx, &project, &id, InstanceReboot { reboot_type: RebootType::Hard }).await
        }
        Some(InstanceAction::Shelve) => e.instance_shelve(ctx, &project, &id).await,
        Some(InstanceAction::Unshelve) => e.instance_unshelve(ctx, &project, &id).await,
        Some(InstanceAction::Resize) => {
            let req = InstanceResize { instance_type: f.get("instance_type").into() };
            e.instance_resize(ctx, &project, &id, req).await
        }
        Some(InstanceAction::ConfirmResize) => e.instance_confirm_resize(ctx, &project, &id).await,
        Some(InstanceAction::RevertResize) => e.instance_revert_resize(ctx, &project, &id).await,
        Some(InstanceAction::CreateImage) => {
            e.instance_create_image(ctx, &project, &id, InstanceCreateImage { name: f.get("name").into() }).await
        }
        Some(InstanceAction::Delete) | None => Err(Error::invalid("action", "is not an instance action")),
    };
    match result {
        Ok(i) => see_other(format!("/projects/{}/instances/{}", crate::page::enc(&project), i.id)),
        Err(Error::Unauthenticated(m)) => Err(Error::Unauthenticated(m).into()),
        Err(err) => {
            let problem = Problem { code: status(&err), text: crate::error::message_of(&err), confirm: false };
            detail_page(&st, &p.session, &project, &id, Some(problem)).await
        }
    }
}

pub async fn delete(State(st): State<AppState>, Path((project, id)): Path<(String, String)>, p: Posted) -> PageResult {
    let i = st.engine.instance_get(&p.session.ctx, &project, &id).await?;
    if let Err(text) = confirmed(&p.form, &i.name) {
        let problem = Problem { code: StatusCode::BAD_REQUEST, text, confirm: true };
        return detail_page(&st, &p.session, &project, &id, Some(problem)).await;
    }
    match st.engine.instance_delete(&p.session.ctx, &project, &id, p.form.checked("delete_volumes")).await {
        Ok(_) => see_other(format!("/projects/{}/instances", crate::page::enc(&project))),
        Err(err) => {
            let problem = Problem { code: status(&err), text: crate::error::message_of(&err), confirm: true };
            detail_page(&st, &p.session, &project, &id, Some(problem)).await
        }
    }
}

pub async fn console(
    State(st): State<AppState>,
    s: Session,
    Path((project, id)): Path<(String, String)>,
) -> PageResult {
    let (l, _) = Layout::project(&st, &s, &project, "instances").await?;
    let i = st.engine.instance_get(&s.ctx, &project, &id).await?;
    let base = l.base();
    let page = Page::new(l, format!("Console output of {}", i.name))
        .crumb("Instances", format!("{base}/instances"))
        .crumb(i.name.clone(), format!("{base}/instances/{}", i.id));
    match st.engine.instance_console_log(&s.ctx, &project, &id).await {
        Ok(log) => page.block(render(&Pre { title: "Serial console".into(), text: log.output })).respond(),
        Err(e @ (Error::Conflict(_) | Error::Invalid(_) | Error::Unavailable(_))) => {
            page.error(status(&e), crate::error::message_of(&e)).respond()
        }
        Err(e) => Err(e.into()),
    }
}
