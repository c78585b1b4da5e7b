//! A connection's `settings` for the simulated cloud: latency and injected faults per
//! operation, capacity per zone, the provider profile and where the cloud is held. Parsed by hand rather than
//! derived with serde so that every error names the JSON path and the rule it broke
//! (`settings.fault_rate.disk_create: must be between 0.0 and 1.0, got 2`).

use crate::profile::Profile;
use gureum_model::FieldError;
use serde::{Serialize, Serializer};
use serde_json::{Map, Value};
use std::collections::BTreeMap;

/// Latencies and hangs beyond an hour are typos, not simulations.
const MAX_MS: u64 = 3_600_000;
const MAX_CAPACITY: u64 = 1_000_000_000_000;

const SETTINGS: &[&str] = &[
    "latency_ms",
    "call_ms",
    "fault_rate",
    "hang_rate",
    "hang_ms",
    "lost_response_rate",
    "error_rate",
    "capacity",
    "profile",
    "endpoint",
];

/// In a per-operation map, the value for the operations the map does not name.
const DEFAULT_KEY: &str = "default";
/// In a per-operation map, every kind of guest update at once (the driver's `vm_update`).
const VM_UPDATE_KEY: &str = "vm_update";
const VM_UPDATES: [Operation; 4] =
    [Operation::VmKernelUpgrade, Operation::VmOsUpdate, Operation::VmEngineUpgrade, Operation::VmConfigChange];

macro_rules! operations {
    ($($variant:ident => $name:literal, $latency_ms:literal;)+) => {
        /// A provider call that changes something; latency and faults are set per operation.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum Operation {
            $($variant),+
        }

        impl Operation {
            pub const ALL: &'static [Operation] = &[$(Operation::$variant),+];

            pub fn as_str(self) -> &'static str {
                match self {
                    $(Operation::$variant => $name),+
                }
            }

            pub fn parse(s: &str) -> Option<Operation> {
                match s {
                    $($name => Some(Operation::$variant),)+
                    _ => None,
                }
            }

            /// How long the operation takes at a typical public cloud.
            pub fn default_latency_ms(self) -> u64 {
                match self {
                    $(Operation::$variant => $latency_ms),+
                }
            }
        }
    };
}

operations! {
    VpcCreate => "vpc_create", 300;
    VpcDelete => "vpc_delete", 300;
    SubnetCreate => "subnet_create", 300;
    SubnetDelete => "subnet_delete", 300;
    SecurityGroupCreate => "security_group_create", 200;
    SecurityGroupDelete => "security_group_delete", 200;
    SecurityGroupRules => "security_group_rules", 300;
    KeyPairCreate => "key_pair_create", 100;
    KeyPairDelete => "key_pair_delete", 100;
    VmCreate => "vm_create", 3000;
    VmDelete => "vm_delete", 1500;
    VmStart => "vm_start", 2000;
    VmStop => "vm_stop", 1500;
    VmReboot => "vm_reboot", 2000;
    VmResize => "vm_resize", 3000;
    // Cleaning the guest's system, then its power-off.
    VmSysprep => "vm_sysprep", 8000;
    // Maintenance (the call returns once the update is applied): installing a kernel on
    // the stopped VM's disk, a newer release of its OS, of its engine; a running guest's
    // sysctls. Well within the engine's 60 s call timeout, as the call lasts this long.
    VmKernelUpgrade => "vm_kernel_upgrade", 12000;
    VmOsUpdate => "vm_os_update", 40000;
    VmEngineUpgrade => "vm_engine_upgrade", 20000;
    VmConfigChange => "vm_config_change", 1000;
    DiskCreate => "disk_create", 1500;
    DiskDelete => "disk_delete", 1000;
    DiskAttach => "disk_attach", 1000;
    DiskDetach => "disk_detach", 1000;
    DiskExtend => "disk_extend", 2000;
    // Putting a disk back to a snapshot of it (a rollback).
    DiskRevert => "disk_revert", 5000;
    SnapshotCreate => "snapshot_create", 3000;
    SnapshotDelete => "snapshot_delete", 2000;
    ImageCreate => "image_create", 4000;
    ImageDelete => "image_delete", 2000;
    PublicIpCreate => "public_ip_create", 300;
    PublicIpDelete => "public_ip_delete", 300;
    PublicIpAssociate => "public_ip_associate", 500;
    PublicIpDisassociate => "public_ip_disassociate", 500;
}

