//! Users, groups, memberships and populations.

use serde_json::{Value, json};

use crate::backend_tests;
use crate::common::TestServer;

backend_tests!(
    user_lifecycle_with_custom_attributes,
    usernames_are_unique_ignoring_case,
    user_validation_errors_name_their_target,
    users_move_between_populations,
    groups_and_memberships,
    population_limited_groups,
    populations_and_the_default,
    users_page_with_cursors,
);

async fn user_lifecycle_with_custom_attributes(s: TestServer) {
    let users = s.env_path("/users");
    let created = s
        .post(
            &users,
            json!({
                "username": "john.smith",
                "email": "john@bx.example",
                "name": {"given": "John", "family": "Smith"},
                "policyId": "BX-1234",
                "vehicles": [{"plate": "AB-12-CD", "year": 2019}],
                "address": {"locality": "Utrecht", "countryCode": "NL"}
            }),
        )
        .await
        .expect(201);
    let id = created.json["id"].as_str().unwrap().to_string();
    assert_eq!(created.json["enabled"], true);
    assert_eq!(created.json["vehicles"][0]["year"], 2019);
    assert_eq!(created.json["memberOfGroupIDs"], json!([]));
    let default_population =
        s.get(&s.env_path("/populations")).await.json["_embedded"]["populations"][0]["id"].clone();
    assert_eq!(created.json["population"]["id"], default_population);
    assert_eq!(
        created.header("location"),
        created.json["_links"]["self"]["href"].as_str()
    );

    let read = s.get(&format!("{users}/{id}")).await.expect(200);
    assert_eq!(read.json["policyId"], "BX-1234");

    let patched = s
        .patch(
            &format!("{users}/{id}"),
            json!({"name": {"family": "Smith-Jones"}, "policyId": null, "enabled": false}),
        )
        .await
        .expect(200);
    assert_eq!(
        patched.json["name"],
        json!({"given": "John", "family": "Smith-Jones"})
    );
    assert!(patched.json.get("policyId").is_none());
    assert_eq!(patched.json["enabled"], false);
    assert_eq!(patched.json["vehicles"][0]["plate"], "AB-12-CD");

    let replaced = s
        .put(
            &format!("{users}/{id}"),
            json!({"username": "john.smith", "email": "js@bx.example"}),
        )
        .await
        .expect(200);
    assert!(
        replaced.json.get("vehicles").is_none(),
        "PUT replaces every attribute"
    );
    assert_eq!(replaced.json["enabled"], true);
    assert_eq!(
        replaced.json["population"]["id"], default_population,
        "population kept"
    );

    s.delete(&format!("{users}/{id}")).await.expect(204);
    s.get(&format!("{users}/{id}"))
        .await
        .expect_error(404, "NOT_FOUND", &[]);
    s.delete(&format!("{users}/{id}"))
        .await
        .expect_error(404, "NOT_FOUND", &[]);
    s.patch(&format!("{users}/{id}"), json!({}))
        .await
        .expect_error(404, "NOT_FOUND", &[]);
}

async fn usernames_are_unique_ignoring_case(s: TestServer) {
    let users = s.env_path("/users");
    s.post(&users, json!({"username": "Jane"}))
        .await
        .expect(201);
    s.post(&users, json!({"username": "jane"}))
        .await
        .expect_error(409, "UNIQUENESS_VIOLATION", &["username"]);
    let other = s.post(&users, json!({"username": "joe"})).await.expect(201);
    let id = other.json["id"].as_str().unwrap();
    s.put(&format!("{users}/{id}"), json!({"username": "JANE"}))
        .await
        .expect_error(409, "UNIQUENESS_VIOLATION", &["username"]);
    s.patch(&format!("{users}/{id}"), json!({"username": "jAnE"}))
        .await
        .expect_error(409, "UNIQUENESS_VIOLATION", &["username"]);
    assert_eq!(
        s.get(&format!("{users}/{id}")).await.json["username"],
        "joe"
    );
    // the same username is fine in another environment
    let other_env = s.new_environment("Other").await;
    s.json_as(
        reqwest::Method::POST,
        &other_env.token,
        &format!("/v1/environments/{}/users", other_env.env),
        &json!({"username": "jane"}),
    )
    .await
    .expect(201);
}

