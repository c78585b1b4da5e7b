//! Volumes and their snapshots: list, create, attach/detach/extend/snapshot/upload, and
//! name-confirmed deletes.

use crate::AppState;
use crate::error::PageResult;
use crate::forms::FormState;
use crate::list::ListParams;
use crate::page::{Layout, Page, enc, see_other};
use crate::pages::{confirmed, form_state, fresh, operation_cell, refusal, status};
use crate::session::{Posted, Session};
use crate::view::{Action, Actions, Cell, Confirm, Field, Fields, Form, InlineButton, Table, options, render};
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use gureum_api_types::{
    ListQuery, SnapshotCreate, VolumeAction, VolumeAttach, VolumeCreate, VolumeExtend, VolumeState, VolumeUpload,
};
use gureum_engine::Error;

const FIELDS: &[&str] = &["name", "size_gb", "image", "snapshot", "connection", "zone"];

pub async fn list(
    State(st): State<AppState>,
    s: Session,
    Path(project): Path<String>,
    Query(q): Query<ListParams>,
) -> PageResult {
    let (l, _) = Layout::project(&st, &s, &project, "volumes").await?;
    let base = format!("{}/volumes", l.base());
    let (items, next, filter_error) = match st.engine.volume_list(&s.ctx, &project, &q.query()).await {
        Ok(p) => (p.items, p.next_cursor, None),
        Err(Error::Invalid(fe)) => (vec![], None, Some(format!("{}: {}", fe.field, fe.rule))),
        Err(e) => return Err(e.into()),
    };
    let mut t = Table::new("volumes", &["Name", "State", "Size", "Kind", "Type", "Instance", "Zone", "Age"])
        .live()
        .empty("No volumes match.");
    let pbase = l.base();
    for v in &items {
        t.row(vec![
            Cell::link(&v.name, format!("{base}/{}", v.id)),
            Cell::state(v.state.as_str(), v.state_reason.as_deref()),
            Cell::num(v.size_gb, format!("{} GB", v.size_gb)),
            Cell::text(v.kind.as_str()),
            Cell::text(&v.volume_type),
            match &v.instance {
                Some(i) => Cell::link(i, format!("{pbase}/instances/{}", enc(i))),
                None => Cell::text("–"),
            },
            Cell::text(&v.zone),
            Cell::age(&v.created_at),
        ]);
    }
    q.sort(&base, &mut t, &["name", "state", "size", "kind", "instance", "age"]);
    let states: Vec<&str> = VolumeState::ALL.iter().map(|s| s.as_str()).collect();
    let can_manage = l.can_manage();
    let page = Page::new(l, "Volumes").primary_if(can_manage, "Create volume", format!("{base}/new"));
    q.finish(page, &base, &states, filter_error, &t, next.as_deref())
}

async fn create_form(st: &AppState, s: &Session, project: &str, state: FormState, code: StatusCode) -> PageResult {
    let (l, _) = Layout::project(st, s, project, "volumes").await?;
    if !l.can_manage() {
        return Err(Error::Forbidden(format!("your role in project {project} may not create volumes")).into());
    }
    let all = ListQuery { limit: Some(1000), ..Default::default() };
    let mut images = vec![(String::new(), "None (an empty volume)".to_string())];
    images.extend(st.engine.public_image_list(&s.ctx, &all).await?.items.into_iter().map(|i| (i.name.clone(), i.name)));
    let conns: Vec<String> = st.engine.connection_list(&s.ctx).await?.into_iter().map(|c| c.name).collect();
    let base = format!("{}/volumes", l.base());
    let form = Form::new("create-volume", base.clone(), &s.csrf, "Create volume")
        .field(Field::text("name", "Name").required())
        .field(Field::number("size_gb", "Size (GB)").required().value("10").help("1–5,120 GB."))
        .field(Field::select("image", "From image", images))
        .field(Field::text("snapshot", "From snapshot").help("A snapshot's name or id (optional)."))
        .field(Field::select("connection", "Connection", options(conns)).value("sim"))
        .field(Field::text("zone", "Zone").help("Default: the connection's zone."))
        .cancel(base.clone())
        .with_state(&state);
    let mut page = Page::new(l, "Create volume").crumb("Volumes", base);
    page.status = code.as_u16();
    page.block(render(&form)).respond()
}

