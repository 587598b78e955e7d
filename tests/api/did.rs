//! DIDs: vouch's resolver against published did:key, did:jwk and did:web vectors
//! (`tests/vectors/did/`), the environment's own `did:web` and `did:jwk` resolved by vouch,
//! and the same identifiers resolved by third-party resolvers from npm
//! (`conformance/did/resolve.mjs`).

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use identity_kit::did::{Did, DidDocument, VerificationRelationship};
use identity_kit::jose::Jwk;
use identity_kit::methods::web::{did_from_url, document_url};
use serde_json::{Value, json};
use url::Url;
use vouch::protocol::did::resolver::KeyUse;
use vouch::protocol::did::{DidResolver, ResolveError, environment_did_web, jwk_did};

use crate::backend_tests;
use crate::common::{Backend, TestServer};

// ---------------------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------------------

fn repo_path(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(rel)
}

fn vectors(file: &str) -> Value {
    let path = repo_path("tests/vectors/did").join(file);
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn resolver() -> DidResolver {
    DidResolver::new(true).expect("resolver")
}

/// The public key material of a JWK: `kty`, `crv`, `x` and `y` (absent members as null).
fn material(jwk: &Value) -> Value {
    json!({"kty": jwk["kty"], "crv": jwk["crv"], "x": jwk["x"], "y": jwk["y"]})
}

fn jwk_material(jwk: &Jwk) -> Value {
    material(&serde_json::to_value(jwk).expect("a JWK serializes"))
}

/// The key of a verification method as a JWK, whichever way the document carries it.
fn method_key(method: &identity_kit::did::VerificationMethod) -> Jwk {
    method
        .public_key_jwk()
        .cloned()
        .or_else(|| {
            method
                .public_key_multibase()
                .map(|m| Jwk::from_multikey(m).expect("publicKeyMultibase decodes"))
        })
        .unwrap_or_else(|| panic!("verification method {} has no key", method.id))
}

/// Base58 (Bitcoin alphabet) as the did:key test vectors use for `publicKeyBase58`.
fn base58_decode(s: &str) -> Vec<u8> {
    const ALPHABET: &[u8] = b"123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz";
    let mut bytes: Vec<u8> = Vec::new(); // little-endian
    for c in s.bytes() {
        let mut carry = ALPHABET
            .iter()
            .position(|&a| a == c)
            .unwrap_or_else(|| panic!("{c:?} is not base58")) as u32;
        for b in bytes.iter_mut() {
            carry += u32::from(*b) * 58;
            *b = (carry & 0xff) as u8;
            carry >>= 8;
        }
        while carry > 0 {
            bytes.push((carry & 0xff) as u8);
            carry >>= 8;
        }
    }
    let zeros = s.bytes().take_while(|&c| c == b'1').count();
    bytes.extend(std::iter::repeat_n(0, zeros));
    bytes.reverse();
    bytes
}

/// Checks `got` against a did:key vector: its `publicKeyJwk` exactly (kty/crv/x/y) and its
/// `publicKeyBase58` (Ed25519: the raw key is `x`; P-256 and secp256k1: a compressed point,
/// whose x is `x` and whose prefix 02/03 is the parity of `y`).
#[track_caller]
fn assert_vector_key(vector: &Value, got: &Jwk, context: &str) {
    let did = vector["did"].as_str().unwrap();
    let got_m = jwk_material(got);
    let key_type = vector["keyType"].as_str().unwrap();
    let (kty, crv) = match key_type {
        "Ed25519" => ("OKP", "Ed25519"),
        "P-256" => ("EC", "P-256"),
        "secp256k1" => ("EC", "secp256k1"),
        other => panic!("no expectations for {other}"),
    };
    assert_eq!(got_m["kty"], kty, "{did} ({context}): {got_m}");
    assert_eq!(got_m["crv"], crv, "{did} ({context}): {got_m}");
    assert!(
        vector.get("publicKeyJwk").is_some() || vector.get("publicKeyBase58").is_some(),
        "{did}: the vector has no expected key"
    );
    if let Some(expected) = vector.get("publicKeyJwk") {
        assert_eq!(got_m, material(expected), "{did} ({context})");
    }
    if let Some(b58) = vector["publicKeyBase58"].as_str() {
        let raw = base58_decode(b58);
        let x = URL_SAFE_NO_PAD
            .decode(got_m["x"].as_str().expect("x"))
            .expect("x is base64url");
        if key_type == "Ed25519" {
            assert_eq!(raw.len(), 32, "{did}: vector key length");
            assert_eq!(x, raw, "{did} ({context}): x is the raw Ed25519 key");
            assert!(got_m["y"].is_null(), "{did} ({context}): no y for OKP");
        } else {
            assert_eq!(raw.len(), 33, "{did}: a compressed point");
            assert!(matches!(raw[0], 2 | 3), "{did}: compressed point prefix");
            assert_eq!(x, raw[1..], "{did} ({context}): x of the compressed point");
            let y = URL_SAFE_NO_PAD
                .decode(got_m["y"].as_str().expect("y"))
                .expect("y is base64url");
            assert_eq!(y.len(), 32, "{did} ({context}): y length");
            assert_eq!(
                y[31] & 1,
                raw[0] & 1,
                "{did} ({context}): parity of y matches the compressed point"
            );
        }
    }
}

/// Names of the relationships under which `document` lists `fragment`.
fn relationships_of(document: &DidDocument, fragment: &str) -> BTreeSet<String> {
    VerificationRelationship::ALL
        .iter()
        .filter(|rel| {
            document
                .methods(Some(**rel))
                .any(|m| m.id.fragment() == Some(fragment))
        })
        .map(|rel| rel.as_str().to_string())
        .collect()
}

// ---------------------------------------------------------------------------------------
// Published vectors
// ---------------------------------------------------------------------------------------

#[actix_web::test]
async fn did_key_vectors_resolve_to_the_published_keys() {
    let file = vectors("did-key.json");
    let resolver = resolver();
    let list = file["vectors"].as_array().unwrap();
    let types: BTreeSet<&str> = list
        .iter()
        .map(|v| v["keyType"].as_str().unwrap())
        .collect();
    assert_eq!(
        types,
        BTreeSet::from(["Ed25519", "P-256", "secp256k1"]),
        "every supported key type has vectors"
    );
    for vector in list {
        let did = vector["did"].as_str().unwrap();
        assert!(vector["source"].as_str().is_some(), "{did}: source");
        let multibase = did.strip_prefix("did:key:").unwrap();

        let document = resolver
            .resolve(did)
            .await
            .unwrap_or_else(|e| panic!("{did}: {e}"));
        assert_eq!(document.id.as_str(), did);
        let methods: Vec<_> = document.methods(None).collect();
        assert_eq!(methods.len(), 1, "{did}: one verification method");
        assert_eq!(
            methods[0].id.fragment(),
            Some(multibase),
            "{did}: the fragment is the multibase key"
        );
        assert_vector_key(vector, &method_key(methods[0]), "document");

        for key_use in [KeyUse::Holder, KeyUse::Issuer] {
            let key = resolver
                .resolve_key(did, key_use)
                .await
                .unwrap_or_else(|e| panic!("{did} {key_use:?}: {e}"));
            assert!(!key.is_private());
            assert_vector_key(vector, &key, &format!("resolve_key {key_use:?}"));
            let url = format!("{did}#{multibase}");
            let key = resolver
                .resolve_key(&url, key_use)
                .await
                .unwrap_or_else(|e| panic!("{url} {key_use:?}: {e}"));
            assert_vector_key(vector, &key, &format!("resolve_key #fragment {key_use:?}"));
        }
    }
}

#[actix_web::test]
async fn did_key_vectors_of_unsupported_curves_fail_cleanly() {
    let file = vectors("did-key.json");
    let resolver = resolver();
    let unsupported = file["unsupported"].as_array().unwrap();
    assert!(!unsupported.is_empty());
    for vector in unsupported {
        let did = vector["did"].as_str().unwrap();
        let resolved = resolver.resolve(did).await;
        assert!(
            matches!(resolved, Err(ResolveError::Resolution { .. })),
            "{did} ({}) must not resolve: {resolved:?}",
            vector["keyType"]
        );
        let key = resolver.resolve_key(did, KeyUse::Holder).await;
        assert!(key.is_err(), "{did}: {key:?}");
    }
}

#[actix_web::test]
async fn did_jwk_spec_examples_resolve_to_their_keys() {
    let file = vectors("did-jwk.json");
    let resolver = resolver();
    for vector in file["vectors"].as_array().unwrap() {
        let did = vector["did"].as_str().unwrap();
        let expected = &vector["publicKeyJwk"];
        let document = resolver
            .resolve(did)
            .await
            .unwrap_or_else(|e| panic!("{did}: {e}"));
        assert_eq!(document.id.as_str(), did);
        let methods: Vec<_> = document.methods(None).collect();
        assert_eq!(methods.len(), 1, "{did}: one verification method");
        assert_eq!(
            methods[0].id.to_string(),
            vector["didUrl"].as_str().unwrap()
        );
        let jwk = serde_json::to_value(method_key(methods[0])).unwrap();
        assert_eq!(material(&jwk), material(expected), "{did}");
        assert_eq!(jwk.get("use"), expected.get("use"), "{did}: use");

        let expected_rels: BTreeSet<String> = vector["relationships"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r.as_str().unwrap().to_string())
            .collect();
        assert_eq!(relationships_of(&document, "0"), expected_rels, "{did}");

        let signs = expected_rels.contains("authentication");
        for (key_use, rel) in [
            (KeyUse::Holder, "authentication"),
            (KeyUse::Issuer, "assertionMethod"),
        ] {
            for url in [did.to_string(), format!("{did}#0")] {
                let key = resolver.resolve_key(&url, key_use).await;
                if expected_rels.contains(rel) {
                    let key = key.unwrap_or_else(|e| panic!("{url} {key_use:?}: {e}"));
                    assert_eq!(jwk_material(&key), material(expected), "{url}");
                } else {
                    assert!(
                        matches!(key, Err(ResolveError::NoKey { .. })),
                        "{url}: a key for {} only is not a {key_use:?} key: {key:?}",
                        expected_rels.iter().cloned().collect::<Vec<_>>().join(",")
                    );
                }
            }
        }

        // The spec's P-256 DID is the JCS serialization vouch itself produces.
        if signs {
            let jwk: Jwk = serde_json::from_value(expected.clone()).unwrap();
            assert_eq!(jwk_did(&jwk).unwrap().as_str(), did);
        }
    }
}

#[test]
fn did_web_spec_examples_map_to_document_urls_and_back() {
    let file = vectors("did-web.json");
    for mapping in file["mappings"].as_array().unwrap() {
        let did = mapping["did"].as_str().unwrap();
        let url = mapping["url"].as_str().unwrap();
        let parsed = Did::parse(did).unwrap_or_else(|e| panic!("{did}: {e}"));
        assert_eq!(document_url(&parsed).unwrap().as_str(), url, "{did}");
        let back = did_from_url(&Url::parse(url).unwrap()).unwrap();
        assert_eq!(back.as_str(), did, "{url}");

        // vouch names an environment `{public_url}/{env}`: the DID of a path-style example
        // is the environment DID of its last segment under the rest of the URL.
        if let Some(dir) = url.strip_suffix("/did.json")
            && !dir.ends_with("/.well-known")
        {
            let (public_url, env) = dir.rsplit_once('/').unwrap();
            assert_eq!(
                environment_did_web(public_url, env).unwrap().as_str(),
                did,
                "environment_did_web({public_url}, {env})"
            );
        }
    }
    for example in file["dids"].as_array().unwrap() {
        let did = example["did"].as_str().unwrap();
        let url = document_url(&Did::parse(did).unwrap()).unwrap();
        assert_eq!(url.scheme(), "https", "{did}");
        assert!(url.path().ends_with("/did.json"), "{did} → {url}");
        assert_eq!(did_from_url(&url).unwrap().as_str(), did, "{url}");
    }
}

#[test]
fn the_environment_did_web_of_the_test_server_url() {
    let env = "0193a3c4-0000-7000-8000-000000000001";
    assert_eq!(
        environment_did_web("http://localhost:8080", env)
            .unwrap()
            .as_str(),
        format!("did:web:localhost%3A8080:{env}")
    );
    let did = Did::parse(&format!("did:web:localhost%3A8080:{env}")).unwrap();
    assert_eq!(
        document_url(&did).unwrap().as_str(),
        format!("https://localhost:8080/{env}/did.json")
    );
}

// ---------------------------------------------------------------------------------------
// Negative cases without a server
// ---------------------------------------------------------------------------------------

#[actix_web::test]
async fn malformed_and_unsupported_dids_are_errors() {
    let resolver = resolver();
    for did in [
        "did:key:z1",
        "did:key:z",
        "did:key:zzzz",
        "did:jwk:e30",
        "did:jwk:!!",
    ] {
        assert!(resolver.resolve(did).await.is_err(), "{did}");
        assert!(
            resolver.resolve_key(did, KeyUse::Holder).await.is_err(),
            "{did}"
        );
        let url = format!("{did}#0");
        assert!(
            resolver.resolve_key(&url, KeyUse::Holder).await.is_err(),
            "{url}"
        );
    }
    for not_a_did in ["", "did:", "key:z6Mk", "did:key:", "http://example.com"] {
        assert!(
            matches!(
                resolver.resolve(not_a_did).await,
                Err(ResolveError::Malformed(_))
            ),
            "{not_a_did:?}"
        );
    }
    for url in ["did:example:123", "did:example:123#key-1"] {
        let key = resolver.resolve_key(url, KeyUse::Issuer).await;
        assert!(
            matches!(key, Err(ResolveError::UnsupportedMethod(_))),
            "{url}: {key:?}"
        );
    }
    assert!(matches!(
        resolver.resolve("did:example:123").await,
        Err(ResolveError::UnsupportedMethod(_))
    ));
}

#[actix_web::test]
async fn a_fragment_that_is_not_in_the_document_names_no_key() {
    let resolver = resolver();
    let file = vectors("did-key.json");
    let did = file["vectors"][0]["did"].as_str().unwrap();
    let key = resolver
        .resolve_key(&format!("{did}#not-a-key"), KeyUse::Holder)
        .await;
    assert!(matches!(key, Err(ResolveError::NoKey { .. })), "{key:?}");
    let jwk = vectors("did-jwk.json");
    let did = jwk["vectors"][0]["did"].as_str().unwrap();
    let key = resolver
        .resolve_key(&format!("{did}#1"), KeyUse::Issuer)
        .await;
    assert!(matches!(key, Err(ResolveError::NoKey { .. })), "{key:?}");
}

// ---------------------------------------------------------------------------------------
// The environment's own DIDs
// ---------------------------------------------------------------------------------------

/// The environment's published credential keys, from its public JWKS.
async fn credential_jwks(s: &TestServer, env: &str) -> Vec<Value> {
    let jwks = s.get_as("", &format!("/{env}/jwks")).await.expect(200);
    jwks.json["keys"].as_array().expect("keys").clone()
}

/// The credential keys of the environment's management API, newest first.
async fn credential_signing_keys(s: &TestServer) -> Vec<Value> {
    let list = s.get(&s.env_path("/signingKeys")).await.expect(200);
    list.json["_embedded"]["signingKeys"]
        .as_array()
        .expect("signingKeys")
        .iter()
        .filter(|k| k["purpose"] == "CREDENTIAL_SIGNING")
        .cloned()
        .collect()
}

fn env_did(s: &TestServer) -> String {
    environment_did_web(&s.base, &s.admin.env)
        .expect("the test server has a did:web")
        .to_string()
}

/// `{fragment: key material}` of the methods of `document` for `rel`.
fn keys_by_fragment(
    document: &DidDocument,
    rel: Option<VerificationRelationship>,
) -> Vec<(String, Value)> {
    let mut keys: Vec<_> = document
        .methods(rel)
        .map(|m| {
            (
                m.id.fragment().expect("a fragment").to_string(),
                jwk_material(&method_key(m)),
            )
        })
        .collect();
    keys.sort_by(|a, b| a.0.cmp(&b.0));
    keys
}

fn jwks_by_kid(keys: &[Value]) -> Vec<(String, Value)> {
    let mut keys: Vec<_> = keys
        .iter()
        .map(|k| (k["kid"].as_str().expect("kid").to_string(), material(k)))
        .collect();
    keys.sort_by(|a, b| a.0.cmp(&b.0));
    keys
}

async fn environment_did_web_resolves_to_the_credential_key(s: TestServer) {
    let env = s.admin.env.clone();
    let did = env_did(&s);
    let port = s.base.rsplit(':').next().unwrap();
    assert_eq!(did, format!("did:web:localhost%3A{port}:{env}"));

    let served = s.get_as("", &format!("/{env}/did.json")).await.expect(200);
    assert_eq!(
        served.header("content-type"),
        Some("application/did+json"),
        "{}",
        served.text
    );
    assert_eq!(served.json["id"], did.as_str());

    let jwks = credential_jwks(&s, &env).await;
    assert_eq!(jwks.len(), 1, "a fresh environment has one credential key");
    let kid = jwks[0]["kid"].as_str().expect("kid").to_string();
    assert!(jwks[0].get("d").is_none(), "public keys only");

    let resolver = resolver();
    let document = resolver
        .resolve(&did)
        .await
        .unwrap_or_else(|e| panic!("{did}: {e}"));
    assert_eq!(document.id.as_str(), did);
    assert_eq!(keys_by_fragment(&document, None), jwks_by_kid(&jwks));
    assert_eq!(
        keys_by_fragment(&document, Some(VerificationRelationship::AssertionMethod)),
        jwks_by_kid(&jwks),
        "credential keys are assertion methods"
    );

    // The key by DID URL, and by the bare DID while the document has a single key.
    let did_url = format!("{did}#{kid}");
    let key = resolver
        .resolve_key(&did_url, KeyUse::Issuer)
        .await
        .unwrap_or_else(|e| panic!("{did_url}: {e}"));
    assert_eq!(jwk_material(&key), material(&jwks[0]));
    assert!(!key.is_private());
    let key = resolver
        .resolve_key(&did, KeyUse::Issuer)
        .await
        .unwrap_or_else(|e| panic!("{did}: {e}"));
    assert_eq!(jwk_material(&key), material(&jwks[0]));

    // The management API names the same key: its didUrl and its did:jwk.
    let keys = credential_signing_keys(&s).await;
    let active: Vec<_> = keys.iter().filter(|k| k["status"] == "ACTIVE").collect();
    assert_eq!(active.len(), 1, "{keys:?}");
    let active = active[0];
    assert_eq!(active["id"], kid.as_str());
    assert_eq!(material(&active["publicJwk"]), material(&jwks[0]));
    assert_eq!(active["didUrl"], did_url.as_str());
    let did_jwk = active["didJwk"].as_str().expect("didJwk");
    assert!(did_jwk.starts_with("did:jwk:"), "{did_jwk}");
    for key_use in [KeyUse::Issuer, KeyUse::Holder] {
        for url in [did_jwk.to_string(), format!("{did_jwk}#0")] {
            let key = resolver
                .resolve_key(&url, key_use)
                .await
                .unwrap_or_else(|e| panic!("{url}: {e}"));
            assert_eq!(jwk_material(&key), material(&jwks[0]), "{url}");
        }
    }
    let key: Jwk = serde_json::from_value(jwks[0].clone()).unwrap();
    assert_eq!(jwk_did(&key).unwrap().as_str(), did_jwk);
}

async fn rotation_publishes_old_and_new_keys(s: TestServer) {
    let env = s.admin.env.clone();
    let did = env_did(&s);
    let before = credential_jwks(&s, &env).await;
    assert_eq!(before.len(), 1);
    let old_kid = before[0]["kid"].as_str().unwrap().to_string();

    let rotated = s
        .post(&s.env_path("/signingKeys"), json!({}))
        .await
        .expect(201);
    assert_eq!(rotated.json["purpose"], "CREDENTIAL_SIGNING");
    assert_eq!(rotated.json["status"], "ACTIVE");
    let new_kid = rotated.str("/id");
    assert_ne!(new_kid, old_kid);
    assert_eq!(
        rotated.json["didUrl"],
        format!("{did}#{new_kid}").as_str(),
        "{}",
        rotated.text
    );

    let after = credential_jwks(&s, &env).await;
    assert_eq!(after.len(), 2, "the old key stays published: {after:?}");

    // did.json as served lists both, under their kids.
    let served = s.get_as("", &format!("/{env}/did.json")).await.expect(200);
    let ids: BTreeSet<String> = served.json["verificationMethod"]
        .as_array()
        .expect("verificationMethod")
        .iter()
        .map(|m| m["id"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(
        ids,
        BTreeSet::from([format!("{did}#{old_kid}"), format!("{did}#{new_kid}")]),
        "{}",
        served.text
    );

    // A fresh resolver (documents are cached) sees both, and each resolves by its DID URL.
    let resolver = resolver();
    let document = resolver.resolve(&did).await.expect("did:web resolves");
    assert_eq!(keys_by_fragment(&document, None), jwks_by_kid(&after));
    for kid in [&old_kid, &new_kid] {
        let url = format!("{did}#{kid}");
        let key = resolver
            .resolve_key(&url, KeyUse::Issuer)
            .await
            .unwrap_or_else(|e| panic!("{url}: {e}"));
        let published = after.iter().find(|k| k["kid"] == kid.as_str()).unwrap();
        assert_eq!(jwk_material(&key), material(published), "{url}");
    }
    // With two keys the bare DID no longer names one.
    let bare = resolver.resolve_key(&did, KeyUse::Issuer).await;
    assert!(matches!(bare, Err(ResolveError::NoKey { .. })), "{bare:?}");

    // The management API agrees: one active, one retired, and their DID URLs.
    let keys = credential_signing_keys(&s).await;
    let status = |kid: &str| {
        keys.iter()
            .find(|k| k["id"] == kid)
            .map(|k| k["status"].as_str().unwrap().to_string())
    };
    assert_eq!(status(&new_kid).as_deref(), Some("ACTIVE"));
    assert_eq!(status(&old_kid).as_deref(), Some("RETIRED"));
    for key in &keys {
        let kid = key["id"].as_str().unwrap();
        assert_eq!(key["didUrl"], format!("{did}#{kid}").as_str());
    }

    // An EdDSA key is published and resolves as well, by did:web and by did:jwk.
    let ed = s
        .post(&s.env_path("/signingKeys"), json!({"algorithm": "EdDSA"}))
        .await
        .expect(201);
    assert_eq!(ed.json["publicJwk"]["crv"], "Ed25519");
    let ed_url = ed.str("/didUrl");
    let key = DidResolver::new(true)
        .unwrap()
        .resolve_key(&ed_url, KeyUse::Issuer)
        .await
        .unwrap_or_else(|e| panic!("{ed_url}: {e}"));
    assert_eq!(jwk_material(&key), material(&ed.json["publicJwk"]));
    let ed_jwk = ed.str("/didJwk");
    let key = resolver
        .resolve_key(&ed_jwk, KeyUse::Issuer)
        .await
        .unwrap_or_else(|e| panic!("{ed_jwk}: {e}"));
    assert_eq!(jwk_material(&key), material(&ed.json["publicJwk"]));
}

backend_tests!(
    environment_did_web_resolves_to_the_credential_key,
    rotation_publishes_old_and_new_keys,
);

#[actix_web::test]
async fn did_web_on_loopback_is_refused_unless_allowed() {
    let s = TestServer::start(Backend::Sqlite).await;
    let did = env_did(&s);
    // Reachable with loopback allowed…
    resolver()
        .resolve(&did)
        .await
        .unwrap_or_else(|e| panic!("{did}: {e}"));
    // …and refused by the production resolver.
    let strict = DidResolver::new(false).unwrap();
    let refused = strict.resolve(&did).await;
    assert!(
        matches!(refused, Err(ResolveError::Resolution { .. })),
        "{refused:?}"
    );
    let kid = credential_jwks(&s, &s.admin.env).await[0]["kid"]
        .as_str()
        .unwrap()
        .to_string();
    let refused = strict
        .resolve_key(&format!("{did}#{kid}"), KeyUse::Issuer)
        .await;
    assert!(refused.is_err(), "{refused:?}");
}

/// The refusal above must come from the loopback rule, not from https meeting a plain-http
/// server: a listener on localhost counts connections. The permissive resolver reaches it
/// (the control); the strict one never opens a connection.
#[actix_web::test]
async fn the_strict_resolver_never_connects_to_loopback() {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};

    let v4 = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = v4.local_addr().unwrap().port();
    let v6 = tokio::net::TcpListener::bind(("::1", port)).await.ok();
    let connections = Arc::new(AtomicUsize::new(0));
    for listener in std::iter::once(v4).chain(v6) {
        let connections = connections.clone();
        actix_web::rt::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                connections.fetch_add(1, Ordering::SeqCst);
                drop(stream);
            }
        });
    }
    let did = format!("did:web:localhost%3A{port}:some-environment");

    let refused = DidResolver::new(false).unwrap().resolve(&did).await;
    assert!(
        matches!(refused, Err(ResolveError::Resolution { .. })),
        "{refused:?}"
    );
    assert_eq!(
        connections.load(Ordering::SeqCst),
        0,
        "the strict resolver connected to loopback"
    );

    let allowed = resolver().resolve(&did).await;
    assert!(allowed.is_err(), "the listener serves no document");
    assert!(
        connections.load(Ordering::SeqCst) > 0,
        "control: the loopback-allowing resolver reaches the listener"
    );
}

