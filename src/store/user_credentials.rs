//! User credentials and the credentials provisioned to wallets from them.

use diesel::prelude::*;

use super::AnyConnection;
use super::rows::{ProvisionedCredentialRow, UserCredentialRow};
use super::schema::provisioned_credentials::dsl as p;
use super::schema::user_credentials::dsl as c;

pub fn insert(conn: &mut AnyConnection, row: &UserCredentialRow) -> QueryResult<()> {
    diesel::insert_into(c::user_credentials)
        .values(row)
        .execute(conn)
        .map(|_| ())
}

pub fn get(
    conn: &mut AnyConnection,
    env: &str,
    user: &str,
    id: &str,
) -> QueryResult<Option<UserCredentialRow>> {
    c::user_credentials
        .filter(c::environment_id.eq(env))
        .filter(c::user_id.eq(user))
        .filter(c::id.eq(id))
        .select(UserCredentialRow::as_select())
        .first(conn)
        .optional()
}

pub fn list_for_user(
    conn: &mut AnyConnection,
    env: &str,
    user: &str,
    after: Option<&str>,
    limit: i64,
) -> QueryResult<Vec<UserCredentialRow>> {
    keyset_page!(
        conn,
        c::user_credentials
            .filter(c::environment_id.eq(env))
            .filter(c::user_id.eq(user)),
        c::id,
        UserCredentialRow,
        after,
        limit
    )
}

pub fn all_for_user(
    conn: &mut AnyConnection,
    env: &str,
    user: &str,
) -> QueryResult<Vec<UserCredentialRow>> {
    c::user_credentials
        .filter(c::environment_id.eq(env))
        .filter(c::user_id.eq(user))
        .select(UserCredentialRow::as_select())
        .load(conn)
}

pub fn all_of_type(conn: &mut AnyConnection, type_id: &str) -> QueryResult<Vec<UserCredentialRow>> {
    c::user_credentials
        .filter(c::credential_type_id.eq(type_id))
        .select(UserCredentialRow::as_select())
        .load(conn)
}

pub fn update(conn: &mut AnyConnection, row: &UserCredentialRow) -> QueryResult<usize> {
    diesel::update(c::user_credentials.filter(c::id.eq(&row.id)))
        .set(row)
        .execute(conn)
}

pub fn delete(conn: &mut AnyConnection, id: &str) -> QueryResult<usize> {
    diesel::delete(c::user_credentials.filter(c::id.eq(id))).execute(conn)
}

pub fn provisioned(
    conn: &mut AnyConnection,
    credential: &str,
    after: Option<&str>,
    limit: i64,
) -> QueryResult<Vec<ProvisionedCredentialRow>> {
    keyset_page!(
        conn,
        p::provisioned_credentials.filter(p::user_credential_id.eq(credential)),
        p::id,
        ProvisionedCredentialRow,
        after,
        limit
    )
}

/// Marks every live credential provisioned from `credential` as revoked, and sets its
/// status list entry to INVALID.
pub fn revoke_provisioned(
    conn: &mut AnyConnection,
    credential: &str,
    at: chrono::NaiveDateTime,
) -> QueryResult<usize> {
    end_provisioned(conn, credential, "REVOKED", at)
}

/// Ends every live credential provisioned from `credential` with `status` (`REVOKED` or
/// `EXPIRED`): the rows say so and their status list entries read INVALID.
pub fn end_provisioned(
    conn: &mut AnyConnection,
    credential: &str,
    status: &str,
    at: chrono::NaiveDateTime,
) -> QueryResult<usize> {
    let live: Vec<String> = p::provisioned_credentials
        .filter(p::user_credential_id.eq(credential))
        .filter(p::status.ne_all(["REVOKED", "EXPIRED"]))
        .select(p::id)
        .load(conn)?;
    end(conn, &live, status, at)
}

