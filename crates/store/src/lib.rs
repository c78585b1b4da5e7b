//! gureum's persistence. One file per resource declares its row (`record!`) and the
//! queries the engine needs beyond the generic get/list/insert/update. Writes are
//! [`Batch`]es applied atomically; the engine composes them so that "step done" and the
//! resource change it caused commit together.

pub mod db;
pub mod record;
#[cfg(feature = "testing")]
pub mod testing;

mod connections;
mod idempotency;
mod images;
mod instance_views;
mod instances;
mod key_pairs;
mod lean;
mod maintenance;
mod pools;
mod projects;
mod provider_rows;
mod provisioning;
mod public_ips;
mod scale_out;
mod security_groups;
mod sessions;
mod snapshots;
mod subnets;
mod tenancy;
mod usage;
mod users;
mod volumes;
mod vpcs;
mod workflows;

pub use connections::*;
pub use idempotency::*;
pub use images::*;
pub use instance_views::*;
pub use instances::*;
pub use key_pairs::*;
pub use lean::*;
pub use maintenance::*;
pub use pools::*;
pub use projects::*;
pub use provider_rows::*;
pub use provisioning::*;
pub use public_ips::*;
pub use security_groups::*;
pub use sessions::*;
pub use snapshots::*;
pub use subnets::*;
pub use tenancy::*;
pub use usage::*;
pub use users::*;
pub use volumes::*;
pub use vpcs::*;
pub use workflows::*;

pub use db::{Batch, Db, DbError, DbResult, Dialect, Row, Stmt, Val};
pub use record::{Record, Update};

use uuid::Uuid;

const MIGRATIONS: &[(i64, &str, &str)] = &[
    (1, "core", include_str!("../migrations/0001_core.sql")),
    (2, "sessions", include_str!("../migrations/0002_sessions.sql")),
    (3, "pools", include_str!("../migrations/0003_pools.sql")),
    (4, "homes", include_str!("../migrations/0004_homes.sql")),
    (5, "workflow_definitions", include_str!("../migrations/0005_workflow_definitions.sql")),
    (6, "instance_provider_views", include_str!("../migrations/0006_instance_provider_views.sql")),
    (7, "provisioning", include_str!("../migrations/0007_provisioning.sql")),
    (8, "pool_purposes", include_str!("../migrations/0008_pool_purposes.sql")),
    (9, "lean", include_str!("../migrations/0009_lean.sql")),
    (10, "tenancy", include_str!("../migrations/0010_tenancy.sql")),
    (11, "vm_templates", include_str!("../migrations/0011_vm_templates.sql")),
    (12, "shared_nodes", include_str!("../migrations/0012_shared_nodes.sql")),
    (13, "maintenance", include_str!("../migrations/0013_maintenance.sql")),
    (14, "maintenance_runs", include_str!("../migrations/0014_maintenance_runs.sql")),
    (15, "notifications", include_str!("../migrations/0015_notifications.sql")),
    (16, "scale_out", include_str!("../migrations/0016_scale_out.sql")),
    (17, "sign_in_failures", include_str!("../migrations/0017_sign_in_failures.sql")),
];

/// The newest schema version this build knows.
fn latest_schema() -> i64 {
    MIGRATIONS.iter().map(|(v, _, _)| *v).max().unwrap_or(0)
}

/// The newest applied version when it is newer than this build knows: a newer gureum
/// migrated the database, and this one would misread what it wrote.
fn newer_schema(applied: &[i64]) -> Option<i64> {
    applied.iter().copied().max().filter(|v| *v > latest_schema())
}

/// Microseconds since the Unix epoch.
pub fn now() -> i64 {
    let d = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).expect("clock after 1970");
    d.as_micros() as i64
}

/// A new time-ordered id.
pub fn new_id() -> Uuid {
    Uuid::now_v7()
}

/// How a user addresses a resource: by id or by name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Key {
    Id(Uuid),
    Name(String),
}

impl Key {
    pub fn parse(s: &str) -> Key {
        match Uuid::parse_str(s) {
            Ok(id) => Key::Id(id),
            Err(_) => Key::Name(s.to_string()),
        }
    }

