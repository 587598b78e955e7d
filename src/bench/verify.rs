//! `vouch bench verify`: complete OpenID4VP presentation sessions against a running
//! server, C at once. Setup (not timed) issues one `dc+sd-jwt` credential to an ES256
//! holder key through the real pre-authorized flow. Each timed session then: (1) creates
//! a presentation session through the management API, (2) fetches the signed request
//! object by its `request_uri`, (3) answers it by `direct_post` with an SD-JWT VC
//! presentation (the requested disclosure and a key binding JWT), and (4) reads the
//! session back, which must be `VERIFICATION_SUCCESSFUL`.

use std::sync::Arc;
use std::time::{Duration, Instant};

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use identity_kit::jose::{JwsAlgorithm, JwsHeader, encode_compact};
use serde_json::{Value, json};

use super::client::{Admin, ServerArgs, holder_key, json};
use super::percentile;
use crate::keys::OpenedKey;

/// The field the sessions ask for (a field title of the bench's credential type).
const REQUESTED: &str = "Member";

#[derive(Debug, clap::Args)]
pub struct VerifyArgs {
    #[command(flatten)]
    pub server: ServerArgs,
    /// Presentation sessions to run.
    #[arg(long, default_value_t = 2000)]
    pub sessions: usize,
    /// Sessions running at once.
    #[arg(long, default_value_t = 16)]
    pub concurrency: usize,
}

struct Setup {
    admin: Admin,
    type_title: String,
    holder: OpenedKey,
    /// The issued SD-JWT, with every disclosure.
    sd_jwt: String,
}

/// How long each step of one session took.
#[derive(Clone, Copy)]
struct Steps {
    create: Duration,
    request: Duration,
    response: Duration,
    read: Duration,
}

impl Steps {
    fn total(&self) -> Duration {
        self.create + self.request + self.response + self.read
    }
}

/// What a wallet takes from the request object.
struct Request {
    nonce: String,
    state: String,
    client_id: String,
    response_uri: String,
    query_id: String,
}

/// The payload of a compact JWS, decoded without checking its signature.
fn jwt_payload(jwt: &str) -> anyhow::Result<Value> {
    let part = jwt
        .split('.')
        .nth(1)
        .ok_or_else(|| anyhow::anyhow!("not a compact JWS: {jwt}"))?;
    Ok(serde_json::from_slice(&URL_SAFE_NO_PAD.decode(part)?)?)
}

/// The parameters of the request object's payload that the answer needs: the id of
/// the DCQL credential query of format `dc+sd-jwt` among them.
fn read_request(claims: &Value) -> anyhow::Result<Request> {
    let text = |name: &str| {
        claims[name]
            .as_str()
            .map(str::to_string)
            .ok_or_else(|| anyhow::anyhow!("the request object has no {name}: {claims}"))
    };
    let query_id = claims["dcql_query"]["credentials"]
        .as_array()
        .and_then(|queries| queries.iter().find(|q| q["format"] == "dc+sd-jwt"))
        .and_then(|q| q["id"].as_str())
        .ok_or_else(|| anyhow::anyhow!("the request object has no dc+sd-jwt query: {claims}"))?
        .to_string();
    Ok(Request {
        nonce: text("nonce")?,
        state: text("state")?,
        client_id: text("client_id")?,
        response_uri: text("response_uri")?,
        query_id,
    })
}

/// The SD-JWT of `sd_jwt` with only the disclosures of the claims named in `keep`,
/// ending in `~` (the part a key binding JWT's `sd_hash` covers).
fn select_disclosures(sd_jwt: &str, keep: &[&str]) -> anyhow::Result<String> {
    let mut parts = sd_jwt.trim_end_matches('~').split('~');
    let mut presented = format!("{}~", parts.next().unwrap_or_default());
    for disclosure in parts {
        let decoded: Value = serde_json::from_slice(&URL_SAFE_NO_PAD.decode(disclosure)?)?;
        if decoded[1].as_str().is_some_and(|name| keep.contains(&name)) {
            presented.push_str(disclosure);
            presented.push('~');
        }
    }
    Ok(presented)
}

