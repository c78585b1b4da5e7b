//! One method per `/v1` endpoint. Every `project`, resource and user argument is a name
//! or an id. Creates, deletes and actions of provider resources answer with the resource
//! in its transitional state and its `operation_id`: follow it with
//! [`Client::wait_operation`].

use crate::{Client, Result, seg};
use gureum_api_types::*;
use serde::Serialize;

fn project_path(project: &str, rest: &str) -> String {
    format!("/v1/projects/{}{rest}", seg(project))
}

#[derive(Serialize)]
struct NoQuery {}

#[derive(Serialize)]
struct WaitQuery {
    #[serde(skip_serializing_if = "Option::is_none")]
    wait_seconds: Option<u64>,
}

#[derive(Serialize)]
struct CsvQuery<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    from: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    to: Option<&'a str>,
    format: &'static str,
}

impl Client {
    // ---- IAM ------------------------------------------------------------------------

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

    // ---- Catalog --------------------------------------------------------------------

    pub async fn instance_type_list(&self) -> Result<Vec<InstanceType>> {
        self.get("/v1/instance-types").await
    }

    pub async fn instance_type_get(&self, instance_type: &str) -> Result<InstanceType> {
        self.get(&format!("/v1/instance-types/{}", seg(instance_type))).await
    }

    /// The public (default) images.
    pub async fn image_list(&self, q: &ListQuery) -> Result<Page<Image>> {
        self.get_query("/v1/images", q).await
    }

    pub async fn image_get(&self, image: &str) -> Result<Image> {
        self.get(&format!("/v1/images/{}", seg(image))).await
    }

    /// The project's own images ("my images").
    pub async fn project_image_list(&self, project: &str, q: &ListQuery) -> Result<Page<Image>> {
        self.get_query(&project_path(project, "/images"), q).await
    }

    pub async fn project_image_get(&self, project: &str, image: &str) -> Result<Image> {
        self.get(&project_path(project, &format!("/images/{}", seg(image)))).await
    }

    pub async fn project_image_delete(&self, project: &str, image: &str) -> Result<Image> {
        self.delete(&project_path(project, &format!("/images/{}", seg(image))), &NoQuery {}).await
    }

    // ---- Key pairs ------------------------------------------------------------------

    pub async fn key_pair_list(&self, project: &str, q: &ListQuery) -> Result<Page<KeyPair>> {
        self.get_query(&project_path(project, "/key-pairs"), q).await
    }

    /// Imports `public_key`, or (without one) has the server generate a key pair whose
    /// `private_key` is in this answer only.
    pub async fn key_pair_create(&self, project: &str, req: &KeyPairCreate) -> Result<KeyPair> {
        self.post(&project_path(project, "/key-pairs"), req).await
    }

    pub async fn key_pair_get(&self, project: &str, key_pair: &str) -> Result<KeyPair> {
        self.get(&project_path(project, &format!("/key-pairs/{}", seg(key_pair)))).await
    }

    pub async fn key_pair_delete(&self, project: &str, key_pair: &str) -> Result<KeyPair> {
        self.delete(&project_path(project, &format!("/key-pairs/{}", seg(key_pair))), &NoQuery {}).await
    }

    // ---- Networking -----------------------------------------------------------------

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

    // ---- Volumes and snapshots ------------------------------------------------------

    pub async fn volume_list(&self, project: &str, q: &ListQuery) -> Result<Page<Volume>> {
        self.get_query(&project_path(project, "/volumes"), q).await
    }

    pub async fn volume_create(&self, project: &str, req: &VolumeCreate) -> Result<Volume> {
        self.post(&project_path(project, "/volumes"), req).await
    }

    pub async fn volume_get(&self, project: &str, volume: &str) -> Result<Volume> {
        self.get(&project_path(project, &format!("/volumes/{}", seg(volume)))).await
    }

    pub async fn volume_delete(&self, project: &str, volume: &str) -> Result<Volume> {
        self.delete(&project_path(project, &format!("/volumes/{}", seg(volume))), &NoQuery {}).await
    }

