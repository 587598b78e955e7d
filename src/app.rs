//! Wiring: the one place where configuration, storage, keys, services and HTTP meet.

use actix_web::HttpServer;
use actix_web::web::Data;

use crate::config::Config;
use crate::http;
use crate::http::metrics::Metrics;
use crate::keys::MasterKey;
use crate::service::Ctx;
use crate::service::bootstrap::{self, BootstrapReport};
use crate::store::Store;

/// Opens the database, runs migrations, loads the master key and checks it.
pub async fn context(config: Config) -> anyhow::Result<Ctx> {
    // reqwest (for did:web and status lists) uses rustls without a default provider.
    let _ = rustls::crypto::ring::default_provider().install_default();
    let pool_size = config.pool_size.unwrap_or(
        if crate::store::DatabaseKind::of(&config.database_url)
            == crate::store::DatabaseKind::Postgres
        {
            16
        } else {
            4
        },
    );
    let store = Store::open(&config.database_url, pool_size, config.sqlite_synchronous)?;
    let migrations = store.clone();
    let applied = tokio::task::spawn_blocking(move || migrations.migrate()).await??;
    if !applied.is_empty() {
        tracing::info!(migrations = applied.len(), "database migrated");
    }
    let key_path = config.master_key_path();
    let (master, created) = MasterKey::load_or_create(&key_path)?;
    if created {
        tracing::info!(path = %key_path.display(), "created a new master key file; back it up with the database");
    }
    let ctx = Ctx::new(config, store, master)?;
    bootstrap::check_master_key(&ctx).await?;
    Ok(ctx)
}

/// `vouch migrate`.
pub async fn migrate(config: Config) -> anyhow::Result<()> {
    let store = Store::open(&config.database_url, 1, config.sqlite_synchronous)?;
    let applied = tokio::task::spawn_blocking(move || store.migrate()).await??;
    println!("vouch: {} migration(s) applied", applied.len());
    for name in applied {
        println!("  {name}");
    }
    Ok(())
}

fn print_bootstrap(ctx: &Ctx, report: &BootstrapReport) {
    let base = &ctx.public_url;
    let env = &report.environment_id;
    let secret = report
        .client_secret
        .as_deref()
        .unwrap_or("(as configured in VOUCH_BOOTSTRAP_CLIENT_SECRET)");
    println!(
        "\nvouch: first start on an empty database; created the default environment and an admin client.\n\
         \n  Environment id   {env}\
         \n  Client id        {client}\
         \n  Client secret    {secret}\
         \n\n  The secret is shown once: store it now. The client holds the ENVIRONMENT_ADMIN and\
         \n  ORGANIZATION_ADMIN roles (it may create and manage environments).\
         \n\n  Token endpoint   {base}/{env}/as/token\
         \n  Management API   {base}/v1/environments/{env}\
         \n  API reference    {base}/docs\
         \n\n  Get a token:\
         \n    curl -s -u '{client}:<secret>' -d grant_type=client_credentials {base}/{env}/as/token\n",
        client = report.client_id,
    );
}

fn print_demo(ctx: &Ctx, demo: &crate::service::demo::Demo) {
    let qr = crate::protocol::qr::terminal(&demo.deep_link).unwrap_or_default();
    println!(
        "\nvouch: demo credential {credential} (environment {env}) waits for a wallet.\n\n{qr}\n  Offer link   {link}\n  Offer page   {page}\n",
        credential = demo.credential_id,
        env = demo.environment_id,
        link = demo.deep_link,
        page = demo.page,
    );
    if ctx.public_url.contains("localhost") || ctx.public_url.contains("127.0.0.1") {
        println!(
            "  A phone cannot reach {}: start with --public-url set to an https URL that\n  forwards here (a tunnel or reverse proxy) and --bind 0.0.0.0:8080.\n",
            ctx.public_url
        );
    }
}

/// `vouch serve`.
pub async fn serve(config: Config, demo: bool) -> anyhow::Result<()> {
    let bind = config.bind.clone();
    let ctx = context(config).await?;
    if let Some(report) = bootstrap::bootstrap(&ctx).await? {
        print_bootstrap(&ctx, &report);
    }
    if demo {
        print_demo(&ctx, &crate::service::demo::run(&ctx).await?);
    }
    crate::jobs::spawn(ctx.clone());
    let ctx = Data::new(ctx);
    let metrics = Data::new(Metrics::default());
    let server = {
        let ctx = ctx.clone();
        HttpServer::new(move || http::app(ctx.clone(), metrics.clone()))
            .bind(&bind)
            .map_err(|e| anyhow::anyhow!("cannot listen on {bind}: {e}"))?
    };
    tracing::info!(bind = %bind, public_url = %ctx.public_url, "vouch listening");
    println!("vouch: listening on {bind}; public URL {}", ctx.public_url);
    server.run().await?;
    Ok(())
}
