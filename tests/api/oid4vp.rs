//! The OpenID4VP verifier through vouch's own test wallet: presentation sessions, the
//! signed request object, `direct_post` answers, and every check of a presentation.
//! Test names carry the `spec-checklist.md` item (`vp_3_4` = §3.4).

use serde_json::{Value, json};

use crate::backend_tests;
use crate::common::{Resp, TestServer};
use crate::credential_types::managed_type;
use crate::wallet::{HolderKey, Offer, PresentationRequest, payload};

backend_tests!(
    vp_3_1_a_session_links_a_signed_request_object_with_a_dcql_query,
    vp_3_4_an_sd_jwt_presentation_verifies_and_shows_its_disclosed_claims,
    vp_3_4_a_jwt_vc_presentation_verifies,
    vp_3_4_holder_side_failures_are_invalid_token,
    vp_3_4_credential_side_failures_are_invalid_credential,
    vp_3_4_missing_credentials_and_fields_are_named,
    vp_3_3_a_session_takes_one_answer_with_its_state,
    vp_3_3_wallet_errors_fail_the_session,
    vp_3_1_request_uri_post_carries_the_wallet_nonce,
    vp_3_1_redirect_uri_clients_pass_the_request_by_value,
    vp_sessions_validate_their_requests,
);

const REVOKE: &str = "application/vnd.pingidentity.validations.revokeCredential+json";

/// A MANAGED type titled `title` and a credential of it issued to `holder` in
/// `suffix` (`.sd_jwt` or `.jwt_vc`); returns the type id, the user credential and the
/// issued credential.
pub async fn issued(
    s: &TestServer,
    title: &str,
    holder: &HolderKey,
    suffix: &str,
) -> (String, Resp, String) {
    let type_id = match s
        .post(&s.env_path("/credentialTypes"), managed_type(title))
        .await
    {
        r if r.status == 201 => r.id(),
        _ => s.get(&s.env_path("/credentialTypes")).await.json["_embedded"]["items"]
            .as_array()
            .unwrap()
            .iter()
            .find(|t| t["title"] == title)
            .unwrap()["id"]
            .as_str()
            .unwrap()
            .to_string(),
    };
    let (credential, vc) = issue_of(s, &type_id, holder, suffix).await;
    (type_id, credential, vc)
}

pub async fn issue_of(
    s: &TestServer,
    type_id: &str,
    holder: &HolderKey,
    suffix: &str,
) -> (Resp, String) {
    let user = s
        .post(
            &s.env_path("/users"),
            json!({"username": format!("h-{}", uuid::Uuid::new_v4().simple()), "name": {"given": "Ann"}}),
        )
        .await
        .expect(201)
        .id();
    let credential = s
        .post(
            &s.env_path(&format!("/users/{user}/credentials")),
            json!({"credentialType": {"id": type_id}, "data": {"Policy ID": "PX-7", "Note": "n"}}),
        )
        .await
        .expect(201);
    let offer = Offer::fetch(s, &credential.str("/_links/credentialOfferUri/href")).await;
    let access = offer.token(s, None).await.expect(200).str("/access_token");
    let nonce = offer.nonce(s).await;
    let configuration = offer
        .configurations
        .iter()
        .find(|c| c.ends_with(suffix))
        .unwrap();
    let proof = holder
        .proof(&offer.issuer, Some(&nonce), suffix == ".jwt_vc")
        .await;
    let vc = offer
        .credential(
            s,
            &access,
            &json!({"credential_configuration_id": configuration, "proofs": {"jwt": [proof]}}),
        )
        .await
        .expect(200)
        .str("/credentials/0/credential");
    (credential, vc)
}

/// The session trail of `created`.
pub async fn events_of(s: &TestServer, created: &Resp) -> Vec<Value> {
    let events = s.get(&s.link(created, "events")).await.expect(200);
    events.json["_embedded"]["events"]
        .as_array()
        .cloned()
        .unwrap_or_else(|| panic!("{}", events.text))
}

/// The names of the session trail's events, in order.
pub async fn event_names(s: &TestServer, created: &Resp) -> Vec<String> {
    events_of(s, created)
        .await
        .iter()
        .map(|e| e["event"].as_str().unwrap().to_string())
        .collect()
}

