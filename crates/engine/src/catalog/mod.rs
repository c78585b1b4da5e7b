//! What the catalog offers: instance types and images.

pub(crate) mod images;
pub(crate) mod instance_types;
