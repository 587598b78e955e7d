//! Credential types: the seed's examples round-trip, every validation rule with its
//! target, versions, soft delete, and the SD-JWT VC type metadata at the `vct`.

use serde_json::{Value, json};

use crate::backend_tests;
use crate::common::TestServer;

backend_tests!(
    bx_insurance_round_trips,
    bigbank_multiple_examples_round_trip,
    validation_rules_name_their_target,
    titles_are_unique_and_immutable,
    changes_are_versioned,
    read_all_leaves_out_metadata_and_template,
    deletion_is_soft,
    vct_serves_type_metadata,
);

const CARD: &str = r##"<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 740 480"><rect fill="${cardColor}" width="736" height="476" rx="10"/><image href="${logoImage}" x="42" y="43" height="90" width="90"/><text fill="${textColor}" x="160" y="90">${cardTitle}</text><text fill="${textColor}" x="160" y="130">${cardSubtitle}</text><text x="42" y="250">${fields[0].title}: ${fields[0].value}</text><text x="42" y="300">${fields[2].title}: ${fields[2].value}</text></svg>"##;

/// The seed's BX Insurance credential: first and last name, date of birth, policy id and
/// policy expiry, issued to a group by its rule (AUTOMATED).
pub fn bx_insurance() -> Value {
    json!({
        "title": "BX Insurance",
        "description": "Proof of car insurance",
        "cardType": "ProofOfInsurance",
        "issuerName": "BX Insurance",
        "cardDesignTemplate": CARD,
        "metadata": {
            "name": "BX Insurance",
            "description": "Proof of car insurance",
            "cardColor": "#002b5c",
            "textColor": "#ffffff",
            "logoImage": "https://bx.example/logo.png",
            "bgOpacityPercent": 100,
            "columns": 2,
            "version": 5,
            "fields": [
                {"id": "Directory Attribute -> First name", "type": "Directory Attribute", "title": "First name", "attribute": "name.given", "isVisible": true, "required": true},
                {"id": "Directory Attribute -> Last name", "type": "Directory Attribute", "title": "Last name", "attribute": "name.family", "isVisible": true, "required": true},
                {"id": "Directory Attribute -> Date of birth", "type": "Directory Attribute", "title": "Date of birth", "attribute": "${user.birthDate}", "isVisible": true},
                {"id": "Directory Attribute -> Policy ID", "type": "Directory Attribute", "title": "Policy ID", "attribute": "policyId", "isVisible": true, "required": true},
                {"id": "Directory Attribute -> Policy expiry", "type": "Directory Attribute", "title": "Policy expiry", "attribute": "policyExpiry", "isVisible": true, "default": "unknown"},
                {"id": "Issued Timestamp -> Issued", "type": "Issued Timestamp", "title": "Issued", "isVisible": false}
            ]
        },
        "management": {"mode": "AUTOMATED"},
        "expiration": {"after": {"duration": 365, "timeUnit": "DAYS"}, "type": "HARD"},
        "onDelete": {"revokeIssuedCredentials": true}
    })
}

/// A MANAGED type whose text fields take user credential data.
pub fn managed_type(title: &str) -> Value {
    json!({
        "title": title,
        "description": "Managed test type",
        "cardDesignTemplate": "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 740 480\"><text>${cardTitle}</text><text>${fields[0].title}: ${fields[0].value}</text><text>${fields[3].value}</text></svg>",
        "management": {"mode": "MANAGED"},
        "metadata": {"fields": [
            {"id": "Alphanumeric Text -> Policy ID", "type": "Alphanumeric Text", "title": "Policy ID", "isVisible": true, "required": true},
            {"id": "Alphanumeric Text -> Plan", "type": "Alphanumeric Text", "title": "Plan", "isVisible": true, "value": "Basic"},
            {"id": "Alphanumeric Text -> Note", "type": "Alphanumeric Text", "title": "Note", "isVisible": false},
            {"id": "Directory Attribute -> Given", "type": "Directory Attribute", "title": "Given", "attribute": "name.given", "isVisible": true},
            {"id": "Issued Timestamp -> Issued", "type": "Issued Timestamp", "title": "Issued", "isVisible": true}
        ]},
        "onDelete": {"revokeIssuedCredentials": true}
    })
}

