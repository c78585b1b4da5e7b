//! Users, projects, members and tokens.

use super::*;

impl Client {
    /// Who the token belongs to, and their projects.
    pub async fn me(&self) -> Result<Me> {
        self.get("/v1/me").await
    }

    pub async fn project_list(&self, q: &PageQuery) -> Result<Page<Project>> {
        self.get_query("/v1/projects", q).await
    }

    /// Creates a project (system administrators); answers at once (201).
    pub async fn project_create(&self, req: &ProjectCreate) -> Result<Project> {
        self.post("/v1/projects", req).await
    }

    pub async fn project_get(&self, project: &str) -> Result<Project> {
        self.get(&project_path(project, "")).await
    }

    /// Deletes an empty project.
    pub async fn project_delete(&self, project: &str) -> Result<()> {
        self.delete_no_content(&project_path(project, "")).await
    }

    pub async fn member_list(&self, project: &str) -> Result<Vec<Member>> {
        self.get(&project_path(project, "/members")).await
    }

    /// Adds a member or changes their role.
    pub async fn member_set(&self, project: &str, user: &str, req: &MemberSet) -> Result<Member> {
        self.put(&project_path(project, &format!("/members/{}", seg(user))), req).await
    }

    pub async fn member_delete(&self, project: &str, user: &str) -> Result<()> {
        self.delete_no_content(&project_path(project, &format!("/members/{}", seg(user)))).await
    }

    pub async fn user_list(&self, q: &PageQuery) -> Result<Page<User>> {
        self.get_query("/v1/users", q).await
    }

    pub async fn user_create(&self, req: &UserCreate) -> Result<User> {
        self.post("/v1/users", req).await
    }

    pub async fn user_get(&self, user: &str) -> Result<User> {
        self.get(&format!("/v1/users/{}", seg(user))).await
    }

    pub async fn user_delete(&self, user: &str) -> Result<()> {
        self.delete_no_content(&format!("/v1/users/{}", seg(user))).await
    }

    /// Sets a user's console password.
    pub async fn user_set_password(&self, user: &str, req: &PasswordSet) -> Result<User> {
        self.put(&format!("/v1/users/{}/password", seg(user)), req).await
    }

    pub async fn token_list(&self, user: &str) -> Result<Vec<Token>> {
        self.get(&format!("/v1/users/{}/tokens", seg(user))).await
    }

    /// Creates an API token; its secret is in this answer only.
    pub async fn token_create(&self, user: &str, req: &TokenCreate) -> Result<TokenCreated> {
        self.post(&format!("/v1/users/{}/tokens", seg(user)), req).await
    }

    pub async fn token_delete(&self, user: &str, token_id: &str) -> Result<()> {
        self.delete_no_content(&format!("/v1/users/{}/tokens/{}", seg(user), seg(token_id))).await
    }
}
