//! Provider profiles: which real cloud the simulation imitates. The generic profile
//! supports every kind natively and enforces the rules most clouds share. The
//! `ktcloud-classic` profile reproduces KT Cloud Classic (SPEC §3: no native VPC,
//! inbound-only security groups, spec/image compatibility, disk rules by zone and OS,
//! my-image rules); `kakaocloud` reproduces KakaoCloud's volume rules (SPEC §4).
//!
//! Each rule is written once, as a [`Refusal`] a user can act on: the driver's
//! `precheck` returns it as is, and the provider's own operations turn it into the terse
//! answer the real provider gives (KT answers "general error").

use gureum_driver::{
    DriverError, Intent, Refusal, ResourceKind, RootDisk, RuleOutcome, RuleSpec, Support, VolumeType, split_disk_spec,
};
use gureum_model::FieldError;
use gureum_model::catalog;
use gureum_model::network::{Direction, Protocol, Rule};
use serde::{Serialize, Serializer};
use serde_json::Value;
use std::collections::BTreeMap;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Profile {
    /// A typical public cloud: every kind native, every security-group rule applied.
    #[default]
    Generic,
    /// KT Cloud Classic (G1/G2).
    KtcloudClassic,
    /// KakaoCloud's virtual machine service.
    Kakaocloud,
}

/// KT: how long a new my-image stays undeletable.
pub const KT_IMAGE_MIN_AGE_SECS: i64 = 3600;
/// KT: the root disk by OS family.
const KT_ROOT_GB_LINUX: i64 = 20;
const KT_ROOT_GB_WINDOWS: i64 = 50;
/// KT: the smallest machine a Windows template runs on.
const KT_WINDOWS_MIN_VCPUS: i64 = 2;
const KT_WINDOWS_MIN_MEMORY_MIB: i64 = 4096;

impl Profile {
    pub const ALL: &[Profile] = &[Profile::Generic, Profile::KtcloudClassic, Profile::Kakaocloud];