/// Every member of `sent` appears in `got` with the same value.
#[track_caller]
pub fn assert_contains(got: &Value, sent: &Value, path: &str) {
    match sent {
        Value::Object(map) => {
            for (k, v) in map {
                assert_contains(&got[k], v, &format!("{path}.{k}"));
            }
        }
        other => assert_eq!(got, other, "at {path}"),
    }
}

async fn bx_insurance_round_trips(s: TestServer) {
    let sent = bx_insurance();
    let created = s
        .post(&s.env_path("/credentialTypes"), sent.clone())
        .await
        .expect(201);
    assert_contains(&created.json, &sent, "");
    let id = created.id();
    assert_eq!(created.json["version"]["number"], 1);
    assert_eq!(
        created.json["version"]["uri"],
        s.url(&s.env_path(&format!(
            "/credentialTypes/{id}/versions/{}",
            created.str("/version/id")
        )))
    );
    let profile = s
        .get(&s.env_path("/credentialIssuerProfile"))
        .await
        .expect(200);
    assert_eq!(created.json["issuer"]["id"], profile.json["id"]);
    assert_eq!(created.json["environment"]["id"], s.admin.env.as_str());
    assert!(created.json.get("deletedAt").is_none());
    let read = s
        .get(&s.env_path(&format!("/credentialTypes/{id}")))
        .await
        .expect(200);
    assert_eq!(
        read.json, created.json,
        "what was stored is what was returned"
    );
    // sending the read document back (read-only members included) changes nothing
    let again = s
        .put(
            &s.env_path(&format!("/credentialTypes/{id}")),
            read.json.clone(),
        )
        .await
        .expect(200);
    assert_eq!(again.json, read.json);
}

async fn bigbank_multiple_examples_round_trip(s: TestServer) {
    // Verbatim from the seed (Example API, BigBank): the branded and owned types.
    let branded = json!({
        "title": "Branded Cards",
        "description": "Example for branded cards attribute for BigBank",
        "metadata": {"fields": [
            {"id": "title", "title": "oem_merchant", "attribute": "${user.credit_cards['branded'][__ITERATOR__].oem_merchant}", "isVisible": true, "type": "Directory Attribute", "default": "Use this if missing"},
            {"id": "Directory Attribute -> user_id", "title": "user_id", "attribute": "${user.credit_cards['branded'][__ITERATOR__].user_id}", "isVisible": true, "type": "Directory Attribute"},
            {"id": "Directory Attribute -> customer_id", "title": "customer_id", "attribute": "${user.credit_cards['branded'][__ITERATOR__].customer_id}", "isVisible": true, "type": "Directory Attribute"}
        ]},
        "cardDesignTemplate": "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 740 480\">...</svg>",
        "multiple": {"expression": "${user.credit_cards['branded']}"}
    });
    let owned = json!({
        "title": "Owned",
        "description": "Example for owned attribute for BigBank",
        "metadata": {"fields": [
            {"id": "Directory Attribute -> int_id", "title": "int_id", "attribute": "${user.credit_cards['owned'][__ITERATOR__].int_id}", "isVisible": true, "type": "Directory Attribute"},
            {"id": "Directory Attribute -> customer_id", "title": "customer_id", "attribute": "${user.credit_cards['owned'][__ITERATOR__].customer_id}", "isVisible": true, "type": "Directory Attribute"}
        ], "textColor": "#000000", "version": 4},
        "cardDesignTemplate": "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 740 480\">...</svg>",
        "multiple": {"expression": "${user.credit_cards['owned']}"}
    });
    for sent in [branded, owned] {
        let created = s
            .post(&s.env_path("/credentialTypes"), sent.clone())
            .await
            .expect(201);
        assert_contains(&created.json, &sent, "");
        assert_eq!(
            created.json["management"]["mode"], "AUTOMATED",
            "the default mode is explicit"
        );
        assert_eq!(created.json["onDelete"]["revokeIssuedCredentials"], true);
        let read = s
            .get(&s.env_path(&format!("/credentialTypes/{}", created.id())))
            .await
            .expect(200);
        assert_eq!(read.json, created.json);
    }
}

/// `base` with `change` merged in (RFC 7396: null removes).
fn with(base: &Value, change: Value) -> Value {
    let mut out = base.clone();
    vouch::domain::directory::merge_patch(&mut out, &change);
    out
}

fn with_field(base: &Value, index: usize, field: Value) -> Value {
    let mut out = base.clone();
    out["metadata"]["fields"][index] = field;
    out
}