impl std::fmt::Display for Operation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Serialize for Operation {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

/// How much each zone holds; a create that would exceed it answers `Capacity`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Capacity {
    pub instances: i64,
    pub vcpus: i64,
    pub memory_mib: i64,
    pub disk_gb: i64,
    pub public_ips: i64,
}

impl Default for Capacity {
    /// Generous but finite, so that running out is something gureum meets in practice.
    fn default() -> Self {
        Capacity { instances: 500, vcpus: 2000, memory_mib: 4 * 1024 * 1024, disk_gb: 100_000, public_ips: 256 }
    }
}

impl Capacity {
    const FIELDS: &[&str] = &["instances", "vcpus", "memory_mib", "disk_gb", "public_ips"];

    fn parse(field: &str, v: &Value) -> Result<Capacity, FieldError> {
        let mut c = Capacity::default();
        for (key, v) in object(field, v)? {
            let f = format!("{field}.{key}");
            let slot = match key.as_str() {
                "instances" => &mut c.instances,
                "vcpus" => &mut c.vcpus,
                "memory_mib" => &mut c.memory_mib,
                "disk_gb" => &mut c.disk_gb,
                "public_ips" => &mut c.public_ips,
                _ => {
                    return Err(FieldError::new(
                        f,
                        format!("unknown capacity {key:?}; known: {}", Capacity::FIELDS.join(", ")),
                    ));
                }
            };
            *slot = whole(&f, v, MAX_CAPACITY)? as i64;
        }
        Ok(c)
    }
}

/// The simulated cloud's behaviour. `Serialize` shows the effective settings, defaults
/// filled in; the rate maps list only the operations whose rate is above zero.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SimSettings {
    /// How long each operation's transition takes.
    pub latency_ms: BTreeMap<Operation, u64>,
    /// How long the provider takes to answer any call (its API's response time), while
    /// the call counts as in flight.
    pub call_ms: u64,
    /// The call fails with `Provider { code: "InternalError" }` and changes nothing.
    pub fault_rate: BTreeMap<Operation, f64>,
    /// The call hangs for `hang_ms`, then fails with `Timeout` and changes nothing.
    pub hang_rate: BTreeMap<Operation, f64>,
    pub hang_ms: u64,
    /// The change is made, then the answer is lost: the call fails with `Timeout`.
    pub lost_response_rate: BTreeMap<Operation, f64>,
    /// The call is accepted, then the transition ends with the resource in `Error`.
    pub error_rate: BTreeMap<Operation, f64>,
    pub capacity: Capacity,
    pub profile: Profile,
    /// A `gureum sim serve` holding the cloud, so that every server calling it sees the
    /// same one; without it the cloud is held in process, under the server's data dir.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub endpoint: Option<String>,
}

impl Default for SimSettings {
    fn default() -> Self {
        SimSettings {
            latency_ms: Operation::ALL.iter().map(|op| (*op, op.default_latency_ms())).collect(),
            call_ms: 0,
            fault_rate: BTreeMap::new(),
            hang_rate: BTreeMap::new(),
            hang_ms: 30_000,
            lost_response_rate: BTreeMap::new(),
            error_rate: BTreeMap::new(),
            capacity: Capacity::default(),
            profile: Profile::default(),
            endpoint: None,
        }
    }
}

impl SimSettings {
    /// The defaults with every latency zero: each operation settles within its call.
    pub fn instant() -> SimSettings {
        SimSettings { latency_ms: Operation::ALL.iter().map(|op| (*op, 0)).collect(), ..SimSettings::default() }
    }

    /// Validates a connection's `settings` (`null` or an object; every key optional).
    pub fn parse(value: &Value) -> Result<SimSettings, FieldError> {
        let mut s = SimSettings::default();
        let obj = match value {
            Value::Null => return Ok(s),
            v => object("settings", v)?,
        };
        for (key, v) in obj {
            let field = format!("settings.{key}");
            match key.as_str() {
                "latency_ms" => per_operation(&field, v, &mut s.latency_ms, |f, v| whole(f, v, MAX_MS))?,
                "fault_rate" => per_operation(&field, v, &mut s.fault_rate, rate)?,
                "hang_rate" => per_operation(&field, v, &mut s.hang_rate, rate)?,
                "lost_response_rate" => per_operation(&field, v, &mut s.lost_response_rate, rate)?,
                "error_rate" => per_operation(&field, v, &mut s.error_rate, rate)?,
                "hang_ms" => s.hang_ms = whole(&field, v, MAX_MS)?,
                "call_ms" => s.call_ms = whole(&field, v, MAX_MS)?,
                "capacity" => s.capacity = Capacity::parse(&field, v)?,
                "profile" => s.profile = Profile::parse(&field, v)?,
                "endpoint" => s.endpoint = Some(endpoint(&field, v)?),
                _ => {
                    return Err(FieldError::new(
                        field,
                        format!("unknown setting {key:?}; known: {}", SETTINGS.join(", ")),
                    ));
                }
            }
        }
        for rates in [&mut s.fault_rate, &mut s.hang_rate, &mut s.lost_response_rate, &mut s.error_rate] {
            rates.retain(|_, r| *r > 0.0);
        }
        Ok(s)
    }

