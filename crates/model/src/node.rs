//! Nodes (hosts of a pool): whether one is reachable, from its heartbeats alone.

crate::spelled_enum! {
    /// A node is `ready` while its agent heartbeats; one that missed its heartbeats is
    /// `unreachable`. Nothing on it is deleted or failed for that: it becomes `ready`
    /// again when the heartbeats resume.
    pub enum NodeState {
        Ready => "ready",
        Unreachable => "unreachable",
    }
}

impl NodeState {
    /// The state of a node whose last heartbeat was at `last_heartbeat` (µs), judged at
    /// `now` with heartbeats older than `timeout_us` counting as missed. The server's own
    /// host has no agent to miss a beat (`remote` false): it is always ready.
    pub fn of(remote: bool, last_heartbeat: Option<i64>, now: i64, timeout_us: i64) -> NodeState {
        match (remote, last_heartbeat) {
            (false, _) => NodeState::Ready,
            (true, Some(at)) if now - at <= timeout_us => NodeState::Ready,
            (true, _) => NodeState::Unreachable,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::NodeState;

    #[test]
    fn a_remote_node_is_ready_only_while_it_heartbeats() {
        assert_eq!(NodeState::of(false, None, 100, 10), NodeState::Ready);
        assert_eq!(NodeState::of(true, None, 100, 10), NodeState::Unreachable);
        assert_eq!(NodeState::of(true, Some(95), 100, 10), NodeState::Ready);
        assert_eq!(NodeState::of(true, Some(80), 100, 10), NodeState::Unreachable);
    }
}
