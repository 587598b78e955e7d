//! `vouch bench status`: the cost of a large status list — serving it from the cache, and
//! flipping one entry then signing it again — for both list formats, in-process on a
//! scratch SQLite database.
//!
//! `vouch bench status-allocate`: index allocation against the configured database from
//! this process; run it in two processes at once on one PostgreSQL and compare what they
//! got (`benches/status.sh` does).

use std::time::{Duration, Instant};

use super::percentile;
use crate::config::Config;
use crate::domain::time;
use crate::protocol::oid4vci::configurations::Format;
use crate::service::status::{self, ListFormat, Purpose};
use crate::service::{Ctx, Error};
use crate::store::status_lists;

#[derive(Debug, clap::Args)]
pub struct StatusArgs {
    /// Entries per list.
    #[arg(long, default_value_t = 1_000_000)]
    pub entries: u64,
    /// Entries allocated and set INVALID before measuring (a realistic, not empty, list).
    #[arg(long, default_value_t = 10_000)]
    pub set: usize,
    /// Cached serves measured.
    #[arg(long, default_value_t = 2_000)]
    pub serves: usize,
    /// Flip-and-re-sign rounds measured.
    #[arg(long, default_value_t = 20)]
    pub flips: usize,
}

#[derive(Debug, clap::Args)]
pub struct AllocateArgs {
    /// The environment to allocate in (it must exist in the configured database).
    #[arg(long)]
    pub env: String,
    /// Allocations to make.
    #[arg(long, default_value_t = 5_000)]
    pub count: usize,
    /// Allocations running at once.
    #[arg(long, default_value_t = 16)]
    pub concurrency: usize,
    /// Print every allocation as `list_id idx` on standard output.
    #[arg(long)]
    pub print: bool,
}

fn scratch_config(dir: &std::path::Path, entries: u64) -> Config {
    Config {
        database_url: dir.join("bench.db").display().to_string(),
        master_key_file: Some(dir.join("bench.key")),
        public_url: Some("https://bench.example".into()),
        status_list_size: entries,
        log_level: "warn".into(),
        ..Config::default()
    }
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

pub async fn run(args: StatusArgs) -> anyhow::Result<()> {
    let dir = std::env::temp_dir().join(format!("vouch-bench-status-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(&dir)?;
    let result = measure(&args, &dir).await;
    let _ = std::fs::remove_dir_all(&dir);
    result
}

async fn measure(args: &StatusArgs, dir: &std::path::Path) -> anyhow::Result<()> {
    // Below the configured minimum the allocator still works; the bench may go there.
    let config = scratch_config(dir, args.entries.max(131_072));
    let mut ctx = crate::app::context(config).await?;
    if args.entries < 131_072 {
        let mut config = (*ctx.config).clone();
        config.status_list_size = args.entries;
        ctx.config = std::sync::Arc::new(config);
    }
    let env = crate::service::bootstrap::bootstrap(&ctx)
        .await?
        .map(|report| report.environment_id)
        .ok_or_else(|| anyhow::anyhow!("the scratch database did not bootstrap"))?;
    println!(
        "vouch bench status: {} entries per list, {} of them INVALID",
        args.entries, args.set
    );
    for format in [Format::SdJwt, Format::JwtVc] {
        let (list, indexes) = fill(&ctx, &env, format, args.set).await?;
        let purpose = (format == Format::JwtVc).then_some(Purpose::Revocation);

        let started = Instant::now();
        let first = status::signed_list(&ctx, &env, &list, purpose)
            .await?
            .ok_or_else(|| anyhow::anyhow!("the list disappeared"))?;
        let cold = started.elapsed();

        let mut serves = Vec::with_capacity(args.serves);
        for _ in 0..args.serves {
            let t = Instant::now();
            let served = status::signed_list(&ctx, &env, &list, purpose).await?;
            serves.push(t.elapsed());
            debug_assert!(served.is_some_and(|s| s.etag == first.etag));
        }
        serves.sort();

        let mut flips = Vec::with_capacity(args.flips);
        for round in 0..args.flips {
            let idx = indexes[round % indexes.len()];
            let (list_id, status) = (list.clone(), if round % 2 == 0 { 0 } else { 1 });
            let t = Instant::now();
            ctx.store
                .write(move |conn| {
                    status_lists::set_entry(conn, &list_id, idx, status, time::now())
                        .map_err(Error::from)
                })
                .await?;
            status::signed_list(&ctx, &env, &list, purpose).await?;
            flips.push(t.elapsed());
        }
        flips.sort();

        println!(
            "  {:<22} {:>7} bytes signed; first sign {:>7.1} ms; cached serve p50 {:>6.3} ms, p99 {:>6.3} ms; flip one entry + re-sign p50 {:>7.1} ms, p99 {:>7.1} ms",
            ListFormat::of(format).as_str(),
            first.body.len(),
            ms(cold),
            percentile(&serves, 50.0),
            percentile(&serves, 99.0),
            percentile(&flips, 50.0),
            percentile(&flips, 99.0),
        );
    }
    Ok(())
}

/// A list of `format` with `set` entries allocated and INVALID; its id and those indexes.
async fn fill(
    ctx: &Ctx,
    env: &str,
    format: Format,
    set: usize,
) -> anyhow::Result<(String, Vec<i64>)> {
    let (ctx2, env) = (ctx.clone(), env.to_string());
    let (list, indexes) = ctx
        .store
        .write(move |conn| {
            let mut list = String::new();
            let mut indexes = Vec::with_capacity(set.max(1));
            for _ in 0..set.max(1) {
                let a = status::allocate_in(&ctx2, conn, &env, ListFormat::of(format))?;
                status_lists::set_entry(conn, &a.list_id, a.idx, 1, time::now())?;
                list = a.list_id;
                indexes.push(a.idx);
            }
            Ok::<_, Error>((list, indexes))
        })
        .await?;
    Ok((list, indexes))
}

pub async fn allocate(config: Config, args: AllocateArgs) -> anyhow::Result<()> {
    let ctx = crate::app::context(config).await?;
    let next = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let started = Instant::now();
    let mut workers = Vec::new();
    for _ in 0..args.concurrency.max(1) {
        let (ctx, env, next, total) = (ctx.clone(), args.env.clone(), next.clone(), args.count);
        workers.push(tokio::spawn(async move {
            let mut got = Vec::new();
            while next.fetch_add(1, std::sync::atomic::Ordering::Relaxed) < total {
                // As issuance does: the index from the instance's block, the entry
                // recorded in a transaction of its own.
                let a = status::allocate(&ctx, &env, Format::SdJwt, 1)
                    .await?
                    .remove(0);
                let recorded = a.clone();
                ctx.store
                    .write(move |conn| status::record(conn, &recorded, None))
                    .await?;
                got.push((a.list_id, a.idx));
            }
            Ok::<_, Error>(got)
        }));
    }
    let mut all = Vec::with_capacity(args.count);
    for worker in workers {
        all.extend(worker.await??);
    }
    let elapsed = started.elapsed();
    if args.print {
        for (list, idx) in &all {
            println!("{list} {idx}");
        }
    }
    let mut distinct = all.clone();
    distinct.sort();
    distinct.dedup();
    eprintln!(
        "vouch bench status-allocate: {} allocations ({} distinct), {} at once, {:.2} s: {:.0}/s",
        all.len(),
        distinct.len(),
        args.concurrency,
        elapsed.as_secs_f64(),
        all.len() as f64 / elapsed.as_secs_f64()
    );
    anyhow::ensure!(distinct.len() == all.len(), "an index was handed out twice");
    Ok(())
}
