//! What the HTTP benches share: an admin session on one environment (its token from
//! client_credentials), a MANAGED credential type and a user to issue to, an ES256 holder
//! key, and one complete OpenID4VCI pre-authorized flow.

use std::sync::Arc;

use identity_kit::jose::{JwsAlgorithm, JwsHeader, encode_compact};
use serde_json::{Value, json};

use crate::keys::{KeyProvider, MasterKey, OpenedKey, SoftwareKeyProvider};

/// The JSON body of a successful answer; otherwise an error naming `what`, the status and
/// the body.
pub async fn json(response: reqwest::Response, what: &str) -> anyhow::Result<Value> {
    let status = response.status();
    let body: Value = response.json().await.unwrap_or(Value::Null);
    anyhow::ensure!(status.is_success(), "{what} answered {status}: {body}");
    Ok(body)
}

/// The admin side of a bench: an HTTP client sized for `concurrency`, the server's base
/// URL, the environment and an admin token for it.
pub struct Admin {
    pub http: reqwest::Client,
    pub base: String,
    pub env: String,
    pub token: String,
}

/// The server an HTTP bench drives, and the admin worker it logs in as.
#[derive(Debug, clap::Args)]
pub struct ServerArgs {
    /// Base URL of the server (its public URL).
    #[arg(long, default_value = "http://localhost:8080")]
    pub url: String,
    /// Environment to work in.
    #[arg(long)]
    pub env: String,
    /// Admin worker client id of that environment.
    #[arg(long)]
    pub client_id: String,
    /// Its secret.
    #[arg(long)]
    pub client_secret: String,
}

impl Admin {
    /// Takes a token at `{url}/{env}/as/token` by client_credentials, with a connection
    /// pool for `concurrency` clients.
    pub async fn login(server: &ServerArgs, concurrency: usize) -> anyhow::Result<Self> {
        let ServerArgs {
            url,
            env,
            client_id,
            client_secret,
        } = server;
        let _ = rustls::crypto::ring::default_provider().install_default();
        let http = reqwest::Client::builder()
            .pool_max_idle_per_host(concurrency * 2)
            .build()?;
        let base = url.trim_end_matches('/').to_string();
        let token = json(
            http.post(format!("{base}/{env}/as/token"))
                .basic_auth(client_id, Some(client_secret))
                .form(&[("grant_type", "client_credentials")])
                .send()
                .await?,
            "the admin token endpoint",
        )
        .await?["access_token"]
            .as_str()
            .unwrap_or_default()
            .to_string();
        Ok(Self {
            http,
            base,
            env: env.to_string(),
            token,
        })
    }

    /// `{base}/v1/environments/{env}`.
    pub fn api(&self) -> String {
        format!("{}/v1/environments/{}", self.base, self.env)
    }

    /// A new MANAGED credential type with a required `Member` field and a `Level` field
    /// of fixed value; returns its id and title.
    pub async fn managed_type(&self) -> anyhow::Result<(String, String)> {
        let title = format!("bench {}", uuid::Uuid::new_v4().simple());
        let id = json(
            self.http
                .post(format!("{}/credentialTypes", self.api()))
                .bearer_auth(&self.token)
                .json(&json!({
                    "title": title,
                    "cardDesignTemplate": "<svg xmlns=\"http://www.w3.org/2000/svg\"><text>${cardTitle}</text></svg>",
                    "management": {"mode": "MANAGED"},
                    "metadata": {"fields": [
                        {"id": "a", "type": "Alphanumeric Text", "title": "Member", "isVisible": true, "required": true},
                        {"id": "b", "type": "Alphanumeric Text", "title": "Level", "isVisible": true, "value": "Gold"}
                    ]}
                }))
                .send()
                .await?,
            "creating the credential type",
        )
        .await?["id"]
            .as_str()
            .unwrap_or_default()
            .to_string();
        Ok((id, title))
    }

