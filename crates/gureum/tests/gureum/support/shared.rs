//! Several servers on one database (PostgreSQL only: SQLite is one server's database).

use std::path::Path;

/// The shared database, or `None` on SQLite (the suite's PostgreSQL pass runs this).
pub async fn shared_database() -> Option<(String, tempfile::TempDir)> {
    if gureum_store::testing::backend() != "postgres" {
        eprintln!("skipping: several servers share a PostgreSQL database (GUREUM_TEST_DATABASE_URL)");
        return None;
    }
    Some(gureum_store::testing::fresh_database().await.unwrap())
}

/// A second server's data directory with the first one's secret key and admin token.
pub fn join_dir(first: &Path, dir: &Path) {
    std::fs::create_dir_all(dir).unwrap();
    for file in ["secret.key", "admin.token"] {
        std::fs::copy(first.join(file), dir.join(file)).unwrap();
    }
}
