//! Lean provisioning: VM profiles and software stacks.

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