/// `sd_hash` of a key binding JWT (RFC 9901 §4.3.1): base64url of the SHA-256 of the
/// presentation up to and including its last `~`.
fn sd_hash(presented: &str) -> String {
    URL_SAFE_NO_PAD.encode(ring::digest::digest(
        &ring::digest::SHA256,
        presented.as_bytes(),
    ))
}

/// An SD-JWT VC presentation: the requested disclosures, then a `kb+jwt` by `holder`
/// for `aud` and `nonce`.
async fn present(
    sd_jwt: &str,
    holder: &OpenedKey,
    aud: &str,
    nonce: &str,
) -> anyhow::Result<String> {
    let presented = select_disclosures(sd_jwt, &[REQUESTED])?;
    let header = JwsHeader::new(JwsAlgorithm::ES256).with_typ("kb+jwt");
    let claims = json!({
        "iat": chrono::Utc::now().timestamp(),
        "aud": aud,
        "nonce": nonce,
        "sd_hash": sd_hash(&presented),
    });
    let kb = encode_compact(
        &header,
        claims.to_string().as_bytes(),
        holder.signer.as_ref(),
    )
    .await?;
    Ok(format!("{presented}{kb}"))
}

async fn setup(args: &VerifyArgs) -> anyhow::Result<Setup> {
    let admin = Admin::login(&args.server, args.concurrency).await?;
    let (type_id, type_title) = admin.managed_type().await?;
    let user_id = admin.user().await?;
    let holder = holder_key()?;
    let sd_jwt = admin
        .issue_sd_jwt(&type_id, &user_id, "m0", &holder)
        .await?;
    Ok(Setup {
        admin,
        type_title,
        holder,
        sd_jwt,
    })
}

/// One whole session; an error is a failed session (its message names the step and
/// carries the body).
async fn session(s: &Setup) -> anyhow::Result<Steps> {
    let http = &s.admin.http;
    let t = Instant::now();
    let created = json(
        http.post(format!("{}/presentationSessions", s.admin.api()))
            .bearer_auth(&s.admin.token)
            .json(&json!({
                "protocol": "OPENID4VP",
                "requestedCredentials": [{"type": s.type_title, "keys": [REQUESTED]}],
            }))
            .send()
            .await?,
        "creating the presentation session",
    )
    .await?;
    let id = created["id"].as_str().unwrap_or_default().to_string();
    let link = created["_links"]["appOpenURL"]["href"]
        .as_str()
        .unwrap_or_default();
    let request_uri = reqwest::Url::parse(link)?
        .query_pairs()
        .find(|(k, _)| k == "request_uri")
        .map(|(_, v)| v.into_owned())
        .ok_or_else(|| anyhow::anyhow!("the session's link has no request_uri: {link}"))?;
    let create = t.elapsed();

    let t = Instant::now();
    let response = http.get(&request_uri).send().await?;
    let status = response.status();
    let jwt = response.text().await?;
    anyhow::ensure!(
        status.is_success(),
        "the request object answered {status}: {jwt}"
    );
    // A wallet checks the request object's signature against the client id's key; the
    // bench does not (the API tests do): it only reads the parameters it answers with.
    let request = read_request(&jwt_payload(&jwt)?)?;
    let request_time = t.elapsed();

    let t = Instant::now();
    let presentation = present(&s.sd_jwt, &s.holder, &request.client_id, &request.nonce).await?;
    let vp_token = json!({ request.query_id.as_str(): [presentation] });
    let response = http
        .post(&request.response_uri)
        .form(&[
            ("vp_token", vp_token.to_string()),
            ("state", request.state.clone()),
        ])
        .send()
        .await?;
    let status = response.status();
    if status != reqwest::StatusCode::OK {
        let body = response.text().await.unwrap_or_default();
        anyhow::bail!("the response_uri answered {status}: {body}");
    }
    response.bytes().await?;
    let response_time = t.elapsed();

    let t = Instant::now();
    let done = json(
        http.get(format!("{}/presentationSessions/{id}", s.admin.api()))
            .bearer_auth(&s.admin.token)
            .send()
            .await?,
        "reading the session",
    )
    .await?;
    anyhow::ensure!(
        done["status"] == "VERIFICATION_SUCCESSFUL",
        "the session ended {}: {done}",
        done["status"]
    );
    Ok(Steps {
        create,
        request: request_time,
        response: response_time,
        read: t.elapsed(),
    })
}

