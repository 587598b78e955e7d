//! Status lists and their entries.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::AnyConnection;
use super::rows::{StatusEntryRow, StatusListRow};
use super::schema::provisioned_credentials::dsl as p;
use super::schema::status_entries::dsl as e;
use super::schema::status_lists::dsl as l;

/// The oldest list of `env` in `format` that still has room.
pub fn open_list(
    conn: &mut AnyConnection,
    env: &str,
    format: &str,
) -> QueryResult<Option<StatusListRow>> {
    l::status_lists
        .filter(l::environment_id.eq(env))
        .filter(l::format.eq(format))
        .filter(l::is_full.eq(0))
        .order((l::created_at.asc(), l::id.asc()))
        .select(StatusListRow::as_select())
        .first(conn)
        .optional()
}

pub fn insert_list(conn: &mut AnyConnection, row: &StatusListRow) -> QueryResult<()> {
    diesel::insert_into(l::status_lists)
        .values(row)
        .execute(conn)
        .map(|_| ())
}

/// Takes up to `want` consecutive counter values of `list`, as `[start, end)`, or `None`
/// when it is full. A compare-and-set on `allocated`: of concurrent callers (of any
/// instance) each gets its own range, the losers of a race simply read again.
pub fn take_counters(
    conn: &mut AnyConnection,
    list: &str,
    want: i64,
    now: NaiveDateTime,
) -> QueryResult<Option<(i64, i64)>> {
    for _ in 0..16 {
        let (allocated, size, is_full) = l::status_lists
            .find(list)
            .select((l::allocated, l::size, l::is_full))
            .first::<(i64, i64, i32)>(conn)?;
        if is_full != 0 || allocated >= size {
            return Ok(None);
        }
        let end = (allocated + want.max(1)).min(size);
        let taken = diesel::update(
            l::status_lists
                .filter(l::id.eq(list))
                .filter(l::allocated.eq(allocated)),
        )
        .set((
            l::allocated.eq(end),
            l::is_full.eq(i32::from(end >= size)),
            l::updated_at.eq(now),
        ))
        .execute(conn)?;
        if taken == 1 {
            return Ok(Some((allocated, end)));
        }
    }
    Err(diesel::result::Error::QueryBuilderError(
        format!("the counter of status list {list} stayed contended").into(),
    ))
}

pub fn insert_entry(conn: &mut AnyConnection, row: &StatusEntryRow) -> QueryResult<()> {
    diesel::insert_into(e::status_entries)
        .values(row)
        .execute(conn)
        .map(|_| ())
}

pub fn get(conn: &mut AnyConnection, env: &str, id: &str) -> QueryResult<Option<StatusListRow>> {
    l::status_lists
        .filter(l::environment_id.eq(env))
        .filter(l::id.eq(id))
        .select(StatusListRow::as_select())
        .first(conn)
        .optional()
}

/// The entries of `list` whose status is not VALID, as (index, status).
pub fn set_entries(conn: &mut AnyConnection, list: &str) -> QueryResult<Vec<(i64, i32)>> {
    e::status_entries
        .filter(e::list_id.eq(list))
        .filter(e::status.ne(0))
        .select((e::idx, e::status))
        .load(conn)
}

/// Sets the entries of the given provisioned credentials whose status is one of `from`
/// to `to`, and moves the version of every list that changed; returns how many entries
/// changed.
pub fn set_status_of_provisioned(
    conn: &mut AnyConnection,
    provisioned: &[String],
    from: &[i32],
    to: i32,
    now: NaiveDateTime,
) -> QueryResult<usize> {
    let mut changed = 0;
    // Bounded batches keep each statement under the backends' parameter limits.
    for chunk in provisioned.chunks(500) {
        let ids: Vec<Option<&str>> = chunk.iter().map(|id| Some(id.as_str())).collect();
        let lists: Vec<String> = e::status_entries
            .filter(e::provisioned_credential_id.eq_any(&ids))
            .filter(e::status.eq_any(from))
            .select(e::list_id)
            .distinct()
            .load(conn)?;
        if lists.is_empty() {
            continue;
        }
        changed += diesel::update(
            e::status_entries
                .filter(e::provisioned_credential_id.eq_any(&ids))
                .filter(e::status.eq_any(from)),
        )
        .set((e::status.eq(to), e::updated_at.eq(now)))
        .execute(conn)?;
        diesel::update(l::status_lists.filter(l::id.eq_any(&lists)))
            .set((l::version.eq(l::version + 1), l::updated_at.eq(now)))
            .execute(conn)?;
    }
    Ok(changed)
}

/// Ids of the credentials provisioned from `user_credential`.
pub fn provisioned_ids(
    conn: &mut AnyConnection,
    user_credential: &str,
) -> QueryResult<Vec<String>> {
    p::provisioned_credentials
        .filter(p::user_credential_id.eq(user_credential))
        .select(p::id)
        .load(conn)
}

/// The status of the entry carried by a provisioned credential.
pub fn entry_of_provisioned(
    conn: &mut AnyConnection,
    provisioned: &str,
) -> QueryResult<Option<StatusEntryRow>> {
    e::status_entries
        .filter(e::provisioned_credential_id.eq(provisioned))
        .select(StatusEntryRow::as_select())
        .first(conn)
        .optional()
}

/// Sets one entry's status and moves its list's version (benchmarks and tests drive
/// lists through this; the services go by provisioned credential).
pub fn set_entry(
    conn: &mut AnyConnection,
    list: &str,
    idx: i64,
    status: i32,
    now: NaiveDateTime,
) -> QueryResult<usize> {
    let changed = diesel::update(e::status_entries.find((list, idx)))
        .set((e::status.eq(status), e::updated_at.eq(now)))
        .execute(conn)?;
    if changed > 0 {
        diesel::update(l::status_lists.find(list))
            .set((l::version.eq(l::version + 1), l::updated_at.eq(now)))
            .execute(conn)?;
    }
    Ok(changed)
}
