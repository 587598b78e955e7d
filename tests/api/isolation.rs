//! Tenant isolation: a token of environment A can neither read nor change anything in
//! environment B. The walk covers every documented route under `/v1/environments/{id}`,
//! so a route added later is checked without touching this test.

use reqwest::Method;
use serde_json::json;

use crate::backend_tests;
use crate::common::TestServer;

backend_tests!(tokens_of_one_environment_cannot_touch_another);

async fn tokens_of_one_environment_cannot_touch_another(s: TestServer) {
    let a = s.new_environment("Tenant A").await;
    let b = s.new_environment("Tenant B").await;
    let base_b = format!("/v1/environments/{}", b.env);
    let user = s
        .json_as(
            Method::POST,
            &b.token,
            &format!("{base_b}/users"),
            &json!({"username": "b-user"}),
        )
        .await
        .expect(201);
    let user_id = user.json["id"].as_str().unwrap().to_string();
    let group_id = s
        .json_as(
            Method::POST,
            &b.token,
            &format!("{base_b}/groups"),
            &json!({"name": "b-group"}),
        )
        .await
        .expect(201)
        .json["id"]
        .as_str()
        .unwrap()
        .to_string();
    s.json_as(
        Method::POST,
        &b.token,
        &format!("{base_b}/users/{user_id}/memberOfGroups"),
        &json!({"id": group_id}),
    )
    .await
    .expect(201);
    let population_id = user.json["population"]["id"].as_str().unwrap().to_string();
    let credential_type = s
        .json_as(
            Method::POST,
            &b.token,
            &format!("{base_b}/credentialTypes"),
            &crate::credential_types::managed_type("B card"),
        )
        .await
        .expect(201);
    let type_id = credential_type.id();
    let type_version = credential_type.str("/version/id");
    let credential_id = s
        .json_as(
            Method::POST,
            &b.token,
            &format!("{base_b}/users/{user_id}/credentials"),
            &json!({"credentialType": {"id": type_id}, "data": {"Policy ID": "B-1"}}),
        )
        .await
        .expect(201)
        .id();

    let session_id = s
        .json_as(
            Method::POST,
            &b.token,
            &format!("{base_b}/presentationSessions"),
            &json!({"dcqlQuery": {"credentials": [{"id": "c", "format": "dc+sd-jwt", "meta": {"vct_values": ["https://x/t"]}}]}}),
        )
        .await
        .expect(201)
        .id();

    let api = vouch::http::openapi();
    let paths = serde_json::to_value(&api).unwrap()["paths"]
        .as_object()
        .unwrap()
        .clone();
    let mut checked = 0;
    for (template, item) in &paths {
        if !template.starts_with("/v1/environments/{environmentId}") {
            continue;
        }
        let path = template
            .replace("{environmentId}", &b.env)
            .replace("{applicationId}", &b.client_id)
            .replace("{userId}", &user_id)
            .replace("{groupId}", &group_id)
            .replace("{populationId}", &population_id)
            .replace("{credentialTypeId}", &type_id)
            .replace("{credentialTypeVersionId}", &type_version)
            .replace("{credentialId}", &credential_id)
            .replace("{deferredRequestId}", &uuid::Uuid::new_v4().to_string())
            .replace("{sessionId}", &session_id);
        assert!(
            !path.contains('{'),
            "a path parameter the walk does not know: {template}"
        );
        for method in item.as_object().unwrap().keys() {
            let method: Method = method.to_uppercase().parse().unwrap();
            // A's own worker, and the organisation admin of the bootstrap environment
            for token in [&a.token, &s.admin.token] {
                let is_env_record = *template == "/v1/environments/{environmentId}";
                if is_env_record && token == &s.admin.token {
                    continue; // managing environment records is what the organisation admin may do
                }
                let r = s
                    .send(
                        s.req(method.clone(), &path, token)
                            .json(&json!({"name": "x", "username": "x", "id": group_id})),
                    )
                    .await;
                assert_eq!(
                    r.status, 403,
                    "{method} {template} with a foreign token: {}",
                    r.text
                );
                assert_eq!(r.json["code"], "ACCESS_FAILED");
                checked += 1;
            }
        }
    }
    assert!(
        checked >= 60,
        "the walk must cover the management API ({checked} requests)"
    );
    // B is untouched
    let u = s
        .get_as(&b.token, &format!("{base_b}/users/{user_id}"))
        .await
        .expect(200);
    assert_eq!(u.json["username"], "b-user");
    assert_eq!(u.json["memberOfGroupIDs"], json!([group_id]));
    s.get_as(&b.token, &format!("{base_b}/applications/{}", b.client_id))
        .await
        .expect(200);
    assert_eq!(
        s.get_as(&b.token, &base_b).await.expect(200).json["name"],
        "Tenant B"
    );
    let credential = s
        .get_as(
            &b.token,
            &format!("{base_b}/users/{user_id}/credentials/{credential_id}"),
        )
        .await
        .expect(200);
    assert_eq!(credential.json["status"], "PENDING");
    assert!(
        s.get_as(&b.token, &format!("{base_b}/credentialTypes/{type_id}"))
            .await
            .expect(200)
            .json
            .get("deletedAt")
            .is_none()
    );
    s.token(&b.env, &b.client_id, &b.secret).await;
}
