//! A template made concrete for one run: counted instances expanded (`web` with a count
//! of 2 is `web-1` and `web-2`), each node with the nodes it needs first.

use super::graph::Graph;
use super::template::{Count, ResourceDoc, StackResourceKind, TemplateDoc};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StackNode {
    /// Unique in the stack; the resource is named after it.
    pub key: String,
    /// The template's resource it comes from.
    pub resource: String,
    pub kind: StackResourceKind,
    /// 1-based, for counted instances.
    pub index: Option<u32>,
    pub needs: Vec<String>,
}

impl TemplateDoc {
    /// The nodes of a run, where `count_of` gives a count parameter's value (validated
    /// by then).
    pub fn expand(&self, count_of: impl Fn(&str) -> u32) -> Vec<StackNode> {
        let keys_of = |key: &str| -> Vec<String> {
            match self.resources.get(key) {
                Some(ResourceDoc::Instance { count: Some(c), .. }) => {
                    let n = match c {
                        Count::Fixed(n) => *n,
                        Count::Parameter(p) => count_of(p),
                    };
                    (1..=n).map(|i| format!("{key}-{i}")).collect()
                }
                _ => vec![key.to_string()],
            }
        };
        let mut nodes = vec![];
        for (key, r) in &self.resources {
            let needs: Vec<String> = r.needs().into_iter().flat_map(keys_of).collect();
            let counted = matches!(r, ResourceDoc::Instance { count: Some(_), .. });
            for (i, node_key) in keys_of(key).into_iter().enumerate() {
                nodes.push(StackNode {
                    key: node_key,
                    resource: key.clone(),
                    kind: r.kind(),
                    index: counted.then_some(i as u32 + 1),
                    needs: needs.clone(),
                });
            }
        }
        nodes
    }
}

/// The graph of expanded nodes.
pub fn graph_of(nodes: &[StackNode]) -> Graph {
    Graph::new(nodes.iter().map(|n| (n.key.as_str(), n.needs.iter().map(String::as_str).collect())))
}
