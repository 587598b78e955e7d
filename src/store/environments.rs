//! Environments: the tenants. Deleting one cascades to everything it holds.

use diesel::prelude::*;

use super::AnyConnection;
use super::rows::EnvironmentRow;
use super::schema::environments::dsl as e;

pub fn insert(conn: &mut AnyConnection, row: &EnvironmentRow) -> QueryResult<()> {
    diesel::insert_into(e::environments)
        .values(row)
        .execute(conn)
        .map(|_| ())
}

pub fn get(conn: &mut AnyConnection, id: &str) -> QueryResult<Option<EnvironmentRow>> {
    e::environments
        .find(id)
        .select(EnvironmentRow::as_select())
        .first(conn)
        .optional()
}

pub fn exists(conn: &mut AnyConnection, id: &str) -> QueryResult<bool> {
    diesel::select(diesel::dsl::exists(e::environments.find(id))).get_result(conn)
}

/// Up to `limit` environments ordered by id, after the cursor id when given.
pub fn list(
    conn: &mut AnyConnection,
    after: Option<&str>,
    limit: i64,
) -> QueryResult<Vec<EnvironmentRow>> {
    keyset_page!(conn, e::environments, e::id, EnvironmentRow, after, limit)
}

pub fn update(conn: &mut AnyConnection, row: &EnvironmentRow) -> QueryResult<usize> {
    diesel::update(e::environments.find(&row.id))
        .set(row)
        .execute(conn)
}

pub fn delete(conn: &mut AnyConnection, id: &str) -> QueryResult<usize> {
    diesel::delete(e::environments.find(id)).execute(conn)
}

pub fn count(conn: &mut AnyConnection) -> QueryResult<i64> {
    e::environments.count().get_result(conn)
}
