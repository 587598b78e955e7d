use reqwest::Method;
use serde_json::json;

use crate::backend_tests;
use crate::common::TestServer;

backend_tests!(
    worker_lifecycle,
    secret_rotation_replaces_the_old_secret,
    disabling_or_deleting_a_worker_ends_its_tokens,
    validation_errors_name_their_target,
    only_organisation_admins_grant_that_role,
    last_organisation_admin_is_kept,
    unknown_application_is_404,
);

async fn worker_lifecycle(s: TestServer) {
    let apps = s.env_path("/applications");
    let created = s
        .post(&apps, json!({"name": "Claims backend", "type": "WORKER", "protocol": "OPENID_CONNECT", "grantTypes": ["CLIENT_CREDENTIALS"]}))
        .await
        .expect(201);
    let id = created.json["id"].as_str().unwrap().to_string();
    assert_eq!(
        created.json["tokenEndpointAuthMethod"],
        "CLIENT_SECRET_BASIC"
    );
    assert_eq!(created.json["enabled"], true);
    assert_eq!(created.json["roles"], json!(["ENVIRONMENT_ADMIN"]));
    assert!(created.json.get("secret").is_none());
    assert!(created.header("location").unwrap().ends_with(&id));

    let secret = s.get(&format!("{apps}/{id}/secret")).await.expect(200);
    assert_eq!(secret.header("cache-control"), Some("no-store"));
    let secret = secret.json["secret"].as_str().unwrap().to_string();
    assert_eq!(secret.len(), 64);
    let token = s.token(&s.admin.env, &id, &secret).await;
    s.get_as(&token, &s.env_path("/users")).await.expect(200);

    let list = s.get(&apps).await.expect(200);
    assert_eq!(list.json["size"], 2);
    let replaced = s
        .put(&format!("{apps}/{id}"), json!({"name": "Claims", "type": "WORKER", "tokenEndpointAuthMethod": "CLIENT_SECRET_POST", "description": "d"}))
        .await
        .expect(200);
    assert_eq!(
        replaced.json["tokenEndpointAuthMethod"],
        "CLIENT_SECRET_POST"
    );
    assert_eq!(
        s.get(&format!("{apps}/{id}")).await.expect(200).json["description"],
        "d"
    );

    s.delete(&format!("{apps}/{id}")).await.expect(204);
    s.get(&format!("{apps}/{id}"))
        .await
        .expect_error(404, "NOT_FOUND", &[]);
    assert_eq!(s.get(&apps).await.json["size"], 1);
}

async fn secret_rotation_replaces_the_old_secret(s: TestServer) {
    let apps = s.env_path("/applications");
    let (id, old) = s.worker(json!({"name": "w", "type": "WORKER"})).await;
    let new = s
        .post(&format!("{apps}/{id}/secret"), json!({}))
        .await
        .expect(200)
        .json["secret"]
        .as_str()
        .unwrap()
        .to_string();
    assert_ne!(old, new);
    assert_eq!(
        s.get(&format!("{apps}/{id}/secret")).await.json["secret"],
        new.as_str()
    );
    let refused = s
        .token_request(
            &s.admin.env,
            &[("grant_type", "client_credentials")],
            Some((&id, &old)),
        )
        .await;
    assert_eq!(refused.status, 401);
    assert_eq!(refused.json["error"], "invalid_client");
    s.token(&s.admin.env, &id, &new).await;
}

async fn disabling_or_deleting_a_worker_ends_its_tokens(s: TestServer) {
    let apps = s.env_path("/applications");
    let (id, secret) = s.worker(json!({"name": "w", "type": "WORKER"})).await;
    let token = s.token(&s.admin.env, &id, &secret).await;
    s.put(
        &format!("{apps}/{id}"),
        json!({"name": "w", "type": "WORKER", "enabled": false}),
    )
    .await
    .expect(200);
    s.get_as(&token, &s.env_path("/users"))
        .await
        .expect_error(401, "ACCESS_FAILED", &[]);
    let refused = s
        .token_request(
            &s.admin.env,
            &[("grant_type", "client_credentials")],
            Some((&id, &secret)),
        )
        .await;
    assert_eq!(
        (refused.status, refused.json["error"].as_str()),
        (401, Some("invalid_client"))
    );
    s.put(
        &format!("{apps}/{id}"),
        json!({"name": "w", "type": "WORKER", "enabled": true}),
    )
    .await
    .expect(200);
    let token = s.token(&s.admin.env, &id, &secret).await;
    s.delete(&format!("{apps}/{id}")).await.expect(204);
    s.get_as(&token, &s.env_path("/users"))
        .await
        .expect_error(401, "ACCESS_FAILED", &[]);
}