    pub async fn volume_attach(&self, project: &str, volume: &str, req: &VolumeAttach) -> Result<Volume> {
        self.post(&project_path(project, &format!("/volumes/{}/attach", seg(volume))), req).await
    }

    pub async fn volume_detach(&self, project: &str, volume: &str) -> Result<Volume> {
        self.post_empty(&project_path(project, &format!("/volumes/{}/detach", seg(volume)))).await
    }

    /// Grows a volume.
    pub async fn volume_extend(&self, project: &str, volume: &str, req: &VolumeExtend) -> Result<Volume> {
        self.post(&project_path(project, &format!("/volumes/{}/extend", seg(volume))), req).await
    }

    /// Makes a project image from the volume.
    pub async fn volume_upload(&self, project: &str, volume: &str, req: &VolumeUpload) -> Result<Volume> {
        self.post(&project_path(project, &format!("/volumes/{}/upload", seg(volume))), req).await
    }

    pub async fn snapshot_list(&self, project: &str, volume: &str, q: &ListQuery) -> Result<Page<Snapshot>> {
        self.get_query(&project_path(project, &format!("/volumes/{}/snapshots", seg(volume))), q).await
    }

    pub async fn snapshot_create(&self, project: &str, volume: &str, req: &SnapshotCreate) -> Result<Snapshot> {
        self.post(&project_path(project, &format!("/volumes/{}/snapshots", seg(volume))), req).await
    }

    pub async fn snapshot_get(&self, project: &str, volume: &str, snapshot: &str) -> Result<Snapshot> {
        self.get(&project_path(project, &format!("/volumes/{}/snapshots/{}", seg(volume), seg(snapshot)))).await
    }

    pub async fn snapshot_delete(&self, project: &str, volume: &str, snapshot: &str) -> Result<Snapshot> {
        let path = project_path(project, &format!("/volumes/{}/snapshots/{}", seg(volume), seg(snapshot)));
        self.delete(&path, &NoQuery {}).await
    }

    // ---- Instances ------------------------------------------------------------------

    pub async fn instance_list(&self, project: &str, q: &ListQuery) -> Result<Page<Instance>> {
        self.get_query(&project_path(project, "/instances"), q).await
    }

    pub async fn instance_create(&self, project: &str, req: &InstanceCreate) -> Result<Instance> {
        self.post(&project_path(project, "/instances"), req).await
    }

    pub async fn instance_get(&self, project: &str, instance: &str) -> Result<Instance> {
        self.get(&project_path(project, &format!("/instances/{}", seg(instance)))).await
    }

    /// Deletes an instance; its data volumes are kept (detached) unless `delete_volumes`.
    pub async fn instance_delete(&self, project: &str, instance: &str, delete_volumes: bool) -> Result<Instance> {
        let q = InstanceDeleteQuery { delete_volumes };
        self.delete(&project_path(project, &format!("/instances/{}", seg(instance))), &q).await
    }

    async fn instance_action(&self, project: &str, instance: &str, verb: &str) -> Result<Instance> {
        self.post_empty(&project_path(project, &format!("/instances/{}/{verb}", seg(instance)))).await
    }

    pub async fn instance_start(&self, project: &str, instance: &str) -> Result<Instance> {
        self.instance_action(project, instance, "start").await
    }

    pub async fn instance_stop(&self, project: &str, instance: &str) -> Result<Instance> {
        self.instance_action(project, instance, "stop").await
    }

    pub async fn instance_shelve(&self, project: &str, instance: &str) -> Result<Instance> {
        self.instance_action(project, instance, "shelve").await
    }

    pub async fn instance_unshelve(&self, project: &str, instance: &str) -> Result<Instance> {
        self.instance_action(project, instance, "unshelve").await
    }

