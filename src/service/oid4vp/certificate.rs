//! The verifier certificate behind `x509_san_dns:` and `x509_hash:` client identifiers:
//! the configured chain and key files, or else a development chain for the public URL's
//! host, made once and kept in the database (key sealed with the master key) so every
//! instance signs with the same certificate and a restart does not change `x509_hash`.

use std::sync::Arc;

use crate::keys::x509::ClientCertificate;
use crate::service::{Ctx, Error, Result};
use crate::store::{is_unique_violation, meta};

/// The host the certificate must name: the public URL's.
pub fn public_host(ctx: &Ctx) -> Result<String> {
    url::Url::parse(&ctx.public_url)
        .ok()
        .and_then(|u| u.host_str().map(str::to_string))
        .ok_or_else(|| Error::Internal(anyhow::anyhow!("the public URL has no host")))
}

fn load_configured(ctx: &Ctx) -> anyhow::Result<Option<ClientCertificate>> {
    let (Some(chain), Some(key)) = (
        &ctx.config.verifier_x509_chain_file,
        &ctx.config.verifier_x509_key_file,
    ) else {
        return Ok(None);
    };
    let read = |path: &std::path::Path| {
        std::fs::read_to_string(path)
            .map_err(|e| anyhow::anyhow!("cannot read {}: {e}", path.display()))
    };
    let certificate = ClientCertificate::from_pem(&read(chain)?, &read(key)?)
        .map_err(|e| anyhow::anyhow!("verifier certificate {}: {e}", chain.display()))?;
    Ok(Some(certificate))
}

async fn development(ctx: &Ctx) -> Result<ClientCertificate> {
    let host = public_host(ctx)?;
    let key = format!("verifier_x509_development:{host}");
    let master = ctx.master.clone();
    let (made, stored) =
        ClientCertificate::development(&host, chrono::Utc::now().timestamp(), &master)?;
    let (k, m) = (key.clone(), master.clone());
    ctx.store
        .write(move |conn| {
            if let Some(existing) = meta::get(conn, &k)? {
                return Ok(ClientCertificate::open(&existing, &m)?);
            }
            match meta::insert(conn, &k, &stored) {
                Ok(()) => {
                    tracing::warn!(
                        host = %host,
                        "made a development verifier certificate chain (a root and a leaf \
                         for this host) for x509 client identifiers; wallets must trust its \
                         root, published at /oid4vp/x509/chain.pem. Configure \
                         verifier_x509_chain_file and verifier_x509_key_file in production"
                    );
                    Ok(made)
                }
                Err(e) if is_unique_violation(&e) => {
                    let existing = meta::get(conn, &k)?.ok_or_else(|| {
                        Error::Internal(anyhow::anyhow!("verifier certificate vanished"))
                    })?;
                    Ok(ClientCertificate::open(&existing, &m)?)
                }
                Err(e) => Err(e.into()),
            }
        })
        .await
}

/// The verifier certificate, loaded (or made) on first use.
pub async fn client_certificate(ctx: &Ctx) -> Result<Arc<ClientCertificate>> {
    ctx.verifier_certificate
        .get_or_try_init(|| async {
            let certificate = match load_configured(ctx)? {
                Some(configured) => configured,
                None => development(ctx).await?,
            };
            Ok::<_, Error>(Arc::new(certificate))
        })
        .await
        .cloned()
}