/// Ends the provisioned credentials `ids` with `status`: VALID or SUSPENDED entries
/// become INVALID (an INVALID one stays), and the rows say so.
fn end(
    conn: &mut AnyConnection,
    ids: &[String],
    status: &str,
    at: chrono::NaiveDateTime,
) -> QueryResult<usize> {
    if ids.is_empty() {
        return Ok(0);
    }
    super::status_lists::set_status_of_provisioned(conn, ids, &[0, 2], 1, at)?;
    diesel::update(p::provisioned_credentials.filter(p::id.eq_any(ids)))
        .set((p::status.eq(status), p::updated_at.eq(at)))
        .execute(conn)
}

/// Revokes what was provisioned into one digital wallet (the wallet was deleted or
/// disabled), status list entries included; returns how many credentials it ended.
pub fn revoke_provisioned_in_wallet(
    conn: &mut AnyConnection,
    env: &str,
    wallet: &str,
    at: chrono::NaiveDateTime,
) -> QueryResult<usize> {
    let live: Vec<String> = p::provisioned_credentials
        .filter(p::environment_id.eq(env))
        .filter(p::digital_wallet_id.eq(wallet))
        .filter(p::status.ne_all(["REVOKED", "EXPIRED"]))
        .select(p::id)
        .load(conn)?;
    end(conn, &live, "REVOKED", at)
}

/// Sets the provisioned credentials of `credential` in status `from` to `to` (suspension
/// and reinstatement), with their status list entries; returns how many changed.
pub fn move_provisioned(
    conn: &mut AnyConnection,
    credential: &str,
    (from, from_entry): (&str, i32),
    (to, to_entry): (&str, i32),
    at: chrono::NaiveDateTime,
) -> QueryResult<usize> {
    let ids: Vec<String> = p::provisioned_credentials
        .filter(p::user_credential_id.eq(credential))
        .filter(p::status.eq(from))
        .select(p::id)
        .load(conn)?;
    if ids.is_empty() {
        return Ok(0);
    }
    super::status_lists::set_status_of_provisioned(conn, &ids, &[from_entry], to_entry, at)?;
    diesel::update(p::provisioned_credentials.filter(p::id.eq_any(&ids)))
        .set((p::status.eq(to), p::updated_at.eq(at)))
        .execute(conn)
}

pub fn by_id(conn: &mut AnyConnection, id: &str) -> QueryResult<Option<UserCredentialRow>> {
    c::user_credentials
        .find(id)
        .select(UserCredentialRow::as_select())
        .first(conn)
        .optional()
}

pub fn insert_provisioned(
    conn: &mut AnyConnection,
    row: &ProvisionedCredentialRow,
) -> QueryResult<()> {
    diesel::insert_into(p::provisioned_credentials)
        .values(row)
        .execute(conn)
        .map(|_| ())
}

/// Credentials provisioned from `credential` under one notification id.
pub fn provisioned_by_notification(
    conn: &mut AnyConnection,
    credential: &str,
    notification: &str,
) -> QueryResult<Vec<ProvisionedCredentialRow>> {
    p::provisioned_credentials
        .filter(p::user_credential_id.eq(credential))
        .filter(p::notification_id.eq(notification))
        .select(ProvisionedCredentialRow::as_select())
        .load(conn)
}

pub fn update_provisioned(
    conn: &mut AnyConnection,
    row: &ProvisionedCredentialRow,
) -> QueryResult<usize> {
    diesel::update(p::provisioned_credentials.filter(p::id.eq(&row.id)))
        .set(row)
        .execute(conn)
}

/// Up to `limit` credentials past their `expiresAt` that are not yet marked EXPIRED
/// (or REVOKED), oldest expiry first.
pub fn expired_batch(
    conn: &mut AnyConnection,
    now: chrono::NaiveDateTime,
    limit: i64,
) -> QueryResult<Vec<UserCredentialRow>> {
    c::user_credentials
        .filter(c::expires_at.le(now))
        .filter(c::status.eq_any(["PENDING", "ISSUED", "SUSPENDED"]))
        .order((c::expires_at.asc(), c::id.asc()))
        .limit(limit)
        .select(UserCredentialRow::as_select())
        .load(conn)
}
