//! SQLite writes: one writer thread that commits transactions in groups, and a thread
//! that checkpoints the WAL beside it.
//!
//! SQLite has one writer at a time, and in WAL mode every commit invalidates the page
//! caches of every other connection. With a pool of connections taking turns at writing,
//! each transaction paid for its own commit, started on a cold cache, and waited on a
//! lock while holding a blocking thread. Here one thread owns the only writing
//! connection (its cache stays warm: nobody else writes) and runs the transactions queued
//! at that moment one after the other inside a single `BEGIN IMMEDIATE … COMMIT`, each in
//! a savepoint of its own (diesel nests `transaction` as a savepoint), so one that fails
//! rolls back alone. Nobody hears back before the group is committed, so nothing
//! answered is lost, and transactions still run one at a time, in arrival order, so a
//! race for a single-use code still has exactly one winner.
//!
//! The cost: a transaction whose commit fails (disk full, I/O error) takes its group down
//! with it, and one that panics fails the transactions of its group too. Both answer
//! with an error; neither leaves anything half-written.

use std::panic::AssertUnwindSafe;
use std::sync::mpsc;
use std::time::Duration;

use diesel::connection::{AnsiTransactionManager, SimpleConnection, TransactionManager};
use diesel::prelude::*;

use super::{AnyConnection, ConnectionManager, StoreError};

/// Transactions per group at most, so the first of a long queue is not kept waiting.
const MAX_GROUP: usize = 64;
/// How often the checkpointer copies the WAL back into the database file.
const CHECKPOINT_INTERVAL: Duration = Duration::from_millis(250);

/// Runs on the writer's connection inside the group's transaction; what it returns is
/// called with the group's commit outcome.
type Job = Box<dyn FnOnce(&mut AnyConnection) -> Completion + Send>;
type Completion = Box<dyn FnOnce(Result<(), String>) + Send>;

/// The writer thread's queue. Dropping it ends the thread once the queue is empty.
pub struct SqliteWriter {
    queue: mpsc::Sender<Job>,
    _checkpointer: Checkpointer,
}

impl SqliteWriter {
    pub fn start(manager: ConnectionManager) -> anyhow::Result<Self> {
        let checkpointer = Checkpointer::start(&manager)?;
        let conn = diesel::r2d2::ManageConnection::connect(&manager)?;
        let (queue, jobs) = mpsc::channel::<Job>();
        std::thread::Builder::new()
            .name("sqlite-writer".into())
            .spawn(move || run(manager, conn, jobs))?;
        Ok(Self {
            queue,
            _checkpointer: checkpointer,
        })
    }

    /// Runs `f` in a transaction of the next group and answers after the group commits.
    pub async fn write<T, E, F>(&self, f: F) -> Result<T, E>
    where
        F: FnOnce(&mut AnyConnection) -> Result<T, E> + Send + 'static,
        T: Send + 'static,
        E: From<StoreError> + From<diesel::result::Error> + Send + 'static,
    {
        let (answer, answered) = tokio::sync::oneshot::channel::<Result<T, E>>();
        let job: Job = Box::new(move |conn| {
            let result = conn.transaction(f);
            Box::new(move |commit: Result<(), String>| {
                let result = match (result, commit) {
                    (Ok(_), Err(err)) => {
                        Err(StoreError::Task(format!("commit failed: {err}")).into())
                    }
                    (result, _) => result,
                };
                let _ = answer.send(result);
            })
        });
        if self.queue.send(job).is_err() {
            return Err(StoreError::Task("the SQLite writer has stopped".into()).into());
        }
        answered.await.map_err(|_| {
            StoreError::Task("the SQLite writer dropped the transaction (see the log)".into())
        })?
    }
}

fn sqlite(conn: &mut AnyConnection) -> &mut diesel::SqliteConnection {
    match conn {
        AnyConnection::Sqlite(conn) => conn,
        AnyConnection::Postgresql(_) => unreachable!("the SQLite writer holds a SQLite connection"),
    }
}

fn run(manager: ConnectionManager, mut conn: AnyConnection, jobs: mpsc::Receiver<Job>) {
    while let Ok(first) = jobs.recv() {
        let mut group = vec![first];
        while group.len() < MAX_GROUP {
            match jobs.try_recv() {
                Ok(job) => group.push(job),
                Err(_) => break,
            }
        }
        if !run_group(&mut conn, group) {
            // The connection's transaction state is unknown: closing it rolls back
            // whatever is open, and the next group starts on a fresh one.
            loop {
                match diesel::r2d2::ManageConnection::connect(&manager) {
                    Ok(fresh) => {
                        conn = fresh;
                        break;
                    }
                    Err(err) => {
                        tracing::error!(error = %err, "cannot reopen the SQLite writer connection");
                        std::thread::sleep(Duration::from_secs(1));
                    }
                }
            }
        }
    }
}

/// Runs one group; false when the connection must be replaced.
fn run_group(conn: &mut AnyConnection, group: Vec<Job>) -> bool {
    if let Err(err) = AnsiTransactionManager::begin_transaction_sql(sqlite(conn), "BEGIN IMMEDIATE")
    {
        // Dropping the jobs drops their answer channels: each caller gets an error.
        tracing::error!(error = %err, "cannot begin a SQLite write transaction");
        return !matches!(err, diesel::result::Error::BrokenTransactionManager);
    }
    tracing::trace!(target: "vouch::store", transactions = group.len(), "write group");
    let mut completions = Vec::with_capacity(group.len());
    for job in group {
        match std::panic::catch_unwind(AssertUnwindSafe(|| job(conn))) {
            Ok(completion) => completions.push(completion),
            Err(_) => {
                tracing::error!(
                    "a database transaction panicked; its group is rolled back and fails"
                );
                return false;
            }
        }
    }
    let outcome =
        AnsiTransactionManager::commit_transaction(sqlite(conn)).map_err(|e| e.to_string());
    let healthy =
        outcome.is_ok() || AnsiTransactionManager::rollback_transaction(sqlite(conn)).is_ok();
    for completion in completions {
        completion(outcome.clone());
    }
    healthy
}

