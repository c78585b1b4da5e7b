//! Provisionings: execute one (validated whole before anything is recorded), follow it,
//! read its installation info, return its resources and delete its status.

use super::stack::{StackParams, history_event, log_text};
use super::stack_create::PROVISIONING_EXECUTE;
use super::stack_return::PROVISIONING_RETURN;
use crate::iam::authz::ProjectScope;
use crate::views::{links, project_path, ts, ts_opt};
use crate::workflow::operations::{OpSpec, Target, name_taken};
use crate::{Engine, Error, OpContext, Result};
use gureum_api_types::{
    InstallationInfo, ListQuery, Page, Plan, Provisioning, ProvisioningConfirm, ProvisioningCreate, StackProgress,
    StackResource,
};
use gureum_model::authz::Permission;
use gureum_model::provisioning::{HistoryType, ProvisioningAction, ProvisioningState, StackResourceState};
use gureum_store::{
    Batch, ConnectionRecord, Key, ProvisioningRecord, Record, StackResourceRecord, Update, UserRecord, new_id, now,
};
use serde_json::Value;

impl Engine {
    pub async fn provisioning_plan(&self, ctx: &OpContext, project: &str, req: ProvisioningCreate) -> Result<Plan> {
        let scope = self.authorize(ctx, project, Permission::View).await?;
        let prepared = self.prepare(&scope, &req).await?;
        Ok(super::plan::plan_view(&prepared))
    }

    pub async fn provisioning_create(
        &self,
        ctx: &OpContext,
        project: &str,
        req: ProvisioningCreate,
    ) -> Result<Provisioning> {
        let scope = self.authorize(ctx, project, Permission::ManageResources).await?;
        let p = self.prepare(&scope, &req).await?;
        if let Some(e) = p.first_failure() {
            return Err(e);
        }
        let connection =
            p.connection.as_ref().ok_or_else(|| Error::invalid("parameters.vpc", "the VPC has no connection"))?;
        let (id, op_id, t) = (new_id(), new_id(), now());
        let secrets = p.params.secrets();
        let rec = ProvisioningRecord {
            id,
            project_id: scope.id,
            name: p.name.clone(),
            template: p.template.doc.name.clone(),
            template_version: p.template.doc.version.clone(),
            document: p.template.text.clone(),
            parameters: Value::Object(p.params.public()).to_string(),
            secrets: (!secrets.is_empty())
                .then(|| self.config().secret_key.seal(Value::Object(secrets).to_string().as_bytes())),
            on_failure: p.on_failure,
            connection_id: connection.id,
            state: ProvisioningState::Provisioning,
            state_reason: None,
            op_id: Some(op_id),
            info: None,
            credentials: None,
            generation: 1,
            created_by: ctx.user_id,
            created_at: t,
            updated_at: t,
            finished_at: None,
        };
        let order = gureum_model::provisioning::graph_of(&p.nodes.iter().map(|n| n.node.clone()).collect::<Vec<_>>())
            .order()
            .map_err(|c| Error::invalid("template", format!("dependency cycle: {}", c.join(" → "))))?;
        let mut batch = Batch::from(rec.insert());
        let mut rows = vec![];
        for n in &p.nodes {
            let row = StackResourceRecord {
                id: new_id(),
                provisioning_id: id,
                position: order.iter().position(|k| *k == n.node.key).unwrap_or_default() as i64,
                key: n.node.key.clone(),
                resource: n.node.resource.clone(),
                kind: n.node.kind,
                needs: serde_json::to_string(&n.node.needs).expect("json"),
                name: n.name.clone(),
                resource_id: None,
                state: StackResourceState::Pending,
                state_reason: None,
                started_at: None,
                finished_at: None,
                generation: 1,
                updated_at: t,
            };
            batch.push(row.insert());
            rows.push(row);
        }
        let headline = format!(
            "provisioning {} executed from template {} {} on connection {} with parameters {}",
            rec.name, rec.template, rec.template_version, connection.name, rec.parameters
        );
        batch.push(history_event(
            self,
            &rec,
            HistoryType::ProvisioningExecuted,
            &ctx.user_name,
            &log_text(&headline, &rows),
        ));
        let op = self.new_op(
            ctx,
            &scope,
            OpSpec {
                id: op_id,
                def: &PROVISIONING_EXECUTE,
                target: Target { kind: "provisioning", id, name: &rec.name },
                params: serde_json::to_value(StackParams { provisioning_id: id, user_id: ctx.user_id }).expect("json"),
                after: None,
            },
        );
        self.launch(op, batch).await.map_err(name_taken("provisioning", &rec.name))?;
        self.provisioning_view(rec, false).await
    }

