//! Instance-wide key/value facts (bootstrap marker, master-key check value).

use diesel::prelude::*;

use super::AnyConnection;
use super::schema::instance_meta::dsl as m;

pub fn get(conn: &mut AnyConnection, key: &str) -> QueryResult<Option<String>> {
    m::instance_meta
        .find(key)
        .select(m::value)
        .first(conn)
        .optional()
}

/// Inserts `key`; fails with a unique violation when another instance was first.
pub fn insert(conn: &mut AnyConnection, key: &str, value: &str) -> QueryResult<()> {
    diesel::insert_into(m::instance_meta)
        .values((m::key.eq(key), m::value.eq(value)))
        .execute(conn)
        .map(|_| ())
}
