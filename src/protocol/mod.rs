//! Standards code (OpenID4VCI, OpenID4VP, SD-JWT VC, status lists, DIDs). Pure where it
//! can be: the one exception is the DID resolver, whose `did:web` method fetches
//! documents through identity-kit's hardened HTTPS client.

pub mod did;
pub mod formats;
pub mod oid4vci;
pub mod oid4vp;
pub mod qr;
pub mod sd_jwt_vc;
pub mod siopv2;
pub mod status;
