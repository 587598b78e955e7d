//! Status lists: an entry for every issued credential, status changes (revoke, suspend,
//! reinstate, expire), and the signed lists served to verifiers.
//!
//! - `dc+sd-jwt` credentials point into an IETF Token Status List (2 bits: 0 VALID,
//!   1 INVALID, 2 SUSPENDED) served at `/{env}/status/{list}` as `statuslist+jwt`.
//! - `jwt_vc_json` credentials point into a W3C Bitstring Status List pair that shares
//!   one index: `/{env}/status/{list}/revocation` and `/{env}/status/{list}/suspension`,
//!   each a `BitstringStatusListCredential` signed as a JWT.
//!
//! Indexes are handed out by a database counter per list and scrambled by a keyed
//! permutation ([`IndexPermutation`]), so they look random (nothing about issuance order
//! or volume shows) yet never repeat; the primary key of `status_entries` makes a repeat
//! impossible whatever the instances do. A list that runs out of indexes is marked full
//! and the next allocation opens a new one. An instance takes counters in blocks and
//! hands them out from memory before the credential is signed (the signature covers the
//! index); the entry is recorded in the transaction that records the credential, and an
//! index whose issuance fails stays unused, never handed out again.
//!
//! Signed lists are cached per list and status version: a request reads the list's
//! version (one small query) and serves the cached token while nothing changed; a change
//! anywhere in the list moves the version, and the next request signs a fresh token.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use chrono::{Duration, Utc};

use super::{Ctx, Error, Result, keyring};
use crate::domain::time;
use crate::protocol::oid4vci::configurations::Format;
use crate::protocol::status::bitstring::{self, Bitstring};
use crate::protocol::status::index::IndexPermutation;
use crate::protocol::status::{EntryStatus, token};
use crate::store::rows::{StatusEntryRow, StatusListRow};
use crate::store::{AnyConnection, status_lists};

/// How long a signed list is valid (`exp`); it is signed again after half of it.
const LIST_VALIDITY_HOURS: i64 = 24;

/// The two kinds of list.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ListFormat {
    TokenStatusList,
    BitstringStatusList,
}

impl ListFormat {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::TokenStatusList => "TOKEN_STATUS_LIST",
            Self::BitstringStatusList => "BITSTRING_STATUS_LIST",
        }
    }

    pub fn of(format: Format) -> Self {
        match format {
            Format::SdJwt => Self::TokenStatusList,
            Format::JwtVc => Self::BitstringStatusList,
        }
    }

    fn bits(self) -> i32 {
        match self {
            Self::TokenStatusList => 2,
            // One bit per purpose: the revocation and suspension lists share the index.
            Self::BitstringStatusList => 1,
        }
    }
}

/// The purposes of the Bitstring Status List pair.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Purpose {
    Revocation,
    Suspension,
}

impl Purpose {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Revocation => "revocation",
            Self::Suspension => "suspension",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        [Self::Revocation, Self::Suspension]
            .into_iter()
            .find(|p| p.as_str() == text)
    }

    /// Whether an entry in `status` has this purpose's bit set.
    fn is_set(self, status: i32) -> bool {
        match self {
            Self::Revocation => status == EntryStatus::Invalid.as_u8() as i32,
            Self::Suspension => status == EntryStatus::Suspended.as_u8() as i32,
        }
    }
}

/// An index handed out for one credential.
#[derive(Debug, Clone)]
pub struct Allocation {
    pub list_id: String,
    pub idx: i64,
    pub format: ListFormat,
    /// `/{env}/status/{list}`: the token list, or the base of the bitstring pair.
    pub uri: String,
}

