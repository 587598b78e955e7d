//! SD-JWT VC (IETF draft): type metadata for the `vct` of each credential type.

pub mod type_metadata;
