//! Maintenance notifications and the webhooks they are delivered to.

use crate::Links;
pub use gureum_model::maintenance::{DeliveryStatus, NoticeKind};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

/// A resource or task as a notification names it (its name when the notice was written).
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct NoticeSubject {
    pub id: Uuid,
    pub name: String,
}

/// A notice about a resource of a maintenance task. Webhooks receive this same object.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct Notification {
    pub id: Uuid,
    pub project_id: Uuid,
    pub task: NoticeSubject,
    /// The instance; null for a notice about the whole task.
    pub resource: Option<NoticeSubject>,
    /// `upcoming` (before execution, at the task's `notify_before` lead times),
    /// `started`, `completed` or `failed`.
    pub kind: NoticeKind,
    pub message: String,
    pub created_at: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct WebhookCreate {
    /// 1–63 characters: a letter, then letters, digits, `-`, `_` or `.`; unique in the project.
    #[schema(pattern = "^[A-Za-z][A-Za-z0-9._-]*$", min_length = 1, max_length = 63)]
    pub name: String,
    /// `http` or `https`, without user or password in it; not a link-local,
    /// unspecified, broadcast or multicast address (loopback and private ones are fine).
    #[schema(max_length = 2048)]
    pub url: String,
    /// The key of the `X-Gureum-Signature` HMAC, 16–256 characters. Write-only: it is
    /// sealed at rest and never returned.
    #[schema(min_length = 16, max_length = 256, write_only)]
    pub secret: String,
}

/// Where the project's maintenance notifications are POSTed. Each delivery is a JSON
/// [`Notification`] with `X-Gureum-Delivery: <delivery id>` and `X-Gureum-Signature:
/// sha256=<hex HMAC-SHA256 of the exact body, keyed with the webhook's secret>`.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct Webhook {
    pub id: Uuid,
    pub name: String,
    pub url: String,
    pub created_at: String,
    pub links: Links,
}

/// One notification sent to one webhook. A non-2xx answer or a connection error is
/// retried after 1 s, 2 s, 4 s… (at most 5 minutes apart); after 8 attempts it is `failed`.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct Delivery {
    pub id: Uuid,
    pub notification_id: Uuid,
    /// The notification's kind (null only if the notification is gone).
    pub kind: Option<NoticeKind>,
    pub status: DeliveryStatus,
    pub attempts: i64,
    pub last_response_code: Option<i64>,
    pub last_error: Option<String>,
    /// Every attempt so far, oldest first.
    pub attempt_log: Vec<DeliveryAttempt>,
    /// When the next attempt is made, while `pending`.
    pub next_attempt_at: Option<String>,
    pub created_at: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct DeliveryAttempt {
    pub at: String,
    /// The HTTP status the webhook answered, if it answered.
    pub response_code: Option<i64>,
    /// Why the attempt failed, if it did.
    pub error: Option<String>,
}
