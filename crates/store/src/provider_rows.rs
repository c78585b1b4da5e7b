//! gureum's records of provider resources, across the tables that hold them: what the
//! drift view compares with a provider's inventory, and what adopting and unregistering
//! check. The tables are a closed set, so no table name ever comes from a caller.

use crate::db::{Batch, DbResult, Stmt};
use crate::{Store, args};
use uuid::Uuid;

/// A table of records that map to provider resources.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProviderTable {
    Vpcs,
    Subnets,
    SecurityGroups,
    KeyPairs,
    Instances,
    Volumes,
    Snapshots,
    Images,
    PublicIps,
}

impl ProviderTable {
    pub const fn name(self) -> &'static str {
        match self {
            ProviderTable::Vpcs => "vpcs",
            ProviderTable::Subnets => "subnets",
            ProviderTable::SecurityGroups => "security_groups",
            ProviderTable::KeyPairs => "key_pairs",
            ProviderTable::Instances => "instances",
            ProviderTable::Volumes => "volumes",
            ProviderTable::Snapshots => "snapshots",
            ProviderTable::Images => "images",
            ProviderTable::PublicIps => "public_ips",
        }
    }

    /// The tables whose rows point at a row of this one: (table, column, what a row is).
    fn dependents(self) -> &'static [(&'static str, &'static str, &'static str)] {
        match self {
            ProviderTable::Vpcs => &[
                ("subnets", "vpc_id", "subnet"),
                ("security_groups", "vpc_id", "security group"),
                ("instances", "vpc_id", "instance"),
            ],
            ProviderTable::Subnets => &[("instances", "subnet_id", "instance")],
            ProviderTable::SecurityGroups => &[("instance_security_groups", "security_group_id", "instance")],
            ProviderTable::KeyPairs => &[("instances", "key_pair_id", "instance")],
            _ => &[],
        }
    }
}

/// What every record of a provider resource has.
#[derive(Debug, Clone)]
pub struct ProviderRow {
    pub id: Uuid,
    pub name: String,
    pub project_id: Option<Uuid>,
    pub provider_id: Option<String>,
    pub state: String,
    pub op_id: Option<Uuid>,
}

const COLUMNS: &str = "id, name, project_id, provider_id, state, op_id";

fn provider_row(r: &crate::Row) -> ProviderRow {
    ProviderRow {
        id: r.uuid(0),
        name: r.text(1),
        project_id: r.opt_uuid(2),
        provider_id: r.opt_text(3),
        state: r.text(4),
        op_id: r.opt_uuid(5),
    }
}

impl Store {
    /// Every record of `table` in a connection.
    pub async fn provider_rows(&self, table: ProviderTable, connection: Uuid) -> DbResult<Vec<ProviderRow>> {
        let sql = format!("SELECT {COLUMNS} FROM {} WHERE connection_id = $1", table.name());
        Ok(self.db.query(&sql, args![connection]).await?.iter().map(provider_row).collect())
    }

    /// The record of a connection's provider resource `provider_id`, if gureum has one.
    pub async fn provider_row_of(
        &self,
        table: ProviderTable,
        connection: Uuid,
        provider_id: &str,
    ) -> DbResult<Option<ProviderRow>> {
        let sql = format!("SELECT {COLUMNS} FROM {} WHERE connection_id = $1 AND provider_id = $2", table.name());
        Ok(self.db.query_opt(&sql, args![connection, provider_id]).await?.as_ref().map(provider_row))
    }

    /// A project's record `name` in a connection.
    pub async fn provider_row_named(
        &self,
        table: ProviderTable,
        project: Uuid,
        connection: Uuid,
        name: &str,
    ) -> DbResult<Option<ProviderRow>> {
        let sql = format!(
            "SELECT {COLUMNS} FROM {} WHERE project_id = $1 AND connection_id = $2 AND name = $3",
            table.name()
        );
        Ok(self.db.query_opt(&sql, args![project, connection, name]).await?.as_ref().map(provider_row))
    }

    /// How many records of each kind still point at row `id` of `table`:
    /// `(what a dependent is, how many)`, only kinds with some.
    pub async fn provider_row_dependents(&self, table: ProviderTable, id: Uuid) -> DbResult<Vec<(&'static str, i64)>> {
        let mut found = vec![];
        for (dependent, column, what) in table.dependents() {
            let sql = format!("SELECT COUNT(*) FROM {dependent} WHERE {column} = $1");
            let n = self.db.query(&sql, args![id]).await?.first().map_or(0, |r| r.int(0));
            if n > 0 {
                found.push((*what, n));
            }
        }
        Ok(found)
    }

    /// Forgets row `id` of `table` (a security group with its rules).
    pub fn provider_row_forget(table: ProviderTable, id: Uuid) -> Batch {
        forget_row(table.name(), id)
    }
}

/// Deletes row `id` of `table`, and what belongs only to it (a security group's rules).
pub fn forget_row(table: &'static str, id: Uuid) -> Batch {
    let mut batch = Batch::default();
    if table == ProviderTable::SecurityGroups.name() {
        batch.push(Stmt::new("DELETE FROM security_group_rules WHERE security_group_id = $1", args![id]));
    }
    if table == "volumes" {
        // A data volume frees what it held of its quotas.
        batch.extend(crate::Store::quota_release(id));
    }
    batch.push(crate::record::delete_from(table, id));
    batch
}
