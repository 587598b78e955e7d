//! The OpenID4VP verifier's client identifier prefixes, response modes and profiles,
//! through vouch's own test wallet: `x509_san_dns:` / `x509_hash:` request objects,
//! `direct_post.jwt`, same-device redirects with a `response_code`, expiry, NATIVE
//! sessions of several types, JWT VP holder checks, and the ID1 (SIOPv2 + Presentation
//! Exchange) profile of legacy wallets. Test names carry the `spec-checklist.md` item.

use serde_json::{Value, json};

use crate::backend_tests;
use crate::common::{Backend, TestServer};
use crate::oid4vp::{
    event_names, events_of, failure, failure_because, issue_of, issued, now, open_and_present,
    query_id, session, status_of,
};
use crate::wallet::{HolderKey, PresentationRequest, header, payload};

backend_tests!(
    vp_3_1_x509_clients_sign_with_a_chain_their_client_id_names,
    vp_3_3_direct_post_jwt_answers_are_encrypted_to_the_session_key,
    vp_3_3_same_device_answers_redirect_with_a_response_code,
    vp_3_4_jwt_vp_holder_failures_are_invalid_token,
    vp_native_sessions_ask_for_several_types,
    vp_4_id1_sessions_take_an_id_token_and_a_submission,
    vp_4_id1_id_token_failures_are_invalid_token,
    vp_4_id1_id_tokens_by_did_key_and_long_form_did_ion_subjects,
);

mod vp_sessions_expire_and_refuse_answers {
    use super::*;

    #[actix_web::test]
    async fn sqlite() {
        run(TestServer::start_with(Backend::Sqlite, |c| c.presentation_ttl_seconds = 1).await).await
    }

    #[actix_web::test]
    async fn postgres() {
        run(TestServer::start_with(Backend::Postgres, |c| c.presentation_ttl_seconds = 1).await)
            .await
    }

    async fn run(s: TestServer) {
        let holder = HolderKey::es256();
        let (_, _, sd_jwt) = issued(&s, "Verify late", &holder, ".sd_jwt").await;
        let created = session(
            &s,
            json!({"requestedCredentials": [{"type": "Verify late"}]}),
        )
        .await
        .expect(201);
        let request = PresentationRequest::open(&s, &created.str("/_links/appOpenURL/href")).await;
        assert_eq!(status_of(&s, &created).await.json["status"], "WAITING");
        let p = holder
            .present_sd_jwt(
                &sd_jwt,
                &["Policy ID"],
                &request.client_id,
                &request.nonce(),
                now(),
            )
            .await;
        tokio::time::sleep(std::time::Duration::from_millis(1300)).await;
        // Expired at once for readers, before the job records it.
        assert_eq!(
            status_of(&s, &created).await.json["status"],
            "VERIFICATION_EXPIRED"
        );
        let late = request
            .answer(&s, &json!({"c0_sd_jwt": [p]}))
            .await
            .expect(400);
        assert!(
            late.json["error_description"]
                .as_str()
                .unwrap()
                .contains("expired"),
            "{}",
            late.json
        );
        s.send(s.http.get(created.str("/_links/requestUri/href")))
            .await
            .expect(400);
        assert_eq!(vouch::service::oid4vp::expire(&s.ctx).await.unwrap(), 1);
        assert_eq!(vouch::service::oid4vp::expire(&s.ctx).await.unwrap(), 0);
        let names = event_names(&s, &created).await;
        assert_eq!(
            names,
            ["SESSION_CREATED", "REQUEST_FETCHED", "VERIFICATION_EXPIRED"]
        );
        let data = s.get(&s.link(&created, "credentialData")).await.expect(200);
        assert_eq!(data.json["status"], "VERIFICATION_EXPIRED");
        assert_eq!(data.json["credentialData"], json!([]));
    }
}

async fn verify_sd_jwt_session(s: &TestServer, body: Value, holder: &HolderKey, sd_jwt: &str) {
    let (created, request, p) = open_and_present(s, body, holder, sd_jwt).await;
    request
        .answer(s, &json!({query_id(&request, "dc+sd-jwt"): [p]}))
        .await
        .expect(200);
    let data = s.get(&s.link(&created, "credentialData")).await.expect(200);
    assert_eq!(
        data.json["status"], "VERIFICATION_SUCCESSFUL",
        "{}",
        data.json
    );
    assert_eq!(
        data.json["credentialData"][0]["data"],
        json!([{"key": "Policy ID", "value": "PX-7"}])
    );
}

