//! The page frame: who is signed in, the project switcher, the navigation, and the
//! blocks of the page.

use crate::AppState;
use crate::error::PageResult;
use crate::session::Session;
use crate::view::Html as Block;
use askama::Template;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use gureum_engine::ProjectScope;
use gureum_model::authz::{Permission, Role};

pub struct ProjectOpt {
    pub name: String,
    pub selected: bool,
}

pub struct NavItem {
    pub label: &'static str,
    pub href: String,
    pub current: bool,
}

/// What the frame of every signed-in page shows.
pub struct Layout {
    pub user: String,
    pub csrf: String,
    /// The project switcher's choices.
    pub projects: Vec<ProjectOpt>,
    pub project: Option<String>,
    pub role: Option<Role>,
    pub project_nav: Vec<NavItem>,
    pub global_nav: Vec<NavItem>,
}

const PROJECT_NAV: &[(&str, &str)] = &[
    ("instances", "Instances"),
    ("persistent-vms", "Persistent VMs"),
    ("volumes", "Volumes"),
    ("images", "Images"),
    ("key-pairs", "Key pairs"),
    ("vpcs", "VPCs"),
    ("subnets", "Subnets"),
    ("security-groups", "Security groups"),
    ("public-ips", "Public IPs"),
    ("library", "Library"),
    ("provisionings", "Provisionings"),
    ("provisioning-history", "Provisioning history"),
    ("maintenance", "Maintenance"),
    ("operations", "Operations"),
    ("usage", "Usage & cost"),
    ("members", "Members"),
];

impl Layout {
    async fn build(st: &AppState, s: &Session, project: Option<(&ProjectScope, &str)>, nav: &str) -> PageResult<Self> {
        let projects = st.engine.project_list(&s.ctx, Some(1000), None).await?;
        let current = project.map(|(p, _)| p.name.clone());
        let project_nav = match &current {
            Some(p) => PROJECT_NAV
                .iter()
                .map(|(key, label)| NavItem {
                    label,
                    href: format!("/projects/{}/{key}", enc(p)),
                    current: project.is_some_and(|(_, n)| n == *key),
                })
                .collect(),
            None => vec![],
        };
        let mut global =
            vec![("projects", "Projects", "/projects"), ("instance-types", "Instance types", "/instance-types")];
        global.push(("vm-templates", "VM templates", "/vm-templates"));
        global.push(("connections", "Connections", "/connections"));
        if s.ctx.is_admin {
            global.push(("servers", "Servers", "/servers"));
        }
        // Tenancy admins manage their subtree's customers and users too.
        if st.engine.tenancy_of(&s.ctx).await?.is_tenant_admin() {
            global.push(("resellers", "Resellers", "/resellers"));
            global.push(("users", "Users", "/users"));
        }
        global.push(("account", "My account", "/account"));
        Ok(Layout {
            user: s.ctx.user_name.clone(),
            csrf: s.csrf.clone(),
            projects: projects
                .items
                .iter()
                .map(|p| ProjectOpt { name: p.name.clone(), selected: Some(&p.name) == current.as_ref() })
                .collect(),
            role: project.map(|(p, _)| p.role),
            project: current,
            project_nav,
            global_nav: global
                .into_iter()
                .map(|(key, label, href)| NavItem {
                    label,
                    href: href.into(),
                    current: project.is_none() && nav == key,
                })
                .collect(),
        })
    }

    /// The frame of a page outside any project.
    pub async fn global(st: &AppState, s: &Session, nav: &str) -> PageResult<Self> {
        Self::build(st, s, None, nav).await
    }

    /// The frame of a project page; the project must be visible to the user (else 404).
    pub async fn project(st: &AppState, s: &Session, project: &str, nav: &str) -> PageResult<(Self, ProjectScope)> {
        let scope = st.engine.authorize(&s.ctx, project, Permission::View).await?;
        let l = Self::build(st, s, Some((&scope, nav)), nav).await?;
        Ok((l, scope))
    }

    pub fn may(&self, p: Permission) -> bool {
        self.role.is_some_and(|r| r.allows(p))
    }

    /// May create and change resources in this project (not a reader).
    pub fn can_manage(&self) -> bool {
        self.may(Permission::ManageResources)
    }

    /// `/projects/<project>`.
    pub fn base(&self) -> String {
        format!("/projects/{}", enc(self.project.as_deref().unwrap_or("")))
    }
}

/// A path segment, percent-encoded.
pub fn enc(s: &str) -> String {
    form_urlencoded::byte_serialize(s.as_bytes()).collect::<String>().replace('+', "%20")
}

pub struct Notice {
    pub class: &'static str,
    pub text: String,
}

#[derive(Template)]
#[template(path = "page.html")]
pub struct Page {
    pub l: Layout,
    pub title: String,
    /// `(label, href)` above the title.
    pub crumbs: Vec<(String, String)>,
    /// A primary link next to the title ("Create instance").
    pub primary: Option<(String, String)>,
    pub notice: Option<Notice>,
    pub blocks: Vec<Block>,
    pub status: u16,
    /// The page's own address, where live updates re-read it (a page shown after a
    /// failed POST has the POST's address in the location bar).
    pub url: Option<String>,
}

impl Page {
    pub fn new(l: Layout, title: impl Into<String>) -> Page {
        Page {
            l,
            title: title.into(),
            crumbs: vec![],
            primary: None,
            notice: None,
            blocks: vec![],
            status: 200,
            url: None,
        }
    }

    pub fn crumb(mut self, label: impl Into<String>, href: impl Into<String>) -> Page {
        self.crumbs.push((label.into(), href.into()));
        self
    }

    pub fn primary(mut self, label: &str, href: impl Into<String>) -> Page {
        self.primary = Some((label.into(), href.into()));
        self
    }

    /// The page's main action, offered only to whom it is `allowed`.
    pub fn primary_if(self, allowed: bool, label: &str, href: impl Into<String>) -> Page {
        if allowed { self.primary(label, href) } else { self }
    }

    pub fn at(mut self, url: impl Into<String>) -> Page {
        self.url = Some(url.into());
        self
    }

    pub fn block(mut self, b: Block) -> Page {
        self.blocks.push(b);
        self
    }

    pub fn error(mut self, status: StatusCode, text: impl Into<String>) -> Page {
        self.status = status.as_u16();
        self.notice = Some(Notice { class: "notice-error", text: text.into() });
        self
    }

    pub fn info(mut self, text: impl Into<String>) -> Page {
        self.notice = Some(Notice { class: "notice-info", text: text.into() });
        self
    }

    pub fn respond(self) -> PageResult {
        let status = StatusCode::from_u16(self.status).unwrap_or(StatusCode::OK);
        let body = self.render().map_err(|e| gureum_engine::Error::Internal(format!("rendering a page: {e}")))?;
        Ok(no_store((status, Html(body)).into_response()))
    }
}

/// Pages show private data and change with every action: never cached.
pub fn no_store(mut r: Response) -> Response {
    r.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    r
}

/// After a successful POST: see the result with a GET.
pub fn see_other(to: impl AsRef<str>) -> PageResult {
    Ok(Redirect::to(to.as_ref()).into_response())
}
