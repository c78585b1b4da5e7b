//! The library: templates as cards, and a template's details in sections.

use super::library as library_href;
use crate::AppState;
use crate::error::PageResult;
use crate::page::{Layout, Page, enc};
use crate::session::Session;
use crate::view::{Bullets, Card, Cards, Cell, Fields, Table, render};
use axum::extract::{Path, State};

pub async fn list(State(st): State<AppState>, s: Session, Path(project): Path<String>) -> PageResult {
    let (l, _) = Layout::project(&st, &s, &project, "library").await?;
    let base = library_href(&l);
    let templates = st.engine.template_list(&s.ctx).await?;
    let cards = Cards {
        id: "templates".into(),
        cards: templates
            .into_iter()
            .map(|t| Card {
                href: format!("{base}/{}", enc(&t.name)),
                meta: format!("Version {} · {}", t.version, t.source),
                title: t.title,
                text: t.overview,
            })
            .collect(),
        empty: "The library has no templates.".into(),
    };
    Page::new(l, "Library").block(render(&cards)).respond()
}

fn bullets(id: &str, title: &str, items: Vec<String>) -> String {
    render(&Bullets { id: id.into(), title: title.into(), items, empty: "None.".into() })
}

pub async fn detail(
    State(st): State<AppState>,
    s: Session,
    Path((project, name)): Path<(String, String)>,
) -> PageResult {
    let (l, _) = Layout::project(&st, &s, &project, "library").await?;
    let t = st.engine.template_get(&s.ctx, &name).await?;
    let base = library_href(&l);
    let mut licences = Table::new("template-licenses", &["Name", "Version", "Licence", "URL"])
        .caption("OSS licences")
        .empty("No third-party software.");
    for x in &t.licenses {
        licences.row(vec![
            Cell::text(&x.name),
            Cell::text(&x.version),
            Cell::text(&x.license),
            Cell::link(&x.url, &x.url),
        ]);
    }
    let can_manage = l.can_manage();
    let mut page = Page::new(l, &t.title).crumb("Library", &base).primary_if(
        can_manage,
        "Execute",
        format!("{base}/{}/execute", enc(&t.name)),
    );
    if let Some(r) = &t.local_refusal {
        page = page.info(format!("Not on QEMU connections: {r}"));
    }
    let mut overview = Fields::new("template-overview");
    overview.title = Some("Overview".into());
    overview.add("Overview", Cell::text(&t.overview));
    overview.add("Version", Cell::text(&t.version));
    overview.add("Source", Cell::text(&t.source));
    page.block(render(&overview))
        .block(bullets("template-features", "Features", t.features))
        .block(bullets("template-prerequisites", "Prerequisites", t.prerequisites))
        .block(bullets("template-resources", "Installation resources", t.installation_resources))
        .block(render(&licences))
        .respond()
}
