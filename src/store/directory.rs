//! The directory: populations, groups, users and group memberships.

use diesel::prelude::*;

use super::AnyConnection;
use super::rows::{GroupRow, MembershipRow, PopulationRow, UserRow};
use super::schema::group_memberships::dsl as gm;
use super::schema::populations::dsl as p;
use super::schema::user_groups::dsl as g;
use super::schema::users::dsl as u;

// ---- populations -------------------------------------------------------------------

pub fn insert_population(conn: &mut AnyConnection, row: &PopulationRow) -> QueryResult<()> {
    diesel::insert_into(p::populations)
        .values(row)
        .execute(conn)
        .map(|_| ())
}

pub fn get_population(
    conn: &mut AnyConnection,
    env: &str,
    id: &str,
) -> QueryResult<Option<PopulationRow>> {
    p::populations
        .filter(p::environment_id.eq(env))
        .filter(p::id.eq(id))
        .select(PopulationRow::as_select())
        .first(conn)
        .optional()
}

pub fn default_population(
    conn: &mut AnyConnection,
    env: &str,
) -> QueryResult<Option<PopulationRow>> {
    p::populations
        .filter(p::environment_id.eq(env))
        .filter(p::is_default.eq(1))
        .select(PopulationRow::as_select())
        .first(conn)
        .optional()
}

pub fn list_populations(
    conn: &mut AnyConnection,
    env: &str,
    after: Option<&str>,
    limit: i64,
) -> QueryResult<Vec<PopulationRow>> {
    keyset_page!(
        conn,
        p::populations.filter(p::environment_id.eq(env)),
        p::id,
        PopulationRow,
        after,
        limit
    )
}

pub fn update_population(conn: &mut AnyConnection, row: &PopulationRow) -> QueryResult<usize> {
    diesel::update(
        p::populations
            .filter(p::environment_id.eq(&row.environment_id))
            .filter(p::id.eq(&row.id)),
    )
    .set(row)
    .execute(conn)
}

/// Clears the default flag of every population of `env` except `keep`.
pub fn clear_default_population(
    conn: &mut AnyConnection,
    env: &str,
    keep: &str,
) -> QueryResult<usize> {
    diesel::update(
        p::populations
            .filter(p::environment_id.eq(env))
            .filter(p::id.ne(keep)),
    )
    .set(p::is_default.eq(0))
    .execute(conn)
}

pub fn delete_population(conn: &mut AnyConnection, env: &str, id: &str) -> QueryResult<usize> {
    diesel::delete(
        p::populations
            .filter(p::environment_id.eq(env))
            .filter(p::id.eq(id)),
    )
    .execute(conn)
}

pub fn count_population_users(conn: &mut AnyConnection, population: &str) -> QueryResult<i64> {
    u::users
        .filter(u::population_id.eq(population))
        .count()
        .get_result(conn)
}

pub fn count_population_groups(conn: &mut AnyConnection, population: &str) -> QueryResult<i64> {
    g::user_groups
        .filter(g::population_id.eq(population))
        .count()
        .get_result(conn)
}

// ---- groups ------------------------------------------------------------------------

pub fn insert_group(conn: &mut AnyConnection, row: &GroupRow) -> QueryResult<()> {
    diesel::insert_into(g::user_groups)
        .values(row)
        .execute(conn)
        .map(|_| ())
}

pub fn get_group(conn: &mut AnyConnection, env: &str, id: &str) -> QueryResult<Option<GroupRow>> {
    g::user_groups
        .filter(g::environment_id.eq(env))
        .filter(g::id.eq(id))
        .select(GroupRow::as_select())
        .first(conn)
        .optional()
}

pub fn list_groups(
    conn: &mut AnyConnection,
    env: &str,
    after: Option<&str>,
    limit: i64,
) -> QueryResult<Vec<GroupRow>> {
    keyset_page!(
        conn,
        g::user_groups.filter(g::environment_id.eq(env)),
        g::id,
        GroupRow,
        after,
        limit
    )
}

pub fn update_group(conn: &mut AnyConnection, row: &GroupRow) -> QueryResult<usize> {
    diesel::update(
        g::user_groups
            .filter(g::environment_id.eq(&row.environment_id))
            .filter(g::id.eq(&row.id)),
    )
    .set(row)
    .execute(conn)
}

pub fn delete_group(conn: &mut AnyConnection, env: &str, id: &str) -> QueryResult<usize> {
    diesel::delete(
        g::user_groups
            .filter(g::environment_id.eq(env))
            .filter(g::id.eq(id)),
    )
    .execute(conn)
}

// ---- users -------------------------------------------------------------------------

pub fn insert_user(conn: &mut AnyConnection, row: &UserRow) -> QueryResult<()> {
    diesel::insert_into(u::users)
        .values(row)
        .execute(conn)
        .map(|_| ())
}

pub fn get_user(conn: &mut AnyConnection, env: &str, id: &str) -> QueryResult<Option<UserRow>> {
    u::users
        .filter(u::environment_id.eq(env))
        .filter(u::id.eq(id))
        .select(UserRow::as_select())
        .first(conn)
        .optional()
}

pub fn list_users(
    conn: &mut AnyConnection,
    env: &str,
    after: Option<&str>,
    limit: i64,
) -> QueryResult<Vec<UserRow>> {
    keyset_page!(
        conn,
        u::users.filter(u::environment_id.eq(env)),
        u::id,
        UserRow,
        after,
        limit
    )
}

pub fn update_user(conn: &mut AnyConnection, row: &UserRow) -> QueryResult<usize> {
    diesel::update(
        u::users
            .filter(u::environment_id.eq(&row.environment_id))
            .filter(u::id.eq(&row.id)),
    )
    .set(row)
    .execute(conn)
}

pub fn delete_user(conn: &mut AnyConnection, env: &str, id: &str) -> QueryResult<usize> {
    diesel::delete(
        u::users
            .filter(u::environment_id.eq(env))
            .filter(u::id.eq(id)),
    )
    .execute(conn)
}

// ---- memberships -------------------------------------------------------------------

pub fn insert_membership(conn: &mut AnyConnection, row: &MembershipRow) -> QueryResult<()> {
    diesel::insert_into(gm::group_memberships)
        .values(row)
        .execute(conn)
        .map(|_| ())
}

pub fn delete_membership(conn: &mut AnyConnection, user: &str, group: &str) -> QueryResult<usize> {
    diesel::delete(
        gm::group_memberships
            .filter(gm::user_id.eq(user))
            .filter(gm::group_id.eq(group)),
    )
    .execute(conn)
}

/// The groups each of `users` belongs to, as `(user_id, group)` pairs.
pub fn groups_of_users(
    conn: &mut AnyConnection,
    users: &[String],
) -> QueryResult<Vec<(String, GroupRow)>> {
    if users.is_empty() {
        return Ok(Vec::new());
    }
    gm::group_memberships
        .inner_join(g::user_groups)
        .filter(gm::user_id.eq_any(users))
        .order((gm::user_id.asc(), g::name.asc()))
        .select((gm::user_id, GroupRow::as_select()))
        .load(conn)
}
