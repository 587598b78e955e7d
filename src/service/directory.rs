//! The directory: users (with SCIM search), groups, memberships and populations.

use serde_json::{Map, Value, json};

use super::{Ctx, Error, Result, new_id};
use crate::domain::directory::{
    GroupInput, GroupSpec, PopulationInput, UserSpec, merge_patch, validate_user,
};
use crate::domain::page::{Page, PageRequest, encode_cursor};
use crate::domain::scim::Filter;
use crate::domain::time;
use crate::domain::validate::FieldError;
use crate::store::rows::{GroupRow, MembershipRow, PopulationRow, UserRow};
use crate::store::{AnyConnection, directory as repo, is_unique_violation};

/// Users read per batch while a SCIM filter is evaluated.
const SCAN_BATCH: i64 = 500;
/// Users examined by one filtered request at most; past that the page ends early and
/// `next` continues the scan (clients already must trust the page size they get).
const MAX_SCAN: usize = 20_000;

/// A user with its attributes and group memberships.
#[derive(Debug, Clone)]
pub struct UserView {
    pub row: UserRow,
    pub attributes: Map<String, Value>,
    /// `(id, name)` of each group, by name.
    pub groups: Vec<(String, String)>,
}

impl UserView {
    /// The user as the API shows it (without `_links`).
    pub fn document(&self) -> Value {
        let mut doc = Map::new();
        doc.insert("id".into(), json!(self.row.id));
        doc.insert("environment".into(), json!({"id": self.row.environment_id}));
        doc.insert("population".into(), json!({"id": self.row.population_id}));
        doc.insert("username".into(), json!(self.row.username));
        for (key, value) in &self.attributes {
            doc.insert(key.clone(), value.clone());
        }
        doc.insert(
            "memberOfGroupIDs".into(),
            json!(self.groups.iter().map(|g| &g.0).collect::<Vec<_>>()),
        );
        doc.insert(
            "memberOfGroupNames".into(),
            json!(self.groups.iter().map(|g| &g.1).collect::<Vec<_>>()),
        );
        doc.insert("createdAt".into(), json!(time::iso(&self.row.created_at)));
        doc.insert("updatedAt".into(), json!(time::iso(&self.row.updated_at)));
        Value::Object(doc)
    }

    /// The document SCIM filters see: the API shape plus `memberOfGroups[{id, name}]`.
    fn filter_document(&self) -> Value {
        let mut doc = self.document();
        doc["memberOfGroups"] = json!(
            self.groups
                .iter()
                .map(|(id, name)| json!({"id": id, "name": name}))
                .collect::<Vec<_>>()
        );
        doc
    }
}

fn views(conn: &mut AnyConnection, rows: Vec<UserRow>) -> Result<Vec<UserView>> {
    let ids: Vec<String> = rows.iter().map(|r| r.id.clone()).collect();
    let memberships = repo::groups_of_users(conn, &ids)?;
    rows.into_iter()
        .map(|row| {
            let attributes: Map<String, Value> = serde_json::from_str(&row.attributes)
                .map_err(|e| anyhow::anyhow!("user {} has unreadable attributes: {e}", row.id))?;
            let groups = memberships
                .iter()
                .filter(|(user, _)| *user == row.id)
                .map(|(_, g)| (g.id.clone(), g.name.clone()))
                .collect();
            Ok(UserView {
                row,
                attributes,
                groups,
            })
        })
        .collect()
}

fn user_in(conn: &mut AnyConnection, env: &str, id: &str) -> Result<UserView> {
    let row = repo::get_user(conn, env, id)?.ok_or_else(|| Error::not_found("User"))?;
    Ok(views(conn, vec![row])?.remove(0))
}

fn username_taken(username: &str) -> Error {
    Error::not_unique(
        "username",
        format!("a user with username `{username}` already exists in this environment"),
    )
}

fn population_for(
    conn: &mut AnyConnection,
    env: &str,
    requested: Option<&str>,
) -> Result<Option<String>> {
    match requested {
        Some(id) => match repo::get_population(conn, env, id)? {
            Some(p) => Ok(Some(p.id)),
            None => Err(Error::Invalid(vec![FieldError::missing_reference(
                "population.id",
                format!("population {id} does not exist in this environment"),
            )])),
        },
        None => Ok(None),
    }
}