async fn user_validation_errors_name_their_target(s: TestServer) {
    let users = s.env_path("/users");
    s.post(&users, json!({}))
        .await
        .expect_error(400, "INVALID_DATA", &["username"]);
    let r = s
        .post(
            &users,
            json!({
                "username": "u",
                "email": "not-an-email",
                "name": {"given": 1, "nickname": "x"},
                "enabled": "yes",
                "photo": {"href": "http://x.example/p.png"},
                "title": 5,
                "1bad": true
            }),
        )
        .await
        .expect(400);
    let mut targets: Vec<String> = r.json["details"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["target"].as_str().unwrap().to_string())
        .collect();
    targets.sort();
    assert_eq!(
        targets,
        vec![
            "1bad",
            "email",
            "enabled",
            "name.given",
            "name.nickname",
            "photo.href",
            "title"
        ]
    );
    s.post(&users, json!({"username": "x".repeat(129)}))
        .await
        .expect_error(400, "INVALID_DATA", &["username"]);
    s.post(&users, json!({"username": " padded "}))
        .await
        .expect_error(400, "INVALID_DATA", &["username"]);
    s.post(
        &users,
        json!({"username": "u", "population": {"id": uuid::Uuid::new_v4()}}),
    )
    .await
    .expect_error(400, "INVALID_DATA", &["population.id"]);
    s.post(
        &users,
        json!({"username": "u", "population": {"id": "nope"}}),
    )
    .await
    .expect_error(400, "INVALID_DATA", &["population.id"]);
    let deep = (0..12).fold(json!(1), |acc, _| json!([acc]));
    s.post(&users, json!({"username": "u", "deep": deep}))
        .await
        .expect_error(400, "INVALID_DATA", &["deep"]);
    s.patch(&format!("{users}/{}", uuid::Uuid::new_v4()), json!([1]))
        .await
        .expect_error(400, "INVALID_DATA", &[""]);
    assert_eq!(s.get(&users).await.json["size"], 0, "nothing stored");
}

async fn users_move_between_populations(s: TestServer) {
    let contractors = s
        .post(&s.env_path("/populations"), json!({"name": "Contractors"}))
        .await
        .expect(201);
    let pid = contractors.json["id"].as_str().unwrap().to_string();
    let user = s
        .post(
            &s.env_path("/users"),
            json!({"username": "c1", "population": {"id": pid}}),
        )
        .await
        .expect(201);
    assert_eq!(user.json["population"]["id"], pid.as_str());
    let uid = user.json["id"].as_str().unwrap().to_string();
    let default = s.get(&s.env_path("/populations")).await.json["_embedded"]["populations"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["default"] == true)
        .unwrap()["id"]
        .as_str()
        .unwrap()
        .to_string();
    let moved = s
        .put(
            &s.env_path(&format!("/users/{uid}/population")),
            json!({"id": default}),
        )
        .await
        .expect(200);
    assert_eq!(moved.json["population"]["id"], default.as_str());
    s.put(
        &s.env_path(&format!("/users/{uid}/population")),
        json!({"id": uuid::Uuid::new_v4()}),
    )
    .await
    .expect_error(400, "INVALID_DATA", &["id"]);
    s.put(&s.env_path(&format!("/users/{uid}/population")), json!({}))
        .await
        .expect_error(400, "INVALID_DATA", &["id"]);
}

