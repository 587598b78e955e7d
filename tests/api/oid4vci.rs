//! OpenID4VCI issuance through vouch's own test wallet. Test names carry the item of
//! `spec-checklist.md` they cover (`vci_1_7` = §1.7). Third-party wallets are in
//! `conformance/`.

use identity_kit::jose::{DefaultVerifier, Jwk};
use identity_kit::sd_jwt_vc::SdJwtVc;
use serde_json::{Value, json};

use crate::backend_tests;
use crate::common::{Resp, TestServer};
use crate::credential_types::managed_type;
use crate::wallet::{HolderKey, Offer, header, payload};

backend_tests!(
    vci_1_3_to_1_8_pre_authorized_flow_issues_a_holder_bound_sd_jwt_vc,
    vci_2_both_formats_expire_when_the_user_credential_does,
);

/// A MANAGED type (with `issuance` settings merged in), a user and a PENDING credential.
pub struct Issued {
    pub type_id: String,
    pub user_id: String,
    pub credential: Resp,
}

impl Issued {
    pub fn offer_uri(&self, _s: &TestServer) -> String {
        self.credential.str("/_links/credentialOfferUri/href")
    }

    pub fn path(&self, s: &TestServer) -> String {
        s.link(&self.credential, "self")
    }
}

pub async fn issued(s: &TestServer, title: &str, issuance: Value) -> Issued {
    let mut t = managed_type(title);
    if !issuance.is_null() {
        t["issuance"] = issuance;
    }
    let type_id = s
        .post(&s.env_path("/credentialTypes"), t)
        .await
        .expect(201)
        .id();
    let user_id = s
        .post(
            &s.env_path("/users"),
            json!({"username": format!("holder-{title}"), "name": {"given": "Jane"}}),
        )
        .await
        .expect(201)
        .id();
    let credential = s
        .post(
            &s.env_path(&format!("/users/{user_id}/credentials")),
            json!({"credentialType": {"id": type_id}, "data": {"Policy ID": "BX-42", "Note": "hi"}}),
        )
        .await
        .expect(201);
    Issued {
        type_id,
        user_id,
        credential,
    }
}

async fn vci_1_3_to_1_8_pre_authorized_flow_issues_a_holder_bound_sd_jwt_vc(s: TestServer) {
    let x = issued(&s, "Flow", Value::Null).await;
    assert_eq!(x.credential.json["offer"]["status"], "ACTIVE");
    let uri = x.offer_uri(&s);
    // wallets fetch the offer twice
    let offer = Offer::fetch(&s, &uri).await;
    let again = Offer::fetch(&s, &uri).await;
    assert_eq!(offer.code, again.code);
    assert_eq!(
        offer.configurations,
        vec![
            format!("{}.sd_jwt", x.type_id),
            format!("{}.jwt_vc", x.type_id)
        ]
    );
    let token = offer.token(&s, None).await.expect(200);
    assert_eq!(token.header("cache-control"), Some("no-store"));
    assert_eq!(token.json["token_type"], "Bearer");
    let access = token.str("/access_token");
    let nonce = offer.nonce(&s).await;
    let holder = HolderKey::es256();
    let proof = holder.proof(&offer.issuer, Some(&nonce), false).await;
    let response = offer
        .credential(&s, &access, &json!({"credential_configuration_id": offer.configurations[0], "proofs": {"jwt": [proof]}}))
        .await
        .expect(200);
    let sd_jwt = response.str("/credentials/0/credential");
    assert_eq!(header(&sd_jwt)["typ"], "dc+sd-jwt");
    let vc: SdJwtVc = sd_jwt.parse().unwrap();
    let claims = payload(&sd_jwt);
    // A plain-http public URL (as here) cannot serve JWT VC issuer metadata (SD-JWT VC
    // §3.5 fetches it over HTTPS only), so `iss` is the environment's DID; on https it is
    // the issuer URL (checked below).
    let did = vouch::protocol::did::environment_did_web(&s.base, &s.admin.env)
        .unwrap()
        .to_string();
    assert_eq!(claims["iss"], did.as_str());
    assert!(
        header(&sd_jwt)["kid"]
            .as_str()
            .unwrap()
            .starts_with(&format!("{did}#"))
    );
    let mut https = (**s.ctx).clone();
    https.public_url = "https://issuer.example".into();
    let (_, issuer, kid) = vouch::service::keyring::signing_identity(
        &https,
        &s.admin.env,
        vouch::protocol::oid4vci::configurations::Format::SdJwt,
    )
    .await
    .unwrap();
    assert_eq!(issuer, format!("https://issuer.example/{}", s.admin.env));
    assert!(
        !kid.starts_with("did:"),
        "a key thumbprint, found in the metadata"
    );
    assert_eq!(claims["_sd_alg"], "sha-256");
    let cnf: Jwk = serde_json::from_value(claims["cnf"]["jwk"].clone()).unwrap();
    assert_eq!(
        cnf.thumbprint_sha256().unwrap(),
        holder.jwk.thumbprint_sha256().unwrap()
    );
    assert_eq!(
        claims["vct"],
        s.url(&format!("/{}/types/{}", s.admin.env, x.type_id))
    );
    assert!(claims["iat"].is_i64());
    // no expiresAt on the user credential: the default validity of one year
    assert_eq!(
        claims["exp"].as_i64().unwrap() - claims["iat"].as_i64().unwrap(),
        365 * 24 * 3600
    );
    // the issuer signature verifies with the key the jwt-vc-issuer metadata publishes
    let metadata = s
        .get_as("", &format!("/.well-known/jwt-vc-issuer/{}", s.admin.env))
        .await
        .expect(200);
    assert_eq!(metadata.json["issuer"], offer.issuer.as_str());
    let key: Jwk = serde_json::from_value(
        metadata.json["jwks"]["keys"]
            .as_array()
            .unwrap()
            .iter()
            .find(|k| {
                Some(k["kid"].as_str().unwrap())
                    == header(&sd_jwt)["kid"].as_str().unwrap().rsplit('#').next()
            })
            .unwrap()
            .clone(),
    )
    .unwrap();
    let jws = identity_kit::jose::CompactJws::decode(sd_jwt.split('~').next().unwrap()).unwrap();
    jws.verify(&DefaultVerifier, &key).unwrap();
    // every field is disclosable, and disclosures carry the credential's data
    let disclosed = vc_claims(&vc);
    assert_eq!(disclosed["Policy ID"], "BX-42");
    assert_eq!(disclosed["Plan"], "Basic");
    assert_eq!(disclosed["Note"], "hi");
    assert_eq!(disclosed["Given"], "Jane");
    assert!(disclosed["Issued"].as_str().unwrap().ends_with('Z'));
    assert!(
        claims.get("Policy ID").is_none(),
        "no field is in the clear"
    );
    assert!(
        claims["_sd"].as_array().unwrap().len() > 5,
        "decoy digests beside the five fields"
    );
    // the wallet's delivery is recorded
    let read = s.get(&x.path(&s)).await.expect(200);
    assert_eq!(read.json["status"], "ISSUED");
    assert_eq!(read.json["offer"]["status"], "REDEEMED");
    let provisioned = s
        .get(&s.link(&x.credential, "provisionedCredentials"))
        .await
        .expect(200);
    let p = &provisioned.json["_embedded"]["provisionedCredentials"][0];
    assert_eq!(p["format"], "dc+sd-jwt");
    assert_eq!(p["status"], "ACTIVE");
    assert_eq!(p["user"]["id"], x.user_id.as_str());
    // a redeemed offer is gone
    s.get_as("", uri.strip_prefix(&s.base).unwrap())
        .await
        .expect(404);
    offer.token(&s, None).await.expect(400);
}

