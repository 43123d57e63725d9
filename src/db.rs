//! One diesel code base over SQLite and PostgreSQL.
//!
//! `DbConnection` is a `MultiConnection`: queries written once with the diesel DSL run
//! on either backend. Each backend has its own migrations folder. SQLite connections
//! get their pragmas when they are opened, and write transactions take the write lock
//! up front (`BEGIN IMMEDIATE`) so concurrent writers queue on the busy timeout
//! instead of failing with "database is locked" when a read lock cannot be upgraded.

use crate::configuration::DatabaseSettings;
use crate::error::ApiResult;
use diesel::connection::{AnsiTransactionManager, SimpleConnection, TransactionManager};
use diesel::pg::PgConnection;
use diesel::prelude::*;
use diesel::r2d2::{self, ManageConnection, R2D2Connection};
use diesel::sqlite::SqliteConnection;
use diesel_migrations::{embed_migrations, EmbeddedMigrations, MigrationHarness};
use std::time::Duration;

pub const SQLITE_MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations/sqlite");
pub const POSTGRES_MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations/postgres");

#[derive(diesel::MultiConnection)]
pub enum DbConnection {
    Pg(PgConnection),
    Sqlite(SqliteConnection),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

impl Backend {
    pub fn as_str(&self) -> &'static str {
        match self {
            Backend::Sqlite => "sqlite",
            Backend::Postgres => "postgres",
        }
    }
}

/// Where the database is, parsed once from the configured URL.
#[derive(Debug, Clone)]
pub enum DatabaseUrl {
    Postgres(String),
    Sqlite(std::path::PathBuf),
}

impl DatabaseUrl {
    pub fn parse(url: &str) -> Result<Self, String> {
        let url = url.trim();
        if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            return Ok(Self::Postgres(url.to_string()));
        }
        let path = url.strip_prefix("sqlite://").unwrap_or(url);
        if path.is_empty() || path.contains("://") {
            return Err(format!(
                "database.url must be sqlite://<path> or postgres://..., not {url:?}"
            ));
        }
        Ok(Self::Sqlite(path.into()))
    }

    pub fn backend(&self) -> Backend {
        match self {
            Self::Postgres(_) => Backend::Postgres,
            Self::Sqlite(_) => Backend::Sqlite,
        }
    }
}

/// Opens connections of the configured backend (r2d2's stock manager would try every
/// backend in turn on the same URL).
#[derive(Debug, Clone)]
pub struct ConnectionManager {
    url: DatabaseUrl,
    busy_timeout_ms: u32,
    mmap_bytes: u64,
}

impl ConnectionManager {
    pub fn new(url: DatabaseUrl, busy_timeout_ms: u32) -> Self {
        Self {
            url,
            busy_timeout_ms,
            mmap_bytes: 0,
        }
    }

    /// How much of a SQLite database file is read through a memory map.
    pub fn with_mmap_mb(mut self, megabytes: u64) -> Self {
        self.mmap_bytes = megabytes.saturating_mul(1024 * 1024);
        self
    }

    pub fn establish(&self) -> ConnectionResult<DbConnection> {
        match &self.url {
            DatabaseUrl::Postgres(url) => PgConnection::establish(url).map(DbConnection::Pg),
            DatabaseUrl::Sqlite(path) => {
                let path = path.to_string_lossy();
                let mut conn = SqliteConnection::establish(&path)?;
                // FULL: a committed change survives a power cut, not only a crash.
                // mmap: reads come from the operating system's page cache without a
                // system call per page, which keeps large databases as fast to read as
                // small ones; the mapping is shared by every connection and counts as
                // file pages, not as the process's own memory.
                conn.batch_execute(&format!(
                    "PRAGMA journal_mode = WAL; \
                     PRAGMA synchronous = FULL; \
                     PRAGMA foreign_keys = ON; \
                     PRAGMA mmap_size = {}; \
                     PRAGMA busy_timeout = {};",
                    self.mmap_bytes, self.busy_timeout_ms
                ))
                .map_err(|e| ConnectionError::BadConnection(e.to_string()))?;
                Ok(DbConnection::Sqlite(conn))
            }
        }
    }
}

impl ManageConnection for ConnectionManager {
    type Connection = DbConnection;
    type Error = r2d2::Error;