async fn validation_errors_name_their_target(s: TestServer) {
    let apps = s.env_path("/applications");
    s.post(&apps, json!({}))
        .await
        .expect_error(400, "INVALID_DATA", &["name", "type"]);
    let r = s
        .post(&apps, json!({"name": "spa", "type": "SINGLE_PAGE_APP"}))
        .await
        .expect_error(400, "INVALID_DATA", &["type"]);
    assert_eq!(
        r.json["details"][0]["innerError"]["allowedValues"],
        json!(["WORKER"])
    );
    s.post(
        &apps,
        json!({"name": "w", "type": "WORKER", "tokenEndpointAuthMethod": "PRIVATE_KEY_JWT"}),
    )
    .await
    .expect_error(400, "INVALID_DATA", &["tokenEndpointAuthMethod"]);
    s.post(
        &apps,
        json!({"name": "w", "type": "WORKER", "protocol": "SAML"}),
    )
    .await
    .expect_error(400, "INVALID_DATA", &["protocol"]);
    s.post(
        &apps,
        json!({"name": "w", "type": "WORKER", "grantTypes": ["AUTHORIZATION_CODE"]}),
    )
    .await
    .expect_error(400, "INVALID_DATA", &["grantTypes"]);
    s.post(
        &apps,
        json!({"name": "w", "type": "WORKER", "roles": ["ROOT"]}),
    )
    .await
    .expect_error(400, "INVALID_DATA", &["roles[0]"]);
    s.post(
        &apps,
        json!({"name": "w", "type": "WORKER", "enabled": "yes"}),
    )
    .await
    .expect_error(400, "INVALID_DATA", &["enabled"]);
    assert_eq!(s.get(&apps).await.json["size"], 1, "nothing stored");
}

async fn only_organisation_admins_grant_that_role(s: TestServer) {
    let other = s.new_environment("Tenant").await;
    let apps = format!("/v1/environments/{}/applications", other.env);
    s.json_as(
        Method::POST,
        &other.token,
        &apps,
        &json!({"name": "w", "type": "WORKER", "roles": ["ORGANIZATION_ADMIN"]}),
    )
    .await
    .expect_error(403, "ACCESS_FAILED", &[]);
    // the organisation admin may grant it in its own environment
    let (id, secret) = s
        .worker(json!({"name": "ops", "type": "WORKER", "roles": ["ORGANIZATION_ADMIN"]}))
        .await;
    let granted = s
        .get(&s.env_path(&format!("/applications/{id}")))
        .await
        .expect(200);
    assert_eq!(
        granted.json["roles"],
        json!(["ENVIRONMENT_ADMIN", "ORGANIZATION_ADMIN"])
    );
    let token = s.token(&s.admin.env, &id, &secret).await;
    s.get_as(&token, "/v1/environments").await.expect(200);
}

async fn last_organisation_admin_is_kept(s: TestServer) {
    let path = s.env_path(&format!("/applications/{}", s.admin.client_id));
    s.delete(&path).await.expect_error(409, "CONFLICT", &[]);
    s.put(
        &path,
        json!({"name": "vouch admin", "type": "WORKER", "roles": []}),
    )
    .await
    .expect_error(409, "CONFLICT", &[]);
    s.put(
        &path,
        json!({"name": "vouch admin", "type": "WORKER", "enabled": false}),
    )
    .await
    .expect_error(409, "CONFLICT", &[]);
    s.get("/v1/environments").await.expect(200);
}

async fn unknown_application_is_404(s: TestServer) {
    let path = s.env_path(&format!("/applications/{}", uuid::Uuid::new_v4()));
    s.get(&path).await.expect_error(404, "NOT_FOUND", &[]);
    s.put(&path, json!({"name": "w", "type": "WORKER"}))
        .await
        .expect_error(404, "NOT_FOUND", &[]);
    s.delete(&path).await.expect_error(404, "NOT_FOUND", &[]);
    s.get(&format!("{path}/secret"))
        .await
        .expect_error(404, "NOT_FOUND", &[]);
    s.post(&format!("{path}/secret"), json!({}))
        .await
        .expect_error(404, "NOT_FOUND", &[]);
}
