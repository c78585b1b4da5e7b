//! Resellers, customers and the quota counters of resellers, customers and projects.

use crate::db::Stmt;
use crate::{Batch, DbError, DbResult, Store, args, record};
use gureum_model::tenancy::{QuotaAmounts, QuotaLimits};
use uuid::Uuid;

record! {
    pub struct ResellerRecord in "resellers" {
        pub id: Uuid,
        pub name: String,
        pub description: String,
        pub generation: i64,
        pub created_at: i64,
        pub updated_at: i64,
    }
}

record! {
    pub struct CustomerRecord in "customers" {
        pub id: Uuid,
        pub reseller_id: Uuid,
        pub name: String,
        pub description: String,
        pub generation: i64,
        pub created_at: i64,
        pub updated_at: i64,
    }
}

/// The limits of a reseller, customer or project and what is held against them.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct QuotaRow {
    pub limits: QuotaLimits,
    pub used: QuotaAmounts,
}

/// The levels a project's reservation passes, innermost first: each is one guarded
/// statement, always in this order (so concurrent batches lock the rows alike).
const LEVELS: [&str; 3] = [
    "$1",
    "(SELECT customer_id FROM projects WHERE id = $1)",
    "(SELECT c.reseller_id FROM customers c JOIN projects p ON p.customer_id = c.id WHERE p.id = $1)",
];
const HOLD_LEVELS: [&str; 3] = ["project_id", "customer_id", "reseller_id"];
const RESERVE_SQL_START: &str = "UPDATE quotas SET /* reserve */";
const COUNTERS: [&str; 4] = ["vcpus", "memory_mib", "instances", "volume_gb"];

fn amounts_args(a: QuotaAmounts) -> Vec<crate::Val> {
    args![a.vcpus, a.memory_mib, a.instances, a.volume_gb]
}

/// `sets` (of the `*_used` counters) applied at every level holder `$1`'s hold counts
/// against: its project, customer and reseller (nothing where it holds nothing).
fn at_hold_levels(sets: &[String], args: Vec<crate::Val>) -> Batch {
    let mut batch = Batch::new();
    for level in HOLD_LEVELS {
        batch.push(Stmt::new(
            format!(
                "UPDATE quotas SET {} WHERE scope_id = (SELECT {level} FROM quota_holds WHERE holder_id = $1)",
                sets.join(", ")
            ),
            args.clone(),
        ));
    }
    batch
}

/// The guarded counter updates of every level of project `project_id` (`$1`), with the
/// amounts as `$2`–`$5`.
fn level_reservations(project_id: Uuid, amounts: QuotaAmounts) -> Batch {
    let mut batch = Batch::new();
    for scope in LEVELS {
        let sets: Vec<String> = COUNTERS.iter().zip(2..).map(|(c, i)| format!("{c}_used = {c}_used + ${i}")).collect();
        // Asking none of a resource passes even where the limit was lowered below use.
        let guards: Vec<String> = COUNTERS
            .iter()
            .zip(2..)
            .map(|(c, i)| format!("(${i} = 0 OR {c} IS NULL OR {c}_used + ${i} <= {c})"))
            .collect();
        let sql =
            format!("{RESERVE_SQL_START} {} WHERE scope_id = {scope} AND {}", sets.join(", "), guards.join(" AND "));
        let mut args = args![project_id];
        args.extend(amounts_args(amounts));
        batch.push(Stmt::one(sql, args));
    }
    batch
}

impl Store {
    /// The quota row every reseller, customer and project gets when it is made.
    pub fn quota_init(scope_id: Uuid) -> Stmt {
        Stmt::new("INSERT INTO quotas (scope_id) VALUES ($1)", args![scope_id])
    }

    pub fn quota_forget(scope_id: Uuid) -> Stmt {
        Stmt::new("DELETE FROM quotas WHERE scope_id = $1", args![scope_id])
    }

    pub fn quota_set(scope_id: Uuid, l: QuotaLimits) -> Stmt {
        Stmt::one(
            "UPDATE quotas SET vcpus = $2, memory_mib = $3, instances = $4, volume_gb = $5 WHERE scope_id = $1",
            args![scope_id, l.vcpus, l.memory_mib, l.instances, l.volume_gb],
        )
    }

    pub async fn quota_get(&self, scope_id: Uuid) -> DbResult<QuotaRow> {
        let row = self
            .db
            .query_opt(
                "SELECT vcpus, memory_mib, instances, volume_gb, vcpus_used, memory_mib_used, instances_used, \
                 volume_gb_used FROM quotas WHERE scope_id = $1",
                args![scope_id],
            )
            .await?;
        Ok(row
            .map(|r| QuotaRow {
                limits: QuotaLimits {
                    vcpus: r.opt_int(0),
                    memory_mib: r.opt_int(1),
                    instances: r.opt_int(2),
                    volume_gb: r.opt_int(3),
                },
                used: QuotaAmounts { vcpus: r.int(4), memory_mib: r.int(5), instances: r.int(6), volume_gb: r.int(7) },
            })
            .unwrap_or_default())
    }

