//! OpenID4VCI: the other formats and shapes, batches, transaction codes, every error
//! code of the token and credential endpoints, deferred issuance, notifications, offer
//! expiry, QR codes and discovery. Names carry the `spec-checklist.md` item.

use identity_kit::jose::{DefaultVerifier, Jwk};
use serde_json::{Value, json};

use crate::backend_tests;
use crate::common::{Resp, TestServer};
use crate::oid4vci::{Issued, issued};
use crate::wallet::{HolderKey, Offer, header, payload};

backend_tests!(
    vci_2_2_jwt_vc_json_bound_to_a_did_jwk_holder,
    vci_1_12_draft_13_request_and_response_shapes,
    vci_1_7_batch_issuance_one_credential_per_key,
    vci_1_3_tx_code_is_required_checked_and_limited,
    vci_1_5_token_endpoint_errors,
    vci_1_7_credential_endpoint_errors_issue_nothing,
    vci_1_9_deferred_issuance_after_approval,
    vci_1_9_notifications_become_wallet_actions,
    revoked_credentials_are_not_delivered,
    qr_codes_and_the_offer_page,
    vci_1_1_discovery_documents,
    vci_1_3_one_hundred_racing_token_requests_have_one_winner,
    vci_1_6_one_hundred_racing_uses_of_one_nonce_have_one_winner,
);

mod vci_1_3_offers_expire_and_can_be_renewed {
    use crate::common::{Backend, TestServer};

    #[actix_web::test]
    async fn sqlite() {
        super::offers_expire(
            TestServer::start_with(Backend::Sqlite, |c| c.offer_ttl_seconds = 1).await,
        )
        .await
    }

    #[actix_web::test]
    async fn postgres() {
        super::offers_expire(
            TestServer::start_with(Backend::Postgres, |c| c.offer_ttl_seconds = 1).await,
        )
        .await
    }
}

async fn offers_expire(s: TestServer) {
    let x = issued(&s, "Expiring", Value::Null).await;
    let offer = Offer::fetch(&s, &x.offer_uri(&s)).await;
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    s.get_as("", x.offer_uri(&s).strip_prefix(&s.base).unwrap())
        .await
        .expect(404);
    let r = offer.token(&s, None).await.expect(400);
    assert!(
        r.json["error_description"]
            .as_str()
            .unwrap()
            .contains("expired")
    );
    assert_eq!(s.get(&x.path(&s)).await.json["offer"]["status"], "EXPIRED");
    let renewed = s
        .post(&format!("{}/offers", x.path(&s)), json!({}))
        .await
        .expect(201);
    assert_ne!(
        renewed.json["offer"]["id"],
        x.credential.json["offer"]["id"]
    );
    let fresh = Offer::fetch(&s, &renewed.str("/_links/credentialOfferUri/href")).await;
    assert_ne!(fresh.code, offer.code);
    fresh.token(&s, None).await.expect(200);
}

async fn vci_1_3_one_hundred_racing_token_requests_have_one_winner(s: TestServer) {
    let x = issued(&s, "TokenRace", Value::Null).await;
    let offer = Offer::fetch(&s, &x.offer_uri(&s)).await;
    let results = futures_util::future::join_all((0..100).map(|_| offer.token(&s, None))).await;
    let winners = results.iter().filter(|r| r.status == 200).count();
    assert_eq!(winners, 1, "exactly one token request redeems the code");
    assert!(
        results
            .iter()
            .filter(|r| r.status != 200)
            .all(|r| r.json["error"] == "invalid_grant")
    );
    let events = s.get(&s.link(&x.credential, "events")).await.expect(200);
    let issued_tokens = events.json["_embedded"]["events"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["event"] == "TOKEN_ISSUED")
        .count();
    assert_eq!(issued_tokens, 1);
}

async fn vci_1_6_one_hundred_racing_uses_of_one_nonce_have_one_winner(s: TestServer) {
    let x = issued(&s, "NonceRace", Value::Null).await;
    let (offer, token) = redeem(&s, &x, None).await;
    let nonce = offer.nonce(&s).await;
    let holder = HolderKey::es256();
    let mut bodies = Vec::new();
    for _ in 0..100 {
        bodies.push(request(
            &offer.configurations[0],
            vec![holder.proof(&offer.issuer, Some(&nonce), false).await],
        ));
    }
    let results =
        futures_util::future::join_all(bodies.iter().map(|b| offer.credential(&s, &token, b)))
            .await;
    assert_eq!(
        results.iter().filter(|r| r.status == 200).count(),
        1,
        "exactly one request uses the nonce"
    );
    assert!(
        results
            .iter()
            .filter(|r| r.status != 200)
            .all(|r| r.json["error"] == "invalid_nonce")
    );
    assert_eq!(
        s.get(&s.link(&x.credential, "provisionedCredentials"))
            .await
            .json["size"],
        1
    );
}