    fn connect(&self) -> Result<DbConnection, r2d2::Error> {
        self.establish().map_err(r2d2::Error::ConnectionError)
    }

    fn is_valid(&self, conn: &mut DbConnection) -> Result<(), r2d2::Error> {
        conn.ping().map_err(r2d2::Error::QueryError)
    }

    fn has_broken(&self, conn: &mut DbConnection) -> bool {
        std::thread::panicking() || conn.is_broken()
    }
}

pub type Pool = r2d2::Pool<ConnectionManager>;

/// The pool plus the helpers that run blocking diesel code off the async executor.
#[derive(Clone)]
pub struct Db {
    pool: Pool,
    backend: Backend,
    /// SQLite has one writer at a time. Writers of this process queue here, woken in
    /// turn, instead of polling the file lock on the busy timeout, whose sleeps grow
    /// under load and make the slowest writes wait seconds. Other processes (the CLI,
    /// a separate worker) still meet on the file lock.
    sqlite_writer: Option<std::sync::Arc<std::sync::Mutex<()>>>,
}

impl Db {
    /// Opens the pool. With `database.migrate` on, first migrates the schema and runs
    /// `prepare` (what the data needs after a migration) on the same connection;
    /// otherwise refuses a database with migrations pending.
    pub fn connect(
        settings: &DatabaseSettings,
        prepare: fn(&mut DbConnection) -> anyhow::Result<()>,
    ) -> anyhow::Result<Self> {
        let url = DatabaseUrl::parse(&settings.url).map_err(anyhow::Error::msg)?;
        if let DatabaseUrl::Sqlite(path) = &url {
            if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
                std::fs::create_dir_all(parent)?;
            }
        }
        let backend = url.backend();
        let manager = ConnectionManager::new(url, settings.busy_timeout_ms)
            .with_mmap_mb(settings.sqlite_mmap_mb);
        // Migrate on a dedicated connection before the pool opens any.
        let mut conn = manager.establish()?;
        if settings.migrate {
            run_migrations(&mut conn)?;
            prepare(&mut conn)?;
        } else {
            let advice =
                "database.migrate is off: run `case-tracker migrate` as the database's owner";
            let pending =
                pending_migrations(&mut conn).map_err(|e| anyhow::anyhow!("{e}; {advice}"))?;
            if !pending.is_empty() {
                anyhow::bail!(
                    "{} migration(s) are pending ({}); {advice}",
                    pending.len(),
                    pending.join(", ")
                );
            }
        }
        drop(conn);
        let pool = r2d2::Pool::builder()
            .max_size(settings.pool_size.max(1))
            .connection_timeout(Duration::from_millis(settings.connection_timeout_ms))
            .build(manager)?;
        let sqlite_writer = (backend == Backend::Sqlite).then(Default::default);
        Ok(Self {
            pool,
            backend,
            sqlite_writer,
        })
    }

    pub fn backend(&self) -> Backend {
        self.backend
    }

    pub fn get(&self) -> ApiResult<r2d2::PooledConnection<ConnectionManager>> {
        Ok(self.pool.get()?)
    }

    /// Runs read-only work on a pooled connection in the blocking thread pool.
    pub async fn read<T, F>(&self, f: F) -> ApiResult<T>
    where
        F: FnOnce(&mut DbConnection) -> ApiResult<T> + Send + 'static,
        T: Send + 'static,
    {
        let pool = self.pool.clone();
        // The blocking thread logs inside the request's span.
        let span = tracing::Span::current();
        actix_web::web::block(move || {
            let _entered = span.enter();
            let mut conn = pool.get()?;
            f(&mut conn)
        })
        .await?
    }

    /// Runs `f` in one write transaction: everything it writes commits together or not
    /// at all.
    pub async fn write<T, F>(&self, f: F) -> ApiResult<T>
    where
        F: FnOnce(&mut DbConnection) -> ApiResult<T> + Send + 'static,
        T: Send + 'static,
    {
        let db = self.clone();
        let span = tracing::Span::current();
        actix_web::web::block(move || {
            let _entered = span.enter();
            let mut conn = db.get()?;
            db.transaction(&mut conn, f)
        })
        .await?
    }

    /// A write transaction on a connection of this pool (blocking). Take the
    /// connection first: a writer never waits for the pool while others wait for it.
    pub fn transaction<T, F>(&self, conn: &mut DbConnection, f: F) -> ApiResult<T>
    where
        F: FnOnce(&mut DbConnection) -> ApiResult<T>,
    {
        let _turn = self
            .sqlite_writer
            .as_ref()
            .map(|lock| lock.lock().unwrap_or_else(|e| e.into_inner()));
        write_transaction(conn, f)
    }
}

