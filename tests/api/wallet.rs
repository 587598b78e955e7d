//! A minimal OpenID4VCI wallet for the tests: it redeems offers and makes key proofs.
//! (Interop with wallets nobody here wrote is in `conformance/`.)

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use identity_kit::jose::{Jwk, JwsAlgorithm, JwsHeader, SignError, Signer, encode_compact};
use ring::rand::SystemRandom;
use ring::signature::{
    ECDSA_P256_SHA256_FIXED_SIGNING, EcdsaKeyPair, Ed25519KeyPair, KeyPair as _,
};
use serde_json::{Value, json};

use crate::common::{Resp, TestServer};

enum Pair {
    Es256(EcdsaKeyPair),
    EdDsa(Ed25519KeyPair),
}

/// A holder key.
pub struct HolderKey {
    pair: Pair,
    pub jwk: Jwk,
}

impl HolderKey {
    pub fn es256() -> Self {
        let rng = SystemRandom::new();
        let doc = EcdsaKeyPair::generate_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, &rng).unwrap();
        let pair =
            EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, doc.as_ref(), &rng).unwrap();
        let jwk = Jwk::from_p256_public(pair.public_key().as_ref()).unwrap();
        Self {
            pair: Pair::Es256(pair),
            jwk,
        }
    }

    pub fn eddsa() -> Self {
        let doc = Ed25519KeyPair::generate_pkcs8(&SystemRandom::new()).unwrap();
        let pair = Ed25519KeyPair::from_pkcs8(doc.as_ref()).unwrap();
        let jwk = Jwk::from_ed25519_public(pair.public_key().as_ref()).unwrap();
        Self {
            pair: Pair::EdDsa(pair),
            jwk,
        }
    }

    pub fn did_jwk(&self) -> String {
        vouch::protocol::did::jwk_did(&self.jwk)
            .unwrap()
            .to_string()
    }

    /// Signs `claims` under `header` (whose `alg` is set here).
    pub async fn sign(&self, mut header: Value, claims: &Value) -> String {
        header["alg"] = json!(self.alg().as_str());
        let header: JwsHeader = serde_json::from_value(header).unwrap();
        encode_compact(&header, claims.to_string().as_bytes(), self)
            .await
            .unwrap()
    }

    /// An `openid4vci-proof+jwt` for `aud` with `nonce`, naming the key by `jwk` or by
    /// its `did:jwk`.
    pub async fn proof(&self, aud: &str, nonce: Option<&str>, by_did: bool) -> String {
        let mut header = json!({"typ": "openid4vci-proof+jwt"});
        if by_did {
            header["kid"] = json!(format!("{}#0", self.did_jwk()));
        } else {
            header["jwk"] = serde_json::to_value(&self.jwk).unwrap();
        }
        let mut claims = json!({"aud": aud, "iat": chrono::Utc::now().timestamp()});
        if let Some(nonce) = nonce {
            claims["nonce"] = json!(nonce);
        }
        self.sign(header, &claims).await
    }
}

impl HolderKey {
    /// An SD-JWT VC presentation (RFC 9901): only the disclosures of the claims named in
    /// `keep`, then a key binding JWT for `aud` and `nonce` issued at `iat`.
    pub async fn present_sd_jwt(
        &self,
        sd_jwt: &str,
        keep: &[&str],
        aud: &str,
        nonce: &str,
        iat: i64,
    ) -> String {
        let mut parts = sd_jwt.trim_end_matches('~').split('~');
        let jwt = parts.next().unwrap();
        let kept: Vec<&str> = parts
            .filter(|d| {
                let decoded: Value =
                    serde_json::from_slice(&URL_SAFE_NO_PAD.decode(d).unwrap()).unwrap();
                decoded[1].as_str().is_some_and(|name| keep.contains(&name))
            })
            .collect();
        let mut presented = format!("{jwt}~");
        for d in kept {
            presented.push_str(d);
            presented.push('~');
        }
        let sd_hash = URL_SAFE_NO_PAD.encode(ring::digest::digest(
            &ring::digest::SHA256,
            presented.as_bytes(),
        ));
        let kb = self
            .sign(
                json!({"typ": "kb+jwt"}),
                &json!({"iat": iat, "aud": aud, "nonce": nonce, "sd_hash": sd_hash}),
            )
            .await;
        format!("{presented}{kb}")
    }

    /// A VCDM 1.1 presentation JWT of `vc` by this holder (its did:jwk) for `aud` and
    /// `nonce`.
    pub async fn present_jwt_vc(&self, vc: &str, aud: &str, nonce: &str, iat: i64) -> String {
        let did = self.did_jwk();
        self.sign(
            json!({"typ": "JWT", "kid": format!("{did}#0")}),
            &json!({
                "iss": did, "aud": aud, "nonce": nonce, "iat": iat,
                "vp": {
                    "@context": ["https://www.w3.org/2018/credentials/v1"],
                    "type": ["VerifiablePresentation"],
                    "holder": did,
                    "verifiableCredential": [vc],
                },
            }),
        )
        .await
    }
}