async fn redeem(s: &TestServer, x: &Issued, tx_code: Option<&str>) -> (Offer, String) {
    let offer = Offer::fetch(s, &x.offer_uri(s)).await;
    let token = offer
        .token(s, tx_code)
        .await
        .expect(200)
        .str("/access_token");
    (offer, token)
}

async fn post_with(s: &TestServer, path: String, access: String, body: Value) -> Resp {
    s.send(s.http.post(s.url(&path)).bearer_auth(access).json(&body))
        .await
}

fn request(config: &str, proofs: Vec<String>) -> Value {
    json!({"credential_configuration_id": config, "proofs": {"jwt": proofs}})
}

async fn revoke(s: &TestServer, x: &Issued) {
    s.send(
        s.req(reqwest::Method::POST, &x.path(s), &s.admin.token)
            .header(
                "content-type",
                "application/vnd.pingidentity.validations.revokeCredential+json",
            )
            .body("{}"),
    )
    .await
    .expect(200);
}

async fn vci_2_2_jwt_vc_json_bound_to_a_did_jwk_holder(s: TestServer) {
    let x = issued(&s, "JwtVc", Value::Null).await;
    let (offer, token) = redeem(&s, &x, None).await;
    let holder = HolderKey::eddsa();
    let proof = holder
        .proof(&offer.issuer, Some(&offer.nonce(&s).await), true)
        .await;
    let r = offer
        .credential(
            &s,
            &token,
            &request(&format!("{}.jwt_vc", x.type_id), vec![proof]),
        )
        .await
        .expect(200);
    let jwt = r.str("/credentials/0/credential");
    let claims = payload(&jwt);
    let did = vouch::protocol::did::environment_did_web(&s.base, &s.admin.env)
        .unwrap()
        .to_string();
    assert_eq!(claims["iss"], did.as_str());
    assert_eq!(claims["sub"], holder.did_jwk().as_str());
    assert_eq!(
        claims["vc"]["type"],
        json!(["VerifiableCredential", "JwtVc"])
    );
    assert_eq!(
        claims["vc"]["@context"],
        json!(["https://www.w3.org/2018/credentials/v1"]),
        "VCDM 1.1 §4.1: an array"
    );
    assert_eq!(claims["vc"]["credentialSubject"]["Policy ID"], "BX-42");
    assert_eq!(claims["vc"]["credentialSubject"]["Given"], "Jane");
    // the signature verifies with the key the issuer's did:web document names
    let kid = header(&jwt)["kid"].as_str().unwrap().to_string();
    assert!(kid.starts_with(&format!("{did}#")));
    let key = s
        .ctx
        .resolver
        .resolve_key(&kid, vouch::protocol::did::resolver::KeyUse::Issuer)
        .await
        .unwrap();
    identity_kit::jose::CompactJws::decode(&jwt)
        .unwrap()
        .verify(&DefaultVerifier, &key)
        .unwrap();
    // a bare-key holder is named by its thumbprint URI
    let y = issued(&s, "JwtVcJwk", Value::Null).await;
    let (offer, token) = redeem(&s, &y, None).await;
    let holder = HolderKey::es256();
    let proof = holder
        .proof(&offer.issuer, Some(&offer.nonce(&s).await), false)
        .await;
    let r = offer
        .credential(
            &s,
            &token,
            &request(&format!("{}.jwt_vc", y.type_id), vec![proof]),
        )
        .await
        .expect(200);
    assert_eq!(
        payload(&r.str("/credentials/0/credential"))["sub"],
        format!(
            "urn:ietf:params:oauth:jwk-thumbprint:sha-256:{}",
            holder.jwk.thumbprint_sha256().unwrap()
        )
    );
}

