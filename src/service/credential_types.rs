//! Credential types: create, read, replace (snapshotting the previous version), soft
//! delete with its cascade over user credentials, and version history.

use serde_json::{Map, Value, json};

use super::{Ctx, Error, Result, new_id, user_credentials};
use crate::domain::credential_type::CredentialTypeDefinition;
use crate::domain::page::{Page, PageRequest};
use crate::domain::scim::Filter;
use crate::domain::time;
use crate::domain::validate::FieldError;
use crate::store::rows::{CredentialTypeRow, CredentialTypeVersionRow};
use crate::store::{AnyConnection, credential_types as repo, is_unique_violation, issuer_profiles};

/// A credential type: its row, its definition, and the id of its issuer profile.
#[derive(Debug, Clone)]
pub struct CredentialTypeView {
    pub row: CredentialTypeRow,
    pub definition: CredentialTypeDefinition,
    pub issuer_id: String,
}

impl CredentialTypeView {
    fn from_row(row: CredentialTypeRow, issuer_id: &str) -> Result<Self> {
        let definition = serde_json::from_str(&row.definition).map_err(|e| {
            anyhow::anyhow!(
                "credential type {} has an unreadable definition: {e}",
                row.id
            )
        })?;
        Ok(Self {
            row,
            definition,
            issuer_id: issuer_id.to_string(),
        })
    }

    pub fn is_deleted(&self) -> bool {
        self.row.deleted_at.is_some()
    }

    /// `{public_url}/v1/environments/{env}/credentialTypes/{id}`
    pub fn path(&self) -> String {
        format!(
            "/v1/environments/{}/credentialTypes/{}",
            self.row.environment_id, self.row.id
        )
    }

    /// The type as the API shows it, without `_links`: the definition as sent, plus the
    /// read-only members. `full` = false leaves out `metadata` and `cardDesignTemplate`,
    /// as PingOne's read-all does.
    pub fn document(&self, public_url: &str, full: bool) -> Value {
        let mut doc: Map<String, Value> = match serde_json::to_value(&self.definition) {
            Ok(Value::Object(map)) => map,
            _ => Map::new(),
        };
        if !full {
            doc.remove("metadata");
            doc.remove("cardDesignTemplate");
        }
        doc.insert("id".into(), json!(self.row.id));
        doc.insert("environment".into(), json!({"id": self.row.environment_id}));
        doc.insert("issuer".into(), json!({"id": self.issuer_id}));
        doc.insert(
            "version".into(),
            json!({
                "id": self.row.version_id,
                "number": self.row.version_number,
                "uri": format!("{public_url}{}/versions/{}", self.path(), self.row.version_id),
            }),
        );
        doc.insert("createdAt".into(), json!(time::iso(&self.row.created_at)));
        doc.insert("updatedAt".into(), json!(time::iso(&self.row.updated_at)));
        if let Some(deleted) = &self.row.deleted_at {
            doc.insert("deletedAt".into(), json!(time::iso(deleted)));
        }
        Value::Object(doc)
    }
}

fn issuer_id(conn: &mut AnyConnection, env: &str) -> Result<String> {
    issuer_profiles::get(conn, env)?
        .map(|p| p.id)
        .ok_or_else(|| Error::conflict("the environment has no credential issuer profile"))
}

fn title_taken(title: &str) -> Error {
    Error::not_unique(
        "title",
        format!("a credential type titled `{title}` already exists in this environment"),
    )
}

fn definition_text(def: &CredentialTypeDefinition) -> Result<String> {
    serde_json::to_string(def).map_err(|e| Error::Internal(e.into()))
}

/// Loads type `id` of `env` (deleted ones too).
pub fn view_in(conn: &mut AnyConnection, env: &str, id: &str) -> Result<CredentialTypeView> {
    let row = repo::get(conn, env, id)?.ok_or_else(|| Error::not_found("Credential type"))?;
    let issuer = issuer_id(conn, env)?;
    CredentialTypeView::from_row(row, &issuer)
}

pub async fn create(
    ctx: &Ctx,
    env: &str,
    input: CredentialTypeDefinition,
) -> Result<CredentialTypeView> {
    let definition = input.validate()?;
    let env = env.to_string();
    ctx.store
        .write(move |conn| {
            let now = time::now();
            let row = CredentialTypeRow {
                id: new_id(),
                environment_id: env.clone(),
                title: definition.title().to_string(),
                management_mode: definition.mode().to_string(),
                definition: definition_text(&definition)?,
                version_id: new_id(),
                version_number: 1,
                created_at: now,
                updated_at: now,
                deleted_at: None,
            };
            repo::insert(conn, &row).map_err(|e| {
                if is_unique_violation(&e) {
                    title_taken(&row.title)
                } else {
                    e.into()
                }
            })?;
            let issuer = issuer_id(conn, &env)?;
            CredentialTypeView::from_row(row, &issuer)
        })
        .await
}

pub async fn list(ctx: &Ctx, env: &str, page: PageRequest) -> Result<Page<CredentialTypeView>> {
    let env = env.to_string();
    ctx.store
        .read(move |conn| {
            let rows = repo::list(conn, &env, page.after.as_deref(), page.limit + 1)?;
            let issuer = issuer_id(conn, &env)?;
            let page = Page::from_rows(rows, page.limit, |r| &r.id);
            Ok(Page {
                next_cursor: page.next_cursor,
                items: page
                    .items
                    .into_iter()
                    .map(|row| CredentialTypeView::from_row(row, &issuer))
                    .collect::<Result<_>>()?,
            })
        })
        .await
}

