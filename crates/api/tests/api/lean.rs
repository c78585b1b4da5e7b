//! Lean provisioning's catalog: VM profiles and software stacks, written by system
//! administrators, read by everyone, each bad field named.

use crate::support::Api;
use reqwest::Method;
use serde_json::{Value, json};

fn profile(name: &str) -> Value {
    json!({"name": name, "base_profile": "linux", "install_media": "ubuntu-22.04", "os_type": "Ubuntu",
           "os_version": "22.04", "memory_mib": 1024, "disk_gb": 30, "vcpus": 1})
}

#[tokio::test]
async fn profiles_are_written_by_administrators_and_keep_their_base() {
    let api = Api::start().await;
    let sys = api.admin();
    let p = sys.expect(201, Method::POST, "/v1/vm-profiles", Some(profile("ubuntu"))).await;
    assert_eq!((p["clock_offset"].as_str(), p["install_media"].as_str()), (Some("utc"), Some("ubuntu-22.04")), "{p}");
    let user = api.user("u").await;
    assert_eq!(user.get("/v1/vm-profiles").await.as_array().map(Vec::len), Some(1), "everyone reads them");
    let r = user.send(Method::POST, "/v1/vm-profiles", Some(&profile("mine"))).await;
    assert_eq!(r.status, 403, "{}", r.text);

    let p = sys
        .expect(200, Method::PATCH, "/v1/vm-profiles/ubuntu", Some(json!({"vcpus": 2, "clock_offset": "localtime"})))
        .await;
    assert_eq!((p["vcpus"].as_i64(), p["clock_offset"].as_str()), (Some(2), Some("localtime")), "{p}");

    let mut bad: Vec<(&str, Method, &str, Value)> = vec![
        ("base_profile", Method::PATCH, "/v1/vm-profiles/ubuntu", json!({"base_profile": "windows"})),
        ("clock_offset", Method::PATCH, "/v1/vm-profiles/ubuntu", json!({"clock_offset": "gmt"})),
        ("memory_mib", Method::PATCH, "/v1/vm-profiles/ubuntu", json!({"memory_mib": 64})),
    ];
    let mut windows_media = profile("w");
    windows_media["install_media"] = json!("windows-server-2022");
    bad.push(("install_media", Method::POST, "/v1/vm-profiles", windows_media));
    let mut no_type = profile("t");
    no_type["os_type"] = json!("");
    bad.push(("os_type", Method::POST, "/v1/vm-profiles", no_type));
    for (field, method, path, body) in bad {
        let r = sys.send(method, path, Some(&body)).await;
        assert_eq!(r.status, 400, "{field}: {}", r.text);
        assert!(r.error()["message"].as_str().unwrap().contains(field), "{field} named: {}", r.text);
    }
    let p = sys.get("/v1/vm-profiles/ubuntu").await;
    assert_eq!(
        (p["base_profile"].as_str(), p["vcpus"].as_i64()),
        (Some("linux"), Some(2)),
        "bad input changed nothing: {p}"
    );
    sys.expect(204, Method::DELETE, "/v1/vm-profiles/ubuntu", None).await;
}

#[tokio::test]
async fn software_stacks_say_what_they_fit_and_offer() {
    let api = Api::start().await;
    let sys = api.admin();
    let body = json!({"name": "django-2", "version": "2", "fits": [{"os_type": "Ubuntu", "os_version": "22.04"}],
                      "environments": ["production", "test", "test"], "install_script": "#!/bin/sh\npip install django\n"});
    let s = sys.expect(201, Method::POST, "/v1/software-stacks", Some(body.clone())).await;
    assert_eq!(s["environments"], json!(["test", "production"]), "{s}");
    let r = sys.send(Method::POST, "/v1/software-stacks", Some(&body)).await;
    assert_eq!(r.status, 409, "{}", r.text);
    for (field, edit) in [
        ("fits", json!({"fits": []})),
        ("environments", json!({"environments": ["staging"]})),
        ("install_script", json!({"install_script": "pip install django"})),
    ] {
        let mut b = body.clone();
        b["name"] = json!("other");
        b.as_object_mut().unwrap().extend(edit.as_object().unwrap().clone());
        let r = sys.send(Method::POST, "/v1/software-stacks", Some(&b)).await;
        assert_eq!(r.status, 400, "{field}: {}", r.text);
        assert!(r.error()["message"].as_str().unwrap().contains(field), "{field}: {}", r.text);
    }
    assert_eq!(sys.get("/v1/software-stacks").await.as_array().map(Vec::len), Some(1));
}
