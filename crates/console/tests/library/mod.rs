//! The template library in the console: the catalog and a template's sections, the
//! execute form from the parameter schema with its field errors, plan then run, the
//! status and installation info, return and status delete by typed name, the history
//! and its logs (read, downloaded, expired), and what a reader is offered.

use super::*;
use gureum_api_types::KeyPairCreate;

/// The network of [`network`] and key pair `laptop`, on the zero-latency connection.
async fn ready_project(t: &TestEngine) {
    network(t).await;
    let k = KeyPairCreate { name: "laptop".into(), public_key: None, connection: Some(FAST.into()) };
    let k = t.engine.key_pair_create(&t.admin, "demo", k).await.unwrap();
    if k.operation_id.is_some() {
        wait_op(t, k.operation_id).await;
    }
}

const EXECUTE: &str = "/projects/demo/library/static-website/execute";

/// The execute form's fields for a one-server static web site named `site`.
fn site(node_count: &str) -> Vec<(&'static str, String)> {
    vec![
        ("name", "site".into()),
        ("parameters.vpc", "net".into()),
        ("parameters.subnet", "web".into()),
        ("parameters.key_pair", "laptop".into()),
        ("parameters.node_count", node_count.into()),
        ("on_failure", "rollback".into()),
    ]
}

async fn submit(b: &mut Browser, fields: &[(&str, String)], intent: Option<&str>) -> Resp {
    let mut all: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
    if let Some(i) = intent {
        all.push(("intent", i));
    }
    b.submit(EXECUTE, EXECUTE, &all).await
}

async fn wait_state(t: &TestEngine, want: &str) -> gureum_api_types::Provisioning {
    let (engine, admin) = (t.engine.clone(), t.admin.clone());
    eventually(Duration::from_secs(30), want, || {
        let (e, a) = (engine.clone(), admin.clone());
        let want = want.to_string();
        async move { e.provisioning_get(&a, "demo", "site").await.unwrap().state.as_str() == want }
    })
    .await;
    t.engine.provisioning_get(&t.admin, "demo", "site").await.unwrap()
}