pub async fn session(s: &TestServer, body: Value) -> Resp {
    s.post(&s.env_path("/presentationSessions"), body).await
}

/// A session made from `body`, its request opened by the wallet, and `holder`'s
/// presentation of `sd_jwt` (disclosing Policy ID) for it.
pub async fn open_and_present(
    s: &TestServer,
    body: Value,
    holder: &HolderKey,
    sd_jwt: &str,
) -> (Resp, PresentationRequest, String) {
    let created = session(s, body).await.expect(201);
    let request = PresentationRequest::open(s, &created.str("/_links/appOpenURL/href")).await;
    let p = holder
        .present_sd_jwt(
            sd_jwt,
            &["Policy ID"],
            &request.client_id,
            &request.nonce(),
            now(),
        )
        .await;
    (created, request, p)
}

pub fn now() -> i64 {
    chrono::Utc::now().timestamp()
}

/// The query id of the request's first credential query of `format`.
pub fn query_id(request: &PresentationRequest, format: &str) -> String {
    request.claims["dcql_query"]["credentials"]
        .as_array()
        .unwrap()
        .iter()
        .find(|q| q["format"] == format)
        .unwrap()["id"]
        .as_str()
        .unwrap()
        .to_string()
}

pub async fn status_of(s: &TestServer, session: &Resp) -> Resp {
    s.get(&s.link(session, "self")).await.expect(200)
}

async fn vp_3_1_a_session_links_a_signed_request_object_with_a_dcql_query(s: TestServer) {
    let holder = HolderKey::es256();
    let (type_id, _, _) = issued(&s, "Verify me", &holder, ".sd_jwt").await;
    let created = session(
        &s,
        json!({"protocol": "NATIVE", "message": "Please share your policy",
            "requestedCredentials": [{"type": "Verify me", "keys": ["Policy ID"]}]}),
    )
    .await
    .expect(201);
    assert_eq!(created.json["status"], "INITIAL");
    assert_eq!(created.json["protocol"], "NATIVE");
    assert_eq!(created.json["message"], "Please share your policy");
    let link = created.str("/_links/appOpenURL/href");
    assert!(link.starts_with("openid4vp://?client_id=decentralized_identifier%3Adid%3Aweb%3A"));
    let qr = s
        .send(s.http.get(created.str("/_links/qr/href")))
        .await
        .expect(200);
    assert_eq!(qr.header("content-type"), Some("image/png"));

    let request = PresentationRequest::open(&s, &link).await;
    let c = &request.claims;
    assert_eq!(c["response_type"], "vp_token");
    assert_eq!(c["response_mode"], "direct_post");
    assert_eq!(c["aud"], "https://self-issued.me/v2");
    assert!(c["nonce"].as_str().unwrap().len() >= 32);
    assert!(c["exp"].as_i64().unwrap() > c["iat"].as_i64().unwrap());
    assert_eq!(
        c["client_metadata"]["client_name"],
        "Please share your policy"
    );
    let vct = s.url(&format!("/{}/types/{type_id}", s.admin.env));
    assert_eq!(
        c["dcql_query"]["credentials"][0]["meta"]["vct_values"],
        json!([vct])
    );
    assert_eq!(
        c["dcql_query"]["credentials"][0]["claims"],
        json!([{"path": ["Policy ID"]}])
    );
    assert_eq!(
        c["dcql_query"]["credential_sets"][0]["options"],
        json!([["c0_sd_jwt"], ["c0_jwt_vc"]])
    );
    let after = status_of(&s, &created).await;
    assert_eq!(
        after.json["status"], "WAITING",
        "fetching the request moves the session on"
    );
    let data = s.get(&s.link(&created, "credentialData")).await.expect(200);
    assert_eq!(data.json["credentialData"], json!([]));
}