/// What is wrong, the body, and the expected `(code, target)` details.
type Case<'a> = (&'a str, Value, Vec<(&'a str, &'a str)>);

async fn validation_rules_name_their_target(s: TestServer) {
    let bx = bx_insurance();
    let managed = managed_type("Managed");
    let text = |extra: Value| {
        with(
            &json!({"id": "t", "type": "Alphanumeric Text", "title": "T", "isVisible": true, "value": "v"}),
            extra,
        )
    };
    let big_data_image = format!("data:image/png;base64,{}", "A".repeat(30 * 1024));
    let huge_data_image = format!("data:image/png;base64,{}", "A".repeat(60 * 1024));
    let six_embedded: Vec<Value> = (0..6)
        .map(|i| json!({"id": format!("f{i}"), "type": "Directory Attribute", "title": format!("F{i}"), "attribute": "photo", "isVisible": true, "fileSupport": "BASE64_STRING"}))
        .collect();
    // (what is wrong, the body, the expected (code, target) details)
    let cases: Vec<Case> = vec![
        (
            "title missing",
            with(&bx, json!({"title": null})),
            vec![("REQUIRED_VALUE", "title")],
        ),
        (
            "title too long",
            with(&bx, json!({"title": "x".repeat(257)})),
            vec![("SIZE_LIMIT_EXCEEDED", "title")],
        ),
        (
            "description too long",
            with(&bx, json!({"description": "d".repeat(1025)})),
            vec![("SIZE_LIMIT_EXCEEDED", "description")],
        ),
        (
            "template missing",
            with(&bx, json!({"cardDesignTemplate": null})),
            vec![("REQUIRED_VALUE", "cardDesignTemplate")],
        ),
        (
            "template not svg",
            with(&bx, json!({"cardDesignTemplate": "<html></html>"})),
            vec![("SVG_ERROR", "cardDesignTemplate")],
        ),
        (
            "template not well-formed",
            with(
                &bx,
                json!({"cardDesignTemplate": "<svg><text>${cardTitle}</svg>"}),
            ),
            vec![("SVG_ERROR", "cardDesignTemplate")],
        ),
        (
            "template with a DTD",
            with(
                &bx,
                json!({"cardDesignTemplate": "<svg><!DOCTYPE x [<!ENTITY a \"b\">]><text>&a;</text></svg>"}),
            ),
            vec![("SVG_ERROR", "cardDesignTemplate")],
        ),
        (
            "unknown placeholder",
            with(
                &bx,
                json!({"cardDesignTemplate": "<svg><text>${cardName}</text></svg>"}),
            ),
            vec![("TEMPLATE_ERROR", "cardDesignTemplate")],
        ),
        (
            "field placeholder past the fields",
            with(
                &bx,
                json!({"cardDesignTemplate": "<svg><text>${fields[9].value}</text></svg>"}),
            ),
            vec![("TEMPLATE_ERROR", "cardDesignTemplate")],
        ),
        (
            "cardColor used but missing",
            with(&bx, json!({"metadata": {"cardColor": null}})),
            vec![("REQUIRED_VALUE", "metadata.cardColor")],
        ),
        (
            "textColor used but missing",
            with(&bx, json!({"metadata": {"textColor": null}})),
            vec![("REQUIRED_VALUE", "metadata.textColor")],
        ),
        (
            "logoImage used but missing",
            with(&bx, json!({"metadata": {"logoImage": null}})),
            vec![("REQUIRED_VALUE", "metadata.logoImage")],
        ),
        (
            "cardSubtitle used but no description",
            with(&bx, json!({"description": null})),
            vec![("REQUIRED_VALUE", "description")],
        ),
        (
            "backgroundImage used but missing",
            with(
                &bx,
                json!({"cardDesignTemplate": "<svg><image href=\"${backgroundImage}\" opacity=\"${bgOpacityPercent}\"/></svg>", "metadata": {"bgOpacityPercent": null}}),
            ),
            vec![
                ("REQUIRED_VALUE", "metadata.backgroundImage"),
                ("REQUIRED_VALUE", "metadata.bgOpacityPercent"),
            ],
        ),
        (
            "metadata missing",
            with(
                &bx,
                json!({"metadata": null, "cardDesignTemplate": "<svg></svg>"}),
            ),
            vec![("REQUIRED_VALUE", "metadata")],
        ),
        (
            "bad colours",
            with(
                &bx,
                json!({"metadata": {"cardColor": "red", "textColor": "#12345"}}),
            ),
            vec![
                ("INVALID_VALUE", "metadata.cardColor"),
                ("INVALID_VALUE", "metadata.textColor"),
            ],
        ),
        (
            "opacity out of range",
            with(&bx, json!({"metadata": {"bgOpacityPercent": 101}})),
            vec![("OUT_OF_RANGE", "metadata.bgOpacityPercent")],
        ),
        (
            "columns out of range",
            with(&bx, json!({"metadata": {"columns": 4}})),
            vec![("OUT_OF_RANGE", "metadata.columns")],
        ),
        (
            "version below 1",
            with(&bx, json!({"metadata": {"version": 0}})),
            vec![("OUT_OF_RANGE", "metadata.version")],
        ),
        (
            "logo over http",
            with(
                &bx,
                json!({"metadata": {"logoImage": "http://bx.example/logo.png"}}),
            ),
            vec![("INVALID_VALUE", "metadata.logoImage")],
        ),
        (
            "logo over 25 KB",
            with(&bx, json!({"metadata": {"logoImage": big_data_image}})),
            vec![("SIZE_LIMIT_EXCEEDED", "metadata.logoImage")],
        ),
        (
            "background over 50 KB",
            with(
                &bx,
                json!({"metadata": {"backgroundImage": huge_data_image}}),
            ),
            vec![("SIZE_LIMIT_EXCEEDED", "metadata.backgroundImage")],
        ),
        (
            "no fields",
            with(
                &bx,
                json!({"metadata": {"fields": []}, "cardDesignTemplate": "<svg></svg>"}),
            ),
            vec![("REQUIRED_VALUE", "metadata.fields")],
        ),
        (
            "field id missing",
            with_field(
                &bx,
                0,
                json!({"type": "Directory Attribute", "title": "First name", "attribute": "name.given", "isVisible": true}),
            ),
            vec![("REQUIRED_VALUE", "metadata.fields[0].id")],
        ),
        (
            "field id twice",
            with_field(
                &bx,
                1,
                json!({"id": "Directory Attribute -> First name", "type": "Directory Attribute", "title": "Last name", "attribute": "name.family", "isVisible": true}),
            ),
            vec![("INVALID_VALUE", "metadata.fields[1].id")],
        ),
        (
            "field type unknown",
            with_field(
                &bx,
                0,
                json!({"id": "a", "type": "Number", "title": "First name", "isVisible": true}),
            ),
            vec![("INVALID_VALUE", "metadata.fields[0].type")],
        ),
        (
            "field title missing",
            with_field(
                &bx,
                0,
                json!({"id": "a", "type": "Directory Attribute", "attribute": "name.given", "isVisible": true}),
            ),
            vec![("REQUIRED_VALUE", "metadata.fields[0].title")],
        ),
        (
            "field title twice",
            with_field(
                &bx,
                1,
                json!({"id": "b", "type": "Directory Attribute", "title": "First name", "attribute": "name.family", "isVisible": true}),
            ),
            vec![("INVALID_VALUE", "metadata.fields[1].title")],
        ),
        (
            "field title reserved",
            with_field(
                &bx,
                1,
                json!({"id": "b", "type": "Directory Attribute", "title": "iss", "attribute": "name.family", "isVisible": true}),
            ),
            vec![("INVALID_VALUE", "metadata.fields[1].title")],
        ),
        (
            "isVisible missing",
            with_field(
                &bx,
                0,
                json!({"id": "a", "type": "Directory Attribute", "title": "First name", "attribute": "name.given"}),
            ),
            vec![("REQUIRED_VALUE", "metadata.fields[0].isVisible")],
        ),
        (
            "attribute and value both",
            with_field(
                &bx,
                0,
                json!({"id": "a", "type": "Directory Attribute", "title": "First name", "attribute": "name.given", "value": "x", "isVisible": true}),
            ),
            vec![("INVALID_VALUE", "metadata.fields[0].value")],
        ),
        (
            "directory attribute without attribute",
            with_field(
                &bx,
                0,
                json!({"id": "a", "type": "Directory Attribute", "title": "First name", "isVisible": true}),
            ),
            vec![("REQUIRED_VALUE", "metadata.fields[0].attribute")],
        ),
        (
            "attribute not a path",
            with_field(
                &bx,
                0,
                json!({"id": "a", "type": "Directory Attribute", "title": "First name", "attribute": "name given", "isVisible": true}),
            ),
            vec![("INVALID_VALUE", "metadata.fields[0].attribute")],
        ),
        (
            "unbalanced PEL",
            with_field(
                &bx,
                0,
                json!({"id": "a", "type": "Directory Attribute", "title": "First name", "attribute": "${user.cards[0}", "isVisible": true}),
            ),
            vec![("INVALID_VALUE", "metadata.fields[0].attribute")],
        ),
        (
            "fileSupport on text",
            with_field(&bx, 5, text(json!({"fileSupport": "BASE64_STRING"}))),
            vec![("INVALID_VALUE", "metadata.fields[5].fileSupport")],
        ),
        (
            "fileSupport unknown",
            with_field(
                &bx,
                0,
                json!({"id": "a", "type": "Directory Attribute", "title": "First name", "attribute": "photo", "isVisible": true, "fileSupport": "ZIP"}),
            ),
            vec![("INVALID_VALUE", "metadata.fields[0].fileSupport")],
        ),
        (
            "six embedded files",
            with(
                &bx,
                json!({"metadata": {"fields": six_embedded}, "cardDesignTemplate": "<svg></svg>", "description": null}),
            ),
            vec![("INVALID_VALUE", "metadata.fields")],
        ),
        (
            "automated text without value",
            with_field(
                &bx,
                5,
                json!({"id": "t", "type": "Alphanumeric Text", "title": "T", "isVisible": true}),
            ),
            vec![("REQUIRED_VALUE", "metadata.fields[5].value")],
        ),
        (
            "unknown mode",
            with(&bx, json!({"management": {"mode": "MANUAL"}})),
            vec![("INVALID_VALUE", "management.mode")],
        ),
        (
            "expiration on a managed type",
            with(
                &managed,
                json!({"expiration": {"after": {"duration": 2, "timeUnit": "HOURS"}, "type": "HARD"}}),
            ),
            vec![("INVALID_VALUE", "expiration")],
        ),
        (
            "expiration with two kinds",
            with(
                &bx,
                json!({"expiration": {"timestamp": "2030-01-01T00:00:00Z"}}),
            ),
            vec![("INVALID_VALUE", "expiration")],
        ),
        (
            "expiration with none",
            with(&bx, json!({"expiration": {"after": null}})),
            vec![("INVALID_VALUE", "expiration")],
        ),
        (
            "expiration type missing",
            with(&bx, json!({"expiration": {"type": null}})),
            vec![("REQUIRED_VALUE", "expiration.type")],
        ),
        (
            "soft expiration without fieldName",
            with(&bx, json!({"expiration": {"type": "SOFT"}})),
            vec![("REQUIRED_VALUE", "expiration.fieldName")],
        ),
        (
            "soft expiration fieldName is a field",
            with(
                &bx,
                json!({"expiration": {"type": "SOFT", "fieldName": "Policy ID"}}),
            ),
            vec![("INVALID_VALUE", "expiration.fieldName")],
        ),
        (
            "expiration under an hour",
            with(
                &bx,
                json!({"expiration": {"after": {"duration": 59, "timeUnit": "MINUTES"}}}),
            ),
            vec![("OUT_OF_RANGE", "expiration.after.duration")],
        ),
        (
            "expiration unit unknown",
            with(&bx, json!({"expiration": {"after": {"timeUnit": "WEEKS"}}})),
            vec![("INVALID_VALUE", "expiration.after.timeUnit")],
        ),
        (
            "expiration duration missing",
            with(&bx, json!({"expiration": {"after": {"duration": null}}})),
            vec![("REQUIRED_VALUE", "expiration.after.duration")],
        ),
        (
            "expiration timestamp not ISO",
            with(
                &bx,
                json!({"expiration": {"after": null, "timestamp": "next year"}}),
            ),
            vec![("INVALID_VALUE", "expiration.timestamp")],
        ),
        (
            "expiration expression not PEL",
            with(
                &bx,
                json!({"expiration": {"after": null, "expression": "user.policyExpiry"}}),
            ),
            vec![("INVALID_VALUE", "expiration.expression")],
        ),
        (
            "multiple without expression",
            with(&bx, json!({"multiple": {}})),
            vec![("REQUIRED_VALUE", "multiple.expression")],
        ),
        (
            "multiple expression not PEL",
            with(&bx, json!({"multiple": {"expression": "user.cards"}})),
            vec![("INVALID_VALUE", "multiple.expression")],
        ),
        (
            "multiple on a managed type",
            with(
                &managed,
                json!({"multiple": {"expression": "${user.cards}"}}),
            ),
            vec![("INVALID_VALUE", "multiple")],
        ),
        (
            "wrong JSON type",
            with(&bx, json!({"onDelete": {"revokeIssuedCredentials": "yes"}})),
            vec![("INVALID_VALUE", "onDelete.revokeIssuedCredentials")],
        ),
    ];
    assert!(cases.len() >= 50);
    for (what, body, expected) in cases {
        let r = s.post(&s.env_path("/credentialTypes"), body).await;
        assert_eq!(r.status, 400, "{what}: {}", r.text);
        assert_eq!(r.json["code"], "INVALID_DATA", "{what}: {}", r.text);
        let got: Vec<(String, String)> = r.json["details"]
            .as_array()
            .unwrap()
            .iter()
            .map(|d| {
                (
                    d["code"].as_str().unwrap().to_string(),
                    d["target"].as_str().unwrap().to_string(),
                )
            })
            .collect();
        let expected: Vec<(String, String)> = expected
            .iter()
            .map(|(c, t)| (c.to_string(), t.to_string()))
            .collect();
        assert_eq!(got, expected, "{what}");
    }
    let list = s.get(&s.env_path("/credentialTypes")).await.expect(200);
    assert_eq!(list.json["size"], 0, "nothing was stored");
    // the deliberate difference from the Terraform provider: a value the card does not use is fine
    let unused = with(
        &bx,
        json!({"cardDesignTemplate": "<svg xmlns=\"http://www.w3.org/2000/svg\"><text>${cardTitle}</text></svg>"}),
    );
    s.post(&s.env_path("/credentialTypes"), unused)
        .await
        .expect(201);
}

