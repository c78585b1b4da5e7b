//! Execute a template: a form built from its parameter schema, a plan of what it would
//! make (no provider call) before the run, and on run the status list.

use super::params::{Param, params, values};
use super::{library, provisionings};
use crate::AppState;
use crate::error::PageResult;
use crate::forms::{FormData, FormState};
use crate::page::{Layout, Page, enc, see_other};
use crate::pages::{form_state, fresh};
use crate::session::{Posted, Session};
use crate::view::{Cell, Field, Fields, Form, Table, options, render};
use axum::extract::{Path, State};
use axum::http::StatusCode;
use gureum_api_types::{ListQuery, OnFailure, Plan, ProvisioningCreate, Template};
use gureum_engine::Error;

/// Everything the form offers to choose from, for the parameters that name a resource of
/// the project.
async fn choices(st: &AppState, s: &Session, project: &str, p: &Param) -> PageResult<Option<Vec<(String, String)>>> {
    let (e, all) = (&st.engine, ListQuery { limit: Some(1000), ..Default::default() });
    let choices: Vec<(String, String)> = match p.name.as_str() {
        "vpc" => e
            .vpc_list(&s.ctx, project, &all)
            .await?
            .items
            .into_iter()
            .map(|v| {
                let label = format!("{} — {}, {}", v.name, v.cidr, v.connection);
                (v.name, label)
            })
            .collect(),
        "subnet" => e
            .subnet_list(&s.ctx, project, None, &all)
            .await?
            .items
            .into_iter()
            .map(|n| {
                let label = format!("{} — VPC {}, {}", n.name, n.vpc, n.cidr);
                (n.name, label)
            })
            .collect(),
        "key_pair" => e
            .key_pair_list(&s.ctx, project, &all)
            .await?
            .items
            .into_iter()
            .map(|k| {
                let label = format!("{} ({})", k.name, k.key_type);
                (k.name, label)
            })
            .collect(),
        _ => return Ok(None),
    };
    Ok(Some(choices))
}

/// The form's fields: the name, every parameter, and what a failure does.
async fn fields(st: &AppState, s: &Session, project: &str, t: &Template) -> PageResult<Vec<Field>> {
    let mut out = vec![
        Field::text("name", "Name")
            .required()
            .help("The provisioning's name. Letters, digits, '-', '_' and '.'; starts with a letter."),
    ];
    for p in params(&t.parameters) {
        let mut f = p.input(choices(st, s, project, &p).await?);
        if p.name == "prefix" {
            f = f.placeholder("the provisioning's name");
        }
        out.push(f);
    }
    out.push(
        Field::select("on_failure", "On failure", options([OnFailure::Rollback.as_str(), OnFailure::Keep.as_str()]))
            .help("Rollback removes everything a failed provisioning made; keep leaves it to look into."),
    );
    Ok(out)
}

/// The plan: a summary, the resources in the order they are made, and the checks.
fn plan_blocks(plan: &Plan) -> Vec<String> {
    let mut f = Fields::new("plan-summary");
    f.title = Some("Plan".into());
    f.add("Verdict", Cell::state(if plan.ok { "passed" } else { "failed" }, None));
    f.add("Connection", Cell::text(&plan.connection));
    f.add("Predicted time", Cell::text(crate::ui::duration(plan.predicted_seconds.ceil() as i64)));
    f.add("Predicted return time", Cell::text(crate::ui::duration(plan.predicted_return_seconds.ceil() as i64)));
    f.add("Critical path", Cell::text(plan.critical_path.join(" → ")));
    let mut resources = Table::new("plan-resources", &["#", "Key", "Kind", "Name", "Needs", "Predicted"])
        .caption("Resources, in the order they are made");
    for (i, r) in plan.resources.iter().enumerate() {
        resources.row(vec![
            Cell::num(i as i64 + 1, (i + 1).to_string()),
            Cell::mono(&r.key),
            Cell::text(r.kind.as_str()),
            Cell::text(&r.name),
            Cell::text(if r.needs.is_empty() { "–".into() } else { r.needs.join(", ") }),
            Cell::text(format!("{:.1} s", r.predicted_seconds)),
        ]);
    }
    let mut checks = Table::new("plan-checks", &["Check", "Field", "Verdict", "Message"]).caption("Checks");
    for c in &plan.checks {
        checks.row(vec![
            Cell::text(&c.check),
            Cell::opt(c.field.clone()),
            Cell::state(if c.passed { "passed" } else { "failed" }, None),
            Cell::text(&c.message),
        ]);
    }
    vec![render(&f), render(&resources), render(&checks)]
}

