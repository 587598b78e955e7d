//! User credentials: creation against the type's fields, the lifecycle, revocation by
//! vendor content type, the rendered card, and the deletion cascades.

use serde_json::{Value, json};

use crate::backend_tests;
use crate::common::{Resp, TestServer};
use crate::credential_types::{bx_insurance, managed_type};

backend_tests!(
    create_read_update_with_the_full_schema,
    creation_errors_name_their_target,
    revocation_and_the_lifecycle,
    expired_credentials_are_final,
    card_image_is_rendered_and_escaped,
    deleting_a_credential,
    deleting_a_type_cascades_by_its_flag,
    deleting_a_user_deletes_their_credentials,
);

const REVOKE: &str = "application/vnd.pingidentity.validations.revokeCredential+json";

struct Fixture {
    type_id: String,
    user_id: String,
}

async fn fixture(s: &TestServer, title: &str) -> Fixture {
    let type_id = s
        .post(&s.env_path("/credentialTypes"), managed_type(title))
        .await
        .expect(201)
        .id();
    let user_id = s
        .post(
            &s.env_path("/users"),
            json!({"username": format!("john-{title}"), "name": {"given": "John"}}),
        )
        .await
        .expect(201)
        .id();
    Fixture { type_id, user_id }
}

fn credentials(s: &TestServer, user: &str) -> String {
    s.env_path(&format!("/users/{user}/credentials"))
}

async fn create(s: &TestServer, f: &Fixture, data: Value) -> Resp {
    s.post(
        &credentials(s, &f.user_id),
        json!({"credentialType": {"id": f.type_id}, "data": data}),
    )
    .await
}

async fn revoke(s: &TestServer, path: &str, content_type: &str) -> Resp {
    s.send(
        s.req(reqwest::Method::POST, path, &s.admin.token)
            .header("content-type", content_type)
            .body("{}"),
    )
    .await
}

async fn create_read_update_with_the_full_schema(s: TestServer) {
    let f = fixture(&s, "Managed").await;
    let created = create(&s, &f, json!({"Policy ID": "BX-1"}))
        .await
        .expect(201);
    assert_eq!(created.json["status"], "PENDING");
    assert_eq!(created.json["title"], "Managed");
    assert_eq!(
        created.json["credentialType"],
        json!({"id": f.type_id, "version": 1})
    );
    assert_eq!(
        created.json["data"],
        json!({"Policy ID": "BX-1", "Plan": "Basic", "Note": "", "Given": "John", "Issued": ""}),
        "every field is present: given, default, directory value or empty"
    );
    let path = s.link(&created, "self");
    assert_eq!(created.header("location"), Some(s.url(&path).as_str()));
    assert_eq!(s.get(&path).await.expect(200).json, created.json);
    let list = s.get(&credentials(&s, &f.user_id)).await.expect(200);
    assert_eq!(list.json["size"], 1);
    assert_eq!(list.json["_embedded"]["items"][0]["id"], created.json["id"]);

    let expires = (chrono::Utc::now() + chrono::Duration::days(30))
        .format("%Y-%m-%dT%H:%M:%S%.3fZ")
        .to_string();
    let updated = s
        .put(
            &path,
            json!({"data": {"Policy ID": "BX-2", "Note": "renewed"}, "expiresAt": expires}),
        )
        .await
        .expect(200);
    assert_eq!(updated.json["data"]["Policy ID"], "BX-2");
    assert_eq!(updated.json["data"]["Note"], "renewed");
    assert_eq!(
        updated.json["data"]["Plan"], "Basic",
        "a full replace falls back to defaults"
    );
    assert_eq!(updated.json["expiresAt"], expires.as_str());
    assert_eq!(updated.json["status"], "PENDING");
    let cleared = s
        .put(&path, json!({"data": {"Policy ID": "BX-2"}}))
        .await
        .expect(200);
    assert!(
        cleared.json.get("expiresAt").is_none(),
        "PUT replaces expiresAt too"
    );

    let provisioned = s
        .get(&format!("{path}/provisionedCredentials"))
        .await
        .expect(200);
    assert_eq!(provisioned.json["size"], 0);
    assert_eq!(
        provisioned.json["_embedded"]["provisionedCredentials"],
        json!([])
    );
}

