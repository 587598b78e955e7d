//! Storage: diesel over SQLite and PostgreSQL behind one connection type.
//!
//! [`AnyConnection`] is a `MultiConnection` enum, so every repository function is written
//! once. A small r2d2 manager picks the backend from the URL scheme (the derived
//! `establish` would try each backend and hide the real connection error). Repositories
//! are plain functions over `&mut AnyConnection`, one module per aggregate; services
//! compose them inside [`Store::read`] or [`Store::write`], which run off the async
//! executor so it never waits on the database: reads on the blocking pool, writes there
//! too on PostgreSQL and on the writer thread of [`sqlite_writer`] on SQLite.
//!
//! Only SQL types both backends share are used: UUIDs, JSON and booleans are stored as
//! TEXT / INTEGER; timestamps as `TIMESTAMP` in UTC.

/// Loads one page of `$query` in id order: at most `$limit` rows whose id sorts after
/// `$after` (keyset paging; ids are UUIDv7, so this is creation order).
macro_rules! keyset_page {
    ($conn:expr, $query:expr, $id:expr, $row:ty, $after:expr, $limit:expr) => {{
        let mut query = $query
            .select(<$row>::as_select())
            .order($id.asc())
            .limit($limit)
            .into_boxed();
        if let Some(after) = $after {
            query = query.filter($id.gt(after.to_string()));
        }
        query.load::<$row>($conn)
    }};
}

pub mod applications;
pub mod credential_types;
pub mod directory;
pub mod environments;
pub mod issuance;
pub mod issuer_profiles;
pub mod job_leases;
pub mod meta;
pub mod presentations;
pub mod rows;
pub mod schema;
pub mod signing_keys;
mod sqlite_writer;
pub mod status_lists;
pub mod user_credentials;

use std::sync::Arc;
use std::time::Duration;

use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use diesel::r2d2::{ManageConnection, Pool, PooledConnection};
use diesel_migrations::{EmbeddedMigrations, MigrationHarness, embed_migrations};

use crate::config::SqliteSynchronous;
use sqlite_writer::SqliteWriter;

const SQLITE_MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations/sqlite");
const POSTGRES_MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations/postgres");

/// One connection to either backend.
#[derive(diesel::MultiConnection)]
pub enum AnyConnection {
    Postgresql(diesel::PgConnection),
    Sqlite(diesel::SqliteConnection),
}

/// Which backend a database URL selects.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DatabaseKind {
    Postgres,
    /// The SQLite file path.
    Sqlite(String),
}

impl DatabaseKind {
    pub fn of(url: &str) -> Self {
        if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            DatabaseKind::Postgres
        } else {
            let path = url
                .strip_prefix("sqlite://")
                .or_else(|| url.strip_prefix("sqlite:"))
                .unwrap_or(url);
            DatabaseKind::Sqlite(path.to_string())
        }
    }
}

/// Storage failures that are not query errors.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("no database connection available: {0}")]
    Pool(#[from] diesel::r2d2::PoolError),
    #[error("database task failed: {0}")]
    Task(String),
    #[error("migration failed: {0}")]
    Migration(String),
}

/// Chooses the backend from the URL scheme and prepares each new connection.
#[derive(Debug, Clone)]
pub struct ConnectionManager {
    url: String,
    kind: DatabaseKind,
    synchronous: SqliteSynchronous,
}

impl ConnectionManager {
    pub fn new(url: &str, synchronous: SqliteSynchronous) -> Self {
        Self {
            url: url.to_string(),
            kind: DatabaseKind::of(url),
            synchronous,
        }
    }
}

impl ManageConnection for ConnectionManager {
    type Connection = AnyConnection;
    type Error = diesel::r2d2::Error;

