//! Presentation sessions and their event trail. The wallet's answer is recorded by a
//! conditional update, so of two answers racing for one session exactly one lands.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::AnyConnection;
use super::rows::{PresentationEventRow, PresentationSessionRow};
use super::schema::presentation_events::dsl as e;
use super::schema::presentation_sessions::dsl as s;

pub fn insert(conn: &mut AnyConnection, row: &PresentationSessionRow) -> QueryResult<()> {
    diesel::insert_into(s::presentation_sessions)
        .values(row)
        .execute(conn)
        .map(|_| ())
}

pub fn get(
    conn: &mut AnyConnection,
    env: &str,
    id: &str,
) -> QueryResult<Option<PresentationSessionRow>> {
    s::presentation_sessions
        .filter(s::environment_id.eq(env))
        .filter(s::id.eq(id))
        .select(PresentationSessionRow::as_select())
        .first(conn)
        .optional()
}

pub fn delete(conn: &mut AnyConnection, env: &str, id: &str) -> QueryResult<usize> {
    diesel::delete(
        s::presentation_sessions
            .filter(s::environment_id.eq(env))
            .filter(s::id.eq(id)),
    )
    .execute(conn)
}

/// Marks the request object fetched: INITIAL becomes WAITING (a later fetch changes
/// nothing).
pub fn mark_fetched(conn: &mut AnyConnection, id: &str, at: NaiveDateTime) -> QueryResult<usize> {
    diesel::update(
        s::presentation_sessions
            .filter(s::id.eq(id))
            .filter(s::status.eq("INITIAL")),
    )
    .set((
        s::status.eq("WAITING"),
        s::request_fetched_at.eq(at),
        s::updated_at.eq(at),
    ))
    .execute(conn)
}

/// Records the outcome of the wallet's answer when the session is still open and not
/// past its lifetime; false when another answer (or the clock) came first.
pub fn answer(
    conn: &mut AnyConnection,
    id: &str,
    status: &str,
    result: &str,
    response_code_hash: Option<&str>,
    at: NaiveDateTime,
) -> QueryResult<bool> {
    diesel::update(
        s::presentation_sessions
            .filter(s::id.eq(id))
            .filter(s::status.eq_any(["INITIAL", "WAITING"]))
            .filter(s::expires_at.gt(at)),
    )
    .set((
        s::status.eq(status),
        s::result.eq(result),
        s::response_code_hash.eq(response_code_hash),
        s::responded_at.eq(at),
        s::updated_at.eq(at),
    ))
    .execute(conn)
    .map(|n| n == 1)
}

pub fn by_correlation(
    conn: &mut AnyConnection,
    env: &str,
    correlation_id: &str,
) -> QueryResult<Option<PresentationSessionRow>> {
    s::presentation_sessions
        .filter(s::environment_id.eq(env))
        .filter(s::correlation_id.eq(correlation_id))
        .select(PresentationSessionRow::as_select())
        .first(conn)
        .optional()
}

/// Up to `limit` open sessions past their lifetime.
pub fn expired_batch(
    conn: &mut AnyConnection,
    now: NaiveDateTime,
    limit: i64,
) -> QueryResult<Vec<PresentationSessionRow>> {
    s::presentation_sessions
        .filter(s::status.eq_any(["INITIAL", "WAITING"]))
        .filter(s::expires_at.le(now))
        .order(s::expires_at)
        .limit(limit)
        .select(PresentationSessionRow::as_select())
        .load(conn)
}

/// Marks the open session `id` VERIFICATION_EXPIRED; false when it was answered first.
pub fn expire(conn: &mut AnyConnection, id: &str, now: NaiveDateTime) -> QueryResult<bool> {
    diesel::update(
        s::presentation_sessions
            .filter(s::id.eq(id))
            .filter(s::status.eq_any(["INITIAL", "WAITING"])),
    )
    .set((s::status.eq("VERIFICATION_EXPIRED"), s::updated_at.eq(now)))
    .execute(conn)
    .map(|n| n == 1)
}

pub fn insert_event(conn: &mut AnyConnection, row: &PresentationEventRow) -> QueryResult<()> {
    diesel::insert_into(e::presentation_events)
        .values(row)
        .execute(conn)
        .map(|_| ())
}

pub fn events(
    conn: &mut AnyConnection,
    session: &str,
    after: Option<&str>,
    limit: i64,
) -> QueryResult<Vec<PresentationEventRow>> {
    keyset_page!(
        conn,
        e::presentation_events.filter(e::session_id.eq(session)),
        e::id,
        PresentationEventRow,
        after,
        limit
    )
}
