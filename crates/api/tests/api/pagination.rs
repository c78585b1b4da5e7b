//! Lists page with a limit and an opaque cursor: every item once, in creation order, and
//! limits outside 1–1000 refused.

use crate::support;

use gureum_engine::testing::FAST;
use reqwest::Method;
use serde_json::json;
use support::PUBLIC_KEY;

const P: &str = "/v1/projects/p1";

#[tokio::test(flavor = "multi_thread")]
async fn pages_of_100_walk_250_key_pairs_once_each_in_creation_order() {
    let api = support::Api::start().await;
    let c = api.admin();
    c.expect(201, Method::POST, "/v1/projects", Some(json!({"name": "p1"}))).await;
    let mut created = Vec::with_capacity(250);
    for i in 0..250 {
        let body = json!({"name": format!("kp-{i:03}"), "public_key": PUBLIC_KEY, "connection": FAST});
        let kp = c.expect(202, Method::POST, &format!("{P}/key-pairs"), Some(body)).await;
        created.push(kp["id"].as_str().expect("id").to_string());
    }

    let mut seen: Vec<String> = vec![];
    let mut sizes = vec![];
    let mut cursor: Option<String> = None;
    loop {
        let path = match &cursor {
            None => format!("{P}/key-pairs?limit=100"),
            Some(cur) => format!("{P}/key-pairs?limit=100&cursor={cur}"),
        };
        let page = c.get(&path).await;
        let items = page["items"].as_array().expect("items");
        sizes.push(items.len());
        seen.extend(items.iter().map(|k| k["id"].as_str().expect("id").to_string()));
        match page["next_cursor"].as_str() {
            Some(next) => cursor = Some(next.to_string()),
            None => break,
        }
        assert!(sizes.len() < 10, "the cursor never ends");
    }
    assert_eq!(sizes, [100, 100, 50], "three pages");
    assert_eq!(seen, created, "every key pair once, in creation order");

    // One page of up to 1000 holds them all and has no next page.
    let all = c.get(&format!("{P}/key-pairs?limit=1000")).await;
    assert_eq!(all["items"].as_array().map(Vec::len), Some(250));
    assert!(all.get("next_cursor").is_none_or(|n| n.is_null()), "{}", all["next_cursor"]);
    // Filters page too: names containing "kp-1" are kp-1xx (100 of them).
    let first = c.get(&format!("{P}/key-pairs?name=kp-1&limit=60")).await;
    let cur = first["next_cursor"].as_str().expect("a second page");
    let second = c.get(&format!("{P}/key-pairs?name=kp-1&limit=60&cursor={cur}")).await;
    let names: Vec<&str> = first["items"]
        .as_array()
        .into_iter()
        .chain(second["items"].as_array())
        .flatten()
        .map(|k| k["name"].as_str().expect("name"))
        .collect();
    let expected: Vec<String> = (100..200).map(|i| format!("kp-{i:03}")).collect();
    assert_eq!(names, expected);

    for limit in ["0", "1001"] {
        let r = c.send(Method::GET, &format!("{P}/key-pairs?limit={limit}"), None).await;
        assert_eq!(r.status, 400, "limit={limit}: {}", r.text);
        assert_eq!(r.error()["code"], "invalid_request");
        assert_eq!(r.error()["field"], "limit");
    }
}