async fn vp_3_1_x509_clients_sign_with_a_chain_their_client_id_names(s: TestServer) {
    let holder = HolderKey::es256();
    let (_, _, sd_jwt) = issued(&s, "Verify x509", &holder, ".sd_jwt").await;
    let mut hashes = Vec::new();
    for prefix in ["x509_san_dns", "x509_hash"] {
        let created = session(
            &s,
            json!({"requestedCredentials": [{"type": "Verify x509"}], "clientIdPrefix": prefix}),
        )
        .await
        .expect(201);
        assert!(
            created.json["clientId"]
                .as_str()
                .unwrap()
                .starts_with(&format!("{prefix}:"))
        );
        // open() checks the x5c chain against the published root and the client id.
        let request = PresentationRequest::open(&s, &created.str("/_links/appOpenURL/href")).await;
        assert!(request.header.get("kid").is_none(), "x5c names the key");
        assert_eq!(request.header["x5c"].as_array().unwrap().len(), 1);
        if prefix == "x509_san_dns" {
            assert_eq!(request.client_id, "x509_san_dns:localhost");
        } else {
            hashes.push(request.client_id.clone());
        }
        verify_sd_jwt_session(
            &s,
            json!({"requestedCredentials": [{"type": "Verify x509", "keys": ["Policy ID"]}],
                "clientIdPrefix": prefix}),
            &holder,
            &sd_jwt,
        )
        .await;
    }
    // The development chain is made once: the same hash for every session, and the same
    // chain is published.
    let again = session(
        &s,
        json!({"requestedCredentials": [{"type": "Verify x509"}], "clientIdPrefix": "x509_hash"}),
    )
    .await
    .expect(201);
    assert_eq!(again.json["clientId"], hashes[0].as_str());
    let pem = s
        .send(s.http.get(s.url("/oid4vp/x509/chain.pem")))
        .await
        .expect(200);
    assert_eq!(pem.text.matches("BEGIN CERTIFICATE").count(), 2);
    // A key binding for the DID client id does not answer the x509 one.
    let created = session(
        &s,
        json!({"requestedCredentials": [{"type": "Verify x509"}], "clientIdPrefix": "x509_hash"}),
    )
    .await
    .expect(201);
    let request = PresentationRequest::open(&s, &created.str("/_links/appOpenURL/href")).await;
    let did_client = format!(
        "decentralized_identifier:{}",
        vouch::protocol::did::environment_did_web(&s.base, &s.admin.env).unwrap()
    );
    let p = holder
        .present_sd_jwt(
            &sd_jwt,
            &["Policy ID"],
            &did_client,
            &request.nonce(),
            now(),
        )
        .await;
    request
        .answer(&s, &json!({"c0_sd_jwt": [p]}))
        .await
        .expect(400);
    failure(&status_of(&s, &created).await.json, "INVALID_TOKEN");
}

