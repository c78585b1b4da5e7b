//! Webhook deliveries: every notification becomes one durable delivery per webhook of its
//! project, POSTed as JSON signed with an HMAC-SHA256 of the exact body
//! (`X-Gureum-Signature: sha256=<hex>`), retried with exponential backoff until a 2xx or
//! `ATTEMPTS` attempts, each attempt recorded. A server claims a delivery (a guarded
//! update of its generation and `claimed_until`) before sending it, so servers sharing
//! one database never send the same delivery at once.

use super::notifications::notification_view;
use super::webhook_targets::{GuardedResolver, RULE, literal_forbidden};
use crate::views::{ts, ts_opt};
use crate::worker::Worker;
use crate::{Engine, Result};
use futures::StreamExt;
use gureum_api_types::{Delivery, DeliveryAttempt};
use gureum_model::maintenance::{DeliveryStatus, NoticeKind};
use gureum_store::db::{Batch, Stmt};
use gureum_store::{
    DbError, DeliveryRecord, NotificationRecord, Record, Update, Val, WebhookRecord, args, new_id, now,
};
use hmac::{Hmac, Mac};
use sha2::Sha256;
use std::sync::Arc;
use std::time::Duration;

pub const DELIVER_EVERY: Duration = Duration::from_millis(500);
/// Attempts before a delivery is `failed`.
pub const ATTEMPTS: i64 = 8;
/// The longest wait between two attempts.
const MAX_BACKOFF_SECONDS: i64 = 300;
/// How long a server holds a delivery it is sending (longer than the request timeout).
const CLAIM: Duration = Duration::from_secs(30);
const REQUEST_TIMEOUT: Duration = Duration::from_secs(10);
/// Deliveries sent at once by one server.
const CONCURRENCY: usize = 8;
const BATCH: u32 = 100;

pub(super) fn start(engine: &Engine) {
    let e = engine.clone();
    let http = reqwest::Client::builder()
        .timeout(REQUEST_TIMEOUT)
        // A redirect would resend the signed body somewhere the project did not name.
        .redirect(reqwest::redirect::Policy::none())
        .dns_resolver(Arc::new(GuardedResolver))
        .build()
        .expect("an HTTP client without custom TLS settings builds");
    Worker::new("maintenance_deliveries", DELIVER_EVERY).singleton(engine).spawn(engine.shutdown_signal(), move || {
        let (engine, http) = (e.clone(), http.clone());
        async move { engine.maintenance_delivery_pass(&http).await }
    });
}

/// `sha256=<hex HMAC-SHA256 of body keyed with secret>`.
pub fn signature(secret: &[u8], body: &[u8]) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret).expect("HMAC takes a key of any length");
    mac.update(body);
    format!("sha256={}", hex::encode(mac.finalize().into_bytes()))
}

/// The wait after `attempts` failed attempts: 1 s, 2 s, 4 s… at most 5 minutes.
fn backoff_seconds(attempts: i64) -> i64 {
    1i64.checked_shl((attempts - 1).clamp(0, 62) as u32).unwrap_or(i64::MAX).min(MAX_BACKOFF_SECONDS)
}

pub(super) fn delivery_view(d: &DeliveryRecord, kind: Option<NoticeKind>) -> Delivery {
    let log: Vec<DeliveryAttempt> = serde_json::from_str(&d.attempt_log).unwrap_or_default();
    Delivery {
        id: d.id,
        notification_id: d.notification_id,
        kind,
        status: d.status,
        attempts: d.attempts,
        last_response_code: d.last_response_code,
        last_error: d.last_error.clone(),
        attempt_log: log,
        next_attempt_at: ts_opt((d.status == DeliveryStatus::Pending).then_some(d.next_attempt_at)),
        created_at: ts(d.created_at),
    }
}

impl Engine {
    /// Creates the deliveries of new notifications, then sends what is due.
    pub async fn maintenance_delivery_pass(&self, http: &reqwest::Client) -> Result<()> {
        self.maintenance_fan_out().await?;
        let due = self.store().deliveries_due(now(), BATCH).await?;
        futures::stream::iter(due)
            .for_each_concurrent(CONCURRENCY, |d| async move {
                if let Err(e) = self.maintenance_deliver(http, d).await {
                    tracing::warn!(error = %e, "a webhook delivery could not be recorded");
                }
            })
            .await;
        Ok(())
    }

    /// One delivery per webhook that existed when the notification was written, in one
    /// batch with the mark that it was done (another server doing it meanwhile wins).
    async fn maintenance_fan_out(&self) -> Result<()> {
        for n in self.store().notifications_to_fan_out(BATCH).await? {
            let hooks = self.store().list_all::<WebhookRecord>(&[("project_id", n.project_id.into())]).await?;
            let t = now();
            let mut batch = Batch::from(Stmt::one(
                "UPDATE maintenance_notifications SET fanned_out = $1 WHERE id = $2 AND fanned_out = $3",
                args![true, n.id, false],
            ));
            for w in hooks.iter().filter(|w| w.created_at <= n.created_at) {
                let d = DeliveryRecord {
                    id: new_id(),
                    project_id: n.project_id,
                    webhook_id: w.id,
                    notification_id: n.id,
                    status: DeliveryStatus::Pending,
                    attempts: 0,
                    last_response_code: None,
                    last_error: None,
                    attempt_log: "[]".into(),
                    next_attempt_at: t,
                    claimed_until: None,
                    created_at: t,
                    updated_at: t,
                    generation: 1,
                };
                batch.push(d.insert());
            }
            match self.store().write(batch).await {
                Ok(_) | Err(DbError::Conflict { .. }) => {}
                Err(e) => return Err(e.into()),
            }
        }
        Ok(())
    }

