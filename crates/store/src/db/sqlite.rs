//! SQLite: one writer thread that group-commits whatever batches are queued (each batch
//! in its own savepoint, so one batch's failure spares the others), and reads run inline
//! on the calling thread with a read connection of that thread's own (a read takes
//! microseconds; handing it to another thread cost more in wake-ups than the query).
//! WAL mode, `synchronous=NORMAL`: a committed batch survives a process crash; a power
//! loss may lose the last moments, as with any WAL database.

use super::{Batch, DbError, DbResult, Expect, Row, StmtResult, Val};
use rusqlite::types::{ToSqlOutput, ValueRef};
use rusqlite::{Connection, OpenFlags, ToSql};
use std::borrow::Cow;
use std::path::Path;
use tokio::sync::oneshot;

/// Batches committed together at most; bounds the latency one commit adds.
const GROUP_MAX: usize = 256;

enum WriteJob {
    Batch(Batch, oneshot::Sender<DbResult<Vec<StmtResult>>>),
    Script(String, oneshot::Sender<DbResult<()>>),
}

pub struct SqliteDb {
    writer: flume::Sender<WriteJob>,
    path: std::path::PathBuf,
    /// Distinguishes databases in one process (each thread keeps a connection per id).
    id: u64,
}

static NEXT_ID: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(1);

thread_local! {
    static READERS: std::cell::RefCell<std::collections::HashMap<u64, Connection>> = Default::default();
}

impl ToSql for Val {
    fn to_sql(&self) -> rusqlite::Result<ToSqlOutput<'_>> {
        Ok(match self {
            Val::Null => ToSqlOutput::Borrowed(ValueRef::Null),
            Val::Int(v) => ToSqlOutput::Borrowed(ValueRef::Integer(*v)),
            Val::Real(v) => ToSqlOutput::Borrowed(ValueRef::Real(*v)),
            Val::Text(s) => ToSqlOutput::Borrowed(ValueRef::Text(s.as_bytes())),
        })
    }
}

/// `$1` in PostgreSQL is `?1` in SQLite (SQLite reads `$1` as a *named* parameter and
/// numbers those by first appearance, which would silently misbind `$2 … $1`).
fn placeholders(sql: &str) -> Cow<'_, str> {
    if !sql.contains('$') {
        return Cow::Borrowed(sql);
    }
    // Byte-wise: both characters are ASCII, so the text stays valid UTF-8.
    let mut out = sql.as_bytes().to_vec();
    for i in 0..out.len().saturating_sub(1) {
        if out[i] == b'$' && out[i + 1].is_ascii_digit() {
            out[i] = b'?';
        }
    }
    Cow::Owned(String::from_utf8(out).expect("ASCII replaced by ASCII"))
}

fn map_err(e: rusqlite::Error) -> DbError {
    match &e {
        rusqlite::Error::SqliteFailure(f, msg)
            if f.extended_code == rusqlite::ffi::SQLITE_CONSTRAINT_UNIQUE
                || f.extended_code == rusqlite::ffi::SQLITE_CONSTRAINT_PRIMARYKEY =>
        {
            DbError::Unique(msg.clone().unwrap_or_else(|| e.to_string()))
        }
        _ => DbError::Backend(e.to_string()),
    }
}

fn read_row(row: &rusqlite::Row<'_>, n: usize) -> rusqlite::Result<Row> {
    let mut vals = Vec::with_capacity(n);
    for i in 0..n {
        vals.push(match row.get_ref(i)? {
            ValueRef::Null => Val::Null,
            ValueRef::Integer(v) => Val::Int(v),
            ValueRef::Real(v) => Val::Real(v),
            ValueRef::Text(t) => Val::Text(String::from_utf8_lossy(t).into_owned()),
            ValueRef::Blob(b) => Val::Text(String::from_utf8_lossy(b).into_owned()),
        });
    }
    Ok(Row(vals))
}

fn run_query(conn: &Connection, sql: &str, args: &[Val]) -> rusqlite::Result<Vec<Row>> {
    let mut stmt = conn.prepare_cached(&placeholders(sql))?;
    let n = stmt.column_count();
    let rows = stmt.query_map(rusqlite::params_from_iter(args.iter()), |r| read_row(r, n))?;
    rows.collect()
}

fn run_batch(conn: &Connection, batch: &Batch) -> DbResult<Vec<StmtResult>> {
    let mut results = Vec::with_capacity(batch.0.len());
    for (index, s) in batch.0.iter().enumerate() {
        let result = if s.returns_rows {
            let rows = run_query(conn, &s.sql, &s.args).map_err(map_err)?;
            StmtResult { affected: rows.len() as u64, rows }
        } else {
            let mut stmt = conn.prepare_cached(&placeholders(&s.sql)).map_err(map_err)?;
            let affected = stmt.execute(rusqlite::params_from_iter(s.args.iter())).map_err(map_err)? as u64;
            StmtResult { affected, rows: vec![] }
        };
        if s.expect == Expect::One && result.affected != 1 {
            return Err(DbError::Conflict { index, affected: result.affected, sql: s.sql.clone() });
        }
        results.push(result);
    }
    Ok(results)
}

