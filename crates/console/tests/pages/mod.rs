//! Lists (filter, sort, page), every page of a project, usage, and pages of a project
//! with 10,000 instances.

use super::*;

#[tokio::test]
async fn lists_filter_sort_and_page() {
    let t = setup().await;
    network(&t).await;
    for n in ["web-1", "web-2", "web-10", "db-1"] {
        active_instance(&t, n).await;
    }
    let mut b = Browser::new(&t);
    b.login("admin", PASSWORD).await;
    let names = |body: &str| -> Vec<String> {
        body.split("<a href=\"/projects/demo/instances/")
            .skip(1)
            .filter_map(|s| s.split('>').nth(1).map(|n| n.split('<').next().unwrap().to_string()))
            .collect()
    };
    let page = b.page("/projects/demo/instances?name=web").await;
    assert_eq!(names(&page.body), ["web-1", "web-2", "web-10"]);
    let page = b.page("/projects/demo/instances?sort=name&dir=desc").await;
    assert_eq!(names(&page.body), ["web-10", "web-2", "web-1", "db-1"]);
    assert!(page.body.contains("aria-sort=\"descending\""));
    let page = b.page("/projects/demo/instances?state=Stopped").await;
    assert!(names(&page.body).is_empty());
    let page = b.page("/projects/demo/instances?state=Nope").await;
    assert!(page.body.contains("state: must be one of"));
    let first = b.page("/projects/demo/instances?limit=25").await;
    assert!(!first.body.contains("Next page"));
    // Pages of two: follow the cursor.
    let mut seen = vec![];
    let mut url = "/projects/demo/instances?limit=2".to_string();
    for _ in 0..5 {
        let page = b.page(&url).await;
        seen.extend(names(&page.body));
        let Some(at) = page.body.find("rel=\"next\"") else { break };
        let before = &page.body[..at];
        let href = before
            .rsplit("href=\"")
            .next()
            .unwrap()
            .split('"')
            .next()
            .unwrap()
            .replace("&#38;", "&")
            .replace("&amp;", "&");
        url = href;
    }
    assert_eq!(seen, ["web-1", "web-2", "web-10", "db-1"]);
}