    fn connect(&self) -> Result<AnyConnection, Self::Error> {
        match &self.kind {
            DatabaseKind::Postgres => diesel::PgConnection::establish(&self.url)
                .map(AnyConnection::Postgresql)
                .map_err(diesel::r2d2::Error::ConnectionError),
            DatabaseKind::Sqlite(path) => {
                let mut conn = diesel::SqliteConnection::establish(path)
                    .map_err(diesel::r2d2::Error::ConnectionError)?;
                let synchronous = match self.synchronous {
                    SqliteSynchronous::Normal => "NORMAL",
                    SqliteSynchronous::Full => "FULL",
                };
                // WAL lets readers run beside the single writer; foreign keys are off by
                // default in SQLite and the cascades depend on them.
                //
                // Checkpoints normally run on the store's checkpointer thread; a commit
                // checkpoints by itself only when the WAL has grown past
                // `WAL_AUTOCHECKPOINT_PAGES` (the checkpointer fell behind).
                conn.batch_execute(&format!(
                    "PRAGMA busy_timeout = 10000; PRAGMA journal_mode = WAL; \
                     PRAGMA synchronous = {synchronous}; PRAGMA foreign_keys = ON; \
                     PRAGMA wal_autocheckpoint = {WAL_AUTOCHECKPOINT_PAGES};"
                ))
                .map_err(diesel::r2d2::Error::QueryError)?;
                Ok(AnyConnection::Sqlite(conn))
            }
        }
    }

    fn is_valid(&self, conn: &mut AnyConnection) -> Result<(), Self::Error> {
        conn.batch_execute("SELECT 1")
            .map_err(diesel::r2d2::Error::QueryError)
    }

    fn has_broken(&self, conn: &mut AnyConnection) -> bool {
        use diesel::r2d2::R2D2Connection;
        match conn {
            AnyConnection::Postgresql(conn) => conn.is_broken(),
            AnyConnection::Sqlite(conn) => conn.is_broken(),
        }
    }
}

/// The database: a pool for reads (and, on PostgreSQL, writes) plus, for SQLite, the
/// writer thread.
#[derive(Clone)]
pub struct Store {
    pool: Pool<ConnectionManager>,
    kind: DatabaseKind,
    /// SQLite: all writes go through it; its threads end with the last clone.
    sqlite_writer: Option<Arc<SqliteWriter>>,
}

/// A commit that finds this many pages in the WAL checkpoints itself (16 MiB at 4 KiB
/// pages; SQLite's default is 1000); normally the checkpointer thread of
/// [`sqlite_writer`] has done it long before.
const WAL_AUTOCHECKPOINT_PAGES: u32 = 4096;

pub type Conn = PooledConnection<ConnectionManager>;

impl Store {
    /// Opens the pool and checks that one connection can be made.
    pub fn open(url: &str, pool_size: u32, synchronous: SqliteSynchronous) -> anyhow::Result<Self> {
        let manager = ConnectionManager::new(url, synchronous);
        let kind = manager.kind.clone();
        let writer_manager = manager.clone();
        let pool = Pool::builder()
            .max_size(pool_size)
            .min_idle(Some(1))
            .connection_timeout(Duration::from_secs(10))
            .test_on_check_out(false)
            .build(manager)
            .map_err(|err| anyhow::anyhow!("cannot open the database: {err}"))?;
        // The pool has made its first connection, so a SQLite file exists in WAL mode.
        let sqlite_writer = match &kind {
            DatabaseKind::Sqlite(_) => Some(Arc::new(SqliteWriter::start(writer_manager)?)),
            DatabaseKind::Postgres => None,
        };
        Ok(Self {
            pool,
            kind,
            sqlite_writer,
        })
    }

    pub fn kind(&self) -> &DatabaseKind {
        &self.kind
    }

    pub fn is_postgres(&self) -> bool {
        self.kind == DatabaseKind::Postgres
    }

