//! Background loops: reconciliation against the providers.

pub(crate) mod reconciler;