async fn vp_3_3_direct_post_jwt_answers_are_encrypted_to_the_session_key(s: TestServer) {
    let holder = HolderKey::es256();
    let (_, _, sd_jwt) = issued(&s, "Verify sealed", &holder, ".sd_jwt").await;
    let body = json!({"requestedCredentials": [{"type": "Verify sealed", "keys": ["Policy ID"]}],
        "responseMode": "direct_post.jwt"});
    let first = session(&s, body.clone()).await.expect(201);
    let second = session(&s, body.clone()).await.expect(201);
    let a = PresentationRequest::open(&s, &first.str("/_links/appOpenURL/href")).await;
    let b = PresentationRequest::open(&s, &second.str("/_links/appOpenURL/href")).await;
    assert_eq!(a.claims["response_mode"], "direct_post.jwt");
    let key = a.encryption_jwk().unwrap();
    assert_eq!(
        (&key["kty"], &key["crv"], &key["use"], &key["alg"]),
        (
            &json!("EC"),
            &json!("P-256"),
            &json!("enc"),
            &json!("ECDH-ES")
        )
    );
    assert!(key.get("d").is_none(), "no private part");
    assert_eq!(
        a.claims["client_metadata"]["encrypted_response_enc_values_supported"],
        json!(["A128GCM", "A256GCM"])
    );
    assert_ne!(
        key,
        b.encryption_jwk().unwrap(),
        "every session has its own key"
    );
    let present = |r: &PresentationRequest| {
        let (aud, nonce) = (r.client_id.clone(), r.nonce());
        let (holder, sd_jwt) = (&holder, sd_jwt.clone());
        async move {
            holder
                .present_sd_jwt(&sd_jwt, &["Policy ID"], &aud, &nonce, now())
                .await
        }
    };
    let pa = present(&a).await;
    // In the clear: refused, the session stays open.
    let plain = a
        .post(
            &s,
            &[
                ("vp_token", json!({"c0_sd_jwt": [pa.clone()]}).to_string()),
                ("state", a.state()),
            ],
        )
        .await
        .expect(400);
    assert!(
        plain.json["error_description"]
            .as_str()
            .unwrap()
            .contains("encrypted")
    );
    // Encrypted to the other session's key: refused.
    let misaddressed = b
        .post_encrypted(
            &s,
            &json!({"vp_token": {"c0_sd_jwt": [pa.clone()]}, "state": a.state()}),
            "A256GCM",
        )
        .await;
    let wrong = a
        .post(&s, &[("response", misaddressed_jwe(&b, &a, &pa))])
        .await
        .expect(400);
    assert_eq!(wrong.json["error"], "invalid_request");
    assert_eq!(misaddressed.status, 400, "state of another session");
    assert_eq!(status_of(&s, &first).await.json["status"], "WAITING");
    // A256GCM, then A128GCM for the other session.
    a.post_encrypted(
        &s,
        &json!({"vp_token": {"c0_sd_jwt": [pa]}, "state": a.state()}),
        "A256GCM",
    )
    .await
    .expect(200);
    assert_eq!(
        status_of(&s, &first).await.json["status"],
        "VERIFICATION_SUCCESSFUL"
    );
    let pb = present(&b).await;
    b.answer(&s, &json!({"c0_sd_jwt": [pb]})).await.expect(200);
    let data = s.get(&s.link(&second, "credentialData")).await.expect(200);
    assert_eq!(data.json["credentialData"][0]["data"][0]["value"], "PX-7");
    // An encrypted answer to a session that did not ask for one.
    let clear = session(
        &s,
        json!({"requestedCredentials": [{"type": "Verify sealed"}]}),
    )
    .await
    .expect(201);
    let c = PresentationRequest::open(&s, &clear.str("/_links/appOpenURL/href")).await;
    let jwe = vouch::protocol::oid4vp::jwe::encrypt(b"{}", &key, "A128GCM").unwrap();
    c.post(&s, &[("response", jwe)]).await.expect(400);
}

/// A JWE of `a`'s answer encrypted to `b`'s key, posted to `a`.
fn misaddressed_jwe(b: &PresentationRequest, a: &PresentationRequest, p: &str) -> String {
    vouch::protocol::oid4vp::jwe::encrypt(
        json!({"vp_token": {"c0_sd_jwt": [p]}, "state": a.state()})
            .to_string()
            .as_bytes(),
        &b.encryption_jwk().unwrap(),
        "A128GCM",
    )
    .unwrap()
}