    async fn provisioning_record(&self, scope: &ProjectScope, key: &str) -> Result<ProvisioningRecord> {
        self.store()
            .get::<ProvisioningRecord>(&scope.filter(), &Key::parse(key))
            .await?
            .ok_or_else(|| Error::not_found("provisioning", key))
    }

    pub(crate) async fn stack_resource_views(&self, rows: Vec<StackResourceRecord>) -> Result<Vec<StackResource>> {
        let mut out = Vec::with_capacity(rows.len());
        for r in rows {
            let child = match r.resource_id {
                Some(id) => self.child(r.kind, id).await?,
                None => None,
            };
            out.push(StackResource {
                needs: r.needed(),
                key: r.key,
                kind: r.kind,
                name: r.name,
                id: r.resource_id,
                provider_id: child.as_ref().and_then(|c| c.provider_id.clone()),
                resource_state: child.map(|c| c.state),
                state: r.state,
                state_reason: r.state_reason,
                started_at: ts_opt(r.started_at),
                finished_at: ts_opt(r.finished_at),
            });
        }
        Ok(out)
    }

    async fn provisioning_view(&self, r: ProvisioningRecord, with_resources: bool) -> Result<Provisioning> {
        let rows = self.store().stack_resources(r.id).await?;
        let progress = StackProgress {
            ready: rows.iter().filter(|x| x.state == StackResourceState::Ready).count(),
            total: rows.len(),
        };
        let resources = if with_resources { self.stack_resource_views(rows).await? } else { vec![] };
        Ok(Provisioning {
            links: links(project_path(r.project_id, "provisionings", r.id), r.op_id.map(|o| (r.project_id, o))),
            connection: self.name_of::<ConnectionRecord>(r.connection_id).await,
            user: self.name_of_opt::<UserRecord>(Some(r.created_by)).await,
            parameters: serde_json::from_str(&r.parameters).unwrap_or(Value::Null),
            allowed_actions: if r.op_id.is_some() { vec![] } else { r.state.allowed() },
            id: r.id,
            name: r.name,
            template: r.template,
            template_version: r.template_version,
            state: r.state,
            state_reason: r.state_reason,
            on_failure: r.on_failure,
            executed_at: ts(r.created_at),
            finished_at: ts_opt(r.finished_at),
            progress,
            resources,
            operation_id: r.op_id,
        })
    }

    pub async fn provisioning_list(&self, ctx: &OpContext, project: &str, q: &ListQuery) -> Result<Page<Provisioning>> {
        let scope = self.authorize(ctx, project, Permission::View).await?;
        let (rows, next_cursor) =
            self.list_rows::<ProvisioningRecord, ProvisioningState>(scope.filter().to_vec(), q, |r| r.id).await?;
        let mut items = Vec::with_capacity(rows.len());
        for r in rows {
            items.push(self.provisioning_view(r, false).await?);
        }
        Ok(Page { items, next_cursor })
    }

    pub async fn provisioning_get(&self, ctx: &OpContext, project: &str, key: &str) -> Result<Provisioning> {
        let scope = self.authorize(ctx, project, Permission::View).await?;
        let r = self.provisioning_record(&scope, key).await?;
        self.provisioning_view(r, true).await
    }

