use reqwest::Method;
use serde_json::json;

use crate::backend_tests;
use crate::common::TestServer;

backend_tests!(
    create_read_replace_delete,
    created_environment_starts_with_its_parts,
    validation_errors_name_their_target,
    names_are_unique,
    only_organisation_admins_manage_environments,
    missing_and_bad_tokens_get_401,
    unknown_environment_is_404,
    paging_follows_cursors,
    deleting_cascades_and_ends_tokens,
    last_organisation_admin_is_kept,
);

async fn create_read_replace_delete(s: TestServer) {
    let created = s
        .post("/v1/environments", json!({"name": "BX Insurance", "description": "Auto policies", "type": "PRODUCTION", "region": "EU"}))
        .await
        .expect(201);
    let id = created.json["id"].as_str().unwrap().to_string();
    assert_eq!(created.json["name"], "BX Insurance");
    assert_eq!(created.json["type"], "PRODUCTION");
    assert_eq!(created.json["region"], "EU");
    assert_eq!(
        created.header("location"),
        Some(s.url(&format!("/v1/environments/{id}")).as_str())
    );
    assert_eq!(
        created.json["_links"]["self"]["href"],
        s.url(&format!("/v1/environments/{id}"))
    );

    let read = s.get(&format!("/v1/environments/{id}")).await.expect(200);
    assert_eq!(read.json["description"], "Auto policies");
    assert!(
        read.json.get("adminApplication").is_none(),
        "credentials are shown only once"
    );

    let replaced = s
        .put(
            &format!("/v1/environments/{id}"),
            json!({"name": "BX Insurance EU"}),
        )
        .await
        .expect(200);
    assert_eq!(replaced.json["name"], "BX Insurance EU");
    assert_eq!(
        replaced.json["type"], "SANDBOX",
        "PUT replaces: omitted type falls back to its default"
    );
    assert!(replaced.json.get("description").is_none());
    assert_ne!(replaced.json["updatedAt"], created.json["updatedAt"]);

    s.delete(&format!("/v1/environments/{id}"))
        .await
        .expect(204);
    s.get(&format!("/v1/environments/{id}"))
        .await
        .expect_error(404, "NOT_FOUND", &[]);
}

async fn created_environment_starts_with_its_parts(s: TestServer) {
    let created = s
        .post("/v1/environments", json!({"name": "Agency"}))
        .await
        .expect(201);
    let admin = &created.json["adminApplication"];
    let env = created.json["id"].as_str().unwrap();
    assert_eq!(admin["tokenEndpoint"], s.url(&format!("/{env}/as/token")));
    assert_eq!(created.header("cache-control"), Some("no-store"));
    let token = s
        .token(
            env,
            admin["clientId"].as_str().unwrap(),
            admin["clientSecret"].as_str().unwrap(),
        )
        .await;
    let base = format!("/v1/environments/{env}");
    let profile = s
        .get_as(&token, &format!("{base}/credentialIssuerProfile"))
        .await
        .expect(200);
    assert_eq!(profile.json["name"], "Agency");
    let populations = s
        .get_as(&token, &format!("{base}/populations"))
        .await
        .expect(200);
    assert_eq!(populations.json["size"], 1);
    assert_eq!(
        populations.json["_embedded"]["populations"][0]["default"],
        true
    );
    let apps = s
        .get_as(&token, &format!("{base}/applications"))
        .await
        .expect(200);
    assert_eq!(
        apps.json["_embedded"]["applications"][0]["roles"],
        json!(["ENVIRONMENT_ADMIN"])
    );
    let jwks = s.get_as("", &format!("/{env}/as/jwks")).await.expect(200);
    assert_eq!(jwks.json["keys"].as_array().unwrap().len(), 1);
    assert!(
        jwks.json["keys"][0].get("d").is_none(),
        "no private key material"
    );
}