    /// Reserves `amounts` for `holder_id` (an instance or a volume) in project
    /// `project_id`, its customer and its reseller. Each level's statement only applies
    /// while the level has room, and must apply, so a batch that would overshoot any
    /// level fails as a whole ([`Store::is_quota_conflict`]).
    pub fn quota_reserve(holder_id: Uuid, project_id: Uuid, amounts: QuotaAmounts) -> Batch {
        let mut batch = level_reservations(project_id, amounts);
        let mut args = args![holder_id, project_id];
        args.extend(amounts_args(amounts));
        batch.push(Stmt::new(
            "INSERT INTO quota_holds (holder_id, project_id, customer_id, reseller_id, vcpus, memory_mib, instances, \
             volume_gb) SELECT $1, p.id, p.customer_id, c.reseller_id, $3, $4, $5, $6 \
             FROM projects p JOIN customers c ON c.id = p.customer_id WHERE p.id = $2",
            args,
        ));
        batch
    }

    /// Adds `amounts` to what `holder_id` already holds (a volume grown), guarded at
    /// every level like [`Store::quota_reserve`].
    pub fn quota_grow(holder_id: Uuid, project_id: Uuid, amounts: QuotaAmounts) -> Batch {
        let mut batch = level_reservations(project_id, amounts);
        let mut args = args![holder_id];
        args.extend(amounts_args(amounts));
        batch.push(Stmt::one(
            "UPDATE quota_holds SET vcpus = vcpus + $2, memory_mib = memory_mib + $3, instances = instances + $4, \
             volume_gb = volume_gb + $5 WHERE holder_id = $1",
            args,
        ));
        batch
    }

    /// Gives back part of what `holder_id` holds (a grow that did not happen).
    pub fn quota_shrink(holder_id: Uuid, amounts: QuotaAmounts) -> Batch {
        let mut args = args![holder_id];
        args.extend(amounts_args(amounts));
        let used: Vec<String> = COUNTERS.iter().zip(2..).map(|(c, i)| format!("{c}_used = {c}_used - ${i}")).collect();
        let mut batch = at_hold_levels(&used, args.clone());
        let sets: Vec<String> = COUNTERS.iter().zip(2..).map(|(c, i)| format!("{c} = {c} - ${i}")).collect();
        batch.push(Stmt::new(format!("UPDATE quota_holds SET {} WHERE holder_id = $1", sets.join(", ")), args));
        batch
    }

    /// Makes what instance `instance_id` holds in vCPUs and memory that of the type it
    /// has now, at every level (unguarded: it has that type, over a limit or not), as
    /// after a resize that failed. Nothing if it holds nothing.
    pub fn quota_follow_type(instance_id: Uuid) -> Batch {
        const TYPED: [&str; 2] = ["vcpus", "memory_mib"];
        let of_type = |c: &str| {
            format!(
                "(SELECT t.{c} FROM instances i JOIN instance_types t ON t.id = i.instance_type_id WHERE i.id = $1)"
            )
        };
        let used: Vec<String> = TYPED
            .iter()
            .map(|c| {
                format!("{c}_used = {c}_used + {} - (SELECT {c} FROM quota_holds WHERE holder_id = $1)", of_type(c))
            })
            .collect();
        let mut batch = at_hold_levels(&used, args![instance_id]);
        let sets: Vec<String> = TYPED.iter().map(|c| format!("{c} = {}", of_type(c))).collect();
        batch.push(Stmt::new(
            format!("UPDATE quota_holds SET {} WHERE holder_id = $1", sets.join(", ")),
            args![instance_id],
        ));
        batch
    }

    pub async fn quota_holds(&self, holder_id: Uuid) -> DbResult<bool> {
        Ok(self.db.query_opt("SELECT 1 FROM quota_holds WHERE holder_id = $1", args![holder_id]).await?.is_some())
    }

    /// Frees what `holder_id` reserved, at every level; nothing if it holds nothing (so
    /// it is safe on every path that removes the instance or volume, and twice).
    pub fn quota_release(holder_id: Uuid) -> Batch {
        let used: Vec<String> = COUNTERS
            .iter()
            .map(|c| format!("{c}_used = {c}_used - (SELECT {c} FROM quota_holds WHERE holder_id = $1)"))
            .collect();
        let mut batch = at_hold_levels(&used, args![holder_id]);
        batch.push(Stmt::new("DELETE FROM quota_holds WHERE holder_id = $1", args![holder_id]));
        batch
    }

    /// A batch failed because a quota level had no room (which one: [`Store::quota_get`]).
    pub fn is_quota_conflict(e: &DbError) -> bool {
        matches!(e, DbError::Conflict { sql, .. } if sql.starts_with(RESERVE_SQL_START))
    }
}
