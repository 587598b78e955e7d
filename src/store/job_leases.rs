//! Leases of the jobs runner: an instance runs a job only while it holds its row.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::AnyConnection;
use super::rows::JobLeaseRow;
use super::schema::job_leases::dsl as j;

/// Takes the lease of `name` for `holder` until `until` when nobody holds it (or it ran
/// out, or `holder` already has it); true when taken. A conditional update (or, the
/// first time, an insert under the primary key), so of several instances racing,
/// exactly one wins.
pub fn acquire(
    conn: &mut AnyConnection,
    name: &str,
    holder: &str,
    now: NaiveDateTime,
    until: NaiveDateTime,
) -> QueryResult<bool> {
    let taken = diesel::update(
        j::job_leases.filter(j::name.eq(name)).filter(
            j::leased_until
                .is_null()
                .or(j::leased_until.lt(now))
                .or(j::holder.eq(holder)),
        ),
    )
    .set((
        j::holder.eq(holder),
        j::leased_until.eq(until),
        j::last_started_at.eq(now),
    ))
    .execute(conn)?;
    if taken == 1 {
        return Ok(true);
    }
    if get(conn, name)?.is_some() {
        return Ok(false);
    }
    // The job's first run anywhere: whoever inserts the row holds the lease. The insert
    // runs in a savepoint, so losing the race (a unique violation) leaves the
    // surrounding transaction usable.
    let row = JobLeaseRow {
        name: name.to_string(),
        holder: Some(holder.to_string()),
        leased_until: Some(until),
        last_started_at: Some(now),
        last_finished_at: None,
        last_result: None,
    };
    match conn.transaction(|conn| {
        diesel::insert_into(j::job_leases)
            .values(&row)
            .execute(conn)
    }) {
        Ok(_) => Ok(true),
        Err(err) if super::is_unique_violation(&err) => Ok(false),
        Err(err) => Err(err),
    }
}

/// Gives the lease back, recording how the run ended.
pub fn release(
    conn: &mut AnyConnection,
    name: &str,
    holder: &str,
    now: NaiveDateTime,
    result: &str,
) -> QueryResult<usize> {
    diesel::update(
        j::job_leases
            .filter(j::name.eq(name))
            .filter(j::holder.eq(holder)),
    )
    .set((
        j::holder.eq(None::<String>),
        j::leased_until.eq(None::<NaiveDateTime>),
        j::last_finished_at.eq(now),
        j::last_result.eq(result),
    ))
    .execute(conn)
}

pub fn get(conn: &mut AnyConnection, name: &str) -> QueryResult<Option<JobLeaseRow>> {
    j::job_leases
        .find(name)
        .select(JobLeaseRow::as_select())
        .first(conn)
        .optional()
}
