use super::*;

const DAY: i64 = 86_400 * 1_000_000;

#[tokio::test(flavor = "multi_thread")]
async fn logs_are_kept_fifteen_days_then_purged_while_the_events_stay() {
    let api = crate::support::Api::start().await;
    let c = api.admin();
    world(&c).await;
    website(&c, "site", 1).await;
    let events = c.get(&format!("{P}/provisioning-history?provisioning=site")).await;
    let event = events["items"][0].clone();
    let log = format!("{P}/provisioning-history/{}/log", event["id"].as_str().unwrap());
    assert_eq!(send(&c, Method::GET, &log, None).await.status, 200);

    // The purge runs with the test's clock: fourteen days on, the log is still there.
    let now = gureum_store::now();
    assert_eq!(api.te.engine.history_logs_purge(now + 14 * DAY).await.unwrap(), 0);
    assert_eq!(send(&c, Method::GET, &log, None).await.status, 200);
    // Sixteen days on it is gone: 410 saying when it expired; the event stays.
    assert_eq!(api.te.engine.history_logs_purge(now + 16 * DAY).await.unwrap(), 2, "both events' logs");
    let r = send(&c, Method::GET, &log, None).await;
    assert_eq!(r.status, 410, "{}", r.text);
    let m = r.error()["message"].as_str().unwrap();
    assert!(m.contains("expired at") && m.contains(event["log_expires_at"].as_str().unwrap()), "{m}");
    let after = c.get(&format!("{P}/provisioning-history?provisioning=site")).await;
    assert_eq!(after["items"].as_array().unwrap().len(), 2, "{after}");
    assert_eq!(after["items"][0]["log_available"], false, "{after}");
}

#[tokio::test(flavor = "multi_thread")]
async fn the_passwords_a_stack_installs_with_are_sealed_at_rest() {
    let api = crate::support::Api::start().await;
    let c = api.admin();
    world(&c).await;
    let req = body("mq", "message-broker", json!({"admin_password": "correct-horse-battery"}));
    c.expect(202, Method::POST, &format!("{P}/provisionings"), Some(req)).await;
    assert_eq!(settled(&c, "mq").await["state"], "Provisioned");
    let info = c.get(&format!("{P}/provisionings/mq/installation-info")).await;
    assert!(info.to_string().contains("correct-horse-battery"), "shown to an admin: {info}");
    // Neither the provisioning's rows nor its instances' user-data hold it in the clear.
    let store = api.te.engine.store();
    let leaks = store.db.query("SELECT user_data FROM instances", vec![]).await.unwrap();
    assert_eq!(leaks.len(), 3, "three brokers");
    for row in leaks {
        let ud = row.text(0);
        assert!(ud.starts_with("sealed:v1:") && !ud.contains("correct-horse-battery"), "{ud}");
    }
    let prov = store.db.query("SELECT parameters, secrets, credentials FROM provisionings", vec![]).await.unwrap();
    for i in 0..3 {
        assert!(!prov[0].text(i).contains("correct-horse-battery"), "column {i}: {}", prov[0].text(i));
    }
}