async fn vp_3_4_an_sd_jwt_presentation_verifies_and_shows_its_disclosed_claims(s: TestServer) {
    let holder = HolderKey::es256();
    let (_, _, sd_jwt) = issued(&s, "Verify sd", &holder, ".sd_jwt").await;
    let (created, request, presentation) = open_and_present(
        &s,
        json!({"requestedCredentials": [{"type": "Verify sd", "keys": ["Policy ID"]}]}),
        &holder,
        &sd_jwt,
    )
    .await;
    let answered = request
        .answer(
            &s,
            &json!({query_id(&request, "dc+sd-jwt"): [presentation]}),
        )
        .await
        .expect(200);
    assert_eq!(answered.json, json!({}));
    let done = status_of(&s, &created).await;
    assert_eq!(
        done.json["status"], "VERIFICATION_SUCCESSFUL",
        "{}",
        done.text
    );
    let data = s.get(&s.link(&created, "credentialData")).await.expect(200);
    let credential = &data.json["credentialData"][0];
    assert_eq!(credential["issuerId"], s.admin.env.as_str());
    assert_eq!(
        credential["data"],
        json!([{"key": "Policy ID", "value": "PX-7"}]),
        "only what was disclosed"
    );
    let session_data = s.get(&s.link(&created, "sessionData")).await.expect(200);
    assert_eq!(
        session_data.json["verifiedData"][0]["metaData"]["verificationStatus"],
        "VALID"
    );
    let names = event_names(&s, &created).await;
    assert_eq!(
        names,
        [
            "SESSION_CREATED",
            "REQUEST_FETCHED",
            "RESPONSE_RECEIVED",
            "VERIFICATION_SUCCESSFUL"
        ]
    );
}

/// An OPENID4VP session for `title` answered with `holder`'s presentation of `vc`; the
/// response_uri must answer `expected`.
async fn answer_jwt_vc(
    s: &TestServer,
    title: &str,
    holder: &HolderKey,
    vc: &str,
    expected: u16,
) -> Resp {
    let created = session(
        s,
        json!({"protocol": "OPENID4VP", "requestedCredentials": [{"type": title}]}),
    )
    .await
    .expect(201);
    let request = PresentationRequest::open(s, &created.str("/_links/appOpenURL/href")).await;
    let vp = holder
        .present_jwt_vc(vc, &request.client_id, &request.nonce(), now())
        .await;
    request
        .answer(s, &json!({query_id(&request, "jwt_vc_json"): [vp]}))
        .await
        .expect(expected);
    created
}

