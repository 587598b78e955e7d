use serde_json::json;

use crate::backend_tests;
use crate::common::TestServer;

backend_tests!(
    profile_is_created_with_the_environment,
    put_and_post_set_the_profile,
    validation_errors_name_their_target,
);

async fn profile_is_created_with_the_environment(s: TestServer) {
    let p = s
        .get(&s.env_path("/credentialIssuerProfile"))
        .await
        .expect(200);
    assert_eq!(p.json["name"], "Default");
    assert_eq!(p.json["environment"]["id"], s.admin.env.as_str());
    assert!(uuid::Uuid::parse_str(p.json["applicationInstance"]["id"].as_str().unwrap()).is_ok());
    assert_eq!(
        p.json["_links"]["self"]["href"],
        s.url(&s.env_path("/credentialIssuerProfile"))
    );
}

async fn put_and_post_set_the_profile(s: TestServer) {
    let path = s.env_path("/credentialIssuerProfile");
    let before = s.get(&path).await.expect(200);
    let logo = "data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==";
    let put = s
        .put(
            &path,
            json!({"name": "BX Insurance", "siteUrl": "https://bx.example", "logo": logo}),
        )
        .await
        .expect(200);
    assert_eq!(put.json["name"], "BX Insurance");
    assert_eq!(put.json["siteUrl"], "https://bx.example");
    assert_eq!(put.json["logo"], logo);
    assert_eq!(put.json["id"], before.json["id"]);
    assert_eq!(
        put.json["applicationInstance"],
        before.json["applicationInstance"]
    );
    assert_ne!(put.json["updatedAt"], before.json["updatedAt"]);
    let posted = s
        .post(
            &path,
            json!({"name": "BX", "logo": "https://bx.example/logo.png"}),
        )
        .await
        .expect(200);
    assert!(
        posted.json.get("siteUrl").is_none(),
        "a set replaces the whole profile"
    );
    assert_eq!(
        s.get(&path).await.json["logo"],
        "https://bx.example/logo.png"
    );
}

async fn validation_errors_name_their_target(s: TestServer) {
    let path = s.env_path("/credentialIssuerProfile");
    s.put(&path, json!({}))
        .await
        .expect_error(400, "INVALID_DATA", &["name"]);
    s.put(&path, json!({"name": "x", "siteUrl": "not a url"}))
        .await
        .expect_error(400, "INVALID_DATA", &["siteUrl"]);
    s.put(
        &path,
        json!({"name": "x", "logo": "http://insecure.example/logo.png"}),
    )
    .await
    .expect_error(400, "INVALID_DATA", &["logo"]);
    s.put(
        &path,
        json!({"name": "x", "logo": "data:text/html;base64,PGI+"}),
    )
    .await
    .expect_error(400, "INVALID_DATA", &["logo"]);
    let big = format!("data:image/png;base64,{}", "A".repeat(30 * 1024));
    let r = s
        .put(&path, json!({"name": "x", "logo": big}))
        .await
        .expect_error(400, "INVALID_DATA", &["logo"]);
    assert_eq!(r.json["details"][0]["code"], "SIZE_LIMIT_EXCEEDED");
    s.post(&path, json!({"name": ""}))
        .await
        .expect_error(400, "INVALID_DATA", &["name"]);
    assert_eq!(
        s.get(&path).await.json["name"],
        "Default",
        "nothing changed"
    );
}
