//! `Idempotency-Key` on creating POSTs: the same key and body give the first response
//! again (and create once), another body or path with the key is a 409, and keys are
//! per user.

use crate::support;

use gureum_engine::testing::FAST;
use reqwest::Method;
use serde_json::{Value, json};
use support::{Api, Client};

const P: &str = "/v1/projects/p1";

async fn keyed(c: &Client, path: &str, body: &Value, key: &str) -> support::Resp {
    c.send_with(Method::POST, path, Some(body), &[("idempotency-key", key)]).await
}

async fn count(c: &Client, list: &str) -> usize {
    c.list_all(&format!("{P}/{list}")).await.len()
}

async fn setup() -> (Api, Client) {
    let api = Api::start().await;
    let c = api.admin();
    c.project_with_network("p1").await;
    (api, c)
}

#[tokio::test(flavor = "multi_thread")]
async fn the_same_key_and_body_replay_the_first_response_and_create_once() {
    let (_api, c) = setup().await;
    let (vpcs, ops) = (count(&c, "vpcs").await, count(&c, "operations").await);
    let body = json!({"name": "once", "cidr": "10.1.0.0/16", "connection": FAST});
    let first = keyed(&c, &format!("{P}/vpcs"), &body, "key-1").await;
    assert_eq!(first.status, 202, "{}", first.text);
    assert_eq!(first.header("idempotent-replayed"), None);
    let second = keyed(&c, &format!("{P}/vpcs"), &body, "key-1").await;
    assert_eq!(second.status, 202, "{}", second.text);
    assert_eq!(second.header("idempotent-replayed"), Some("true"));
    assert_eq!(second.body, first.body, "the replay is the first response");
    assert_eq!(second.body["id"], first.body["id"]);
    assert_ne!(second.header("x-request-id"), first.header("x-request-id"), "a replay is still its own request");
    c.settle("p1", &first.body).await;
    // A third time after the work finished: still the first response, nothing new.
    let third = keyed(&c, &format!("{P}/vpcs"), &body, "key-1").await;
    assert_eq!((third.status, &third.body), (202, &first.body));
    assert_eq!(count(&c, "vpcs").await, vpcs + 1, "one VPC made");
    assert_eq!(count(&c, "operations").await, ops + 1, "one operation started");
    let all = c.list_all(&format!("{P}/vpcs?name=once")).await;
    assert_eq!(all.len(), 1);
    assert_eq!(all[0]["id"], first.body["id"]);
}

#[tokio::test(flavor = "multi_thread")]
async fn the_same_key_with_another_request_is_a_conflict() {
    let (_api, c) = setup().await;
    let body = json!({"name": "first", "cidr": "10.1.0.0/16", "connection": FAST});
    let first = keyed(&c, &format!("{P}/vpcs"), &body, "key-2").await;
    assert_eq!(first.status, 202, "{}", first.text);
    let (vpcs, volumes, ops) = (count(&c, "vpcs").await, count(&c, "volumes").await, count(&c, "operations").await);

    let other_body = json!({"name": "second", "cidr": "10.2.0.0/16", "connection": FAST});
    let r = keyed(&c, &format!("{P}/vpcs"), &other_body, "key-2").await;
    assert_eq!(r.status, 409, "another body: {}", r.text);
    assert_eq!(r.error()["code"], "conflict");
    assert!(r.error()["message"].as_str().unwrap().contains("Idempotency-Key"), "{}", r.text);

    let volume = json!({"name": "vol", "size_gb": 1, "connection": FAST});
    let r = keyed(&c, &format!("{P}/volumes"), &volume, "key-2").await;
    assert_eq!(r.status, 409, "another path: {}", r.text);
    assert_eq!(r.error()["code"], "conflict");

    assert_eq!(count(&c, "vpcs").await, vpcs);
    assert_eq!(count(&c, "volumes").await, volumes);
    assert_eq!(count(&c, "operations").await, ops);
    assert!(c.list_all(&format!("{P}/vpcs?name=second")).await.is_empty());
}

