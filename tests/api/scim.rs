//! `GET /users?filter=` with SCIM filters, through the API.

use std::collections::BTreeSet;

use serde_json::json;

use crate::backend_tests;
use crate::common::TestServer;

backend_tests!(
    scim_filters_select_users,
    bad_filters_name_the_position,
    filtered_pages_follow_cursors
);

struct Fixture {
    auto: String,
    home: String,
}

async fn fixture(s: &TestServer) -> Fixture {
    let auto = s
        .post(
            &s.env_path("/groups"),
            json!({"name": "Current auto insurance subscribers"}),
        )
        .await
        .expect(201);
    let home = s
        .post(&s.env_path("/groups"), json!({"name": "Home"}))
        .await
        .expect(201);
    let auto = auto.json["id"].as_str().unwrap().to_string();
    let home = home.json["id"].as_str().unwrap().to_string();
    let people = [
        (
            json!({"username": "john.smith", "email": "john@bx.example", "name": {"given": "John", "family": "Smith"}, "age": 42, "policyId": "BX-1"}),
            vec![&auto],
        ),
        (
            json!({"username": "jane.doe", "email": "jane@bx.example", "name": {"given": "Jane", "family": "Doe"}, "age": 35, "enabled": false}),
            vec![&auto, &home],
        ),
        (
            json!({"username": "bob", "email": "bob@other.example", "name": {"given": "Bob", "family": "Smithers"}, "age": 19, "licenses": [{"class": "B"}, {"class": "C"}]}),
            vec![&home],
        ),
        (
            json!({"username": "demo", "name": {"given": "Demo", "family": "demo"}, "age": 70}),
            vec![],
        ),
    ];
    for (user, groups) in people {
        let created = s.post(&s.env_path("/users"), user).await.expect(201);
        let id = created.json["id"].as_str().unwrap();
        for g in groups {
            s.post(
                &s.env_path(&format!("/users/{id}/memberOfGroups")),
                json!({"id": g}),
            )
            .await
            .expect(201);
        }
    }
    Fixture { auto, home }
}

async fn usernames(s: &TestServer, filter: &str) -> BTreeSet<String> {
    let query = serde_urlencoded::to_string([("filter", filter)]).unwrap();
    let r = s.get(&s.env_path(&format!("/users?{query}"))).await;
    assert_eq!(r.status, 200, "{filter}: {}", r.text);
    r.json["_embedded"]["users"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["username"].as_str().unwrap().to_string())
        .collect()
}

fn set(names: &[&str]) -> BTreeSet<String> {
    names.iter().map(|s| s.to_string()).collect()
}