pub async fn new(State(st): State<AppState>, s: Session, Path(project): Path<String>) -> PageResult {
    create_form(&st, &s, &project, fresh(), StatusCode::OK).await
}

pub async fn create(State(st): State<AppState>, Path(project): Path<String>, p: Posted) -> PageResult {
    let f = &p.form;
    let result = match f.required_int("size_gb") {
        Ok(size_gb) => {
            let req = VolumeCreate {
                name: f.get("name").into(),
                size_gb,
                image: f.opt("image"),
                snapshot: f.opt("snapshot"),
                connection: f.opt("connection"),
                zone: f.opt("zone"),
                volume_type: f.opt("volume_type"),
            };
            st.engine.volume_create(&p.session.ctx, &project, req).await
        }
        Err(e) => Err(e),
    };
    match result {
        Ok(v) => see_other(format!("/projects/{}/volumes/{}", enc(&project), v.id)),
        Err(e) => {
            let (state, code) = form_state(&p.form, e, FIELDS)?;
            create_form(&st, &p.session, &project, state, code).await
        }
    }
}

struct Problem {
    code: StatusCode,
    text: String,
    confirm: bool,
}

async fn detail_page(st: &AppState, s: &Session, project: &str, id: &str, problem: Option<Problem>) -> PageResult {
    let (l, _) = Layout::project(st, s, project, "volumes").await?;
    let v = st.engine.volume_get(&s.ctx, project, id).await?;
    let base = l.base();
    let here = format!("{base}/volumes/{}", v.id);
    let mut f = Fields::new("volume-fields").live();
    f.add_state(v.state.as_str(), v.state_reason.as_deref());
    f.add("ID", Cell::mono(v.id.to_string()));
    f.add("Size", Cell::text(format!("{} GB", v.size_gb)));
    f.add("Kind / type", Cell::text(format!("{} / {}", v.kind, v.volume_type)));
    f.add(
        "Instance",
        match &v.instance {
            Some(i) => Cell::link(i, format!("{base}/instances/{}", enc(i))),
            None => Cell::text("–"),
        },
    );
    f.add("From image", Cell::opt(v.image.clone()));
    f.add("From snapshot", Cell::opt(v.snapshot.clone()));
    f.add("Connection / zone", Cell::text(format!("{} / {}", v.connection, v.zone)));
    f.add("Created", Cell::time(Some(&v.created_at)));
    f.add("Operation", operation_cell(&base, v.operation_id));

    let all = ListQuery { limit: Some(1000), ..Default::default() };
    let snaps = st.engine.snapshot_list(&s.ctx, project, id, &all).await?.items;
    let can_manage = l.can_manage();
    let mut t = Table::new("snapshots", &["Name", "State", "Size", "Created", ""]).live().caption("Snapshots");
    t = t.empty("No snapshots.");
    for sn in &snaps {
        let del = if can_manage {
            Cell::html(render(&InlineButton {
                action: format!("{here}/snapshots/{}/delete", sn.id),
                csrf: s.csrf.clone(),
                label: "Delete".into(),
                hidden: vec![],
                danger: true,
                aria_label: format!("Delete snapshot {}", sn.name),
                confirm: Some(sn.name.clone()),
            }))
        } else {
            Cell::text("")
        };
        t.row(vec![
            Cell::text(&sn.name),
            Cell::state(sn.state.as_str(), sn.state_reason.as_deref()),
            Cell::text(format!("{} GB", sn.size_gb)),
            Cell::age(&sn.created_at),
            del,
        ]);
    }

    let mut page = Page::new(l, format!("Volume {}", v.name)).crumb("Volumes", format!("{base}/volumes")).at(&here);
    page = page.block(render(&f));
    if can_manage {
        let check = |a: VolumeAction| {
            if v.operation_id.is_some() {
                return Err(format!("cannot {a} while an operation is in progress on the volume"));
            }
            refusal(v.state.check(a))
        };
        let mut acts = Actions::new("volume-actions", format!("{here}/action"), &s.csrf);
        acts.push(
            Action::new("Attach", "attach", check(VolumeAction::Attach))
                .field(Field::text("instance", "Instance").placeholder("name or id")),
        );
        acts.push(Action::new("Detach", "detach", check(VolumeAction::Detach)));
        acts.push(
            Action::new("Extend", "extend", check(VolumeAction::Extend))
                .field(Field::number("size_gb", "New size (GB)").value((v.size_gb + 1).to_string())),
        );
        acts.push(
            Action::new("Snapshot", "snapshot", check(VolumeAction::Snapshot))
                .field(Field::text("name", "Snapshot name")),
        );
        acts.push(
            Action::new("Upload as image", "upload", check(VolumeAction::Upload))
                .field(Field::text("image_name", "Image name")),
        );
        let mut confirm = Confirm::new("delete-volume", format!("{here}/delete"), &s.csrf, &v.name, "Delete volume")
            .explain("The volume and its data are deleted at the provider.")
            .disabled(check(VolumeAction::Delete).err());
        if let Some(p) = &problem {
            if p.confirm {
                confirm.error = Some(p.text.clone());
            } else {
                acts.error = Some(p.text.clone());
            }
        }
        page = page.block(render(&acts)).block(render(&t)).block(render(&confirm));
    } else {
        page = page.block(render(&t)).block(crate::view::Para::note(super::READ_ONLY));
    }
    if let Some(p) = problem {
        page = page.error(p.code, p.text);
    }
    page.respond()
}

