//! Persistent VMs of a project: the list, and the create form whose fields follow each
//! other as SPEC §1 says: the nodes are those of the chosen pool, the software stack is
//! offered only when one fits the template's OS (else the field is disabled), the
//! environment only when the chosen stack offers one. The server checks it all again.

use crate::AppState;
use crate::error::PageResult;
use crate::forms::{FormData, FormState};
use crate::page::{Layout, Page, enc, see_other};
use crate::pages::{form_state, fresh, spelled};
use crate::session::{Posted, Session};
use crate::view::{Cell, Field, Form, Table, options, render};
use axum::extract::{Path, State};
use axum::http::StatusCode;
use gureum_api_types::{
    ConfigurationManagement, Environment, ListQuery, PersistentVmCreate, PersistentVmType, TemplateMode,
};
use gureum_engine::Error;
use gureum_model::pool::PoolPurpose;

const FIELDS: &[&str] = &[
    "template",
    "pool",
    "node",
    "description",
    "type",
    "software_stack",
    "environment",
    "configuration_management",
    "reseller",
    "customer",
    "subnet",
    "security_groups",
    "key_pair",
];

pub async fn list(State(st): State<AppState>, s: Session, Path(project): Path<String>) -> PageResult {
    let (l, _) = Layout::project(&st, &s, &project, "persistent-vms").await?;
    let vms = st.engine.persistent_vm_list(&s.ctx, &project).await?;
    let base = l.base();
    let mut t = Table::new(
        "persistent-vms",
        &["Name", "State", "Template", "Version", "Node", "Type", "Software stack", "Environment"],
    );
    t.live = true;
    for v in &vms {
        t.row(vec![
            Cell::link(&v.name, format!("{base}/instances/{}", v.id)),
            Cell::state(v.state.as_str(), None),
            Cell::link(&v.template, format!("/vm-templates/{}", enc(&v.template))),
            Cell::num(v.version, v.version.to_string()),
            Cell::opt(v.node.clone()),
            Cell::text(v.vm_type.as_str()),
            Cell::opt(v.software_stack.clone()),
            Cell::opt(v.environment.map(|e| e.as_str())),
        ]);
    }
    let can_manage = l.can_manage();
    let mut page = Page::new(l, "Persistent VMs").block(render(&t));
    if can_manage {
        page = page.block(crate::view::Para::link("", "Create a persistent VM", format!("{base}/persistent-vms/new")));
    }
    page.respond()
}

/// `(value, label, when)` options: a blank choice first, then each value with the values
/// of the controlling field it goes with.
fn dependent(blank: &str, items: Vec<(String, Vec<String>)>) -> Vec<(String, String, Option<String>)> {
    std::iter::once((String::new(), blank.to_string(), None))
        .chain(items.into_iter().map(|(v, when)| (v.clone(), v, Some(when.join(" ")))))
        .collect()
}

