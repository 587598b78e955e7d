//! Private keys never leave the key provider: a full run of the real binary at `trace`
//! log level is searched for every private key of the database, in every encoding a
//! leak would take, in its logs and in every response it gave.

use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use diesel::prelude::*;
use serde_json::{Value, json};

use crate::common::{BOOTSTRAP_SECRET, TempDir};
use crate::credential_types::managed_type;
use crate::process::{Proc, bootstrap_token, free_port};

/// The private scalar (P-256) or seed (Ed25519) inside a ring PKCS#8 document.
fn private_bytes(pkcs8: &[u8]) -> Vec<u8> {
    let find = |pattern: &[u8]| {
        pkcs8
            .windows(pattern.len())
            .position(|w| w == pattern)
            .map(|i| i + pattern.len())
    };
    let start = find(&[0x02, 0x01, 0x01, 0x04, 0x20])
        .or_else(|| find(&[0x04, 0x22, 0x04, 0x20]))
        .expect("a P-256 or Ed25519 PKCS#8 document");
    pkcs8[start..start + 32].to_vec()
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[actix_web::test]
async fn private_keys_never_appear_in_logs_or_responses() {
    let dir = TempDir::new();
    let port = free_port();
    let base = format!("http://localhost:{port}");
    let env = uuid::Uuid::new_v4().to_string();
    let client = uuid::Uuid::new_v4().to_string();
    let db = dir.0.join("leak.db").display().to_string();
    let envs = vec![
        ("VOUCH_DATABASE_URL", db.clone()),
        ("VOUCH_BIND", format!("127.0.0.1:{port}")),
        ("VOUCH_BOOTSTRAP_ENVIRONMENT_ID", env.clone()),
        ("VOUCH_BOOTSTRAP_CLIENT_ID", client.clone()),
        (
            "VOUCH_BOOTSTRAP_CLIENT_SECRET",
            BOOTSTRAP_SECRET.to_string(),
        ),
        ("VOUCH_LOG_LEVEL", "trace".to_string()),
        ("VOUCH_LOG_FORMAT", "json".to_string()),
    ];
    let mut server = Proc::spawn(&dir, "leak", &["serve"], &envs);
    server.wait_ready(&base).await;
    let http = crate::common::client();
    let token = bootstrap_token(&http, &base, &env, &client).await;
    let mut responses = String::new();
    let call = |method: reqwest::Method, path: String, body: Option<Value>| {
        let mut req = http
            .request(method, format!("{base}{path}"))
            .bearer_auth(&token);
        if let Some(body) = body {
            req = req.json(&body);
        }
        async move { req.send().await.unwrap().text().await.unwrap() }
    };
    let api = format!("/v1/environments/{env}");
    for (method, path, body) in [
        (
            reqwest::Method::POST,
            format!("{api}/signingKeys"),
            Some(json!({"algorithm": "EdDSA"})),
        ),
        (
            reqwest::Method::POST,
            format!("{api}/signingKeys"),
            Some(json!({"purpose": "ADMIN_TOKEN"})),
        ),
        (
            reqwest::Method::POST,
            format!("{api}/signingKeys"),
            Some(json!({"algorithm": "RS256"})),
        ),
        (reqwest::Method::GET, format!("{api}/signingKeys"), None),
        (reqwest::Method::GET, format!("/{env}/did.json"), None),
        (reqwest::Method::GET, format!("/{env}/jwks"), None),
        (reqwest::Method::GET, format!("/{env}/as/jwks"), None),
        (
            reqwest::Method::POST,
            "/v1/environments".to_string(),
            Some(json!({"name": "Second"})),
        ),
        (
            reqwest::Method::POST,
            format!("{api}/credentialTypes"),
            Some(managed_type("Leak check")),
        ),
        (reqwest::Method::GET, format!("{api}/credentialTypes"), None),
        (reqwest::Method::GET, format!("{api}/nothing"), None),
        (reqwest::Method::GET, "/v1/openapi.json".to_string(), None),
    ] {
        responses.push_str(&call(method, path, body).await);
    }
    // a fresh token after the admin key rotation signs with the new key
    responses.push_str(&bootstrap_token(&http, &base, &env, &client).await);
    server.kill();

    let (master, _) =
        vouch::keys::MasterKey::load_or_create(&dir.0.join("vouch.master.key")).unwrap();
    let mut conn = diesel::SqliteConnection::establish(&db).unwrap();
    use vouch::store::schema::signing_keys::dsl as k;
    let keys: Vec<(String, String)> = k::signing_keys
        .select((k::id, k::private_sealed))
        .load(&mut conn)
        .unwrap();
    assert_eq!(
        keys.len(),
        6,
        "two environments with two keys each, and two rotations"
    );
    let logs = format!("{}{}", server.stdout(), server.stderr());
    assert!(logs.lines().count() > 20, "the run logged at trace level");
    for (kid, sealed) in keys {
        assert!(
            !logs.contains(&sealed) && !responses.contains(&sealed),
            "sealed key {kid} leaked"
        );
        let pkcs8 = master.open(kid.as_bytes(), &sealed).unwrap();
        let secret = private_bytes(&pkcs8);
        for encoding in [
            URL_SAFE_NO_PAD.encode(&secret),
            STANDARD.encode(&secret),
            hex(&secret),
            STANDARD.encode(&pkcs8),
            URL_SAFE_NO_PAD.encode(&pkcs8),
        ] {
            assert!(
                !logs.contains(&encoding),
                "private key {kid} appears in the logs"
            );
            assert!(
                !responses.contains(&encoding),
                "private key {kid} appears in a response"
            );
        }
    }
    let master_text = std::fs::read_to_string(dir.0.join("vouch.master.key")).unwrap();
    assert!(!logs.contains(master_text.trim()) && !responses.contains(master_text.trim()));
}
