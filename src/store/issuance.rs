//! OpenID4VCI state: offers, access tokens, used nonces, deferred requests, the event
//! trail and backend issue requests. Single-use things are consumed by a conditional
//! write, so a race has exactly one winner.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::AnyConnection;
use super::rows::{
    AccessTokenRow, CredentialOfferRow, DeferredRequestRow, IssuanceEventRow, IssueRequestRow,
};
use super::schema::access_tokens::dsl as t;
use super::schema::credential_offers::dsl as o;
use super::schema::deferred_requests::dsl as d;
use super::schema::issuance_events::dsl as e;
use super::schema::issue_requests::dsl as r;
use super::schema::used_nonces::dsl as n;

// ---- offers ------------------------------------------------------------------------

pub fn insert_offer(conn: &mut AnyConnection, row: &CredentialOfferRow) -> QueryResult<()> {
    diesel::insert_into(o::credential_offers)
        .values(row)
        .execute(conn)
        .map(|_| ())
}

pub fn offer(
    conn: &mut AnyConnection,
    env: &str,
    id: &str,
) -> QueryResult<Option<CredentialOfferRow>> {
    o::credential_offers
        .filter(o::environment_id.eq(env))
        .filter(o::id.eq(id))
        .select(CredentialOfferRow::as_select())
        .first(conn)
        .optional()
}

pub fn offer_by_code(
    conn: &mut AnyConnection,
    env: &str,
    code_hash: &str,
) -> QueryResult<Option<CredentialOfferRow>> {
    o::credential_offers
        .filter(o::environment_id.eq(env))
        .filter(o::code_hash.eq(code_hash))
        .select(CredentialOfferRow::as_select())
        .first(conn)
        .optional()
}

/// The newest offer of a user credential.
pub fn latest_offer(
    conn: &mut AnyConnection,
    credential: &str,
) -> QueryResult<Option<CredentialOfferRow>> {
    o::credential_offers
        .filter(o::user_credential_id.eq(credential))
        .order(o::created_at.desc())
        .select(CredentialOfferRow::as_select())
        .first(conn)
        .optional()
}

/// Withdraws every live offer of a user credential (a new one replaces them, or the
/// credential was revoked).
pub fn withdraw_offers(conn: &mut AnyConnection, credential: &str) -> QueryResult<usize> {
    diesel::update(
        o::credential_offers
            .filter(o::user_credential_id.eq(credential))
            .filter(o::status.eq("ACTIVE")),
    )
    .set(o::status.eq("WITHDRAWN"))
    .execute(conn)
}

/// Records the first fetch of an offer; true when this was it.
pub fn mark_fetched(conn: &mut AnyConnection, id: &str, at: NaiveDateTime) -> QueryResult<bool> {
    diesel::update(
        o::credential_offers
            .filter(o::id.eq(id))
            .filter(o::fetched_at.is_null()),
    )
    .set(o::fetched_at.eq(Some(at)))
    .execute(conn)
    .map(|n| n == 1)
}

/// Redeems a live offer; true for exactly one caller.
pub fn redeem(conn: &mut AnyConnection, id: &str, at: NaiveDateTime) -> QueryResult<bool> {
    diesel::update(
        o::credential_offers
            .filter(o::id.eq(id))
            .filter(o::status.eq("ACTIVE"))
            .filter(o::expires_at.gt(at)),
    )
    .set((o::status.eq("REDEEMED"), o::redeemed_at.eq(Some(at))))
    .execute(conn)
    .map(|n| n == 1)
}

/// Counts a wrong tx_code; the offer dies at `limit` failures. Returns the count.
pub fn record_tx_code_failure(conn: &mut AnyConnection, id: &str, limit: i32) -> QueryResult<i32> {
    diesel::update(o::credential_offers.filter(o::id.eq(id)))
        .set(o::tx_code_failures.eq(o::tx_code_failures + 1))
        .execute(conn)?;
    let failures: i32 = o::credential_offers
        .find(id)
        .select(o::tx_code_failures)
        .first(conn)?;
    if failures >= limit {
        diesel::update(
            o::credential_offers
                .filter(o::id.eq(id))
                .filter(o::status.eq("ACTIVE")),
        )
        .set(o::status.eq("DEAD"))
        .execute(conn)?;
    }
    Ok(failures)
}

// ---- access tokens and nonces ------------------------------------------------------

pub fn insert_token(conn: &mut AnyConnection, row: &AccessTokenRow) -> QueryResult<()> {
    diesel::insert_into(t::access_tokens)
        .values(row)
        .execute(conn)
        .map(|_| ())
}

pub fn token(conn: &mut AnyConnection, hash: &str) -> QueryResult<Option<AccessTokenRow>> {
    t::access_tokens
        .find(hash)
        .select(AccessTokenRow::as_select())
        .first(conn)
        .optional()
}

/// Uses a refresh token once; true for exactly one caller.
pub fn use_refresh_token(
    conn: &mut AnyConnection,
    hash: &str,
    at: NaiveDateTime,
) -> QueryResult<bool> {
    diesel::update(
        t::access_tokens
            .filter(t::token_hash.eq(hash))
            .filter(t::kind.eq("refresh"))
            .filter(t::used_at.is_null())
            .filter(t::expires_at.gt(at)),
    )
    .set(t::used_at.eq(Some(at)))
    .execute(conn)
    .map(|n| n == 1)
}