    /// Claims, sends and records one attempt of `d`.
    async fn maintenance_deliver(&self, http: &reqwest::Client, d: DeliveryRecord) -> Result<()> {
        let claimed_until = now() + CLAIM.as_micros() as i64;
        let claim = Update::<DeliveryRecord>::of(d.id)
            .set(DeliveryRecord::claimed_until, claimed_until)
            .guard(DeliveryRecord::generation, d.generation);
        match self.store().write(claim.stmt(now())).await {
            Ok(_) => {}
            // Another server claimed it first.
            Err(DbError::Conflict { .. }) => return Ok(()),
            Err(e) => return Err(e.into()),
        }
        let (code, error) = self.maintenance_send(http, &d).await;
        let attempts = d.attempts + 1;
        let at = now();
        let status = match (&error, attempts >= ATTEMPTS) {
            (None, _) => DeliveryStatus::Delivered,
            (Some(_), true) => DeliveryStatus::Failed,
            (Some(_), false) => DeliveryStatus::Pending,
        };
        let mut log: Vec<DeliveryAttempt> = serde_json::from_str(&d.attempt_log).unwrap_or_default();
        log.push(DeliveryAttempt { at: ts(at), response_code: code, error: error.clone() });
        let record = Update::<DeliveryRecord>::of(d.id)
            .set(DeliveryRecord::status, status.as_str())
            .set(DeliveryRecord::attempts, attempts)
            .set(DeliveryRecord::last_response_code, code)
            .set(DeliveryRecord::last_error, error.map_or(Val::Null, Val::from))
            .set(DeliveryRecord::attempt_log, serde_json::to_string(&log).unwrap_or_default())
            .set(DeliveryRecord::next_attempt_at, at + backoff_seconds(attempts) * 1_000_000)
            .set(DeliveryRecord::claimed_until, Val::Null)
            .guard(DeliveryRecord::generation, d.generation + 1);
        // Lenient: a webhook deleted meanwhile took its deliveries with it.
        self.store().write(record.lenient().stmt(at)).await?;
        Ok(())
    }

    /// POSTs the notification; the HTTP status it got, and what went wrong if anything.
    /// Errors never carry the secret, the URL or the body.
    async fn maintenance_send(&self, http: &reqwest::Client, d: &DeliveryRecord) -> (Option<i64>, Option<String>) {
        let store = self.store();
        let (hook, n) = match (
            store.get_by_id::<WebhookRecord>(d.webhook_id).await,
            store.get_by_id::<NotificationRecord>(d.notification_id).await,
        ) {
            (Ok(Some(h)), Ok(Some(n))) => (h, n),
            (Ok(None), _) => return (None, Some("the webhook is gone".into())),
            (_, Ok(None)) => return (None, Some("the notification is gone".into())),
            (Err(e), _) | (_, Err(e)) => return (None, Some(format!("reading the delivery: {e}"))),
        };
        let secret = match self.config().secret_key.open_field(&hook.secret) {
            Ok(s) => s,
            Err(e) => return (None, Some(format!("the webhook's secret: {e}"))),
        };
        // A webhook made before the rule, or an address the resolver never sees.
        if reqwest::Url::parse(&hook.url).is_ok_and(|u| literal_forbidden(&u)) {
            return (None, Some(format!("the webhook's URL {RULE}")));
        }
        let body = serde_json::to_vec(&notification_view(&n)).unwrap_or_default();
        let sent = http
            .post(&hook.url)
            .header("content-type", "application/json")
            .header("x-gureum-signature", signature(secret.as_bytes(), &body))
            .header("x-gureum-delivery", d.id.to_string())
            .body(body)
            .send()
            .await;
        match sent {
            Ok(r) if r.status().is_success() => (Some(r.status().as_u16().into()), None),
            Ok(r) => (Some(r.status().as_u16().into()), Some(format!("answered {}", r.status()))),
            Err(e) => (None, Some(request_error(e))),
        }
    }
}

fn request_error(e: reqwest::Error) -> String {
    let what = if e.is_timeout() {
        "timed out"
    } else if e.is_connect() {
        "could not connect"
    } else {
        "request failed"
    };
    format!("{what}: {}", e.without_url())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_signature_is_the_hex_hmac_sha256_of_the_body() {
        // RFC 4231 test case 2.
        assert_eq!(
            signature(b"Jefe", b"what do ya want for nothing?"),
            "sha256=5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
    }

    #[test]
    fn retries_back_off_exponentially_up_to_five_minutes() {
        let waits: Vec<i64> = (1..=10).map(backoff_seconds).collect();
        assert_eq!(waits, [1, 2, 4, 8, 16, 32, 64, 128, 256, 300]);
        assert_eq!(backoff_seconds(1000), 300);
    }
}
