//! Lean provisioning: VM profiles, software stacks, VM templates and persistent VMs.

use super::*;

impl Client {
    pub async fn vm_profile_list(&self) -> Result<Vec<VmProfile>> {
        self.get("/v1/vm-profiles").await
    }

    pub async fn vm_profile_create(&self, req: &VmProfileCreate) -> Result<VmProfile> {
        self.post("/v1/vm-profiles", req).await
    }

    pub async fn vm_profile_get(&self, profile: &str) -> Result<VmProfile> {
        self.get(&format!("/v1/vm-profiles/{}", seg(profile))).await
    }

    pub async fn vm_profile_update(&self, profile: &str, req: &VmProfileUpdate) -> Result<VmProfile> {
        self.patch(&format!("/v1/vm-profiles/{}", seg(profile)), req).await
    }

    pub async fn vm_profile_delete(&self, profile: &str) -> Result<()> {
        self.delete_no_content(&format!("/v1/vm-profiles/{}", seg(profile))).await
    }

    pub async fn software_stack_list(&self) -> Result<Vec<SoftwareStack>> {
        self.get("/v1/software-stacks").await
    }

    pub async fn software_stack_create(&self, req: &SoftwareStackCreate) -> Result<SoftwareStack> {
        self.post("/v1/software-stacks", req).await
    }

    pub async fn software_stack_get(&self, stack: &str) -> Result<SoftwareStack> {
        self.get(&format!("/v1/software-stacks/{}", seg(stack))).await
    }

    pub async fn software_stack_delete(&self, stack: &str) -> Result<()> {
        self.delete_no_content(&format!("/v1/software-stacks/{}", seg(stack))).await
    }
}

/// VM templates (system administrators act on them) and persistent VMs.
impl Client {
    pub async fn vm_template_list(&self) -> Result<Vec<VmTemplate>> {
        self.get("/v1/vm-templates").await
    }

    pub async fn vm_template_create(&self, req: &VmTemplateCreate) -> Result<VmTemplate> {
        self.post("/v1/vm-templates", req).await
    }

    pub async fn vm_template_get(&self, template: &str) -> Result<VmTemplate> {
        self.get(&format!("/v1/vm-templates/{}", seg(template))).await
    }

    pub async fn vm_template_update(&self, template: &str, req: &VmTemplateUpdate) -> Result<VmTemplate> {
        self.patch(&format!("/v1/vm-templates/{}", seg(template)), req).await
    }

    pub async fn vm_template_delete(&self, template: &str) -> Result<VmTemplate> {
        self.delete(&format!("/v1/vm-templates/{}", seg(template)), &()).await
    }

    /// `action`: start, stop, sysprep, release or maintenance.
    pub async fn vm_template_action(&self, template: &str, action: TemplateAction) -> Result<VmTemplate> {
        self.post_empty(&format!("/v1/vm-templates/{}/{}", seg(template), action.as_str())).await
    }

    pub async fn vm_template_console(&self, template: &str) -> Result<ConsoleLog> {
        self.get(&format!("/v1/vm-templates/{}/console", seg(template))).await
    }

    pub async fn persistent_vm_list(&self, project: &str) -> Result<Vec<PersistentVm>> {
        self.get(&project_path(project, "/persistent-vms")).await
    }

    pub async fn persistent_vm_create(&self, project: &str, req: &PersistentVmCreate) -> Result<PersistentVm> {
        self.post(&project_path(project, "/persistent-vms"), req).await
    }

    pub async fn persistent_vm_get(&self, project: &str, vm: &str) -> Result<PersistentVm> {
        self.get(&project_path(project, &format!("/persistent-vms/{}", seg(vm)))).await
    }

    pub async fn persistent_vm_delete(&self, project: &str, vm: &str) -> Result<Instance> {
        self.delete(&project_path(project, &format!("/persistent-vms/{}", seg(vm))), &()).await
    }
}
