//! Instance types and images.

use super::*;

impl Client {
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
}
