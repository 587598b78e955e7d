//! The environment's own identifiers.
//!
//! An environment `{env}` served under `{public_url}` is `did:web:{host}{:path…}:{env}`
//! (a port is percent-encoded into the host, `localhost%3A8080`), whose document lives at
//! `{public_url}/{env}/did.json`. Its published signing keys become `JsonWebKey2020`
//! verification methods with the key's thumbprint as fragment. Each key is also a
//! `did:jwk` on its own.

use identity_kit::did::{Did, DidDocument};
use identity_kit::jose::Jwk;
use identity_kit::methods::jwk::DidJwk;
use identity_kit::methods::web::{DidWeb, did_from_url};
use identity_kit::resolver::DidProducer;
use url::Url;

/// The `did:web` of environment `env`, or why there is none (the public URL names an IP
/// address, which `did:web` forbids).
pub fn environment_did_web(public_url: &str, env: &str) -> Result<Did, String> {
    let mut url = Url::parse(&format!("{public_url}/{env}"))
        .map_err(|e| format!("public URL does not parse: {e}"))?;
    // The DID names the host and path; the scheme used to reach them in development
    // (plain http on localhost) does not change it.
    if url.scheme() == "http" {
        url.set_scheme("https")
            .map_err(|()| "cannot map the URL to https".to_string())?;
    }
    did_from_url(&url).map_err(|e| e.to_string())
}

/// The DID document of `did` publishing `keys` (each with a `kid`).
pub async fn web_document(did: &Did, keys: &[Jwk]) -> Result<DidDocument, String> {
    let location = identity_kit::methods::web::document_url(did).map_err(|e| e.to_string())?;
    DidWeb::new(NoFetch)
        .produce(keys, location)
        .await
        .map_err(|e| e.to_string())
}

/// The `did:jwk` of one public key.
pub fn jwk_did(jwk: &Jwk) -> Result<Did, String> {
    DidJwk::did(&jwk.public()).map_err(|e| e.to_string())
}

/// Producing a document never fetches; `DidWeb` only needs a client type.
struct NoFetch;

#[async_trait::async_trait]
impl identity_kit::methods::web::HttpClient for NoFetch {
    async fn get(
        &self,
        _url: &Url,
    ) -> Result<identity_kit::methods::web::HttpResponse, identity_kit::methods::web::HttpError>
    {
        Err(identity_kit::methods::web::HttpError::msg(
            "document production does not fetch",
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ports_are_percent_encoded_and_paths_become_segments() {
        let env = "0193a3c4-0000-7000-8000-000000000001";
        assert_eq!(
            environment_did_web("https://issuer.example", env)
                .unwrap()
                .as_str(),
            format!("did:web:issuer.example:{env}")
        );
        assert_eq!(
            environment_did_web("http://localhost:8080", env)
                .unwrap()
                .as_str(),
            format!("did:web:localhost%3A8080:{env}")
        );
        assert_eq!(
            environment_did_web("https://h.example/vouch", env)
                .unwrap()
                .as_str(),
            format!("did:web:h.example:vouch:{env}")
        );
        assert!(environment_did_web("http://127.0.0.1:8080", env).is_err());
    }
}
