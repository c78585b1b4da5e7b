//! Rows as Rust structs. `record!` declares a table's row once; the field order is the
//! column order, which drives both decoding (`from_row`) and inserting (`to_args`), so
//! the two can never drift apart. Generic get/list/insert/update live on [`Store`].

use crate::db::{Row, Stmt, Val};
use gureum_model::image::{ImageState, OsFamily};
use gureum_model::instance::InstanceState;
use gureum_model::network::{Direction, Protocol};
use gureum_model::operation::OperationStatus;
use gureum_model::public_ip::{PublicIpKind, PublicIpMode, PublicIpState};
use gureum_model::state::LifecycleState;
use gureum_model::volume::{VolumeKind, VolumeState};
use std::marker::PhantomData;
use uuid::Uuid;

/// A value that maps to one column.
pub trait Column: Sized {
    fn from_val(v: &Val) -> Self;
    fn to_val(&self) -> Val;
}

impl Column for String {
    fn from_val(v: &Val) -> Self {
        Row(vec![v.clone()]).text(0)
    }
    fn to_val(&self) -> Val {
        Val::Text(self.clone())
    }
}

impl Column for i64 {
    fn from_val(v: &Val) -> Self {
        Row(vec![v.clone()]).int(0)
    }
    fn to_val(&self) -> Val {
        Val::Int(*self)
    }
}

impl Column for f64 {
    fn from_val(v: &Val) -> Self {
        Row(vec![v.clone()]).real(0)
    }
    fn to_val(&self) -> Val {
        Val::Real(*self)
    }
}

impl Column for bool {
    fn from_val(v: &Val) -> Self {
        Row(vec![v.clone()]).bool(0)
    }
    fn to_val(&self) -> Val {
        Val::Int(*self as i64)
    }
}

impl Column for Uuid {
    fn from_val(v: &Val) -> Self {
        Row(vec![v.clone()]).uuid(0)
    }
    fn to_val(&self) -> Val {
        Val::Text(self.to_string())
    }
}

impl<T: Column> Column for Option<T> {
    fn from_val(v: &Val) -> Self {
        match v {
            Val::Null => None,
            v => Some(T::from_val(v)),
        }
    }
    fn to_val(&self) -> Val {
        self.as_ref().map_or(Val::Null, T::to_val)
    }
}

/// Enums stored by their spec spelling. An unknown spelling in the database means a
/// newer gureum wrote it; reading it as the first variant would lie, so it panics loudly.
macro_rules! spelled_columns {
    ($($t:ty),+) => {$(
        impl Column for $t {
            fn from_val(v: &Val) -> Self {
                let s = String::from_val(v);
                <$t>::parse(&s).unwrap_or_else(|| panic!("unknown {} {s:?} in the database", stringify!($t)))
            }
            fn to_val(&self) -> Val {
                Val::Text(self.as_str().to_string())
            }
        }
    )+};
}

spelled_columns!(
    InstanceState,
    VolumeState,
    VolumeKind,
    ImageState,
    OsFamily,
    PublicIpState,
    PublicIpKind,
    PublicIpMode,
    LifecycleState,
    Direction,
    Protocol,
    OperationStatus,
    gureum_model::authz::Role,
    gureum_model::provisioning::ProvisioningState,
    gureum_model::provisioning::StackResourceState,
    gureum_model::provisioning::StackResourceKind,
    gureum_model::provisioning::HistoryType,
    gureum_model::provisioning::OnFailure,
    gureum_model::pool::PoolPurpose,
    gureum_model::lean::ClockOffset,
    gureum_model::lean::TemplateState,
    gureum_model::lean::PersistentVmType,
    gureum_model::lean::ConfigurationManagement,
    gureum_model::lean::Environment,
    gureum_model::tenancy::TenancyRole,
    gureum_model::maintenance::Service,
    gureum_model::maintenance::Requirement,
    gureum_model::maintenance::Priority,
    gureum_model::maintenance::MaintenanceType,
    gureum_model::maintenance::ResourceStatus,
    gureum_model::maintenance::NoticeKind,
    gureum_model::maintenance::DeliveryStatus
);

