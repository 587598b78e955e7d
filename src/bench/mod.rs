//! `vouch bench`: load generators that drive a running vouch over HTTP the way clients
//! do (or, for status lists, the service in-process), and print throughput and latency.
//! Speed is measured here, never asserted in tests.

pub mod client;
pub mod issue;
pub mod status;
pub mod verify;

/// What `concurrency` workers found running one unit of work `total` times between them.
pub struct Load<T> {
    /// What each run that passed returned.
    pub passed: Vec<T>,
    pub failed: usize,
    /// The first failure, with its cause.
    pub first_failure: Option<String>,
    pub elapsed: std::time::Duration,
}

/// Runs `one(n)` for n in 1..=total on `concurrency` workers at once; a failed run is
/// counted (the first kept) and the others carry on.
pub async fn load<T, F, Fut>(total: usize, concurrency: usize, one: F) -> anyhow::Result<Load<T>>
where
    T: Send + 'static,
    F: Fn(usize) -> Fut + Send + Sync + 'static,
    Fut: std::future::Future<Output = anyhow::Result<T>> + Send,
{
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::{Arc, Mutex};

    let one = Arc::new(one);
    let next = Arc::new(AtomicUsize::new(0));
    let failed = Arc::new(AtomicUsize::new(0));
    let first_failure: Arc<Mutex<Option<String>>> = Arc::new(Mutex::new(None));
    let started = std::time::Instant::now();
    let mut workers = Vec::new();
    for _ in 0..concurrency.max(1) {
        let (one, next, failed, first_failure) = (
            one.clone(),
            next.clone(),
            failed.clone(),
            first_failure.clone(),
        );
        workers.push(tokio::spawn(async move {
            let mut passed = Vec::new();
            loop {
                let n = next.fetch_add(1, Ordering::Relaxed);
                if n >= total {
                    break;
                }
                match one(n + 1).await {
                    Ok(result) => passed.push(result),
                    Err(err) => {
                        failed.fetch_add(1, Ordering::Relaxed);
                        let mut first = first_failure.lock().unwrap_or_else(|e| e.into_inner());
                        first.get_or_insert_with(|| format!("{err:#}"));
                    }
                }
            }
            passed
        }));
    }
    let mut passed = Vec::new();
    for w in workers {
        passed.extend(w.await?);
    }
    let elapsed = started.elapsed();
    let first_failure = first_failure
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .take();
    Ok(Load {
        passed,
        failed: failed.load(Ordering::Relaxed),
        first_failure,
        elapsed,
    })
}

impl<T> Load<T> {
    /// An error naming the first failure, when any run failed.
    pub fn check(&self, what: &str) -> anyhow::Result<()> {
        match &self.first_failure {
            Some(first) => anyhow::bail!("{} {what} failed; the first: {first}", self.failed),
            None => Ok(()),
        }
    }
}

/// Percentile `p` (0–100) of sorted durations, in milliseconds.
pub fn percentile(sorted: &[std::time::Duration], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let rank = ((p / 100.0) * (sorted.len() - 1) as f64).round() as usize;
    sorted[rank.min(sorted.len() - 1)].as_secs_f64() * 1000.0
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    #[test]
    fn percentiles_pick_ranks() {
        let v: Vec<Duration> = (1..=100).map(Duration::from_millis).collect();
        assert_eq!(percentile(&v, 50.0), 51.0);
        assert_eq!(percentile(&v, 99.0), 99.0);
        assert_eq!(percentile(&v, 0.0), 1.0);
        assert_eq!(percentile(&[], 50.0), 0.0);
    }

    #[tokio::test]
    async fn a_load_counts_failures_and_keeps_the_first() {
        let load = load(10, 3, |n| async move {
            anyhow::ensure!(n % 4 != 0, "run {n} failed");
            Ok(n)
        })
        .await
        .unwrap();
        let mut passed = load.passed.clone();
        passed.sort();
        assert_eq!(passed, [1, 2, 3, 5, 6, 7, 9, 10]);
        assert_eq!(load.failed, 2);
        assert!(load.first_failure.as_deref().unwrap().contains("failed"));
        assert!(
            load.check("runs")
                .unwrap_err()
                .to_string()
                .starts_with("2 runs failed")
        );
        let clean = super::load(3, 8, |n| async move { Ok(n) }).await.unwrap();
        assert_eq!(clean.passed.len(), 3);
        assert!(clean.check("runs").is_ok());
    }
}
