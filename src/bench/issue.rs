//! `vouch bench issue`: complete pre-authorized flows against a running server — the
//! offer minted through the management API, the offer fetched, the token, the nonce, an
//! ES256 proof and the credential — with C clients at once.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use identity_kit::jose::{JwsAlgorithm, JwsHeader, encode_compact};
use serde_json::{Value, json};

use super::percentile;
use crate::keys::{KeyProvider, MasterKey, SoftwareKeyProvider};

#[derive(Debug, clap::Args)]
pub struct IssueArgs {
    /// Base URL of the server (its public URL).
    #[arg(long, default_value = "http://localhost:8080")]
    pub url: String,
    /// Environment to issue in.
    #[arg(long)]
    pub env: String,
    /// Admin worker client id of that environment.
    #[arg(long)]
    pub client_id: String,
    /// Its secret.
    #[arg(long)]
    pub client_secret: String,
    /// Flows to run.
    #[arg(long, default_value_t = 2000)]
    pub flows: usize,
    /// Flows running at once.
    #[arg(long, default_value_t = 16)]
    pub concurrency: usize,
}

struct Setup {
    http: reqwest::Client,
    base: String,
    env: String,
    admin_token: String,
    type_id: String,
    user_id: String,
}

async fn json(response: reqwest::Response, what: &str) -> anyhow::Result<Value> {
    let status = response.status();
    let body: Value = response.json().await.unwrap_or(Value::Null);
    anyhow::ensure!(status.is_success(), "{what} answered {status}: {body}");
    Ok(body)
}

async fn setup(args: &IssueArgs) -> anyhow::Result<Setup> {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let http = reqwest::Client::builder()
        .pool_max_idle_per_host(args.concurrency * 2)
        .build()?;
    let base = args.url.trim_end_matches('/').to_string();
    let token = json(
        http.post(format!("{base}/{}/as/token", args.env))
            .basic_auth(&args.client_id, Some(&args.client_secret))
            .form(&[("grant_type", "client_credentials")])
            .send()
            .await?,
        "the admin token endpoint",
    )
    .await?["access_token"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    let api = format!("{base}/v1/environments/{}", args.env);
    let suffix = uuid::Uuid::new_v4().simple().to_string();
    let type_id = json(
        http.post(format!("{api}/credentialTypes"))
            .bearer_auth(&token)
            .json(&json!({
                "title": format!("bench {suffix}"),
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
    let user_id = json(
        http.post(format!("{api}/users"))
            .bearer_auth(&token)
            .json(&json!({"username": format!("bench-{suffix}")}))
            .send()
            .await?,
        "creating the user",
    )
    .await?["id"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    Ok(Setup {
        http,
        base,
        env: args.env.clone(),
        admin_token: token,
        type_id,
        user_id,
    })
}

async fn flow(s: &Setup, n: usize, holder: &crate::keys::OpenedKey) -> anyhow::Result<()> {
    let credential = json(
        s.http
            .post(format!(
                "{}/v1/environments/{}/users/{}/credentials",
                s.base, s.env, s.user_id
            ))
            .bearer_auth(&s.admin_token)
            .json(
                &json!({"credentialType": {"id": s.type_id}, "data": {"Member": format!("m{n}")}}),
            )
            .send()
            .await?,
        "creating the user credential",
    )
    .await?;
    let offer_uri = credential["_links"]["credentialOfferUri"]["href"]
        .as_str()
        .unwrap_or_default();
    let offer = json(s.http.get(offer_uri).send().await?, "the offer").await?;
    let issuer = offer["credential_issuer"].as_str().unwrap_or_default();
    let code = offer["grants"]["urn:ietf:params:oauth:grant-type:pre-authorized_code"]["pre-authorized_code"]
        .as_str()
        .unwrap_or_default();
    let token = json(
        s.http
            .post(format!("{issuer}/oid4vci/token"))
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
        s.http
            .post(format!("{issuer}/oid4vci/nonce"))
            .send()
            .await?,
        "the nonce endpoint",
    )
    .await?;
    let mut header = JwsHeader::new(JwsAlgorithm::ES256).with_typ("openid4vci-proof+jwt");
    header.jwk = Some(holder.public_jwk.clone());
    let claims =
        json!({"aud": issuer, "iat": chrono::Utc::now().timestamp(), "nonce": nonce["c_nonce"]});
    let proof = encode_compact(
        &header,
        claims.to_string().as_bytes(),
        holder.signer.as_ref(),
    )
    .await?;
    json(
        s.http
            .post(format!("{issuer}/oid4vci/credential"))
            .bearer_auth(token["access_token"].as_str().unwrap_or_default())
            .json(&json!({"credential_configuration_id": format!("{}.sd_jwt", s.type_id), "proofs": {"jwt": [proof]}}))
            .send()
            .await?,
        "the credential endpoint",
    )
    .await?;
    Ok(())
}

/// A holder key for the proofs (one for all flows: the server treats each proof alone).
fn holder_key() -> anyhow::Result<crate::keys::OpenedKey> {
    let provider = SoftwareKeyProvider::new(Arc::new(MasterKey::random()));
    let key = provider.generate(JwsAlgorithm::ES256)?;
    let signer = provider.open(&key.kid, key.alg, &key.public_jwk, &key.handle)?;
    Ok(crate::keys::OpenedKey {
        environment_id: String::new(),
        purpose: String::new(),
        kid: key.kid,
        alg: key.alg,
        public_jwk: key.public_jwk.public(),
        signer,
    })
}

pub async fn run(args: IssueArgs) -> anyhow::Result<()> {
    let setup = Arc::new(setup(&args).await?);
    let holder = Arc::new(holder_key()?);
    // One flow to warm connections and caches; not counted.
    flow(&setup, 0, &holder).await?;
    let next = Arc::new(AtomicUsize::new(0));
    let started = Instant::now();
    let mut workers = Vec::new();
    for _ in 0..args.concurrency.max(1) {
        let (setup, holder, next, total) =
            (setup.clone(), holder.clone(), next.clone(), args.flows);
        workers.push(tokio::spawn(async move {
            let mut latencies = Vec::new();
            loop {
                let n = next.fetch_add(1, Ordering::Relaxed);
                if n >= total {
                    break;
                }
                let t = Instant::now();
                flow(&setup, n + 1, &holder).await?;
                latencies.push(t.elapsed());
            }
            Ok::<_, anyhow::Error>(latencies)
        }));
    }
    let mut latencies: Vec<Duration> = Vec::new();
    for w in workers {
        latencies.extend(w.await??);
    }
    let elapsed = started.elapsed();
    latencies.sort();
    println!(
        "vouch bench issue: {} flows, {} concurrent, {:.2} s: {:.0} flows/s; flow latency p50 {:.1} ms, p99 {:.1} ms",
        latencies.len(),
        args.concurrency,
        elapsed.as_secs_f64(),
        latencies.len() as f64 / elapsed.as_secs_f64(),
        percentile(&latencies, 50.0),
        percentile(&latencies, 99.0),
    );
    Ok(())
}