async fn titles_are_unique_and_immutable(s: TestServer) {
    let created = s
        .post(&s.env_path("/credentialTypes"), bx_insurance())
        .await
        .expect(201);
    s.post(&s.env_path("/credentialTypes"), bx_insurance())
        .await
        .expect_error(409, "UNIQUENESS_VIOLATION", &["title"]);
    s.put(
        &s.env_path(&format!("/credentialTypes/{}", created.id())),
        with(&bx_insurance(), json!({"title": "Renamed"})),
    )
    .await
    .expect_error(400, "INVALID_DATA", &["title"]);
    // the same title is free in another environment
    let other = s.new_environment("Other").await;
    s.json_as(
        reqwest::Method::POST,
        &other.token,
        &format!("/v1/environments/{}/credentialTypes", other.env),
        &bx_insurance(),
    )
    .await
    .expect(201);
}

async fn changes_are_versioned(s: TestServer) {
    let created = s
        .post(&s.env_path("/credentialTypes"), bx_insurance())
        .await
        .expect(201);
    let id = created.id();
    let path = s.env_path(&format!("/credentialTypes/{id}"));
    // an identical update is not a change
    let same = s.put(&path, bx_insurance()).await.expect(200);
    assert_eq!(same.json["version"], created.json["version"]);
    assert_eq!(same.json["updatedAt"], created.json["updatedAt"]);
    assert_eq!(
        s.get(&format!("{path}/versions")).await.expect(200).json["size"],
        0
    );
    // a change snapshots the previous state
    let changed = s
        .put(
            &path,
            with(
                &bx_insurance(),
                json!({"metadata": {"cardColor": "#aa0000"}}),
            ),
        )
        .await
        .expect(200);
    assert_eq!(changed.json["version"]["number"], 2);
    assert_ne!(changed.json["version"]["id"], created.json["version"]["id"]);
    assert_eq!(changed.json["metadata"]["cardColor"], "#aa0000");
    let third = s
        .put(&path, with(&bx_insurance(), json!({"description": "v3"})))
        .await
        .expect(200);
    assert_eq!(third.json["version"]["number"], 3);
    let versions = s.get(&format!("{path}/versions")).await.expect(200);
    assert_eq!(versions.json["size"], 2);
    let first = &versions.json["_embedded"]["versions"][0];
    assert_eq!(first["version"], 1);
    assert_eq!(first["id"], created.json["version"]["id"]);
    assert_eq!(first["credentialType"]["id"], id.as_str());
    assert_eq!(first["snapshot"]["metadata"]["cardColor"], "#002b5c");
    assert_eq!(first["snapshot"]["version"]["number"], 1);
    let one = s
        .get(&format!(
            "{path}/versions/{}",
            first["id"].as_str().unwrap()
        ))
        .await
        .expect(200);
    assert_eq!(one.json["snapshot"], first["snapshot"]);
    // version.uri of the current version resolves too
    let current_uri = third.str("/version/uri");
    let current = s
        .get(current_uri.strip_prefix(&s.base).unwrap())
        .await
        .expect(200);
    assert_eq!(current.json["version"], 3);
    assert_eq!(current.json["snapshot"]["description"], "v3");
    // SCIM filter over versions
    let query = serde_urlencoded::to_string([("filter", "version ge 2")]).unwrap();
    let filtered = s.get(&format!("{path}/versions?{query}")).await.expect(200);
    assert_eq!(filtered.json["size"], 1);
    assert_eq!(filtered.json["_embedded"]["versions"][0]["version"], 2);
    s.get(&format!("{path}/versions?filter=version%20xx%201"))
        .await
        .expect_error(400, "INVALID_REQUEST", &["filter"]);
    s.get(&format!("{path}/versions/{}", uuid::Uuid::new_v4()))
        .await
        .expect_error(404, "NOT_FOUND", &[]);
}