fn write_user(conn: &mut AnyConnection, row: &UserRow, insert: bool) -> Result<()> {
    let result = if insert {
        repo::insert_user(conn, row)
    } else {
        repo::update_user(conn, row).map(|_| ())
    };
    result.map_err(|e| {
        if is_unique_violation(&e) {
            username_taken(&row.username)
        } else {
            e.into()
        }
    })
}

fn attributes_text(spec: &UserSpec) -> Result<String> {
    serde_json::to_string(&spec.attributes).map_err(|e| Error::Internal(e.into()))
}

pub async fn create_user(ctx: &Ctx, env: &str, body: Value) -> Result<UserView> {
    let spec = validate_user(&body)?;
    let env = env.to_string();
    ctx.store
        .write(move |conn| {
            let population = match population_for(conn, &env, spec.population_id.as_deref())? {
                Some(p) => p,
                None => {
                    repo::default_population(conn, &env)?
                        .ok_or_else(|| {
                            Error::conflict("this environment has no default population")
                        })?
                        .id
                }
            };
            let now = time::now();
            let row = UserRow {
                id: new_id(),
                environment_id: env.clone(),
                username: spec.username.clone(),
                population_id: population,
                attributes: attributes_text(&spec)?,
                created_at: now,
                updated_at: now,
            };
            write_user(conn, &row, true)?;
            user_in(conn, &env, &row.id)
        })
        .await
}

pub async fn get_user(ctx: &Ctx, env: &str, id: &str) -> Result<UserView> {
    let (env, id) = (env.to_string(), id.to_string());
    ctx.store.read(move |conn| user_in(conn, &env, &id)).await
}

/// Replaces a user's attributes with `spec`, keeping the population unless one is named.
fn replace_in(conn: &mut AnyConnection, env: &str, id: &str, spec: UserSpec) -> Result<UserView> {
    let current = repo::get_user(conn, env, id)?.ok_or_else(|| Error::not_found("User"))?;
    let population = population_for(conn, env, spec.population_id.as_deref())?
        .unwrap_or_else(|| current.population_id.clone());
    let attributes = attributes_text(&spec)?;
    if current.username == spec.username
        && current.population_id == population
        && current.attributes == attributes
    {
        return user_in(conn, env, id);
    }
    let row = UserRow {
        username: spec.username,
        population_id: population,
        attributes,
        updated_at: time::now(),
        ..current
    };
    write_user(conn, &row, false)?;
    user_in(conn, env, id)
}

pub async fn replace_user(ctx: &Ctx, env: &str, id: &str, body: Value) -> Result<UserView> {
    let spec = validate_user(&body)?;
    let (env, id) = (env.to_string(), id.to_string());
    ctx.store
        .write(move |conn| replace_in(conn, &env, &id, spec))
        .await
}

/// Applies a JSON merge patch to the user's document, then validates the result whole.
pub async fn patch_user(ctx: &Ctx, env: &str, id: &str, patch: Value) -> Result<UserView> {
    if !patch.is_object() {
        return Err(Error::Invalid(vec![FieldError::invalid(
            "",
            "a PATCH body is a JSON object of the attributes to change",
        )]));
    }
    let (env, id) = (env.to_string(), id.to_string());
    ctx.store
        .write(move |conn| {
            let current = user_in(conn, &env, &id)?;
            let mut doc = Value::Object(current.attributes.clone());
            doc["username"] = json!(current.row.username);
            merge_patch(&mut doc, &patch);
            let spec = validate_user(&doc)?;
            replace_in(conn, &env, &id, spec)
        })
        .await
}

pub async fn set_user_population(
    ctx: &Ctx,
    env: &str,
    id: &str,
    population: Option<String>,
) -> Result<UserView> {
    let (env, id) = (env.to_string(), id.to_string());
    ctx.store
        .write(move |conn| {
            let mut current =
                repo::get_user(conn, &env, &id)?.ok_or_else(|| Error::not_found("User"))?;
            let Some(requested) = population else {
                return Err(Error::Invalid(vec![FieldError::required("id")]));
            };
            let population = population_for(conn, &env, Some(&requested)).map_err(|_| {
                Error::Invalid(vec![FieldError::missing_reference(
                    "id",
                    format!("population {requested} does not exist in this environment"),
                )])
            })?;
            let population = population.expect("named population");
            if current.population_id != population {
                current.population_id = population;
                current.updated_at = time::now();
                repo::update_user(conn, &current)?;
            }
            user_in(conn, &env, &id)
        })
        .await
}

