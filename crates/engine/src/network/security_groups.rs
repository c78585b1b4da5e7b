//! Security groups and their rules. Rule changes are applied by one workflow that sends
//! the group's whole current rule set to the provider, so concurrent changes converge.

use crate::views::{links, project_path, ts};
use crate::workflow::operations::Target;
use crate::workflow::{Failure, StepCtx, StepDef, StepError, StepOut, WorkflowDef};
use crate::{Engine, Error, OpContext, ProjectScope, Result, on_failure, step};
use gureum_api_types::{
    ListQuery, Page, SecurityGroup, SecurityGroupCreate, SecurityGroupRule, SecurityGroupRuleCreate,
};
use gureum_driver::{CreateSpec, Intent, ResourceKind, RuleSpec};
use gureum_model::Name;
use gureum_model::authz::Permission;
use gureum_model::network::Rule;
use gureum_model::state::LifecycleState;
use gureum_store::record::common;
use gureum_store::{
    Batch, Key, Record, SecurityGroupRecord, SecurityGroupRuleRecord, Store, Update, Val, VpcRecord, new_id, now,
};
use serde_json::json;
use uuid::Uuid;

pub(crate) static SECURITY_GROUP_RULES_APPLY: WorkflowDef = WorkflowDef {
    kind: "security_group_rules_apply",
    steps: &[StepDef::new("apply_rules", step!(apply_rules), None)],
    on_failure: on_failure!(rules_failed),
    show: None,
    version: 1,
    renames: &[],
};

fn rule_view(r: SecurityGroupRuleRecord) -> SecurityGroupRule {
    SecurityGroupRule {
        id: r.id,
        direction: r.direction,
        protocol: r.protocol,
        port_from: r.port_from,
        port_to: r.port_to,
        remote_cidr: r.remote_cidr,
        applied: r.applied,
        note: r.state_reason,
        state: r.state,
        operation_id: r.op_id,
        created_at: ts(r.created_at),
    }
}

/// A rule as the provider is sent it.
fn rule_spec(r: &SecurityGroupRuleRecord) -> RuleSpec {
    RuleSpec {
        id: r.id.to_string(),
        direction: r.direction.as_str().into(),
        protocol: r.protocol.as_str().into(),
        port_from: r.port_from,
        port_to: r.port_to,
        remote_cidr: r.remote_cidr.clone(),
    }
}

fn model_rule(r: &SecurityGroupRuleRecord) -> Option<Rule> {
    Some(Rule {
        direction: r.direction,
        protocol: r.protocol,
        ports: r.port_from.zip(r.port_to).map(|(a, b)| (a as u16, b as u16)),
        remote: r.remote_cidr.parse().ok()?,
    })
}

impl Engine {
    /// The group's rules as the provider is sent them (those being deleted left out).
    pub(crate) async fn security_group_rule_specs(&self, sg: Uuid) -> Result<Vec<RuleSpec>> {
        let rules = self.store().list_all::<SecurityGroupRuleRecord>(&[("security_group_id", sg.into())]).await?;
        Ok(rules.iter().filter(|r| r.state != LifecycleState::Deleting).map(rule_spec).collect())
    }

    async fn security_group_view(&self, r: SecurityGroupRecord) -> Result<SecurityGroup> {
        let rules = self.store().list_all::<SecurityGroupRuleRecord>(&[("security_group_id", r.id.into())]).await?;
        Ok(SecurityGroup {
            links: links(project_path(r.project_id, "security-groups", r.id), r.op_id.map(|o| (r.project_id, o))),
            vpc: self.name_of::<VpcRecord>(r.vpc_id).await,
            rules: rules.into_iter().map(rule_view).collect(),
            id: r.id,
            name: r.name,
            description: r.description,
            state: r.state,
            state_reason: r.state_reason,
            operation_id: r.op_id,
            created_at: ts(r.created_at),
        })
    }

    pub(crate) async fn security_group_record(&self, scope: &ProjectScope, key: &str) -> Result<SecurityGroupRecord> {
        self.store()
            .get::<SecurityGroupRecord>(&scope.filter(), &Key::parse(key))
            .await?
            .ok_or_else(|| Error::not_found("security group", key))
    }