    /// Runs the embedded migrations of the selected backend. On PostgreSQL an advisory
    /// lock makes concurrent starts of several instances take turns.
    pub fn migrate(&self) -> Result<Vec<String>, StoreError> {
        let mut conn = self.pool.get()?;
        let applied = match &mut *conn {
            AnyConnection::Sqlite(conn) => conn
                .run_pending_migrations(SQLITE_MIGRATIONS)
                .map(|v| v.iter().map(ToString::to_string).collect())
                .map_err(|e| StoreError::Migration(e.to_string()))?,
            AnyConnection::Postgresql(conn) => {
                conn.batch_execute("SELECT pg_advisory_lock(7268253)")
                    .map_err(|e| StoreError::Migration(e.to_string()))?;
                let result = conn
                    .run_pending_migrations(POSTGRES_MIGRATIONS)
                    .map(|v| v.iter().map(ToString::to_string).collect::<Vec<_>>())
                    .map_err(|e| StoreError::Migration(e.to_string()));
                let _ = conn.batch_execute("SELECT pg_advisory_unlock(7268253)");
                result?
            }
        };
        Ok(applied)
    }

    /// Runs `f` on a pooled connection on the blocking pool, outside any transaction
    /// (each statement is atomic on its own).
    pub async fn read<T, E, F>(&self, f: F) -> Result<T, E>
    where
        F: FnOnce(&mut AnyConnection) -> Result<T, E> + Send + 'static,
        T: Send + 'static,
        E: From<StoreError> + Send + 'static,
    {
        let pool = self.pool.clone();
        tracing::trace!(target: "vouch::store", "read");
        tokio::task::spawn_blocking(move || {
            let mut conn = pool.get().map_err(StoreError::from)?;
            let conn: &mut AnyConnection = &mut conn;
            f(conn)
        })
        .await
        .map_err(|e| StoreError::Task(e.to_string()))?
    }

    /// Runs `f` inside one transaction: all of it commits, or none. SQLite: on the writer
    /// thread, grouped with the transactions queued beside it; PostgreSQL: on a pooled
    /// connection on the blocking pool.
    pub async fn write<T, E, F>(&self, f: F) -> Result<T, E>
    where
        F: FnOnce(&mut AnyConnection) -> Result<T, E> + Send + 'static,
        T: Send + 'static,
        E: From<StoreError> + From<diesel::result::Error> + Send + 'static,
    {
        tracing::trace!(target: "vouch::store", "write");
        if let Some(writer) = &self.sqlite_writer {
            return writer.write(f).await;
        }
        let pool = self.pool.clone();
        tokio::task::spawn_blocking(move || {
            let mut conn = pool.get().map_err(StoreError::from)?;
            let conn: &mut AnyConnection = &mut conn;
            conn.transaction(f)
        })
        .await
        .map_err(|e| StoreError::Task(e.to_string()))?
    }

    /// Whether the database answers a trivial query within two seconds.
    pub async fn ping(&self) -> bool {
        let pool = self.pool.clone();
        tokio::task::spawn_blocking(move || {
            pool.get_timeout(Duration::from_secs(2))
                .ok()
                .is_some_and(|mut conn| conn.batch_execute("SELECT 1").is_ok())
        })
        .await
        .unwrap_or(false)
    }
}

/// Whether a query failed on a unique constraint.
pub fn is_unique_violation(err: &diesel::result::Error) -> bool {
    matches!(
        err,
        diesel::result::Error::DatabaseError(diesel::result::DatabaseErrorKind::UniqueViolation, _)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn url_scheme_selects_the_backend() {
        assert_eq!(
            DatabaseKind::of("postgres://u@h/db"),
            DatabaseKind::Postgres
        );
        assert_eq!(
            DatabaseKind::of("postgresql://u@h/db"),
            DatabaseKind::Postgres
        );
        assert_eq!(
            DatabaseKind::of("./vouch.db"),
            DatabaseKind::Sqlite("./vouch.db".into())
        );
        assert_eq!(
            DatabaseKind::of("sqlite:///tmp/x.db"),
            DatabaseKind::Sqlite("/tmp/x.db".into())
        );
    }
}
