//! Key pairs and instances.

use super::*;

impl Client {
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
}
