//! Credential types (soft-deleted) and their version snapshots.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::AnyConnection;
use super::rows::{CredentialTypeRow, CredentialTypeVersionRow};
use super::schema::credential_type_versions::dsl as v;
use super::schema::credential_types::dsl as t;

pub fn insert(conn: &mut AnyConnection, row: &CredentialTypeRow) -> QueryResult<()> {
    diesel::insert_into(t::credential_types)
        .values(row)
        .execute(conn)
        .map(|_| ())
}

/// The type `id` of `env`, deleted or not.
pub fn get(
    conn: &mut AnyConnection,
    env: &str,
    id: &str,
) -> QueryResult<Option<CredentialTypeRow>> {
    t::credential_types
        .filter(t::environment_id.eq(env))
        .filter(t::id.eq(id))
        .select(CredentialTypeRow::as_select())
        .first(conn)
        .optional()
}

/// Types of `env` not deleted, in id order after `after`.
pub fn list(
    conn: &mut AnyConnection,
    env: &str,
    after: Option<&str>,
    limit: i64,
) -> QueryResult<Vec<CredentialTypeRow>> {
    keyset_page!(
        conn,
        t::credential_types
            .filter(t::environment_id.eq(env))
            .filter(t::deleted_at.is_null()),
        t::id,
        CredentialTypeRow,
        after,
        limit
    )
}

pub fn update(conn: &mut AnyConnection, row: &CredentialTypeRow) -> QueryResult<usize> {
    diesel::update(
        t::credential_types
            .filter(t::environment_id.eq(&row.environment_id))
            .filter(t::id.eq(&row.id)),
    )
    .set(row)
    .execute(conn)
}

/// Marks the type deleted; 0 when it was already deleted or never existed.
pub fn soft_delete(
    conn: &mut AnyConnection,
    env: &str,
    id: &str,
    at: NaiveDateTime,
) -> QueryResult<usize> {
    diesel::update(
        t::credential_types
            .filter(t::environment_id.eq(env))
            .filter(t::id.eq(id))
            .filter(t::deleted_at.is_null()),
    )
    .set(t::deleted_at.eq(Some(at)))
    .execute(conn)
}

pub fn insert_version(conn: &mut AnyConnection, row: &CredentialTypeVersionRow) -> QueryResult<()> {
    diesel::insert_into(v::credential_type_versions)
        .values(row)
        .execute(conn)
        .map(|_| ())
}

/// Snapshots of earlier versions of a type, oldest first.
pub fn versions(
    conn: &mut AnyConnection,
    type_id: &str,
) -> QueryResult<Vec<CredentialTypeVersionRow>> {
    v::credential_type_versions
        .filter(v::credential_type_id.eq(type_id))
        .order(v::version_number.asc())
        .select(CredentialTypeVersionRow::as_select())
        .load(conn)
}

pub fn version(
    conn: &mut AnyConnection,
    type_id: &str,
    version_id: &str,
) -> QueryResult<Option<CredentialTypeVersionRow>> {
    v::credential_type_versions
        .filter(v::credential_type_id.eq(type_id))
        .filter(v::id.eq(version_id))
        .select(CredentialTypeVersionRow::as_select())
        .first(conn)
        .optional()
}

/// The type of `env` titled `title` that is not deleted (titles are unique among those).
pub fn by_title(
    conn: &mut AnyConnection,
    env: &str,
    title: &str,
) -> QueryResult<Option<CredentialTypeRow>> {
    t::credential_types
        .filter(t::environment_id.eq(env))
        .filter(t::title.eq(title))
        .filter(t::deleted_at.is_null())
        .select(CredentialTypeRow::as_select())
        .first(conn)
        .optional()
}
