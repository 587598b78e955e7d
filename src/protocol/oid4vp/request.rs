//! The authorization request (OpenID4VP 1.0 §5): its parameters, the request object that
//! carries them signed (JAR, `typ oauth-authz-req+jwt`), and the links a wallet opens.

use serde_json::{Map, Value, json};

/// The media type of a request object.
pub const REQUEST_OBJECT_TYPE: &str = "application/oauth-authz-req+jwt";
/// The `aud` of a request object for a wallet not known in advance (§5.8 / SIOPv2).
pub const SELF_ISSUED_AUDIENCE: &str = "https://self-issued.me/v2";

/// What a session asks a wallet.
#[derive(Debug, Clone)]
pub struct AuthorizationRequest {
    /// With its prefix (`decentralized_identifier:did:…`, `x509_hash:…`,
    /// `redirect_uri:https://…`); a bare DID in the ID1 profile.
    pub client_id: String,
    pub response_uri: String,
    pub response_mode: String,
    pub nonce: String,
    pub state: String,
    pub query: Query,
    /// Shown to the user (`client_metadata.client_name`).
    pub client_name: Option<String>,
    /// direct_post.jwt: the public JWK the wallet encrypts its answer to.
    pub encryption_jwk: Option<Value>,
}

/// How the request asks for credentials: a DCQL query (OpenID4VP 1.0), or a Presentation
/// Exchange definition with a SIOPv2 ID Token (Implementer's Draft 1, the DIF JWT VC
/// Presentation Profile).
#[derive(Debug, Clone)]
pub enum Query {
    Dcql(Value),
    PresentationDefinition(Value),
}

/// What the verifier accepts (`client_metadata.vp_formats_supported`, §11.1).
pub fn vp_formats_supported() -> Value {
    let algs = json!(["ES256", "ES384", "EdDSA", "ES256K"]);
    json!({
        "dc+sd-jwt": {"sd-jwt_alg_values": algs, "kb-jwt_alg_values": algs},
        "jwt_vc_json": {"alg_values": algs},
    })
}

/// The same formats under their draft names (`vp_formats`, Presentation Exchange).
fn vp_formats_draft() -> Value {
    let algs = json!(["ES256", "ES384", "EdDSA", "ES256K"]);
    json!({
        "jwt_vp_json": {"alg": algs},
        "jwt_vc_json": {"alg": algs},
        "jwt_vp": {"alg": algs},
        "jwt_vc": {"alg": algs},
        "vc+sd-jwt": {"sd-jwt_alg_values": algs, "kb-jwt_alg_values": algs},
        "dc+sd-jwt": {"sd-jwt_alg_values": algs, "kb-jwt_alg_values": algs},
    })
}

/// What SIOPv2 subjects the verifier resolves (`subject_syntax_types_supported`).
pub const SUBJECT_SYNTAX_TYPES: [&str; 4] = [
    "urn:ietf:params:oauth:jwk-thumbprint",
    "did:jwk",
    "did:key",
    "did:ion",
];

impl AuthorizationRequest {
    fn client_metadata(&self) -> Value {
        let mut metadata = match self.query {
            Query::Dcql(_) => json!({"vp_formats_supported": vp_formats_supported()}),
            Query::PresentationDefinition(_) => json!({
                "vp_formats": vp_formats_draft(),
                "subject_syntax_types_supported": SUBJECT_SYNTAX_TYPES,
                // The algorithms SIOPv2 wallets of the DIF profile know (Sphereon's
                // did-auth-siop refuses a request naming any other).
                "id_token_signing_alg_values_supported": ["ES256", "ES256K", "EdDSA"],
            }),
        };
        if let Some(name) = &self.client_name {
            metadata["client_name"] = json!(name);
        }
        if let Some(jwk) = &self.encryption_jwk {
            metadata["jwks"] = json!({"keys": [jwk]});
            metadata["encrypted_response_enc_values_supported"] = json!(super::jwe::ENC_VALUES);
        }
        metadata
    }

    /// The request parameters, as a JSON object.
    pub fn parameters(&self) -> Map<String, Value> {
        let mut map = Map::new();
        map.insert("client_id".into(), json!(self.client_id));
        map.insert("response_mode".into(), json!(self.response_mode));
        map.insert("response_uri".into(), json!(self.response_uri));
        map.insert("nonce".into(), json!(self.nonce));
        map.insert("state".into(), json!(self.state));
        match &self.query {
            Query::Dcql(query) => {
                map.insert("response_type".into(), json!("vp_token"));
                map.insert("dcql_query".into(), query.clone());
            }
            Query::PresentationDefinition(definition) => {
                map.insert("response_type".into(), json!("vp_token id_token"));
                map.insert("scope".into(), json!("openid"));
                map.insert("client_id_scheme".into(), json!("did"));
                map.insert("id_token_type".into(), json!("subject_signed"));
                map.insert("presentation_definition".into(), definition.clone());
            }
        }
        map.insert("client_metadata".into(), self.client_metadata());
        map
    }