async fn creation_errors_name_their_target(s: TestServer) {
    let f = fixture(&s, "Managed").await;
    let path = credentials(&s, &f.user_id);
    s.post(&path, json!({"data": {"Policy ID": "x"}}))
        .await
        .expect_error(400, "INVALID_DATA", &["credentialType.id"]);
    let r = s
        .post(
            &path,
            json!({"credentialType": {"id": uuid::Uuid::new_v4()}}),
        )
        .await
        .expect_error(400, "INVALID_DATA", &["credentialType.id"]);
    assert_eq!(
        r.json["details"][0]["code"],
        "REFERENCED_RESOURCE_NOT_FOUND"
    );
    let automated = s
        .post(&s.env_path("/credentialTypes"), bx_insurance())
        .await
        .expect(201)
        .id();
    s.post(&path, json!({"credentialType": {"id": automated}}))
        .await
        .expect_error(400, "INVALID_DATA", &["credentialType.id"]);
    let r = create(&s, &f, json!({}))
        .await
        .expect_error(400, "INVALID_DATA", &["data.Policy ID"]);
    assert_eq!(r.json["details"][0]["code"], "REQUIRED_VALUE");
    create(&s, &f, json!({"Policy ID": ""})).await.expect_error(
        400,
        "INVALID_DATA",
        &["data.Policy ID"],
    );
    create(&s, &f, json!({"Policy ID": "x", "Colour": "red"}))
        .await
        .expect_error(400, "INVALID_DATA", &["data.Colour"]);
    create(&s, &f, json!({"Policy ID": "x", "Given": "Jim"}))
        .await
        .expect_error(400, "INVALID_DATA", &["data.Given"]);
    create(&s, &f, json!({"Policy ID": "x", "Issued": "now"}))
        .await
        .expect_error(400, "INVALID_DATA", &["data.Issued"]);
    create(&s, &f, json!({"Policy ID": 7})).await.expect_error(
        400,
        "INVALID_DATA",
        &["data.Policy ID"],
    );
    create(&s, &f, json!({"Policy ID": "x".repeat(4097)}))
        .await
        .expect_error(400, "INVALID_DATA", &["data.Policy ID"]);
    create(&s, &f, json!("text"))
        .await
        .expect_error(400, "INVALID_DATA", &["data"]);
    for expires in ["2001-01-01T00:00:00Z", "tomorrow"] {
        s.post(&path, json!({"credentialType": {"id": f.type_id}, "data": {"Policy ID": "x"}, "expiresAt": expires}))
            .await
            .expect_error(400, "INVALID_DATA", &["expiresAt"]);
    }
    s.post(&path, json!({"credentialType": {"id": f.type_id}, "data": {"Policy ID": "x"}, "notification": "email"}))
        .await
        .expect_error(400, "INVALID_DATA", &["notification"]);
    // an unknown user, and a deleted type
    s.post(
        &credentials(&s, &uuid::Uuid::new_v4().to_string()),
        json!({"credentialType": {"id": f.type_id}}),
    )
    .await
    .expect_error(404, "NOT_FOUND", &[]);
    s.delete(&s.env_path(&format!("/credentialTypes/{}", f.type_id)))
        .await
        .expect(204);
    create(&s, &f, json!({"Policy ID": "x"}))
        .await
        .expect_error(400, "INVALID_DATA", &["credentialType.id"]);
    assert_eq!(s.get(&path).await.json["size"], 0, "nothing was stored");
}

