use crate::db::Stmt;
use crate::{DbResult, Store, args, record};
use gureum_model::tenancy::TenancyRole;
use uuid::Uuid;

record! {
    pub struct UserRecord in "users" {
        pub id: Uuid,
        pub name: String,
        /// argon2id PHC string; `None` for users who only use API tokens.
        pub password_hash: Option<String>,
        /// System administrator: manages users, projects and connections.
        pub is_admin: bool,
        /// The home customer (the reseller follows from it).
        pub customer_id: Uuid,
        pub tenancy_role: TenancyRole,
        pub generation: i64,
        pub created_at: i64,
        pub updated_at: i64,
    }
}

record! {
    pub struct TokenRecord in "tokens" {
        pub id: Uuid,
        pub user_id: Uuid,
        pub name: String,
        /// SHA-256 of the secret: tokens are 256-bit random, so a fast hash is enough and
        /// keeps per-request authentication cheap.
        pub secret_hash: String,
        pub created_at: i64,
        pub expires_at: Option<i64>,
        pub last_used_at: Option<i64>,
    }
}

/// The user a bearer token belongs to, as authentication needs it.
#[derive(Debug, Clone)]
pub struct TokenOwner {
    pub token_id: Uuid,
    pub user: UserRecord,
    pub expires_at: Option<i64>,
}

impl Store {
    pub async fn token_owner(&self, secret_hash: &str) -> DbResult<Option<TokenOwner>> {
        let sql = format!(
            "SELECT t.id, t.expires_at, {} FROM tokens t JOIN users u ON u.id = t.user_id WHERE t.secret_hash = $1",
            <UserRecord as crate::Record>::COLUMNS.iter().map(|c| format!("u.{c}")).collect::<Vec<_>>().join(", ")
        );
        let row = self.db.query_opt(&sql, args![secret_hash]).await?;
        Ok(row.map(|r| TokenOwner {
            token_id: r.uuid(0),
            expires_at: r.opt_int(1),
            user: <UserRecord as crate::Record>::from_row(&crate::Row(r.0[2..].to_vec())),
        }))
    }

    pub fn token_touch(token_id: Uuid, at: i64) -> Stmt {
        Stmt::new("UPDATE tokens SET last_used_at = $1 WHERE id = $2", args![at, token_id])
    }

    /// Users whose home customer `reach` covers.
    pub async fn users_visible(&self, reach: crate::Reach, page: &crate::Page) -> DbResult<Vec<UserRecord>> {
        use crate::{Reach, Record};
        let after = page.after.map(|a| a.to_string()).unwrap_or_default();
        let (filter, scope) = match reach {
            Reach::All => ("$2 = $2", Uuid::nil()),
            Reach::Reseller(r) => ("customer_id IN (SELECT id FROM customers WHERE reseller_id = $2)", r),
            Reach::Customer(c) => ("customer_id = $2", c),
            Reach::Members => ("id = $2", Uuid::nil()),
        };
        let sql = format!(
            "SELECT {} FROM users WHERE id > $1 AND {filter} ORDER BY id LIMIT {}",
            UserRecord::select_list(),
            page.limit
        );
        let rows = self.db.query(&sql, args![after, scope]).await?;
        Ok(rows.iter().map(UserRecord::from_row).collect())
    }

    /// Deletes a user with its tokens and memberships.
    pub fn user_forget(user_id: Uuid) -> crate::Batch {
        let mut batch = crate::Batch::from(crate::record::delete::<UserRecord>(user_id));
        batch.push(Stmt::new("DELETE FROM tokens WHERE user_id = $1", args![user_id]));
        batch.push(Stmt::new("DELETE FROM members WHERE user_id = $1", args![user_id]));
        batch
    }
}