async fn scim_filters_select_users(s: TestServer) {
    let f = fixture(&s).await;
    let cases: Vec<(String, Vec<&str>)> = vec![
        (r#"username eq "john.smith""#.into(), vec!["john.smith"]),
        (r#"username eq "JOHN.SMITH""#.into(), vec!["john.smith"]),
        (
            r#"username ne "bob""#.into(),
            vec!["john.smith", "jane.doe", "demo"],
        ),
        (
            r#"email co "bx.example""#.into(),
            vec!["john.smith", "jane.doe"],
        ),
        (r#"email sw "jo""#.into(), vec!["john.smith"]),
        (r#"email ew "other.example""#.into(), vec!["bob"]),
        (
            r#"name.family sw "smith""#.into(),
            vec!["john.smith", "bob"],
        ),
        (r#"name.given eq "Jane""#.into(), vec!["jane.doe"]),
        ("age gt 40".into(), vec!["john.smith", "demo"]),
        ("age ge 42".into(), vec!["john.smith", "demo"]),
        ("age lt 35".into(), vec!["bob"]),
        ("age le 35".into(), vec!["jane.doe", "bob"]),
        ("email pr".into(), vec!["john.smith", "jane.doe", "bob"]),
        ("policyId pr".into(), vec!["john.smith"]),
        ("enabled eq false".into(), vec!["jane.doe"]),
        ("enabled eq true".into(), vec!["john.smith", "bob", "demo"]),
        (
            r#"name.family eq "demo" and age gt 60"#.into(),
            vec!["demo"],
        ),
        (
            r#"username eq "bob" or username eq "demo""#.into(),
            vec!["bob", "demo"],
        ),
        // and binds tighter than or
        (
            r#"username eq "bob" or email pr and age gt 40"#.into(),
            vec!["bob", "john.smith"],
        ),
        (
            r#"(username eq "bob" or email pr) and age gt 40"#.into(),
            vec!["john.smith"],
        ),
        (r#"not (email pr)"#.into(), vec!["demo"]),
        (
            r#"not (username eq "bob") and not (username eq "demo")"#.into(),
            vec!["john.smith", "jane.doe"],
        ),
        (
            format!(r#"memberOfGroups[id eq "{}"]"#, f.auto),
            vec!["john.smith", "jane.doe"],
        ),
        (
            format!(
                r#"memberOfGroups[id eq "{}"] and name.family eq "demo""#,
                f.auto
            ),
            vec![],
        ),
        (
            format!(
                r#"memberOfGroups[id eq "{}"] and memberOfGroups[id eq "{}"]"#,
                f.auto, f.home
            ),
            vec!["jane.doe"],
        ),
        (
            format!(r#"memberOfGroups[id eq "{}"] or age gt 60"#, f.home),
            vec!["jane.doe", "bob", "demo"],
        ),
        (
            r#"memberOfGroups[name sw "current"]"#.into(),
            vec!["john.smith", "jane.doe"],
        ),
        (
            format!(r#"memberOfGroups.id eq "{}""#, f.home),
            vec!["jane.doe", "bob"],
        ),
        (r#"licenses[class eq "C"]"#.into(), vec!["bob"]),
        (
            r#"memberOfGroups pr"#.into(),
            vec!["john.smith", "jane.doe", "bob"],
        ),
        (
            r#"createdAt gt "2000-01-01T00:00:00Z""#.into(),
            vec!["john.smith", "jane.doe", "bob", "demo"],
        ),
        (
            r#"nickname eq null"#.into(),
            vec!["john.smith", "jane.doe", "bob", "demo"],
        ),
    ];
    assert!(cases.len() >= 25);
    for (filter, expected) in cases {
        assert_eq!(
            usernames(&s, &filter).await,
            set(&expected),
            "filter: {filter}"
        );
    }
}

async fn bad_filters_name_the_position(s: TestServer) {
    for (filter, position) in [
        (r#"username eq"#, 12),
        (r#"username xx "a""#, 10),
        (r#"username eq bob"#, 13),
        (r#"(username eq "a""#, 17),
        (r#"username eq "a" username eq "b""#, 17),
        (r#"memberOfGroups[id eq "x""#, 25),
    ] {
        let query = serde_urlencoded::to_string([("filter", filter)]).unwrap();
        let r = s
            .get(&s.env_path(&format!("/users?{query}")))
            .await
            .expect_error(400, "INVALID_REQUEST", &["filter"]);
        assert_eq!(r.json["details"][0]["code"], "INVALID_FILTER");
        assert_eq!(
            r.json["details"][0]["innerError"]["position"], position,
            "{filter}: {}",
            r.text
        );
        assert!(
            r.json["message"]
                .as_str()
                .unwrap()
                .contains(&format!("position {position}"))
        );
    }
}

async fn filtered_pages_follow_cursors(s: TestServer) {
    for i in 0..9 {
        s.post(
            &s.env_path("/users"),
            json!({"username": format!("u{i}"), "team": if i % 3 == 0 { "red" } else { "blue" }}),
        )
        .await
        .expect(201);
    }
    let query =
        serde_urlencoded::to_string([("filter", r#"team eq "blue""#), ("limit", "2")]).unwrap();
    let first = s
        .get(&s.env_path(&format!("/users?{query}")))
        .await
        .expect(200);
    assert!(
        first.json["_links"]["next"]["href"]
            .as_str()
            .unwrap()
            .contains("filter="),
        "next keeps the filter"
    );
    let ids = s
        .collect_ids(
            &s.admin.token,
            &s.env_path(&format!("/users?{query}")),
            "users",
        )
        .await;
    assert_eq!(ids.len(), 6);
    let unique: BTreeSet<_> = ids.iter().collect();
    assert_eq!(unique.len(), 6);
}
