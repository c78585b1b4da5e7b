//! Instance types, and images: the operator's defaults and the project's own.

use crate::AppState;
use crate::error::PageResult;
use crate::list::ListParams;
use crate::page::{Layout, Page, enc, see_other};
use crate::pages::{confirmed, operation_cell, status};
use crate::session::{Posted, Session};
use crate::view::{Cell, Confirm, Fields, Tab, Table, Tabs, render};
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use gureum_api_types::{Image, ImageState, ImageVisibility};
use gureum_engine::Error;

pub async fn instance_types(State(st): State<AppState>, s: Session) -> PageResult {
    let l = Layout::global(&st, &s, "instance-types").await?;
    let types = st.engine.instance_type_list(&s.ctx).await?;
    let mut t = Table::new("instance-types", &["Name", "vCPUs", "Memory", "GPU", "Price per hour"]);
    for it in &types {
        t.row(vec![
            Cell::text(&it.name),
            Cell::num(it.vcpus, it.vcpus.to_string()),
            Cell::num(it.memory_mib, crate::ui::memory(it.memory_mib)),
            Cell::opt(it.gpu.clone()),
            Cell::num((it.price_per_hour * 1e6) as i64, format!("${:.4}", it.price_per_hour)),
        ]);
    }
    Page::new(l, "Instance types").block(render(&t)).respond()
}

fn image_row(base: &str, i: &Image) -> Vec<Cell> {
    vec![
        Cell::link(&i.name, format!("{base}/images/{}", i.id)),
        Cell::state(i.state.as_str(), i.state_reason.as_deref()),
        Cell::text(format!("{} {}", i.distribution, i.version)),
        Cell::text(i.os_family.as_str()),
        Cell::text(if i.gpu { "yes" } else { "–" }),
        Cell::text(format!("{}–{} GB", i.min_disk_gb, i.max_disk_gb)),
        Cell::age(&i.created_at),
    ]
}

pub async fn images(
    State(st): State<AppState>,
    s: Session,
    Path(project): Path<String>,
    Query(q): Query<ListParams>,
) -> PageResult {
    let (l, _) = Layout::project(&st, &s, &project, "images").await?;
    let base = l.base();
    let here = format!("{base}/images");
    let mine = q.tab.as_deref() == Some("mine");
    let listed = if mine {
        st.engine.project_image_list(&s.ctx, &project, &q.query()).await
    } else {
        st.engine.public_image_list(&s.ctx, &q.query()).await
    };
    let (items, next, filter_error) = match listed {
        Ok(p) => (p.items, p.next_cursor, None),
        Err(Error::Invalid(fe)) => (vec![], None, Some(format!("{}: {}", fe.field, fe.rule))),
        Err(e) => return Err(e.into()),
    };
    let mut t = Table::new("images", &["Name", "State", "Distribution", "OS", "GPU", "Root disk", "Age"]).live().empty(
        if mine { "No images of this project yet: make one from an instance or a volume." } else { "No images." },
    );
    for i in &items {
        t.row(image_row(&base, i));
    }
    q.sort(&here, &mut t, &["name", "state", "distribution", "os", "age"]);
    let tabs = Tabs {
        tabs: vec![
            Tab { label: "Default images".into(), href: here.clone(), current: !mine },
            Tab { label: "My images".into(), href: format!("{here}?tab=mine"), current: mine },
        ],
    };
    let states: Vec<&str> = ImageState::ALL.iter().map(|s| s.as_str()).collect();
    Page::new(l, "Images")
        .block(render(&tabs))
        .block(q.filter(&here, &states, filter_error))
        .block(render(&t))
        .block(q.pager(&here, items.len(), next.as_deref()))
        .respond()
}

async fn image_page(
    st: &AppState,
    s: &Session,
    project: &str,
    id: &str,
    problem: Option<(StatusCode, String)>,
) -> PageResult {
    let (l, _) = Layout::project(st, s, project, "images").await?;
    let image = match st.engine.project_image_get(&s.ctx, project, id).await {
        Ok(i) => i,
        Err(Error::NotFound { .. }) => st.engine.public_image_get(&s.ctx, id).await?,
        Err(e) => return Err(e.into()),
    };
    let base = l.base();
    let mut f = Fields::new("image-fields").live();
    f.add_state(image.state.as_str(), image.state_reason.as_deref());
    f.add("ID", Cell::mono(image.id.to_string()));
    f.add(
        "Visibility",
        Cell::text(if image.visibility == ImageVisibility::Public { "default (public)" } else { "my image (project)" }),
    );
    f.add("Distribution", Cell::text(format!("{} {} ({})", image.distribution, image.version, image.os_family)));
    f.add("Needs a GPU", Cell::text(if image.gpu { "yes" } else { "no" }));
    f.add(
        "Root volume",
        Cell::text(format!("{}–{} GB (image {} GB)", image.min_disk_gb, image.max_disk_gb, image.size_gb)),
    );
    f.add("Made from instance", Cell::opt(image.source_instance.clone()));
    f.add("Made from volume", Cell::opt(image.source_volume.clone()));
    f.add("Connection", Cell::opt(image.connection.clone()));
    f.add("Created", Cell::time(Some(&image.created_at)));
    f.add("Operation", operation_cell(&base, image.operation_id));
    let can_manage = l.can_manage();
    let mut page = Page::new(l, format!("Image {}", image.name))
        .crumb("Images", format!("{base}/images"))
        .at(format!("{base}/images/{}", image.id))
        .block(render(&f));
    if image.visibility == ImageVisibility::Project && can_manage {
        let busy =
            image.operation_id.is_some() || image.state == ImageState::Creating || image.state == ImageState::Deleting;
        let mut c = Confirm::new(
            "delete-image",
            format!("{base}/images/{}/delete", image.id),
            &s.csrf,
            &image.name,
            "Delete image",
        )
        .disabled(busy.then(|| format!("cannot delete while the image is {}", image.state)));
        if let Some((_, text)) = &problem {
            c.error = Some(text.clone());
        }
        page = page.block(render(&c));
    }
    if let Some((code, text)) = problem {
        page = page.error(code, text);
    }
    page.respond()
}

pub async fn image_detail(
    State(st): State<AppState>,
    s: Session,
    Path((project, id)): Path<(String, String)>,
) -> PageResult {
    image_page(&st, &s, &project, &id, None).await
}

pub async fn image_delete(
    State(st): State<AppState>,
    Path((project, id)): Path<(String, String)>,
    p: Posted,
) -> PageResult {
    let image = st.engine.project_image_get(&p.session.ctx, &project, &id).await?;
    if let Err(text) = confirmed(&p.form, &image.name) {
        return image_page(&st, &p.session, &project, &id, Some((StatusCode::BAD_REQUEST, text))).await;
    }
    match st.engine.project_image_delete(&p.session.ctx, &project, &id).await {
        Ok(_) => see_other(format!("/projects/{}/images?tab=mine", enc(&project))),
        Err(e @ Error::Unauthenticated(_)) => Err(e.into()),
        Err(e) => image_page(&st, &p.session, &project, &id, Some((status(&e), crate::error::message_of(&e)))).await,
    }
}
