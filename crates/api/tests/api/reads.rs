//! Reads never call a provider: `GET` of an instance answers from the store, with the
//! provider's view of its VM as the workflows and the reconciler last recorded it.

use crate::support::Api;
use gureum_engine::testing::FAST;

#[tokio::test]
async fn reading_an_instance_makes_no_provider_call_and_shows_the_recorded_view() {
    let api = Api::start().await;
    let admin = api.admin();
    admin.project_with_network("p").await;
    let created = admin.instance("p", "vm").await;
    let conn = admin.get(&format!("/v1/connections/{FAST}")).await;
    let conn_id = conn["id"].as_str().unwrap().parse().unwrap();

    let calls = |label: &'static str| {
        let engine = api.te.engine.clone();
        async move { engine.provider_calls(conn_id).await.unwrap().get(label).copied().unwrap_or(0) }
    };
    let gets_before = calls("get").await;
    assert!(gets_before > 0, "the create asked the provider for its VM");
    for _ in 0..20 {
        let i = admin.get("/v1/projects/p/instances/vm").await;
        let provider = &i["provider"];
        assert_eq!(provider["id"], created["provider"]["id"], "{i}");
        assert_eq!(provider["status"], "running", "the view the create recorded: {i}");
        assert!(provider["seen_at"].as_str().is_some_and(|t| t.ends_with('Z')), "when it was seen: {i}");
    }
    assert_eq!(calls("get").await, gets_before, "twenty reads, not one provider call");

    // A VM stopped behind gureum's back: the reconciler's next pass records what the
    // provider now says, and reads show it, still without calling the provider.
    let vm = created["provider"]["id"].as_str().unwrap().to_string();
    let cloud = api.te.engine.cloud(conn_id).await.unwrap();
    cloud.vm_action(&vm, gureum_driver::VmAction::Stop { force: false }).await.unwrap();
    cloud.wait_for(gureum_driver::ResourceKind::Vm, &vm, &[gureum_driver::ProviderStatus::Stopped]).await.unwrap();
    api.te.engine.reconcile_once().await.unwrap();
    let gets = calls("get").await;
    let i = admin.get("/v1/projects/p/instances/vm").await;
    assert_eq!((i["state"].as_str(), i["provider"]["status"].as_str()), (Some("Stopped"), Some("stopped")), "{i}");
    assert_eq!(calls("get").await, gets, "the read made no provider call");
}