    /// A new user; returns its id.
    pub async fn user(&self) -> anyhow::Result<String> {
        Ok(json(
            self.http
                .post(format!("{}/users", self.api()))
                .bearer_auth(&self.token)
                .json(&json!({"username": format!("bench-{}", uuid::Uuid::new_v4().simple())}))
                .send()
                .await?,
            "creating the user",
        )
        .await?["id"]
            .as_str()
            .unwrap_or_default()
            .to_string())
    }

    /// One complete pre-authorized flow: a user credential of `type_id` for `user_id`
    /// with `Member` = `member` minted through the management API, its offer fetched, the
    /// token, the nonce, an ES256 proof by `holder`, and the `dc+sd-jwt` credential, which
    /// is returned (the issued SD-JWT with all its disclosures).
    pub async fn issue_sd_jwt(
        &self,
        type_id: &str,
        user_id: &str,
        member: &str,
        holder: &OpenedKey,
    ) -> anyhow::Result<String> {
        let http = &self.http;
        let credential = json(
            http.post(format!("{}/users/{user_id}/credentials", self.api()))
                .bearer_auth(&self.token)
                .json(&json!({"credentialType": {"id": type_id}, "data": {"Member": member}}))
                .send()
                .await?,
            "creating the user credential",
        )
        .await?;
        let offer_uri = credential["_links"]["credentialOfferUri"]["href"]
            .as_str()
            .unwrap_or_default();
        let offer = json(http.get(offer_uri).send().await?, "the offer").await?;
        let issuer = offer["credential_issuer"].as_str().unwrap_or_default();
        let code = offer["grants"]["urn:ietf:params:oauth:grant-type:pre-authorized_code"]
            ["pre-authorized_code"]
            .as_str()
            .unwrap_or_default();
        let token = json(
            http.post(format!("{issuer}/oid4vci/token"))
                .form(&[
                    (
                        "grant_type",
                        "urn:ietf:params:oauth:grant-type:pre-authorized_code",
                    ),
                    ("pre-authorized_code", code),
                ])
                .send()
                .await?,
            "the token endpoint",
        )
        .await?;
        let nonce = json(
            http.post(format!("{issuer}/oid4vci/nonce")).send().await?,
            "the nonce endpoint",
        )
        .await?;
        let mut header = JwsHeader::new(JwsAlgorithm::ES256).with_typ("openid4vci-proof+jwt");
        header.jwk = Some(holder.public_jwk.clone());
        let claims = json!({"aud": issuer, "iat": chrono::Utc::now().timestamp(), "nonce": nonce["c_nonce"]});
        let proof = encode_compact(
            &header,
            claims.to_string().as_bytes(),
            holder.signer.as_ref(),
        )
        .await?;
        let issued = json(
            http.post(format!("{issuer}/oid4vci/credential"))
                .bearer_auth(token["access_token"].as_str().unwrap_or_default())
                .json(&json!({"credential_configuration_id": format!("{type_id}.sd_jwt"), "proofs": {"jwt": [proof]}}))
                .send()
                .await?,
            "the credential endpoint",
        )
        .await?;
        issued["credentials"][0]["credential"]
            .as_str()
            .map(str::to_string)
            .ok_or_else(|| anyhow::anyhow!("the credential endpoint gave no credential: {issued}"))
    }
}

/// An ES256 software holder key (one per bench: the server treats each proof and each
/// presentation alone).
pub fn holder_key() -> anyhow::Result<OpenedKey> {
    let provider = SoftwareKeyProvider::new(Arc::new(MasterKey::random()));
    let key = provider.generate(JwsAlgorithm::ES256)?;
    let signer = provider.open(&key.kid, key.alg, &key.public_jwk, &key.handle)?;
    Ok(OpenedKey {
        environment_id: String::new(),
        purpose: String::new(),
        kid: key.kid,
        alg: key.alg,
        public_jwk: key.public_jwk.public(),
        signer,
    })
}