    pub async fn security_group_create(
        &self,
        ctx: &OpContext,
        project: &str,
        req: SecurityGroupCreate,
    ) -> Result<SecurityGroup> {
        let scope = self.authorize(ctx, project, Permission::ManageResources).await?;
        let name = Name::parse("name", &req.name)?;
        let vpc = self
            .store()
            .get::<VpcRecord>(&scope.filter(), &Key::parse(&req.vpc))
            .await?
            .ok_or_else(|| Error::invalid("vpc", format!("no VPC {:?} in this project", req.vpc)))?;
        if vpc.state != LifecycleState::Available {
            return Err(Error::Conflict(format!("VPC {} is {}; wait until it is Available", vpc.name, vpc.state)));
        }
        let description = req.description.unwrap_or_default();
        if description.len() > 255 {
            return Err(Error::invalid("description", "must be at most 255 characters"));
        }
        let (id, op_id, t) = (new_id(), new_id(), now());
        let rec = SecurityGroupRecord {
            id,
            project_id: scope.id,
            vpc_id: vpc.id,
            name: name.to_string(),
            description,
            connection_id: vpc.connection_id,
            provider_id: None,
            state: LifecycleState::Creating,
            state_reason: None,
            op_id: Some(op_id),
            generation: 1,
            created_by: ctx.user_id,
            created_at: t,
            updated_at: t,
        };
        let spec =
            CreateSpec::SecurityGroup { name: rec.name.clone(), tag: id.to_string(), vpc: vpc.provider_id.clone() };
        self.start_create(ctx, &scope, &rec, spec, LifecycleState::Available.as_str(), gureum_store::Batch::new())
            .await?;
        self.security_group_view(rec).await
    }

    pub async fn security_group_get(&self, ctx: &OpContext, project: &str, key: &str) -> Result<SecurityGroup> {
        let scope = self.authorize(ctx, project, Permission::View).await?;
        self.security_group_view(self.security_group_record(&scope, key).await?).await
    }

    pub async fn security_group_list(
        &self,
        ctx: &OpContext,
        project: &str,
        q: &ListQuery,
    ) -> Result<Page<SecurityGroup>> {
        let scope = self.authorize(ctx, project, Permission::View).await?;
        let page = self
            .list_views::<SecurityGroupRecord, LifecycleState, _, _>(
                scope.filter().to_vec(),
                q,
                |r| r.id,
                |r| self.security_group_view(r),
            )
            .await?;
        Ok(Page { items: page.items.into_iter().collect::<Result<_>>()?, next_cursor: page.next_cursor })
    }

    pub async fn security_group_delete(&self, ctx: &OpContext, project: &str, key: &str) -> Result<SecurityGroup> {
        let scope = self.authorize(ctx, project, Permission::ManageResources).await?;
        let r = self.security_group_record(&scope, key).await?;
        if !r.state.deletable() || r.op_id.is_some() {
            return Err(Error::Conflict(format!(
                "security group {} is {}{}; only a settled group can be deleted",
                r.name,
                r.state,
                if r.op_id.is_some() { " with an operation in progress" } else { "" }
            )));
        }
        let users = self.store().security_group_users(r.id).await?;
        if users > 0 {
            return Err(Error::Conflict(format!("security group {} is used by {users} instance(s)", r.name)));
        }
        let op = self.start_delete(ctx, &scope, &r, "Deleting").await?;
        self.security_group_view(SecurityGroupRecord { state: LifecycleState::Deleting, op_id: Some(op), ..r }).await
    }

    /// Adds a rule and applies the group's rules at the provider.
    pub async fn security_group_rule_create(
        &self,
        ctx: &OpContext,
        project: &str,
        group: &str,
        req: SecurityGroupRuleCreate,
    ) -> Result<SecurityGroupRule> {
        let scope = self.authorize(ctx, project, Permission::ManageResources).await?;
        let sg = self.security_group_record(&scope, group).await?;
        let rule = Rule::validate(req.direction, req.protocol, req.port_from, req.port_to, req.remote_cidr.as_deref())?;
        if sg.state != LifecycleState::Available {
            return Err(Error::Conflict(format!(
                "security group {} is {}; wait until it is Available",
                sg.name, sg.state
            )));
        }
        let existing = self.store().list_all::<SecurityGroupRuleRecord>(&[("security_group_id", sg.id.into())]).await?;
        if existing.iter().filter_map(model_rule).any(|r| r == rule) {
            return Err(Error::Conflict(format!("security group {} already has this rule", sg.name)));
        }
        let (id, op_id, t) = (new_id(), new_id(), now());
        let rec = SecurityGroupRuleRecord {
            id,
            project_id: scope.id,
            security_group_id: sg.id,
            direction: rule.direction,
            protocol: rule.protocol,
            port_from: rule.ports.map(|p| p.0 as i64),
            port_to: rule.ports.map(|p| p.1 as i64),
            remote_cidr: rule.remote.to_string(),
            applied: false,
            state: LifecycleState::Creating,
            state_reason: None,
            op_id: Some(op_id),
            generation: 1,
            created_by: ctx.user_id,
            created_at: t,
            updated_at: t,
        };
        let rules: Vec<RuleSpec> = existing
            .iter()
            .filter(|r| r.state != LifecycleState::Deleting)
            .chain(std::iter::once(&rec))
            .map(rule_spec)
            .collect();
        self.precheck(sg.connection_id, ResourceKind::SecurityGroup, Some(&Intent::Rules(&rules))).await?;
        // Serializes rule changes per group (the duplicate check above saw this generation).
        let mut batch = Batch::from(rec.insert());
        batch.push(Update::<SecurityGroupRecord>::of(sg.id).guard(common::GENERATION, sg.generation).stmt(t));
        self.start_rules_apply(ctx, &scope, &sg, op_id, batch).await?;
        Ok(rule_view(rec))
    }