/// A presentation request as a wallet sees it: the `openid4vp://` link opened, the
/// request object fetched (by GET, or POST when the link asks) and its signature checked
/// against the client: a DID's key, or an `x5c` leaf that chains to vouch's development
/// root and that the client id names (SAN or hash). A `redirect_uri:` request is read
/// from the link itself.
pub struct PresentationRequest {
    pub claims: Value,
    pub client_id: String,
    /// The request object's header (empty for a request by value).
    pub header: Value,
}

impl PresentationRequest {
    pub async fn open(s: &TestServer, link: &str) -> Self {
        let url = reqwest::Url::parse(link).unwrap();
        assert!(["openid4vp", "openid-vc"].contains(&url.scheme()), "{link}");
        let params: std::collections::HashMap<String, String> =
            url.query_pairs().into_owned().collect();
        let client_id = params["client_id"].clone();
        let Some(request_uri) = params.get("request_uri") else {
            // By value: every parameter in the link, JSON ones as strings.
            assert!(client_id.starts_with("redirect_uri:"), "{client_id}");
            let mut claims = serde_json::Map::new();
            for (k, v) in &params {
                let value = if v.starts_with('{') {
                    serde_json::from_str(v).unwrap()
                } else {
                    json!(v)
                };
                claims.insert(k.clone(), value);
            }
            assert_eq!(
                claims["response_uri"],
                client_id.strip_prefix("redirect_uri:").unwrap()
            );
            return Self {
                claims: Value::Object(claims),
                client_id,
                header: json!({}),
            };
        };
        let response = if params.get("request_uri_method").map(String::as_str) == Some("post") {
            s.send(
                s.http
                    .post(request_uri.as_str())
                    .form(&[("wallet_nonce", "wn-1")]),
            )
            .await
        } else {
            s.send(s.http.get(request_uri.as_str())).await
        }
        .expect(200);
        let jwt = response.text.clone();
        let head = header(&jwt);
        assert_eq!(head["typ"], "oauth-authz-req+jwt");
        let key = if let Some(x5c) = head.get("x5c") {
            x5c_key(s, &client_id, x5c).await
        } else {
            let did = client_id
                .strip_prefix("decentralized_identifier:")
                .unwrap_or(&client_id);
            let kid = head["kid"].as_str().unwrap();
            assert!(kid.starts_with(did), "{kid} is a key of {did}");
            s.ctx
                .resolver
                .resolve_key(kid, vouch::protocol::did::resolver::KeyUse::Issuer)
                .await
                .unwrap()
        };
        identity_kit::jose::CompactJws::decode(&jwt)
            .unwrap()
            .verify(&identity_kit::jose::DefaultVerifier, &key)
            .unwrap();
        let claims = payload(&jwt);
        assert_eq!(claims["client_id"], client_id.as_str());
        Self {
            claims,
            client_id,
            header: head,
        }
    }

    pub fn nonce(&self) -> String {
        self.claims["nonce"].as_str().unwrap().to_string()
    }

    pub fn state(&self) -> String {
        self.claims["state"].as_str().unwrap().to_string()
    }

    /// The key `client_metadata.jwks` names for encrypting the answer, if any.
    pub fn encryption_jwk(&self) -> Option<Value> {
        self.claims["client_metadata"]["jwks"]["keys"]
            .get(0)
            .cloned()
    }

    /// Posts `vp_token` (and this request's `state`) to the `response_uri`, encrypted
    /// (A128GCM) when the request asks for direct_post.jwt.
    pub async fn answer(&self, s: &TestServer, vp_token: &Value) -> Resp {
        if self.claims["response_mode"] == "direct_post.jwt" {
            return self
                .post_encrypted(
                    s,
                    &json!({"vp_token": vp_token, "state": self.state()}),
                    "A128GCM",
                )
                .await;
        }
        self.post(
            s,
            &[("vp_token", vp_token.to_string()), ("state", self.state())],
        )
        .await
    }

    /// Posts `params` as a `response` JWE to this request's encryption key.
    pub async fn post_encrypted(&self, s: &TestServer, params: &Value, enc: &str) -> Resp {
        let jwk = self
            .encryption_jwk()
            .expect("the request names an encryption key");
        let jwe = vouch::protocol::oid4vp::jwe::encrypt(params.to_string().as_bytes(), &jwk, enc)
            .unwrap();
        self.post(s, &[("response", jwe)]).await
    }

    pub async fn post(&self, s: &TestServer, form: &[(&str, String)]) -> Resp {
        s.send(
            s.http
                .post(self.claims["response_uri"].as_str().unwrap())
                .form(form),
        )
        .await
    }
}

