//! A library template: the document a system administrator writes (YAML or JSON), and
//! the rules it must keep before gureum will offer it. Strings that vary per run
//! (user-data, outputs, an instance type) are templates rendered by the engine; here they
//! are only carried.

use crate::network::{Direction, Protocol};

use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::collections::BTreeMap;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TemplateDoc {
    pub name: String,
    pub title: String,
    pub version: String,
    pub overview: String,
    /// The infrastructure it creates and the applications it installs.
    #[serde(default)]
    pub features: Vec<String>,
    #[serde(default)]
    pub prerequisites: Vec<String>,
    /// Instance types, volumes and counts it uses.
    #[serde(default)]
    pub installation_resources: Vec<String>,
    #[serde(default)]
    pub licenses: Vec<License>,
    /// JSON Schema of the template's own parameters (an object schema); the common ones
    /// (prefix, VPC, subnet, key pair) are added to it.
    #[serde(default = "empty_object_schema")]
    pub parameters: Value,
    /// Resources by key; keys name the resources at the provider too.
    pub resources: BTreeMap<String, ResourceDoc>,
    #[serde(default)]
    pub readiness: Readiness,
    #[serde(default)]
    pub outputs: Outputs,
    /// Why the template cannot be installed on a QEMU (`local`) connection, if it cannot.
    #[serde(default)]
    pub local_refusal: Option<String>,
}

fn empty_object_schema() -> Value {
    serde_json::json!({"type": "object", "properties": {}})
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct License {
    pub name: String,
    pub version: String,
    pub license: String,
    pub url: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum ResourceDoc {
    SecurityGroup {
        #[serde(default)]
        rules: Vec<RuleDoc>,
        #[serde(default)]
        depends_on: Vec<String>,
    },
    Volume {
        size_gb: i64,
        #[serde(default)]
        depends_on: Vec<String>,
    },
    Instance {
        /// How many: a number, or the name of an integer parameter.
        #[serde(default)]
        count: Option<Count>,
        instance_type: String,
        image: String,
        #[serde(default)]
        security_groups: Vec<String>,
        #[serde(default)]
        volumes: Vec<String>,
        /// An ephemeral public IP that lives and goes with the instance.
        #[serde(default)]
        public_ip: bool,
        #[serde(default)]
        user_data: Option<String>,
        #[serde(default)]
        depends_on: Vec<String>,
    },
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Count {
    Fixed(u32),
    Parameter(String),
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RuleDoc {
    #[serde(default = "inbound")]
    pub direction: Direction,
    pub protocol: Protocol,
    #[serde(default)]
    pub port: Option<i64>,
    #[serde(default)]
    pub remote_cidr: Option<String>,
}

fn inbound() -> Direction {
    Direction::Inbound
}

/// When a stack counts as provisioned: its application answers.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Readiness {
    /// An HTTP GET each instance of `resource` must answer with a 2xx (on real VMs).
    #[serde(default)]
    pub http: Option<HttpCheck>,
    /// How long the installation takes once the VMs run (simulated on the simulated
    /// cloud; an upper bound for the wait on real VMs is set by the engine).
    #[serde(default)]
    pub install_seconds: u64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HttpCheck {
    pub resource: String,
    pub port: u16,
    #[serde(default = "root_path")]
    pub path: String,
}

fn root_path() -> String {
    "/".into()
}

/// What the installation info shows, rendered once the stack is ready.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Outputs {
    #[serde(default)]
    pub access: Vec<AccessDoc>,
    /// Sealed at rest and shown to project admins and members only.
    #[serde(default)]
    pub credentials: Vec<CredentialDoc>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AccessDoc {
    pub name: String,
    /// The instances (by resource key) it is given for, one entry each.
    pub resource: String,
    pub port: u16,
    /// e.g. `http://{{ address }}:{{ port }}/`: `address` and `port` are the ones a client
    /// reaches (a public IP's, forwarded where the provider forwards).
    pub url: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CredentialDoc {
    pub name: String,
    pub value: String,
}

crate::spelled_enum! {
    pub enum StackResourceKind {
        SecurityGroup => "security_group",
        Volume => "volume",
        Instance => "instance",
    }
}

impl ResourceDoc {
    pub fn kind(&self) -> StackResourceKind {
        match self {
            ResourceDoc::SecurityGroup { .. } => StackResourceKind::SecurityGroup,
            ResourceDoc::Volume { .. } => StackResourceKind::Volume,
            ResourceDoc::Instance { .. } => StackResourceKind::Instance,
        }
    }

    /// Every resource it needs first: the ones it names and its explicit `depends_on`.
    pub fn needs(&self) -> Vec<&str> {
        let (named, explicit): (Vec<&String>, &Vec<String>) = match self {
            ResourceDoc::SecurityGroup { depends_on, .. } | ResourceDoc::Volume { depends_on, .. } => {
                (vec![], depends_on)
            }
            ResourceDoc::Instance { security_groups, volumes, depends_on, .. } => {
                (security_groups.iter().chain(volumes).collect(), depends_on)
            }
        };
        named.into_iter().chain(explicit).map(String::as_str).collect()
    }
}