#[tokio::test]
async fn every_page_renders_and_missing_things_are_404_pages() {
    let t = setup().await;
    network(&t).await;
    let i = active_instance(&t, "web-1").await;
    let mut b = Browser::new(&t);
    b.login("admin", PASSWORD).await;
    let pages = [
        "/projects".to_string(),
        "/instance-types".into(),
        "/connections".into(),
        format!("/connections/{FAST}"),
        "/users".into(),
        "/account".into(),
        "/projects/demo/instances".into(),
        "/projects/demo/instances/new".into(),
        format!("/projects/demo/instances/{}", i.id),
        format!("/projects/demo/instances/{}/console", i.id),
        "/projects/demo/volumes".into(),
        "/projects/demo/volumes/new".into(),
        "/projects/demo/images".into(),
        "/projects/demo/images?tab=mine".into(),
        "/projects/demo/images/ubuntu-22.04".into(),
        "/projects/demo/key-pairs".into(),
        "/projects/demo/key-pairs/new".into(),
        "/projects/demo/vpcs".into(),
        "/projects/demo/vpcs/new".into(),
        "/projects/demo/vpcs/net".into(),
        "/projects/demo/subnets".into(),
        "/projects/demo/subnets/web".into(),
        "/projects/demo/security-groups".into(),
        "/projects/demo/security-groups/new".into(),
        "/projects/demo/security-groups/sg".into(),
        "/projects/demo/public-ips".into(),
        "/projects/demo/public-ips/new".into(),
        "/projects/demo/operations".into(),
        "/projects/demo/usage".into(),
        "/projects/demo/usage?from=2026-01-01&to=2026-01-01".into(),
        "/projects/demo/members".into(),
        "/projects/demo/library".into(),
        "/projects/demo/library/static-website".into(),
        "/projects/demo/library/static-website/execute".into(),
        "/projects/demo/provisionings".into(),
        "/projects/demo/provisioning-history".into(),
    ];
    for p in &pages {
        let r = b.page(p).await;
        assert!(r.body.starts_with("<!doctype html>"), "{p}");
        // The assets' URLs change with their content, so no stale cached copy is used.
        let css = format!("/static/console.css?v={}", gureum_console::ASSET_VERSION);
        let js = format!("/static/console.js?v={}", gureum_console::ASSET_VERSION);
        assert!(r.body.contains(&css) && r.body.contains(&js), "{p} links versioned assets");
        assert!(
            r.body.contains("<label")
                || p.ends_with("/console")
                || p.contains("instance-types")
                || p.contains("/images/")
                || p.contains("/library"),
            "{p} has no labelled input"
        );
    }
    let ops = t.engine.operation_list(&t.admin, "demo", None, None).await.unwrap().items;
    b.page(&format!("/projects/demo/operations/{}", ops[0].id)).await;
    for missing in [
        "/projects/demo/instances/00000000-0000-7000-8000-000000000000".to_string(),
        "/projects/nope/instances".into(),
        "/projects/demo/vpcs/nope".into(),
        "/connections/nope".into(),
    ] {
        let r = b.get(&missing).await;
        assert_eq!(r.status, StatusCode::NOT_FOUND, "{missing}");
        assert!(r.body.contains("Not found"), "{missing}: {}", r.body);
    }
    // Another user sees another project as missing, not forbidden.
    member(&t, "mia", Role::Member).await;
    t.engine
        .project_create(
            &t.admin,
            gureum_api_types::ProjectCreate { name: "other".into(), description: None, ..Default::default() },
        )
        .await
        .unwrap();
    let mut m = Browser::new(&t);
    m.login("mia", PASSWORD).await;
    assert_eq!(m.get("/projects/other/instances").await.status, StatusCode::NOT_FOUND);
    assert_eq!(m.get("/users").await.status, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn usage_shows_a_chart_and_downloads_csv() {
    let t = setup().await;
    network(&t).await;
    active_instance(&t, "web-1").await;
    tokio::time::sleep(Duration::from_millis(1100)).await;
    let mut b = Browser::new(&t);
    b.login("admin", PASSWORD).await;
    let page = b.page("/projects/demo/usage").await;
    assert!(page.body.contains("<svg") && page.body.contains("class=\"bar\""), "{}", page.body);
    assert_eq!(page.body.matches("class=\"bar\"").count(), 7, "a bar per day of the default week");
    assert!(page.body.contains("web-1"));
    let today = time::OffsetDateTime::now_utc().date();
    let day = format!("{:04}-{:02}-{:02}", today.year(), today.month() as u8, today.day());
    let page = b.page(&format!("/projects/demo/usage?from={day}&to={day}")).await;
    assert_eq!(page.body.matches("class=\"bar\"").count(), 24, "a bar per hour of one day");
    let csv_href = page.body.split("href=\"").find(|s| s.starts_with("/projects/demo/usage.csv")).unwrap();
    let csv_href = csv_href.split('"').next().unwrap().replace("&#38;", "&").replace("&amp;", "&");
    let csv = b.page(&csv_href).await;
    assert_eq!(csv.headers.get("content-type").unwrap(), "text/csv; charset=utf-8");
    assert!(csv.headers.get("content-disposition").unwrap().to_str().unwrap().starts_with("attachment;"));
    assert!(csv.body.starts_with("instance_id,instance,instance_type,seconds,price_per_hour,cost\n"));
    assert!(csv.body.contains(",web-1,t1.small,"), "{}", csv.body);
    let bad = b.get("/projects/demo/usage?from=2026-02-01&to=2026-01-01").await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);
    assert!(bad.body.contains("from: must not be after to"));
}

/// Inserts `n` instance rows like `template` (same project, network and type), in
/// batches, straight through the store: the fastest honest way to a project with
/// 10,000 instances.
async fn clone_instances(t: &TestEngine, template: &gureum_store::InstanceRecord, n: usize) {
    use gureum_store::{Batch, Record, new_id};
    for chunk in 0..n.div_ceil(500) {
        let mut batch = Batch::new();
        for k in chunk * 500..((chunk + 1) * 500).min(n) {
            let states = ["Active", "Stopped", "Building", "Error", "Shelved_offloaded"];
            let rec = gureum_store::InstanceRecord {
                id: new_id(),
                name: format!("bulk-{k:05}"),
                provider_id: None,
                op_id: None,
                state: gureum_api_types::InstanceState::parse(states[k % states.len()]).unwrap(),
                private_ip: Some(format!("10.0.{}.{}", (k / 250) % 16, k % 250 + 2)),
                ..template.clone()
            };
            batch.push(rec.insert());
        }
        t.engine.store().write(batch).await.unwrap();
    }
}

/// The main pages of a project with 10,000 instances render what they should: a page of
/// rows through the engine's keyset pagination, filters over all of them, sorting of the page. (Their
/// server-side time is a figure of `gureum bench`, not something a test asserts.)
#[tokio::test]
async fn pages_render_with_10000_instances() {
    let t = setup().await;
    network(&t).await;
    let first = active_instance(&t, "web-1").await;
    let template = t.engine.store().get_by_id::<gureum_store::InstanceRecord>(first.id).await.unwrap().unwrap();
    clone_instances(&t, &template, 9_999).await;
    let count = t.engine.store().count::<gureum_store::InstanceRecord>(&[]).await.unwrap();
    assert_eq!(count, 10_000);
    let mut b = Browser::new(&t);
    b.login("admin", PASSWORD).await;
    // The cursor of a page deep in the list.
    let deep = t
        .engine
        .instance_list(&t.admin, "demo", &ListQuery { limit: Some(1000), ..Default::default() })
        .await
        .unwrap()
        .next_cursor
        .unwrap();
    let rows = |body: &str| body.matches("<td data-label=\"Name\">").count();
    let r = b.page("/projects/demo/instances").await;
    assert_eq!(rows(&r.body), 50, "the first page holds the default 50");
    assert!(r.body.contains("rel=\"next\""), "and links to the next");
    assert_eq!(rows(&b.page("/projects/demo/instances?limit=200").await.body), 200);
    let r = b.page(&format!("/projects/demo/instances?cursor={deep}")).await;
    assert_eq!(rows(&r.body), 50);
    assert!(r.body.contains("« First page"), "a page after the first links back to it");
    let r = b.page("/projects/demo/instances?name=bulk-0999").await;
    assert_eq!(rows(&r.body), 9, "bulk-09990 … bulk-09998 contain bulk-0999");
    assert!(r.body.contains(">bulk-09995<"));
    let r = b.page("/projects/demo/instances?state=Error&limit=1000").await;
    assert_eq!(rows(&r.body), 1000, "2,000 of the instances are in Error; a page of 1,000");
    assert_eq!(r.body.matches("data-state=\"Error\"").count(), 1000);
    let r = b.page("/projects/demo/instances?sort=name&dir=desc").await;
    let first_row = r.body.find(">web-1<").expect("web-1 is on the first page");
    assert!(r.body.find(">bulk-").is_none_or(|bulk| first_row < bulk));
    let r = b.page(&format!("/projects/demo/instances/{}", first.id)).await;
    assert!(r.body.contains("Instance web-1"));
    let r = b.page("/projects/demo/instances/new").await;
    assert!(r.body.contains("id=\"create-instance-name\""));
}