#[tokio::test(flavor = "multi_thread")]
async fn keys_belong_to_their_user() {
    let (api, sys) = setup().await;
    let alice = api.user("alice").await;
    let bob = api.user("bob").await;
    for u in ["alice", "bob"] {
        sys.expect(200, Method::PUT, &format!("{P}/members/{u}"), Some(json!({"role": "member"}))).await;
    }
    let a = keyed(
        &alice,
        &format!("{P}/vpcs"),
        &json!({"name": "alices", "cidr": "10.1.0.0/16", "connection": FAST}),
        "shared",
    )
    .await;
    let b = keyed(
        &bob,
        &format!("{P}/vpcs"),
        &json!({"name": "bobs", "cidr": "10.2.0.0/16", "connection": FAST}),
        "shared",
    )
    .await;
    assert_eq!((a.status, b.status), (202, 202), "{} / {}", a.text, b.text);
    assert_eq!(b.header("idempotent-replayed"), None, "bob's request is not alice's replay");
    assert_ne!(a.body["id"], b.body["id"]);
    assert_eq!(a.body["name"], "alices");
    assert_eq!(b.body["name"], "bobs");
    // Each still replays their own.
    let again = keyed(
        &bob,
        &format!("{P}/vpcs"),
        &json!({"name": "bobs", "cidr": "10.2.0.0/16", "connection": FAST}),
        "shared",
    )
    .await;
    assert_eq!((again.header("idempotent-replayed"), &again.body), (Some("true"), &b.body));
}

/// A refused request is final too: its replay is the same refusal, naming the request
/// that was refused.
#[tokio::test(flavor = "multi_thread")]
async fn a_refusal_replays_as_the_same_refusal() {
    let (_api, c) = setup().await;
    let body = json!({"name": "bad", "cidr": "10.0.0.0/33", "connection": FAST});
    let first = keyed(&c, &format!("{P}/vpcs"), &body, "key-3").await;
    assert_eq!(first.status, 400, "{}", first.text);
    let original_id = first.error()["request_id"].clone();
    let second = keyed(&c, &format!("{P}/vpcs"), &body, "key-3").await;
    assert_eq!(second.status, 400, "{}", second.text);
    assert_eq!(second.header("idempotent-replayed"), Some("true"));
    assert_eq!(second.body["error"]["field"], "cidr");
    assert_eq!(second.body["error"]["message"], first.body["error"]["message"]);
    assert_eq!(second.body["error"]["request_id"], original_id, "the replay names the request that was refused");
}

/// Many identical keyed requests at once still make exactly one resource: each answer is
/// the first response or a 409 saying the first is still being processed.
#[tokio::test(flavor = "multi_thread")]
async fn concurrent_retries_create_once() {
    let (_api, c) = setup().await;
    let body = json!({"name": "raced", "cidr": "10.1.0.0/16", "connection": FAST});
    let tries: Vec<_> = (0..16)
        .map(|_| {
            let (c, body) = (c.clone(), body.clone());
            async move { keyed(&c, &format!("{P}/vpcs"), &body, "key-4").await }
        })
        .collect();
    let answers = futures::future::join_all(tries).await;
    let accepted: Vec<&support::Resp> = answers.iter().filter(|r| r.status == 202).collect();
    assert!(!accepted.is_empty(), "{answers:?}");
    for r in &answers {
        match r.status {
            202 => assert_eq!(r.body["id"], accepted[0].body["id"], "{}", r.text),
            409 => assert_eq!(r.error()["code"], "conflict"),
            other => panic!("unexpected {other}: {}", r.text),
        }
    }
    let fresh = accepted.iter().filter(|r| r.header("idempotent-replayed").is_none()).count();
    assert_eq!(fresh, 1, "exactly one request did the work");
    assert_eq!(c.list_all(&format!("{P}/vpcs?name=raced")).await.len(), 1);
}