async fn revocation_and_the_lifecycle(s: TestServer) {
    let f = fixture(&s, "Managed").await;
    let created = create(&s, &f, json!({"Policy ID": "BX-1"}))
        .await
        .expect(201);
    let path = s.link(&created, "self");
    let wrong = revoke(&s, &path, "application/json").await.expect_error(
        415,
        "UNSUPPORTED_MEDIA_TYPE",
        &[],
    );
    assert!(
        wrong.json["message"]
            .as_str()
            .unwrap()
            .contains("revokeCredential")
    );
    assert_eq!(s.get(&path).await.json["status"], "PENDING");
    let revoked = revoke(&s, &path, REVOKE).await.expect(200);
    assert_eq!(revoked.json["status"], "REVOKED");
    assert!(revoked.json["revokedAt"].is_string());
    revoke(&s, &path, REVOKE)
        .await
        .expect_error(409, "CONFLICT", &[]);
    s.put(&path, json!({"data": {"Policy ID": "BX-9"}}))
        .await
        .expect_error(409, "CONFLICT", &[]);
    assert_eq!(s.get(&path).await.json["data"]["Policy ID"], "BX-1");

    // ISSUED (as the credential endpoint records it): an update re-issues, a revoke ends it
    let issued = create(&s, &f, json!({"Policy ID": "BX-2"}))
        .await
        .expect(201);
    mark_issued(&s, &f.user_id, &issued.id()).await;
    let path = s.link(&issued, "self");
    let read = s.get(&path).await.expect(200);
    assert_eq!(read.json["status"], "ISSUED");
    assert!(read.json["issuedAt"].is_string());
    let updated = s
        .put(&path, json!({"data": {"Policy ID": "BX-3"}}))
        .await
        .expect(200);
    assert_eq!(
        updated.json["status"], "PENDING",
        "an updated credential is offered afresh"
    );
    assert!(updated.json.get("issuedAt").is_none());
    mark_issued(&s, &f.user_id, &issued.id()).await;
    assert_eq!(
        revoke(&s, &path, REVOKE).await.expect(200).json["status"],
        "REVOKED"
    );
    let other_type = s
        .post(&s.env_path("/credentialTypes"), managed_type("Other"))
        .await
        .expect(201)
        .id();
    let third = create(&s, &f, json!({"Policy ID": "BX-4"}))
        .await
        .expect(201);
    s.put(
        &s.link(&third, "self"),
        json!({"credentialType": {"id": other_type}, "data": {"Policy ID": "x"}}),
    )
    .await
    .expect_error(400, "INVALID_DATA", &["credentialType.id"]);
}

pub async fn mark_issued(s: &TestServer, user: &str, id: &str) {
    let (env, user, id) = (s.admin.env.clone(), user.to_string(), id.to_string());
    s.ctx
        .store
        .write(move |conn| {
            let row =
                vouch::store::user_credentials::get(conn, &env, &user, &id)?.expect("credential");
            vouch::service::user_credentials::mark_issued(conn, &row, vouch::domain::time::now())?;
            Ok::<_, vouch::service::Error>(())
        })
        .await
        .unwrap();
}

async fn expired_credentials_are_final(s: TestServer) {
    let f = fixture(&s, "Managed").await;
    let expires = (chrono::Utc::now() + chrono::Duration::seconds(1))
        .format("%Y-%m-%dT%H:%M:%S%.3fZ")
        .to_string();
    let created = s
        .post(&credentials(&s, &f.user_id), json!({"credentialType": {"id": f.type_id}, "data": {"Policy ID": "x"}, "expiresAt": expires}))
        .await
        .expect(201);
    assert_eq!(created.json["status"], "PENDING");
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    let path = s.link(&created, "self");
    assert_eq!(s.get(&path).await.json["status"], "EXPIRED");
    revoke(&s, &path, REVOKE)
        .await
        .expect_error(409, "CONFLICT", &[]);
    s.put(&path, json!({"data": {"Policy ID": "y"}}))
        .await
        .expect_error(409, "CONFLICT", &[]);
}