    pub async fn provisioning_info(&self, ctx: &OpContext, project: &str, key: &str) -> Result<InstallationInfo> {
        let scope = self.authorize(ctx, project, Permission::View).await?;
        let r = self.provisioning_record(&scope, key).await?;
        let access = r.info.as_deref().and_then(|i| serde_json::from_str(i).ok()).unwrap_or_default();
        let may_see = scope.role.allows(Permission::ViewCredentials);
        let credentials = match (&r.credentials, may_see) {
            (Some(sealed), true) => self
                .config()
                .secret_key
                .open_json(sealed)
                .map_err(|e| Error::Internal(format!("stored credentials: {e}")))?,
            _ => vec![],
        };
        let rows = self.store().stack_resources(r.id).await?;
        Ok(InstallationInfo {
            provisioning: r.name,
            state: r.state,
            access,
            credentials,
            credentials_hidden: r.credentials.is_some() && !may_see,
            resources: self.stack_resource_views(rows).await?,
        })
    }

    fn confirmed(r: &ProvisioningRecord, confirm: &str) -> Result<()> {
        if confirm == r.name {
            Ok(())
        } else {
            Err(Error::invalid("confirm", format!("type the provisioning's name, {}, to confirm", r.name)))
        }
    }

    pub async fn provisioning_return(
        &self,
        ctx: &OpContext,
        project: &str,
        key: &str,
        req: ProvisioningConfirm,
    ) -> Result<Provisioning> {
        let scope = self.authorize(ctx, project, Permission::ManageResources).await?;
        let r = self.provisioning_record(&scope, key).await?;
        Self::confirmed(&r, &req.confirm)?;
        if r.op_id.is_some() {
            return Err(Error::Conflict(format!("provisioning {} is {}; wait until it ends", r.name, r.state)));
        }
        r.state.check(ProvisioningAction::Return)?;
        let op_id = new_id();
        let t = now();
        let mut batch = Batch::from(
            Update::<ProvisioningRecord>::of(r.id)
                .set(ProvisioningRecord::state, ProvisioningState::Returning.as_str())
                .set(ProvisioningRecord::state_reason, None::<String>)
                .set(ProvisioningRecord::op_id, op_id)
                .set(ProvisioningRecord::finished_at, None::<i64>)
                .guard(ProvisioningRecord::generation, r.generation)
                .stmt(t),
        );
        let rows = self.store().stack_resources(r.id).await?;
        batch.push(history_event(
            self,
            &r,
            HistoryType::ReturnExecuted,
            &ctx.user_name,
            &log_text(&format!("return of {} executed", r.name), &rows),
        ));
        let op = self.new_op(
            ctx,
            &scope,
            OpSpec {
                id: op_id,
                def: &PROVISIONING_RETURN,
                target: Target { kind: "provisioning", id: r.id, name: &r.name },
                params: serde_json::to_value(StackParams { provisioning_id: r.id, user_id: ctx.user_id })
                    .expect("json"),
                after: None,
            },
        );
        self.launch(op, batch).await?;
        let returning = ProvisioningState::Returning;
        self.provisioning_view(
            ProvisioningRecord { state: returning, state_reason: None, op_id: Some(op_id), finished_at: None, ..r },
            false,
        )
        .await
    }

    pub async fn provisioning_delete(&self, ctx: &OpContext, project: &str, key: &str, confirm: &str) -> Result<()> {
        let scope = self.authorize(ctx, project, Permission::ManageResources).await?;
        let r = self.provisioning_record(&scope, key).await?;
        Self::confirmed(&r, confirm)?;
        r.state.check(ProvisioningAction::Delete)?;
        let rows = self.store().stack_resources(r.id).await?;
        let mut batch = gureum_store::Store::provisioning_forget(r.id);
        batch.push(history_event(
            self,
            &r,
            HistoryType::StatusDeleted,
            &ctx.user_name,
            &log_text(&format!("status of {} ({}) deleted", r.name, r.state), &rows),
        ));
        self.store().write(batch).await?;
        Ok(())
    }
}
