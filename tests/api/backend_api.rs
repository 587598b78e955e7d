//! The backend issuing API (`/api/v2`).

use base64::Engine as _;
use serde_json::{Value, json};

use crate::backend_tests;
use crate::common::TestServer;
use crate::credential_types::{bx_insurance, managed_type};
use crate::wallet::{HolderKey, Offer};

backend_tests!(
    issue_follow_and_revoke,
    correlation_ids_are_idempotent,
    request_errors_name_their_target,
    options_shape_the_answer
);

async fn managed(s: &TestServer, title: &str, extra: Value) -> String {
    let mut t = managed_type(title);
    t["cardType"] = json!(format!("{title}Card"));
    if !extra.is_null() {
        t["issuance"] = extra;
    }
    s.post(&s.env_path("/credentialTypes"), t)
        .await
        .expect(201)
        .id()
}

fn offer_uri(request_uri: &str) -> String {
    let query = request_uri.split_once('?').unwrap().1;
    url::form_urlencoded::parse(query.as_bytes())
        .find(|(k, _)| k == "credential_offer_uri")
        .unwrap()
        .1
        .to_string()
}

async fn issue_follow_and_revoke(s: TestServer) {
    managed(&s, "Iban", Value::Null).await;
    let r = s
        .post("/api/v2/credential/issue", json!({"correlation_id": "89cba89", "template_id": "IbanCard", "claims": {"Policy ID": "NL91"}}))
        .await
        .expect(201);
    assert_eq!(r.json["correlation_id"], "89cba89");
    let request_uri = r.str("/request_uri");
    assert!(request_uri.starts_with("openid-credential-offer://?credential_offer_uri="));
    let status_uri = r.str("/status_uri");
    assert_eq!(status_uri, s.url("/api/v2/issue/89cba89"));
    let status = || s.get("/api/v2/issue/89cba89");
    let first = status().await.expect(200);
    assert_eq!(first.json["status"], "issue_request_created");
    let revocation = first.str("/revocation_uuid");
    // the wallet walks the offer
    let offer = Offer::fetch(&s, &offer_uri(&request_uri)).await;
    assert_eq!(status().await.json["status"], "offer_retrieved");
    let token = offer.token(&s, None).await.expect(200).str("/access_token");
    let holder = HolderKey::es256();
    let proof = holder
        .proof(&offer.issuer, Some(&offer.nonce(&s).await), false)
        .await;
    offer
        .credential(&s, &token, &json!({"credential_configuration_id": offer.configurations[0], "proofs": {"jwt": [proof]}}))
        .await
        .expect(200);
    assert_eq!(status().await.json["status"], "credential_issued");
    s.post(
        &format!("/api/v2/credential/revoke/{revocation}"),
        json!({}),
    )
    .await
    .expect(204);
    assert_eq!(status().await.json["status"], "revoked");
    s.post(
        &format!("/api/v2/credential/revoke/{revocation}"),
        json!({}),
    )
    .await
    .expect(204);
    s.post(
        &format!("/api/v2/credential/revoke/{}", uuid::Uuid::new_v4()),
        json!({}),
    )
    .await
    .expect_error(404, "NOT_FOUND", &[]);
    s.get("/api/v2/issue/unknown")
        .await
        .expect_error(404, "NOT_FOUND", &[]);
    // another environment's token sees nothing of it
    let other = s.new_environment("Other").await;
    s.get_as(&other.token, "/api/v2/issue/89cba89")
        .await
        .expect_error(404, "NOT_FOUND", &[]);
    s.get_as("", "/api/v2/issue/89cba89")
        .await
        .expect_error(401, "ACCESS_FAILED", &[]);
}