async fn card_image_is_rendered_and_escaped(s: TestServer) {
    let f = fixture(&s, "Managed <&> Co").await;
    let created = create(&s, &f, json!({"Policy ID": "<script>alert(1)</script>"}))
        .await
        .expect(201);
    let card = s.get(&s.link(&created, "cardImage")).await.expect(200);
    assert_eq!(card.header("content-type"), Some("image/svg+xml"));
    assert!(
        card.text.contains("<text>Managed &lt;&amp;&gt; Co</text>"),
        "{}",
        card.text
    );
    assert!(
        card.text
            .contains("Policy ID: &lt;script&gt;alert(1)&lt;/script&gt;"),
        "{}",
        card.text
    );
    assert!(
        card.text.contains("<text>John</text>"),
        "directory value filled: {}",
        card.text
    );
    assert!(!card.text.contains("${"));
    assert!(
        roxmltree::Document::parse(&card.text).is_ok(),
        "the card is well-formed XML"
    );
}

async fn deleting_a_credential(s: TestServer) {
    let f = fixture(&s, "Managed").await;
    let created = create(&s, &f, json!({"Policy ID": "x"})).await.expect(201);
    let path = s.link(&created, "self");
    s.delete(&path).await.expect(204);
    s.get(&path).await.expect_error(404, "NOT_FOUND", &[]);
    s.delete(&path).await.expect_error(404, "NOT_FOUND", &[]);
}

async fn count_credentials(s: &TestServer, type_id: &str) -> Vec<String> {
    let type_id = type_id.to_string();
    s.ctx
        .store
        .read(move |conn| {
            use diesel::prelude::*;
            use vouch::store::schema::user_credentials::dsl as c;
            c::user_credentials
                .filter(c::credential_type_id.eq(&type_id))
                .order(c::id.asc())
                .select(c::status)
                .load::<String>(conn)
                .map_err(vouch::service::Error::from)
        })
        .await
        .unwrap()
}

async fn deleting_a_type_cascades_by_its_flag(s: TestServer) {
    // revokeIssuedCredentials: true — every credential of the type goes
    let f = fixture(&s, "Revoking").await;
    create(&s, &f, json!({"Policy ID": "pending"}))
        .await
        .expect(201);
    let issued = create(&s, &f, json!({"Policy ID": "issued"}))
        .await
        .expect(201);
    mark_issued(&s, &f.user_id, &issued.id()).await;
    s.delete(&s.env_path(&format!("/credentialTypes/{}", f.type_id)))
        .await
        .expect(204);
    assert!(count_credentials(&s, &f.type_id).await.is_empty());

    // revokeIssuedCredentials: false — pending ones go, issued ones stay issued
    let mut keeping = managed_type("Keeping");
    keeping["onDelete"] = json!({"revokeIssuedCredentials": false});
    let type_id = s
        .post(&s.env_path("/credentialTypes"), keeping)
        .await
        .expect(201)
        .id();
    let f = Fixture {
        type_id,
        user_id: f.user_id,
    };
    create(&s, &f, json!({"Policy ID": "pending"}))
        .await
        .expect(201);
    let issued = create(&s, &f, json!({"Policy ID": "issued"}))
        .await
        .expect(201);
    mark_issued(&s, &f.user_id, &issued.id()).await;
    s.delete(&s.env_path(&format!("/credentialTypes/{}", f.type_id)))
        .await
        .expect(204);
    assert_eq!(count_credentials(&s, &f.type_id).await, vec!["ISSUED"]);
    let kept = s.get(&s.link(&issued, "self")).await.expect(200);
    assert_eq!(kept.json["status"], "ISSUED");
}

async fn deleting_a_user_deletes_their_credentials(s: TestServer) {
    let f = fixture(&s, "Managed").await;
    create(&s, &f, json!({"Policy ID": "a"})).await.expect(201);
    let issued = create(&s, &f, json!({"Policy ID": "b"})).await.expect(201);
    mark_issued(&s, &f.user_id, &issued.id()).await;
    assert_eq!(count_credentials(&s, &f.type_id).await.len(), 2);
    s.delete(&s.env_path(&format!("/users/{}", f.user_id)))
        .await
        .expect(204);
    assert!(count_credentials(&s, &f.type_id).await.is_empty());
    s.get(&credentials(&s, &f.user_id))
        .await
        .expect_error(404, "NOT_FOUND", &[]);
}