async fn groups_and_memberships(s: TestServer) {
    let groups = s.env_path("/groups");
    let g = s
        .post(&groups, json!({"name": "Current auto insurance subscribers", "description": "BX", "customData": {"tier": "gold"}}))
        .await
        .expect(201);
    let gid = g.json["id"].as_str().unwrap().to_string();
    assert_eq!(g.json["customData"], json!({"tier": "gold"}));
    s.post(
        &groups,
        json!({"name": "Current auto insurance subscribers"}),
    )
    .await
    .expect_error(409, "UNIQUENESS_VIOLATION", &["name"]);
    s.post(&groups, json!({"description": "no name"}))
        .await
        .expect_error(400, "INVALID_DATA", &["name"]);
    s.post(&groups, json!({"name": "x", "customData": "text"}))
        .await
        .expect_error(400, "INVALID_DATA", &["customData"]);
    s.post(
        &groups,
        json!({"name": "x", "population": {"id": uuid::Uuid::new_v4()}}),
    )
    .await
    .expect_error(400, "INVALID_DATA", &["population.id"]);

    let u = s
        .post(&s.env_path("/users"), json!({"username": "john"}))
        .await
        .expect(201);
    let uid = u.json["id"].as_str().unwrap().to_string();
    let member_path = s.env_path(&format!("/users/{uid}/memberOfGroups"));
    let added = s.post(&member_path, json!({"id": gid})).await.expect(201);
    assert_eq!(added.json["id"], gid.as_str());
    assert_eq!(added.json["type"], "DIRECT");
    s.post(&member_path, json!({"id": gid})).await.expect_error(
        409,
        "UNIQUENESS_VIOLATION",
        &["id"],
    );
    s.post(&member_path, json!({"id": uuid::Uuid::new_v4()}))
        .await
        .expect_error(400, "INVALID_DATA", &["id"]);
    s.post(&member_path, json!({}))
        .await
        .expect_error(400, "INVALID_DATA", &["id"]);
    let list = s.get(&member_path).await.expect(200);
    assert_eq!(
        list.json["_embedded"]["groupMemberships"][0]["name"],
        "Current auto insurance subscribers"
    );
    s.get(&format!("{member_path}/{gid}")).await.expect(200);
    let user = s
        .get(&s.env_path(&format!("/users/{uid}")))
        .await
        .expect(200);
    assert_eq!(user.json["memberOfGroupIDs"], json!([gid]));
    assert_eq!(
        user.json["memberOfGroupNames"],
        json!(["Current auto insurance subscribers"])
    );

    let renamed = s
        .put(&format!("{groups}/{gid}"), json!({"name": "Auto"}))
        .await
        .expect(200);
    assert!(renamed.json.get("customData").is_none());
    assert_eq!(
        s.get(&s.env_path(&format!("/users/{uid}"))).await.json["memberOfGroupNames"],
        json!(["Auto"])
    );

    s.delete(&format!("{member_path}/{gid}")).await.expect(204);
    s.delete(&format!("{member_path}/{gid}"))
        .await
        .expect_error(404, "NOT_FOUND", &[]);
    s.get(&format!("{member_path}/{gid}"))
        .await
        .expect_error(404, "NOT_FOUND", &[]);
    s.post(&member_path, json!({"id": gid})).await.expect(201);
    s.delete(&format!("{groups}/{gid}")).await.expect(204);
    assert_eq!(
        s.get(&member_path).await.json["size"],
        0,
        "deleting a group ends its memberships"
    );
    s.get(&format!("{groups}/{gid}"))
        .await
        .expect_error(404, "NOT_FOUND", &[]);
    assert_eq!(s.get(&groups).await.json["size"], 0);
}

async fn population_limited_groups(s: TestServer) {
    let p = s
        .post(&s.env_path("/populations"), json!({"name": "Staff"}))
        .await
        .expect(201);
    let pid = p.json["id"].as_str().unwrap();
    let g = s
        .post(
            &s.env_path("/groups"),
            json!({"name": "Staff only", "population": {"id": pid}}),
        )
        .await
        .expect(201);
    assert_eq!(g.json["population"]["id"], pid);
    let gid = g.json["id"].as_str().unwrap();
    let outsider = s
        .post(&s.env_path("/users"), json!({"username": "outsider"}))
        .await
        .expect(201);
    let insider = s
        .post(
            &s.env_path("/users"),
            json!({"username": "insider", "population": {"id": pid}}),
        )
        .await
        .expect(201);
    s.post(
        &s.env_path(&format!(
            "/users/{}/memberOfGroups",
            outsider.json["id"].as_str().unwrap()
        )),
        json!({"id": gid}),
    )
    .await
    .expect_error(400, "INVALID_DATA", &["id"]);
    s.post(
        &s.env_path(&format!(
            "/users/{}/memberOfGroups",
            insider.json["id"].as_str().unwrap()
        )),
        json!({"id": gid}),
    )
    .await
    .expect(201);
}

