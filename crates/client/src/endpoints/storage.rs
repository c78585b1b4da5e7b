//! Volumes and snapshots.

use super::*;

impl Client {
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
}
