use super::*;

fn reseller_path(reseller: &str, rest: &str) -> String {
    format!("/v1/resellers/{}{rest}", seg(reseller))
}

fn customer_path(reseller: &str, customer: &str, rest: &str) -> String {
    reseller_path(reseller, &format!("/customers/{}{rest}", seg(customer)))
}

impl Client {
    pub async fn reseller_list(&self, q: &PageQuery) -> Result<Page<Reseller>> {
        self.get_query("/v1/resellers", q).await
    }

    /// Creates a reseller (system administrators).
    pub async fn reseller_create(&self, req: &TenantCreate) -> Result<Reseller> {
        self.post("/v1/resellers", req).await
    }

    pub async fn reseller_get(&self, reseller: &str) -> Result<Reseller> {
        self.get(&reseller_path(reseller, "")).await
    }

    pub async fn reseller_delete(&self, reseller: &str) -> Result<()> {
        self.delete_no_content(&reseller_path(reseller, "")).await
    }

    pub async fn reseller_quota_get(&self, reseller: &str) -> Result<Quota> {
        self.get(&reseller_path(reseller, "/quota")).await
    }

    pub async fn reseller_quota_set(&self, reseller: &str, req: &QuotaSet) -> Result<Quota> {
        self.put(&reseller_path(reseller, "/quota"), req).await
    }

    /// The same as [`Client::reseller_usage`], as CSV text.
    pub async fn reseller_usage_csv(&self, reseller: &str, from: Option<&str>, to: Option<&str>) -> Result<String> {
        self.get_text(&reseller_path(reseller, "/usage"), &CsvQuery { from, to, format: "csv" }).await
    }

    /// Usage and cost rolled up over the reseller's customers' projects.
    pub async fn reseller_usage(&self, reseller: &str, q: &UsageQuery) -> Result<TenantUsage> {
        let q = UsageQuery { format: None, ..q.clone() };
        self.get_query(&reseller_path(reseller, "/usage"), &q).await
    }

    pub async fn customer_list(&self, reseller: &str, q: &PageQuery) -> Result<Page<Customer>> {
        self.get_query(&reseller_path(reseller, "/customers"), q).await
    }

    pub async fn customer_create(&self, reseller: &str, req: &TenantCreate) -> Result<Customer> {
        self.post(&reseller_path(reseller, "/customers"), req).await
    }

    pub async fn customer_get(&self, reseller: &str, customer: &str) -> Result<Customer> {
        self.get(&customer_path(reseller, customer, "")).await
    }

    pub async fn customer_delete(&self, reseller: &str, customer: &str) -> Result<()> {
        self.delete_no_content(&customer_path(reseller, customer, "")).await
    }

    pub async fn customer_quota_get(&self, reseller: &str, customer: &str) -> Result<Quota> {
        self.get(&customer_path(reseller, customer, "/quota")).await
    }

    pub async fn customer_quota_set(&self, reseller: &str, customer: &str, req: &QuotaSet) -> Result<Quota> {
        self.put(&customer_path(reseller, customer, "/quota"), req).await
    }

    pub async fn customer_usage(&self, reseller: &str, customer: &str, q: &UsageQuery) -> Result<TenantUsage> {
        let q = UsageQuery { format: None, ..q.clone() };
        self.get_query(&customer_path(reseller, customer, "/usage"), &q).await
    }

    pub async fn customer_usage_csv(
        &self,
        reseller: &str,
        customer: &str,
        from: Option<&str>,
        to: Option<&str>,
    ) -> Result<String> {
        self.get_text(&customer_path(reseller, customer, "/usage"), &CsvQuery { from, to, format: "csv" }).await
    }

    pub async fn project_quota_get(&self, project: &str) -> Result<Quota> {
        self.get(&project_path(project, "/quota")).await
    }

    pub async fn project_quota_set(&self, project: &str, req: &QuotaSet) -> Result<Quota> {
        self.put(&project_path(project, "/quota"), req).await
    }
}