async fn create_form(st: &AppState, s: &Session, project: &str, state: FormState, code: StatusCode) -> PageResult {
    let (l, _) = Layout::project(st, s, project, "persistent-vms").await?;
    if !l.can_manage() {
        return Err(Error::Forbidden(format!("your role in project {project} may not create persistent VMs")).into());
    }
    let e = &st.engine;
    let all = ListQuery { limit: Some(1000), ..Default::default() };
    let templates: Vec<_> =
        e.vm_template_list(&s.ctx).await?.into_iter().filter(|t| t.mode == TemplateMode::ReadyForUse).collect();
    let pools: Vec<_> =
        e.pool_list(&s.ctx).await?.into_iter().filter(|p| p.purpose == PoolPurpose::Persistent).collect();
    let nodes = e.node_list(&s.ctx, None).await?;
    let stacks = e.software_stack_list(&s.ctx).await?;
    let subnets = e.subnet_list(&s.ctx, project, None, &all).await?.items;
    let groups = e.security_group_list(&s.ctx, project, &all).await?.items;
    let key_pairs = e.key_pair_list(&s.ctx, project, &all).await?.items;
    // Preselected: the project's reseller and customer; offered: those the caller reaches.
    let home = e.project_get(&s.ctx, project).await?;
    let mut tenants: Vec<(String, Vec<String>)> = vec![(home.customer.clone(), vec![home.reseller.clone()])];
    for r in e.reseller_list(&s.ctx, Some(1000), None).await.map(|p| p.items).unwrap_or_default() {
        for c in e.customer_list(&s.ctx, &r.name, Some(1000), None).await.map(|p| p.items).unwrap_or_default() {
            if !(c.name == home.customer && r.name == home.reseller) {
                tenants.push((c.name, vec![r.name.clone()]));
            }
        }
    }
    let mut resellers: Vec<String> = vec![];
    for r in tenants.iter().flat_map(|(_, r)| r) {
        if !resellers.contains(r) {
            resellers.push(r.clone());
        }
    }

    let node_items = nodes
        .iter()
        .filter(|n| pools.iter().any(|p| p.name == n.pool))
        .map(|n| (n.name.clone(), vec![n.pool.clone()]))
        .collect();
    let stack_items = stacks
        .iter()
        .map(|st| {
            let fits = templates
                .iter()
                .filter(|t| st.fits.iter().any(|f| f.os_type == t.os_type && f.os_version == t.os_version))
                .map(|t| t.name.clone());
            (st.name.clone(), fits.collect())
        })
        .collect();
    let env_items = Environment::ALL
        .iter()
        .map(|env| {
            let offering = stacks.iter().filter(|st| st.environments.contains(env)).map(|st| st.name.clone());
            (env.as_str().to_string(), offering.collect())
        })
        .collect();
    let base = format!("{}/persistent-vms", l.base());
    let mut key_opts = vec![(String::new(), "No key pair".to_string())];
    key_opts.extend(key_pairs.iter().map(|k| (k.name.clone(), k.name.clone())));
    let template_opts = templates
        .iter()
        .map(|t| (t.name.clone(), format!("{} — {} {}, version {}", t.name, t.os_type, t.os_version, t.version)))
        .collect();
    let form = Form::new("create-persistent-vm", base.clone(), &s.csrf, "Create persistent VM")
        .intro("The name is assigned from the pool's prefix and domain.")
        .field(Field::select("template", "Template (ready for use)", template_opts).required())
        .field(Field::select("pool", "Persistent pool", options(pools.iter().map(|p| &p.name))).required())
        .field(Field::select("node", "Node", vec![]).depends_on("pool", dependent("placement picks one", node_items)))
        .field(Field::text("description", "Description"))
        .field(Field::select("type", "Type", options(PersistentVmType::ALL.iter().map(|t| t.as_str()))))
        .field(
            Field::select("software_stack", "Software stack", vec![])
                .depends_on("template", dependent("none", stack_items))
                .help("Offered only when a stack fits the template's OS type and version."),
        )
        .field(
            Field::select("environment", "Environment", vec![])
                .depends_on("software_stack", dependent("none", env_items))
                .help("Offered only when the chosen stack has environments."),
        )
        .field(Field::select("reseller", "Reseller", options(resellers)).value(&home.reseller))
        .field(
            Field::select("customer", "Customer", vec![])
                .depends_on("reseller", tenants.into_iter().map(|(c, r)| (c.clone(), c, Some(r.join(" ")))).collect())
                .value(&home.customer),
        )
        .field(Field::select(
            "configuration_management",
            "Configuration management",
            options(ConfigurationManagement::ALL.iter().map(|c| c.as_str())),
        ))
        .field(Field::select("subnet", "Subnet", options(subnets.iter().map(|n| &n.name))).required())
        .field(Field::checkboxes("security_groups", "Security groups", options(groups.iter().map(|g| &g.name))))
        .field(Field::select("key_pair", "Key pair", key_opts))
        .cancel(base.clone())
        .with_state(&state);
    let mut page = Page::new(l, "Create persistent VM").crumb("Persistent VMs", base);
    page.status = code.as_u16();
    if templates.is_empty() {
        page = page.info("No VM template is ready for use yet: an administrator releases one first.");
    }
    page.block(render(&form)).respond()
}

pub async fn new(State(st): State<AppState>, s: Session, Path(project): Path<String>) -> PageResult {
    create_form(&st, &s, &project, fresh(), StatusCode::OK).await
}

fn create_request(f: &FormData) -> Result<PersistentVmCreate, Error> {
    Ok(PersistentVmCreate {
        template: f.get("template").into(),
        pool: f.get("pool").into(),
        node: f.opt("node"),
        description: f.get("description").into(),
        vm_type: spelled(f, "type", PersistentVmType::parse, &PersistentVmType::spellings())?,
        software_stack: f.opt("software_stack"),
        environment: spelled(f, "environment", Environment::parse, &Environment::spellings())?,
        reseller: f.opt("reseller"),
        customer: f.opt("customer"),
        configuration_management: spelled(
            f,
            "configuration_management",
            ConfigurationManagement::parse,
            &ConfigurationManagement::spellings(),
        )?,
        key_pair: f.opt("key_pair"),
        subnet: f.get("subnet").into(),
        security_groups: f.all("security_groups"),
        user_data: None,
    })
}

pub async fn create(State(st): State<AppState>, Path(project): Path<String>, p: Posted) -> PageResult {
    let result = match create_request(&p.form) {
        Ok(req) => st.engine.persistent_vm_create(&p.session.ctx, &project, req).await,
        Err(e) => Err(e),
    };
    match result {
        Ok(v) => see_other(format!("/projects/{}/instances/{}", enc(&project), v.id)),
        Err(e) => {
            let (state, code) = form_state(&p.form, e, FIELDS)?;
            create_form(&st, &p.session, &project, state, code).await
        }
    }
}