/// Deletes a user and, first, their user credentials (revoked where their type says so).
pub async fn delete_user(ctx: &Ctx, env: &str, id: &str) -> Result<()> {
    let (env, id) = (env.to_string(), id.to_string());
    ctx.store
        .write(move |conn| {
            repo::get_user(conn, &env, &id)?.ok_or_else(|| Error::not_found("User"))?;
            super::user_credentials::on_user_deleted(conn, &env, &id)?;
            repo::delete_user(conn, &env, &id)?;
            Ok(())
        })
        .await
}

/// Users of `env` in id order, optionally those matching a SCIM filter.
pub async fn list_users(
    ctx: &Ctx,
    env: &str,
    filter: Option<Filter>,
    page: PageRequest,
) -> Result<Page<UserView>> {
    let env = env.to_string();
    ctx.store
        .read(move |conn| {
            let Some(filter) = filter else {
                let rows = repo::list_users(conn, &env, page.after.as_deref(), page.limit + 1)?;
                let page_rows = Page::from_rows(rows, page.limit, |r| &r.id);
                return Ok(Page {
                    next_cursor: page_rows.next_cursor,
                    items: views(conn, page_rows.items)?,
                });
            };
            let limit = page.limit as usize;
            let mut matched: Vec<UserView> = Vec::new();
            let mut after = page.after.clone();
            let mut scanned = 0usize;
            loop {
                let batch = repo::list_users(conn, &env, after.as_deref(), SCAN_BATCH)?;
                let exhausted = (batch.len() as i64) < SCAN_BATCH;
                for view in views(conn, batch)? {
                    scanned += 1;
                    after = Some(view.row.id.clone());
                    if filter.matches(&view.filter_document()) {
                        matched.push(view);
                        if matched.len() > limit {
                            return Ok(Page::from_rows(matched, page.limit, |v| &v.row.id));
                        }
                    }
                }
                if exhausted {
                    return Ok(Page {
                        items: matched,
                        next_cursor: None,
                    });
                }
                if scanned >= MAX_SCAN {
                    return Ok(Page {
                        items: matched,
                        next_cursor: after.as_deref().map(encode_cursor),
                    });
                }
            }
        })
        .await
}

// ---- memberships -------------------------------------------------------------------

pub async fn add_membership(
    ctx: &Ctx,
    env: &str,
    user: &str,
    group: Option<String>,
) -> Result<GroupRow> {
    let Some(group) = group else {
        return Err(Error::Invalid(vec![FieldError::required("id")]));
    };
    let (env, user) = (env.to_string(), user.to_string());
    ctx.store
        .write(move |conn| {
            let user_row =
                repo::get_user(conn, &env, &user)?.ok_or_else(|| Error::not_found("User"))?;
            let group_row = repo::get_group(conn, &env, &group)?.ok_or_else(|| {
                Error::Invalid(vec![FieldError::missing_reference(
                    "id",
                    format!("group {group} does not exist in this environment"),
                )])
            })?;
            if let Some(population) = &group_row.population_id
                && *population != user_row.population_id
            {
                return Err(Error::Invalid(vec![FieldError::invalid(
                    "id",
                    "the group is limited to another population than the user's",
                )]));
            }
            repo::insert_membership(
                conn,
                &MembershipRow {
                    group_id: group_row.id.clone(),
                    user_id: user_row.id,
                    environment_id: env.clone(),
                    created_at: time::now(),
                },
            )
            .map_err(|e| {
                if is_unique_violation(&e) {
                    Error::not_unique("id", "the user is already a member of this group")
                } else {
                    e.into()
                }
            })?;
            Ok(group_row)
        })
        .await
}

pub async fn memberships(ctx: &Ctx, env: &str, user: &str) -> Result<Vec<(String, String)>> {
    Ok(get_user(ctx, env, user).await?.groups)
}