async fn read_all_leaves_out_metadata_and_template(s: TestServer) {
    s.post(&s.env_path("/credentialTypes"), bx_insurance())
        .await
        .expect(201);
    s.post(&s.env_path("/credentialTypes"), managed_type("Managed"))
        .await
        .expect(201);
    let list = s
        .get(&s.env_path("/credentialTypes?limit=1"))
        .await
        .expect(200);
    assert_eq!(list.json["size"], 1);
    let item = &list.json["_embedded"]["items"][0];
    assert!(item.get("metadata").is_none() && item.get("cardDesignTemplate").is_none());
    assert_eq!(item["title"], "BX Insurance");
    let ids = s
        .collect_ids(
            &s.admin.token,
            &s.env_path("/credentialTypes?limit=1"),
            "items",
        )
        .await;
    assert_eq!(ids.len(), 2);
}

async fn deletion_is_soft(s: TestServer) {
    let created = s
        .post(&s.env_path("/credentialTypes"), bx_insurance())
        .await
        .expect(201);
    let path = s.env_path(&format!("/credentialTypes/{}", created.id()));
    s.delete(&path).await.expect(204);
    let read = s.get(&path).await.expect(200);
    assert!(read.json["deletedAt"].is_string());
    assert_eq!(s.get(&s.env_path("/credentialTypes")).await.json["size"], 0);
    s.put(&path, bx_insurance())
        .await
        .expect_error(404, "NOT_FOUND", &[]);
    s.delete(&path).await.expect_error(404, "NOT_FOUND", &[]);
    // the title is free again
    s.post(&s.env_path("/credentialTypes"), bx_insurance())
        .await
        .expect(201);
    s.delete(&s.env_path(&format!("/credentialTypes/{}", uuid::Uuid::new_v4())))
        .await
        .expect_error(404, "NOT_FOUND", &[]);
}

