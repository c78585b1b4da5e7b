//! Metering: a project's billed seconds and cost per instance and instance type over any
//! time range, from the usage intervals the instance state changes maintain.

use crate::views::{parse_ts, ts};
use crate::{Engine, Error, OpContext, Result};
use gureum_api_types::{Usage, UsageLine};
use gureum_model::authz::Permission;
use gureum_model::billing;
use gureum_store::{InstanceTypeRecord, now};
use std::collections::BTreeMap;
use uuid::Uuid;

const DEFAULT_RANGE_MICROS: i64 = 30 * 24 * 3600 * 1_000_000;

/// The `from`..`to` range of a usage report (default: the last 30 days).
pub(crate) fn usage_range(from: Option<&str>, to: Option<&str>) -> Result<(i64, i64)> {
    let to = match to {
        Some(s) => parse_ts("to", s)?,
        None => now(),
    };
    let from = match from {
        Some(s) => parse_ts("from", s)?,
        None => to - DEFAULT_RANGE_MICROS,
    };
    if from >= to {
        return Err(Error::invalid("from", "must be before to"));
    }
    Ok((from, to))
}

impl Engine {
    pub async fn usage(&self, ctx: &OpContext, project: &str, from: Option<&str>, to: Option<&str>) -> Result<Usage> {
        let scope = self.authorize(ctx, project, Permission::View).await?;
        let (from, to) = usage_range(from, to)?;
        let lines = self.usage_lines(scope.id, from, to).await?;
        Ok(Usage {
            project: scope.name,
            from: ts(from),
            to: ts(to),
            total_seconds: lines.iter().map(|l| l.seconds).sum(),
            total_cost: lines.iter().map(|l| l.cost).sum(),
            lines,
        })
    }

    /// A project's billed seconds and cost per instance and type within `from`..`to`.
    pub(crate) async fn usage_lines(&self, project_id: Uuid, from: i64, to: i64) -> Result<Vec<UsageLine>> {
        let t = now();
        let intervals = self.store().usage_intervals(project_id, from, to).await?;
        // (instance, type) -> (instance name, billed microseconds)
        let mut per: BTreeMap<(Uuid, Uuid), (String, i64)> = BTreeMap::new();
        for i in intervals {
            let end = i.ended_at.unwrap_or(t);
            let micros = (end.min(to) - i.started_at.max(from)).max(0);
            let e = per.entry((i.instance_id, i.instance_type_id)).or_insert_with(|| (i.instance_name.clone(), 0));
            e.1 += micros;
        }
        let types: BTreeMap<Uuid, InstanceTypeRecord> =
            self.store().list_all::<InstanceTypeRecord>(&[]).await?.into_iter().map(|t| (t.id, t)).collect();
        let mut lines: Vec<UsageLine> = per
            .into_iter()
            .map(|((instance_id, type_id), (instance, micros))| {
                let (instance_type, price) =
                    types.get(&type_id).map_or((type_id.to_string(), 0.0), |t| (t.name.clone(), t.price_per_hour));
                let seconds = micros / 1_000_000;
                UsageLine {
                    instance_id,
                    instance,
                    instance_type,
                    seconds,
                    price_per_hour: price,
                    cost: billing::cost(seconds, price),
                }
            })
            .collect();
        let fees = self.management_lines(project_id, from, to, &lines).await?;
        lines.extend(fees);
        lines.sort_by(|a, b| (&a.instance, &a.instance_type).cmp(&(&b.instance, &b.instance_type)));
        Ok(lines)
    }
}

/// The usage report as CSV: one line per instance and type, then the total.
pub fn usage_csv(u: &Usage) -> String {
    let mut out = String::from("instance_id,instance,instance_type,seconds,price_per_hour,cost\n");
    for l in &u.lines {
        out.push_str(&format!(
            "{},{},{},{},{},{:.6}\n",
            l.instance_id, l.instance, l.instance_type, l.seconds, l.price_per_hour, l.cost
        ));
    }
    out.push_str(&format!(",total,,{},,{:.6}\n", u.total_seconds, u.total_cost));
    out
}