    fn column(&self) -> (&'static str, Val) {
        match self {
            Key::Id(id) => ("id", Val::from(id)),
            Key::Name(n) => ("name", Val::from(n)),
        }
    }
}

impl std::fmt::Display for Key {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Key::Id(id) => write!(f, "{id}"),
            Key::Name(n) => f.write_str(n),
        }
    }
}

/// Keyset pagination: rows after `after`, in id (= creation) order. The limit goes into
/// the SQL text, never as a bound parameter: SQLite recompiles a statement whose LIMIT is
/// a parameter on every execution (measured: 1,000 recompiles in 1,000 runs).
#[derive(Debug, Clone, Default)]
pub struct Page {
    pub limit: u32,
    pub after: Option<Uuid>,
}

/// `$first, $first+1, …` for `count` values (an `IN (…)` list).
pub fn placeholders(first: usize, count: usize) -> String {
    (first..first + count).map(|i| format!("${i}")).collect::<Vec<_>>().join(", ")
}

/// An equality condition on a static column name (`Val::Null` means `IS NULL`).
pub type Filter = (&'static str, Val);

fn push_filter(sql: &mut String, args: &mut Vec<Val>, column: &str, value: &Val) {
    if *value == Val::Null {
        sql.push_str(&format!("{column} IS NULL"));
    } else {
        args.push(value.clone());
        sql.push_str(&format!("{column} = ${}", args.len()));
    }
}

#[derive(Clone)]
pub struct Store {
    pub db: Db,
}

impl Store {
    /// Opens the database at `url` and brings its schema up to date.
    pub async fn open(url: &str) -> DbResult<Store> {
        let store = Store { db: Db::open(url).await? };
        store.migrate().await?;
        Ok(store)
    }

    /// Brings the schema up to date. Servers sharing a PostgreSQL database may start
    /// together: each step is one transaction (one multi-statement query) holding an
    /// advisory lock, so one server applies a migration, and the others, failing on what
    /// it made, find it applied.
    async fn migrate(&self) -> DbResult<()> {
        let lock = match self.db.dialect() {
            Dialect::Sqlite => "",
            // (Quietly: a server that finds the table there need not log a notice.)
            Dialect::Postgres => "SELECT pg_advisory_xact_lock(7262383); SET LOCAL client_min_messages = warning; ",
        };
        self.db
            .execute_script(&format!(
                "{lock}CREATE TABLE IF NOT EXISTS schema_migrations \
                 (version BIGINT PRIMARY KEY, name TEXT NOT NULL, applied_at BIGINT NOT NULL)"
            ))
            .await?;
        let applied = self.migrations_applied().await?;
        if let Some(newer) = newer_schema(&applied) {
            return Err(DbError::Backend(format!(
                "the database is at schema version {newer}, newer than this gureum knows ({}): a newer gureum \
                 migrated it; run that version (servers sharing a database upgrade together)",
                latest_schema()
            )));
        }
        for (version, name, sql) in MIGRATIONS {
            if applied.contains(version) {
                continue;
            }
            tracing::info!(version, name, "applying database migration");
            let script = format!(
                "{lock}{sql}; INSERT INTO schema_migrations (version, name, applied_at) VALUES ({version}, '{name}', {});",
                now()
            );
            if let Err(e) = self.db.execute_script(&script).await
                && !self.migrations_applied().await?.contains(version)
            {
                return Err(e);
            }
        }
        Ok(())
    }

    async fn migrations_applied(&self) -> DbResult<Vec<i64>> {
        let applied = self.db.query("SELECT version FROM schema_migrations", vec![]).await?;
        Ok(applied.iter().map(|r| r.int(0)).collect())
    }

    /// The name of row `id` of `R`'s table, if it exists.
    pub async fn name_of<R: Record>(&self, id: Uuid) -> DbResult<Option<String>> {
        let sql = format!("SELECT name FROM {} WHERE id = $1", R::TABLE);
        Ok(self.db.query_opt(&sql, args![id]).await?.map(|r| r.text(0)))
    }

    /// Whether the database answers a trivial query.
    pub async fn ping(&self) -> DbResult<()> {
        self.db.query("SELECT 1", vec![]).await.map(|_| ())
    }

    pub fn dialect(&self) -> Dialect {
        self.db.dialect()
    }

    pub async fn write(&self, batch: impl Into<Batch>) -> DbResult<Vec<db::StmtResult>> {
        self.db.write(batch).await
    }

    /// One row by id or name, within the rows matching `scope`.
    pub async fn get<R: Record>(&self, scope: &[Filter], key: &Key) -> DbResult<Option<R>> {
        let (col, val) = key.column();
        let mut args = Vec::with_capacity(scope.len() + 1);
        let mut sql = format!("SELECT {} FROM {} WHERE ", R::select_list(), R::TABLE);
        for (c, v) in scope {
            push_filter(&mut sql, &mut args, c, v);
            sql.push_str(" AND ");
        }
        args.push(val);
        sql.push_str(&format!("{col} = ${}", args.len()));
        Ok(self.db.query_opt(&sql, args).await?.map(|r| R::from_row(&r)))
    }

    pub async fn get_by_id<R: Record>(&self, id: Uuid) -> DbResult<Option<R>> {
        self.get(&[], &Key::Id(id)).await
    }

    /// A page of rows matching every filter, in creation order.
    pub async fn list<R: Record>(&self, filters: &[Filter], page: &Page) -> DbResult<Vec<R>> {
        self.list_named::<R>(filters, None, page).await
    }

    /// Like [`Store::list`], also keeping only names that contain `name_contains`.
    pub async fn list_named<R: Record>(
        &self,
        filters: &[Filter],
        name_contains: Option<&str>,
        page: &Page,
    ) -> DbResult<Vec<R>> {
        let mut args = Vec::with_capacity(filters.len() + 3);
        let mut sql = format!("SELECT {} FROM {} WHERE 1 = 1", R::select_list(), R::TABLE);
        for (c, v) in filters {
            sql.push_str(" AND ");
            push_filter(&mut sql, &mut args, c, v);
        }
        if let Some(n) = name_contains {
            // LIKE wildcards in the user's text match literally: drop them.
            args.push(Val::Text(format!("%{}%", n.replace(['%', '_'], ""))));
            sql.push_str(&format!(" AND name LIKE ${}", args.len()));
        }
        if let Some(after) = page.after {
            args.push(Val::from(after));
            sql.push_str(&format!(" AND id > ${}", args.len()));
        }
        sql.push_str(&format!(" ORDER BY id LIMIT {}", page.limit.max(1)));
        Ok(self.db.query(&sql, args).await?.iter().map(R::from_row).collect())
    }

    /// Every row matching the filters (for small, bounded sets).
    pub async fn list_all<R: Record>(&self, filters: &[Filter]) -> DbResult<Vec<R>> {
        self.list(filters, &Page { limit: u32::MAX >> 1, after: None }).await
    }

    /// How many rows match the filters.
    pub async fn count<R: Record>(&self, filters: &[Filter]) -> DbResult<i64> {
        self.count_in(R::TABLE, filters).await
    }

    /// How many rows of `table` match the filters.
    pub async fn count_in(&self, table: &'static str, filters: &[Filter]) -> DbResult<i64> {
        let mut args = Vec::with_capacity(filters.len());
        let mut sql = format!("SELECT COUNT(*) FROM {table} WHERE 1 = 1");
        for (c, v) in filters {
            sql.push_str(" AND ");
            push_filter(&mut sql, &mut args, c, v);
        }
        Ok(self.db.query_opt(&sql, args).await?.map_or(0, |r| r.int(0)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_database_migrated_by_a_newer_gureum_is_refused() {
        let (url, _dir) = testing::fresh_database().await.expect("test database");
        let store = Store::open(&url).await.expect("opens");
        let newer = latest_schema() + 1;
        let mark = format!("INSERT INTO schema_migrations (version, name, applied_at) VALUES ({newer}, 'future', 0)");
        store.db.execute_script(&mark).await.unwrap();
        drop(store);
        let err = Store::open(&url).await.err().expect("a newer schema opened");
        assert!(err.to_string().contains(&format!("schema version {newer}, newer than this gureum knows")), "{err}");
    }
}
