//! VPCs, subnets, security groups and public IPs.

use super::*;

impl Client {
    pub async fn vpc_list(&self, project: &str, q: &ListQuery) -> Result<Page<Vpc>> {
        self.get_query(&project_path(project, "/vpcs"), q).await
    }

    pub async fn vpc_create(&self, project: &str, req: &VpcCreate) -> Result<Vpc> {
        self.post(&project_path(project, "/vpcs"), req).await
    }

    pub async fn vpc_get(&self, project: &str, vpc: &str) -> Result<Vpc> {
        self.get(&project_path(project, &format!("/vpcs/{}", seg(vpc)))).await
    }

    pub async fn vpc_delete(&self, project: &str, vpc: &str) -> Result<Vpc> {
        self.delete(&project_path(project, &format!("/vpcs/{}", seg(vpc))), &NoQuery {}).await
    }

    /// Every subnet of the project.
    pub async fn subnet_list(&self, project: &str, q: &ListQuery) -> Result<Page<Subnet>> {
        self.get_query(&project_path(project, "/subnets"), q).await
    }

    /// The subnets of one VPC.
    pub async fn vpc_subnet_list(&self, project: &str, vpc: &str, q: &ListQuery) -> Result<Page<Subnet>> {
        self.get_query(&project_path(project, &format!("/vpcs/{}/subnets", seg(vpc))), q).await
    }

    pub async fn subnet_create(&self, project: &str, vpc: &str, req: &SubnetCreate) -> Result<Subnet> {
        self.post(&project_path(project, &format!("/vpcs/{}/subnets", seg(vpc))), req).await
    }

    pub async fn subnet_get(&self, project: &str, subnet: &str) -> Result<Subnet> {
        self.get(&project_path(project, &format!("/subnets/{}", seg(subnet)))).await
    }

    pub async fn subnet_delete(&self, project: &str, subnet: &str) -> Result<Subnet> {
        self.delete(&project_path(project, &format!("/subnets/{}", seg(subnet))), &NoQuery {}).await
    }

    pub async fn security_group_list(&self, project: &str, q: &ListQuery) -> Result<Page<SecurityGroup>> {
        self.get_query(&project_path(project, "/security-groups"), q).await
    }

    pub async fn security_group_create(&self, project: &str, req: &SecurityGroupCreate) -> Result<SecurityGroup> {
        self.post(&project_path(project, "/security-groups"), req).await
    }

    pub async fn security_group_get(&self, project: &str, group: &str) -> Result<SecurityGroup> {
        self.get(&project_path(project, &format!("/security-groups/{}", seg(group)))).await
    }

    pub async fn security_group_delete(&self, project: &str, group: &str) -> Result<SecurityGroup> {
        self.delete(&project_path(project, &format!("/security-groups/{}", seg(group))), &NoQuery {}).await
    }

    /// Adds a rule and applies the group's rules at the provider.
    pub async fn security_group_rule_create(
        &self,
        project: &str,
        group: &str,
        req: &SecurityGroupRuleCreate,
    ) -> Result<SecurityGroupRule> {
        self.post(&project_path(project, &format!("/security-groups/{}/rules", seg(group))), req).await
    }

    pub async fn security_group_rule_delete(
        &self,
        project: &str,
        group: &str,
        rule_id: &str,
    ) -> Result<SecurityGroupRule> {
        let path = project_path(project, &format!("/security-groups/{}/rules/{}", seg(group), seg(rule_id)));
        self.delete(&path, &NoQuery {}).await
    }

    pub async fn public_ip_list(&self, project: &str, q: &ListQuery) -> Result<Page<PublicIp>> {
        self.get_query(&project_path(project, "/public-ips"), q).await
    }

    /// Allocates a static public IP.
    pub async fn public_ip_create(&self, project: &str, req: &PublicIpCreate) -> Result<PublicIp> {
        self.post(&project_path(project, "/public-ips"), req).await
    }

    pub async fn public_ip_get(&self, project: &str, ip: &str) -> Result<PublicIp> {
        self.get(&project_path(project, &format!("/public-ips/{}", seg(ip)))).await
    }

    pub async fn public_ip_delete(&self, project: &str, ip: &str) -> Result<PublicIp> {
        self.delete(&project_path(project, &format!("/public-ips/{}", seg(ip))), &NoQuery {}).await
    }

    pub async fn public_ip_attach(&self, project: &str, ip: &str, req: &PublicIpAttach) -> Result<PublicIp> {
        self.post(&project_path(project, &format!("/public-ips/{}/attach", seg(ip))), req).await
    }

    pub async fn public_ip_detach(&self, project: &str, ip: &str) -> Result<PublicIp> {
        self.post_empty(&project_path(project, &format!("/public-ips/{}/detach", seg(ip)))).await
    }
}