async fn vp_3_3_same_device_answers_redirect_with_a_response_code(s: TestServer) {
    let holder = HolderKey::es256();
    let (_, _, sd_jwt) = issued(&s, "Verify here", &holder, ".sd_jwt").await;
    let (created, request, p) = open_and_present(
        &s,
        json!({"requestedCredentials": [{"type": "Verify here"}],
            "redirectUri": "https://rp.example/done"}),
        &holder,
        &sd_jwt,
    )
    .await;
    let answered = request
        .answer(&s, &json!({"c0_sd_jwt": [p]}))
        .await
        .expect(200);
    let redirect = answered.str("/redirect_uri");
    let code = redirect
        .strip_prefix("https://rp.example/done#response_code=")
        .unwrap_or_else(|| panic!("{redirect}"));
    assert!(code.len() >= 22, "at least 128 bits");
    let data = s.link(&created, "sessionData");
    s.get(&format!("{data}?responseCode=forged"))
        .await
        .expect_error(400, "INVALID_REQUEST", &["responseCode"]);
    let shown = s
        .get(&format!("{data}?responseCode={code}"))
        .await
        .expect(200);
    assert_eq!(shown.json["status"], "VERIFICATION_SUCCESSFUL");
    assert_eq!(
        shown.json["verifiedData"][0]["metaData"]["verificationStatus"],
        "VALID"
    );

    // A failed same-device answer still sends the user back, with a code.
    let created = session(
        &s,
        json!({"requestedCredentials": [{"type": "Verify here"}],
            "redirectUri": "https://rp.example/done"}),
    )
    .await
    .expect(201);
    let request = PresentationRequest::open(&s, &created.str("/_links/appOpenURL/href")).await;
    let p = holder
        .present_sd_jwt(
            &sd_jwt,
            &["Policy ID"],
            &request.client_id,
            "wrong-nonce",
            now(),
        )
        .await;
    let answered = request
        .answer(&s, &json!({"c0_sd_jwt": [p]}))
        .await
        .expect(200);
    assert!(answered.str("/redirect_uri").contains("#response_code="));
    failure(&status_of(&s, &created).await.json, "INVALID_TOKEN");
}

/// What a holder puts in its presentation for a request: audience, nonce and issued-at.
type ProofClaims = fn(&PresentationRequest) -> (String, String, i64);

async fn vp_3_4_jwt_vp_holder_failures_are_invalid_token(s: TestServer) {
    let holder = HolderKey::es256();
    let (_, _, vc) = issued(&s, "Verify vp", &holder, ".jwt_vc").await;
    let stranger = HolderKey::es256();
    let cases: Vec<(&str, &HolderKey, ProofClaims)> = vec![
        ("wrong nonce", &holder, |r| {
            (r.client_id.clone(), "nope".into(), now())
        }),
        ("wrong aud", &holder, |r| {
            (
                "decentralized_identifier:did:web:elsewhere".into(),
                r.nonce(),
                now(),
            )
        }),
        ("stale iat", &holder, |r| {
            (r.client_id.clone(), r.nonce(), now() - 3600)
        }),
        ("not the subject", &stranger, |r| {
            (r.client_id.clone(), r.nonce(), now())
        }),
    ];
    for (name, signer, params) in cases {
        let created = session(&s, json!({"requestedCredentials": [{"type": "Verify vp"}]}))
            .await
            .expect(201);
        let request = PresentationRequest::open(&s, &created.str("/_links/appOpenURL/href")).await;
        let (aud, nonce, iat) = params(&request);
        let vp = signer.present_jwt_vc(&vc, &aud, &nonce, iat).await;
        let answered = request
            .answer(&s, &json!({query_id(&request, "jwt_vc_json"): [vp]}))
            .await;
        let mut status = status_of(&s, &created).await.json;
        status["_answer"] = json!({"status": answered.status, "body": answered.json});
        assert_eq!(status["status"], "VERIFICATION_FAILED", "{name}: {status}");
        failure(&status, "INVALID_TOKEN");
    }
}