async fn vct_serves_type_metadata(s: TestServer) {
    let created = s
        .post(&s.env_path("/credentialTypes"), bx_insurance())
        .await
        .expect(201);
    let vct = created.str("/_links/vct/href");
    assert_eq!(
        vct,
        s.url(&format!("/{}/types/{}", s.admin.env, created.id()))
    );
    let doc = s
        .get_as("", vct.strip_prefix(&s.base).unwrap())
        .await
        .expect(200);
    assert_eq!(doc.json["vct"], vct.as_str());
    assert_eq!(doc.json["name"], "BX Insurance");
    assert_eq!(
        doc.json["display"][0]["rendering"]["simple"]["background_color"],
        "#002b5c"
    );
    let claims = doc.json["claims"].as_array().unwrap();
    assert_eq!(claims.len(), 6);
    assert_eq!(claims[3]["path"], json!(["Policy ID"]));
    assert_eq!(claims[3]["mandatory"], true);
    assert!(claims.iter().all(|c| c["sd"] == "always"));
    assert!(
        claims[5].get("display").is_none(),
        "invisible fields have no display"
    );
    s.get_as(
        "",
        &format!("/{}/types/{}", s.admin.env, uuid::Uuid::new_v4()),
    )
    .await
    .expect_error(404, "NOT_FOUND", &[]);
}
