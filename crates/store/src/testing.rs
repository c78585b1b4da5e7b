//! For tests of every crate: a fresh, empty database per test. SQLite by default (a file
//! in a temporary directory); with `GUREUM_TEST_DATABASE_URL=postgres://…` a new
//! database on that server, so the same suites run on both backends.

use crate::{DbError, DbResult};

/// A database URL for one test. Keep the returned guard alive as long as the database is
/// used (it owns the SQLite file's directory).
pub async fn fresh_database() -> DbResult<(String, tempfile::TempDir)> {
    let dir = tempfile::tempdir().map_err(|e| DbError::Backend(e.to_string()))?;
    match std::env::var("GUREUM_TEST_DATABASE_URL") {
        Ok(admin_url) if !admin_url.is_empty() => {
            let name = format!("gureum_test_{}", uuid::Uuid::new_v4().simple());
            let (client, conn) = tokio_postgres::connect(&admin_url, tokio_postgres::NoTls)
                .await
                .map_err(|e| DbError::Backend(format!("GUREUM_TEST_DATABASE_URL: {e}")))?;
            tokio::spawn(conn);
            client
                .batch_execute(&format!("CREATE DATABASE {name}"))
                .await
                .map_err(|e| DbError::Backend(e.to_string()))?;
            let base = admin_url.rsplit_once('/').map_or(admin_url.as_str(), |(b, _)| b);
            Ok((format!("{base}/{name}"), dir))
        }
        _ => {
            let url = format!("sqlite:{}", dir.path().join("gureum.db").display());
            Ok((url, dir))
        }
    }
}

/// Which backend the tests run on, for messages.
pub fn backend() -> &'static str {
    match std::env::var("GUREUM_TEST_DATABASE_URL") {
        Ok(u) if !u.is_empty() => "postgres",
        _ => "sqlite",
    }
}