impl Allocation {
    /// The `status` claim (SD-JWT VC) or the `credentialStatus` member (JWT VC).
    pub fn credential_status(&self) -> serde_json::Value {
        match self.format {
            ListFormat::TokenStatusList => token::status_claim(&self.uri, self.idx as u64),
            // VCDM 1.1 (`jwt_vc_json`) has room for one `credentialStatus` object: the
            // revocation entry. The suspension list at the same index is kept too, for a
            // format that can point at both.
            ListFormat::BitstringStatusList => bitstring::entry(
                &format!("{}/{}", self.uri, Purpose::Revocation.as_str()),
                Purpose::Revocation.as_str(),
                self.idx as u64,
            ),
        }
    }
}

pub fn list_uri(public_url: &str, env: &str, list: &str) -> String {
    format!("{public_url}/{env}/status/{list}")
}

/// The key of a list's index permutation, derived from the master key: nothing to store,
/// and without the master key the order cannot be recovered.
fn index_of(ctx: &Ctx, list: &str, size: i64, counter: i64) -> Result<i64> {
    IndexPermutation::new(
        ctx.master.mac("status-list-index", list.as_bytes()),
        size as u64,
    )
    .index(counter as u64)
    .map(|idx| idx as i64)
    .ok_or_else(|| {
        Error::Internal(anyhow::anyhow!(
            "status list {list}: counter {counter} out of range"
        ))
    })
}

/// Counters an instance takes from a list at a time. Issuing then needs no write of
/// its own for the index (the entry is inserted with the credential), and instances do
/// not queue on the list's row for every credential. Counters of a block that dies with
/// its process are never handed out: a list loses at most this many entries per restart.
const BLOCK: i64 = 64;

/// Counters `[next, end)` of one list that this instance has taken and not yet used.
#[derive(Debug, Clone)]
struct Block {
    list: String,
    size: i64,
    next: i64,
    end: i64,
}

