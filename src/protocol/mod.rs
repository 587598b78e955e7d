//! Pure standards code (OpenID4VCI, OpenID4VP, SD-JWT VC, status lists, DIDs): no I/O,
//! no HTTP, no database. Filled by the protocol issues; empty in the foundation.