/// A write transaction; on SQLite it starts with `BEGIN IMMEDIATE`.
pub fn write_transaction<T, E, F>(conn: &mut DbConnection, f: F) -> Result<T, E>
where
    F: FnOnce(&mut DbConnection) -> Result<T, E>,
    E: From<diesel::result::Error>,
{
    let DbConnection::Sqlite(inner) = conn else {
        return conn.transaction(f);
    };
    AnsiTransactionManager::begin_transaction_sql(inner, "BEGIN IMMEDIATE")?;
    let result = f(conn);
    let DbConnection::Sqlite(inner) = conn else {
        unreachable!("a connection keeps its backend");
    };
    match result {
        Ok(value) => {
            <AnsiTransactionManager as TransactionManager<SqliteConnection>>::commit_transaction(
                inner,
            )?;
            Ok(value)
        }
        Err(err) => {
            if let Err(rollback) = <AnsiTransactionManager as TransactionManager<
                SqliteConnection,
            >>::rollback_transaction(inner)
            {
                tracing::error!(error = %rollback, "rollback failed");
            }
            Err(err)
        }
    }
}

pub fn run_migrations(conn: &mut DbConnection) -> anyhow::Result<()> {
    match conn {
        DbConnection::Sqlite(c) => {
            c.run_pending_migrations(SQLITE_MIGRATIONS)
                .map_err(|e| anyhow::anyhow!("migration failed: {e}"))?;
        }
        DbConnection::Pg(c) => {
            c.run_pending_migrations(POSTGRES_MIGRATIONS)
                .map_err(|e| anyhow::anyhow!("migration failed: {e}"))?;
        }
    }
    Ok(())
}

/// The versions of the migrations this binary holds that the database has not had.
/// Read-only (diesel's own check creates its table when missing), so it works for a
/// role that may not change the schema.
pub fn pending_migrations(conn: &mut DbConnection) -> anyhow::Result<Vec<String>> {
    use diesel::migration::MigrationSource;
    #[derive(QueryableByName)]
    struct Applied {
        #[diesel(sql_type = diesel::sql_types::Text)]
        version: String,
    }
    fn versions<DB: diesel::backend::Backend>(
        source: &EmbeddedMigrations,
    ) -> anyhow::Result<Vec<String>> {
        let migrations =
            MigrationSource::<DB>::migrations(source).map_err(|e| anyhow::anyhow!("{e}"))?;
        Ok(migrations
            .iter()
            .map(|m| m.name().version().to_string())
            .collect())
    }
    let known = match conn {
        DbConnection::Sqlite(_) => versions::<diesel::sqlite::Sqlite>(&SQLITE_MIGRATIONS)?,
        DbConnection::Pg(_) => versions::<diesel::pg::Pg>(&POSTGRES_MIGRATIONS)?,
    };
    let applied: Vec<String> = diesel::sql_query("SELECT version FROM __diesel_schema_migrations")
        .load::<Applied>(conn)
        .map_err(|e| {
            anyhow::anyhow!(
                "the database has not been migrated, or its migration list cannot be read: {e}"
            )
        })?
        .into_iter()
        .map(|r| r.version)
        .collect();
    Ok(known.into_iter().filter(|v| !applied.contains(v)).collect())
}

/// A new opaque id: UUIDv7, so ids sort in creation order and keyset pages are stable.
pub fn new_id() -> String {
    uuid::Uuid::now_v7().simple().to_string()
}

pub fn now() -> chrono::NaiveDateTime {
    // Microseconds: both backends store them, so what we return is what we read back.
    let now = chrono::Utc::now().naive_utc();
    now.with_nanosecond((now.nanosecond() / 1000) * 1000)
        .unwrap_or(now)
}

use chrono::Timelike;
