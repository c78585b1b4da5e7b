//! The catalog: templates shipped in the binary (the repository's `library/`), checked
//! when the server starts, and templates system administrators add through the API.

use crate::{Engine, Error, OpContext, Result};
use gureum_api_types::{Template, TemplateCreate, TemplateLicense, TemplateResource, TemplateSummary};
use gureum_model::provisioning::TemplateDoc;
use gureum_store::{LibraryTemplateRecord, Record, new_id, now};
use std::sync::OnceLock;

/// `(file, document)` of every shipped template.
const SHIPPED: &[(&str, &str)] = &[
    ("library/static-website.yaml", include_str!("../../../../library/static-website.yaml")),
    ("library/message-broker.yaml", include_str!("../../../../library/message-broker.yaml")),
    ("library/postgres-replicated.yaml", include_str!("../../../../library/postgres-replicated.yaml")),
    ("library/web-behind-lb.yaml", include_str!("../../../../library/web-behind-lb.yaml")),
];

/// A template ready to run: its document, parsed and checked.
#[derive(Debug, Clone)]
pub(crate) struct LibraryTemplate {
    pub doc: TemplateDoc,
    pub text: String,
    pub shipped: bool,
}

/// Parses and checks a document: structure, references, cycles, the parameter schema
/// and every string the engine renders.
pub(crate) fn check(text: &str) -> std::result::Result<TemplateDoc, gureum_model::FieldError> {
    let doc = TemplateDoc::parse(text)?;
    super::parameters::check_schema(&doc)?;
    super::render::check_templates(&doc)?;
    Ok(doc)
}

fn shipped() -> &'static std::result::Result<Vec<LibraryTemplate>, String> {
    static SHIPPED_TEMPLATES: OnceLock<std::result::Result<Vec<LibraryTemplate>, String>> = OnceLock::new();
    SHIPPED_TEMPLATES.get_or_init(|| {
        SHIPPED
            .iter()
            .map(|(file, text)| {
                check(text)
                    .map(|doc| LibraryTemplate { doc, text: text.to_string(), shipped: true })
                    .map_err(|e| format!("{file}: {e}"))
            })
            .collect()
    })
}

/// Refuses to start with a broken shipped template, naming the file and the reason.
pub fn check_shipped() -> std::result::Result<usize, String> {
    shipped().as_ref().map(Vec::len).map_err(Clone::clone)
}

fn summary(t: &LibraryTemplate) -> TemplateSummary {
    TemplateSummary {
        name: t.doc.name.clone(),
        title: t.doc.title.clone(),
        version: t.doc.version.clone(),
        overview: t.doc.overview.clone(),
        source: source(t).into(),
    }
}

fn source(t: &LibraryTemplate) -> &'static str {
    if t.shipped { "shipped" } else { "added" }
}

pub(crate) fn view(t: &LibraryTemplate) -> Template {
    let d = &t.doc;
    Template {
        name: d.name.clone(),
        title: d.title.clone(),
        version: d.version.clone(),
        overview: d.overview.clone(),
        features: d.features.clone(),
        prerequisites: d.prerequisites.clone(),
        installation_resources: d.installation_resources.clone(),
        licenses: d
            .licenses
            .iter()
            .map(|l| TemplateLicense {
                name: l.name.clone(),
                version: l.version.clone(),
                license: l.license.clone(),
                url: l.url.clone(),
            })
            .collect(),
        parameters: d.parameter_schema(),
        resources: d
            .resources
            .iter()
            .map(|(k, r)| TemplateResource {
                key: k.clone(),
                kind: r.kind(),
                depends_on: r.needs().into_iter().map(str::to_string).collect(),
            })
            .collect(),
        local_refusal: d.local_refusal.clone(),
        source: source(t).into(),
        document: t.text.clone(),
    }
}

impl Engine {
    async fn library(&self) -> Result<Vec<LibraryTemplate>> {
        let mut all = shipped().clone().map_err(Error::Internal)?;
        for r in self.store().list_all::<LibraryTemplateRecord>(&[]).await? {
            // Checked when added; a document that no longer passes (a newer gureum's
            // rules) is left out rather than offered broken.
            match check(&r.document) {
                Ok(doc) => all.push(LibraryTemplate { doc, text: r.document, shipped: false }),
                Err(e) => {
                    tracing::warn!(template = %r.name, error = %e, "an added template no longer passes its checks")
                }
            }
        }
        all.sort_by(|a, b| a.doc.name.cmp(&b.doc.name));
        Ok(all)
    }

    pub(crate) async fn library_template(&self, field: &str, name: &str) -> Result<LibraryTemplate> {
        self.library()
            .await?
            .into_iter()
            .find(|t| t.doc.name == name)
            .ok_or_else(|| Error::invalid(field, format!("no template named {name} in the library")))
    }

    pub async fn template_list(&self, _ctx: &OpContext) -> Result<Vec<TemplateSummary>> {
        Ok(self.library().await?.iter().map(summary).collect())
    }

    pub async fn template_get(&self, _ctx: &OpContext, name: &str) -> Result<Template> {
        let all = self.library().await?;
        let t = all.iter().find(|t| t.doc.name == name).ok_or_else(|| Error::not_found("template", name))?;
        Ok(view(t))
    }

    pub async fn template_create(&self, ctx: &OpContext, req: TemplateCreate) -> Result<Template> {
        self.require_admin(ctx, "add library templates")?;
        let doc = check(&req.document).map_err(|e| Error::invalid(format!("document.{}", e.field), e.rule))?;
        if self.library().await?.iter().any(|t| t.doc.name == doc.name) {
            return Err(Error::Conflict(format!("the library already has a template named {}", doc.name)));
        }
        let t = now();
        let rec = LibraryTemplateRecord {
            id: new_id(),
            name: doc.name.clone(),
            document: req.document.clone(),
            created_by: ctx.user_id,
            created_at: t,
            updated_at: t,
            generation: 1,
        };
        let name = doc.name.clone();
        self.store().write(rec.insert()).await.map_err(crate::workflow::operations::name_taken("template", &name))?;
        Ok(view(&LibraryTemplate { doc, text: req.document, shipped: false }))
    }

    /// Removes an added template; stacks made from it keep the document they ran.
    pub async fn template_delete(&self, ctx: &OpContext, name: &str) -> Result<()> {
        self.require_admin(ctx, "remove library templates")?;
        if shipped().as_ref().is_ok_and(|s| s.iter().any(|t| t.doc.name == name)) {
            return Err(Error::Conflict(format!("{name} ships with gureum and cannot be removed")));
        }
        let rec = self
            .store()
            .get::<LibraryTemplateRecord>(&[], &gureum_store::Key::Name(name.to_string()))
            .await?
            .ok_or_else(|| Error::not_found("template", name))?;
        self.store().write(gureum_store::record::delete::<LibraryTemplateRecord>(rec.id)).await?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn every_shipped_template_passes_its_checks() {
        assert_eq!(super::check_shipped(), Ok(super::SHIPPED.len()));
    }
}
