//! The event trail of a user credential's issuance: each protocol step, and why a step
//! was refused, readable by an admin.

use serde_json::Value;

use crate::domain::page::{Page, PageRequest};
use crate::domain::time;
use crate::service::{Ctx, Error, Result, new_id};
use crate::store::rows::IssuanceEventRow;
use crate::store::{AnyConnection, directory, issuance, user_credentials};

pub fn record(
    conn: &mut AnyConnection,
    env: &str,
    credential: &str,
    offer: Option<&str>,
    event: &str,
    detail: Option<Value>,
) -> Result<()> {
    issuance::insert_event(
        conn,
        &IssuanceEventRow {
            id: new_id(),
            environment_id: env.to_string(),
            user_credential_id: credential.to_string(),
            offer_id: offer.map(str::to_string),
            event: event.to_string(),
            detail: detail.map(|d| d.to_string()),
            created_at: time::now(),
        },
    )?;
    Ok(())
}

/// Records an event in its own transaction (for steps that were refused, whose own
/// transaction rolled back).
pub async fn record_apart(
    ctx: &Ctx,
    env: &str,
    credential: &str,
    offer: Option<&str>,
    event: &str,
    detail: Value,
) {
    let (env, credential, offer, event) = (
        env.to_string(),
        credential.to_string(),
        offer.map(str::to_string),
        event.to_string(),
    );
    let result = ctx
        .store
        .write(move |conn| {
            record(
                conn,
                &env,
                &credential,
                offer.as_deref(),
                &event,
                Some(detail),
            )
        })
        .await;
    if let Err(err) = result {
        tracing::warn!(error = %err, "could not record an issuance event");
    }
}

pub async fn list(
    ctx: &Ctx,
    env: &str,
    user: &str,
    credential: &str,
    page: PageRequest,
) -> Result<Page<IssuanceEventRow>> {
    let (env, user, credential) = (env.to_string(), user.to_string(), credential.to_string());
    ctx.store
        .read(move |conn| {
            directory::get_user(conn, &env, &user)?.ok_or_else(|| Error::not_found("User"))?;
            user_credentials::get(conn, &env, &user, &credential)?
                .ok_or_else(|| Error::not_found("User credential"))?;
            let rows = issuance::events(conn, &credential, page.after.as_deref(), page.limit + 1)?;
            Ok(Page::from_rows(rows, page.limit, |r| &r.id))
        })
        .await
}
