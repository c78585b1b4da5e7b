//! A stack's dependency graph: the order resources are made in (and returned in,
//! reversed), cycles refused, and the critical path that bounds how fast a stack can be
//! made when independent resources are made at once.

use std::collections::{BTreeMap, BTreeSet};

/// Nodes by key, each with the keys it depends on.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Graph {
    deps: BTreeMap<String, BTreeSet<String>>,
}

impl Graph {
    /// A graph of `nodes`; a dependency on a key that is not a node is ignored.
    pub fn new<'a>(nodes: impl IntoIterator<Item = (&'a str, Vec<&'a str>)>) -> Self {
        let nodes: Vec<_> = nodes.into_iter().collect();
        let keys: BTreeSet<&str> = nodes.iter().map(|(k, _)| *k).collect();
        let deps = nodes
            .into_iter()
            .map(|(k, d)| (k.to_string(), d.into_iter().filter(|d| keys.contains(d)).map(str::to_string).collect()))
            .collect();
        Graph { deps }
    }

    pub fn deps(&self, key: &str) -> impl Iterator<Item = &str> {
        self.deps.get(key).into_iter().flatten().map(String::as_str)
    }

    /// The nodes that depend on `key`.
    pub fn dependents<'a>(&'a self, key: &'a str) -> impl Iterator<Item = &'a str> {
        self.deps.iter().filter(move |(_, d)| d.contains(key)).map(|(k, _)| k.as_str())
    }

    pub fn keys(&self) -> impl Iterator<Item = &str> {
        self.deps.keys().map(String::as_str)
    }

    /// `(from, to)` for every dependency: `to` must exist before `from`.
    pub fn edges(&self) -> Vec<(String, String)> {
        self.deps.iter().flat_map(|(k, d)| d.iter().map(move |d| (k.clone(), d.clone()))).collect()
    }

    /// Every node after those it depends on; `Err` names a cycle (`a → b → a`).
    pub fn order(&self) -> Result<Vec<String>, Vec<String>> {
        let mut done: BTreeSet<&str> = BTreeSet::new();
        let mut order = Vec::with_capacity(self.deps.len());
        while order.len() < self.deps.len() {
            let ready: Vec<&str> = self
                .deps
                .iter()
                .filter(|(k, d)| !done.contains(k.as_str()) && d.iter().all(|d| done.contains(d.as_str())))
                .map(|(k, _)| k.as_str())
                .collect();
            if ready.is_empty() {
                return Err(self.a_cycle(&done));
            }
            for k in ready {
                done.insert(k);
                order.push(k.to_string());
            }
        }
        Ok(order)
    }

    /// Walks dependencies from a node left over by `order` until one repeats.
    fn a_cycle(&self, done: &BTreeSet<&str>) -> Vec<String> {
        let mut at = self.deps.keys().find(|k| !done.contains(k.as_str())).expect("a node is left").as_str();
        let mut path: Vec<&str> = vec![];
        loop {
            if let Some(i) = path.iter().position(|p| *p == at) {
                let mut cycle: Vec<String> = path[i..].iter().map(|s| s.to_string()).collect();
                cycle.push(at.to_string());
                return cycle;
            }
            path.push(at);
            at = self.deps[at]
                .iter()
                .find(|d| !done.contains(d.as_str()))
                .expect("a left node waits on another")
                .as_str();
        }
    }

    /// The longest chain of `cost`s through dependencies, and its nodes (first made
    /// first): what a stack takes at best when independent nodes run at once.
    pub fn critical_path(&self, cost: impl Fn(&str) -> u64) -> (u64, Vec<String>) {
        self.longest(cost, |g, k| g.deps(k).map(str::to_string).collect())
    }

    /// The same for a return: a node goes only after everything that depends on it.
    pub fn reverse_critical_path(&self, cost: impl Fn(&str) -> u64) -> (u64, Vec<String>) {
        self.longest(cost, |g, k| g.dependents(k).map(str::to_string).collect())
    }

    fn longest(&self, cost: impl Fn(&str) -> u64, before: impl Fn(&Self, &str) -> Vec<String>) -> (u64, Vec<String>) {
        // A cyclic graph has no critical path; callers validate first.
        let Ok(mut pending) = self.order() else { return (0, vec![]) };
        let mut best: BTreeMap<String, (u64, Option<String>)> = BTreeMap::new();
        // Settle nodes whose predecessors are all settled, until none is left.
        while !pending.is_empty() {
            let mut rest = vec![];
            for k in pending {
                let preds = before(self, &k);
                if preds.iter().all(|p| best.contains_key(p)) {
                    let from = preds.iter().max_by_key(|p| best[*p].0).cloned();
                    let start = from.as_ref().map_or(0, |p| best[p].0);
                    best.insert(k.clone(), (start + cost(&k), from));
                } else {
                    rest.push(k);
                }
            }
            pending = rest;
        }
        let Some((end, (total, _))) = best.iter().max_by_key(|(_, (t, _))| *t) else { return (0, vec![]) };
        let mut path = vec![end.clone()];
        while let Some(Some(prev)) = best.get(path.last().expect("non-empty")).map(|(_, p)| p.clone()) {
            path.push(prev);
        }
        path.reverse();
        (*total, path)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stack() -> Graph {
        // sg ← web-1, web-2 ← lb
        Graph::new([("sg", vec![]), ("web-1", vec!["sg"]), ("web-2", vec!["sg"]), ("lb", vec!["web-1", "web-2", "sg"])])
    }

    #[test]
    fn dependencies_come_first() {
        let order = stack().order().unwrap();
        let at = |k: &str| order.iter().position(|o| o == k).unwrap();
        assert!(at("sg") < at("web-1") && at("web-2") < at("lb"));
    }

    #[test]
    fn a_cycle_is_named() {
        let g = Graph::new([("a", vec!["b"]), ("b", vec!["c"]), ("c", vec!["a"]), ("d", vec![])]);
        let cycle = g.order().unwrap_err();
        assert_eq!(cycle.first(), cycle.last());
        assert_eq!(cycle.len(), 4, "{cycle:?}");
    }

    #[test]
    fn the_critical_path_is_the_longest_chain() {
        let cost = |k: &str| if k == "web-2" { 50 } else { 10 };
        let (total, path) = stack().critical_path(cost);
        assert_eq!((total, path), (70, vec!["sg".to_string(), "web-2".into(), "lb".into()]));
    }

    #[test]
    fn a_return_goes_the_other_way() {
        let cost = |k: &str| if k == "web-1" { 30 } else { 5 };
        let (total, path) = stack().reverse_critical_path(cost);
        assert_eq!((total, path), (40, vec!["lb".to_string(), "web-1".into(), "sg".into()]));
    }

    #[test]
    fn independent_nodes_overlap() {
        let g = Graph::new([("a", vec![]), ("b", vec![]), ("c", vec![])]);
        assert_eq!(g.critical_path(|_| 7).0, 7);
    }
}