/// Moves WAL checkpoints out of the commit path. With automatic checkpoints, a commit
/// every thousand pages copies the WAL into the database and fsyncs both files while it
/// holds the write lock, so every writer waits behind two fsyncs. A `PASSIVE` checkpoint
/// from a thread of its own takes no write lock and runs beside the writer. (Commits
/// still checkpoint by themselves past `WAL_AUTOCHECKPOINT_PAGES`, if this falls behind.)
struct Checkpointer {
    _stop: mpsc::Sender<()>,
}

impl Checkpointer {
    fn start(manager: &ConnectionManager) -> anyhow::Result<Self> {
        let mut conn = diesel::r2d2::ManageConnection::connect(manager)?;
        let (stop, stopped) = mpsc::channel::<()>();
        std::thread::Builder::new()
            .name("sqlite-checkpoint".into())
            .spawn(move || {
                // Ends when the sender is dropped.
                while let Err(mpsc::RecvTimeoutError::Timeout) =
                    stopped.recv_timeout(CHECKPOINT_INTERVAL)
                {
                    if let Err(err) = conn.batch_execute("PRAGMA wal_checkpoint(PASSIVE);") {
                        tracing::warn!(error = %err, "SQLite checkpoint failed");
                    }
                }
            })?;
        Ok(Self { _stop: stop })
    }
}

#[cfg(test)]
mod tests {
    use crate::config::SqliteSynchronous;
    use crate::store::{Store, StoreError, meta};

    #[derive(Debug)]
    enum Failure {
        Store,
        Query,
        Refused,
    }
    impl From<StoreError> for Failure {
        fn from(_: StoreError) -> Self {
            Failure::Store
        }
    }
    impl From<diesel::result::Error> for Failure {
        fn from(_: diesel::result::Error) -> Self {
            Failure::Query
        }
    }

    fn store() -> (Store, std::path::PathBuf) {
        let dir = std::env::temp_dir().join(format!("vouch-writer-{}", uuid::Uuid::new_v4()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("w.db");
        let store = Store::open(path.to_str().unwrap(), 2, SqliteSynchronous::Normal).unwrap();
        store.migrate().unwrap();
        (store, dir)
    }

    async fn value(store: &Store, key: &str) -> Option<String> {
        let key = key.to_string();
        store
            .read(move |conn| meta::get(conn, &key).map_err(Failure::from))
            .await
            .unwrap()
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_failed_transaction_rolls_back_alone_within_its_group() {
        let (store, dir) = store();
        // Queued together, so most likely one group; the outcome must not depend on it.
        let writes = (0..40).map(|i| {
            let store = store.clone();
            async move {
                store
                    .write(move |conn| {
                        meta::insert(conn, &format!("k{i}"), "v")?;
                        if i % 2 == 1 {
                            return Err(Failure::Refused);
                        }
                        Ok(i)
                    })
                    .await
            }
        });
        let results = futures_util::future::join_all(writes).await;
        for (i, result) in results.into_iter().enumerate() {
            let key = format!("k{i}");
            if i % 2 == 1 {
                assert!(matches!(result, Err(Failure::Refused)));
                assert_eq!(value(&store, &key).await, None, "k{i} was rolled back");
            } else {
                assert_eq!(result.unwrap(), i);
                assert_eq!(value(&store, &key).await.as_deref(), Some("v"));
            }
        }
        drop(store);
        let _ = std::fs::remove_dir_all(dir);
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_panicking_transaction_fails_and_the_writer_carries_on() {
        let (store, dir) = store();
        let panicked = store
            .write(|conn| -> Result<(), Failure> {
                meta::insert(conn, "half", "written")?;
                panic!("a bug in a transaction");
            })
            .await;
        assert!(matches!(panicked, Err(Failure::Store)));
        assert_eq!(value(&store, "half").await, None, "nothing half-written");
        store
            .write(|conn| meta::insert(conn, "after", "yes").map_err(Failure::from))
            .await
            .unwrap();
        assert_eq!(value(&store, "after").await.as_deref(), Some("yes"));
        drop(store);
        let _ = std::fs::remove_dir_all(dir);
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn racing_transactions_see_each_other_in_order() {
        let (store, dir) = store();
        // Each claims the key only when nobody has: exactly one may win.
        let claims = (0..50).map(|i| {
            let store = store.clone();
            async move {
                store
                    .write(move |conn| {
                        if meta::get(conn, "claimed")?.is_some() {
                            return Ok(false);
                        }
                        meta::insert(conn, "claimed", &i.to_string())?;
                        Ok::<_, Failure>(true)
                    })
                    .await
                    .unwrap()
            }
        });
        let won = futures_util::future::join_all(claims)
            .await
            .into_iter()
            .filter(|won| *won)
            .count();
        assert_eq!(won, 1);
        drop(store);
        let _ = std::fs::remove_dir_all(dir);
    }
}