    pub async fn instance_reboot(&self, project: &str, instance: &str, reboot_type: RebootType) -> Result<Instance> {
        let req = InstanceReboot { reboot_type };
        self.post(&project_path(project, &format!("/instances/{}/reboot", seg(instance))), &req).await
    }

    pub async fn instance_resize(&self, project: &str, instance: &str, req: &InstanceResize) -> Result<Instance> {
        self.post(&project_path(project, &format!("/instances/{}/resize", seg(instance))), req).await
    }

    pub async fn instance_confirm_resize(&self, project: &str, instance: &str) -> Result<Instance> {
        self.instance_action(project, instance, "confirm-resize").await
    }

    pub async fn instance_revert_resize(&self, project: &str, instance: &str) -> Result<Instance> {
        self.instance_action(project, instance, "revert-resize").await
    }

    /// Makes a project image from the instance.
    pub async fn instance_create_image(
        &self,
        project: &str,
        instance: &str,
        req: &InstanceCreateImage,
    ) -> Result<Instance> {
        self.post(&project_path(project, &format!("/instances/{}/create-image", seg(instance))), req).await
    }

    /// The serial console output.
    pub async fn instance_console(&self, project: &str, instance: &str) -> Result<ConsoleLog> {
        self.get(&project_path(project, &format!("/instances/{}/console", seg(instance)))).await
    }

    // ---- Operations, usage ----------------------------------------------------------

    /// An operation; with `wait_seconds` the server holds the request (at most 60 s)
    /// until the operation finishes.
    pub async fn operation_get(
        &self,
        project: &str,
        operation_id: &str,
        wait_seconds: Option<u64>,
    ) -> Result<Operation> {
        let q = WaitQuery { wait_seconds };
        self.get_query(&project_path(project, &format!("/operations/{}", seg(operation_id))), &q).await
    }

    /// The project's operations, newest first.
    pub async fn operation_list(&self, project: &str, q: &PageQuery) -> Result<Page<Operation>> {
        self.get_query(&project_path(project, "/operations"), q).await
    }

    /// Billed seconds and cost per instance and instance type (`format` in the query is
    /// ignored: use [`Client::usage_csv`] for CSV).
    pub async fn usage(&self, project: &str, q: &UsageQuery) -> Result<Usage> {
        let q = UsageQuery { format: None, ..q.clone() };
        self.get_query(&project_path(project, "/usage"), &q).await
    }

    /// The same as [`Client::usage`], as CSV text.
    pub async fn usage_csv(&self, project: &str, from: Option<&str>, to: Option<&str>) -> Result<String> {
        self.get_text(&project_path(project, "/usage"), &CsvQuery { from, to, format: "csv" }).await
    }

    // ---- Connections ----------------------------------------------------------------

    pub async fn connection_list(&self) -> Result<Vec<Connection>> {
        self.get("/v1/connections").await
    }

    /// Registers a connection (system administrators).
    pub async fn connection_create(&self, req: &ConnectionCreate) -> Result<Connection> {
        self.post("/v1/connections", req).await
    }

    pub async fn connection_get(&self, connection: &str) -> Result<Connection> {
        self.get(&format!("/v1/connections/{}", seg(connection))).await
    }

    pub async fn connection_delete(&self, connection: &str) -> Result<()> {
        self.delete_no_content(&format!("/v1/connections/{}", seg(connection))).await
    }

    /// The provider's real inventory against gureum's records.
    pub async fn connection_drift(&self, connection: &str) -> Result<Drift> {
        self.get(&format!("/v1/connections/{}/drift", seg(connection))).await
    }

    /// Replaces a connection's settings and/or credentials.
    pub async fn connection_update(&self, connection: &str, req: &ConnectionUpdate) -> Result<Connection> {
        self.patch(&format!("/v1/connections/{}", seg(connection)), req).await
    }

    /// The drivers this server has, once per provider profile.
    pub async fn driver_list(&self) -> Result<Vec<Capabilities>> {
        self.get("/v1/drivers").await
    }

