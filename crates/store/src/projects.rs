use crate::db::Stmt;
use crate::{DbResult, Store, args, record};
use gureum_model::authz::Role;
use uuid::Uuid;

record! {
    pub struct ProjectRecord in "projects" {
        pub id: Uuid,
        pub name: String,
        pub description: String,
        pub customer_id: Uuid,
        pub generation: i64,
        pub created_at: i64,
        pub updated_at: i64,
    }
}

record! {
    pub struct MemberRecord in "members" {
        pub project_id: Uuid,
        pub user_id: Uuid,
        pub role: Role,
        pub created_at: i64,
    }
}

/// How far a user sees beyond the projects they are a member of.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reach {
    /// A system administrator: everything.
    All,
    /// A reseller admin: every project of the reseller's customers.
    Reseller(Uuid),
    /// A customer admin: every project of the customer.
    Customer(Uuid),
    /// Only the projects the user is a member of.
    Members,
}

/// A member with the user's name, for listings.
#[derive(Debug, Clone)]
pub struct MemberView {
    pub user_id: Uuid,
    pub user_name: String,
    pub role: Role,
    pub created_at: i64,
}

impl Store {
    pub async fn member_role(&self, project_id: Uuid, user_id: Uuid) -> DbResult<Option<Role>> {
        let row = self
            .db
            .query_opt("SELECT role FROM members WHERE project_id = $1 AND user_id = $2", args![project_id, user_id])
            .await?;
        Ok(row.and_then(|r| Role::parse(&r.text(0))))
    }

    pub async fn members(&self, project_id: Uuid) -> DbResult<Vec<MemberView>> {
        let rows = self
            .db
            .query(
                "SELECT m.user_id, u.name, m.role, m.created_at FROM members m JOIN users u ON u.id = m.user_id \
                 WHERE m.project_id = $1 ORDER BY u.name",
                args![project_id],
            )
            .await?;
        Ok(rows
            .iter()
            .filter_map(|r| {
                Some(MemberView {
                    user_id: r.uuid(0),
                    user_name: r.text(1),
                    role: Role::parse(&r.text(2))?,
                    created_at: r.int(3),
                })
            })
            .collect())
    }

    /// Projects a user may see: those they are a member of, and those their tenancy
    /// role administers (all projects for a system administrator).
    pub async fn projects_visible(
        &self,
        user_id: Uuid,
        reach: Reach,
        page: &crate::Page,
    ) -> DbResult<Vec<ProjectRecord>> {
        use crate::Record;
        let after = page.after.map(|a| a.to_string()).unwrap_or_default();
        let (filter, scope) = match reach {
            Reach::All => ("$2 = $2 AND $3 = $3", Uuid::nil()),
            Reach::Reseller(r) => (
                "(id IN (SELECT project_id FROM members WHERE user_id = $2) \
                  OR customer_id IN (SELECT id FROM customers WHERE reseller_id = $3))",
                r,
            ),
            Reach::Customer(c) => {
                ("(id IN (SELECT project_id FROM members WHERE user_id = $2) OR customer_id = $3)", c)
            }
            Reach::Members => ("id IN (SELECT project_id FROM members WHERE user_id = $2) AND $3 = $3", Uuid::nil()),
        };
        let sql = format!(
            "SELECT {} FROM projects WHERE id > $1 AND {filter} ORDER BY id LIMIT {}",
            ProjectRecord::select_list(),
            page.limit
        );
        let rows = self.db.query(&sql, args![after, user_id, scope]).await?;
        Ok(rows.iter().map(ProjectRecord::from_row).collect())
    }

    /// Sets a member's role, adding the member if needed.
    pub fn member_upsert(project_id: Uuid, user_id: Uuid, role: Role, now: i64) -> Stmt {
        Stmt::new(
            "INSERT INTO members (project_id, user_id, role, created_at) VALUES ($1, $2, $3, $4) \
             ON CONFLICT (project_id, user_id) DO UPDATE SET role = excluded.role",
            args![project_id, user_id, role.as_str(), now],
        )
    }

    pub fn member_delete(project_id: Uuid, user_id: Uuid) -> Stmt {
        Stmt::one("DELETE FROM members WHERE project_id = $1 AND user_id = $2", args![project_id, user_id])
    }

    /// Deletes a project with its memberships.
    pub fn project_forget(project_id: Uuid) -> crate::Batch {
        let mut batch = crate::Batch::from(crate::record::delete::<ProjectRecord>(project_id));
        batch.push(Stmt::new("DELETE FROM members WHERE project_id = $1", args![project_id]));
        batch
    }
}
