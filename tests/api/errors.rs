//! The error model: 400/404/405/413/415 in PingOne's body shape.

use serde_json::json;

use crate::backend_tests;
use crate::common::TestServer;

backend_tests!(
    malformed_json_names_the_position,
    wrong_types_name_the_json_path,
    wrong_content_type_is_415,
    oversized_bodies_are_413,
    unknown_routes_and_methods,
);

async fn malformed_json_names_the_position(s: TestServer) {
    let r = s
        .send(
            s.req(reqwest::Method::POST, "/v1/environments", &s.admin.token)
                .header("content-type", "application/json")
                .body("{\n  \"name\": \"x\",\n  oops\n}"),
        )
        .await
        .expect_error(400, "INVALID_REQUEST", &["body"]);
    assert_eq!(
        r.json["details"][0]["innerError"],
        json!({"line": 3, "column": 3})
    );
    assert!(
        r.json["message"]
            .as_str()
            .unwrap()
            .contains("line 3, column 3")
    );
    let trailing = s
        .send(
            s.req(reqwest::Method::POST, "/v1/environments", &s.admin.token)
                .header("content-type", "application/json")
                .body("{\"name\": \"x\"} {}"),
        )
        .await
        .expect_error(400, "INVALID_REQUEST", &["body"]);
    assert_eq!(trailing.json["details"][0]["innerError"]["column"], 15);
    s.send(
        s.req(reqwest::Method::POST, "/v1/environments", &s.admin.token)
            .header("content-type", "application/json"),
    )
    .await
    .expect_error(400, "INVALID_REQUEST", &["body"]);
    assert_eq!(s.get("/v1/environments").await.json["size"], 1);
}

async fn wrong_types_name_the_json_path(s: TestServer) {
    let r = s
        .post(
            &s.env_path("/groups"),
            json!({"name": "g", "population": {"id": 7}}),
        )
        .await
        .expect_error(400, "INVALID_DATA", &["population.id"]);
    assert!(
        r.json["details"][0]["message"]
            .as_str()
            .unwrap()
            .contains("expected a string")
    );
    s.post(
        &s.env_path("/applications"),
        json!({"name": "w", "type": "WORKER", "grantTypes": [1]}),
    )
    .await
    .expect_error(400, "INVALID_DATA", &["grantTypes[0]"]);
    s.post("/v1/environments", json!(["not", "an", "object"]))
        .await
        .expect_error(400, "INVALID_DATA", &[""]);
}

async fn wrong_content_type_is_415(s: TestServer) {
    let r = s
        .send(
            s.req(reqwest::Method::POST, "/v1/environments", &s.admin.token)
                .header("content-type", "text/plain")
                .body("{\"name\": \"x\"}"),
        )
        .await
        .expect_error(415, "UNSUPPORTED_MEDIA_TYPE", &[]);
    assert!(r.json["message"].as_str().unwrap().contains("text/plain"));
    s.send(
        s.req(
            reqwest::Method::PUT,
            &s.env_path("/credentialIssuerProfile"),
            &s.admin.token,
        )
        .body("{}"),
    )
    .await
    .expect_error(415, "UNSUPPORTED_MEDIA_TYPE", &[]);
    // vendor JSON types are JSON
    s.send(
        s.req(
            reqwest::Method::PUT,
            &s.env_path("/credentialIssuerProfile"),
            &s.admin.token,
        )
        .header(
            "content-type",
            "application/vnd.pingidentity.example+json; charset=utf-8",
        )
        .body("{\"name\": \"Vendor\"}"),
    )
    .await
    .expect(200);
}

async fn oversized_bodies_are_413(s: TestServer) {
    // the test server accepts 64 KiB
    let big = json!({"name": "x", "description": "d".repeat(70 * 1024)});
    s.post("/v1/environments", big)
        .await
        .expect_error(413, "REQUEST_TOO_LARGE", &[]);
    // a chunked body announces no length: the limit is enforced while reading
    let mut request = format!(
        "POST /v1/environments HTTP/1.1\r\nhost: {}\r\nauthorization: Bearer {}\r\n\
         content-type: application/json\r\ntransfer-encoding: chunked\r\nconnection: close\r\n\r\n",
        s.base.trim_start_matches("http://"),
        s.admin.token
    );
    for _ in 0..80 {
        request.push_str(&format!("400\r\n{}\r\n", " ".repeat(1024)));
    }
    request.push_str("0\r\n\r\n");
    let response = crate::common::raw_http(&s.base, request.as_bytes()).await;
    assert!(response.starts_with("HTTP/1.1 413"), "{response}");
    assert!(response.contains("REQUEST_TOO_LARGE"), "{response}");
    assert_eq!(s.get("/v1/environments").await.json["size"], 1);
}

async fn unknown_routes_and_methods(s: TestServer) {
    s.get("/v1/nothing-here")
        .await
        .expect_error(404, "NOT_FOUND", &[]);
    let r = s
        .send(
            s.req(reqwest::Method::PATCH, "/v1/environments", &s.admin.token)
                .json(&json!({})),
        )
        .await
        .expect_error(405, "METHOD_NOT_ALLOWED", &[]);
    assert_eq!(r.header("allow"), Some("GET, POST"));
    let r = s
        .delete("/healthz")
        .await
        .expect_error(405, "METHOD_NOT_ALLOWED", &[]);
    assert_eq!(r.header("allow"), Some("GET"));
}
