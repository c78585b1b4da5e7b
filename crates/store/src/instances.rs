use crate::db::{Batch, Stmt};
use crate::record::Update;
use crate::record::common;
use crate::{DbResult, Store, args, new_id, record};
use gureum_model::billing::is_billed;
use gureum_model::instance::InstanceState;
use gureum_model::public_ip::PublicIpMode;

use uuid::Uuid;

record! {
    pub struct InstanceRecord in "instances" {
        pub id: Uuid,
        pub project_id: Uuid,
        pub name: String,
        pub connection_id: Uuid,
        pub provider_id: Option<String>,
        pub instance_type_id: Uuid,
        pub previous_instance_type_id: Option<Uuid>,
        pub image_id: Uuid,
        pub vpc_id: Uuid,
        pub subnet_id: Uuid,
        pub key_pair_id: Option<Uuid>,
        pub public_ip_mode: PublicIpMode,
        pub user_data: Option<String>,
        pub zone: String,
        pub private_ip: Option<String>,
        pub return_state: Option<InstanceState>,
        pub state: InstanceState,
        pub state_reason: Option<String>,
        pub op_id: Option<Uuid>,
        pub generation: i64,
        pub created_by: Uuid,
        pub created_at: i64,
        pub updated_at: i64,
        pub launched_at: Option<i64>,
    }
}

impl Store {
    /// Moves an instance to `state` and keeps metering in step: entering a billed state
    /// opens a usage interval at the instance's current type (unless one is open),
    /// leaving the billed states closes it. Both statements are idempotent, so a replayed
    /// workflow step meters nothing twice. `update` carries the guard and any other
    /// column changes (applied first, so a new instance type is what gets metered).
    pub fn instance_set_state(
        update: Update<InstanceRecord>,
        instance_id: Uuid,
        state: InstanceState,
        now: i64,
    ) -> Batch {
        let mut batch = Batch::new();
        batch.push(update.set(common::STATE, state.as_str()).stmt(now));
        if is_billed(state) {
            batch.push(Stmt::new(
                "INSERT INTO usage_intervals (id, project_id, instance_id, instance_name, instance_type_id, started_at) \
                 SELECT $1, project_id, id, name, instance_type_id, $2 FROM instances WHERE id = $3 AND NOT EXISTS \
                 (SELECT 1 FROM usage_intervals WHERE instance_id = $3 AND ended_at IS NULL)",
                args![new_id(), now, instance_id],
            ));
        } else {
            batch.push(Self::usage_close(instance_id, now));
        }
        batch
    }

    /// Ends the instance's open usage interval, if any.
    pub fn usage_close(instance_id: Uuid, now: i64) -> Stmt {
        Stmt::new(
            "UPDATE usage_intervals SET ended_at = $1 WHERE instance_id = $2 AND ended_at IS NULL",
            args![now, instance_id],
        )
    }

    pub fn instance_security_group_link(instance_id: Uuid, security_group_id: Uuid) -> Stmt {
        Stmt::new(
            "INSERT INTO instance_security_groups (instance_id, security_group_id) VALUES ($1, $2)",
            args![instance_id, security_group_id],
        )
    }

    pub fn instance_security_groups_unlink(instance_id: Uuid) -> Stmt {
        Stmt::new("DELETE FROM instance_security_groups WHERE instance_id = $1", args![instance_id])
    }

    /// The security groups of several instances at once (for list pages).
    pub async fn instances_security_groups(&self, ids: &[Uuid]) -> DbResult<Vec<(Uuid, Uuid)>> {
        if ids.is_empty() {
            return Ok(vec![]);
        }
        let sql = format!(
            "SELECT instance_id, security_group_id FROM instance_security_groups WHERE instance_id IN ({}) \
             ORDER BY security_group_id",
            crate::placeholders(1, ids.len())
        );
        let rows = self.db.query(&sql, ids.iter().map(Into::into).collect()).await?;
        Ok(rows.iter().map(|r| (r.uuid(0), r.uuid(1))).collect())
    }

    /// The public IPs attached to several instances at once.
    pub async fn instances_public_ips(&self, ids: &[Uuid]) -> DbResult<Vec<crate::PublicIpRecord>> {
        use crate::Record;
        if ids.is_empty() {
            return Ok(vec![]);
        }
        let sql = format!(
            "SELECT {} FROM public_ips WHERE instance_id IN ({})",
            crate::PublicIpRecord::select_list(),
            crate::placeholders(1, ids.len())
        );
        let rows = self.db.query(&sql, ids.iter().map(Into::into).collect()).await?;
        Ok(rows.iter().map(crate::PublicIpRecord::from_row).collect())
    }

    pub async fn instance_security_group_ids(&self, instance_id: Uuid) -> DbResult<Vec<Uuid>> {
        let rows = self
            .db
            .query(
                "SELECT security_group_id FROM instance_security_groups WHERE instance_id = $1 ORDER BY security_group_id",
                args![instance_id],
            )
            .await?;
        Ok(rows.iter().map(|r| r.uuid(0)).collect())
    }

    /// How many instances use a security group (a group in use cannot be deleted).
    pub async fn security_group_users(&self, security_group_id: Uuid) -> DbResult<i64> {
        let row = self
            .db
            .query_opt(
                "SELECT COUNT(*) FROM instance_security_groups WHERE security_group_id = $1",
                args![security_group_id],
            )
            .await?;
        Ok(row.map_or(0, |r| r.int(0)))
    }
}