/// The execute page: the form (with what was typed and its errors) and, after "Plan",
/// the plan; "Run" is offered once a plan passed.
async fn page(
    st: &AppState,
    s: &Session,
    project: &str,
    template: &str,
    state: FormState,
    plan: Option<Plan>,
    code: StatusCode,
) -> PageResult {
    let (l, _) = Layout::project(st, s, project, "library").await?;
    if !l.can_manage() {
        return Err(Error::Forbidden(format!("your role in project {project} may not execute templates")).into());
    }
    let t = st.engine.template_get(&s.ctx, template).await?;
    let lib = library(&l);
    let here = format!("{lib}/{}", enc(&t.name));
    let mut form = Form::new("execute", format!("{here}/execute"), &s.csrf, "Plan")
        .intro(format!("{} {}: {}", t.title, t.version, t.overview))
        .cancel(&here);
    for f in fields(st, s, project, &t).await? {
        form = form.field(f);
    }
    // A first showing has no values: the fields keep their defaults.
    form = form.with_state(&state);
    if plan.as_ref().is_some_and(|p| p.ok) {
        form = form.second("Run", "run");
    }
    let mut page = Page::new(l, format!("Execute {}", t.title)).crumb("Library", lib).crumb(&t.title, &here);
    page.status = code.as_u16();
    page = page.block(render(&form));
    for b in plan.as_ref().map(plan_blocks).unwrap_or_default() {
        page = page.block(b);
    }
    page.respond()
}

pub async fn form(
    State(st): State<AppState>,
    s: Session,
    Path((project, template)): Path<(String, String)>,
) -> PageResult {
    page(&st, &s, &project, &template, fresh(), None, StatusCode::OK).await
}

fn request(t: &Template, f: &FormData) -> Result<ProvisioningCreate, Error> {
    let on_failure = match f.opt("on_failure") {
        None => None,
        Some(v) => Some(
            OnFailure::parse(&v)
                .ok_or_else(|| Error::invalid("on_failure", format!("must be one of {}", OnFailure::spellings())))?,
        ),
    };
    Ok(ProvisioningCreate {
        name: f.get("name").into(),
        template: t.name.clone(),
        parameters: values(&params(&t.parameters), f)?,
        on_failure,
    })
}

/// "Plan" shows the plan, with each failed check on its field; "Run" executes and goes
/// to the status list.
pub async fn submit(
    State(st): State<AppState>,
    Path((project, template)): Path<(String, String)>,
    p: Posted,
) -> PageResult {
    let (e, ctx) = (&st.engine, &p.session.ctx);
    let t = e.template_get(ctx, &template).await?;
    let mut names: Vec<String> = params(&t.parameters).iter().map(Param::field).collect();
    names.extend(["name".into(), "on_failure".into()]);
    let names: Vec<&str> = names.iter().map(String::as_str).collect();
    let run = p.form.get("intent") == "run";
    let result = match request(&t, &p.form) {
        Ok(req) if run => e.provisioning_create(ctx, &project, req).await.map(|_| None),
        Ok(req) => e.provisioning_plan(ctx, &project, req).await.map(Some),
        Err(err) => Err(err),
    };
    match result {
        Ok(None) => see_other(provisionings(&project)),
        Ok(Some(plan)) => {
            // Every value comes back, passwords included, so that Run runs what was planned
            // (the page is never cached).
            let mut state = FormState { values: p.form.values(), ..Default::default() };
            for c in plan.checks.iter().filter(|c| !c.passed) {
                if let Some(f) = c.field.as_deref().filter(|f| names.contains(f)) {
                    state.errors.insert(f.to_string(), c.message.clone());
                }
            }
            page(&st, &p.session, &project, &template, state, Some(plan), StatusCode::OK).await
        }
        Err(err) => {
            let (state, code) = form_state(&p.form, err, &names)?;
            page(&st, &p.session, &project, &template, state, None, code).await
        }
    }
}
