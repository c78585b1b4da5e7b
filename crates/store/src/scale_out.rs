//! What servers sharing one database agree on: who runs each singleton worker now
//! (leases), which of them are alive, and that they all seal with the same secret key.

use crate::{DbResult, Stmt, Store, args};

impl Store {
    /// Takes or renews the lease on worker `name` for `holder` until `until`: granted when
    /// nobody holds it, `holder` already does, or the holder's lease ran out before `now`.
    /// One statement, so two servers claiming at once cannot both win.
    pub async fn worker_lease_claim(&self, name: &str, holder: &str, now: i64, until: i64) -> DbResult<bool> {
        let r = self
            .db
            .write(Stmt::new(
                "INSERT INTO worker_leases (name, holder, expires_at) VALUES ($1, $2, $3) \
                 ON CONFLICT (name) DO UPDATE SET holder = excluded.holder, expires_at = excluded.expires_at \
                 WHERE worker_leases.holder = excluded.holder OR worker_leases.expires_at < $4",
                args![name, holder, until, now],
            ))
            .await?;
        Ok(r.first().is_some_and(|r| r.affected == 1))
    }

    /// Gives up `holder`'s lease on worker `name` (on shutdown), so another server need
    /// not wait for it to run out.
    pub async fn worker_lease_release(&self, name: &str, holder: &str) -> DbResult<()> {
        self.db
            .write(Stmt::new("DELETE FROM worker_leases WHERE name = $1 AND holder = $2", args![name, holder]))
            .await?;
        Ok(())
    }

    /// Who holds each worker's lease, and until when: `(name, holder, expires_at)`.
    pub async fn worker_leases(&self) -> DbResult<Vec<(String, String, i64)>> {
        let rows = self.db.query("SELECT name, holder, expires_at FROM worker_leases ORDER BY name", vec![]).await?;
        Ok(rows.iter().map(|r| (r.text(0), r.text(1), r.int(2))).collect())
    }

    /// Every server that ever heartbeat here, with when it last did: `(id, seen_at)`.
    pub async fn servers(&self) -> DbResult<Vec<(String, i64)>> {
        let rows = self.db.query("SELECT id, seen_at FROM servers ORDER BY id", vec![]).await?;
        Ok(rows.iter().map(|r| (r.text(0), r.int(1))).collect())
    }

    /// The value sealed with the secret key when this database was first used, storing
    /// `sealed` as that value if there is none yet (the first server to ask wins).
    pub async fn secret_key_check(&self, sealed: &str) -> DbResult<String> {
        self.db
            .write(Stmt::new(
                "INSERT INTO secret_key_check (id, sealed) VALUES (1, $1) ON CONFLICT (id) DO NOTHING",
                args![sealed],
            ))
            .await?;
        let row = self.db.query_opt("SELECT sealed FROM secret_key_check WHERE id = 1", vec![]).await?;
        Ok(row.map(|r| r.text(0)).unwrap_or_default())
    }

    /// Server `id` is alive now.
    pub async fn server_heartbeat(&self, id: &str, now: i64) -> DbResult<()> {
        self.db
            .write(Stmt::new(
                "INSERT INTO servers (id, seen_at) VALUES ($1, $2) \
                 ON CONFLICT (id) DO UPDATE SET seen_at = excluded.seen_at",
                args![id, now],
            ))
            .await?;
        Ok(())
    }

    /// Forgets the servers silent since before `before` (what they held went to the
    /// others long ago); how many.
    pub async fn servers_forget(&self, before: i64) -> DbResult<u64> {
        let done = self.db.write(Stmt::new("DELETE FROM servers WHERE seen_at < $1", args![before])).await?;
        Ok(done.first().map_or(0, |r| r.affected))
    }
}
