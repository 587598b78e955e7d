//! The credential issuer profile: one per environment.

use diesel::prelude::*;

use super::AnyConnection;
use super::rows::IssuerProfileRow;
use super::schema::issuer_profiles::dsl as p;

pub fn insert(conn: &mut AnyConnection, row: &IssuerProfileRow) -> QueryResult<()> {
    diesel::insert_into(p::issuer_profiles)
        .values(row)
        .execute(conn)
        .map(|_| ())
}

pub fn get(conn: &mut AnyConnection, env: &str) -> QueryResult<Option<IssuerProfileRow>> {
    p::issuer_profiles
        .filter(p::environment_id.eq(env))
        .select(IssuerProfileRow::as_select())
        .first(conn)
        .optional()
}

pub fn update(conn: &mut AnyConnection, row: &IssuerProfileRow) -> QueryResult<usize> {
    diesel::update(p::issuer_profiles.filter(p::environment_id.eq(&row.environment_id)))
        .set(row)
        .execute(conn)
}
