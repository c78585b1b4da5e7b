//! Moving a detached disk to the node that needs it: a volume attached to an instance on
//! another node of the pool, or a shelved instance's disks when it is unshelved onto
//! another node. The bytes go from one host to the other through the server; the old
//! copy is deleted once the new one exists, so a replayed move finds the new copy by
//! its tag and only finishes the cleanup.

use crate::Engine;
use crate::workflow::StepError;
use gureum_driver::ResourceKind;
use gureum_store::record::common;
use gureum_store::{Update, VolumeRecord, now};
use uuid::Uuid;

impl Engine {
    /// Brings the volume's disk to node `to` (unless it is there) and records where it
    /// is now; returns the volume as recorded.
    pub(crate) async fn volume_bring(&self, v: VolumeRecord, to: Option<Uuid>) -> Result<VolumeRecord, StepError> {
        if v.node_id == to {
            return Ok(v);
        }
        let from_cloud = self.cloud_on(v.connection_id, v.node_id).await?;
        let to_cloud = self.cloud_on(v.connection_id, to).await?;
        let mut provider_id = v.provider_id.clone();
        if let Some(old) = v.provider_id.as_deref().filter(|_| !from_cloud.same_driver(&to_cloud)) {
            let tag = v.id.to_string();
            let moved = match to_cloud.find_by_tag(ResourceKind::Disk, &tag).await? {
                Some(already) => already,
                None => to_cloud.disk_import(from_cloud.disk_export(old).await?).await?,
            };
            tracing::info!(volume = %v.id, from = old, to = %moved.id, "moved a disk to another node");
            from_cloud.ensure_deleted(ResourceKind::Disk, Some(old), &tag).await?;
            provider_id = Some(moved.id);
        }
        let update = Update::<VolumeRecord>::of(v.id)
            .set(common::PROVIDER_ID, provider_id.as_deref())
            .set(VolumeRecord::node_id, to);
        self.store().write(update.stmt(now())).await?;
        Ok(VolumeRecord { provider_id, node_id: to, ..v })
    }
}
