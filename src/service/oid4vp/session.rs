//! Presentation sessions for their owners: create (validate, resolve the requested
//! credential types into a query, name the verifier), read, delete, the trail, expiry.

use chrono::Duration;
use serde_json::json;

use super::{Ctx, Error, Result, SessionView, certificate, internal, record, response_uri, view};
use crate::domain::page::{Page, PageRequest};
use crate::domain::presentation::{PresentationSessionInput, SessionStatus, ValidSession};
use crate::domain::time;
use crate::domain::validate::FieldError;
use crate::protocol::oid4vci::configurations::{Format, vct, w3c_type};
use crate::protocol::oid4vp::dcql::{self, RequestedType};
use crate::protocol::oid4vp::jwe::EncryptionKey;
use crate::protocol::oid4vp::presentation_exchange;
use crate::service::keyring;
use crate::service::oid4vci::secrets;
use crate::store::rows::{PresentationEventRow, PresentationSessionRow};
use crate::store::{AnyConnection, credential_types, presentations};

/// The requested credential types, resolved in the session's environment and the
/// environments of its issuer filter.
fn resolve_types(
    ctx: &Ctx,
    conn: &mut AnyConnection,
    env: &str,
    valid: &ValidSession,
) -> Result<Vec<RequestedType>> {
    let mut environments = vec![env.to_string()];
    for e in &valid.environment_filter {
        if !environments.contains(e) {
            environments.push(e.clone());
        }
    }
    let mut errors = Vec::new();
    let mut requested = Vec::new();
    for (i, (title, keys)) in valid.requested.iter().enumerate() {
        let mut r = RequestedType {
            keys: keys.clone(),
            ..RequestedType::default()
        };
        let mut fields: Vec<String> = Vec::new();
        // Fields every matching type requires: always in the credential.
        let mut required: Option<Vec<String>> = None;
        for e in &environments {
            let Some(row) = credential_types::by_title(conn, e, title)? else {
                continue;
            };
            let def: crate::domain::credential_type::CredentialTypeDefinition =
                serde_json::from_str(&row.definition).map_err(internal)?;
            let formats = def.formats();
            if formats.iter().any(|f| f == Format::SdJwt.name()) {
                r.vct_values.push(vct(&ctx.public_url, e, &row.id));
            }
            let t = w3c_type(&def);
            if formats.iter().any(|f| f == Format::JwtVc.name()) && !r.w3c_types.contains(&t) {
                r.w3c_types.push(t);
            }
            let own: Vec<String> = def
                .fields()
                .iter()
                .filter(|f| f.is_required())
                .map(|f| f.title().to_string())
                .collect();
            required = Some(match required {
                None => own,
                Some(before) => before.into_iter().filter(|f| own.contains(f)).collect(),
            });
            for f in def.fields() {
                if !fields.iter().any(|t| t == f.title()) {
                    fields.push(f.title().to_string());
                }
            }
        }
        // An OPENID4VP session shows the whole card (PingOne ignores its keys): ask for
        // every field, required where every matching type requires it.
        if valid.protocol == "OPENID4VP" {
            r.keys = required.unwrap_or_default();
            r.optional_keys = fields.clone();
        }
        if r.vct_values.is_empty() && r.w3c_types.is_empty() {
            errors.push(FieldError::invalid(
                format!("requestedCredentials[{i}].type"),
                format!("no credential type titled {title:?} is issued here"),
            ));
            continue;
        }
        for (k, key) in keys.iter().enumerate() {
            if !fields.contains(key) {
                errors.push(FieldError::invalid(
                    format!("requestedCredentials[{i}].keys[{k}]"),
                    format!("{title:?} has no field {key:?}"),
                ));
            }
        }
        requested.push(r);
    }
    if !errors.is_empty() {
        return Err(Error::Invalid(errors));
    }
    Ok(requested)
}

/// A caller's own DCQL query, checked by the oid4vp crate's parser and rules.
fn raw_query(raw: &serde_json::Value) -> Result<serde_json::Value> {
    let invalid = |why: String| Error::Invalid(vec![FieldError::invalid("dcqlQuery", why)]);
    let parsed: oid4vp::dcql::dcql_query::DcqlQuery = serde_json::from_value(raw.clone())
        .map_err(|e| invalid(format!("not a DCQL query: {e}")))?;
    parsed
        .validate_all()
        .map_err(|e| invalid(format!("not a valid DCQL query: {e}")))?;
    Ok(raw.clone())
}

/// The client identifier, with its prefix, that the session's request names.
async fn client_id(ctx: &Ctx, env: &str, id: &str, valid: &ValidSession) -> Result<String> {
    let invalid = |why: String| Error::Invalid(vec![FieldError::invalid("clientIdPrefix", why)]);
    Ok(match valid.client_id_prefix {
        "redirect_uri" => format!("redirect_uri:{}", response_uri(ctx, env, id)),
        "x509_san_dns" => {
            let certificate = certificate::client_certificate(ctx).await?;
            let host = certificate::public_host(ctx)?;
            let names = certificate.chain.dns_names()?;
            if !names.contains(&host) {
                return Err(invalid(format!(
                    "the verifier certificate names no dNSName {host:?} (the public URL's host; \
                     it names {names:?}), so x509_san_dns cannot be used"
                )));
            }
            format!("x509_san_dns:{host}")
        }
        "x509_hash" => {
            let certificate = certificate::client_certificate(ctx).await?;
            format!("x509_hash:{}", certificate.chain.x509_hash())
        }
        _ => {
            let (_, did, _) = keyring::signing_identity(ctx, env, Format::JwtVc).await?;
            if valid.protocol_version == "ID1" {
                did
            } else {
                format!("decentralized_identifier:{did}")
            }
        }
    })
}