async fn validation_errors_name_their_target(s: TestServer) {
    s.post("/v1/environments", json!({}))
        .await
        .expect_error(400, "INVALID_DATA", &["name"]);
    s.post("/v1/environments", json!({"name": " "}))
        .await
        .expect_error(400, "INVALID_DATA", &["name"]);
    let r = s
        .post(
            "/v1/environments",
            json!({"name": "x".repeat(257), "type": "DEV", "region": "MARS"}),
        )
        .await
        .expect_error(400, "INVALID_DATA", &["name", "type", "region"]);
    assert_eq!(r.json["details"][0]["code"], "SIZE_LIMIT_EXCEEDED");
    assert_eq!(r.json["details"][1]["code"], "INVALID_VALUE");
    assert_eq!(
        r.json["details"][1]["innerError"]["allowedValues"],
        json!(["SANDBOX", "PRODUCTION"])
    );
    s.post("/v1/environments", json!({"name": 5}))
        .await
        .expect_error(400, "INVALID_DATA", &["name"]);
    s.post(
        "/v1/environments",
        json!({"name": "ok", "description": "d".repeat(1025)}),
    )
    .await
    .expect_error(400, "INVALID_DATA", &["description"]);
    let env = s.env_path("");
    s.put(&env, json!({"type": "PRODUCTION"}))
        .await
        .expect_error(400, "INVALID_DATA", &["name"]);
    // nothing was stored half-way
    let list = s.get("/v1/environments").await.expect(200);
    assert_eq!(list.json["size"], 1);
}

async fn names_are_unique(s: TestServer) {
    s.post("/v1/environments", json!({"name": "Law Society"}))
        .await
        .expect(201);
    s.post("/v1/environments", json!({"name": "Law Society"}))
        .await
        .expect_error(409, "UNIQUENESS_VIOLATION", &["name"]);
    s.put(&s.env_path(""), json!({"name": "Law Society"}))
        .await
        .expect_error(409, "UNIQUENESS_VIOLATION", &["name"]);
    assert_eq!(s.get("/v1/environments").await.json["size"], 2);
}

async fn only_organisation_admins_manage_environments(s: TestServer) {
    let other = s.new_environment("Tenant").await;
    let t = &other.token;
    s.json_as(
        Method::POST,
        t,
        "/v1/environments",
        &json!({"name": "Nope"}),
    )
    .await
    .expect_error(403, "ACCESS_FAILED", &[]);
    s.get_as(t, "/v1/environments")
        .await
        .expect_error(403, "ACCESS_FAILED", &[]);
    s.json_as(
        Method::PUT,
        t,
        &format!("/v1/environments/{}", other.env),
        &json!({"name": "Renamed"}),
    )
    .await
    .expect_error(403, "ACCESS_FAILED", &[]);
    s.send(s.req(
        Method::DELETE,
        &format!("/v1/environments/{}", other.env),
        t,
    ))
    .await
    .expect_error(403, "ACCESS_FAILED", &[]);
    // a worker may read its own environment, not another
    s.get_as(t, &format!("/v1/environments/{}", other.env))
        .await
        .expect(200);
    s.get_as(t, &s.env_path(""))
        .await
        .expect_error(403, "ACCESS_FAILED", &[]);
}

async fn missing_and_bad_tokens_get_401(s: TestServer) {
    let r = s
        .get_as("", "/v1/environments")
        .await
        .expect_error(401, "ACCESS_FAILED", &[]);
    assert_eq!(r.header("www-authenticate"), Some("Bearer realm=\"vouch\""));
    let r = s
        .get_as("not.a.jwt", "/v1/environments")
        .await
        .expect_error(401, "ACCESS_FAILED", &[]);
    assert!(
        r.header("www-authenticate")
            .unwrap()
            .contains("invalid_token")
    );
    s.send(
        s.http
            .get(s.url("/v1/environments"))
            .header("authorization", "Basic abc"),
    )
    .await
    .expect_error(401, "ACCESS_FAILED", &[]);
    // a token whose payload was altered fails its signature check
    let mut parts: Vec<String> = s.admin.token.split('.').map(str::to_string).collect();
    parts[1] = parts[1].chars().rev().collect();
    s.get_as(&parts.join("."), "/v1/environments")
        .await
        .expect_error(401, "ACCESS_FAILED", &[]);
}

async fn unknown_environment_is_404(s: TestServer) {
    let id = uuid::Uuid::new_v4();
    s.get(&format!("/v1/environments/{id}"))
        .await
        .expect_error(404, "NOT_FOUND", &[]);
    s.put(&format!("/v1/environments/{id}"), json!({"name": "x"}))
        .await
        .expect_error(404, "NOT_FOUND", &[]);
    s.delete(&format!("/v1/environments/{id}"))
        .await
        .expect_error(404, "NOT_FOUND", &[]);
}

