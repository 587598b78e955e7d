//! Health, readiness and metrics.

use diesel::Connection;
use diesel::connection::SimpleConnection;

use crate::backend_tests;
use crate::common::{Backend, TestServer, postgres_base_url};

backend_tests!(health_and_metrics);

async fn health_and_metrics(s: TestServer) {
    assert_eq!(
        s.get_as("", "/healthz").await.expect(200).json["status"],
        "UP"
    );
    assert_eq!(
        s.get_as("", "/readyz").await.expect(200).json["status"],
        "UP"
    );
    let user = s
        .post(&s.env_path("/users"), serde_json::json!({"username": "m"}))
        .await
        .expect(201);
    let id = user.json["id"].as_str().unwrap();
    s.get(&s.env_path(&format!("/users/{id}")))
        .await
        .expect(200);
    let metrics = s.get_as("", "/metrics").await.expect(200);
    assert!(
        metrics
            .header("content-type")
            .unwrap()
            .starts_with("text/plain; version=0.0.4")
    );
    assert!(metrics.text.contains(
        "vouch_http_requests_total{method=\"POST\",route=\"/v1/environments/{environmentId}/users\",status=\"201\"} 1"
    ), "{}", metrics.text);
    assert!(metrics.text.contains(
        "vouch_http_request_duration_seconds_count{method=\"GET\",route=\"/v1/environments/{environmentId}/users/{userId}\"} 1"
    ));
    assert!(!metrics.text.contains(id), "ids never become labels");
    assert!(!metrics.text.contains(&s.admin.env));
}

/// With its database gone, the server stays live but is not ready.
#[actix_web::test]
async fn readyz_is_503_without_the_database() {
    let base = postgres_base_url();
    let name = format!("vouch_ready_{}", uuid::Uuid::new_v4().simple());
    let mut admin = diesel::PgConnection::establish(&base).expect("PostgreSQL");
    admin
        .batch_execute(&format!("CREATE DATABASE {name}"))
        .unwrap();
    let url = match base.rfind('/') {
        Some(i) => format!("{}/{name}", &base[..i]),
        None => panic!("database URL without a path: {base}"),
    };
    let s = TestServer::start_with(Backend::Postgres, |c| c.database_url = url.clone()).await;
    s.get_as("", "/readyz").await.expect(200);
    admin
        .batch_execute(&format!("DROP DATABASE {name} WITH (FORCE)"))
        .unwrap();
    let r = s.get_as("", "/readyz").await.expect(503);
    assert_eq!(r.json["status"], "DOWN");
    assert_eq!(
        s.get_as("", "/healthz").await.expect(200).json["status"],
        "UP"
    );
}
