//! `vouch serve --demo`: a sample credential waiting for a phone wallet, within a minute
//! of cloning.

use serde_json::json;

use super::{Ctx, Error, bootstrap, credential_types, directory, user_credentials};
use crate::domain::credential_type::CredentialTypeDefinition;
use crate::domain::directory::IdRef;
use crate::domain::user_credential::UserCredentialInput;

const TITLE: &str = "vouch demo membership";

/// What the demo made: the offer link and the credential it offers.
pub struct Demo {
    pub environment_id: String,
    pub credential_id: String,
    pub deep_link: String,
    pub page: String,
}

fn demo_type() -> CredentialTypeDefinition {
    serde_json::from_value(json!({
        "title": TITLE,
        "description": "A sample credential issued by vouch",
        "cardType": "VouchDemoMembership",
        "cardDesignTemplate": "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 740 480\"><rect width=\"740\" height=\"480\" rx=\"24\" fill=\"${cardColor}\"/><text x=\"40\" y=\"90\" font-size=\"40\" fill=\"${textColor}\">${cardTitle}</text><text x=\"40\" y=\"200\" font-size=\"30\" fill=\"${textColor}\">${fields[0].title}: ${fields[0].value}</text><text x=\"40\" y=\"250\" font-size=\"30\" fill=\"${textColor}\">${fields[1].title}: ${fields[1].value}</text></svg>",
        "management": {"mode": "MANAGED"},
        "metadata": {
            "cardColor": "#1d3557", "textColor": "#f1faee",
            "fields": [
                {"id": "Alphanumeric Text -> Member", "type": "Alphanumeric Text", "title": "Member", "isVisible": true, "required": true},
                {"id": "Alphanumeric Text -> Level", "type": "Alphanumeric Text", "title": "Level", "isVisible": true, "value": "Gold"},
                {"id": "Issued Timestamp -> Issued", "type": "Issued Timestamp", "title": "Issued", "isVisible": true}
            ]
        }
    }))
    .expect("the demo type is valid JSON")
}

/// Makes (or reuses) the demo type in the default environment and a fresh credential.
pub async fn run(ctx: &Ctx) -> anyhow::Result<Demo> {
    let env = bootstrap::default_environment(ctx)
        .await?
        .ok_or_else(|| anyhow::anyhow!("the default environment was deleted; the demo needs it"))?;
    let mut type_id = None;
    let mut page = crate::domain::page::PageRequest {
        limit: 1000,
        after: None,
    };
    'find: loop {
        let types = credential_types::list(ctx, &env, page.clone()).await?;
        for t in &types.items {
            if t.definition.title() == TITLE {
                type_id = Some(t.row.id.clone());
                break 'find;
            }
        }
        match types.next_cursor {
            Some(_) => page.after = types.items.last().map(|t| t.row.id.clone()),
            None => break,
        }
    }
    let type_id = match type_id {
        Some(id) => id,
        None => {
            credential_types::create(ctx, &env, demo_type())
                .await?
                .row
                .id
        }
    };
    let username = format!("demo-{}", &uuid::Uuid::new_v4().simple().to_string()[..8]);
    let user = directory::create_user(
        ctx,
        &env,
        json!({"username": username, "name": {"given": "Demo"}}),
    )
    .await
    .map_err(|e: Error| anyhow::anyhow!("creating the demo user: {e}"))?;
    let credential = user_credentials::create(
        ctx,
        &env,
        &user.row.id,
        UserCredentialInput {
            credential_type: Some(IdRef { id: Some(type_id) }),
            data: Some(json!({"Member": username})),
            expires_at: None,
            notification: None,
        },
    )
    .await?;
    let offer = credential
        .offer
        .as_ref()
        .ok_or_else(|| anyhow::anyhow!("the demo credential has no offer"))?;
    let links = super::oid4vci::offers::links(ctx, offer, None);
    Ok(Demo {
        environment_id: env,
        credential_id: credential.row.id,
        deep_link: links.deep_link,
        page: links.page,
    })
}