async fn paging_follows_cursors(s: TestServer) {
    for i in 0..5 {
        s.post("/v1/environments", json!({"name": format!("Env {i}")}))
            .await
            .expect(201);
    }
    let first = s.get("/v1/environments?limit=2").await.expect(200);
    assert_eq!(first.json["size"], 2);
    assert!(
        first.json["_links"]["next"]["href"]
            .as_str()
            .unwrap()
            .contains("cursor=")
    );
    let ids = s
        .collect_ids(&s.admin.token, "/v1/environments?limit=2", "environments")
        .await;
    assert_eq!(ids.len(), 6);
    let mut unique = ids.clone();
    unique.sort();
    unique.dedup();
    assert_eq!(unique.len(), 6, "no environment appears twice");
    let all = s.get("/v1/environments?limit=6").await.expect(200);
    assert!(all.json["_links"].get("next").is_none());
    s.get("/v1/environments?limit=0")
        .await
        .expect_error(400, "INVALID_REQUEST", &["limit"]);
    s.get("/v1/environments?limit=1001")
        .await
        .expect_error(400, "INVALID_REQUEST", &["limit"]);
    s.get("/v1/environments?cursor=bogus")
        .await
        .expect_error(400, "INVALID_REQUEST", &["cursor"]);
}

async fn deleting_cascades_and_ends_tokens(s: TestServer) {
    let other = s.new_environment("Short-lived").await;
    let base = format!("/v1/environments/{}", other.env);
    let user = s
        .json_as(
            Method::POST,
            &other.token,
            &format!("{base}/users"),
            &json!({"username": "jane"}),
        )
        .await
        .expect(201)
        .id();
    s.json_as(
        Method::POST,
        &other.token,
        &format!("{base}/groups"),
        &json!({"name": "G"}),
    )
    .await
    .expect(201);
    let type_id = s
        .json_as(
            Method::POST,
            &other.token,
            &format!("{base}/credentialTypes"),
            &crate::credential_types::managed_type("Short"),
        )
        .await
        .expect(201)
        .id();
    s.json_as(
        Method::POST,
        &other.token,
        &format!("{base}/users/{user}/credentials"),
        &json!({"credentialType": {"id": type_id}, "data": {"Policy ID": "p"}}),
    )
    .await
    .expect(201);
    s.json_as(
        Method::PUT,
        &other.token,
        &format!("{base}/credentialTypes/{type_id}"),
        &{
            let mut t = crate::credential_types::managed_type("Short");
            t["description"] = json!("v2");
            t
        },
    )
    .await
    .expect(200);
    s.delete(&base).await.expect(204);
    s.get_as(&other.token, &format!("{base}/users"))
        .await
        .expect_error(401, "ACCESS_FAILED", &[]);
    s.get_as("", &format!("/{}/as/jwks", other.env))
        .await
        .expect_error(404, "NOT_FOUND", &[]);
    let env = other.env.clone();
    let leftover: i64 = s
        .ctx
        .store
        .read(move |conn| {
            use diesel::prelude::*;
            use vouch::store::schema::{
                applications, credential_type_versions, credential_types, issuer_profiles,
                populations, signing_keys, user_credentials, user_groups, users,
            };
            let n = users::table
                .filter(users::environment_id.eq(&env))
                .count()
                .get_result::<i64>(conn)?
                + user_groups::table
                    .filter(user_groups::environment_id.eq(&env))
                    .count()
                    .get_result::<i64>(conn)?
                + populations::table
                    .filter(populations::environment_id.eq(&env))
                    .count()
                    .get_result::<i64>(conn)?
                + applications::table
                    .filter(applications::environment_id.eq(&env))
                    .count()
                    .get_result::<i64>(conn)?
                + signing_keys::table
                    .filter(signing_keys::environment_id.eq(&env))
                    .count()
                    .get_result::<i64>(conn)?
                + issuer_profiles::table
                    .filter(issuer_profiles::environment_id.eq(&env))
                    .count()
                    .get_result::<i64>(conn)?
                + credential_types::table
                    .filter(credential_types::environment_id.eq(&env))
                    .count()
                    .get_result::<i64>(conn)?
                + credential_type_versions::table
                    .filter(credential_type_versions::environment_id.eq(&env))
                    .count()
                    .get_result::<i64>(conn)?
                + user_credentials::table
                    .filter(user_credentials::environment_id.eq(&env))
                    .count()
                    .get_result::<i64>(conn)?;
            Ok::<_, vouch::service::Error>(n)
        })
        .await
        .unwrap();
    assert_eq!(
        leftover, 0,
        "deleting an environment deletes everything in it"
    );
}

async fn last_organisation_admin_is_kept(s: TestServer) {
    s.delete(&s.env_path(""))
        .await
        .expect_error(409, "CONFLICT", &[]);
    s.get(&s.env_path("")).await.expect(200);
}
