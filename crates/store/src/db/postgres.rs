//! PostgreSQL through a tokio-postgres pool, for deployments where several gureum
//! servers share one database.

use super::{Batch, DbError, DbResult, Expect, Row, StmtResult, Val};
use bytes::BytesMut;
use deadpool_postgres::{Manager, ManagerConfig, Pool, RecyclingMethod};
use std::str::FromStr;
use tokio_postgres::error::SqlState;
use tokio_postgres::types::{IsNull, ToSql, Type, to_sql_checked};

const POOL_SIZE: usize = 16;

type BoxError = Box<dyn std::error::Error + Sync + Send>;

impl ToSql for Val {
    fn to_sql(&self, ty: &Type, out: &mut BytesMut) -> Result<IsNull, BoxError> {
        match self {
            Val::Null => Ok(IsNull::Yes),
            Val::Int(v) => match *ty {
                Type::INT2 => i16::try_from(*v)?.to_sql(ty, out),
                Type::INT4 => i32::try_from(*v)?.to_sql(ty, out),
                Type::FLOAT8 => (*v as f64).to_sql(ty, out),
                Type::BOOL => (*v != 0).to_sql(ty, out),
                Type::TEXT | Type::VARCHAR => v.to_string().to_sql(ty, out),
                _ => v.to_sql(ty, out),
            },
            Val::Real(v) => match *ty {
                Type::FLOAT4 => (*v as f32).to_sql(ty, out),
                _ => v.to_sql(ty, out),
            },
            Val::Text(s) => s.as_str().to_sql(ty, out),
        }
    }

    fn accepts(_: &Type) -> bool {
        true
    }

    to_sql_checked!();
}

fn map_err(e: tokio_postgres::Error) -> DbError {
    if e.code() == Some(&SqlState::UNIQUE_VIOLATION) {
        let detail = e.as_db_error().map(|d| d.message().to_string()).unwrap_or_else(|| e.to_string());
        return DbError::Unique(detail);
    }
    let detail = e.as_db_error().map(|d| d.to_string()).unwrap_or_else(|| e.to_string());
    DbError::Backend(detail)
}

fn read_row(row: &tokio_postgres::Row) -> DbResult<Row> {
    let mut vals = Vec::with_capacity(row.len());
    for (i, col) in row.columns().iter().enumerate() {
        let v = match *col.type_() {
            Type::INT8 => row.try_get::<_, Option<i64>>(i).map(|v| v.map(Val::Int)),
            Type::INT4 => row.try_get::<_, Option<i32>>(i).map(|v| v.map(|v| Val::Int(v.into()))),
            Type::INT2 => row.try_get::<_, Option<i16>>(i).map(|v| v.map(|v| Val::Int(v.into()))),
            Type::BOOL => row.try_get::<_, Option<bool>>(i).map(|v| v.map(|v| Val::Int(v.into()))),
            Type::FLOAT8 => row.try_get::<_, Option<f64>>(i).map(|v| v.map(Val::Real)),
            Type::FLOAT4 => row.try_get::<_, Option<f32>>(i).map(|v| v.map(|v| Val::Real(v.into()))),
            _ => row.try_get::<_, Option<String>>(i).map(|v| v.map(Val::Text)),
        }
        .map_err(|e| DbError::Backend(format!("column {} ({}): {e}", col.name(), col.type_())))?;
        vals.push(v.unwrap_or(Val::Null));
    }
    Ok(Row(vals))
}

fn params(args: &[Val]) -> Vec<&(dyn ToSql + Sync)> {
    args.iter().map(|a| a as &(dyn ToSql + Sync)).collect()
}

#[derive(Clone)]
pub struct PgDb {
    pool: Pool,
}

impl PgDb {
    pub async fn connect(url: &str) -> DbResult<PgDb> {
        let config = tokio_postgres::Config::from_str(url).map_err(|e| DbError::Backend(e.to_string()))?;
        let manager = Manager::from_config(
            config,
            tokio_postgres::NoTls,
            ManagerConfig { recycling_method: RecyclingMethod::Fast },
        );
        let pool = Pool::builder(manager).max_size(POOL_SIZE).build().map_err(|e| DbError::Backend(e.to_string()))?;
        // Fail at start-up, not on the first request, when the database is unreachable.
        drop(pool.get().await.map_err(|e| DbError::Backend(format!("cannot connect to PostgreSQL: {e}")))?);
        Ok(PgDb { pool })
    }

    async fn client(&self) -> DbResult<deadpool_postgres::Object> {
        self.pool.get().await.map_err(|e| DbError::Backend(e.to_string()))
    }

    pub async fn query(&self, sql: &str, args: Vec<Val>) -> DbResult<Vec<Row>> {
        let client = self.client().await?;
        let stmt = client.prepare_cached(sql).await.map_err(map_err)?;
        let rows = client.query(&stmt, &params(&args)).await.map_err(map_err)?;
        rows.iter().map(read_row).collect()
    }

    pub async fn write(&self, batch: Batch) -> DbResult<Vec<StmtResult>> {
        let mut client = self.client().await?;
        let tx = client.transaction().await.map_err(map_err)?;
        let mut results = Vec::with_capacity(batch.0.len());
        for (index, s) in batch.0.iter().enumerate() {
            let stmt = tx.prepare_cached(&s.sql).await.map_err(map_err)?;
            let result = if s.returns_rows {
                let rows = tx.query(&stmt, &params(&s.args)).await.map_err(map_err)?;
                let rows = rows.iter().map(read_row).collect::<DbResult<Vec<_>>>()?;
                StmtResult { affected: rows.len() as u64, rows }
            } else {
                StmtResult { affected: tx.execute(&stmt, &params(&s.args)).await.map_err(map_err)?, rows: vec![] }
            };
            if s.expect == Expect::One && result.affected != 1 {
                // Dropping the transaction rolls it back.
                return Err(DbError::Conflict { index, affected: result.affected, sql: s.sql.clone() });
            }
            results.push(result);
        }
        tx.commit().await.map_err(map_err)?;
        Ok(results)
    }

    pub async fn execute_script(&self, script: &str) -> DbResult<()> {
        self.client().await?.batch_execute(script).await.map_err(map_err)
    }
}