async fn vp_native_sessions_ask_for_several_types(s: TestServer) {
    let holder = HolderKey::es256();
    let (_, _, first) = issued(&s, "Verify one", &holder, ".sd_jwt").await;
    let (_, _, second) = issued(&s, "Verify two", &holder, ".jwt_vc").await;
    let body = json!({"protocol": "NATIVE", "requestedCredentials": [
        {"type": "Verify one", "keys": ["Policy ID"]}, {"type": "Verify two", "keys": ["Note"]}]});
    let created = session(&s, body.clone()).await.expect(201);
    let sets = created.json["dcql"]["credential_sets"].as_array().unwrap();
    assert_eq!(sets.len(), 2);
    let request = PresentationRequest::open(&s, &created.str("/_links/appOpenURL/href")).await;
    let sd = holder
        .present_sd_jwt(
            &first,
            &["Policy ID"],
            &request.client_id,
            &request.nonce(),
            now(),
        )
        .await;
    let vp = holder
        .present_jwt_vc(&second, &request.client_id, &request.nonce(), now())
        .await;
    request
        .answer(&s, &json!({"c0_sd_jwt": [sd.clone()], "c1_jwt_vc": [vp]}))
        .await
        .expect(200);
    let data = s.get(&s.link(&created, "credentialData")).await.expect(200);
    let items = data.json["credentialData"].as_array().unwrap();
    assert_eq!(items.len(), 2, "{}", data.json);
    assert_eq!(items[0]["format"], "dc+sd-jwt");
    assert_eq!(items[1]["format"], "jwt_vc_json");
    assert!(
        items[1]["data"]
            .as_array()
            .unwrap()
            .iter()
            .any(|kv| kv["key"] == "Note" && kv["value"] == "n")
    );
    // One of the two types only: the other is missing.
    let (created, request, sd) = open_and_present(&s, body, &holder, &first).await;
    request
        .answer(&s, &json!({"c0_sd_jwt": [sd]}))
        .await
        .expect(400);
    failure(
        &status_of(&s, &created).await.json,
        "REQUESTED_CREDENTIAL_MISSING",
    );
}

/// An ID1 session for `title`, opened: the `openid-vc://` link, the `application/jwt`
/// request object with a presentation definition.
async fn id1_request(s: &TestServer, title: &str) -> (crate::common::Resp, PresentationRequest) {
    let created = session(
        s,
        json!({"protocol": "OPENID4VP", "protocolVersion": "ID1",
            "requestedCredentials": [{"type": title}]}),
    )
    .await
    .expect(201);
    let link = created.str("/_links/appOpenURL/href");
    assert!(link.starts_with("openid-vc://?"), "{link}");
    let uri = reqwest::Url::parse(&link).unwrap();
    let request_uri = uri
        .query_pairs()
        .find(|(k, _)| k == "request_uri")
        .unwrap()
        .1
        .to_string();
    let raw = s.send(s.http.get(&request_uri)).await.expect(200);
    assert_eq!(raw.header("content-type"), Some("application/jwt"));
    let request = PresentationRequest::open(s, &link).await;
    assert_eq!(request.claims["response_type"], "vp_token id_token");
    assert!(request.client_id.starts_with("did:web:"), "a bare DID");
    assert_eq!(
        request.claims["presentation_definition"]["input_descriptors"][0]["id"],
        "c0"
    );
    (created, request)
}

/// A self-issued ID Token by `signer` claiming `sub`, for the request, carrying the
/// submission in `_vp_token` (the DIF profile).
async fn id_token(
    signer: &HolderKey,
    sub: &str,
    request: &PresentationRequest,
    nonce: &str,
    submission: Option<&Value>,
) -> String {
    id_token_by(signer, sub, &format!("{sub}#0"), request, nonce, submission).await
}

/// [`id_token`] naming its key by `kid`.
async fn id_token_by(
    signer: &HolderKey,
    sub: &str,
    kid: &str,
    request: &PresentationRequest,
    nonce: &str,
    submission: Option<&Value>,
) -> String {
    let mut claims = json!({"iss": "https://self-issued.me/v2/openid-vc", "sub": sub,
        "aud": request.client_id, "nonce": nonce, "iat": now(), "exp": now() + 300});
    if let Some(submission) = submission {
        claims["_vp_token"] = json!({"presentation_submission": submission});
    }
    signer
        .sign(json!({"typ": "JWT", "kid": kid}), &claims)
        .await
}

fn submission(request: &PresentationRequest, format: &str) -> Value {
    json!({"id": "sub-1", "definition_id": request.claims["presentation_definition"]["id"],
        "descriptor_map": [{"id": "c0", "format": format, "path": "$"}]})
}

