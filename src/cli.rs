//! The `vouch` command line.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand};

use crate::config::{Config, LogFormat, Overrides};

#[derive(Debug, Parser)]
#[command(
    name = "vouch",
    version,
    about = "Verifiable credential issuer and verifier"
)]
pub struct Cli {
    /// TOML configuration file (also `VOUCH_CONFIG`).
    #[arg(long, global = true, env = "VOUCH_CONFIG")]
    pub config: Option<PathBuf>,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run migrations, bootstrap an empty database, and serve HTTP.
    Serve(ServeArgs),
    /// Run the database migrations and exit.
    Migrate(DatabaseArgs),
    /// Load a running server and print throughput and latency.
    #[command(subcommand)]
    Bench(BenchCommand),
}

#[derive(Debug, Subcommand)]
pub enum BenchCommand {
    /// Complete OpenID4VCI pre-authorized flows (offer, token, nonce, proof, credential).
    Issue(crate::bench::issue::IssueArgs),
    /// Complete OpenID4VP presentation sessions (create, request object, SD-JWT VC
    /// answer by direct_post, result read back).
    Verify(crate::bench::verify::VerifyArgs),
    /// Serving a large status list from the cache, and flipping one entry then signing it
    /// again (in-process, on a scratch SQLite database).
    Status(crate::bench::status::StatusArgs),
    /// Status list index allocations against the configured database, from this process.
    StatusAllocate(crate::bench::status::AllocateArgs),
}

#[derive(Debug, Args, Default)]
pub struct DatabaseArgs {
    /// `postgres://…` or a SQLite file path (`VOUCH_DATABASE_URL`).
    #[arg(long)]
    pub database_url: Option<String>,
    /// Master key file (`VOUCH_MASTER_KEY_FILE`).
    #[arg(long)]
    pub master_key_file: Option<PathBuf>,
    /// `text` or `json` (`VOUCH_LOG_FORMAT`).
    #[arg(long, value_enum)]
    pub log_format: Option<LogFormat>,
}

#[derive(Debug, Args, Default)]
pub struct ServeArgs {
    #[command(flatten)]
    pub database: DatabaseArgs,
    /// Address to listen on (`VOUCH_BIND`, default 127.0.0.1:8080).
    #[arg(long)]
    pub bind: Option<String>,
    /// Public base URL (`VOUCH_PUBLIC_URL`, default http://{bind}).
    #[arg(long)]
    pub public_url: Option<String>,
    /// Also issue a sample credential and print its offer link and QR code.
    #[arg(long)]
    pub demo: bool,
}

impl Cli {
    fn overrides(&self) -> Overrides {
        let (db, bind, public_url) = match &self.command {
            Command::Serve(args) => (&args.database, args.bind.clone(), args.public_url.clone()),
            Command::Migrate(db) => (db, None, None),
            Command::Bench(_) => return Overrides::default(),
        };
        Overrides {
            public_url,
            bind,
            database_url: db.database_url.clone(),
            master_key_file: db.master_key_file.clone(),
            log_format: db.log_format,
        }
    }
}

pub fn main() -> ExitCode {
    let cli = Cli::parse();
    let config = match Config::load(cli.config.as_deref(), &cli.overrides()) {
        Ok(config) => config,
        Err(err) => {
            eprintln!("vouch: configuration error: {err:#}");
            return ExitCode::from(2);
        }
    };
    crate::telemetry::init(&config);
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(err) => {
            eprintln!("vouch: cannot start the runtime: {err}");
            return ExitCode::FAILURE;
        }
    };
    let result = match cli.command {
        Command::Serve(args) => runtime.block_on(crate::app::serve(config, args.demo)),
        Command::Migrate(_) => runtime.block_on(crate::app::migrate(config)),
        Command::Bench(BenchCommand::Issue(args)) => {
            runtime.block_on(crate::bench::issue::run(args))
        }
        Command::Bench(BenchCommand::Verify(args)) => {
            runtime.block_on(crate::bench::verify::run(args))
        }
        Command::Bench(BenchCommand::Status(args)) => {
            runtime.block_on(crate::bench::status::run(args))
        }
        Command::Bench(BenchCommand::StatusAllocate(args)) => {
            runtime.block_on(crate::bench::status::allocate(config, args))
        }
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            tracing::error!(error = format!("{err:#}"), "vouch stopped");
            eprintln!("vouch: {err:#}");
            ExitCode::FAILURE
        }
    }
}
