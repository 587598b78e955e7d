//! `vouch bench issue`: complete pre-authorized flows against a running server — the
//! offer minted through the management API, the offer fetched, the token, the nonce, an
//! ES256 proof and the credential — with C clients at once.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use super::client::{Admin, holder_key};
use super::percentile;
use crate::keys::OpenedKey;

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
    admin: Admin,
    type_id: String,
    user_id: String,
}

async fn setup(args: &IssueArgs) -> anyhow::Result<Setup> {
    let admin = Admin::login(
        &args.url,
        &args.env,
        &args.client_id,
        &args.client_secret,
        args.concurrency,
    )
    .await?;
    let (type_id, _) = admin.managed_type().await?;
    let user_id = admin.user().await?;
    Ok(Setup {
        admin,
        type_id,
        user_id,
    })
}

async fn flow(s: &Setup, n: usize, holder: &OpenedKey) -> anyhow::Result<()> {
    s.admin
        .issue_sd_jwt(&s.type_id, &s.user_id, &format!("m{n}"), holder)
        .await?;
    Ok(())
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
