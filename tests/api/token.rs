//! The admin token endpoint (RFC 6749 client credentials) and the tokens it issues.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use identity_kit::jose::{CompactJws, DefaultVerifier, Jwk};
use serde_json::{Value, json};

use crate::backend_tests;
use crate::common::{Resp, TestServer};

backend_tests!(
    basic_and_post_authentication,
    issued_token_is_an_es256_at_jwt,
    token_endpoint_errors,
    wrong_credentials_are_invalid_client,
    token_of_one_environment_does_not_verify_as_another,
    an_accepted_token_vouches_for_its_own_bytes_only,
);

async fn token_request(
    s: &TestServer,
    env: &str,
    form: &[(&str, &str)],
    basic: Option<(&str, &str)>,
) -> Resp {
    s.token_request(env, form, basic).await
}

fn oauth_error(r: &Resp, status: u16, error: &str) {
    assert_eq!(r.status, status, "{}", r.text);
    assert_eq!(r.json["error"], error, "{}", r.text);
    assert!(
        r.json["error_description"]
            .as_str()
            .is_some_and(|d| !d.is_empty())
    );
    assert_eq!(r.header("cache-control"), Some("no-store"));
}

async fn basic_and_post_authentication(s: TestServer) {
    let env = s.admin.env.clone();
    let ok = token_request(
        &s,
        &env,
        &[("grant_type", "client_credentials")],
        Some((&s.admin.client_id, &s.admin.secret)),
    )
    .await;
    assert_eq!(ok.status, 200, "{}", ok.text);
    assert_eq!(ok.json["token_type"], "Bearer");
    assert_eq!(ok.json["expires_in"], 3600);
    assert_eq!(ok.header("cache-control"), Some("no-store"));
    assert_eq!(ok.header("pragma"), Some("no-cache"));
    // the bootstrap worker authenticates with Basic; POST is refused for it
    let r = token_request(
        &s,
        &env,
        &[
            ("grant_type", "client_credentials"),
            ("client_id", &s.admin.client_id),
            ("client_secret", &s.admin.secret),
        ],
        None,
    )
    .await;
    oauth_error(&r, 401, "invalid_client");
    // a CLIENT_SECRET_POST worker is the other way round
    let (id, secret) = s
        .worker(json!({"name": "poster", "type": "WORKER", "tokenEndpointAuthMethod": "CLIENT_SECRET_POST"}))
        .await;
    let r = token_request(
        &s,
        &env,
        &[
            ("grant_type", "client_credentials"),
            ("client_id", &id),
            ("client_secret", &secret),
        ],
        None,
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.text);
    let r = token_request(
        &s,
        &env,
        &[("grant_type", "client_credentials")],
        Some((&id, &secret)),
    )
    .await;
    oauth_error(&r, 401, "invalid_client");
}

async fn issued_token_is_an_es256_at_jwt(s: TestServer) {
    let jws = CompactJws::decode(&s.admin.token).unwrap();
    assert_eq!(jws.alg().as_str(), "ES256");
    assert_eq!(jws.header().typ.as_deref(), Some("at+jwt"));
    let claims: Value = jws.claims().unwrap();
    assert_eq!(claims["iss"], s.url(&format!("/{}/as", s.admin.env)));
    assert_eq!(claims["aud"], s.url("/v1"));
    assert_eq!(claims["env"], s.admin.env.as_str());
    assert_eq!(claims["sub"], s.admin.client_id.as_str());
    assert_eq!(claims["client_id"], s.admin.client_id.as_str());
    assert_eq!(
        claims["exp"].as_i64().unwrap() - claims["iat"].as_i64().unwrap(),
        3600
    );
    assert!(claims["jti"].as_str().is_some());
    // the signature verifies with the published JWKS
    let jwks = s
        .get_as("", &format!("/{}/as/jwks", s.admin.env))
        .await
        .expect(200);
    assert_eq!(
        jwks.header("content-type"),
        Some("application/jwk-set+json")
    );
    let key: Jwk = serde_json::from_value(jwks.json["keys"][0].clone()).unwrap();
    assert_eq!(key.kid(), jws.kid());
    jws.verify(&DefaultVerifier, &key).unwrap();
}