    /// The claims of the signed request object: the parameters plus `iss`, `aud`, `iat`,
    /// `exp` and, when the wallet posted one, its `wallet_nonce` (§5.10).
    pub fn request_object_claims(
        &self,
        issuer: &str,
        now: i64,
        exp: i64,
        wallet_nonce: Option<&str>,
    ) -> Value {
        let mut claims = self.parameters();
        claims.insert("iss".into(), json!(issuer));
        claims.insert("aud".into(), json!(SELF_ISSUED_AUDIENCE));
        claims.insert("iat".into(), json!(now));
        claims.insert("exp".into(), json!(exp));
        if let Some(nonce) = wallet_nonce {
            claims.insert("wallet_nonce".into(), json!(nonce));
        }
        Value::Object(claims)
    }

    /// The same-device / QR link by reference: `openid4vp://?client_id=…&request_uri=…`
    /// (`openid-vc://` for the DIF profile).
    pub fn link_by_reference(&self, request_uri: &str, post: bool) -> String {
        let mut query = url::form_urlencoded::Serializer::new(String::new());
        query.append_pair("client_id", &self.client_id);
        query.append_pair("request_uri", request_uri);
        if post {
            query.append_pair("request_uri_method", "post");
        }
        let scheme = match self.query {
            Query::Dcql(_) => "openid4vp",
            Query::PresentationDefinition(_) => "openid-vc",
        };
        format!("{scheme}://?{}", query.finish())
    }

    /// The link by value, every parameter in the query (for `redirect_uri:` clients,
    /// whose requests are not signed).
    pub fn link_by_value(&self) -> String {
        let mut query = url::form_urlencoded::Serializer::new(String::new());
        for (name, value) in self.parameters() {
            match value {
                Value::String(s) => query.append_pair(&name, &s),
                other => query.append_pair(&name, &other.to_string()),
            };
        }
        format!("openid4vp://?{}", query.finish())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request() -> AuthorizationRequest {
        AuthorizationRequest {
            client_id: "decentralized_identifier:did:web:v.example:e".into(),
            response_uri: "https://v.example/e/oid4vp/responses/s".into(),
            response_mode: "direct_post".into(),
            nonce: "n-1".into(),
            state: "s-1".into(),
            query: Query::Dcql(json!({"credentials": []})),
            client_name: Some("Please share".into()),
            encryption_jwk: None,
        }
    }

    #[test]
    fn the_request_object_carries_every_parameter() {
        let claims = request().request_object_claims("did:web:v.example:e", 10, 70, Some("w"));
        for name in [
            "client_id",
            "response_type",
            "response_mode",
            "response_uri",
            "nonce",
            "state",
            "dcql_query",
            "client_metadata",
            "iss",
            "aud",
            "iat",
            "exp",
            "wallet_nonce",
        ] {
            assert!(claims.get(name).is_some(), "{name}");
        }
        assert_eq!(claims["response_type"], "vp_token");
        assert_eq!(claims["aud"], SELF_ISSUED_AUDIENCE);
        assert_eq!(claims["client_metadata"]["client_name"], "Please share");
        assert!(claims["client_metadata"]["vp_formats_supported"]["dc+sd-jwt"].is_object());
    }

    #[test]
    fn direct_post_jwt_requests_name_their_encryption_key() {
        let mut r = request();
        r.response_mode = "direct_post.jwt".into();
        r.encryption_jwk = Some(json!({"kty": "EC", "kid": "enc-1"}));
        let metadata = &r.parameters()["client_metadata"];
        assert_eq!(metadata["jwks"]["keys"][0]["kid"], "enc-1");
        assert_eq!(
            metadata["encrypted_response_enc_values_supported"],
            json!(["A128GCM", "A256GCM"])
        );
    }

    #[test]
    fn id1_requests_ask_for_an_id_token_with_presentation_exchange() {
        let mut r = request();
        r.client_id = "did:web:v.example:e".into();
        r.query = Query::PresentationDefinition(json!({"id": "pd", "input_descriptors": []}));
        let p = r.parameters();
        assert_eq!(p["response_type"], "vp_token id_token");
        assert_eq!(p["scope"], "openid");
        assert!(p.get("dcql_query").is_none());
        assert_eq!(p["presentation_definition"]["id"], "pd");
        assert!(p["client_metadata"]["subject_syntax_types_supported"].is_array());
        assert!(
            r.link_by_reference("https://v/r", false)
                .starts_with("openid-vc://?")
        );
    }

    #[test]
    fn links_encode_their_parameters() {
        let by_ref = request().link_by_reference("https://v.example/e/oid4vp/requests/s", true);
        let url = url::Url::parse(&by_ref).unwrap();
        let pairs: std::collections::HashMap<_, _> = url.query_pairs().into_owned().collect();
        assert_eq!(
            pairs["client_id"],
            "decentralized_identifier:did:web:v.example:e"
        );
        assert_eq!(
            pairs["request_uri"],
            "https://v.example/e/oid4vp/requests/s"
        );
        assert_eq!(pairs["request_uri_method"], "post");
        let by_value = url::Url::parse(&request().link_by_value()).unwrap();
        let pairs: std::collections::HashMap<_, _> = by_value.query_pairs().into_owned().collect();
        assert_eq!(pairs["nonce"], "n-1");
        let dcql: Value = serde_json::from_str(&pairs["dcql_query"]).unwrap();
        assert_eq!(dcql, json!({"credentials": []}));
    }
}