fn exec(conn: &Connection, sql: &str) -> rusqlite::Result<()> {
    conn.prepare_cached(sql)?.execute([])?;
    Ok(())
}

/// Commits every queued batch in one transaction; each batch is isolated in a savepoint.
fn commit_group(conn: &Connection, batches: &[&Batch]) -> Vec<DbResult<Vec<StmtResult>>> {
    if let Err(e) = exec(conn, "BEGIN IMMEDIATE") {
        let e = map_err(e);
        return batches.iter().map(|_| Err(e.clone())).collect();
    }
    let single = batches.len() == 1;
    let mut results = Vec::with_capacity(batches.len());
    for batch in batches {
        if single {
            results.push(run_batch(conn, batch));
            continue;
        }
        let outcome = exec(conn, "SAVEPOINT b").map_err(map_err).and_then(|_| run_batch(conn, batch));
        if outcome.is_err() {
            let _ = exec(conn, "ROLLBACK TO b");
        }
        let _ = exec(conn, "RELEASE b");
        results.push(outcome);
    }
    if single && results[0].is_err() {
        let _ = exec(conn, "ROLLBACK");
        return results;
    }
    if let Err(e) = exec(conn, "COMMIT") {
        let _ = exec(conn, "ROLLBACK");
        let e = map_err(e);
        return batches.iter().map(|_| Err(e.clone())).collect();
    }
    results
}

fn writer_loop(conn: Connection, rx: flume::Receiver<WriteJob>) {
    while let Ok(first) = rx.recv() {
        let mut jobs = vec![first];
        while jobs.len() < GROUP_MAX {
            match rx.try_recv() {
                Ok(j) => jobs.push(j),
                Err(_) => break,
            }
        }
        let mut batches = Vec::new();
        let mut replies = Vec::new();
        for job in jobs {
            match job {
                WriteJob::Batch(b, reply) => {
                    batches.push(b);
                    replies.push(reply);
                }
                // Scripts (migrations) run alone, outside any group.
                WriteJob::Script(sql, reply) => {
                    let _ = reply.send(conn.execute_batch(&sql).map_err(map_err));
                }
            }
        }
        if batches.is_empty() {
            continue;
        }
        let refs: Vec<&Batch> = batches.iter().collect();
        for (reply, result) in replies.into_iter().zip(commit_group(&conn, &refs)) {
            let _ = reply.send(result);
        }
    }
}

fn open_reader(path: &Path) -> rusqlite::Result<Connection> {
    let conn = Connection::open_with_flags(
        path,
        OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX | OpenFlags::SQLITE_OPEN_URI,
    )?;
    configure(&conn)?;
    conn.pragma_update(None, "query_only", true)?;
    Ok(conn)
}

fn configure(conn: &Connection) -> rusqlite::Result<()> {
    conn.busy_timeout(std::time::Duration::from_secs(10))?;
    conn.set_prepared_statement_cache_capacity(256);
    conn.execute_batch("PRAGMA synchronous=NORMAL; PRAGMA temp_store=MEMORY;")
}

impl SqliteDb {
    pub fn open(path: &Path) -> DbResult<SqliteDb> {
        let writer = Connection::open(path).map_err(map_err)?;
        writer.pragma_update(None, "journal_mode", "WAL").map_err(map_err)?;
        configure(&writer).map_err(map_err)?;
        let (wtx, wrx) = flume::unbounded();
        std::thread::Builder::new()
            .name("sqlite-writer".into())
            .spawn(move || writer_loop(writer, wrx))
            .map_err(|e| DbError::Backend(e.to_string()))?;
        let id = NEXT_ID.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        Ok(SqliteDb { writer: wtx, path: path.to_path_buf(), id })
    }

    pub async fn query(&self, sql: &str, args: Vec<Val>) -> DbResult<Vec<Row>> {
        READERS.with(|readers| {
            let mut readers = readers.borrow_mut();
            let conn = match readers.entry(self.id) {
                std::collections::hash_map::Entry::Occupied(e) => e.into_mut(),
                std::collections::hash_map::Entry::Vacant(v) => v.insert(open_reader(&self.path).map_err(map_err)?),
            };
            run_query(conn, sql, &args).map_err(map_err)
        })
    }

    pub async fn write(&self, batch: Batch) -> DbResult<Vec<StmtResult>> {
        let (reply, rx) = oneshot::channel();
        self.writer.send(WriteJob::Batch(batch, reply)).map_err(closed)?;
        rx.await.map_err(closed)?
    }

    pub async fn execute_script(&self, script: &str) -> DbResult<()> {
        let (reply, rx) = oneshot::channel();
        self.writer.send(WriteJob::Script(script.to_string(), reply)).map_err(closed)?;
        rx.await.map_err(closed)?
    }
}

fn closed<E>(_: E) -> DbError {
    DbError::Backend("the database threads have stopped".into())
}

#[cfg(test)]
mod tests {
    use super::placeholders;

    #[test]
    fn placeholders_become_numbered_sqlite_parameters() {
        assert_eq!(placeholders("SELECT a FROM t WHERE b = $2 AND c = $1"), "SELECT a FROM t WHERE b = ?2 AND c = ?1");
        assert_eq!(placeholders("SELECT 1"), "SELECT 1");
    }
}
