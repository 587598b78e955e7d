//! The backend issuing API (`/api/v2`).

use base64::Engine as _;
use serde_json::{Value, json};

use crate::backend_tests;
use crate::common::TestServer;
use crate::credential_types::{bx_insurance, managed_type};
use crate::oid4vp::{issue_of, now, query_id};
use crate::wallet::{HolderKey, Offer, PresentationRequest};

backend_tests!(
    issue_follow_and_revoke,
    correlation_ids_are_idempotent,
    request_errors_name_their_target,
    options_shape_the_answer,
    verify_by_template_shows_the_disclosed_claims,
    verify_requests_are_idempotent_and_checked
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

async fn verify_by_template_shows_the_disclosed_claims(s: TestServer) {
    let type_id = managed(&s, "Proof", Value::Null).await;
    let holder = HolderKey::es256();
    let (_, sd_jwt) = issue_of(&s, &type_id, &holder, ".sd_jwt").await;
    // No keys: the whole card is asked for, the field the credential lacks optional.
    let r = s
        .post(
            "/api/v2/credential/verify",
            json!({"correlation_id": "v-1", "template_id": "ProofCard", "qr_code": {}}),
        )
        .await
        .expect(201);
    assert_eq!(r.str("/status_uri"), s.url("/api/v2/verify/v-1"));
    assert_eq!(
        r.header("location"),
        Some(s.url("/api/v2/verify/v-1").as_str())
    );
    let link = r.str("/request_uri");
    assert!(link.starts_with("openid4vp://?client_id="), "{link}");
    assert!(r.str("/qr_uri").starts_with("data:image/png;base64,"));
    let status = || s.get("/api/v2/verify/v-1");
    assert_eq!(
        status().await.expect(200).json["status"],
        "verification_request_created"
    );

    let request = PresentationRequest::open(&s, &link).await;
    assert_eq!(status().await.json["status"], "request_retrieved");
    let id = query_id(&request, "dc+sd-jwt");
    let asked: Vec<Value> = request.claims["dcql_query"]["credentials"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["id"] == id.as_str())
        .unwrap()["claims"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["path"].clone())
        .collect();
    assert!(asked.contains(&json!(["Policy ID"])), "{asked:?}");
    assert!(asked.contains(&json!(["Note"])), "{asked:?}");
    let p = holder
        .present_sd_jwt(
            &sd_jwt,
            &["Policy ID", "Note"],
            &request.client_id,
            &request.nonce(),
            now(),
        )
        .await;
    request.answer(&s, &json!({ id: [p] })).await.expect(200);
    let done = status().await.expect(200);
    assert_eq!(done.json["status"], "verified", "{}", done.json);
    assert_eq!(done.json["credentials"][0]["format"], "dc+sd-jwt");
    assert_eq!(done.json["credentials"][0]["claims"]["Policy ID"], "PX-7");
    assert_eq!(done.json["credentials"][0]["claims"]["Note"], "n");
    // The same verification is a presentation session for the admin API.
    let session = s
        .get(&s.env_path(&format!(
            "/presentationSessions/{}",
            done.str("/session_id")
        )))
        .await
        .expect(200);
    assert_eq!(session.json["status"], "VERIFICATION_SUCCESSFUL");

    // With keys, only those are asked for and must be disclosed.
    let r = s
        .post(
            "/api/v2/credential/verify",
            json!({"template_id": type_id, "keys": ["Policy ID"]}),
        )
        .await
        .expect(201);
    let correlation = r.str("/correlation_id");
    let request = PresentationRequest::open(&s, &r.str("/request_uri")).await;
    let id = query_id(&request, "dc+sd-jwt");
    let p = holder
        .present_sd_jwt(
            &sd_jwt,
            &["Note"],
            &request.client_id,
            &request.nonce(),
            now(),
        )
        .await;
    request.answer(&s, &json!({ id: [p] })).await.expect(400);
    let failed = s
        .get(&format!("/api/v2/verify/{correlation}"))
        .await
        .expect(200);
    assert_eq!(failed.json["status"], "failed");
    assert_eq!(failed.json["errors"][0]["code"], "REQUESTED_FIELD_MISSING");
    assert_eq!(failed.json["errors"][0]["target"], "Policy ID");
    assert_eq!(failed.json["credentials"], json!([]));
}

async fn verify_requests_are_idempotent_and_checked(s: TestServer) {
    managed(&s, "Gate", Value::Null).await;
    let body = json!({"correlation_id": "g-1", "template_id": "GateCard",
        "redirect_uri": "https://rp.example/back", "request_uri_base": "https://wallet.example/open"});
    let first = s
        .post("/api/v2/credential/verify", body.clone())
        .await
        .expect(201);
    assert!(
        first
            .str("/request_uri")
            .starts_with("https://wallet.example/open?client_id=")
    );
    let again = s
        .post("/api/v2/credential/verify", body.clone())
        .await
        .expect(200);
    assert_eq!(again.json["request_uri"], first.json["request_uri"]);
    assert_eq!(again.json["session_id"], first.json["session_id"]);
    let mut other = body.clone();
    other["keys"] = json!(["Policy ID"]);
    s.post("/api/v2/credential/verify", other)
        .await
        .expect_error(409, "UNIQUENESS_VIOLATION", &["correlation_id"]);
    s.get("/api/v2/verify/g-1?response_code=forged")
        .await
        .expect_error(400, "INVALID_REQUEST", &["response_code"]);
    s.get("/api/v2/verify/nobody").await.expect(404);

    s.post("/api/v2/credential/verify", json!({}))
        .await
        .expect_error(400, "INVALID_DATA", &["template_id"]);
    s.post(
        "/api/v2/credential/verify",
        json!({"template_id": "NoSuchCard"}),
    )
    .await
    .expect_error(400, "INVALID_DATA", &["template_id"]);
    s.post(
        "/api/v2/credential/verify",
        json!({"template_id": "GateCard", "keys": ["Shoe size"], "response_mode": "fax"}),
    )
    .await
    .expect_error(400, "INVALID_DATA", &["response_mode"]);
    s.post(
        "/api/v2/credential/verify",
        json!({"template_id": "GateCard", "keys": ["Shoe size"]}),
    )
    .await
    .expect_error(400, "INVALID_DATA", &["keys[0]"]);
    s.post(
        "/api/v2/credential/verify",
        json!({"dcql_query": {"credentials": [{"id": "x", "format": "dc+sd-jwt", "meta": {"vct_values": ["https://x.example/t"]}}]},
            "correlation_id": "g-2"}),
    )
    .await
    .expect(201);
    s.post(
        "/api/v2/credential/verify",
        json!({"dcql_query": {"credentials": "no"}, "correlation_id": "g-3"}),
    )
    .await
    .expect_error(400, "INVALID_DATA", &["dcql_query"]);
    s.get("/api/v2/verify/g-3").await.expect(404);

    // Another environment's token sees none of it.
    let b = s.new_environment("Verify B").await;
    s.get_as(&b.token, "/api/v2/verify/g-1").await.expect(404);
}