/// Creates a session: validates the request, builds its query, nonce, state and (for
/// direct_post.jwt) its encryption key.
pub async fn create(ctx: &Ctx, env: &str, input: PresentationSessionInput) -> Result<SessionView> {
    create_with(ctx, env, input, None).await
}

/// [`create`] under a backend API correlation id (unique in the environment).
pub async fn create_with(
    ctx: &Ctx,
    env: &str,
    input: PresentationSessionInput,
    correlation_id: Option<String>,
) -> Result<SessionView> {
    let valid = input.validate().map_err(Error::Invalid)?;
    let id = uuid::Uuid::new_v4().to_string();
    let client_id = client_id(ctx, env, &id, &valid).await?;
    let encryption_key = match valid.response_mode {
        "direct_post.jwt" => {
            let key = EncryptionKey::generate();
            Some(ctx.master.seal(id.as_bytes(), &key.secret_bytes())?)
        }
        _ => None,
    };
    let (ctx2, env2) = (ctx.clone(), env.to_string());
    let row = ctx
        .store
        .write(move |conn| {
            crate::store::environments::get(conn, &env2)?
                .ok_or_else(|| Error::not_found("Environment"))?;
            let (dcql_query, presentation_definition) = match &valid.dcql_query {
                Some(raw) => (raw_query(raw)?, None),
                None => {
                    let requested = resolve_types(&ctx2, conn, &env2, &valid)?;
                    let definition = (valid.protocol_version == "ID1")
                        .then(|| presentation_exchange::definition(&id, &requested).to_string());
                    (dcql::query(&requested, true), definition)
                }
            };
            let now = time::now();
            let row = PresentationSessionRow {
                id,
                environment_id: env2.clone(),
                protocol: valid.protocol.to_string(),
                status: SessionStatus::Initial.as_str().into(),
                request: serde_json::to_string(&input).map_err(internal)?,
                dcql_query: dcql_query.to_string(),
                presentation_definition,
                client_id,
                response_mode: valid.response_mode.to_string(),
                nonce: secrets::token(),
                state: secrets::token(),
                encryption_key,
                response_code_hash: None,
                correlation_id,
                result: None,
                created_at: now,
                expires_at: now + Duration::seconds(ctx2.config.presentation_ttl_seconds),
                request_fetched_at: None,
                responded_at: None,
                updated_at: now,
            };
            match presentations::insert(conn, &row) {
                Err(e) if crate::store::is_unique_violation(&e) => {
                    return Err(Error::not_unique(
                        "correlation_id",
                        "a verification with this correlation_id exists",
                    ));
                }
                other => other?,
            }
            record(
                conn,
                &row,
                "SESSION_CREATED",
                Some(json!({
                    "protocol": row.protocol,
                    "protocolVersion": valid.protocol_version,
                    "clientId": row.client_id,
                    "responseMode": row.response_mode,
                })),
            )?;
            Ok::<_, Error>(row)
        })
        .await?;
    view(ctx, row)
}

pub async fn get(ctx: &Ctx, env: &str, id: &str) -> Result<SessionView> {
    let (env, id) = (env.to_string(), id.to_string());
    let row = ctx
        .store
        .read(move |conn| {
            presentations::get(conn, &env, &id)?
                .ok_or_else(|| Error::not_found("Presentation session"))
        })
        .await?;
    view(ctx, row)
}

/// The session of `env` with the backend API correlation id `correlation_id`.
pub async fn by_correlation(ctx: &Ctx, env: &str, correlation_id: &str) -> Result<SessionView> {
    let (env, cid) = (env.to_string(), correlation_id.to_string());
    let row = ctx
        .store
        .read(move |conn| {
            presentations::by_correlation(conn, &env, &cid)?
                .ok_or_else(|| Error::not_found("Verification"))
        })
        .await?;
    view(ctx, row)
}

pub async fn delete(ctx: &Ctx, env: &str, id: &str) -> Result<()> {
    let (env, id) = (env.to_string(), id.to_string());
    ctx.store
        .write(move |conn| match presentations::delete(conn, &env, &id)? {
            0 => Err(Error::not_found("Presentation session")),
            _ => Ok(()),
        })
        .await
}

pub async fn events(
    ctx: &Ctx,
    env: &str,
    id: &str,
    page: PageRequest,
) -> Result<Page<PresentationEventRow>> {
    let (env, id) = (env.to_string(), id.to_string());
    ctx.store
        .read(move |conn| {
            presentations::get(conn, &env, &id)?
                .ok_or_else(|| Error::not_found("Presentation session"))?;
            let rows = presentations::events(conn, &id, page.after.as_deref(), page.limit + 1)?;
            Ok(Page::from_rows(rows, page.limit, |r| &r.id))
        })
        .await
}

/// Sessions expired per transaction.
const EXPIRY_BATCH: i64 = 500;

/// Marks open sessions past their lifetime VERIFICATION_EXPIRED, each with a trail event
/// (the jobs runner calls this); returns how many.
pub async fn expire(ctx: &Ctx) -> Result<usize> {
    let mut total = 0;
    loop {
        let done = ctx
            .store
            .write(|conn| {
                let now = time::now();
                let batch = presentations::expired_batch(conn, now, EXPIRY_BATCH)?;
                let mut expired = 0;
                for row in &batch {
                    if presentations::expire(conn, &row.id, now)? {
                        record(conn, row, SessionStatus::Expired.as_str(), None)?;
                        expired += 1;
                    }
                }
                Ok::<_, Error>((batch.len(), expired))
            })
            .await?;
        total += done.1;
        if done.0 < EXPIRY_BATCH as usize {
            return Ok(total);
        }
    }
}