async fn vci_1_12_draft_13_request_and_response_shapes(s: TestServer) {
    let x = issued(&s, "Draft", Value::Null).await;
    let offer = Offer::fetch(&s, &x.offer_uri(&s)).await;
    let token = offer.token(&s, None).await.expect(200);
    let access = token.str("/access_token");
    assert_eq!(
        token.json["authorization_details"][0]["type"],
        "openid_credential"
    );
    // draft-13 wallets take the nonce from the token response
    let holder = HolderKey::es256();
    let proof = holder
        .proof(&offer.issuer, Some(&token.str("/c_nonce")), false)
        .await;
    let vct = s.url(&format!("/{}/types/{}", s.admin.env, x.type_id));
    let r = offer
        .credential(&s, &access, &json!({"format": "vc+sd-jwt", "vct": vct, "proof": {"proof_type": "jwt", "jwt": proof}}))
        .await
        .expect(200);
    assert!(
        r.str("/credential").contains('~'),
        "draft 13 reads `credential`"
    );
    let proof = holder
        .proof(&offer.issuer, Some(&r.str("/c_nonce")), false)
        .await;
    let r = offer
        .credential(
            &s,
            &access,
            &json!({"format": "jwt_vc_json", "credential_definition": {"type": ["VerifiableCredential", "Draft"]}, "proof": {"proof_type": "jwt", "jwt": proof}}),
        )
        .await
        .expect(200);
    assert_eq!(payload(&r.str("/credential"))["vc"]["type"][1], "Draft");
    // an identifier from authorization_details works too
    let id = token.str("/authorization_details/0/credential_identifiers/0");
    let proof = holder
        .proof(&offer.issuer, Some(&offer.nonce(&s).await), false)
        .await;
    offer
        .credential(
            &s,
            &access,
            &json!({"credential_identifier": id, "proofs": {"jwt": [proof]}}),
        )
        .await
        .expect(200);
}

async fn vci_1_7_batch_issuance_one_credential_per_key(s: TestServer) {
    let x = issued(&s, "Batch", Value::Null).await;
    let (offer, token) = redeem(&s, &x, None).await;
    let nonce = offer.nonce(&s).await;
    let keys = [HolderKey::es256(), HolderKey::es256(), HolderKey::eddsa()];
    let mut proofs = Vec::new();
    for k in &keys {
        proofs.push(k.proof(&offer.issuer, Some(&nonce), false).await);
    }
    // the same key twice yields one credential for it
    proofs.push(keys[0].proof(&offer.issuer, Some(&nonce), false).await);
    let r = offer
        .credential(&s, &token, &request(&offer.configurations[0], proofs))
        .await
        .expect(200);
    let credentials = r.json["credentials"].as_array().unwrap();
    assert_eq!(credentials.len(), 3);
    let mut thumbprints = std::collections::HashSet::new();
    let mut disclosures = std::collections::HashSet::new();
    for c in credentials {
        let c = c["credential"].as_str().unwrap();
        let cnf: Jwk = serde_json::from_value(payload(c)["cnf"]["jwk"].clone()).unwrap();
        thumbprints.insert(cnf.thumbprint_sha256().unwrap());
        for d in c.split('~').skip(1).filter(|d| !d.is_empty()) {
            assert!(
                disclosures.insert(d.to_string()),
                "salts differ between the credentials of a batch"
            );
        }
    }
    assert_eq!(thumbprints.len(), 3);
    assert_eq!(
        s.get(&s.link(&x.credential, "provisionedCredentials"))
            .await
            .json["size"],
        3
    );
    let too_many: Vec<String> = std::iter::repeat_n("x".to_string(), 11).collect();
    let r = offer
        .credential(&s, &token, &request(&offer.configurations[0], too_many))
        .await
        .expect(400);
    assert_eq!(r.json["error"], "invalid_credential_request");
}

async fn vci_1_3_tx_code_is_required_checked_and_limited(s: TestServer) {
    let setting = json!({"txCode": {"inputMode": "numeric", "length": 6, "description": "Sent to your phone"}});
    let x = issued(&s, "Tx", setting.clone()).await;
    let code = x.credential.str("/offer/txCode");
    assert!(code.len() == 6 && code.chars().all(|c| c.is_ascii_digit()));
    assert!(
        s.get(&x.path(&s)).await.json["offer"]
            .get("txCode")
            .is_none(),
        "the code is shown once"
    );
    let offer_json = s
        .get_as("", x.offer_uri(&s).strip_prefix(&s.base).unwrap())
        .await
        .expect(200)
        .json;
    let tx =
        &offer_json["grants"]["urn:ietf:params:oauth:grant-type:pre-authorized_code"]["tx_code"];
    assert_eq!(
        tx,
        &json!({"input_mode": "numeric", "length": 6, "description": "Sent to your phone"})
    );
    assert!(
        !offer_json.to_string().contains(&code),
        "the code never travels in the offer"
    );
    let offer = Offer::from_json(&offer_json);
    assert!(offer.tx_code_required);
    assert_eq!(
        offer.token(&s, None).await.expect(400).json["error"],
        "invalid_request"
    );
    let wrong = if code == "000000" { "111111" } else { "000000" };
    let r = offer.token(&s, Some(wrong)).await.expect(400);
    assert_eq!(r.json["error"], "invalid_grant");
    assert!(
        r.json["error_description"]
            .as_str()
            .unwrap()
            .contains("4 attempt(s) left")
    );
    offer.token(&s, Some(&code)).await.expect(200);
    // five wrong codes close the offer: the right one no longer works
    let y = issued(&s, "Tx2", setting).await;
    let code = y.credential.str("/offer/txCode");
    let wrong = if code == "000000" { "111111" } else { "000000" };
    let offer = Offer::fetch(&s, &y.offer_uri(&s)).await;
    for _ in 0..5 {
        assert_eq!(
            offer.token(&s, Some(wrong)).await.expect(400).json["error"],
            "invalid_grant"
        );
    }
    let r = offer.token(&s, Some(&code)).await.expect(400);
    assert_eq!(r.json["error"], "invalid_grant");
    assert!(
        r.json["error_description"]
            .as_str()
            .unwrap()
            .contains("too many")
    );
    assert_eq!(s.get(&y.path(&s)).await.json["offer"]["status"], "DEAD");
    // an offer without a code refuses one
    let z = issued(&s, "NoTx", Value::Null).await;
    let offer = Offer::fetch(&s, &z.offer_uri(&s)).await;
    assert_eq!(
        offer.token(&s, Some("123456")).await.expect(400).json["error"],
        "invalid_request"
    );
}

