//! The simulated clouds as a service (`gureum sim serve`), so that several gureum
//! servers sharing one database also share one cloud per connection. Calls bear the
//! service's token (a sim connection's credentials `{"token": …}`), except, unless the
//! operator gave one, calls from the service's own host. Its calls are the
//! node agents' ([`gureum_remote::DriverCall`] in, [`Answer`] out), each
//! [`Addressed`] to a connection's cloud with its region, zone and settings: the service
//! keeps no registry, a restarted one answers the next call, and a connection's new
//! settings apply from the next call its server makes.

use crate::{SimDriver, SimSettings};
use axum::extract::{ConnectInfo, State};
use axum::http::{HeaderMap, StatusCode};
use gureum_driver::{ConnectionSpec, Driver, DriverError, DriverResult, OpenError};
use gureum_remote::{Addressed, Answer, RemoteDriver};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::collections::HashMap;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

/// Where the service takes calls.
const CALL_PATH: &str = "/v1/sim/call";

/// How long a call may go unanswered before the service counts as gone. The engine
/// bounds each call by its own timeout first; this ends calls to a service that stopped
/// answering (a host that vanished holds a connection open).
const CALL_TIMEOUT: Duration = Duration::from_secs(600);

/// Which cloud a call is for, as the connection describes it.
#[derive(Debug, Serialize, Deserialize)]
struct Cloud {
    /// gureum's id of the connection: the cloud's journal is `<dir>/<id>.jsonl`.
    id: String,
    region: String,
    zone: String,
    /// The connection's settings as stored; the service parses them as a server would.
    settings: Value,
}

/// The clouds the service has opened, each with the settings it was last called with.
struct Clouds {
    dir: PathBuf,
    open: Mutex<HashMap<String, (Value, Arc<SimDriver>)>>,
}

impl Clouds {
    /// The handle on `c`'s cloud with `c`'s settings. A handle with other settings is
    /// replaced after its successor is open, so the cloud itself stays open throughout.
    fn handle(&self, c: &Cloud) -> DriverResult<Arc<SimDriver>> {
        let mut open = self.open.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some((settings, d)) = open.get(&c.id)
            && *settings == c.settings
            && (d.region(), d.zone()) == (c.region.as_str(), c.zone.as_str())
        {
            return Ok(d.clone());
        }
        let settings = SimSettings::parse(&c.settings).map_err(|e| DriverError::InvalidRequest(e.to_string()))?;
        let d = SimDriver::open(&self.dir, &c.id, &c.region, &c.zone, settings)
            .map_err(|e| DriverError::Unavailable(format!("the simulated cloud of connection {}: {e}", c.id)))?;
        let d = Arc::new(d);
        open.insert(c.id.clone(), (c.settings.clone(), d.clone()));
        Ok(d)
    }
}

/// The service over the clouds kept under `dir` (as a server keeps its own under
/// `<data-dir>/sim`), with `GET /healthz`. Callers bear `token`; with `trust_loopback`,
/// callers on this host need not. Serve it with the peer's address
/// (`into_make_service_with_connect_info::<SocketAddr>`).
pub fn router(dir: PathBuf, token: &str, trust_loopback: bool) -> axum::Router {
    use axum::routing::{get, post};
    let service = Service { clouds: Clouds { dir, open: Mutex::default() }, token: token.into(), trust_loopback };
    axum::Router::new()
        .route(CALL_PATH, post(serve_call))
        .route("/healthz", get(|| async { "ok\n" }))
        .with_state(Arc::new(service))
}

struct Service {
    clouds: Clouds,
    token: String,
    trust_loopback: bool,
}

async fn serve_call(
    State(s): State<Arc<Service>>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    axum::Json(a): axum::Json<Addressed<Cloud>>,
) -> (StatusCode, axum::Json<Answer>) {
    let trusted = s.trust_loopback && peer.ip().to_canonical().is_loopback();
    if !trusted && !gureum_remote::bearer_is(&headers, &s.token) {
        let refused = DriverError::Provider {
            code: "Unauthorized".into(),
            message: "the call lacks this service's token: give the connection the credentials \
                      {\"token\": …} with the token of gureum sim serve (its --token, or <data-dir>/sim.token)"
                .into(),
        };
        return (StatusCode::UNAUTHORIZED, axum::Json(Answer::Err(refused)));
    }
    let answer = match s.clouds.handle(&a.to) {
        Ok(d) => Answer::from(gureum_remote::execute(&*d, a.call).await),
        Err(e) => Answer::Err(e),
    };
    (StatusCode::OK, axum::Json(answer))
}

/// The driver of connection `c`, whose cloud the service at `endpoint` holds. What needs
/// no call (capabilities, prechecks, limits) is answered here from the same settings.
pub(crate) fn open(
    endpoint: &str,
    c: &ConnectionSpec<'_>,
    settings: SimSettings,
) -> Result<Arc<dyn Driver>, OpenError> {
    let local = SimDriver::in_memory(c.region, c.zone, settings).map_err(|e| OpenError::Internal(e.to_string()))?;
    let to = Cloud { id: c.id.into(), region: c.region.into(), zone: c.zone.into(), settings: c.settings.clone() };
    let to = serde_json::to_value(to).expect("a cloud serializes");
    let name = format!("the simulated cloud at {endpoint}");
    let url = format!("{endpoint}{CALL_PATH}");
    let token = c.credentials.and_then(|c| c.get("token")).and_then(Value::as_str);
    Ok(Arc::new(RemoteDriver::hosted(&name, &url, to, token, Arc::new(local), CALL_TIMEOUT)))
}