    pub fn as_str(self) -> &'static str {
        match self {
            Profile::Generic => "generic",
            Profile::KtcloudClassic => "ktcloud-classic",
            Profile::Kakaocloud => "kakaocloud",
        }
    }

    pub(crate) fn parse(field: &str, v: &Value) -> Result<Profile, FieldError> {
        let known = || Profile::ALL.iter().map(|p| p.as_str()).collect::<Vec<_>>().join(", ");
        let name = v.as_str().ok_or_else(|| FieldError::new(field, format!("must be a string; known: {}", known())))?;
        Profile::ALL
            .iter()
            .copied()
            .find(|p| p.as_str() == name)
            .ok_or_else(|| FieldError::new(field, format!("unknown profile {name:?}; known: {}", known())))
    }

    pub fn kinds(self) -> BTreeMap<ResourceKind, Support> {
        ResourceKind::ALL.iter().map(|k| (*k, self.support(*k))).collect()
    }

    pub fn support(self, kind: ResourceKind) -> Support {
        // KT Classic runs on a flat physical network: VPCs and subnets exist only in gureum.
        let emulated = self == Profile::KtcloudClassic && matches!(kind, ResourceKind::Vpc | ResourceKind::Subnet);
        if emulated { Support::Emulated } else { Support::Native }
    }

    /// The provider's own answer when one of its rules is broken.
    pub(crate) fn refuse(self, r: Refusal) -> DriverError {
        match (self, r.conflict) {
            (Profile::KtcloudClassic, _) => {
                DriverError::Provider { code: "GENERAL_ERROR".into(), message: "general error".into() }
            }
            (_, true) => DriverError::Conflict(r.message),
            (_, false) => DriverError::InvalidRequest(r.message),
        }
    }

    /// Which of the accepted rules the provider enforces.
    pub fn rule_outcomes(self, rules: &[RuleSpec]) -> Vec<RuleOutcome> {
        rules
            .iter()
            .map(|r| {
                let ignored = self == Profile::KtcloudClassic && r.direction == Direction::Outbound.as_str();
                RuleOutcome {
                    id: r.id.clone(),
                    applied: !ignored,
                    note: ignored.then(|| {
                        "KT Cloud Classic enforces inbound rules only: this outbound rule is kept but not applied"
                            .into()
                    }),
                }
            })
            .collect()
    }

    /// The root disk the provider gives a VM.
    pub fn root_disk(self, os_family: &str, zone: &str, zones: &[String]) -> Option<RootDisk> {
        match self {
            Profile::Generic => None,
            Profile::Kakaocloud => Some(RootDisk { size_gb: None, volume_type: "SSD".into() }),
            // One zone is SSD-only, the others HDD-only; the size follows the OS.
            Profile::KtcloudClassic => Some(RootDisk {
                size_gb: Some(if os_family == "windows" { KT_ROOT_GB_WINDOWS } else { KT_ROOT_GB_LINUX }),
                volume_type: if zones.first().map(String::as_str) == Some(zone) { "SSD" } else { "HDD" }.into(),
            }),
        }
    }

    /// The data disk types the provider sells; the first is the default.
    pub fn volume_types(self) -> Vec<VolumeType> {
        let t = |name: &str, min_gb, max_gb| VolumeType { name: name.into(), min_gb, max_gb };
        match self {
            Profile::Generic => vec![t("SSD", 1, 16_384), t("HDD", 1, 16_384)],
            Profile::Kakaocloud => vec![t("SSD", 1, 5_120)],
            Profile::KtcloudClassic => vec![t("HDD", 10, 500), t("SSD-Provisioned", 10, 1_000)],
        }
    }

    /// Checks what is about to be asked against the provider's rules. `zone` is the
    /// zone the connection works in.
    pub fn check(self, intent: &Intent<'_>, zone: &str, zones: &[String]) -> Result<(), Refusal> {
        match intent {
            Intent::Vm { instance_type, vcpus, memory_mib, gpu, image, os_family, zone: vm_zone, root_size_gb } => {
                self.check_vm(instance_type, *vcpus, *memory_mib, *gpu, image, os_family, vm_zone, *root_size_gb, zones)
            }
            Intent::Disk { size_gb, volume_type, zone: disk_zone } => {
                self.check_disk(*size_gb, volume_type, disk_zone, zone)
            }
            Intent::Rules(rules) => self.check_rules(rules),
            Intent::ImageFromVm { vm_stopped } => {
                if self == Profile::KtcloudClassic && !vm_stopped {
                    return Err(Refusal::conflict(
                        "instance",
                        "KT Cloud Classic makes an image only from a stopped VM: stop the instance first",
                    ));
                }
                Ok(())
            }
            Intent::ImageDelete { age_seconds } => {
                if self == Profile::KtcloudClassic && *age_seconds < KT_IMAGE_MIN_AGE_SECS {
                    let wait = KT_IMAGE_MIN_AGE_SECS - age_seconds;
                    return Err(Refusal::conflict(
                        "image",
                        format!(
                            "KT Cloud Classic keeps a new image for an hour: it can be deleted in {} min {} s",
                            wait / 60,
                            wait % 60
                        ),
                    ));
                }
                Ok(())
            }
        }
    }

    #[allow(clippy::too_many_arguments)] // the fields of Intent::Vm, one to one
    fn check_vm(
        self,
        instance_type: &str,
        vcpus: i64,
        memory_mib: i64,
        gpu: bool,
        image: &str,
        os_family: &str,
        zone: &str,
        root_size_gb: i64,
        zones: &[String],
    ) -> Result<(), Refusal> {
        let (base, total_disk_gb) = split_disk_spec(instance_type);
        if self != Profile::KtcloudClassic {
            if total_disk_gb.is_some() {
                return Err(Refusal::invalid(
                    "instance_type",
                    format!(
                        "{} has no specs with a disk size ({instance_type:?}); name the instance type alone",
                        self.provider()
                    ),
                ));
            }
            return Ok(());
        }
        let Some(spec) = catalog::instance_type(base) else {
            return Err(Refusal::invalid("instance_type", format!("KT Cloud Classic has no spec {instance_type:?}")));
        };
        let root = self.root_disk(os_family, zone, zones).and_then(|r| r.size_gb).unwrap_or(root_size_gb);
        if root_size_gb != root {
            return Err(Refusal::invalid(
                "root_volume_size_gb",
                format!(
                    "KT Cloud Classic gives a {os_family} VM a {root} GB root disk; leave the size out or use {root}"
                ),
            ));
        }
        if let Some(total) = total_disk_gb
            && total <= root
        {
            return Err(Refusal::invalid(
                "instance_type",
                format!("spec {instance_type} has {total} GB of disk in all, not more than the {root} GB root disk"),
            ));
        }
        let image_gpu = catalog::image(image).is_some_and(|i| i.gpu);
        let supports = |vcpus: i64, memory_mib: i64, gpu: bool| {
            (os_family != "windows" || (vcpus >= KT_WINDOWS_MIN_VCPUS && memory_mib >= KT_WINDOWS_MIN_MEMORY_MIB))
                && (!image_gpu || gpu)
        };
        let _ = spec;
        if !supports(vcpus, memory_mib, gpu) {
            let compatible: Vec<&str> = catalog::INSTANCE_TYPES
                .iter()
                .filter(|t| supports(t.vcpus, t.memory_mib, t.gpu.is_some()))
                .map(|t| t.name)
                .collect();
            return Err(Refusal::invalid(
                "instance_type",
                format!(
                    "spec {instance_type} does not support image {image}; specs that do: {} (each also with a _diskNNNGB suffix)",
                    compatible.join(", ")
                ),
            ));
        }
        Ok(())
    }

    fn check_disk(self, size_gb: i64, volume_type: &str, disk_zone: &str, zone: &str) -> Result<(), Refusal> {
        // The generic cloud takes any disk type name and size its own limits allow.
        if self == Profile::Generic {
            return Ok(());
        }
        if self == Profile::KtcloudClassic && disk_zone != zone {
            return Err(Refusal::invalid(
                "zone",
                format!("KT Cloud Classic makes disks only in the connection's zone {zone}, not {disk_zone}"),
            ));
        }
        let types = self.volume_types();
        let Some(t) = types.iter().find(|t| t.name == volume_type) else {
            let names: Vec<&str> = types.iter().map(|t| t.name.as_str()).collect();
            return Err(Refusal::invalid(
                "volume_type",
                format!("{} offers {}, not {volume_type:?}", self.provider(), names.join(", ")),
            ));
        };
        if !(t.min_gb..=t.max_gb).contains(&size_gb) {
            return Err(Refusal::invalid(
                "size_gb",
                format!("a {} disk is {}–{} GB at {}, got {size_gb}", t.name, t.min_gb, t.max_gb, self.provider()),
            ));
        }
        Ok(())
    }

    /// KT: rules of one protocol must not overlap (TCP 22 and TCP all-ports cannot
    /// coexist).
    fn check_rules(self, rules: &[RuleSpec]) -> Result<(), Refusal> {
        if self != Profile::KtcloudClassic {
            return Ok(());
        }
        let parsed: Vec<(&RuleSpec, Rule)> = rules.iter().filter_map(|r| Some((r, parse_rule(r)?))).collect();
        for (i, (a, ra)) in parsed.iter().enumerate() {
            for (b, rb) in &parsed[i + 1..] {
                if ra.direction == Direction::Inbound && ra.overlaps(rb) {
                    return Err(Refusal::invalid(
                        "port_from",
                        format!(
                            "KT Cloud Classic does not allow overlapping {} rules: {} overlaps {}",
                            a.protocol,
                            describe(a),
                            describe(b)
                        ),
                    ));
                }
            }
        }
        Ok(())
    }

    fn provider(self) -> &'static str {
        match self {
            Profile::Generic => "this provider",
            Profile::KtcloudClassic => "KT Cloud Classic",
            Profile::Kakaocloud => "KakaoCloud",
        }
    }
}

fn parse_rule(r: &RuleSpec) -> Option<Rule> {
    Rule::validate(
        Direction::parse(&r.direction)?,
        Protocol::parse(&r.protocol)?,
        r.port_from,
        r.port_to,
        Some(&r.remote_cidr),
    )
    .ok()
}

fn describe(r: &RuleSpec) -> String {
    match (r.port_from, r.port_to) {
        (Some(a), Some(b)) if a == b => format!("{} {a}", r.protocol),
        (Some(a), Some(b)) if a == 1 && b == 65_535 => format!("{} all ports", r.protocol),
        (Some(a), Some(b)) => format!("{} {a}-{b}", r.protocol),
        _ => format!("{} all ports", r.protocol),
    }
}

impl Serialize for Profile {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}