/// The claims of an SD-JWT VC with its disclosures applied.
pub fn vc_claims(vc: &SdJwtVc) -> Value {
    serde_json::to_value(vc.claims()).unwrap()
}

async fn vci_2_both_formats_expire_when_the_user_credential_does(s: TestServer) {
    let type_id = s
        .post(&s.env_path("/credentialTypes"), managed_type("Expiring"))
        .await
        .expect(201)
        .id();
    let user_id = s
        .post(&s.env_path("/users"), json!({"username": "expiring"}))
        .await
        .expect(201)
        .id();
    let expires_at = chrono::Utc::now() + chrono::Duration::days(3);
    let expires_at = expires_at.format("%Y-%m-%dT%H:%M:%SZ").to_string();
    let credential = s
        .post(
            &s.env_path(&format!("/users/{user_id}/credentials")),
            json!({"credentialType": {"id": type_id}, "data": {"Policy ID": "X"}, "expiresAt": expires_at}),
        )
        .await
        .expect(201);
    let expected = chrono::DateTime::parse_from_rfc3339(&expires_at)
        .unwrap()
        .timestamp();
    let offer = Offer::fetch(&s, &credential.str("/_links/credentialOfferUri/href")).await;
    let access = offer.token(&s, None).await.expect(200).str("/access_token");
    for configuration in &offer.configurations {
        let nonce = offer.nonce(&s).await;
        let proof = HolderKey::es256()
            .proof(&offer.issuer, Some(&nonce), false)
            .await;
        let issued = offer
            .credential(
                &s,
                &access,
                &json!({"credential_configuration_id": configuration, "proofs": {"jwt": [proof]}}),
            )
            .await
            .expect(200)
            .str("/credentials/0/credential");
        let jwt = issued.split('~').next().unwrap();
        assert_eq!(
            payload(jwt)["exp"].as_i64(),
            Some(expected),
            "{configuration}"
        );
    }
    let provisioned = s
        .get(&format!(
            "{}/provisionedCredentials",
            s.link(&credential, "self")
        ))
        .await
        .expect(200);
    let provisioned = provisioned.json["_embedded"]["provisionedCredentials"]
        .as_array()
        .unwrap()
        .clone();
    assert_eq!(provisioned.len(), 2);
    for p in provisioned {
        let at = chrono::DateTime::parse_from_rfc3339(p["expiresAt"].as_str().unwrap()).unwrap();
        assert_eq!(at.timestamp(), expected);
    }
}