/// Marks a nonce used; false when it was used before (a replay).
pub fn use_nonce(
    conn: &mut AnyConnection,
    hash: &str,
    expires_at: NaiveDateTime,
) -> QueryResult<bool> {
    // `ON CONFLICT DO NOTHING` is in both dialects but not in diesel's MultiBackend, and
    // a plain unique violation would abort a PostgreSQL transaction.
    let insert = diesel::insert_into(n::used_nonces)
        .values((n::nonce_hash.eq(hash), n::expires_at.eq(expires_at)))
        .on_conflict_do_nothing();
    let inserted = match conn {
        AnyConnection::Sqlite(c) => insert.execute(c)?,
        AnyConnection::Postgresql(c) => insert.execute(c)?,
    };
    Ok(inserted == 1)
}

/// Forgets used nonces and access tokens past their expiry; returns how many rows went.
pub fn delete_expired(conn: &mut AnyConnection, now: NaiveDateTime) -> QueryResult<usize> {
    Ok(
        diesel::delete(n::used_nonces.filter(n::expires_at.lt(now))).execute(conn)?
            + diesel::delete(t::access_tokens.filter(t::expires_at.lt(now))).execute(conn)?,
    )
}

// ---- deferred requests -------------------------------------------------------------

pub fn insert_deferred(conn: &mut AnyConnection, row: &DeferredRequestRow) -> QueryResult<()> {
    diesel::insert_into(d::deferred_requests)
        .values(row)
        .execute(conn)
        .map(|_| ())
}

pub fn deferred_by_transaction(
    conn: &mut AnyConnection,
    env: &str,
    hash: &str,
) -> QueryResult<Option<DeferredRequestRow>> {
    d::deferred_requests
        .filter(d::environment_id.eq(env))
        .filter(d::transaction_hash.eq(hash))
        .select(DeferredRequestRow::as_select())
        .first(conn)
        .optional()
}

pub fn deferred(
    conn: &mut AnyConnection,
    credential: &str,
    id: &str,
) -> QueryResult<Option<DeferredRequestRow>> {
    d::deferred_requests
        .filter(d::user_credential_id.eq(credential))
        .filter(d::id.eq(id))
        .select(DeferredRequestRow::as_select())
        .first(conn)
        .optional()
}

pub fn deferred_of_credential(
    conn: &mut AnyConnection,
    credential: &str,
) -> QueryResult<Vec<DeferredRequestRow>> {
    d::deferred_requests
        .filter(d::user_credential_id.eq(credential))
        .order(d::id.asc())
        .select(DeferredRequestRow::as_select())
        .load(conn)
}

/// Moves a deferred request from `from` to `to`; true for exactly one caller.
pub fn transition_deferred(
    conn: &mut AnyConnection,
    id: &str,
    from: &str,
    to: &str,
    at: NaiveDateTime,
) -> QueryResult<bool> {
    let target = d::deferred_requests
        .filter(d::id.eq(id))
        .filter(d::status.eq(from));
    let changed = if to == "DELIVERED" {
        diesel::update(target)
            .set((d::status.eq(to), d::delivered_at.eq(Some(at))))
            .execute(conn)?
    } else {
        diesel::update(target)
            .set((d::status.eq(to), d::decided_at.eq(Some(at))))
            .execute(conn)?
    };
    Ok(changed == 1)
}

// ---- events ------------------------------------------------------------------------

pub fn insert_event(conn: &mut AnyConnection, row: &IssuanceEventRow) -> QueryResult<()> {
    diesel::insert_into(e::issuance_events)
        .values(row)
        .execute(conn)
        .map(|_| ())
}

pub fn events(
    conn: &mut AnyConnection,
    credential: &str,
    after: Option<&str>,
    limit: i64,
) -> QueryResult<Vec<IssuanceEventRow>> {
    keyset_page!(
        conn,
        e::issuance_events.filter(e::user_credential_id.eq(credential)),
        e::id,
        IssuanceEventRow,
        after,
        limit
    )
}

// ---- backend issue requests --------------------------------------------------------

pub fn insert_issue_request(conn: &mut AnyConnection, row: &IssueRequestRow) -> QueryResult<()> {
    diesel::insert_into(r::issue_requests)
        .values(row)
        .execute(conn)
        .map(|_| ())
}

pub fn issue_request(
    conn: &mut AnyConnection,
    env: &str,
    correlation: &str,
) -> QueryResult<Option<IssueRequestRow>> {
    r::issue_requests
        .filter(r::environment_id.eq(env))
        .filter(r::correlation_id.eq(correlation))
        .select(IssueRequestRow::as_select())
        .first(conn)
        .optional()
}

pub fn issue_request_by_revocation(
    conn: &mut AnyConnection,
    env: &str,
    revocation_uuid: &str,
) -> QueryResult<Option<IssueRequestRow>> {
    r::issue_requests
        .filter(r::environment_id.eq(env))
        .filter(r::revocation_uuid.eq(revocation_uuid))
        .select(IssueRequestRow::as_select())
        .first(conn)
        .optional()
}