/// A table row.
pub trait Record: Sized + Send + Sync + 'static {
    const TABLE: &'static str;
    const COLUMNS: &'static [&'static str];
    fn from_row(row: &Row) -> Self;
    fn to_args(&self) -> Vec<Val>;
    /// `col1, col2, …` for SELECT lists.
    fn select_list() -> &'static str;

    /// `INSERT INTO table (…) VALUES (…)` for this row.
    fn insert(&self) -> Stmt {
        Stmt::new(insert_sql(Self::TABLE, Self::COLUMNS), self.to_args())
    }
}

fn insert_sql(table: &str, columns: &[&str]) -> String {
    let placeholders: Vec<String> = (1..=columns.len()).map(|i| format!("${i}")).collect();
    format!("INSERT INTO {table} ({}) VALUES ({})", columns.join(", "), placeholders.join(", "))
}

#[macro_export]
macro_rules! record {
    ($(#[$m:meta])* pub struct $name:ident in $table:literal {
        $($(#[$fm:meta])* pub $field:ident : $ty:ty),+ $(,)?
    }) => {
        $(#[$m])*
        #[derive(Debug, Clone, PartialEq)]
        pub struct $name { $($(#[$fm])* pub $field: $ty),+ }

        #[allow(non_upper_case_globals)]
        impl $name {
            $(pub const $field: $crate::record::Col<$name, $ty> = $crate::record::Col::new(stringify!($field));)+
        }

        impl $crate::record::Record for $name {
            const TABLE: &'static str = $table;
            const COLUMNS: &'static [&'static str] = &[$(stringify!($field)),+];

            #[allow(unused_assignments)]
            fn from_row(row: &$crate::db::Row) -> Self {
                let mut i = 0usize;
                $name {$($field: {
                    let v = <$ty as $crate::record::Column>::from_val(row.0.get(i).unwrap_or(&$crate::db::Val::Null));
                    i += 1;
                    v
                }),+}
            }

            fn to_args(&self) -> Vec<$crate::db::Val> {
                vec![$(<$ty as $crate::record::Column>::to_val(&self.$field)),+]
            }

            fn select_list() -> &'static str {
                static LIST: std::sync::OnceLock<String> = std::sync::OnceLock::new();
                LIST.get_or_init(|| Self::COLUMNS.join(", "))
            }
        }
    };
}

/// A column of `R`'s table that holds a `T`. The record macro makes one per field
/// (`VolumeRecord::state`), so a column the engine writes is checked by the compiler,
/// table included.
pub struct Col<R, T> {
    name: &'static str,
    _of: PhantomData<fn() -> (R, T)>,
}

impl<R, T> Col<R, T> {
    pub const fn new(name: &'static str) -> Self {
        Col { name, _of: PhantomData }
    }
}

impl<R, T> Clone for Col<R, T> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<R, T> Copy for Col<R, T> {}

/// The rows of a table chosen at run time (code that handles several tables alike):
/// only the [`common`] columns can be written.
#[derive(Debug, Clone, Copy)]
pub struct AnyTable;

/// Columns every provider-resource table has ([`Resource`] records).
pub mod common {
    use super::{AnyTable, Col};
    use uuid::Uuid;

    pub const STATE: Col<AnyTable, String> = Col::new("state");
    pub const STATE_REASON: Col<AnyTable, Option<String>> = Col::new("state_reason");
    pub const OP_ID: Col<AnyTable, Option<Uuid>> = Col::new("op_id");
    pub const PROVIDER_ID: Col<AnyTable, Option<String>> = Col::new("provider_id");
    pub const GENERATION: Col<AnyTable, i64> = Col::new("generation");
}

/// A column that rows of `R` have.
pub trait ColumnOf<R> {
    fn name(&self) -> &'static str;
}

impl<R, T> ColumnOf<R> for Col<R, T> {
    fn name(&self) -> &'static str {
        self.name
    }
}

impl<R, C: ColumnOf<R> + ?Sized> ColumnOf<R> for &C {
    fn name(&self) -> &'static str {
        (**self).name()
    }
}

/// A record of a provider resource: its table has every [`common`] column.
pub trait Resource: Record {}

impl<R: Resource, T> ColumnOf<R> for Col<AnyTable, T> {
    fn name(&self) -> &'static str {
        self.name
    }
}

/// The resource records (a test checks each has the common columns).
macro_rules! resources {
    ($($r:ty),+ $(,)?) => {
        $(impl Resource for $r {})+
        #[cfg(test)]
        const RESOURCE_COLUMNS: &[&[&str]] = &[$(<$r as Record>::COLUMNS),+];
    };
}

resources!(
    crate::InstanceRecord,
    crate::VolumeRecord,
    crate::SnapshotRecord,
    crate::ImageRecord,
    crate::PublicIpRecord,
    crate::VpcRecord,
    crate::SubnetRecord,
    crate::SecurityGroupRecord,
    crate::KeyPairRecord,
);

#[cfg(test)]
#[test]
fn every_resource_record_has_the_common_columns() {
    for columns in RESOURCE_COLUMNS {
        for common in ["state", "state_reason", "op_id", "provider_id", "generation"] {
            assert!(columns.contains(&common), "{columns:?} lacks {common}");
        }
    }
}

/// A column update of one row of `R` (or of a table chosen at run time).
#[derive(Debug, Clone)]
pub struct Update<R = AnyTable> {
    table: &'static str,
    id: Uuid,
    sets: Vec<(&'static str, Val)>,
    guards: Vec<(&'static str, Val)>,
    expect_one: bool,
    _of: PhantomData<fn() -> R>,
}

impl<R: Record> Update<R> {
    pub fn of(id: Uuid) -> Self {
        Update { table: R::TABLE, id, sets: vec![], guards: vec![], expect_one: true, _of: PhantomData }
    }
}

impl Update<AnyTable> {
    /// For code that handles several tables alike; `table` must be a literal.
    pub fn table(table: &'static str, id: Uuid) -> Self {
        Update { table, id, sets: vec![], guards: vec![], expect_one: true, _of: PhantomData }
    }
}

impl<R> Update<R> {
    pub fn set(mut self, column: impl ColumnOf<R>, value: impl Into<Val>) -> Self {
        self.sets.push((column.name(), value.into()));
        self
    }

    /// Only if `column` still holds `value` (a generation, or the owning operation).
    pub fn guard(mut self, column: impl ColumnOf<R>, value: impl Into<Val>) -> Self {
        self.guards.push((column.name(), value.into()));
        self
    }

    /// Apply even if the row is gone or the guard fails (undo paths, best-effort marks).
    pub fn lenient(mut self) -> Self {
        self.expect_one = false;
        self
    }

    pub fn stmt(self, now: i64) -> Stmt {
        let mut sql = format!("UPDATE {} SET generation = generation + 1, updated_at = $1", self.table);
        let mut args = vec![Val::Int(now)];
        for (col, val) in self.sets {
            args.push(val);
            sql.push_str(&format!(", {col} = ${}", args.len()));
        }
        args.push(Val::Text(self.id.to_string()));
        sql.push_str(&format!(" WHERE id = ${}", args.len()));
        for (col, val) in self.guards {
            if val == Val::Null {
                sql.push_str(&format!(" AND {col} IS NULL"));
            } else {
                args.push(val);
                sql.push_str(&format!(" AND {col} = ${}", args.len()));
            }
        }
        let stmt = Stmt::new(sql, args);
        if self.expect_one { stmt.expect_one() } else { stmt }
    }
}

/// `DELETE FROM table WHERE id = $1`.
pub fn delete<R: Record>(id: Uuid) -> Stmt {
    delete_from(R::TABLE, id)
}

pub fn delete_from(table: &'static str, id: Uuid) -> Stmt {
    Stmt::new(format!("DELETE FROM {table} WHERE id = $1"), vec![Val::Text(id.to_string())])
}
