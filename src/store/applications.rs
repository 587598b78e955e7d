//! Worker applications (OAuth clients) of an environment.

use diesel::prelude::*;

use super::AnyConnection;
use super::rows::ApplicationRow;
use super::schema::applications::dsl as a;

pub fn insert(conn: &mut AnyConnection, row: &ApplicationRow) -> QueryResult<()> {
    diesel::insert_into(a::applications)
        .values(row)
        .execute(conn)
        .map(|_| ())
}

/// The application `id` if it belongs to environment `env`.
pub fn get(conn: &mut AnyConnection, env: &str, id: &str) -> QueryResult<Option<ApplicationRow>> {
    a::applications
        .filter(a::environment_id.eq(env))
        .filter(a::id.eq(id))
        .select(ApplicationRow::as_select())
        .first(conn)
        .optional()
}

pub fn list(
    conn: &mut AnyConnection,
    env: &str,
    after: Option<&str>,
    limit: i64,
) -> QueryResult<Vec<ApplicationRow>> {
    keyset_page!(
        conn,
        a::applications.filter(a::environment_id.eq(env)),
        a::id,
        ApplicationRow,
        after,
        limit
    )
}

pub fn update(conn: &mut AnyConnection, row: &ApplicationRow) -> QueryResult<usize> {
    diesel::update(
        a::applications
            .filter(a::environment_id.eq(&row.environment_id))
            .filter(a::id.eq(&row.id)),
    )
    .set(row)
    .execute(conn)
}

pub fn delete(conn: &mut AnyConnection, env: &str, id: &str) -> QueryResult<usize> {
    diesel::delete(
        a::applications
            .filter(a::environment_id.eq(env))
            .filter(a::id.eq(id)),
    )
    .execute(conn)
}

/// Applications of `env` whose JSON role list names `role`.
pub fn count_with_role(conn: &mut AnyConnection, env: &str, role: &str) -> QueryResult<i64> {
    a::applications
        .filter(a::environment_id.eq(env))
        .filter(a::roles.like(format!("%\"{role}\"%")))
        .count()
        .get_result(conn)
}

/// Applications of every environment whose JSON role list names `role`.
pub fn count_all_with_role(conn: &mut AnyConnection, role: &str) -> QueryResult<i64> {
    a::applications
        .filter(a::roles.like(format!("%\"{role}\"%")))
        .count()
        .get_result(conn)
}