pub async fn remove_membership(ctx: &Ctx, env: &str, user: &str, group: &str) -> Result<()> {
    let (env, user, group) = (env.to_string(), user.to_string(), group.to_string());
    ctx.store
        .write(move |conn| {
            repo::get_user(conn, &env, &user)?.ok_or_else(|| Error::not_found("User"))?;
            match repo::delete_membership(conn, &user, &group)? {
                0 => Err(Error::not_found("Group membership")),
                _ => Ok(()),
            }
        })
        .await
}

// ---- groups ------------------------------------------------------------------------

fn group_in(conn: &mut AnyConnection, env: &str, id: &str) -> Result<GroupRow> {
    repo::get_group(conn, env, id)?.ok_or_else(|| Error::not_found("Group"))
}

fn group_name_taken(name: &str) -> Error {
    Error::not_unique(
        "name",
        format!("a group named `{name}` already exists in this environment"),
    )
}

fn check_group_population(conn: &mut AnyConnection, env: &str, spec: &GroupSpec) -> Result<()> {
    if let Some(p) = &spec.population_id
        && repo::get_population(conn, env, p)?.is_none()
    {
        return Err(Error::Invalid(vec![FieldError::missing_reference(
            "population.id",
            format!("population {p} does not exist in this environment"),
        )]));
    }
    Ok(())
}

fn custom_data_text(spec: &GroupSpec) -> Option<String> {
    spec.custom_data
        .as_ref()
        .map(|m| serde_json::to_string(m).unwrap_or_else(|_| "{}".into()))
}

pub async fn create_group(ctx: &Ctx, env: &str, input: GroupInput) -> Result<GroupRow> {
    let spec = input.validate()?;
    let env = env.to_string();
    ctx.store
        .write(move |conn| {
            check_group_population(conn, &env, &spec)?;
            let now = time::now();
            let row = GroupRow {
                id: new_id(),
                environment_id: env,
                custom_data: custom_data_text(&spec),
                name: spec.name,
                description: spec.description,
                population_id: spec.population_id,
                created_at: now,
                updated_at: now,
            };
            repo::insert_group(conn, &row).map_err(|e| {
                if is_unique_violation(&e) {
                    group_name_taken(&row.name)
                } else {
                    e.into()
                }
            })?;
            Ok(row)
        })
        .await
}

pub async fn list_groups(ctx: &Ctx, env: &str, page: PageRequest) -> Result<Page<GroupRow>> {
    let env = env.to_string();
    ctx.store
        .read(move |conn| {
            let rows = repo::list_groups(conn, &env, page.after.as_deref(), page.limit + 1)?;
            Ok(Page::from_rows(rows, page.limit, |r| &r.id))
        })
        .await
}

pub async fn get_group(ctx: &Ctx, env: &str, id: &str) -> Result<GroupRow> {
    let (env, id) = (env.to_string(), id.to_string());
    ctx.store.read(move |conn| group_in(conn, &env, &id)).await
}

pub async fn replace_group(ctx: &Ctx, env: &str, id: &str, input: GroupInput) -> Result<GroupRow> {
    let spec = input.validate()?;
    let (env, id) = (env.to_string(), id.to_string());
    ctx.store
        .write(move |conn| {
            let current = group_in(conn, &env, &id)?;
            check_group_population(conn, &env, &spec)?;
            let row = GroupRow {
                custom_data: custom_data_text(&spec),
                name: spec.name,
                description: spec.description,
                population_id: spec.population_id,
                updated_at: time::now(),
                ..current.clone()
            };
            if row.name == current.name
                && row.description == current.description
                && row.population_id == current.population_id
                && row.custom_data == current.custom_data
            {
                return Ok(current);
            }
            repo::update_group(conn, &row).map_err(|e| {
                if is_unique_violation(&e) {
                    group_name_taken(&row.name)
                } else {
                    e.into()
                }
            })?;
            Ok(row)
        })
        .await
}

pub async fn delete_group(ctx: &Ctx, env: &str, id: &str) -> Result<()> {
    let (env, id) = (env.to_string(), id.to_string());
    ctx.store
        .write(move |conn| match repo::delete_group(conn, &env, &id)? {
            0 => Err(Error::not_found("Group")),
            _ => Ok(()),
        })
        .await
}