#[actix_web::test]
async fn did_web_fragments_and_environments_that_do_not_exist() {
    let s = TestServer::start(Backend::Sqlite).await;
    let did = env_did(&s);
    let resolver = resolver();
    for fragment in ["no-such-key", "0", "key-0"] {
        let url = format!("{did}#{fragment}");
        let key = resolver.resolve_key(&url, KeyUse::Issuer).await;
        assert!(
            matches!(key, Err(ResolveError::NoKey { .. })),
            "{url}: {key:?}"
        );
    }

    let unknown = uuid::Uuid::new_v4().to_string();
    s.get_as("", &format!("/{unknown}/did.json"))
        .await
        .expect(404);
    let unknown_did = environment_did_web(&s.base, &unknown).unwrap().to_string();
    let resolved = resolver.resolve(&unknown_did).await;
    assert!(
        matches!(resolved, Err(ResolveError::Resolution { .. })),
        "{resolved:?}"
    );
    let key = resolver
        .resolve_key(&format!("{unknown_did}#x"), KeyUse::Issuer)
        .await;
    assert!(key.is_err(), "{key:?}");
}

// ---------------------------------------------------------------------------------------
// Independent resolvers (npm)
// ---------------------------------------------------------------------------------------

/// The DID document the third-party resolvers return for `did`.
async fn resolve_with_node(dir: &Path, did: &str) -> Value {
    let out = tokio::process::Command::new("node")
        .arg("resolve.mjs")
        .arg(did)
        .current_dir(dir)
        .output()
        .await
        .expect("node runs");
    assert!(
        out.status.success(),
        "node resolve.mjs {did} failed:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "node resolve.mjs {did} printed no JSON ({e}):\n{}",
            String::from_utf8_lossy(&out.stdout)
        )
    })
}

