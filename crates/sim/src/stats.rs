//! Call counters, kept with atomics so that counting never contends with the calls it
//! counts. `max_in_flight` is what shows whether gureum respects a per-connection
//! concurrency limit.

use crate::settings::Operation;
use serde::Serialize;
use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};

/// A snapshot of the provider's call counters since the driver was opened.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SimStats {
    pub calls_total: u64,
    /// Calls the provider is working on right now (a hanging call counts until it ends
    /// or the caller gives up on it).
    pub in_flight: u64,
    pub max_in_flight: u64,
    /// Calls by operation (`vm_create`…) and read (`get`, `list`, `find_by_tag`,
    /// `console_log`, `guest_facts`); only those called at least once.
    pub per_operation: BTreeMap<String, u64>,
}

/// A provider call, as counted.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Call {
    Op(Operation),
    Get,
    List,
    FindByTag,
    ConsoleLog,
    GuestFacts,
}

const READS: [Call; 5] = [Call::Get, Call::List, Call::FindByTag, Call::ConsoleLog, Call::GuestFacts];

impl Call {
    fn index(self) -> usize {
        let n = Operation::ALL.len();
        match self {
            Call::Op(op) => op as usize,
            Call::Get => n,
            Call::List => n + 1,
            Call::FindByTag => n + 2,
            Call::ConsoleLog => n + 3,
            Call::GuestFacts => n + 4,
        }
    }

    fn name(self) -> &'static str {
        match self {
            Call::Op(op) => op.as_str(),
            Call::Get => "get",
            Call::List => "list",
            Call::FindByTag => "find_by_tag",
            Call::ConsoleLog => "console_log",
            Call::GuestFacts => "guest_facts",
        }
    }
}

pub(crate) struct Stats {
    total: AtomicU64,
    in_flight: AtomicU64,
    max_in_flight: AtomicU64,
    counts: Vec<AtomicU64>,
}

/// Marks a call in flight until dropped, which also covers a caller that abandons the
/// call (a timeout drops the future).
pub(crate) struct InFlight<'a>(&'a Stats);

impl Drop for InFlight<'_> {
    fn drop(&mut self) {
        self.0.in_flight.fetch_sub(1, Relaxed);
    }
}

impl Stats {
    pub fn new() -> Stats {
        Stats {
            total: AtomicU64::new(0),
            in_flight: AtomicU64::new(0),
            max_in_flight: AtomicU64::new(0),
            counts: (0..Operation::ALL.len() + READS.len()).map(|_| AtomicU64::new(0)).collect(),
        }
    }

    pub fn enter(&self, call: Call) -> InFlight<'_> {
        self.total.fetch_add(1, Relaxed);
        self.counts[call.index()].fetch_add(1, Relaxed);
        let now = self.in_flight.fetch_add(1, Relaxed) + 1;
        self.max_in_flight.fetch_max(now, Relaxed);
        InFlight(self)
    }

    pub fn snapshot(&self) -> SimStats {
        let calls = Operation::ALL.iter().map(|op| Call::Op(*op)).chain(READS);
        SimStats {
            calls_total: self.total.load(Relaxed),
            in_flight: self.in_flight.load(Relaxed),
            max_in_flight: self.max_in_flight.load(Relaxed),
            per_operation: calls
                .map(|c| (c.name().to_string(), self.counts[c.index()].load(Relaxed)))
                .filter(|(_, n)| *n > 0)
                .collect(),
        }
    }
}
