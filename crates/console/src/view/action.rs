//! Actions (with the reason one is disabled) and typed confirmations.

use super::*;
use askama::Template;

/// One action button of a detail page, in its own small form. A disabled action says
/// why on hover.
#[derive(Debug, Clone)]
pub struct Action {
    pub label: String,
    /// The value posted as `action`.
    pub action: String,
    pub enabled: bool,
    pub reason: Option<String>,
    /// Inputs the action needs (a new size, an instance type…).
    pub fields: Vec<Field>,
    pub danger: bool,
}

impl Action {
    pub fn new(label: &str, action: &str, allowed: Result<(), String>) -> Action {
        let (enabled, reason) = match allowed {
            Ok(()) => (true, None),
            Err(r) => (false, Some(r)),
        };
        Action { label: label.into(), action: action.into(), enabled, reason, fields: vec![], danger: false }
    }

    pub fn field(mut self, f: Field) -> Action {
        self.fields.push(f);
        self
    }

    pub fn danger(mut self) -> Action {
        self.danger = true;
        self
    }
}

#[derive(Template)]
#[template(path = "frag/actions.html")]
pub struct Actions {
    pub id: String,
    pub title: String,
    pub post_to: String,
    pub csrf: String,
    pub actions: Vec<Action>,
    pub live: bool,
    pub error: Option<String>,
}

impl Actions {
    pub fn new(id: &str, post_to: impl Into<String>, csrf: &str) -> Actions {
        Actions {
            id: id.into(),
            title: "Actions".into(),
            post_to: post_to.into(),
            csrf: csrf.into(),
            actions: vec![],
            live: true,
            error: None,
        }
    }

    pub fn any_disabled(&self) -> bool {
        self.actions.iter().any(|a| !a.enabled)
    }

    pub fn push(&mut self, mut a: Action) {
        for f in &mut a.fields {
            f.id = format!("{}-{}-{}", self.id, a.action, f.name);
        }
        self.actions.push(a);
    }
}

/// A destructive action confirmed by typing the resource's name (checked again by the
/// server).
#[derive(Template)]
#[template(path = "frag/confirm.html")]
pub struct Confirm {
    pub id: String,
    pub title: String,
    pub action: String,
    pub csrf: String,
    pub name: String,
    pub button: String,
    pub explain: String,
    pub fields: Vec<Field>,
    pub error: Option<String>,
    /// Not allowed now: the reason, and the button stays disabled.
    pub disabled: Option<String>,
}

impl Confirm {
    pub fn new(id: &str, action: impl Into<String>, csrf: &str, name: &str, button: &str) -> Confirm {
        Confirm {
            id: id.into(),
            title: "Danger zone".into(),
            action: action.into(),
            csrf: csrf.into(),
            name: name.into(),
            button: button.into(),
            explain: String::new(),
            fields: vec![],
            error: None,
            disabled: None,
        }
    }

    pub fn explain(mut self, e: impl Into<String>) -> Confirm {
        self.explain = e.into();
        self
    }

    pub fn field(mut self, mut f: Field) -> Confirm {
        f.id = format!("{}-{}", self.id, f.name);
        self.fields.push(f);
        self
    }

    pub fn disabled(mut self, reason: Option<String>) -> Confirm {
        self.disabled = reason;
        self
    }
}

/// A small POST button inside a table row (e.g. remove a rule).
#[derive(Template)]
#[template(path = "frag/button.html")]
pub struct InlineButton {
    pub action: String,
    pub csrf: String,
    pub label: String,
    pub hidden: Vec<(String, String)>,
    pub danger: bool,
    pub aria_label: String,
    /// A name the user must type first (a destructive action).
    pub confirm: Option<String>,
}

/// A resource's reserved time, editable in its table row (UTC).
#[derive(Template)]
#[template(path = "frag/schedule.html")]
pub struct InlineSchedule {
    pub action: String,
    pub csrf: String,
    /// The resource's name, for the labels.
    pub resource: String,
    /// `YYYY-MM-DDTHH:MM:SS`, or empty.
    pub value: String,
}