/// `(fragment, key material)` of every verification method of a JSON DID document.
fn json_document_keys(document: &Value, did: &str) -> Vec<(String, Value)> {
    let mut keys: Vec<_> = document["verificationMethod"]
        .as_array()
        .unwrap_or_else(|| panic!("no verificationMethod: {document}"))
        .iter()
        .map(|m| {
            let id = m["id"].as_str().expect("method id");
            let fragment = id
                .strip_prefix(did)
                .and_then(|rest| rest.strip_prefix('#'))
                .unwrap_or_else(|| panic!("{id} is not a DID URL of {did}"));
            assert_eq!(m["controller"], did, "{m}");
            (fragment.to_string(), material(&m["publicKeyJwk"]))
        })
        .collect();
    keys.sort_by(|a, b| a.0.cmp(&b.0));
    keys
}

#[actix_web::test]
async fn independent_resolvers_agree_with_the_jwks() {
    let dir = crate::common::node_project("conformance/did");
    let s = TestServer::start(Backend::Sqlite).await;
    let env = s.admin.env.clone();
    // An ES256 key and, after a rotation, an EdDSA key: both published.
    s.post(&s.env_path("/signingKeys"), json!({"algorithm": "EdDSA"}))
        .await
        .expect(201);
    let jwks = credential_jwks(&s, &env).await;
    assert_eq!(jwks.len(), 2);
    let crvs: BTreeSet<&str> = jwks.iter().map(|k| k["crv"].as_str().unwrap()).collect();
    assert_eq!(crvs, BTreeSet::from(["Ed25519", "P-256"]));

    let did = env_did(&s);
    let document = resolve_with_node(&dir, &did).await;
    assert_eq!(document["id"], did.as_str(), "{document}");
    assert_eq!(json_document_keys(&document, &did), jwks_by_kid(&jwks));

    for key in credential_signing_keys(&s).await {
        let did_jwk = key["didJwk"].as_str().expect("didJwk");
        let document = resolve_with_node(&dir, did_jwk).await;
        assert_eq!(document["id"], did_jwk, "{document}");
        let published = jwks
            .iter()
            .find(|k| k["kid"] == key["id"])
            .expect("published");
        assert_eq!(
            json_document_keys(&document, did_jwk),
            vec![("0".to_string(), material(published))]
        );
    }
}

/// A resolver that cached the document before a rotation still finds the new key.
#[actix_web::test]
async fn a_rotated_key_is_found_through_a_warm_cache() {
    let s = TestServer::start(Backend::Sqlite).await;
    let did = env_did(&s);
    let before = s.ctx.resolver.resolve(&did).await.unwrap();
    let rotated = s
        .post(&s.env_path("/signingKeys"), json!({}))
        .await
        .expect(201);
    let kid = rotated.id();
    assert!(
        before
            .methods(None)
            .all(|m| !m.id.to_string().ends_with(&kid))
    );
    let key = s
        .ctx
        .resolver
        .resolve_key(&format!("{did}#{kid}"), KeyUse::Issuer)
        .await
        .unwrap();
    assert_eq!(jwk_material(&key), material(&rotated.json["publicJwk"]));
}
