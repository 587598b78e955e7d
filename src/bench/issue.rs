//! `vouch bench issue`: complete pre-authorized flows against a running server — the
//! offer minted through the management API, the offer fetched, the token, the nonce, an
//! ES256 proof and the credential — with C clients at once.

use std::sync::Arc;
use std::time::{Duration, Instant};

use super::client::{Admin, ServerArgs, holder_key};
use super::percentile;
use crate::keys::OpenedKey;

#[derive(Debug, clap::Args)]
pub struct IssueArgs {
    #[command(flatten)]
    pub server: ServerArgs,
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
    let admin = Admin::login(&args.server, args.concurrency).await?;
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
    let mut load = super::load(args.flows, args.concurrency, move |n| {
        let (setup, holder) = (setup.clone(), holder.clone());
        async move {
            let t = Instant::now();
            flow(&setup, n, &holder).await?;
            Ok(t.elapsed())
        }
    })
    .await?;
    load.passed.sort();
    let latencies: &[Duration] = &load.passed;
    println!(
        "vouch bench issue: {} flows ({} failed), {} concurrent, {:.2} s: {:.0} flows/s; flow latency p50 {:.1} ms, p99 {:.1} ms",
        latencies.len(),
        load.failed,
        args.concurrency,
        load.elapsed.as_secs_f64(),
        latencies.len() as f64 / load.elapsed.as_secs_f64(),
        percentile(latencies, 50.0),
        percentile(latencies, 99.0),
    );
    load.check("flows")
}