async fn vp_3_4_a_jwt_vc_presentation_verifies(s: TestServer) {
    let holder = HolderKey::es256();
    let (_, _, vc) = issued(&s, "Verify jwt", &holder, ".jwt_vc").await;
    let created = answer_jwt_vc(&s, "Verify jwt", &holder, &vc, 200).await;
    let done = status_of(&s, &created).await;
    assert_eq!(
        done.json["status"], "VERIFICATION_SUCCESSFUL",
        "{}",
        done.text
    );
    let data = s.get(&s.link(&created, "credentialData")).await.expect(200);
    let credential = &data.json["credentialData"][0];
    assert!(
        credential["types"]
            .as_array()
            .unwrap()
            .contains(&json!("VerifiableCredential"))
    );
    let keys: Vec<&str> = credential["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["key"].as_str().unwrap())
        .collect();
    assert!(keys.contains(&"Policy ID"), "{keys:?}");

    // Suspended: the credential names its revocation list only (VCDM 1.1 has room for
    // one status), yet this server's verifier reads the suspension list beside it.
    let (_, held, vc) = issued(&s, "Verify jwt", &holder, ".jwt_vc").await;
    s.send(
        s.req(
            reqwest::Method::POST,
            &s.link(&held, "self"),
            &s.admin.token,
        )
        .header(
            "content-type",
            "application/vnd.vouch.suspendCredential+json",
        )
        .body("{}"),
    )
    .await
    .expect(200);
    let created = answer_jwt_vc(&s, "Verify jwt", &holder, &vc, 400).await;
    let status = status_of(&s, &created).await.json;
    failure_because(&status, "INVALID_CREDENTIAL", "suspended");
}

/// Answers a fresh session for `title` with the SD-JWT `sd_jwt` presented by `make` and
/// returns the session's status and errors.
async fn answer_sd_jwt<F, Fut>(s: &TestServer, title: &str, make: F) -> Value
where
    F: FnOnce(PresentationRequest) -> Fut,
    Fut: std::future::Future<Output = (PresentationRequest, String)>,
{
    let created = session(
        s,
        json!({"requestedCredentials": [{"type": title, "keys": ["Policy ID"]}]}),
    )
    .await
    .expect(201);
    let request = PresentationRequest::open(s, &created.str("/_links/appOpenURL/href")).await;
    let (request, presentation) = make(request).await;
    let answered = request
        .answer(s, &json!({query_id(&request, "dc+sd-jwt"): [presentation]}))
        .await;
    let mut status = status_of(s, &created).await.json;
    status["_answer"] = json!({"status": answered.status, "body": answered.json});
    status
}

/// The session failed with `code`, and the wallet was told so with a 400 that names it
/// (the OpenID conformance suite's negative tests look for a 4xx).
/// [`failure`], the first error's message saying `reason`.
#[track_caller]
pub fn failure_because(status: &Value, code: &str, reason: &str) {
    failure(status, code);
    assert!(
        status["errors"][0]["message"]
            .as_str()
            .is_some_and(|m| m.contains(reason)),
        "the reason should say {reason:?}: {status}"
    );
}

pub fn failure(status: &Value, code: &str) {
    assert_eq!(status["status"], "VERIFICATION_FAILED", "{status}");
    assert_eq!(status["errors"][0]["code"], code, "{status}");
    assert!(
        !status["errors"][0]["message"]
            .as_str()
            .unwrap_or_default()
            .is_empty(),
        "{status}"
    );
    if let Some(answer) = status.get("_answer") {
        assert_eq!(answer["status"], 400, "{status}");
        assert_eq!(answer["body"]["error"], "invalid_request", "{status}");
        assert!(
            answer["body"]["error_description"]
                .as_str()
                .unwrap()
                .contains(code),
            "{status}"
        );
    }
}

/// What a holder puts in its proof for a request: audience, nonce and issued-at.
type ProofClaims = Box<dyn Fn(&PresentationRequest) -> (String, String, i64)>;

async fn vp_3_4_holder_side_failures_are_invalid_token(s: TestServer) {
    let holder = HolderKey::es256();
    let (_, _, sd_jwt) = issued(&s, "Verify holder", &holder, ".sd_jwt").await;
    let cases: Vec<(&str, ProofClaims)> = vec![
        (
            "wrong nonce",
            Box::new(|r| (r.client_id.clone(), "not-the-nonce".into(), now())),
        ),
        (
            "wrong aud",
            Box::new(|r| {
                (
                    "decentralized_identifier:did:web:elsewhere".into(),
                    r.nonce(),
                    now(),
                )
            }),
        ),
        (
            "stale iat",
            Box::new(|r| (r.client_id.clone(), r.nonce(), now() - 3600)),
        ),
    ];
    for (name, params) in cases {
        let status = answer_sd_jwt(&s, "Verify holder", |r| {
            let (aud, nonce, iat) = params(&r);
            let (holder, sd_jwt) = (&holder, sd_jwt.clone());
            async move {
                let p = holder
                    .present_sd_jwt(&sd_jwt, &["Policy ID"], &aud, &nonce, iat)
                    .await;
                (r, p)
            }
        })
        .await;
        assert_eq!(status["status"], "VERIFICATION_FAILED", "{name}: {status}");
        failure(&status, "INVALID_TOKEN");
    }
    // The key binding signed by a key other than the credential's cnf key.
    let stranger = HolderKey::es256();
    let status = answer_sd_jwt(&s, "Verify holder", |r| {
        let sd_jwt = sd_jwt.clone();
        let stranger = &stranger;
        async move {
            let p = stranger
                .present_sd_jwt(&sd_jwt, &["Policy ID"], &r.client_id, &r.nonce(), now())
                .await;
            (r, p)
        }
    })
    .await;
    failure(&status, "INVALID_TOKEN");
}

async fn vp_3_4_credential_side_failures_are_invalid_credential(s: TestServer) {
    let holder = HolderKey::es256();
    let (type_id, credential, sd_jwt) = issued(&s, "Verify cred", &holder, ".sd_jwt").await;
    // A tampered disclosure: its digest is not in the credential.
    let status = answer_sd_jwt(&s, "Verify cred", |r| {
        let (holder, sd_jwt) = (&holder, sd_jwt.clone());
        async move {
            use base64::Engine as _;
            let b64 = base64::engine::general_purpose::URL_SAFE_NO_PAD;
            let mut parts: Vec<String> = sd_jwt
                .trim_end_matches('~')
                .split('~')
                .map(str::to_string)
                .collect();
            for d in parts.iter_mut().skip(1) {
                let mut v: Value = serde_json::from_slice(&b64.decode(&*d).unwrap()).unwrap();
                if v[1] == "Policy ID" {
                    v[2] = json!("FORGED");
                    *d = b64.encode(v.to_string());
                }
            }
            let tampered = format!("{}~", parts.join("~"));
            let p = holder
                .present_sd_jwt(&tampered, &["Policy ID"], &r.client_id, &r.nonce(), now())
                .await;
            (r, p)
        }
    })
    .await;
    failure(&status, "INVALID_CREDENTIAL");

    // A forged issuer signature.
    let status = answer_sd_jwt(&s, "Verify cred", |r| {
        let (holder, sd_jwt) = (&holder, sd_jwt.clone());
        async move {
            // One character in the middle of the signature, so the base64 stays valid.
            let (jwt, rest) = sd_jwt.split_once('~').unwrap();
            let mut jwt: Vec<char> = jwt.chars().collect();
            let at = jwt.len() - 20;
            jwt[at] = if jwt[at] == 'A' { 'B' } else { 'A' };
            let forged = format!("{}~{rest}", jwt.into_iter().collect::<String>());
            let p = holder
                .present_sd_jwt(&forged, &["Policy ID"], &r.client_id, &r.nonce(), now())
                .await;
            (r, p)
        }
    })
    .await;
    failure(&status, "INVALID_CREDENTIAL");

    // An issuer outside the session's filter.
    let other = s.new_environment("elsewhere").await;
    let (created, request, p) = open_and_present(
        &s,
        json!({"requestedCredentials": [{"type": "Verify cred", "keys": ["Policy ID"]}],
            "issuerFilter": {"environmentIds": [other.env]}}),
        &holder,
        &sd_jwt,
    )
    .await;
    request
        .answer(&s, &json!({"c0_sd_jwt": [p]}))
        .await
        .expect(400);
    let status = status_of(&s, &created).await.json;
    failure_because(&status, "INVALID_CREDENTIAL", "issuerFilter");

    // A revoked credential, then a suspended one.
    s.send(
        s.req(
            reqwest::Method::POST,
            &s.link(&credential, "self"),
            &s.admin.token,
        )
        .header("content-type", REVOKE)
        .body("{}"),
    )
    .await
    .expect(200);
    let status = answer_sd_jwt(&s, "Verify cred", |r| {
        let (holder, sd_jwt) = (&holder, sd_jwt.clone());
        async move {
            let p = holder
                .present_sd_jwt(&sd_jwt, &["Policy ID"], &r.client_id, &r.nonce(), now())
                .await;
            (r, p)
        }
    })
    .await;
    failure_because(&status, "INVALID_CREDENTIAL", "revoked");
    let (held, held_sd_jwt) = issue_of(&s, &type_id, &holder, ".sd_jwt").await;
    s.send(
        s.req(
            reqwest::Method::POST,
            &s.link(&held, "self"),
            &s.admin.token,
        )
        .header(
            "content-type",
            "application/vnd.vouch.suspendCredential+json",
        )
        .body("{}"),
    )
    .await
    .expect(200);
    let status = answer_sd_jwt(&s, "Verify cred", |r| {
        let holder = &holder;
        async move {
            let p = holder
                .present_sd_jwt(
                    &held_sd_jwt,
                    &["Policy ID"],
                    &r.client_id,
                    &r.nonce(),
                    now(),
                )
                .await;
            (r, p)
        }
    })
    .await;
    failure_because(&status, "INVALID_CREDENTIAL", "suspended");
}

async fn vp_3_4_missing_credentials_and_fields_are_named(s: TestServer) {
    let holder = HolderKey::es256();
    let (_, _, sd_jwt) = issued(&s, "Verify fields", &holder, ".sd_jwt").await;
    // Policy ID asked for, only Note disclosed.
    let status = answer_sd_jwt(&s, "Verify fields", |r| {
        let (holder, sd_jwt) = (&holder, sd_jwt.clone());
        async move {
            let p = holder
                .present_sd_jwt(&sd_jwt, &["Note"], &r.client_id, &r.nonce(), now())
                .await;
            (r, p)
        }
    })
    .await;
    failure(&status, "REQUESTED_FIELD_MISSING");
    assert_eq!(status["errors"][0]["target"], "Policy ID");

    // A credential of another type answers the request.
    let (_, _, other) = issued(&s, "Verify other", &holder, ".sd_jwt").await;
    let status = answer_sd_jwt(&s, "Verify fields", |r| {
        let holder = &holder;
        async move {
            let p = holder
                .present_sd_jwt(&other, &["Policy ID"], &r.client_id, &r.nonce(), now())
                .await;
            (r, p)
        }
    })
    .await;
    failure(&status, "REQUESTED_CREDENTIAL_MISSING");

    // An answer for a query the request does not have.
    let (created, request, p) = open_and_present(
        &s,
        json!({"requestedCredentials": [{"type": "Verify fields"}]}),
        &holder,
        &sd_jwt,
    )
    .await;
    request.answer(&s, &json!({"nope": [p]})).await.expect(400);
    failure(
        &status_of(&s, &created).await.json,
        "REQUESTED_CREDENTIAL_MISSING",
    );
}

async fn vp_3_3_a_session_takes_one_answer_with_its_state(s: TestServer) {
    let holder = HolderKey::es256();
    let (_, _, sd_jwt) = issued(&s, "Verify once", &holder, ".sd_jwt").await;
    let (created, request, p) = open_and_present(
        &s,
        json!({"requestedCredentials": [{"type": "Verify once"}]}),
        &holder,
        &sd_jwt,
    )
    .await;
    let token = json!({"c0_sd_jwt": [p]});
    // Somebody else's answer: wrong state. Refused, the session stays open.
    let wrong = request
        .post(
            &s,
            &[("vp_token", token.to_string()), ("state", "forged".into())],
        )
        .await
        .expect(400);
    assert_eq!(wrong.json["error"], "invalid_request");
    assert_eq!(status_of(&s, &created).await.json["status"], "WAITING");
    // Concurrent answers: one lands.
    let (a, b) = tokio::join!(request.answer(&s, &token), request.answer(&s, &token));
    let mut statuses = [a.status, b.status];
    statuses.sort();
    assert_eq!(statuses, [200, 400]);
    assert_eq!(
        status_of(&s, &created).await.json["status"],
        "VERIFICATION_SUCCESSFUL"
    );
    request.answer(&s, &token).await.expect(400);
    // The request object of an answered session is gone too.
    s.send(s.http.get(created.str("/_links/requestUri/href")))
        .await
        .expect(400);
    // Malformed answers.
    let created = session(
        &s,
        json!({"requestedCredentials": [{"type": "Verify once"}]}),
    )
    .await
    .expect(201);
    let request = PresentationRequest::open(&s, &created.str("/_links/appOpenURL/href")).await;
    let state = request.claims["state"].as_str().unwrap().to_string();
    for body in [
        vec![("state", state.clone())],
        vec![("vp_token", "[]".to_string()), ("state", state.clone())],
    ] {
        assert_eq!(
            request.post(&s, &body).await.expect(400).json["error"],
            "invalid_request"
        );
    }
    assert_eq!(status_of(&s, &created).await.json["status"], "WAITING");
}

async fn vp_3_3_wallet_errors_fail_the_session(s: TestServer) {
    let holder = HolderKey::es256();
    issued(&s, "Verify declined", &holder, ".sd_jwt").await;
    let created = session(
        &s,
        json!({"requestedCredentials": [{"type": "Verify declined"}]}),
    )
    .await
    .expect(201);
    let request = PresentationRequest::open(&s, &created.str("/_links/appOpenURL/href")).await;
    let state = request.claims["state"].as_str().unwrap().to_string();
    request
        .post(
            &s,
            &[
                ("error", "access_denied".into()),
                ("error_description", "the user said no".into()),
                ("state", state),
            ],
        )
        .await
        .expect(200);
    let status = status_of(&s, &created).await.json;
    assert_eq!(status["status"], "VERIFICATION_FAILED");
    assert!(
        status["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("access_denied")
    );
}

async fn vp_3_1_request_uri_post_carries_the_wallet_nonce(s: TestServer) {
    let holder = HolderKey::es256();
    issued(&s, "Verify post", &holder, ".sd_jwt").await;
    let created = session(
        &s,
        json!({"requestedCredentials": [{"type": "Verify post"}]}),
    )
    .await
    .expect(201);
    let fetched = s
        .send(
            s.http
                .post(created.str("/_links/requestUri/href"))
                .form(&[("wallet_nonce", "wn-123"), ("wallet_metadata", "{}")]),
        )
        .await
        .expect(200);
    assert_eq!(payload(&fetched.text)["wallet_nonce"], "wn-123");
    assert_eq!(status_of(&s, &created).await.json["status"], "WAITING");
}

async fn vp_3_1_redirect_uri_clients_pass_the_request_by_value(s: TestServer) {
    let holder = HolderKey::es256();
    issued(&s, "Verify byvalue", &holder, ".sd_jwt").await;
    let created = session(
        &s,
        json!({"requestedCredentials": [{"type": "Verify byvalue"}], "clientIdPrefix": "redirect_uri"}),
    )
    .await
    .expect(201);
    let link = reqwest::Url::parse(&created.str("/_links/appOpenURL/href")).unwrap();
    let params: std::collections::HashMap<String, String> =
        link.query_pairs().into_owned().collect();
    assert!(params["client_id"].starts_with("redirect_uri:"));
    assert_eq!(
        params["client_id"].strip_prefix("redirect_uri:").unwrap(),
        params["response_uri"]
    );
    assert!(params.contains_key("dcql_query") && params.contains_key("nonce"));
    s.send(s.http.get(created.str("/_links/requestUri/href")))
        .await
        .expect(400);
}

async fn vp_sessions_validate_their_requests(s: TestServer) {
    let holder = HolderKey::es256();
    issued(&s, "Verify valid", &holder, ".sd_jwt").await;
    session(
        &s,
        json!({"requestedCredentials": [{"type": "No such type"}]}),
    )
    .await
    .expect_error(400, "INVALID_DATA", &["requestedCredentials[0].type"]);
    session(
        &s,
        json!({"requestedCredentials": [{"type": "Verify valid", "keys": ["Policy ID", "Nope"]}]}),
    )
    .await
    .expect_error(400, "INVALID_DATA", &["requestedCredentials[0].keys[1]"]);
    session(
        &s,
        json!({"dcqlQuery": {"credentials": [{"id": "x", "format": "dc+sd-jwt"}]}}),
    )
    .await
    .expect_error(400, "INVALID_DATA", &["dcqlQuery"]);
    let raw = session(
        &s,
        json!({"dcqlQuery": {"credentials": [{"id": "mine", "format": "dc+sd-jwt", "meta": {"vct_values": ["https://x/t"]}}]}}),
    )
    .await
    .expect(201);
    assert_eq!(raw.json["dcql"]["credentials"][0]["id"], "mine");
    let id = session(
        &s,
        json!({"requestedCredentials": [{"type": "Verify valid"}]}),
    )
    .await
    .expect(201);
    s.delete(&s.link(&id, "self")).await.expect(204);
    s.get(&s.link(&id, "self")).await.expect(404);
    // another environment's token sees nothing
    let other = s.new_environment("other").await;
    let foreign = s.get_as(&other.token, &s.link(&raw, "self")).await;
    assert_eq!(foreign.status, 403);
}
