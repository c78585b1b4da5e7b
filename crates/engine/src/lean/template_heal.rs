//! Self-healing of template modes: a template whose mode is missing or unknown (edited
//! behind gureum's back, or written by a newer version) means "do not use"; the healer
//! makes that explicit within seconds and says so in the template's events, so an
//! administrator sees what happened instead of a template that silently stopped working.

use crate::Engine;
use crate::lean::template_workflows::event;
use crate::worker::Worker;
use gureum_model::lean::TemplateMode;
use gureum_store::{Batch, Update, VmTemplateRecord, now};
use std::time::Duration;

pub const HEAL_EVERY: Duration = Duration::from_secs(2);

pub(crate) fn start(engine: &Engine) {
    let e = engine.clone();
    Worker::new("template_heal", HEAL_EVERY).singleton(engine).spawn(engine.shutdown_signal(), move || {
        let engine = e.clone();
        async move { engine.heal_template_modes().await.map(|_| ()) }
    });
}

impl Engine {
    /// Sets every template without a known mode to do_not_use; returns how many.
    pub async fn heal_template_modes(&self) -> crate::Result<usize> {
        let mut healed = 0;
        for t in self.store().list_all::<VmTemplateRecord>(&[]).await? {
            if TemplateMode::read(t.mode.as_deref()).is_some() {
                continue;
            }
            let was = t.mode.as_deref().map_or_else(|| "missing".to_string(), |m| format!("unknown ({m:?})"));
            // Guarded: a template changed meanwhile is looked at again on the next pass.
            let update = Update::<VmTemplateRecord>::of(t.id)
                .set(VmTemplateRecord::mode, TemplateMode::DoNotUse.as_str())
                .guard(VmTemplateRecord::generation, t.generation);
            let mut batch = Batch::from(update.stmt(now()));
            batch.push(event(t.id, format!("self-healing: the mode was {was}; set to do_not_use")));
            match self.store().write(batch).await {
                Ok(_) => {
                    tracing::warn!(template = %t.name, "template mode {was}: set to do_not_use");
                    healed += 1;
                }
                Err(gureum_store::DbError::Conflict { .. }) => {}
                Err(e) => return Err(e.into()),
            }
        }
        Ok(healed)
    }
}