/// The blocks of this instance, by environment and list format.
#[derive(Default)]
pub struct Reservations {
    blocks: Mutex<HashMap<(String, &'static str), Block>>,
}

impl Reservations {
    fn blocks(&self) -> std::sync::MutexGuard<'_, HashMap<(String, &'static str), Block>> {
        self.blocks
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

/// Takes up to `want` counters of the open list of `format` in `env`, opening a list when
/// none has room.
fn reserve(
    ctx: &Ctx,
    conn: &mut AnyConnection,
    env: &str,
    format: ListFormat,
    want: i64,
) -> Result<Block> {
    let now = time::now();
    // A list can fill between reading it and taking from it; then try the next.
    for _ in 0..4 {
        let list = match status_lists::open_list(conn, env, format.as_str())? {
            Some(list) => list,
            None => {
                let list = StatusListRow {
                    id: uuid::Uuid::new_v4().to_string(),
                    environment_id: env.to_string(),
                    format: format.as_str().into(),
                    bits: format.bits(),
                    size: ctx.config.status_list_size as i64,
                    allocated: 0,
                    is_full: 0,
                    version: 0,
                    created_at: now,
                    updated_at: now,
                };
                status_lists::insert_list(conn, &list)?;
                list
            }
        };
        if let Some((next, end)) = status_lists::take_counters(conn, &list.id, want, now)? {
            return Ok(Block {
                list: list.id,
                size: list.size,
                next,
                end,
            });
        }
    }
    Err(Error::Internal(anyhow::anyhow!(
        "no status list index could be allocated in {env}"
    )))
}

/// Takes one index in a list of `format` of `env` and records its entry at once (the
/// path without a block, for tools and tests).
pub fn allocate_in(
    ctx: &Ctx,
    conn: &mut AnyConnection,
    env: &str,
    format: ListFormat,
) -> Result<Allocation> {
    let block = reserve(ctx, conn, env, format, 1)?;
    let allocation = Allocation {
        uri: list_uri(&ctx.public_url, env, &block.list),
        idx: index_of(ctx, &block.list, block.size, block.next)?,
        list_id: block.list,
        format,
    };
    record(conn, &allocation, None)?;
    Ok(allocation)
}

/// Takes `count` indexes for credentials of `format`, from this instance's block of the
/// list (taking a new block in a transaction of its own when it runs out). Their entries
/// are recorded with the credentials ([`record`]); an index whose credential is never
/// recorded stays unused.
pub async fn allocate(
    ctx: &Ctx,
    env: &str,
    format: Format,
    count: usize,
) -> Result<Vec<Allocation>> {
    let format = ListFormat::of(format);
    let key = (env.to_string(), format.as_str());
    let mut counters: Vec<(String, i64, i64)> = Vec::with_capacity(count);
    {
        let mut blocks = ctx.status_reservations.blocks();
        if let Some(block) = blocks.get_mut(&key) {
            while counters.len() < count && block.next < block.end {
                counters.push((block.list.clone(), block.size, block.next));
                block.next += 1;
            }
        }
    }
    while counters.len() < count {
        let (ctx2, env2) = (ctx.clone(), env.to_string());
        let want = BLOCK.max((count - counters.len()) as i64);
        let mut block = ctx
            .store
            .write(move |conn| reserve(&ctx2, conn, &env2, format, want))
            .await?;
        while counters.len() < count && block.next < block.end {
            counters.push((block.list.clone(), block.size, block.next));
            block.next += 1;
        }
        // Keep what is left unless a concurrent request already put a block with room.
        let mut blocks = ctx.status_reservations.blocks();
        let has_room = blocks.get(&key).is_some_and(|b| b.next < b.end);
        if block.next < block.end && !has_room {
            blocks.insert(key.clone(), block);
        }
    }
    counters
        .into_iter()
        .map(|(list, size, counter)| {
            Ok(Allocation {
                uri: list_uri(&ctx.public_url, env, &list),
                idx: index_of(ctx, &list, size, counter)?,
                list_id: list,
                format,
            })
        })
        .collect()
}

/// Records the entry of an allocated index, VALID, for the credential that carries it.
/// The primary key refuses an index recorded twice.
pub fn record(
    conn: &mut AnyConnection,
    allocation: &Allocation,
    provisioned_credential: Option<&str>,
) -> Result<()> {
    status_lists::insert_entry(
        conn,
        &StatusEntryRow {
            list_id: allocation.list_id.clone(),
            idx: allocation.idx,
            provisioned_credential_id: provisioned_credential.map(str::to_string),
            status: EntryStatus::Valid.as_u8() as i32,
            updated_at: time::now(),
        },
    )?;
    Ok(())
}

/// Sets the entries of everything provisioned from `user_credential` that are in one of
/// `from` to `to`; returns how many changed.
pub fn set_user_credential_status(
    conn: &mut AnyConnection,
    user_credential: &str,
    from: &[EntryStatus],
    to: EntryStatus,
) -> Result<usize> {
    let ids = status_lists::provisioned_ids(conn, user_credential)?;
    let from: Vec<i32> = from.iter().map(|s| s.as_u8() as i32).collect();
    Ok(status_lists::set_status_of_provisioned(
        conn,
        &ids,
        &from,
        to.as_u8() as i32,
        time::now(),
    )?)
}

/// A signed list as served.
#[derive(Debug)]
pub struct SignedList {
    pub body: String,
    pub media_type: &'static str,
    pub etag: String,
    pub max_age: u64,
    version: i64,
    signed_at: chrono::DateTime<Utc>,
}

/// A list and, for a bitstring pair, which of the two.
type ListKey = (String, Option<Purpose>);

/// Signed lists by (list, purpose); the token list has no purpose.
#[derive(Default)]
pub struct ListCache {
    lists: Mutex<HashMap<ListKey, Arc<SignedList>>>,
}

impl ListCache {
    fn get(&self, key: &ListKey) -> Option<Arc<SignedList>> {
        self.lists
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .get(key)
            .cloned()
    }

    fn put(&self, key: ListKey, list: Arc<SignedList>) {
        self.lists
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .insert(key, list);
    }
}

/// The signed list `list` of `env`: the token list when `purpose` is `None`, else one
/// list credential of a bitstring pair. `None` when there is no such list.
pub async fn signed_list(
    ctx: &Ctx,
    env: &str,
    list: &str,
    purpose: Option<Purpose>,
) -> Result<Option<Arc<SignedList>>> {
    let (env_id, list_id) = (env.to_string(), list.to_string());
    let Some(row) = ctx
        .store
        .read(move |conn| status_lists::get(conn, &env_id, &list_id).map_err(Error::from))
        .await?
    else {
        return Ok(None);
    };
    let expected = match purpose {
        None => ListFormat::TokenStatusList,
        Some(_) => ListFormat::BitstringStatusList,
    };
    if row.format != expected.as_str() {
        return Ok(None);
    }
    let key = (row.id.clone(), purpose);
    let now = Utc::now();
    if let Some(cached) = ctx.status_lists.get(&key)
        && cached.version == row.version
        && now - cached.signed_at < Duration::hours(LIST_VALIDITY_HOURS / 2)
    {
        return Ok(Some(cached));
    }
    let list_id = row.id.clone();
    let set = ctx
        .store
        .read(move |conn| status_lists::set_entries(conn, &list_id).map_err(Error::from))
        .await?;
    let signed = Arc::new(sign_list(ctx, env, &row, purpose, &set, now).await?);
    ctx.status_lists.put(key, signed.clone());
    Ok(Some(signed))
}

async fn sign_list(
    ctx: &Ctx,
    env: &str,
    row: &StatusListRow,
    purpose: Option<Purpose>,
    set: &[(i64, i32)],
    now: chrono::DateTime<Utc>,
) -> Result<SignedList> {
    let ttl = ctx.config.status_list_ttl_seconds;
    let exp = now + Duration::hours(LIST_VALIDITY_HOURS);
    let uri = list_uri(&ctx.public_url, env, &row.id);
    let failed =
        |e: String| Error::Internal(anyhow::anyhow!("signing status list {}: {e}", row.id));
    let (body, media_type) = match purpose {
        None => {
            let (key, issuer, kid) = keyring::signing_identity(ctx, env, Format::SdJwt).await?;
            let signer = crate::keys::NamedSigner::new(key.signer.as_ref(), &kid);
            let entries = set.iter().map(|(idx, status)| {
                (
                    *idx as u64,
                    EntryStatus::from_u8(*status as u8).unwrap_or(EntryStatus::Invalid),
                )
            });
            let list = token::build_list(row.bits as u8, row.size as usize, entries)
                .map_err(|e| failed(e.to_string()))?;
            let jwt = token::sign_token(&signer, &issuer, &uri, list, now, exp, ttl)
                .await
                .map_err(|e| failed(e.to_string()))?;
            (jwt, "application/statuslist+jwt")
        }
        Some(purpose) => {
            let (key, issuer, kid) = keyring::signing_identity(ctx, env, Format::JwtVc).await?;
            let mut bits = Bitstring::new(row.size as usize).map_err(|e| failed(e.to_string()))?;
            for (idx, status) in set {
                if purpose.is_set(*status) {
                    bits.set(*idx as u64, true)
                        .map_err(|e| failed(e.to_string()))?;
                }
            }
            let id = format!("{uri}/{}", purpose.as_str());
            let credential = bitstring::list_credential(
                &id,
                &issuer,
                purpose.as_str(),
                &bits.encode(),
                now,
                exp,
                ttl * 1000,
            );
            let jwt = bitstring::sign_list_credential(key.signer.as_ref(), &kid, &credential)
                .await
                .map_err(|e| failed(e.to_string()))?;
            (jwt, "application/vc+jwt")
        }
    };
    let digest = ring::digest::digest(&ring::digest::SHA256, body.as_bytes());
    Ok(SignedList {
        etag: format!("\"{}\"", hex_prefix(digest.as_ref(), 16)),
        body,
        media_type,
        max_age: ttl,
        version: row.version,
        signed_at: now,
    })
}

fn hex_prefix(bytes: &[u8], n: usize) -> String {
    bytes.iter().take(n).map(|b| format!("{b:02x}")).collect()
}
