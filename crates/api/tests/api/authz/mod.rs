//! The authorization matrix: every operation of the served OpenAPI document × {system
//! administrator, project admin, member, reader, another project's admin, no token},
//! each against the exact status its role earns. The list of operations comes from the
//! document, so an endpoint added without a row here fails the test.
//!
//! Every (row, caller) pair gets its own fresh fixture in the state the action needs
//! (an Active instance to stop, a Stopped one to start, a Resized one to confirm…), so
//! an allowed call answers exactly its 2xx and a refused call is refused for its role
//! alone; destructive calls never take away what another row needs.

use crate::support;

mod lean;
mod maintenance;
mod rows;
mod tenancy_rows;
mod world;

use rows::*;
use tenancy_rows::*;
use world::*;

use futures::StreamExt;
use gureum_engine::testing::FAST;
use reqwest::Method;
use serde_json::{Value, json};
use std::collections::BTreeSet;
use std::sync::atomic::{AtomicUsize, Ordering};
use support::{Api, Client, PUBLIC_KEY, Resp};

/// The callers, in the matrix's column order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Who {
    /// The system administrator (also admin of every project).
    Sys,
    /// `adm`, admin of p1.
    Adm,
    /// `mem`, member of p1.
    Mem,
    /// `rdr`, reader of p1.
    Rdr,
    /// `other`, admin of p2 only.
    Other,
    /// No token.
    Anon,
}

const WHO: [Who; 6] = [Who::Sys, Who::Adm, Who::Mem, Who::Rdr, Who::Other, Who::Anon];

impl Who {
    fn label(self) -> &'static str {
        match self {
            Who::Sys => "sysadmin",
            Who::Adm => "admin",
            Who::Mem => "member",
            Who::Rdr => "reader",
            Who::Other => "p2-admin",
            Who::Anon => "no token",
        }
    }

    /// The user name; a caller without a token stands in for `adm` where a path needs one.
    fn user(self) -> &'static str {
        match self {
            Who::Sys => "admin",
            Who::Adm | Who::Anon => "adm",
            Who::Mem => "mem",
            Who::Rdr => "rdr",
            Who::Other => "other",
        }
    }

    /// May create resources in p1 (sysadmin, admin, member).
    fn manages_p1(self) -> bool {
        matches!(self, Who::Sys | Who::Adm | Who::Mem)
    }
}

type Expect = [u16; 6];

/// Readable by everyone who may see p1.
const fn read() -> Expect {
    [200, 200, 200, 200, 404, 401]
}
/// Managing p1's resources: admins and members.
const fn manage(ok: u16) -> Expect {
    [ok, ok, ok, 403, 404, 401]
}
/// Project-admin permissions (members, public IP configuration).
const fn project_admin(ok: u16) -> Expect {
    [ok, ok, 403, 403, 404, 401]
}
/// System administration.
const fn system(ok: u16) -> Expect {
    [ok, 403, 403, 403, 403, 401]
}
/// Anyone with a valid token.
const fn anyone(ok: u16) -> Expect {
    [ok, ok, ok, ok, ok, 401]
}
/// Calls that authenticate by a secret in the body (node agents): the same for everyone.
const fn by_body_secret(status: u16) -> Expect {
    [status; 6]
}
/// Another user's account: only the system administrator sees it.
const fn others_account(ok: u16) -> Expect {
    [ok, 404, 404, 404, 404, 401]
}