async fn token_endpoint_errors(s: TestServer) {
    let env = s.admin.env.clone();
    let creds = Some((s.admin.client_id.as_str(), s.admin.secret.as_str()));
    let json_body = s
        .send(
            s.http
                .post(s.url(&format!("/{env}/as/token")))
                .basic_auth(&s.admin.client_id, Some(&s.admin.secret))
                .json(&json!({"grant_type": "client_credentials"})),
        )
        .await;
    oauth_error(&json_body, 400, "invalid_request");
    oauth_error(
        &token_request(&s, &env, &[], creds).await,
        400,
        "invalid_request",
    );
    oauth_error(
        &token_request(&s, &env, &[("grant_type", "password")], creds).await,
        400,
        "unsupported_grant_type",
    );
    oauth_error(
        &token_request(
            &s,
            &env,
            &[
                ("grant_type", "client_credentials"),
                ("grant_type", "client_credentials"),
            ],
            creds,
        )
        .await,
        400,
        "invalid_request",
    );
    let none = token_request(&s, &env, &[("grant_type", "client_credentials")], None).await;
    oauth_error(&none, 401, "invalid_client");
    assert_eq!(
        none.header("www-authenticate"),
        Some("Basic realm=\"vouch\"")
    );
    oauth_error(
        &token_request(
            &s,
            &env,
            &[("grant_type", "client_credentials"), ("client_secret", "x")],
            creds,
        )
        .await,
        400,
        "invalid_request",
    );
    let big = "x".repeat(10_000);
    oauth_error(
        &token_request(
            &s,
            &env,
            &[("grant_type", "client_credentials"), ("pad", &big)],
            creds,
        )
        .await,
        400,
        "invalid_request",
    );
}

async fn wrong_credentials_are_invalid_client(s: TestServer) {
    let env = s.admin.env.clone();
    let grant = [("grant_type", "client_credentials")];
    oauth_error(
        &token_request(&s, &env, &grant, Some((&s.admin.client_id, "wrong-secret"))).await,
        401,
        "invalid_client",
    );
    let unknown = uuid::Uuid::new_v4().to_string();
    oauth_error(
        &token_request(&s, &env, &grant, Some((&unknown, "whatever"))).await,
        401,
        "invalid_client",
    );
    oauth_error(
        &token_request(&s, &env, &grant, Some(("not-a-uuid", "whatever"))).await,
        401,
        "invalid_client",
    );
    // a worker of another environment cannot get tokens here
    let other = s.new_environment("Other").await;
    oauth_error(
        &token_request(&s, &env, &grant, Some((&other.client_id, &other.secret))).await,
        401,
        "invalid_client",
    );
    let bad_basic = s
        .send(
            s.http
                .post(s.url(&format!("/{env}/as/token")))
                .header("authorization", "Basic %%%")
                .form(&grant),
        )
        .await;
    oauth_error(&bad_basic, 401, "invalid_client");
}

async fn token_of_one_environment_does_not_verify_as_another(s: TestServer) {
    let other = s.new_environment("Other").await;
    // re-point the claims of env B's token at env A, keeping B's signature
    let parts: Vec<&str> = other.token.split('.').collect();
    let mut claims: Value =
        serde_json::from_slice(&URL_SAFE_NO_PAD.decode(parts[1]).unwrap()).unwrap();
    claims["env"] = json!(s.admin.env);
    claims["iss"] = json!(s.url(&format!("/{}/as", s.admin.env)));
    let forged = format!(
        "{}.{}.{}",
        parts[0],
        URL_SAFE_NO_PAD.encode(serde_json::to_vec(&claims).unwrap()),
        parts[2]
    );
    s.get_as(&forged, &s.env_path("/users"))
        .await
        .expect_error(401, "ACCESS_FAILED", &[]);
    // an unsigned token is refused
    let header = URL_SAFE_NO_PAD.encode(br#"{"alg":"none","typ":"at+jwt"}"#);
    let none = format!("{header}.{}.", parts[1]);
    s.get_as(&none, &s.env_path("/users"))
        .await
        .expect_error(401, "ACCESS_FAILED", &[]);
}

/// The server remembers for a few seconds which tokens' signatures it checked; a token
/// accepted a moment ago must not lend its signature to a changed copy of itself.
async fn an_accepted_token_vouches_for_its_own_bytes_only(s: TestServer) {
    let token = s.admin.token.clone();
    s.get_as(&token, &s.env_path("/users")).await.expect(200);
    let parts: Vec<&str> = token.split('.').collect();
    let mut claims: Value =
        serde_json::from_slice(&URL_SAFE_NO_PAD.decode(parts[1]).unwrap()).unwrap();
    claims["exp"] = json!(claims["exp"].as_i64().unwrap() + 86_400);
    let longer = format!(
        "{}.{}.{}",
        parts[0],
        URL_SAFE_NO_PAD.encode(serde_json::to_vec(&claims).unwrap()),
        parts[2]
    );
    s.get_as(&longer, &s.env_path("/users"))
        .await
        .expect_error(401, "ACCESS_FAILED", &[]);
    // One byte of the signature changed (in the middle, so the base64 stays valid).
    let mut signature: Vec<char> = parts[2].chars().collect();
    let at = signature.len() / 2;
    signature[at] = if signature[at] == 'A' { 'B' } else { 'A' };
    let resigned = format!(
        "{}.{}.{}",
        parts[0],
        parts[1],
        signature.iter().collect::<String>()
    );
    s.get_as(&resigned, &s.env_path("/users"))
        .await
        .expect_error(401, "ACCESS_FAILED", &[]);
    s.get_as(&token, &s.env_path("/users")).await.expect(200);
}
