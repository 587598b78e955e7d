//! The discovery documents of the default environment, compared with the golden copies
//! in `.well-known/` at the repository root. Ids, the port and key material vary per run
//! and are written as `{public_url}`, `{environment}`, `{credentialType}` and `{key}`.
//! `VOUCH_UPDATE_GOLDEN=1 cargo test golden` rewrites the copies.

use serde_json::{Value, json};

use crate::common::{Backend, TestServer};
use crate::credential_types::managed_type;

fn normalise(text: &str, s: &TestServer, type_id: &str) -> Value {
    let text = text
        .replace(&s.base, "{public_url}")
        .replace(&s.admin.env, "{environment}")
        .replace(type_id, "{credentialType}");
    let mut value: Value = serde_json::from_str(&text).unwrap();
    if let Some(keys) = value.pointer_mut("/jwks/keys") {
        *keys = json!(["{key}"]);
    }
    value
}

#[actix_web::test]
async fn discovery_documents_match_the_golden_copies() {
    let s = TestServer::start(Backend::Sqlite).await;
    let mut t = managed_type("BX Insurance card");
    t["metadata"]["cardColor"] = json!("#002b5c");
    t["metadata"]["textColor"] = json!("#ffffff");
    t["metadata"]["logoImage"] = json!("https://bx.example/logo.png");
    let type_id = s
        .post(&s.env_path("/credentialTypes"), t)
        .await
        .expect(201)
        .id();
    let env = s.admin.env.clone();
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(".well-known");
    for (file, path) in [
        (
            "openid-credential-issuer.json",
            format!("/.well-known/openid-credential-issuer/{env}"),
        ),
        (
            "oauth-authorization-server.json",
            format!("/.well-known/oauth-authorization-server/{env}"),
        ),
        (
            "jwt-vc-issuer.json",
            format!("/.well-known/jwt-vc-issuer/{env}"),
        ),
    ] {
        let live = normalise(&s.get_as("", &path).await.expect(200).text, &s, &type_id);
        let golden_path = dir.join(file);
        if std::env::var("VOUCH_UPDATE_GOLDEN").is_ok() {
            std::fs::write(
                &golden_path,
                serde_json::to_string_pretty(&live).unwrap() + "\n",
            )
            .unwrap();
            continue;
        }
        let golden: Value =
            serde_json::from_str(&std::fs::read_to_string(&golden_path).unwrap()).unwrap();
        assert_eq!(
            live, golden,
            "{path} differs from .well-known/{file}; if intended, rerun with VOUCH_UPDATE_GOLDEN=1"
        );
    }
}
