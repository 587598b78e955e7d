//! Periodic work: forgetting used nonces and expired OpenID4VCI tokens, expiring user
//! credentials (their status list entries then read INVALID) and presentation sessions. Issuance rules and
//! notification delivery will be jobs here too.
//!
//! Several instances may share one database, so an instance runs a job only while it
//! holds the job's lease (`job_leases`, taken by a conditional update: one winner). A job
//! works in small transactions and each is idempotent, so an instance killed mid-run
//! leaves the database consistent and the next run, here or elsewhere once the lease
//! has run out, simply carries on.

use std::sync::OnceLock;
use std::time::Duration;

use crate::domain::time;
use crate::domain::user_credential::CredentialStatus;
use crate::service::{Ctx, Error};
use crate::store::{issuance, job_leases, user_credentials};

/// How often expired nonces and tokens are removed.
pub const CLEANUP_INTERVAL: Duration = Duration::from_secs(60);
/// How often credentials past their `expiresAt` are expired.
pub const EXPIRY_INTERVAL: Duration = Duration::from_secs(30);
/// How often presentation sessions past their lifetime are marked expired (reads show
/// them expired from the moment they are, whether or not this has run).
pub const PRESENTATION_EXPIRY_INTERVAL: Duration = Duration::from_secs(30);
/// How long a lease lasts: a run that takes longer stops early (see [`EXPIRY_BATCH`]).
const LEASE: chrono::Duration = chrono::Duration::minutes(5);
/// Credentials expired per transaction.
const EXPIRY_BATCH: i64 = 500;

/// This process's name in `job_leases.holder`.
fn holder() -> &'static str {
    static HOLDER: OnceLock<String> = OnceLock::new();
    HOLDER.get_or_init(|| format!("{}:{}", std::process::id(), uuid::Uuid::new_v4()))
}

/// Removes used nonces and tokens past their expiry; returns how many rows went.
pub async fn cleanup(ctx: &Ctx) -> Result<usize, Error> {
    ctx.store
        .write(|conn| issuance::delete_expired(conn, time::now()).map_err(Error::from))
        .await
}

/// Marks credentials past their `expiresAt` EXPIRED, ends what was provisioned from
/// them (status list entries INVALID) and withdraws their offers, a batch per
/// transaction; returns how many credentials it expired.
pub async fn expire(ctx: &Ctx) -> Result<usize, Error> {
    let started = std::time::Instant::now();
    let mut total = 0;
    loop {
        let done = ctx
            .store
            .write(|conn| {
                let now = time::now();
                let batch = user_credentials::expired_batch(conn, now, EXPIRY_BATCH)?;
                for mut row in batch.iter().cloned() {
                    user_credentials::end_provisioned(conn, &row.id, "EXPIRED", now)?;
                    issuance::withdraw_offers(conn, &row.id)?;
                    row.status = CredentialStatus::Expired.as_str().into();
                    row.updated_at = now;
                    user_credentials::update(conn, &row)?;
                }
                Ok::<_, Error>(batch.len())
            })
            .await?;
        total += done;
        // Stop well inside the lease; the next run continues where this one stopped.
        if done < EXPIRY_BATCH as usize || started.elapsed() > Duration::from_secs(120) {
            return Ok(total);
        }
    }
}

/// Runs `job` once if this instance can take the lease of `name`; `None` when another
/// instance holds it.
pub async fn run_leased<F, Fut>(
    ctx: &Ctx,
    name: &'static str,
    job: F,
) -> Result<Option<usize>, Error>
where
    F: FnOnce() -> Fut,
    Fut: std::future::Future<Output = Result<usize, Error>>,
{
    let taken = ctx
        .store
        .write(move |conn| {
            let now = time::now();
            job_leases::acquire(conn, name, holder(), now, now + LEASE).map_err(Error::from)
        })
        .await?;
    if !taken {
        return Ok(None);
    }
    let result = job().await;
    let outcome = match &result {
        Ok(n) => format!("ok: {n}"),
        Err(err) => format!("failed: {err}"),
    };
    ctx.store
        .write(move |conn| {
            job_leases::release(conn, name, holder(), time::now(), &outcome).map_err(Error::from)
        })
        .await?;
    result.map(Some)
}

fn every(ctx: &Ctx, name: &'static str, interval: Duration, job: fn(Ctx) -> JobFuture) {
    let ctx = ctx.clone();
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(interval);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tick.tick().await;
            let run = ctx.clone();
            match run_leased(&ctx, name, move || job(run)).await {
                Ok(Some(0) | None) => {}
                Ok(Some(n)) => tracing::info!(job = name, rows = n, "job done"),
                Err(err) => tracing::warn!(job = name, error = %err, "job failed"),
            }
        }
    });
}

type JobFuture = std::pin::Pin<Box<dyn std::future::Future<Output = Result<usize, Error>> + Send>>;

/// Starts every job on its interval until the process ends.
pub fn spawn(ctx: Ctx) {
    every(&ctx, "cleanup", CLEANUP_INTERVAL, |ctx| {
        Box::pin(async move { cleanup(&ctx).await })
    });
    every(&ctx, "expiry", EXPIRY_INTERVAL, |ctx| {
        Box::pin(async move { expire(&ctx).await })
    });
    every(
        &ctx,
        "presentation-expiry",
        PRESENTATION_EXPIRY_INTERVAL,
        |ctx| Box::pin(async move { crate::service::oid4vp::expire(&ctx).await }),
    );
}
