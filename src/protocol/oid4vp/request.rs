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
    /// With its prefix: `decentralized_identifier:did:…` or `redirect_uri:https://…`.
    pub client_id: String,
    pub response_uri: String,
    pub response_mode: String,
    pub nonce: String,
    pub state: String,
    pub dcql_query: Value,
    /// Shown to the user (`client_metadata.client_name`).
    pub client_name: Option<String>,
}

/// What the verifier accepts (`client_metadata.vp_formats_supported`, §11.1).
pub fn vp_formats_supported() -> Value {
    let algs = json!(["ES256", "ES384", "EdDSA", "ES256K"]);
    json!({
        "dc+sd-jwt": {"sd-jwt_alg_values": algs, "kb-jwt_alg_values": algs},
        "jwt_vc_json": {"alg_values": algs},
    })
}

impl AuthorizationRequest {
    fn client_metadata(&self) -> Value {
        let mut metadata = json!({"vp_formats_supported": vp_formats_supported()});
        if let Some(name) = &self.client_name {
            metadata["client_name"] = json!(name);
        }
        metadata
    }

    /// The request parameters, as a JSON object.
    pub fn parameters(&self) -> Map<String, Value> {
        let Value::Object(map) = json!({
            "client_id": self.client_id,
            "response_type": "vp_token",
            "response_mode": self.response_mode,
            "response_uri": self.response_uri,
            "nonce": self.nonce,
            "state": self.state,
            "dcql_query": self.dcql_query,
            "client_metadata": self.client_metadata(),
        }) else {
            unreachable!("an object literal")
        };
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

    /// The same-device / QR link by reference: `openid4vp://?client_id=…&request_uri=…`.
    pub fn link_by_reference(&self, request_uri: &str, post: bool) -> String {
        let mut query = url::form_urlencoded::Serializer::new(String::new());
        query.append_pair("client_id", &self.client_id);
        query.append_pair("request_uri", request_uri);
        if post {
            query.append_pair("request_uri_method", "post");
        }
        format!("openid4vp://?{}", query.finish())
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
            dcql_query: json!({"credentials": []}),
            client_name: Some("Please share".into()),
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
