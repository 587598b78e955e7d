//! The OpenAPI document covers every route, and every documented route is served.

use std::collections::BTreeSet;

use crate::common::{Backend, TestServer};

/// `(METHOD, path)` of every route macro in `src/http`.
fn routes_in_source() -> BTreeSet<(String, String)> {
    let mut routes = BTreeSet::new();
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/src/http");
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        let text = std::fs::read_to_string(&path).unwrap();
        assert!(
            !text.contains(".route(") && !text.contains("web::resource("),
            "{}: register routes with #[get]/#[post]/… and .service() so they are documented",
            path.display()
        );
        // `#[get("/path")]`, possibly wrapped over several lines by rustfmt
        for method in ["get", "post", "put", "patch", "delete"] {
            for (at, _) in text.match_indices(&format!("#[{method}(")) {
                let route = text[at..].split('"').nth(1).unwrap();
                routes.insert((method.to_uppercase(), route.to_string()));
            }
        }
    }
    routes
}

fn documented() -> BTreeSet<(String, String)> {
    let api = serde_json::to_value(vouch::http::openapi()).unwrap();
    let mut routes = BTreeSet::new();
    for (path, item) in api["paths"].as_object().unwrap() {
        for method in item.as_object().unwrap().keys() {
            routes.insert((method.to_uppercase(), path.clone()));
        }
    }
    routes
}

#[test]
fn every_route_in_the_source_is_documented() {
    let source = routes_in_source();
    let documented = documented();
    assert!(source.len() >= 40, "found {} routes", source.len());
    let missing: Vec<_> = source.difference(&documented).collect();
    assert!(
        missing.is_empty(),
        "routes without OpenAPI documentation: {missing:?}"
    );
    let stale: Vec<_> = documented.difference(&source).collect();
    assert!(
        stale.is_empty(),
        "documented routes with no handler: {stale:?}"
    );
}

#[test]
fn every_operation_documents_its_responses() {
    let api = serde_json::to_value(vouch::http::openapi()).unwrap();
    for (path, item) in api["paths"].as_object().unwrap() {
        for (method, op) in item.as_object().unwrap() {
            let responses = op["responses"].as_object().unwrap();
            assert!(!responses.is_empty(), "{method} {path} lists no responses");
            if path.starts_with("/v1/environments") {
                assert!(
                    responses.contains_key("401"),
                    "{method} {path} lacks its 401"
                );
                assert!(
                    responses.contains_key("403"),
                    "{method} {path} lacks its 403"
                );
                if ["post", "put", "patch"].contains(&method.as_str())
                    && op.get("requestBody").is_some()
                {
                    assert!(op.get("requestBody").is_some());
                    assert!(
                        responses.contains_key("400"),
                        "{method} {path} lacks its 400"
                    );
                }
            }
        }
    }
    assert!(api["components"]["schemas"]["ErrorBody"].is_object());
    assert!(api["components"]["securitySchemes"]["bearer"].is_object());
}

#[actix_web::test]
async fn every_documented_route_is_served() {
    let s = TestServer::start(Backend::Sqlite).await;
    let doc = s.get_as("", "/v1/openapi.json").await.expect(200);
    assert_eq!(doc.json["openapi"], "3.1.0");
    let docs_page = s.get_as("", "/docs").await.expect(200);
    assert!(
        docs_page
            .header("content-type")
            .unwrap()
            .starts_with("text/html")
    );
    assert!(docs_page.text.contains("/v1/environments"));
    let id = uuid::Uuid::new_v4().to_string();
    for (method, template) in documented() {
        let path: String = template
            .split('/')
            .map(|seg| {
                if seg.starts_with('{') {
                    id.as_str()
                } else {
                    seg
                }
            })
            .collect::<Vec<_>>()
            .join("/");
        let r = s
            .send(
                s.req(method.parse().unwrap(), &path, "")
                    .header("content-type", "application/json")
                    .body("{}"),
            )
            .await;
        // the fallback answers NOT_FOUND / METHOD_NOT_ALLOWED with its own messages
        assert_ne!(
            r.status, 405,
            "{method} {template} is documented but not routed"
        );
        assert_ne!(
            r.json["message"], "The requested resource was not found.",
            "{method} {template} is documented but not routed"
        );
    }
}