// ---- populations -------------------------------------------------------------------

fn population_in(conn: &mut AnyConnection, env: &str, id: &str) -> Result<PopulationRow> {
    repo::get_population(conn, env, id)?.ok_or_else(|| Error::not_found("Population"))
}

fn population_name_taken(name: &str) -> Error {
    Error::not_unique(
        "name",
        format!("a population named `{name}` already exists in this environment"),
    )
}

fn save_population(conn: &mut AnyConnection, row: &PopulationRow, insert: bool) -> Result<()> {
    let result = if insert {
        repo::insert_population(conn, row)
    } else {
        repo::update_population(conn, row).map(|_| ())
    };
    result.map_err(|e| {
        if is_unique_violation(&e) {
            population_name_taken(&row.name)
        } else {
            e.into()
        }
    })?;
    if row.is_default != 0 {
        repo::clear_default_population(conn, &row.environment_id, &row.id)?;
    }
    Ok(())
}

pub async fn create_population(
    ctx: &Ctx,
    env: &str,
    input: PopulationInput,
) -> Result<PopulationRow> {
    let spec = input.validate()?;
    let env = env.to_string();
    ctx.store
        .write(move |conn| {
            let now = time::now();
            let row = PopulationRow {
                id: new_id(),
                environment_id: env,
                name: spec.name,
                description: spec.description,
                is_default: i32::from(spec.default.unwrap_or(false)),
                created_at: now,
                updated_at: now,
            };
            save_population(conn, &row, true)?;
            Ok(row)
        })
        .await
}

pub async fn list_populations(
    ctx: &Ctx,
    env: &str,
    page: PageRequest,
) -> Result<Page<PopulationRow>> {
    let env = env.to_string();
    ctx.store
        .read(move |conn| {
            let rows = repo::list_populations(conn, &env, page.after.as_deref(), page.limit + 1)?;
            Ok(Page::from_rows(rows, page.limit, |r| &r.id))
        })
        .await
}

pub async fn get_population(ctx: &Ctx, env: &str, id: &str) -> Result<PopulationRow> {
    let (env, id) = (env.to_string(), id.to_string());
    ctx.store
        .read(move |conn| population_in(conn, &env, &id))
        .await
}

pub async fn replace_population(
    ctx: &Ctx,
    env: &str,
    id: &str,
    input: PopulationInput,
) -> Result<PopulationRow> {
    let spec = input.validate()?;
    let (env, id) = (env.to_string(), id.to_string());
    ctx.store
        .write(move |conn| {
            let current = population_in(conn, &env, &id)?;
            if current.is_default != 0 && spec.default == Some(false) {
                return Err(Error::Invalid(vec![FieldError::invalid(
                    "default",
                    "an environment always has a default population; make another one the default instead",
                )]));
            }
            let row = PopulationRow {
                name: spec.name,
                description: spec.description,
                is_default: spec.default.map_or(current.is_default, i32::from),
                updated_at: time::now(),
                ..current.clone()
            };
            if row.name == current.name
                && row.description == current.description
                && row.is_default == current.is_default
            {
                return Ok(current);
            }
            save_population(conn, &row, false)?;
            Ok(row)
        })
        .await
}

pub async fn delete_population(ctx: &Ctx, env: &str, id: &str) -> Result<()> {
    let (env, id) = (env.to_string(), id.to_string());
    ctx.store
        .write(move |conn| {
            let row = population_in(conn, &env, &id)?;
            if row.is_default != 0 {
                return Err(Error::conflict(
                    "The default population cannot be deleted; make another population the default first.",
                ));
            }
            let users = repo::count_population_users(conn, &id)?;
            if users > 0 {
                return Err(Error::conflict(format!(
                    "The population still has {users} user(s); move or delete them first."
                )));
            }
            if repo::count_population_groups(conn, &id)? > 0 {
                return Err(Error::conflict(
                    "Groups are limited to this population; change or delete them first.",
                ));
            }
            repo::delete_population(conn, &env, &id)?;
            Ok(())
        })
        .await
}