async fn correlation_ids_are_idempotent(s: TestServer) {
    let type_id = managed(&s, "Idem", json!({"txCode": {"length": 6}})).await;
    let body =
        json!({"correlation_id": "c-1", "template_id": type_id, "claims": {"Policy ID": "P"}});
    let first = s
        .post("/api/v2/credential/issue", body.clone())
        .await
        .expect(201);
    assert_eq!(first.str("/tx_code").len(), 6);
    let again = s.post("/api/v2/credential/issue", body).await.expect(200);
    assert_eq!(again.json["request_uri"], first.json["request_uri"]);
    assert!(
        again.json.get("tx_code").is_none(),
        "the code is shown once"
    );
    s.post(
        "/api/v2/credential/issue",
        json!({"correlation_id": "c-1", "template_id": type_id, "claims": {"Policy ID": "Q"}}),
    )
    .await
    .expect_error(409, "UNIQUENESS_VIOLATION", &["correlation_id"]);
    // without a correlation id, each call is a new issuance
    let a = s
        .post(
            "/api/v2/credential/issue",
            json!({"template_id": type_id, "claims": {"Policy ID": "P"}}),
        )
        .await
        .expect(201);
    let b = s
        .post(
            "/api/v2/credential/issue",
            json!({"template_id": type_id, "claims": {"Policy ID": "P"}}),
        )
        .await
        .expect(201);
    assert_ne!(a.json["correlation_id"], b.json["correlation_id"]);
}

async fn request_errors_name_their_target(s: TestServer) {
    let type_id = managed(&s, "Errs", Value::Null).await;
    let automated = s
        .post(&s.env_path("/credentialTypes"), bx_insurance())
        .await
        .expect(201)
        .id();
    let issue = |body: Value| s.post("/api/v2/credential/issue", body);
    issue(json!({"claims": {}}))
        .await
        .expect_error(400, "INVALID_DATA", &["template_id"]);
    issue(json!({"template_id": "nope"}))
        .await
        .expect_error(400, "INVALID_DATA", &["template_id"]);
    issue(json!({"template_id": automated})).await.expect_error(
        400,
        "INVALID_DATA",
        &["template_id"],
    );
    issue(json!({"template_id": type_id, "claims": {}}))
        .await
        .expect_error(400, "INVALID_DATA", &["claims.Policy ID"]);
    issue(json!({"template_id": type_id, "claims": {"Policy ID": "x", "Colour": "red"}}))
        .await
        .expect_error(400, "INVALID_DATA", &["claims.Colour"]);
    issue(json!({"template_id": type_id, "claims": [1]}))
        .await
        .expect_error(400, "INVALID_DATA", &["claims"]);
    issue(json!({"template_id": type_id, "correlation_id": "has space"}))
        .await
        .expect_error(400, "INVALID_DATA", &["correlation_id"]);
    issue(json!({"template_id": type_id, "claims": {"Policy ID": "x"}, "request_uri_base": "http://wallet.example"}))
        .await
        .expect_error(400, "INVALID_DATA", &["request_uri_base"]);
    issue(json!({"template_id": type_id, "claims": {"Policy ID": "x"}, "qr_code": {"size": 5}}))
        .await
        .expect_error(400, "INVALID_DATA", &["qr_code.size"]);
    issue(json!({"template_id": type_id, "claims": {"Policy ID": "x"}, "user_id": uuid::Uuid::new_v4()}))
        .await
        .expect_error(400, "INVALID_DATA", &["user_id"]);
    s.send(
        s.req(reqwest::Method::POST, "/api/v2/credential/issue", "")
            .json(&json!({"template_id": type_id})),
    )
    .await
    .expect_error(401, "ACCESS_FAILED", &[]);
}

async fn options_shape_the_answer(s: TestServer) {
    let type_id = managed(&s, "Opts", Value::Null).await;
    let user = s
        .post(&s.env_path("/users"), json!({"username": "existing"}))
        .await
        .expect(201)
        .id();
    let r = s
        .post(
            "/api/v2/credential/issue",
            json!({"template_id": type_id, "claims": {"Policy ID": "x"}, "user_id": user, "request_uri_base": "https://wallet.example/offer", "qr_code": {"size": 256}}),
        )
        .await
        .expect(201);
    assert!(
        r.str("/request_uri")
            .starts_with("https://wallet.example/offer?credential_offer_uri=")
    );
    let png = base64::engine::general_purpose::STANDARD
        .decode(
            r.str("/qr_uri")
                .strip_prefix("data:image/png;base64,")
                .unwrap(),
        )
        .unwrap();
    assert!(image::load_from_memory(&png).unwrap().width() >= 256);
    let credentials = s
        .get(&s.env_path(&format!("/users/{user}/credentials")))
        .await
        .expect(200);
    assert_eq!(credentials.json["size"], 1, "issued to the user named");
}
