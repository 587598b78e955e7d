//! Signing keys of an environment; private halves are sealed with the master key.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::AnyConnection;
use super::rows::SigningKeyRow;
use super::schema::signing_keys::dsl as k;

pub fn insert(conn: &mut AnyConnection, row: &SigningKeyRow) -> QueryResult<()> {
    diesel::insert_into(k::signing_keys)
        .values(row)
        .execute(conn)
        .map(|_| ())
}

pub fn get(conn: &mut AnyConnection, env: &str, id: &str) -> QueryResult<Option<SigningKeyRow>> {
    k::signing_keys
        .filter(k::environment_id.eq(env))
        .filter(k::id.eq(id))
        .select(SigningKeyRow::as_select())
        .first(conn)
        .optional()
}

/// The newest active key of `env` for `purpose`.
pub fn active(
    conn: &mut AnyConnection,
    env: &str,
    purpose: &str,
) -> QueryResult<Option<SigningKeyRow>> {
    k::signing_keys
        .filter(k::environment_id.eq(env))
        .filter(k::purpose.eq(purpose))
        .filter(k::status.eq("ACTIVE"))
        .order(k::created_at.desc())
        .select(SigningKeyRow::as_select())
        .first(conn)
        .optional()
}

/// Keys of `env` for `purpose` that are still published at `now`: active ones and
/// retired ones inside their grace period.
pub fn published(
    conn: &mut AnyConnection,
    env: &str,
    purpose: &str,
    now: NaiveDateTime,
) -> QueryResult<Vec<SigningKeyRow>> {
    k::signing_keys
        .filter(k::environment_id.eq(env))
        .filter(k::purpose.eq(purpose))
        .filter(k::status.eq("ACTIVE").or(k::publish_until.gt(now)))
        .order(k::created_at.desc())
        .select(SigningKeyRow::as_select())
        .load(conn)
}

/// Every key of `env`, newest first.
pub fn all(conn: &mut AnyConnection, env: &str) -> QueryResult<Vec<SigningKeyRow>> {
    k::signing_keys
        .filter(k::environment_id.eq(env))
        .order(k::created_at.desc())
        .select(SigningKeyRow::as_select())
        .load(conn)
}

/// Retires the active key(s) of `env` for `purpose`, published until `until`.
pub fn retire_active(
    conn: &mut AnyConnection,
    env: &str,
    purpose: &str,
    now: NaiveDateTime,
    until: NaiveDateTime,
) -> QueryResult<usize> {
    diesel::update(
        k::signing_keys
            .filter(k::environment_id.eq(env))
            .filter(k::purpose.eq(purpose))
            .filter(k::status.eq("ACTIVE")),
    )
    .set((
        k::status.eq("RETIRED"),
        k::retired_at.eq(Some(now)),
        k::publish_until.eq(Some(until)),
    ))
    .execute(conn)
}