/// What a row needs prepared before each caller's request.
#[derive(Debug, Clone, Copy)]
enum Case {
    /// A fixed path to shared fixtures, no body.
    Fixed(&'static str),
    /// A fixed path and a body made from a unique suffix.
    Body(&'static str, fn(&str) -> Value),
    /// `/v1/users/{user}` + suffix: the caller's own account, or `victim`'s.
    Account { own: bool, suffix: &'static str, body: Option<fn(&str) -> Value> },
    /// A fresh fixture of this kind.
    Make(Fresh),
}

#[derive(Debug, Clone, Copy)]
enum Fresh {
    VpcDelete,
    SubnetCreate,
    SubnetDelete,
    VpcSubnetDelete,
    SecurityGroupDelete,
    RuleCreate,
    RuleDelete,
    PublicIpDelete,
    PublicIpAttach,
    PublicIpDetach,
    VolumeDelete,
    VolumeAttach,
    VolumeDetach,
    VolumeExtend,
    VolumeUpload,
    SnapshotCreate,
    SnapshotDelete,
    ImageDelete,
    PoolCreate,
    PoolDelete,
    NodeDelete,
    /// An instance in the state the action needs, and the action's body.
    Instance {
        action: &'static str,
        method: &'static str,
    },
    KeyPairDelete {
        own: bool,
    },
    ProjectDelete,
    MemberDelete,
    UserDelete,
    TokenDelete {
        own: bool,
    },
    ConnectionDelete,
    ResellerDelete,
    CustomerDelete,
    TemplateDelete,
    ProfileDelete,
    SoftwareStackDelete,
    ProvisioningReturn,
    ProvisioningDelete,
    HistoryLog,
    /// A VM template in the state the action (or delete) needs.
    VmTemplate {
        action: &'static str,
    },
    SystemOperation,
    PersistentVmDelete,
    /// A pool of its own sharing a node (to share, or to stop sharing).
    NodeShare {
        unshare: bool,
    },
    /// A maintenance task whose resource is in the status the action needs.
    Maintenance {
        action: &'static str,
    },
}

struct Row {
    /// `METHOD /path/{param}` as in the OpenAPI document.
    op: &'static str,
    variant: &'static str,
    expect: Expect,
    case: Case,
}

fn row(op: &'static str, expect: Expect, case: Case) -> Row {
    Row { op, variant: "", expect, case }
}

fn variant(op: &'static str, variant: &'static str, expect: Expect, case: Case) -> Row {
    Row { op, variant, expect, case }
}

/// Whether `path` is an instance of the document's `template`.
fn fits(template: &str, path: &str) -> bool {
    let path = path.split('?').next().unwrap_or(path);
    let (t, p): (Vec<&str>, Vec<&str>) = (template.split('/').collect(), path.split('/').collect());
    t.len() == p.len() && t.iter().zip(&p).all(|(t, p)| if t.starts_with('{') { !p.is_empty() } else { t == p })
}

/// Every `METHOD /path` of the served document.
async fn documented_operations(api: &Api) -> BTreeSet<String> {
    let r = api.client(None).send(Method::GET, "/v1/openapi.json", None).await;
    assert_eq!(r.status, 200, "the document is public: {}", r.text);
    let mut ops = BTreeSet::new();
    for (path, item) in r.body["paths"].as_object().expect("paths") {
        for method in item.as_object().expect("path item").keys() {
            if ["get", "put", "post", "delete", "patch", "head", "options", "trace"].contains(&method.as_str()) {
                ops.insert(format!("{} {path}", method.to_uppercase()));
            }
        }
    }
    ops
}

fn error_code(status: u16) -> Option<&'static str> {
    match status {
        401 => Some("unauthenticated"),
        403 => Some("forbidden"),
        404 => Some("not_found"),
        _ => None,
    }
}

/// What one caller got for one row: the status, and what was wrong (if anything).
struct Outcome {
    status: u16,
    problem: Option<String>,
    /// The operation an accepted call started.
    operation: Option<String>,
}

fn judge(expected: u16, r: &Resp) -> Option<String> {
    if r.status != expected {
        return Some(format!("{} (want {expected}): {}", r.status, r.text.chars().take(300).collect::<String>()));
    }
    if let Some(code) = error_code(expected) {
        let e = &r.body["error"];
        let well_formed = e["code"] == code
            && e["message"].as_str().is_some_and(|m| !m.is_empty())
            && e["request_id"].as_str().is_some()
            && e["request_id"].as_str() == r.header("x-request-id");
        if !well_formed {
            return Some(format!("{} without the error body (code {code}, request_id): {}", r.status, r.text));
        }
    } else if expected != 204
        && r.body.is_null()
        && !r.header("content-type").is_some_and(|c| c.starts_with("text/plain"))
    {
        return Some(format!("{} without a JSON body: {}", r.status, r.text));
    }
    None
}

fn render(rows: &[Row], outcomes: &[Vec<Outcome>]) -> String {
    let label = |r: &Row| if r.variant.is_empty() { r.op.to_string() } else { format!("{} [{}]", r.op, r.variant) };
    let width = rows.iter().map(|r| label(r).len()).max().unwrap_or(0);
    let mut out = format!("{:width$}", "");
    for w in WHO {
        out.push_str(&format!(" | {:>16}", w.label()));
    }
    out.push('\n');
    let mut problems = String::new();
    for (r, row) in rows.iter().enumerate() {
        let mut line = format!("{:width$}", label(row));
        for (w, o) in outcomes[r].iter().enumerate() {
            let cell = match &o.problem {
                None => format!("{}", o.status),
                Some(_) if o.status == row.expect[w] => format!("✗ {} (see below)", o.status),
                Some(_) => format!("✗ {} want {}", o.status, row.expect[w]),
            };
            line.push_str(&format!(" | {cell:>16}"));
            if let Some(p) = &o.problem {
                problems.push_str(&format!("{} / {}: {p}\n", label(row), WHO[w].label()));
            }
        }
        out.push_str(&line);
        out.push('\n');
    }
    format!("{out}\n{problems}")
}

#[tokio::test(flavor = "multi_thread")]
async fn every_endpoint_answers_every_role_as_the_matrix_says() {
    let world = World::build().await;
    let rows: Vec<Row> =
        rows().into_iter().chain(lean::rows()).chain(maintenance::rows()).chain(tenancy_rows()).collect();

    // The table covers the document, and only the document.
    let documented = documented_operations(&world.api).await;
    let tabled: BTreeSet<String> = rows.iter().map(|r| r.op.to_string()).collect();
    let missing: Vec<&String> = documented.difference(&tabled).collect();
    let unknown: Vec<&String> = tabled.difference(&documented).collect();
    assert!(
        missing.is_empty() && unknown.is_empty(),
        "operations in /v1/openapi.json without a row in the authz matrix: {missing:#?}\n\
         rows for operations the document does not have: {unknown:#?}"
    );

    // A fresh fixture for every row and caller, prepared concurrently.
    let jobs: Vec<(usize, usize)> = (0..rows.len()).flat_map(|r| (0..WHO.len()).map(move |w| (r, w))).collect();
    let mut prepared: Vec<((usize, usize), Request)> = futures::stream::iter(jobs)
        .map(|(r, w)| {
            let (world, rows) = (&world, &rows);
            async move { ((r, w), world.prepare(&rows[r], WHO[w]).await) }
        })
        .buffer_unordered(8)
        .collect()
        .await;
    prepared.sort_by_key(|(k, _)| *k);

    // The walk.
    let mut outcomes: Vec<Vec<Outcome>> = rows.iter().map(|_| Vec::new()).collect();
    for ((r, w), (path, body)) in prepared {
        let row = &rows[r];
        let (method, template) = row.op.split_once(' ').expect("METHOD /path");
        assert!(fits(template, &path), "{path} does not fit {template}");
        let method = Method::from_bytes(method.as_bytes()).expect("a method");
        let resp = world.caller(WHO[w]).send(method, &path, body.as_ref()).await;
        let mut problem = judge(row.expect[w], &resp);
        let operation = resp.body["operation_id"].as_str().map(str::to_string);
        if resp.status == 202 && operation.is_none() && problem.is_none() {
            problem = Some(format!("202 without an operation to follow: {}", resp.text));
        }
        outcomes[r].push(Outcome { status: resp.status, problem, operation });
    }
    // Every accepted call is carried out: its preconditions held.
    for (r, row) in rows.iter().enumerate() {
        for (w, o) in outcomes[r].iter_mut().enumerate() {
            let Some(op) = o.operation.take() else { continue };
            // A VM template's operations belong to no project.
            let done = if row.op.contains(" /v1/vm-templates") {
                world.sys().get(&format!("/v1/operations/{op}?wait_seconds=30")).await
            } else {
                world.sys().finished_op("p1", &op).await
            };
            if done["status"] != "succeeded" {
                o.problem =
                    Some(format!("{} accepted, but its operation ended {}: {done}", row.expect[w], done["status"]));
            }
        }
    }
    let failed = outcomes.iter().flatten().filter(|o| o.problem.is_some()).count();
    assert!(failed == 0, "{failed} cells of the authz matrix differ:\n{}", render(&rows, &outcomes));
    // Refused callers started nothing.
    let started: Vec<String> = world
        .sys()
        .list_all(&format!("{P1}/operations"))
        .await
        .into_iter()
        .filter(|o| ["rdr", "other"].contains(&o["created_by"].as_str().unwrap_or_default()))
        .map(|o| o.to_string())
        .collect();
    assert!(started.is_empty(), "refused callers started operations: {started:#?}");
}