    pub fn latency(&self, op: Operation) -> u64 {
        self.latency_ms.get(&op).copied().unwrap_or_else(|| op.default_latency_ms())
    }

    pub fn fault_rate(&self, op: Operation) -> f64 {
        self.fault_rate.get(&op).copied().unwrap_or(0.0)
    }

    pub fn hang_rate(&self, op: Operation) -> f64 {
        self.hang_rate.get(&op).copied().unwrap_or(0.0)
    }

    pub fn lost_response_rate(&self, op: Operation) -> f64 {
        self.lost_response_rate.get(&op).copied().unwrap_or(0.0)
    }

    pub fn error_rate(&self, op: Operation) -> f64 {
        self.error_rate.get(&op).copied().unwrap_or(0.0)
    }
}

fn object<'a>(field: &str, v: &'a Value) -> Result<&'a Map<String, Value>, FieldError> {
    v.as_object().ok_or_else(|| FieldError::new(field, "must be a JSON object"))
}

/// A value for every operation (`0.1`), or per operation with an optional `default`
/// for the rest (`{"default": 0, "vm_create": 500}`); `vm_update` names every kind of
/// update, which a key of its own overrides.
fn per_operation<T: Copy>(
    field: &str,
    v: &Value,
    into: &mut BTreeMap<Operation, T>,
    parse: impl Fn(&str, &Value) -> Result<T, FieldError>,
) -> Result<(), FieldError> {
    let Value::Object(map) = v else {
        let all = parse(field, v)?;
        into.extend(Operation::ALL.iter().map(|op| (*op, all)));
        return Ok(());
    };
    if let Some(d) = map.get(DEFAULT_KEY) {
        let all = parse(&format!("{field}.{DEFAULT_KEY}"), d)?;
        into.extend(Operation::ALL.iter().map(|op| (*op, all)));
    }
    if let Some(u) = map.get(VM_UPDATE_KEY) {
        let all = parse(&format!("{field}.{VM_UPDATE_KEY}"), u)?;
        into.extend(VM_UPDATES.iter().map(|op| (*op, all)));
    }
    for (key, v) in map.iter().filter(|(k, _)| *k != DEFAULT_KEY && *k != VM_UPDATE_KEY) {
        let op = Operation::parse(key).ok_or_else(|| {
            let known: Vec<&str> = Operation::ALL.iter().map(|op| op.as_str()).collect();
            FieldError::new(
                field,
                format!("unknown operation {key:?}; known: {DEFAULT_KEY}, {VM_UPDATE_KEY}, {}", known.join(", ")),
            )
        })?;
        into.insert(op, parse(&format!("{field}.{key}"), v)?);
    }
    Ok(())
}

fn whole(field: &str, v: &Value, max: u64) -> Result<u64, FieldError> {
    v.as_u64()
        .filter(|n| *n <= max)
        .ok_or_else(|| FieldError::new(field, format!("must be a whole number between 0 and {max}, got {v}")))
}

/// An http(s) URL with a host, kept without a trailing `/`.
fn endpoint(field: &str, v: &Value) -> Result<String, FieldError> {
    let rule =
        || FieldError::new(field, format!("must be an http(s) URL with a host, like http://127.0.0.1:7490, got {v}"));
    let text = v.as_str().ok_or_else(rule)?;
    let url = reqwest::Url::parse(text).map_err(|_| rule())?;
    let web = matches!(url.scheme(), "http" | "https");
    if !web || url.host_str().is_none_or(str::is_empty) || url.query().is_some() || url.fragment().is_some() {
        return Err(rule());
    }
    Ok(text.trim_end_matches('/').to_string())
}

fn rate(field: &str, v: &Value) -> Result<f64, FieldError> {
    v.as_f64()
        .filter(|r| (0.0..=1.0).contains(r))
        .ok_or_else(|| FieldError::new(field, format!("must be between 0.0 and 1.0, got {v}")))
}

#[cfg(test)]
mod tests;
