//! Images: the public catalog and each project's own images ("my images").

use crate::views::{links, project_path, ts};
use crate::{Engine, Error, OpContext, ProjectScope, Result};
use gureum_api_types::{Image, ListQuery, Page};
use gureum_driver::{Intent, ResourceKind};
use gureum_model::authz::Permission;
use gureum_model::image::{ImageState, ImageVisibility};
use gureum_store::{ConnectionRecord, ImageRecord, InstanceRecord, Key, Val, VolumeRecord};

impl Engine {
    pub(crate) async fn image_view(&self, r: ImageRecord) -> Image {
        let link = match r.project_id {
            Some(p) => project_path(p, "images", r.id),
            None => format!("/v1/images/{}", r.id),
        };
        Image {
            links: links(link, r.op_id.zip(r.project_id).map(|(o, p)| (p, o))),
            visibility: if r.project_id.is_some() { ImageVisibility::Project } else { ImageVisibility::Public },
            connection: self.name_of_opt::<ConnectionRecord>(r.connection_id).await,
            source_instance: self.name_of_opt::<InstanceRecord>(r.source_instance_id).await,
            source_volume: self.name_of_opt::<VolumeRecord>(r.source_volume_id).await,
            id: r.id,
            name: r.name,
            os_family: r.os_family,
            distribution: r.distribution,
            version: r.version,
            gpu: r.gpu,
            min_disk_gb: r.min_disk_gb,
            max_disk_gb: r.max_disk_gb,
            size_gb: r.size_gb,
            state: r.state,
            state_reason: r.state_reason,
            operation_id: r.op_id,
            created_at: ts(r.created_at),
        }
    }

    pub async fn public_image_list(&self, _ctx: &OpContext, q: &ListQuery) -> Result<Page<Image>> {
        self.list_views::<ImageRecord, ImageState, _, _>(
            vec![("project_id", Val::Null)],
            q,
            |r| r.id,
            |r| self.image_view(r),
        )
        .await
    }

    pub async fn public_image_get(&self, _ctx: &OpContext, key: &str) -> Result<Image> {
        let r = self
            .store()
            .get::<ImageRecord>(&[], &Key::parse(key))
            .await?
            .filter(|i| i.project_id.is_none())
            .ok_or_else(|| Error::not_found("image", key))?;
        Ok(self.image_view(r).await)
    }

    pub(crate) async fn project_image_record(&self, scope: &ProjectScope, key: &str) -> Result<ImageRecord> {
        self.store()
            .get::<ImageRecord>(&scope.filter(), &Key::parse(key))
            .await?
            .ok_or_else(|| Error::not_found("image", key))
    }

    pub async fn project_image_list(&self, ctx: &OpContext, project: &str, q: &ListQuery) -> Result<Page<Image>> {
        let scope = self.authorize(ctx, project, Permission::View).await?;
        self.list_views::<ImageRecord, ImageState, _, _>(scope.filter().to_vec(), q, |r| r.id, |r| self.image_view(r))
            .await
    }

    pub async fn project_image_get(&self, ctx: &OpContext, project: &str, key: &str) -> Result<Image> {
        let scope = self.authorize(ctx, project, Permission::View).await?;
        Ok(self.image_view(self.project_image_record(&scope, key).await?).await)
    }

    pub async fn project_image_delete(&self, ctx: &OpContext, project: &str, key: &str) -> Result<Image> {
        let scope = self.authorize(ctx, project, Permission::ManageResources).await?;
        let r = self.project_image_record(&scope, key).await?;
        if !matches!(r.state, ImageState::Active | ImageState::Error) || r.op_id.is_some() {
            return Err(Error::Conflict(format!("image {} is {}; wait until it is Active", r.name, r.state)));
        }
        let in_use = self.store().count::<InstanceRecord>(&[("image_id", r.id.into())]).await?;
        if in_use > 0 {
            return Err(Error::Conflict(format!("image {} is used by {in_use} instance(s)", r.name)));
        }
        if let Some(conn) = r.connection_id {
            let age_seconds = (gureum_store::now() - r.created_at) / 1_000_000;
            self.precheck(conn, ResourceKind::Image, Some(&Intent::ImageDelete { age_seconds })).await?;
        }
        let op = self.start_delete(ctx, &scope, &r, "Deleting").await?;
        Ok(self.image_view(ImageRecord { state: ImageState::Deleting, op_id: Some(op), ..r }).await)
    }
}