pub async fn detail(State(st): State<AppState>, s: Session, Path((project, id)): Path<(String, String)>) -> PageResult {
    detail_page(&st, &s, &project, &id, None).await
}

async fn after(st: &AppState, p: &Posted, project: &str, id: &str, r: Result<(), Error>, confirm: bool) -> PageResult {
    match r {
        Ok(()) => see_other(format!("/projects/{}/volumes/{id}", enc(project))),
        Err(e @ Error::Unauthenticated(_)) => Err(e.into()),
        Err(e) => {
            let problem = Problem { code: status(&e), text: crate::error::message_of(&e), confirm };
            detail_page(st, &p.session, project, id, Some(problem)).await
        }
    }
}

pub async fn action(State(st): State<AppState>, Path((project, id)): Path<(String, String)>, p: Posted) -> PageResult {
    let (e, ctx, f) = (&st.engine, &p.session.ctx, &p.form);
    let r = match f.get("action") {
        "attach" => {
            e.volume_attach(ctx, &project, &id, VolumeAttach { instance: f.get("instance").into() }).await.map(|_| ())
        }
        "detach" => e.volume_detach(ctx, &project, &id).await.map(|_| ()),
        "extend" => match f.required_int("size_gb") {
            Ok(size_gb) => e.volume_extend(ctx, &project, &id, VolumeExtend { size_gb }).await.map(|_| ()),
            Err(err) => Err(err),
        },
        "snapshot" => {
            e.snapshot_create(ctx, &project, &id, SnapshotCreate { name: f.get("name").into() }).await.map(|_| ())
        }
        "upload" => {
            let req = VolumeUpload { image_name: f.get("image_name").into() };
            e.volume_upload(ctx, &project, &id, req).await.map(|_| ())
        }
        _ => Err(Error::invalid("action", "is not a volume action")),
    };
    after(&st, &p, &project, &id, r, false).await
}

pub async fn delete(State(st): State<AppState>, Path((project, id)): Path<(String, String)>, p: Posted) -> PageResult {
    let v = st.engine.volume_get(&p.session.ctx, &project, &id).await?;
    if let Err(text) = confirmed(&p.form, &v.name) {
        let problem = Problem { code: StatusCode::BAD_REQUEST, text, confirm: true };
        return detail_page(&st, &p.session, &project, &id, Some(problem)).await;
    }
    match st.engine.volume_delete(&p.session.ctx, &project, &id).await {
        Ok(_) => see_other(format!("/projects/{}/volumes", enc(&project))),
        Err(e) => after(&st, &p, &project, &id, Err(e), true).await,
    }
}

pub async fn snapshot_delete(
    State(st): State<AppState>,
    Path((project, id, snapshot)): Path<(String, String, String)>,
    p: Posted,
) -> PageResult {
    let sn = st.engine.snapshot_get(&p.session.ctx, &project, &id, &snapshot).await?;
    let r = match confirmed(&p.form, &sn.name) {
        Ok(()) => st.engine.snapshot_delete(&p.session.ctx, &project, &id, &snapshot).await.map(|_| ()),
        Err(text) => Err(Error::invalid("confirm_name", text)),
    };
    after(&st, &p, &project, &id, r, false).await
}