async fn vp_4_id1_sessions_take_an_id_token_and_a_submission(s: TestServer) {
    let holder = HolderKey::es256();
    let did = holder.did_jwk();
    let (type_id, _, vc) = issued(&s, "Verify legacy", &holder, ".jwt_vc").await;
    // JWT VP, the submission inside the ID Token (DIF JWT VC Presentation Profile).
    let (created, request) = id1_request(&s, "Verify legacy").await;
    let vp = holder
        .present_jwt_vc(&vc, &request.client_id, &request.nonce(), now())
        .await;
    let sub = submission(&request, "jwt_vp_json");
    let token = id_token(&holder, &did, &request, &request.nonce(), Some(&sub)).await;
    request
        .post(
            &s,
            &[
                ("vp_token", vp),
                ("id_token", token),
                ("state", request.state()),
            ],
        )
        .await
        .expect(200);
    let data = s.get(&s.link(&created, "credentialData")).await.expect(200);
    assert_eq!(
        data.json["status"], "VERIFICATION_SUCCESSFUL",
        "{}",
        data.json
    );
    assert_eq!(data.json["credentialData"][0]["format"], "jwt_vc_json");

    // An SD-JWT VC (format vc+sd-jwt in the submission, beside the ID Token), the ID
    // Token by the credential's cnf key.
    let (_, sd_jwt) = issue_of(&s, &type_id, &holder, ".sd_jwt").await;
    let (created, request) = id1_request(&s, "Verify legacy").await;
    let p = holder
        .present_sd_jwt(
            &sd_jwt,
            &["Policy ID"],
            &request.client_id,
            &request.nonce(),
            now(),
        )
        .await;
    let token = id_token(&holder, &did, &request, &request.nonce(), None).await;
    request
        .post(
            &s,
            &[
                ("vp_token", p),
                (
                    "presentation_submission",
                    submission(&request, "vc+sd-jwt").to_string(),
                ),
                ("id_token", token),
                ("state", request.state()),
            ],
        )
        .await
        .expect(200);
    assert_eq!(
        status_of(&s, &created).await.json["status"],
        "VERIFICATION_SUCCESSFUL"
    );
    let events = events_of(&s, &created).await;
    let received = events
        .iter()
        .find(|e| e["event"] == "RESPONSE_RECEIVED")
        .unwrap_or_else(|| panic!("{events:?}"));
    let checks = &received["detail"]["checks"];
    assert_eq!(checks[0]["check"], "id_token", "{checks}");
    assert!(
        checks
            .as_array()
            .unwrap()
            .iter()
            .any(|c| c["check"] == "holder" && c["ok"] == true)
    );
}

async fn vp_4_id1_id_token_failures_are_invalid_token(s: TestServer) {
    let holder = HolderKey::es256();
    let did = holder.did_jwk();
    let (_, _, vc) = issued(&s, "Verify siop", &holder, ".jwt_vc").await;
    let stranger = HolderKey::es256();
    let stranger_did = stranger.did_jwk();
    let cases: Vec<(&str, &HolderKey, &str, bool, bool)> = vec![
        // (name, signer, sub, right nonce, with id_token)
        ("no id_token", &holder, &did, true, false),
        ("wrong nonce", &holder, &did, false, true),
        ("signed by another key", &stranger, &did, true, true),
        (
            "subject is not the holder",
            &stranger,
            &stranger_did,
            true,
            true,
        ),
    ];
    for (name, signer, sub, right_nonce, with_token) in cases {
        let (created, request) = id1_request(&s, "Verify siop").await;
        let vp = holder
            .present_jwt_vc(&vc, &request.client_id, &request.nonce(), now())
            .await;
        let subm = submission(&request, "jwt_vp_json");
        let nonce = if right_nonce {
            request.nonce()
        } else {
            "nope".into()
        };
        let mut form = vec![("vp_token", vp), ("state", request.state())];
        if with_token {
            form.push((
                "id_token",
                id_token(signer, sub, &request, &nonce, Some(&subm)).await,
            ));
        } else {
            form.push(("presentation_submission", subm.to_string()));
        }
        let answered = request.post(&s, &form).await;
        let mut status = status_of(&s, &created).await.json;
        status["_answer"] = json!({"status": answered.status, "body": answered.json});
        assert_eq!(status["status"], "VERIFICATION_FAILED", "{name}: {status}");
        failure(&status, "INVALID_TOKEN");
    }
    // The request object of an ID1 session is signed under the same DID as its client id.
    let (_, request) = id1_request(&s, "Verify siop").await;
    let raw = s
        .send(
            s.http.get(
                request.claims["response_uri"]
                    .as_str()
                    .unwrap()
                    .replace("responses", "requests"),
            ),
        )
        .await
        .expect(200);
    assert!(
        header(&raw.text)["kid"]
            .as_str()
            .unwrap()
            .starts_with(&request.client_id)
    );
    assert_eq!(payload(&raw.text)["client_id_scheme"], "did");
}

