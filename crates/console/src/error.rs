//! Engine errors as pages, in one place: a missing resource is the 404 page, a refused
//! permission the 403 message, and everything else an error page with the engine's
//! message and the HTTP status the API would use. Errors of a posted form are shown on the
//! form instead (see `forms::FormState`).

use crate::page::no_store;
use askama::Template;
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};
use gureum_engine::Error;

/// The status the API gives the same error.
pub fn status_of(e: &Error) -> StatusCode {
    StatusCode::from_u16(e.http_status().0).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
}

/// What the user reads for an engine error (internal details stay in the log).
pub fn message_of(e: &Error) -> String {
    match e {
        Error::Invalid(f) if f.field == "confirm_name" => f.rule.clone(),
        Error::Invalid(f) => format!("{}: {}", f.field, f.rule),
        Error::Internal(_) => "internal server error; the server log has the details".into(),
        other => other.to_string(),
    }
}

#[derive(Debug)]
pub enum PageError {
    Engine(Error),
    /// A form whose CSRF token does not match the session's.
    Csrf,
}

impl From<Error> for PageError {
    fn from(e: Error) -> Self {
        PageError::Engine(e)
    }
}

pub type PageResult<T = Response> = Result<T, PageError>;

#[derive(Template)]
#[template(path = "error.html")]
struct ErrorPage {
    status: u16,
    title: String,
    message: String,
}

impl IntoResponse for PageError {
    fn into_response(self) -> Response {
        let (status, title, message) = match self {
            PageError::Engine(e) => {
                if let Error::Internal(detail) = &e {
                    tracing::error!(detail, "internal error on a console page");
                }
                let status = status_of(&e);
                let title = match status {
                    StatusCode::NOT_FOUND => "Not found",
                    StatusCode::GONE => "No longer kept",
                    StatusCode::FORBIDDEN => "Not allowed",
                    StatusCode::CONFLICT => "Not possible now",
                    StatusCode::BAD_REQUEST => "Invalid request",
                    _ => "Something went wrong",
                };
                (status, title.to_string(), message_of(&e))
            }
            PageError::Csrf => (
                StatusCode::FORBIDDEN,
                "Not allowed".into(),
                "The form's security token does not match your session. Reload the page and try again.".into(),
            ),
        };
        let page = ErrorPage { status: status.as_u16(), title, message };
        let body = page.render().unwrap_or_else(|_| "error".into());
        no_store((status, Html(body)).into_response())
    }
}