async fn populations_and_the_default(s: TestServer) {
    let pops = s.env_path("/populations");
    let initial: Value = s.get(&pops).await.json["_embedded"]["populations"][0].clone();
    let staff = s
        .post(&pops, json!({"name": "Staff", "description": "Employees"}))
        .await
        .expect(201);
    let sid = staff.json["id"].as_str().unwrap().to_string();
    assert_eq!(staff.json["default"], false);
    s.post(&pops, json!({"name": "Staff"})).await.expect_error(
        409,
        "UNIQUENESS_VIOLATION",
        &["name"],
    );
    s.post(&pops, json!({}))
        .await
        .expect_error(400, "INVALID_DATA", &["name"]);
    s.post(&pops, json!({"name": "x", "default": "yes"}))
        .await
        .expect_error(400, "INVALID_DATA", &["default"]);
    // making Staff the default clears the flag elsewhere
    s.put(
        &format!("{pops}/{sid}"),
        json!({"name": "Staff", "default": true}),
    )
    .await
    .expect(200);
    let old = s
        .get(&format!("{pops}/{}", initial["id"].as_str().unwrap()))
        .await
        .expect(200);
    assert_eq!(old.json["default"], false);
    s.put(
        &format!("{pops}/{sid}"),
        json!({"name": "Staff", "default": false}),
    )
    .await
    .expect_error(400, "INVALID_DATA", &["default"]);
    s.delete(&format!("{pops}/{sid}"))
        .await
        .expect_error(409, "CONFLICT", &[]);
    // new users now join Staff
    let u = s
        .post(&s.env_path("/users"), json!({"username": "new"}))
        .await
        .expect(201);
    assert_eq!(u.json["population"]["id"], sid.as_str());
    let old_id = initial["id"].as_str().unwrap();
    let g = s
        .post(
            &s.env_path("/groups"),
            json!({"name": "g", "population": {"id": old_id}}),
        )
        .await
        .expect(201);
    s.delete(&format!("{pops}/{old_id}"))
        .await
        .expect_error(409, "CONFLICT", &[]);
    s.delete(&s.env_path(&format!("/groups/{}", g.json["id"].as_str().unwrap())))
        .await
        .expect(204);
    let movable = s
        .post(
            &s.env_path("/users"),
            json!({"username": "m", "population": {"id": old_id}}),
        )
        .await
        .expect(201);
    s.delete(&format!("{pops}/{old_id}"))
        .await
        .expect_error(409, "CONFLICT", &[]);
    s.delete(&s.env_path(&format!("/users/{}", movable.json["id"].as_str().unwrap())))
        .await
        .expect(204);
    s.delete(&format!("{pops}/{old_id}")).await.expect(204);
    s.get(&format!("{pops}/{old_id}"))
        .await
        .expect_error(404, "NOT_FOUND", &[]);
}

async fn users_page_with_cursors(s: TestServer) {
    let users = s.env_path("/users");
    let mut created = Vec::new();
    for i in 0..7 {
        created.push(
            s.post(&users, json!({"username": format!("user{i}")}))
                .await
                .expect(201)
                .json["id"]
                .as_str()
                .unwrap()
                .to_string(),
        );
    }
    let ids = s
        .collect_ids(&s.admin.token, &format!("{users}?limit=3"), "users")
        .await;
    assert_eq!(
        ids, created,
        "pages list users in creation order, each once"
    );
    let page = s.get(&format!("{users}?limit=3")).await.expect(200);
    assert_eq!(page.json["size"], 3);
    assert!(
        page.json["_links"]["self"]["href"]
            .as_str()
            .unwrap()
            .ends_with("limit=3")
    );
}
