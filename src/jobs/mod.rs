//! Periodic work. Today: forgetting used nonces and expired OpenID4VCI tokens, which is
//! idempotent, so several instances may run it at once. (Expiry and status-list jobs
//! with database leases come with the status-list work.)

use std::time::Duration;

use crate::domain::time;
use crate::service::{Ctx, Error};

/// How often expired rows are removed.
pub const CLEANUP_INTERVAL: Duration = Duration::from_secs(60);

/// Removes used nonces and tokens past their expiry; returns how many rows went.
pub async fn cleanup(ctx: &Ctx) -> Result<usize, Error> {
    ctx.store
        .write(|conn| {
            crate::store::issuance::delete_expired(conn, time::now()).map_err(Error::from)
        })
        .await
}

/// Runs [`cleanup`] every [`CLEANUP_INTERVAL`] until the process ends.
pub fn spawn(ctx: Ctx) {
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(CLEANUP_INTERVAL);
        loop {
            tick.tick().await;
            match cleanup(&ctx).await {
                Ok(0) => {}
                Ok(n) => tracing::debug!(rows = n, "removed expired nonces and tokens"),
                Err(err) => {
                    tracing::warn!(error = %err, "cleanup of expired nonces and tokens failed")
                }
            }
        }
    });
}