/// The stored first response is sealed: a generated private key, returned to the caller
/// (and to their replays), is not kept readable in the database.
#[tokio::test(flavor = "multi_thread")]
async fn a_replayed_secret_is_not_stored_in_the_clear() {
    use sha2::Digest;
    let (api, c) = setup().await;
    let path = format!("{P}/key-pairs");
    let body = json!({"name": "kept", "connection": FAST});
    let first = keyed(&c, &path, &body, "key-5").await;
    assert_eq!(first.status, 202, "{}", first.text);
    let private = first.body["private_key"].as_str().expect("a generated private key").to_string();
    let replay = keyed(&c, &path, &body, "key-5").await;
    assert_eq!(replay.body["private_key"], first.body["private_key"], "the replay is the first response");

    let hash = hex::encode(sha2::Sha256::digest(serde_json::to_vec(&body).unwrap()));
    let req = gureum_store::IdempotentRequest {
        actor: api.te.admin.user_id,
        key: "key-5",
        method: "POST",
        path: &path,
        body_hash: &hash,
    };
    let stored = api.te.engine.store().idempotency_begin(&req, "another-server", 0, 0).await;
    let Ok(gureum_store::IdempotentReplay::Done { body: stored, .. }) = stored else {
        panic!("the first response is stored: {stored:?}")
    };
    let secret_line = private.lines().nth(1).expect("a key body line");
    assert!(!stored.contains(secret_line), "the stored response holds the private key in the clear");
    assert!(!stored.contains("kept"), "the stored response is sealed as a whole");
}

/// A key reserved by a server that died mid-request (no heartbeat for longer than
/// `DEAD_AFTER`) is taken over and the request runs; one a live server holds is still
/// "being processed".
#[tokio::test(flavor = "multi_thread")]
async fn a_key_a_dead_server_held_mid_request_runs_again() {
    use sha2::Digest;
    use std::time::Duration;
    let (api, c) = setup().await;
    let store = api.te.engine.store();
    let path = format!("{P}/vpcs");
    let long_ago = gureum_store::now() - 60_000_000;
    let reserve = async |key: &'static str, body: &Value, holder: &str| {
        let hash = hex::encode(sha2::Sha256::digest(serde_json::to_vec(body).unwrap()));
        let req = gureum_store::IdempotentRequest {
            actor: api.te.admin.user_id,
            key,
            method: "POST",
            path: &path,
            body_hash: &hash,
        };
        let begun = store.idempotency_begin(&req, holder, long_ago, long_ago).await.unwrap();
        assert!(matches!(begun, gureum_store::IdempotentReplay::Fresh), "{begun:?}");
    };
    let dead = json!({"name": "orphan", "cidr": "10.1.0.0/16", "connection": FAST});
    reserve("key-dead", &dead, "a-dead-server").await;
    store.server_heartbeat("a-dead-server", long_ago).await.unwrap();
    let retried = keyed(&c, &path, &dead, "key-dead").await;
    assert_eq!(retried.status, 202, "{}", retried.text);
    assert_eq!(retried.body["name"], "orphan");
    let again = keyed(&c, &path, &dead, "key-dead").await;
    assert_eq!((again.status, again.header("idempotent-replayed")), (202, Some("true")), "then it is replayed");

    let live = json!({"name": "running", "cidr": "10.2.0.0/16", "connection": FAST});
    reserve("key-live", &live, "a-live-server").await;
    store.server_heartbeat("a-live-server", gureum_store::now()).await.unwrap();
    let busy = keyed(&c, &path, &live, "key-live").await;
    assert_eq!(busy.status, 409, "{}", busy.text);
    assert!(busy.text.contains("still being processed"), "{}", busy.text);
    assert!(gureum_engine::worker::servers::DEAD_AFTER < Duration::from_secs(60));
}