async fn vci_1_5_token_endpoint_errors(s: TestServer) {
    let x = issued(&s, "TokenErrors", Value::Null).await;
    let offer = Offer::fetch(&s, &x.offer_uri(&s)).await;
    let url = s.url(&offer.path(&s, "token"));
    let grant = "urn:ietf:params:oauth:grant-type:pre-authorized_code";
    let post = |form: Vec<(&'static str, String)>| s.send(s.http.post(&url).form(&form));
    let error = |r: Resp| {
        assert_eq!(r.status, 400, "{}", r.text);
        assert_eq!(r.header("cache-control"), Some("no-store"));
        r.json["error"].as_str().unwrap().to_string()
    };
    assert_eq!(
        error(post(vec![("grant_type", grant.into())]).await),
        "invalid_request"
    );
    assert_eq!(
        error(
            post(vec![
                ("grant_type", grant.into()),
                ("pre-authorized_code", "nope".into())
            ])
            .await
        ),
        "invalid_grant"
    );
    assert_eq!(
        error(post(vec![("grant_type", "password".into())]).await),
        "unsupported_grant_type"
    );
    assert_eq!(
        error(post(vec![("grant_type", "authorization_code".into())]).await),
        "unsupported_grant_type"
    );
    assert_eq!(error(post(vec![]).await), "invalid_request");
    assert_eq!(
        error(
            s.send(s.http.post(&url).json(&json!({"grant_type": grant})))
                .await
        ),
        "invalid_request"
    );
    // a code of another environment is unknown here
    let other = s.new_environment("Other").await;
    let foreign = s
        .send(
            s.http
                .post(s.url(&format!("/{}/oid4vci/token", other.env)))
                .form(&[
                    ("grant_type", grant),
                    ("pre-authorized_code", offer.code.as_str()),
                ]),
        )
        .await;
    assert_eq!(error(foreign), "invalid_grant");
    // single use, and refresh tokens rotate
    let first = offer.token(&s, None).await.expect(200);
    assert_eq!(error(offer.token(&s, None).await), "invalid_grant");
    let refresh = first.str("/refresh_token");
    let refreshed = post(vec![
        ("grant_type", "refresh_token".into()),
        ("refresh_token", refresh.clone()),
    ])
    .await
    .expect(200);
    assert_ne!(refreshed.str("/access_token"), first.str("/access_token"));
    assert_eq!(
        error(
            post(vec![
                ("grant_type", "refresh_token".into()),
                ("refresh_token", refresh)
            ])
            .await
        ),
        "invalid_grant"
    );
}

#[track_caller]
fn expect_oauth(r: Resp, status: u16, error: &str) -> Resp {
    assert_eq!(r.status, status, "{error}: {}", r.text);
    assert_eq!(r.json["error"], error, "{}", r.text);
    assert!(
        r.json["error_description"]
            .as_str()
            .is_some_and(|d| d.len() > 10),
        "{}",
        r.text
    );
    assert_eq!(r.header("cache-control"), Some("no-store"));
    r
}

async fn vci_1_7_credential_endpoint_errors_issue_nothing(s: TestServer) {
    let x = issued(&s, "Errors", Value::Null).await;
    let (offer, token) = redeem(&s, &x, None).await;
    let config = offer.configurations[0].clone();
    let holder = HolderKey::es256();
    let issuer = offer.issuer.clone();
    let body = |proof: String| request(&config, vec![proof]);
    // invalid_token
    let p = holder
        .proof(&issuer, Some(&offer.nonce(&s).await), false)
        .await;
    let r = expect_oauth(
        offer.credential(&s, "not-a-token", &body(p.clone())).await,
        401,
        "invalid_token",
    );
    assert!(
        r.header("www-authenticate")
            .unwrap()
            .starts_with("Bearer error=\"invalid_token\"")
    );
    expect_oauth(
        s.send(
            s.http
                .post(s.url(&offer.path(&s, "credential")))
                .json(&body(p.clone())),
        )
        .await,
        401,
        "invalid_token",
    );
    let in_query = s
        .send(
            s.http
                .post(s.url(&format!(
                    "{}?access_token={token}",
                    offer.path(&s, "credential")
                )))
                .json(&body(p.clone())),
        )
        .await;
    expect_oauth(in_query, 400, "invalid_request");
    // request shape and the credential asked for
    expect_oauth(
        offer
            .credential(&s, &token, &json!({"proofs": {"jwt": ["x"]}}))
            .await,
        400,
        "invalid_credential_request",
    );
    expect_oauth(
        offer
            .credential(&s, &token, &request("nope.sd_jwt", vec![p.clone()]))
            .await,
        400,
        "unknown_credential_configuration",
    );
    expect_oauth(
        offer
            .credential(
                &s,
                &token,
                &json!({"credential_identifier": "nope", "proofs": {"jwt": [p.clone()]}}),
            )
            .await,
        400,
        "unknown_credential_identifier",
    );
    let mut encrypted = body(p);
    encrypted["credential_response_encryption"] = json!({"jwk": {}, "enc": "A128GCM"});
    expect_oauth(
        offer.credential(&s, &token, &encrypted).await,
        400,
        "invalid_encryption_parameters",
    );
    expect_oauth(
        offer
            .credential(&s, &token, &json!({"credential_configuration_id": config}))
            .await,
        400,
        "invalid_proof",
    );
    // proofs, each broken one way
    let nonce = offer.nonce(&s).await;
    let now = chrono::Utc::now().timestamp();
    let jwk = serde_json::to_value(&holder.jwk).unwrap();
    let typ = "openid4vci-proof+jwt";
    let none = {
        use base64::Engine as _;
        let e = |v: &Value| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(v.to_string());
        format!(
            "{}.{}.",
            e(&json!({"alg": "none", "typ": typ, "jwk": jwk})),
            e(&json!({"aud": issuer, "iat": now, "nonce": nonce}))
        )
    };
    let bad_proofs = [
        (
            "wrong typ",
            holder
                .sign(
                    json!({"typ": "JWT", "jwk": jwk}),
                    &json!({"aud": issuer, "iat": now, "nonce": nonce}),
                )
                .await,
        ),
        (
            "wrong aud",
            holder
                .sign(
                    json!({"typ": typ, "jwk": jwk}),
                    &json!({"aud": "https://evil.example", "iat": now, "nonce": nonce}),
                )
                .await,
        ),
        (
            "stale iat",
            holder
                .sign(
                    json!({"typ": typ, "jwk": jwk}),
                    &json!({"aud": issuer, "iat": now - 3600, "nonce": nonce}),
                )
                .await,
        ),
        ("no nonce", holder.proof(&issuer, None, false).await),
        (
            "another key's signature",
            HolderKey::es256()
                .sign(
                    json!({"typ": typ, "jwk": jwk}),
                    &json!({"aud": issuer, "iat": now, "nonce": nonce}),
                )
                .await,
        ),
        ("alg none", none),
        (
            "unresolvable kid",
            holder
                .sign(
                    json!({"typ": typ, "kid": "did:example:123#k"}),
                    &json!({"aud": issuer, "iat": now, "nonce": nonce}),
                )
                .await,
        ),
    ];
    for (what, proof) in bad_proofs {
        let r = offer.credential(&s, &token, &body(proof)).await;
        assert_eq!(
            (r.status, r.json["error"].as_str()),
            (400, Some("invalid_proof")),
            "{what}: {}",
            r.text
        );
    }
    // a nonce this issuer never made
    let forged = holder.proof(&issuer, Some("bm90LWEtbm9uY2U"), false).await;
    let r = expect_oauth(
        offer.credential(&s, &token, &body(forged)).await,
        400,
        "invalid_nonce",
    );
    assert!(
        r.json["c_nonce"].is_string(),
        "a fresh nonce comes with invalid_nonce"
    );
    // nothing was issued by any of these
    assert_eq!(s.get(&x.path(&s)).await.json["status"], "PENDING");
    assert_eq!(
        s.get(&s.link(&x.credential, "provisionedCredentials"))
            .await
            .json["size"],
        0
    );
    let ok = holder.proof(&issuer, Some(&nonce), false).await;
    offer.credential(&s, &token, &body(ok)).await.expect(200);
    // a used nonce
    let replay = holder.proof(&issuer, Some(&nonce), false).await;
    expect_oauth(
        offer.credential(&s, &token, &body(replay)).await,
        400,
        "invalid_nonce",
    );
    assert_eq!(
        s.get(&s.link(&x.credential, "provisionedCredentials"))
            .await
            .json["size"],
        1
    );
    // the trail says what happened, and why refusals were refused
    let events = s.get(&s.link(&x.credential, "events")).await.expect(200);
    let list = events.json["_embedded"]["events"].as_array().unwrap();
    let names: Vec<&str> = list.iter().map(|e| e["event"].as_str().unwrap()).collect();
    for expected in [
        "OFFER_CREATED",
        "OFFER_FETCHED",
        "TOKEN_ISSUED",
        "PROOF_REJECTED",
        "NONCE_REJECTED",
        "CREDENTIAL_REQUEST_REJECTED",
        "CREDENTIAL_ISSUED",
    ] {
        assert!(names.contains(&expected), "{expected} in {names:?}");
    }
    let stale = list
        .iter()
        .find(|e| {
            e["detail"]["description"]
                .as_str()
                .is_some_and(|d| d.contains("iat"))
        })
        .unwrap();
    assert_eq!(stale["event"], "PROOF_REJECTED");
}

async fn vci_1_9_deferred_issuance_after_approval(s: TestServer) {
    let x = issued(&s, "Approval", json!({"requiresApproval": true})).await;
    let offer = Offer::fetch(&s, &x.offer_uri(&s)).await;
    let token = offer.token(&s, None).await.expect(200);
    let access = token.str("/access_token");
    let holder = HolderKey::es256();
    let proof = holder
        .proof(&offer.issuer, Some(&offer.nonce(&s).await), false)
        .await;
    let r = offer
        .credential(&s, &access, &request(&offer.configurations[0], vec![proof]))
        .await
        .expect(202);
    let transaction = r.str("/transaction_id");
    assert!(r.json["interval"].as_i64().unwrap() > 0);
    let deferred = |access: String, transaction: String| {
        post_with(
            &s,
            offer.path(&s, "deferred"),
            access,
            json!({"transaction_id": transaction}),
        )
    };
    deferred(access.clone(), transaction.clone())
        .await
        .expect(202);
    expect_oauth(
        deferred(access.clone(), "nope".into()).await,
        400,
        "invalid_transaction_id",
    );
    assert_eq!(s.get(&x.path(&s)).await.json["status"], "PENDING");
    // the admin sees and approves the request
    let requests = s
        .get(&format!("{}/deferredRequests", x.path(&s)))
        .await
        .expect(200);
    assert_eq!(requests.json["size"], 1);
    assert_eq!(
        requests.json["_embedded"]["deferredRequests"][0]["status"],
        "PENDING"
    );
    let decide = format!(
        "{}/deferredRequests/{}",
        x.path(&s),
        requests.str("/_embedded/deferredRequests/0/id")
    );
    s.post(&decide, json!({"decision": "MAYBE"}))
        .await
        .expect_error(400, "INVALID_DATA", &["decision"]);
    s.post(&decide, json!({"decision": "APPROVE"}))
        .await
        .expect(200);
    s.post(&decide, json!({"decision": "REJECT"}))
        .await
        .expect_error(409, "CONFLICT", &[]);
    // the wallet collects with a refreshed token (the first may have expired by then)
    let refreshed = s
        .send(s.http.post(s.url(&offer.path(&s, "token"))).form(&[
            ("grant_type", "refresh_token"),
            ("refresh_token", token.str("/refresh_token").as_str()),
        ]))
        .await
        .expect(200);
    let collected = deferred(refreshed.str("/access_token"), transaction.clone())
        .await
        .expect(200);
    let credential = collected.str("/credentials/0/credential");
    let cnf: Jwk = serde_json::from_value(payload(&credential)["cnf"]["jwk"].clone()).unwrap();
    assert_eq!(
        cnf.thumbprint_sha256().unwrap(),
        holder.jwk.thumbprint_sha256().unwrap()
    );
    expect_oauth(
        deferred(refreshed.str("/access_token"), transaction).await,
        400,
        "invalid_transaction_id",
    );
    assert_eq!(s.get(&x.path(&s)).await.json["status"], "ISSUED");
    // a rejected request tells the wallet to stop
    let y = issued(&s, "Rejected", json!({"requiresApproval": true})).await;
    let (offer, access) = redeem(&s, &y, None).await;
    let proof = holder
        .proof(&offer.issuer, Some(&offer.nonce(&s).await), false)
        .await;
    let transaction = offer
        .credential(&s, &access, &request(&offer.configurations[0], vec![proof]))
        .await
        .expect(202)
        .str("/transaction_id");
    let requests = s
        .get(&format!("{}/deferredRequests", y.path(&s)))
        .await
        .expect(200);
    let id = requests.str("/_embedded/deferredRequests/0/id");
    s.post(
        &format!("{}/deferredRequests/{id}", y.path(&s)),
        json!({"decision": "REJECT"}),
    )
    .await
    .expect(200);
    let r = s
        .send(
            s.http
                .post(s.url(&offer.path(&s, "deferred")))
                .bearer_auth(&access)
                .json(&json!({"transaction_id": transaction})),
        )
        .await;
    expect_oauth(r, 400, "credential_request_denied");
}

async fn vci_1_9_notifications_become_wallet_actions(s: TestServer) {
    let x = issued(&s, "Notify", Value::Null).await;
    let (offer, access) = redeem(&s, &x, None).await;
    let holder = HolderKey::es256();
    let proof = holder
        .proof(&offer.issuer, Some(&offer.nonce(&s).await), false)
        .await;
    let id = offer
        .credential(&s, &access, &request(&offer.configurations[0], vec![proof]))
        .await
        .expect(200)
        .str("/notification_id");
    let notify = |body: Value| post_with(&s, offer.path(&s, "notification"), access.clone(), body);
    notify(json!({"notification_id": id, "event": "credential_accepted"}))
        .await
        .expect(204);
    notify(json!({"notification_id": id, "event": "credential_accepted"}))
        .await
        .expect(204);
    expect_oauth(
        notify(json!({"notification_id": "nope", "event": "credential_accepted"})).await,
        400,
        "invalid_notification_id",
    );
    expect_oauth(
        notify(json!({"notification_id": id, "event": "credential_lost"})).await,
        400,
        "invalid_notification_request",
    );
    notify(json!({"notification_id": id, "event": "credential_deleted", "event_description": "user removed it"})).await.expect(204);
    let provisioned = s
        .get(&s.link(&x.credential, "provisionedCredentials"))
        .await
        .expect(200);
    let actions = &provisioned.json["_embedded"]["provisionedCredentials"][0]["walletActions"];
    assert_eq!(
        actions.as_array().unwrap().len(),
        2,
        "a repeated event is recorded once: {actions}"
    );
    assert_eq!(actions[0]["type"], "CREDENTIAL_ACCEPTED");
    assert_eq!(actions[1]["type"], "CREDENTIAL_DELETED");
    assert_eq!(actions[1]["description"], "user removed it");
}

async fn revoked_credentials_are_not_delivered(s: TestServer) {
    let x = issued(&s, "Revoked", Value::Null).await;
    let (offer, access) = redeem(&s, &x, None).await;
    revoke(&s, &x).await;
    let holder = HolderKey::es256();
    let proof = holder
        .proof(&offer.issuer, Some(&offer.nonce(&s).await), false)
        .await;
    let r = offer
        .credential(&s, &access, &request(&offer.configurations[0], vec![proof]))
        .await;
    expect_oauth(r, 400, "credential_request_denied");
    s.post(&format!("{}/offers", x.path(&s)), json!({}))
        .await
        .expect_error(409, "CONFLICT", &[]);
    // revoking withdraws the offer
    let y = issued(&s, "Revoked2", Value::Null).await;
    revoke(&s, &y).await;
    s.get_as("", y.offer_uri(&s).strip_prefix(&s.base).unwrap())
        .await
        .expect(404);
}

async fn qr_codes_and_the_offer_page(s: TestServer) {
    let x = issued(&s, "Qr", Value::Null).await;
    let png = s
        .send(s.http.get(x.credential.str("/_links/qrPng/href")))
        .await
        .expect(200);
    assert_eq!(png.header("content-type"), Some("image/png"));
    let bytes = s
        .http
        .get(x.credential.str("/_links/qrPng/href") + "&size=600")
        .send()
        .await
        .unwrap()
        .bytes()
        .await
        .unwrap();
    assert!(image::load_from_memory(&bytes).unwrap().width() >= 600);
    let svg = s
        .send(s.http.get(x.credential.str("/_links/qrSvg/href")))
        .await
        .expect(200);
    assert!(svg.text.contains("<svg"));
    let env = &s.admin.env;
    let offer_id = x.credential.str("/offer/id");
    s.get_as("", &format!("/{env}/qr?offer={offer_id}&size=10"))
        .await
        .expect_error(400, "INVALID_REQUEST", &["size"]);
    s.get_as("", &format!("/{env}/qr?offer={offer_id}&format=gif"))
        .await
        .expect_error(400, "INVALID_REQUEST", &["format"]);
    s.get_as("", &format!("/{env}/qr?offer={}", uuid::Uuid::new_v4()))
        .await
        .expect_error(404, "NOT_FOUND", &[]);
    s.get_as("", &format!("/{env}/qr"))
        .await
        .expect_error(400, "INVALID_REQUEST", &["offer"]);
    let page = s
        .send(
            s.http
                .get(x.credential.str("/_links/credentialOfferPage/href")),
        )
        .await
        .expect(200);
    assert!(
        page.text
            .contains("openid-credential-offer://?credential_offer_uri=")
    );
    let evil = format!(
        "/{env}/oid4vci/credential-offer?credential_offer_uri=https%3A%2F%2Fevil.example%2Fx"
    );
    s.get_as("", &evil)
        .await
        .expect_error(400, "INVALID_REQUEST", &[]);
    // the by-value link carries the offer itself
    let by_value = x.credential.str("/_links/credentialOfferByValue/href");
    let encoded = by_value.split_once("?").unwrap().1;
    let (_, offer_text) = url::form_urlencoded::parse(encoded.as_bytes())
        .find(|(k, _)| k == "credential_offer")
        .unwrap();
    let offer = Offer::from_json(&serde_json::from_str(&offer_text).unwrap());
    offer.token(&s, None).await.expect(200);
}

async fn vci_1_1_discovery_documents(s: TestServer) {
    let x = issued(&s, "Discovery", json!({"formats": ["dc+sd-jwt"]})).await;
    let env = &s.admin.env;
    let issuer = s.url(&format!("/{env}"));
    let meta = s
        .get_as("", &format!("/.well-known/openid-credential-issuer/{env}"))
        .await
        .expect(200);
    assert_eq!(meta.header("content-language"), Some("en"));
    assert_eq!(meta.json["credential_issuer"], issuer.as_str());
    for (key, endpoint) in [
        ("credential_endpoint", "credential"),
        ("nonce_endpoint", "nonce"),
        ("deferred_credential_endpoint", "deferred"),
        ("notification_endpoint", "notification"),
    ] {
        assert_eq!(meta.json[key], format!("{issuer}/oid4vci/{endpoint}"));
    }
    assert_eq!(meta.json["batch_credential_issuance"]["batch_size"], 10);
    let configs = meta.json["credential_configurations_supported"]
        .as_object()
        .unwrap();
    assert!(configs.contains_key(&format!("{}.sd_jwt", x.type_id)));
    assert!(
        !configs.contains_key(&format!("{}.jwt_vc", x.type_id)),
        "formats restrict the configurations"
    );
    let appended = s
        .get_as("", &format!("/{env}/.well-known/openid-credential-issuer"))
        .await
        .expect(200);
    assert_eq!(appended.json, meta.json);
    let a = s
        .get_as(
            "",
            &format!("/.well-known/oauth-authorization-server/{env}"),
        )
        .await
        .expect(200);
    assert_eq!(a.json["issuer"], issuer.as_str());
    assert_eq!(a.json["token_endpoint"], format!("{issuer}/oid4vci/token"));
    assert_eq!(
        a.json["pre-authorized_grant_anonymous_access_supported"],
        true
    );
    s.get_as(
        "",
        &format!(
            "/.well-known/openid-credential-issuer/{}",
            uuid::Uuid::new_v4()
        ),
    )
    .await
    .expect_error(404, "NOT_FOUND", &[]);
    let offer = Offer::fetch(&s, &x.offer_uri(&s)).await;
    assert_eq!(offer.configurations.len(), 1);
    let nonce = s
        .send(s.http.post(s.url(&format!("/{env}/oid4vci/nonce"))))
        .await
        .expect(200);
    assert_eq!(nonce.header("cache-control"), Some("no-store"));
    s.send(
        s.http
            .post(s.url(&format!("/{}/oid4vci/nonce", uuid::Uuid::new_v4()))),
    )
    .await
    .expect(404);
}

/// Used nonces and expired tokens are forgotten once expired; a live one stays.
#[actix_web::test]
async fn cleanup_forgets_only_what_expired() {
    let s = TestServer::start_with(crate::common::Backend::Sqlite, |c| {
        c.access_token_ttl_seconds = 1
    })
    .await;
    let x = issued(&s, "Cleanup", Value::Null).await;
    let (offer, token) = redeem(&s, &x, None).await;
    let holder = HolderKey::es256();
    let proof = holder
        .proof(&offer.issuer, Some(&offer.nonce(&s).await), false)
        .await;
    offer
        .credential(&s, &token, &request(&offer.configurations[0], vec![proof]))
        .await
        .expect(200);
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    // the access token expired; its refresh token (30 days) and the nonce (5 min) did not
    let removed = vouch::jobs::cleanup(&s.ctx).await.unwrap();
    assert_eq!(removed, 1);
    assert_eq!(vouch::jobs::cleanup(&s.ctx).await.unwrap(), 0);
}