pub async fn run(args: VerifyArgs) -> anyhow::Result<()> {
    let setup = Arc::new(setup(&args).await?);
    // One session to warm connections and caches; not counted, and it must pass.
    session(&setup).await?;
    let load = super::load(args.sessions, args.concurrency, move |_| {
        let setup = setup.clone();
        async move { session(&setup).await }
    })
    .await?;
    let steps = &load.passed;
    let elapsed = load.elapsed;
    let sorted = |f: fn(&Steps) -> Duration| {
        let mut v: Vec<Duration> = steps.iter().map(f).collect();
        v.sort();
        v
    };
    let total = sorted(Steps::total);
    println!(
        "vouch bench verify: {} sessions ({} failed), {} concurrent, {:.2} s: {:.0} sessions/s; \
         session latency p50 {:.1} ms, p99 {:.1} ms; step p50: create {:.2} ms, request object {:.2} ms, \
         response {:.2} ms, read {:.2} ms",
        steps.len(),
        load.failed,
        args.concurrency,
        elapsed.as_secs_f64(),
        steps.len() as f64 / elapsed.as_secs_f64(),
        percentile(&total, 50.0),
        percentile(&total, 99.0),
        percentile(&sorted(|s| s.create), 50.0),
        percentile(&sorted(|s| s.request), 50.0),
        percentile(&sorted(|s| s.response), 50.0),
        percentile(&sorted(|s| s.read), 50.0),
    );
    load.check("sessions")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sd_hash_is_base64url_sha256_of_the_presentation() {
        // SHA-256("abc") = ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad.
        assert_eq!(
            sd_hash("abc"),
            "ungWv48Bz-pBQUDeXa4iI7ADYaOWF3qctBD_YfIAFa0"
        );
    }

    #[test]
    fn only_the_requested_disclosures_are_kept() {
        let disclosure = |name: &str, value: &str| {
            URL_SAFE_NO_PAD.encode(json!(["salt", name, value]).to_string())
        };
        let (member, level) = (disclosure("Member", "m0"), disclosure("Level", "Gold"));
        let issued = format!("h.p.s~{member}~{level}~");
        assert_eq!(
            select_disclosures(&issued, &["Member"]).unwrap(),
            format!("h.p.s~{member}~")
        );
        assert_eq!(select_disclosures("h.p.s~", &["Member"]).unwrap(), "h.p.s~");
    }

    #[test]
    fn a_request_object_gives_the_sd_jwt_query() {
        let claims = json!({
            "nonce": "n", "state": "s", "client_id": "c", "response_uri": "http://r",
            "dcql_query": {"credentials": [
                {"id": "c0_jwt_vc", "format": "jwt_vc_json"},
                {"id": "c0_sd_jwt", "format": "dc+sd-jwt"}
            ]}
        });
        let r = read_request(&claims).unwrap();
        assert_eq!(
            (r.nonce.as_str(), r.state.as_str(), r.client_id.as_str()),
            ("n", "s", "c")
        );
        assert_eq!(r.response_uri, "http://r");
        assert_eq!(r.query_id, "c0_sd_jwt");
        assert!(read_request(&json!({"nonce": "n"})).is_err());
    }
}