#[tokio::test]
async fn the_library_shows_templates_and_their_sections() {
    let t = setup().await;
    let mut b = Browser::new(&t);
    b.login("admin", PASSWORD).await;
    let page = b.page("/projects/demo/library").await;
    for name in ["static-website", "web-behind-lb", "postgres-replicated", "message-broker"] {
        assert!(page.body.contains(&format!("href=\"/projects/demo/library/{name}\"")), "a card for {name}");
    }
    assert!(page.body.contains("Static web site") && page.body.contains("Version 1.0.0"));
    let page = b.page("/projects/demo/library/static-website").await;
    for section in ["Overview", "Features", "Prerequisites", "Installation resources", "OSS licences"] {
        assert!(page.body.contains(&format!("<h2>{section}</h2>")), "section {section}");
    }
    assert!(page.body.contains("GPL-2.0-only") && page.body.contains(">BusyBox<"));
    assert!(page.body.contains(&format!("href=\"{EXECUTE}\">Execute")));
    assert_eq!(b.get("/projects/demo/library/nope").await.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn the_execute_form_follows_the_schema_and_shows_the_engines_field_errors() {
    let t = setup().await;
    ready_project(&t).await;
    let mut b = Browser::new(&t);
    b.login("admin", PASSWORD).await;
    let form = b.page(EXECUTE).await;
    assert!(form.body.contains("name=\"parameters.node_count\" type=\"number\" value=\"2\""), "{}", form.body);
    assert!(form.body.contains("1–10."), "the limits are shown");
    for select in ["vpc", "subnet", "key_pair"] {
        assert!(form.body.contains(&format!("<select id=\"execute-parameters.{select}\"")), "{select} is a select");
    }
    assert!(form.body.contains("<option value=\"laptop\""));
    assert!(!form.body.contains("name=\"intent\""), "no Run before a plan");
    // Out of range: the engine's error, next to its field, the typed values kept.
    let r = submit(&mut b, &site("11"), None).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST, "{}", r.body);
    assert!(r.body.contains("data-field=\"parameters.node_count\">"), "{}", r.body);
    assert!(r.body.contains("value=\"11\"") && !r.body.contains("name=\"intent\""));
    let r = submit(&mut b, &site("two"), Some("run")).await;
    assert!(r.body.contains("data-field=\"parameters.node_count\">must be a whole number"), "{}", r.body);
    assert!(t.engine.provisioning_list(&t.admin, "demo", &ListQuery::default()).await.unwrap().items.is_empty());
    // A plan: the resources in order, the checks and the time, then Run is offered.
    let r = submit(&mut b, &site("1"), None).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    for part in ["id=\"plan-summary\"", "id=\"plan-resources\"", "id=\"plan-checks\"", "Predicted time", ">passed<"] {
        assert!(r.body.contains(part), "the plan shows {part}");
    }
    let at = |key: &str| r.body.find(&format!("class=\"mono\">{key}<")).unwrap_or_else(|| panic!("{key}: {}", r.body));
    assert!(at("web-sg") < at("web-1"), "the group is made first");
    assert!(r.body.contains("name=\"intent\" value=\"run\">Run</button>"));
    assert!(t.engine.provisioning_list(&t.admin, "demo", &ListQuery::default()).await.unwrap().items.is_empty());
}

#[tokio::test]
async fn run_follow_return_and_delete_a_provisioning() {
    let t = setup().await;
    ready_project(&t).await;
    let mut b = Browser::new(&t);
    b.login("admin", PASSWORD).await;
    let r = submit(&mut b, &site("1"), Some("run")).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    assert_eq!(r.location(), "/projects/demo/provisionings");
    let list = b.page("/projects/demo/provisionings").await;
    assert!(list.body.contains("id=\"provisionings\"") && list.body.contains(">site<"));
    assert!(list.body.contains("data-live"), "the list is followed live");
    let p = wait_state(&t, "Provisioned").await;
    let detail = format!("/projects/demo/provisionings/{}", p.id);
    let page = b.page(&detail).await;
    assert!(page.body.contains("data-state=\"Provisioned\"") && page.body.contains("st-green"));
    assert!(page.body.contains("id=\"provisioning-resources\"") && page.body.contains("data-state=\"Ready\""));
    assert!(page.body.contains("2/2 ready"), "{}", page.body);
    assert!(!page.body.contains("id=\"delete-provisioning\""), "no status delete before a return");
    let info = b.page(&format!("{detail}/info")).await;
    assert!(info.body.contains("<a href=\"http://"), "an access URL as a link: {}", info.body);
    assert!(info.body.contains("id=\"installation-credentials\""));

    for typed in ["", "sit"] {
        let r = b.submit(&detail, &format!("{detail}/return"), &[("confirm_name", typed)]).await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST, "{typed:?}");
        assert!(r.body.contains("id=\"return-provisioning-error\""), "{}", r.body);
    }
    let r = b.submit(&detail, &format!("{detail}/return"), &[("confirm_name", "site")]).await;
    assert_eq!((r.status, r.location()), (StatusCode::SEE_OTHER, detail.as_str()), "{}", r.body);
    wait_state(&t, "Returned").await;
    let page = b.page(&detail).await;
    assert!(page.body.contains("id=\"delete-provisioning\"") && page.body.contains("st-grey"));

    // The history, filtered by type, and a log read in the page and downloaded.
    let history = b.page("/projects/demo/provisioning-history?provisioning=site").await;
    for kind in ["provisioning_executed", "provisioning_completed", "return_executed", "return_completed"] {
        assert!(history.body.contains(&format!("class=\"mono\">{kind}<")), "{kind} in the history");
    }
    let done = b.page("/projects/demo/provisioning-history?type=return_completed").await;
    assert!(!done.body.contains("mono\">provisioning_executed<") && done.body.contains("mono\">return_completed<"));
    let view = done.body.split("event=").nth(1).unwrap().split('"').next().unwrap().to_string();
    let shown = b.page(&format!("/projects/demo/provisioning-history?type=return_completed&event={view}")).await;
    assert!(shown.body.contains("<pre class=\"output\"") && shown.body.contains("Log: return_completed of site"));
    let file = b.page(&format!("/projects/demo/provisioning-history/{view}/log")).await;
    let disposition = file.headers.get("content-disposition").unwrap().to_str().unwrap();
    assert!(disposition.starts_with("attachment; filename=\"site-return_completed-"), "{disposition}");
    assert!(!file.body.is_empty());
    // Once expired, the log is gone and the page says so.
    t.engine.history_logs_purge(i64::MAX).await.unwrap();
    let gone = b.get(&format!("/projects/demo/provisioning-history/{view}/log")).await;
    assert_eq!(gone.status, StatusCode::GONE, "{}", gone.body);
    assert!(gone.body.contains("expired"));
    let shown = b.get(&format!("/projects/demo/provisioning-history?event={view}")).await;
    assert!(shown.body.contains("expired") && !shown.body.contains("<pre class=\"output\""));

    let r = b.submit(&detail, &format!("{detail}/delete"), &[("confirm_name", "site")]).await;
    assert_eq!((r.status, r.location()), (StatusCode::SEE_OTHER, "/projects/demo/provisionings"), "{}", r.body);
    assert_eq!(b.get(&detail).await.status, StatusCode::NOT_FOUND);
    let history = b.page("/projects/demo/provisioning-history").await;
    assert!(history.body.contains("mono\">status_deleted<"), "the history outlives the status");
}

#[tokio::test]
async fn a_reader_sees_provisionings_but_is_offered_no_execute_return_or_delete() {
    let t = setup().await;
    ready_project(&t).await;
    let mut b = Browser::new(&t);
    b.login("admin", PASSWORD).await;
    submit(&mut b, &site("1"), Some("run")).await;
    let p = wait_state(&t, "Provisioned").await;
    member(&t, "rita", Role::Reader).await;
    let mut r = Browser::new(&t);
    r.login("rita", PASSWORD).await;
    let page = r.page("/projects/demo/library/static-website").await;
    assert!(!page.body.contains(EXECUTE), "a reader is offered Execute");
    assert_eq!(r.get(EXECUTE).await.status, StatusCode::FORBIDDEN);
    let list = r.page("/projects/demo/provisionings").await;
    assert!(list.body.contains(">site<") && !list.body.contains("Execute a template"));
    let detail = format!("/projects/demo/provisionings/{}", p.id);
    let page = r.page(&detail).await;
    assert!(page.body.contains("read-only") && !page.body.contains("method=\"post\" action=\"/projects"));
    let info = r.page(&format!("{detail}/info")).await;
    assert!(info.body.contains("admins and members only") && !info.body.contains("installation-credentials"));
    let refused = r.submit(&detail, &format!("{detail}/return"), &[("confirm_name", "site")]).await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN, "{}", refused.body);
    // Clean up: nothing of the stack is left behind.
    let ret = gureum_api_types::ProvisioningConfirm { confirm: "site".into() };
    t.engine.provisioning_return(&t.admin, "demo", "site", ret).await.unwrap();
    wait_state(&t, "Returned").await;
}