/// The key of an `x5c` request object, after checking that the chain leads to vouch's
/// published development root (rustls-webpki) and that the client id names the leaf.
async fn x5c_key(s: &TestServer, client_id: &str, x5c: &Value) -> Jwk {
    use base64::engine::general_purpose::STANDARD;
    use vouch::keys::x509::{CertificateChain, TrustAnchors};
    let der: Vec<Vec<u8>> = x5c
        .as_array()
        .unwrap()
        .iter()
        .map(|c| STANDARD.decode(c.as_str().unwrap()).unwrap())
        .collect();
    let chain = CertificateChain::from_der(der).unwrap();
    assert!(
        !chain.leaf_is_self_signed().unwrap(),
        "HAIP: the leaf is not self-signed"
    );
    let published = s
        .send(s.http.get(s.url("/oid4vp/x509/chain.pem")))
        .await
        .expect(200);
    let published = CertificateChain::from_pem(&published.text).unwrap();
    let root = published.certificates().last().unwrap().clone();
    assert!(
        !chain.certificates().contains(&root),
        "x5c leaves the trust anchor out"
    );
    let anchors =
        TrustAnchors::from_pem(&CertificateChain::from_der(vec![root]).unwrap().to_pem()).unwrap();
    anchors
        .verify(&chain, chrono::Utc::now().timestamp())
        .unwrap();
    if let Some(hash) = client_id.strip_prefix("x509_hash:") {
        assert_eq!(hash, chain.x509_hash());
    } else {
        let dns = client_id.strip_prefix("x509_san_dns:").unwrap();
        assert!(chain.dns_names().unwrap().iter().any(|n| n == dns));
    }
    chain.leaf_jwk().unwrap()
}

#[async_trait::async_trait]
impl Signer for HolderKey {
    fn alg(&self) -> JwsAlgorithm {
        match self.pair {
            Pair::Es256(_) => JwsAlgorithm::ES256,
            Pair::EdDsa(_) => JwsAlgorithm::EdDSA,
        }
    }

    fn kid(&self) -> Option<&str> {
        None
    }

    async fn sign(&self, input: &[u8]) -> Result<Vec<u8>, SignError> {
        Ok(match &self.pair {
            Pair::Es256(p) => p
                .sign(&SystemRandom::new(), input)
                .unwrap()
                .as_ref()
                .to_vec(),
            Pair::EdDsa(p) => p.sign(input).as_ref().to_vec(),
        })
    }
}

/// A credential offer as a wallet sees it.
pub struct Offer {
    pub issuer: String,
    pub configurations: Vec<String>,
    pub code: String,
    pub tx_code_required: bool,
}

impl Offer {
    /// Fetches the offer at a `credential_offer_uri`.
    pub async fn fetch(s: &TestServer, offer_uri: &str) -> Self {
        let body = s
            .get_as("", offer_uri.strip_prefix(&s.base).unwrap())
            .await
            .expect(200);
        Self::from_json(&body.json)
    }

    pub fn from_json(offer: &Value) -> Self {
        let issuer = offer["credential_issuer"].as_str().unwrap().to_string();
        let grant = &offer["grants"]["urn:ietf:params:oauth:grant-type:pre-authorized_code"];
        Self {
            configurations: offer["credential_configuration_ids"]
                .as_array()
                .unwrap()
                .iter()
                .map(|c| c.as_str().unwrap().to_string())
                .collect(),
            code: grant["pre-authorized_code"].as_str().unwrap().to_string(),
            tx_code_required: grant.get("tx_code").is_some(),
            issuer,
        }
    }

    pub fn path(&self, s: &TestServer, endpoint: &str) -> String {
        format!(
            "{}/oid4vci/{endpoint}",
            self.issuer.strip_prefix(&s.base).unwrap()
        )
    }

    pub async fn token(&self, s: &TestServer, tx_code: Option<&str>) -> Resp {
        let mut form = vec![
            (
                "grant_type",
                "urn:ietf:params:oauth:grant-type:pre-authorized_code".to_string(),
            ),
            ("pre-authorized_code", self.code.clone()),
        ];
        if let Some(tx) = tx_code {
            form.push(("tx_code", tx.to_string()));
        }
        s.send(s.http.post(s.url(&self.path(s, "token"))).form(&form))
            .await
    }

    pub async fn nonce(&self, s: &TestServer) -> String {
        s.send(s.http.post(s.url(&self.path(s, "nonce"))))
            .await
            .expect(200)
            .str("/c_nonce")
    }

    pub async fn credential(&self, s: &TestServer, access_token: &str, body: &Value) -> Resp {
        s.send(
            s.http
                .post(s.url(&self.path(s, "credential")))
                .bearer_auth(access_token)
                .json(body),
        )
        .await
    }
}

/// The payload of a compact JWT (no signature check).
pub fn payload(jwt: &str) -> Value {
    let part = jwt.split('.').nth(1).unwrap();
    serde_json::from_slice(&URL_SAFE_NO_PAD.decode(part).unwrap()).unwrap()
}

pub fn header(jwt: &str) -> Value {
    let part = jwt.split('.').next().unwrap();
    serde_json::from_slice(&URL_SAFE_NO_PAD.decode(part).unwrap()).unwrap()
}