    pub async fn security_group_rule_delete(
        &self,
        ctx: &OpContext,
        project: &str,
        group: &str,
        rule: &str,
    ) -> Result<SecurityGroupRule> {
        let scope = self.authorize(ctx, project, Permission::ManageResources).await?;
        let sg = self.security_group_record(&scope, group).await?;
        let Key::Id(rule_id) = Key::parse(rule) else {
            return Err(Error::not_found("rule", rule));
        };
        let r = self
            .store()
            .get::<SecurityGroupRuleRecord>(&[("security_group_id", sg.id.into())], &Key::Id(rule_id))
            .await?
            .ok_or_else(|| Error::not_found("rule", rule))?;
        if r.state != LifecycleState::Available && r.state != LifecycleState::Error {
            return Err(Error::Conflict(format!("the rule is {}; wait until it is Available", r.state)));
        }
        let op_id = new_id();
        let mark = Update::<SecurityGroupRuleRecord>::of(r.id)
            .set(SecurityGroupRuleRecord::state, LifecycleState::Deleting.as_str())
            .set(SecurityGroupRuleRecord::op_id, op_id)
            .guard(SecurityGroupRuleRecord::generation, r.generation);
        self.start_rules_apply(ctx, &scope, &sg, op_id, mark.stmt(now()).into()).await?;
        Ok(rule_view(SecurityGroupRuleRecord { state: LifecycleState::Deleting, op_id: Some(op_id), ..r }))
    }

    async fn start_rules_apply(
        &self,
        ctx: &OpContext,
        scope: &ProjectScope,
        sg: &SecurityGroupRecord,
        op_id: Uuid,
        batch: Batch,
    ) -> Result<()> {
        let op = self.new_op(
            ctx,
            scope,
            crate::workflow::operations::OpSpec {
                id: op_id,
                def: &SECURITY_GROUP_RULES_APPLY,
                target: Target { kind: "security group", id: sg.id, name: &sg.name },
                params: json!({ "connection_id": sg.connection_id }),
                after: None,
            },
        );
        self.launch(op, batch).await?;
        Ok(())
    }
}

/// Sends every rule of the group that is not being deleted; then marks the rules this
/// operation added as applied (or not, as the provider says) and forgets the ones it
/// deleted.
async fn apply_rules(ctx: StepCtx) -> Result<StepOut, StepError> {
    let store = ctx.engine.store();
    let sg = store
        .get_by_id::<SecurityGroupRecord>(ctx.target_id)
        .await?
        .ok_or_else(|| StepError::Fail("the security group is gone".into()))?;
    let rules = store.list_all::<SecurityGroupRuleRecord>(&[("security_group_id", sg.id.into())]).await?;
    let live: Vec<&SecurityGroupRuleRecord> = rules.iter().filter(|r| r.state != LifecycleState::Deleting).collect();
    let specs: Vec<RuleSpec> = live.iter().copied().map(rule_spec).collect();
    let own = ctx.engine.cloud(sg.connection_id).await?;
    let outcomes = match &sg.provider_id {
        Some(pid) => own.security_group_set_rules(pid, &specs).await?,
        // A group gureum keeps (or a driver without groups): the driver may still know.
        None => own.rule_outcomes(&specs).unwrap_or_default(),
    };
    for (cloud, copy) in ctx.engine.security_group_copies(sg.connection_id, sg.id, sg.provider_id.as_deref()).await? {
        cloud.security_group_set_rules(&copy, &specs).await?;
    }
    let t = now();
    let mut batch = Batch::new();
    for r in &live {
        let outcome = outcomes.iter().find(|o| o.id == r.id.to_string());
        let mut u = Update::<SecurityGroupRuleRecord>::of(r.id)
            .set(SecurityGroupRuleRecord::applied, outcome.is_none_or(|o| o.applied))
            .set(SecurityGroupRuleRecord::state_reason, outcome.and_then(|o| o.note.clone()))
            .lenient();
        if r.op_id == Some(ctx.workflow_id) {
            u = u
                .set(SecurityGroupRuleRecord::state, LifecycleState::Available.as_str())
                .set(SecurityGroupRuleRecord::op_id, Val::Null);
        }
        batch.push(u.stmt(t));
    }
    batch.push(Store::rules_deleted_by(sg.id, ctx.workflow_id));
    Ok(StepOut::done().batch(batch))
}

/// The rules this operation touched show the error; nothing else changes.
async fn rules_failed(ctx: StepCtx, failure: Failure) -> Result<Batch, StepError> {
    Ok(Store::rules_failed_by(ctx.target_id, ctx.workflow_id, &failure.error, now()).into())
}
