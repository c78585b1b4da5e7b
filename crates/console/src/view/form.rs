//! Detail fields and forms.

use super::*;
use askama::Template;

/// Label/value pairs of a detail page.
#[derive(Template)]
#[template(path = "frag/fields.html")]
pub struct Fields {
    pub id: String,
    pub title: Option<String>,
    pub live: bool,
    pub items: Vec<(String, Cell)>,
}

impl Fields {
    pub fn new(id: &str) -> Fields {
        Fields { id: id.into(), title: None, live: false, items: vec![] }
    }

    pub fn live(mut self) -> Fields {
        self.live = true;
        self
    }

    pub fn add(&mut self, label: &str, value: Cell) {
        self.items.push((label.into(), value));
    }

    /// The resource's colour-coded state, and the reason for it when there is one.
    pub fn add_state(&mut self, state: &str, reason: Option<&str>) {
        self.add("State", Cell::state(state, reason));
        if let Some(r) = reason {
            self.add("Reason", Cell::text(r));
        }
    }
}

/// One input of a form.
#[derive(Debug, Clone, Default)]
pub struct Field {
    pub name: String,
    pub label: String,
    /// `text`, `number`, `password`, `select`, `checkboxes`, `checkbox`, `textarea`,
    /// `date`, `datetime-local`.
    pub kind: &'static str,
    pub value: String,
    /// Selected values of `checkboxes` (and the checked state of a `checkbox`).
    pub checked: Vec<String>,
    pub options: Vec<(String, String)>,
    pub help: Option<String>,
    pub error: Option<String>,
    pub required: bool,
    pub placeholder: Option<String>,
    /// The id of the element (form id + name).
    pub id: String,
    /// A select whose options follow another field of the form: each option is offered
    /// only while that field's value is one of its `when` values (the script hides the
    /// others and disables the select when none is left; the server checks again).
    pub depends_on: Option<String>,
    /// Per option, the space-separated values of `depends_on` it goes with; an option
    /// without one (the blank choice) is always offered.
    pub when: Vec<Option<String>>,
}

impl Field {
    pub fn new(kind: &'static str, name: &str, label: &str) -> Field {
        Field { name: name.into(), label: label.into(), kind, ..Default::default() }
    }

    pub fn text(name: &str, label: &str) -> Field {
        Field::new("text", name, label)
    }

    pub fn number(name: &str, label: &str) -> Field {
        Field::new("number", name, label)
    }

    pub fn select(name: &str, label: &str, options: Vec<(String, String)>) -> Field {
        Field { options, ..Field::new("select", name, label) }
    }

    pub fn checkboxes(name: &str, label: &str, options: Vec<(String, String)>) -> Field {
        Field { options, ..Field::new("checkboxes", name, label) }
    }

    pub fn required(mut self) -> Field {
        self.required = true;
        self
    }

    pub fn help(mut self, h: impl Into<String>) -> Field {
        self.help = Some(h.into());
        self
    }

    pub fn value(mut self, v: impl Into<String>) -> Field {
        self.value = v.into();
        self
    }

    /// Options offered by the value of `field`: `(value, label, values of field)`.
    pub fn depends_on(mut self, field: &str, options: Vec<(String, String, Option<String>)>) -> Field {
        self.depends_on = Some(field.into());
        (self.options, self.when) = options.into_iter().map(|(v, l, w)| ((v, l), w)).unzip();
        self
    }

    /// Each option with the `when` it goes with (for the template).
    pub fn options_when(&self) -> Vec<(&(String, String), Option<&str>)> {
        self.options.iter().enumerate().map(|(i, o)| (o, self.when.get(i).and_then(|w| w.as_deref()))).collect()
    }

    pub fn placeholder(mut self, p: &str) -> Field {
        self.placeholder = Some(p.into());
        self
    }
}

/// Options of a select from plain values (value = label).
pub fn options<S: AsRef<str>>(values: impl IntoIterator<Item = S>) -> Vec<(String, String)> {
    values.into_iter().map(|v| (v.as_ref().to_string(), v.as_ref().to_string())).collect()
}

#[derive(Template)]
#[template(path = "frag/form.html")]
pub struct Form {
    pub id: String,
    pub title: Option<String>,
    pub action: String,
    pub csrf: String,
    pub submit: String,
    pub fields: Vec<Field>,
    /// An error that belongs to no single field.
    pub error: Option<String>,
    pub intro: Option<String>,
    pub cancel_href: Option<String>,
    /// Lay the fields out on one line (small forms inside detail pages).
    pub inline: bool,
    /// A GET form (a filter): no CSRF token, nothing changes.
    pub get: bool,
    /// A second submit button, `(label, value)`: posts `intent=value` (plan or run).
    pub second: Option<(String, String)>,
}

impl Form {
    pub fn new(id: &str, action: impl Into<String>, csrf: &str, submit: &str) -> Form {
        Form {
            id: id.into(),
            title: None,
            action: action.into(),
            csrf: csrf.into(),
            submit: submit.into(),
            fields: vec![],
            error: None,
            intro: None,
            cancel_href: None,
            inline: false,
            get: false,
            second: None,
        }
    }

    /// A form that only reads (filters): submitted with GET.
    pub fn get(id: &str, action: impl Into<String>, submit: &str) -> Form {
        Form { get: true, ..Form::new(id, action, "", submit) }
    }

    pub fn second(mut self, label: &str, intent: &str) -> Form {
        self.second = Some((label.into(), intent.into()));
        self
    }

    pub fn title(mut self, t: &str) -> Form {
        self.title = Some(t.into());
        self
    }

    pub fn field(mut self, f: Field) -> Form {
        self.fields.push(f);
        self
    }

    pub fn intro(mut self, t: impl Into<String>) -> Form {
        self.intro = Some(t.into());
        self
    }

    pub fn cancel(mut self, href: impl Into<String>) -> Form {
        self.cancel_href = Some(href.into());
        self
    }

    pub fn inline(mut self) -> Form {
        self.inline = true;
        self
    }

    /// Fills values back in and puts each error next to its field (or on the form).
    pub fn with_state(mut self, state: &crate::forms::FormState) -> Form {
        for f in &mut self.fields {
            f.id = format!("{}-{}", self.id, f.name);
            if let Some(v) = state.values.get(&f.name) {
                if f.kind == "checkboxes" || f.kind == "checkbox" {
                    f.checked = v.clone();
                } else if let Some(first) = v.first() {
                    f.value = first.clone();
                }
            }
            f.error = state.errors.get(&f.name).cloned();
        }
        self.error = state.general.clone();
        self
    }
}