    pub async fn connection_capabilities(&self, connection: &str) -> Result<Capabilities> {
        self.get(&format!("/v1/connections/{}/capabilities", seg(connection))).await
    }

    /// Whether the provider answers with the stored credentials.
    pub async fn connection_verify(&self, connection: &str) -> Result<ConnectionVerify> {
        self.post_empty(&format!("/v1/connections/{}/verify", seg(connection))).await
    }

    /// Registers a resource found only at the provider under a gureum name.
    pub async fn drift_adopt(&self, connection: &str, req: &DriftAdopt) -> Result<DriftItem> {
        self.post(&format!("/v1/connections/{}/drift/adopt", seg(connection)), req).await
    }

    /// Deletes a resource found only at the provider.
    pub async fn drift_delete(&self, connection: &str, req: &DriftDelete) -> Result<()> {
        self.post_no_content(&format!("/v1/connections/{}/drift/delete", seg(connection)), req).await
    }

    /// Forgets a gureum record without touching the provider.
    pub async fn drift_unregister(&self, connection: &str, req: &DriftUnregister) -> Result<()> {
        self.post_no_content(&format!("/v1/connections/{}/drift/unregister", seg(connection)), req).await
    }

    // ---- Pools and nodes ------------------------------------------------------------

    pub async fn pool_list(&self) -> Result<Vec<Pool>> {
        self.get("/v1/pools").await
    }

    /// Makes a pool of a connection's hosts (system administrators).
    pub async fn pool_create(&self, req: &PoolCreate) -> Result<Pool> {
        self.post("/v1/pools", req).await
    }

    pub async fn pool_get(&self, pool: &str) -> Result<Pool> {
        self.get(&format!("/v1/pools/{}", seg(pool))).await
    }

    /// Changes a pool's overcommit ratios.
    pub async fn pool_update(&self, pool: &str, req: &PoolUpdate) -> Result<Pool> {
        self.patch(&format!("/v1/pools/{}", seg(pool)), req).await
    }

    pub async fn pool_delete(&self, pool: &str) -> Result<()> {
        self.delete_no_content(&format!("/v1/pools/{}", seg(pool))).await
    }

    /// The nodes of one pool, or of every pool.
    pub async fn node_list(&self, pool: Option<&str>) -> Result<Vec<Node>> {
        match pool {
            Some(p) => self.get(&format!("/v1/pools/{}/nodes", seg(p))).await,
            None => self.get("/v1/nodes").await,
        }
    }

    /// Adds a host without an agent.
    pub async fn node_create(&self, pool: &str, req: &NodeCreate) -> Result<Node> {
        self.post(&format!("/v1/pools/{}/nodes", seg(pool)), req).await
    }

    pub async fn node_get(&self, pool: &str, node: &str) -> Result<Node> {
        self.get(&format!("/v1/pools/{}/nodes/{}", seg(pool), seg(node))).await
    }

    /// Changes a node's recorded capacity.
    pub async fn node_update(&self, pool: &str, node: &str, req: &NodeUpdate) -> Result<Node> {
        self.patch(&format!("/v1/pools/{}/nodes/{}", seg(pool), seg(node)), req).await
    }

    pub async fn node_delete(&self, pool: &str, node: &str) -> Result<()> {
        self.delete_no_content(&format!("/v1/pools/{}/nodes/{}", seg(pool), seg(node))).await
    }

    /// A one-time token for `gureum agent --join-token`.
    pub async fn join_token_create(&self, pool: &str) -> Result<JoinToken> {
        self.post_empty(&format!("/v1/pools/{}/join-tokens", seg(pool))).await
    }

    /// An agent joins a pool (no API token needed).
    pub async fn node_join(&self, req: &NodeJoin) -> Result<NodeJoined> {
        self.post("/v1/nodes/join", req).await
    }

    /// An agent's heartbeat (no API token needed).
    pub async fn node_heartbeat(&self, req: &NodeHeartbeat) -> Result<()> {
        self.post_no_content("/v1/nodes/heartbeat", req).await
    }
}