/// Answers an ID1 session with an SD-JWT VC of `holder` and an ID Token signed by
/// `signer` for subject `sub` under `kid`; returns the session status (with the answer).
async fn answer_id1(
    s: &TestServer,
    holder: &HolderKey,
    sd_jwt: &str,
    signer: &HolderKey,
    sub: &str,
    kid: &str,
) -> Value {
    let (created, request) = id1_request(s, "Verify subjects").await;
    let p = holder
        .present_sd_jwt(
            sd_jwt,
            &["Policy ID"],
            &request.client_id,
            &request.nonce(),
            now(),
        )
        .await;
    let token = id_token_by(signer, sub, kid, &request, &request.nonce(), None).await;
    let answered = request
        .post(
            s,
            &[
                ("vp_token", p),
                (
                    "presentation_submission",
                    submission(&request, "vc+sd-jwt").to_string(),
                ),
                ("id_token", token),
                ("state", request.state()),
            ],
        )
        .await;
    let mut status = status_of(s, &created).await.json;
    status["_answer"] = json!({"status": answered.status, "body": answered.json});
    status
}

async fn vp_4_id1_id_tokens_by_did_key_and_long_form_did_ion_subjects(s: TestServer) {
    let holder = HolderKey::es256();
    let (_, _, sd_jwt) = issued(&s, "Verify subjects", &holder, ".sd_jwt").await;
    let jwk = serde_json::to_value(&holder.jwk).unwrap();

    let did_key = identity_kit::methods::key::DidKey::did(&holder.jwk)
        .unwrap()
        .to_string();
    let multibase = did_key.trim_start_matches("did:key:").to_string();
    let ion = vouch::protocol::did::long_form_did_ion(&jwk, "key-1");
    let (_, suffix_and_state) = ion.split_at("did:ion:".len());
    let (suffix, _) = suffix_and_state.split_once(':').unwrap();
    let short_kid = format!("did:ion:{suffix}#key-1");
    for (name, sub, kid) in [
        ("did:key", did_key.clone(), format!("{did_key}#{multibase}")),
        ("long-form did:ion", ion.clone(), format!("{ion}#key-1")),
        (
            "long-form did:ion, kid under its short form",
            ion.clone(),
            short_kid,
        ),
    ] {
        let status = answer_id1(&s, &holder, &sd_jwt, &holder, &sub, &kid).await;
        assert_eq!(
            status["status"], "VERIFICATION_SUCCESSFUL",
            "{name}: {status}"
        );
        assert_eq!(status["_answer"]["status"], 200, "{name}: {status}");
    }

    // A did:ion whose suffix is another DID's: the initial state does not hash to it,
    // though the key inside is the holder's and signs the token.
    let stranger = HolderKey::es256();
    let other = vouch::protocol::did::long_form_did_ion(
        &serde_json::to_value(&stranger.jwk).unwrap(),
        "key-1",
    );
    let other_suffix = other["did:ion:".len()..].split_once(':').unwrap().0;
    let forged = ion.replacen(suffix, other_suffix, 1);
    let status = answer_id1(
        &s,
        &holder,
        &sd_jwt,
        &holder,
        &forged,
        &format!("{forged}#key-1"),
    )
    .await;
    failure_because(&status, "INVALID_TOKEN", "suffix");
    // A well-formed did:ion of another key is not the holder of the credential.
    let status = answer_id1(
        &s,
        &holder,
        &sd_jwt,
        &stranger,
        &other,
        &format!("{other}#key-1"),
    )
    .await;
    failure_because(&status, "INVALID_TOKEN", "holder");
    // A short-form did:ion cannot be resolved without an ION node.
    let short = format!("did:ion:{suffix}");
    let status = answer_id1(
        &s,
        &holder,
        &sd_jwt,
        &holder,
        &short,
        &format!("{short}#key-1"),
    )
    .await;
    failure(&status, "INVALID_TOKEN");
}