pub async fn get(ctx: &Ctx, env: &str, id: &str) -> Result<CredentialTypeView> {
    let (env, id) = (env.to_string(), id.to_string());
    ctx.store.read(move |conn| view_in(conn, &env, &id)).await
}

/// Replaces the definition. A change keeps the previous state as a version and bumps
/// `version.number`; an identical definition changes nothing.
pub async fn replace(
    ctx: &Ctx,
    env: &str,
    id: &str,
    input: CredentialTypeDefinition,
) -> Result<CredentialTypeView> {
    let definition = input.validate()?;
    let (env, id) = (env.to_string(), id.to_string());
    let public_url = ctx.public_url.clone();
    ctx.store
        .write(move |conn| {
            let current = view_in(conn, &env, &id)?;
            if current.is_deleted() {
                return Err(Error::NotFound(
                    "Credential type could not be found: it was deleted.".into(),
                ));
            }
            if definition.title() != current.definition.title() {
                return Err(Error::Invalid(vec![FieldError::invalid(
                    "title",
                    format!(
                        "title cannot change (it is `{}`); verifiers request credentials by title",
                        current.definition.title()
                    ),
                )]));
            }
            if definition == current.definition {
                return Ok(current);
            }
            repo::insert_version(
                conn,
                &CredentialTypeVersionRow {
                    id: current.row.version_id.clone(),
                    credential_type_id: current.row.id.clone(),
                    environment_id: env.clone(),
                    version_number: current.row.version_number,
                    snapshot: current.document(&public_url, true).to_string(),
                    created_at: time::now(),
                },
            )?;
            let row = CredentialTypeRow {
                management_mode: definition.mode().to_string(),
                definition: definition_text(&definition)?,
                version_id: new_id(),
                version_number: current.row.version_number + 1,
                updated_at: time::now(),
                ..current.row.clone()
            };
            repo::update(conn, &row)?;
            CredentialTypeView::from_row(row, &current.issuer_id)
        })
        .await
}

/// Soft-deletes the type. Its pending user credentials are deleted; issued ones are
/// revoked and deleted when `onDelete.revokeIssuedCredentials` is true, kept otherwise.
pub async fn delete(ctx: &Ctx, env: &str, id: &str) -> Result<()> {
    let (env, id) = (env.to_string(), id.to_string());
    ctx.store
        .write(move |conn| {
            let view = view_in(conn, &env, &id)?;
            if repo::soft_delete(conn, &env, &id, time::now())? == 0 {
                return Err(Error::NotFound(
                    "Credential type could not be found: it was deleted.".into(),
                ));
            }
            user_credentials::on_type_deleted(conn, &id, view.definition.revoke_on_delete())
        })
        .await
}

/// One earlier version: its number, its snapshot and when it was superseded.
#[derive(Debug, Clone)]
pub struct VersionView {
    pub id: String,
    pub number: i32,
    pub snapshot: Value,
    pub created_at: chrono::NaiveDateTime,
}

impl VersionView {
    fn from_row(row: CredentialTypeVersionRow) -> Result<Self> {
        Ok(Self {
            snapshot: serde_json::from_str(&row.snapshot).map_err(|e| Error::Internal(e.into()))?,
            id: row.id,
            number: row.version_number,
            created_at: row.created_at,
        })
    }

    /// The version as SCIM filters see it.
    fn filter_document(&self) -> Value {
        json!({"id": self.id, "version": self.number, "createdAt": time::iso(&self.created_at), "snapshot": self.snapshot})
    }
}

/// The earlier versions of a type (the current one is the type itself), optionally
/// those matching a SCIM filter such as `version gt 2`.
pub async fn versions(
    ctx: &Ctx,
    env: &str,
    id: &str,
    filter: Option<Filter>,
) -> Result<Vec<VersionView>> {
    let (env, id) = (env.to_string(), id.to_string());
    let versions = ctx
        .store
        .read(move |conn| {
            view_in(conn, &env, &id)?;
            repo::versions(conn, &id)?
                .into_iter()
                .map(VersionView::from_row)
                .collect::<Result<Vec<_>>>()
        })
        .await?;
    Ok(match filter {
        Some(filter) => versions
            .into_iter()
            .filter(|v| filter.matches(&v.filter_document()))
            .collect(),
        None => versions,
    })
}

/// One version by id; the current version's id (from `version.uri`) reads the type as
/// it is now.
pub async fn version(ctx: &Ctx, env: &str, id: &str, version_id: &str) -> Result<VersionView> {
    let (env, id, version_id) = (env.to_string(), id.to_string(), version_id.to_string());
    let public_url = ctx.public_url.clone();
    ctx.store
        .read(move |conn| {
            let current = view_in(conn, &env, &id)?;
            if current.row.version_id == version_id {
                return Ok(VersionView {
                    id: version_id,
                    number: current.row.version_number,
                    snapshot: current.document(&public_url, true),
                    created_at: current.row.updated_at,
                });
            }
            repo::version(conn, &id, &version_id)?
                .map(VersionView::from_row)
                .transpose()?
                .ok_or_else(|| Error::not_found("Credential type version"))
        })
        .await
}
