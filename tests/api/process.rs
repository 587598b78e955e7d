//! The real `vouch` binary: configuration layers, first-start output, `migrate`, and
//! consistency after SIGKILL in the middle of a batch of writes.

use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use diesel::prelude::*;
use serde_json::{Value, json};
use tokio::sync::Mutex;

use crate::common::{BOOTSTRAP_SECRET, PgSchema, TempDir};

const BIN: &str = env!("CARGO_BIN_EXE_vouch");

pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

pub struct Proc {
    child: Child,
    stdout: std::path::PathBuf,
    stderr: std::path::PathBuf,
}

impl Proc {
    pub fn spawn(dir: &TempDir, tag: &str, args: &[&str], envs: &[(&str, String)]) -> Self {
        let stdout = dir.0.join(format!("{tag}.out"));
        let stderr = dir.0.join(format!("{tag}.err"));
        let mut cmd = Command::new(BIN);
        cmd.args(args)
            .current_dir(&dir.0)
            .env_remove("RUST_LOG")
            .stdout(Stdio::from(std::fs::File::create(&stdout).unwrap()))
            .stderr(Stdio::from(std::fs::File::create(&stderr).unwrap()));
        for (k, v) in envs {
            cmd.env(k, v);
        }
        Self {
            child: cmd.spawn().expect("start vouch"),
            stdout,
            stderr,
        }
    }

    pub fn stdout(&self) -> String {
        std::fs::read_to_string(&self.stdout).unwrap_or_default()
    }

    pub fn stderr(&self) -> String {
        std::fs::read_to_string(&self.stderr).unwrap_or_default()
    }

    pub async fn wait_ready(&mut self, base: &str) {
        let client = crate::common::client();
        for _ in 0..200 {
            if let Ok(r) = client.get(format!("{base}/readyz")).send().await
                && r.status() == 200
            {
                return;
            }
            if let Ok(Some(status)) = self.child.try_wait() {
                panic!(
                    "vouch exited with {status}: {}\n{}",
                    self.stdout(),
                    self.stderr()
                );
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("vouch did not become ready: {}", self.stderr());
    }

    pub fn kill(&mut self) {
        // Child::kill sends SIGKILL on Unix: no shutdown code runs.
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for Proc {
    fn drop(&mut self) {
        self.kill();
    }
}

fn field<'a>(text: &'a str, label: &str) -> &'a str {
    text.lines()
        .find_map(|l| l.trim().strip_prefix(label))
        .map(str::trim)
        .unwrap_or_else(|| panic!("no `{label}` in:\n{text}"))
}

#[actix_web::test]
async fn layers_flags_over_env_over_file_and_first_start_prints_credentials() {
    let dir = TempDir::new();
    let (file_port, env_port, flag_port) = (free_port(), free_port(), free_port());
    std::fs::write(
        dir.0.join("vouch.toml"),
        format!("bind = \"127.0.0.1:{file_port}\"\nlog_format = \"json\"\npublic_url = \"https://issuer.example\"\n"),
    )
    .unwrap();
    let flag_bind = format!("127.0.0.1:{flag_port}");
    let mut p = Proc::spawn(
        &dir,
        "first",
        &["--config", "vouch.toml", "serve", "--bind", &flag_bind],
        &[
            ("VOUCH_BIND", format!("127.0.0.1:{env_port}")),
            ("VOUCH_PUBLIC_URL", "https://vouch.example".into()),
        ],
    );
    p.wait_ready(&format!("http://{flag_bind}")).await;
    let out = p.stdout();
    let env = field(&out, "Environment id").to_string();
    let client = field(&out, "Client id").to_string();
    let secret = field(&out, "Client secret").to_string();
    assert!(uuid::Uuid::parse_str(&env).is_ok());
    assert_eq!(secret.len(), 64);
    assert!(
        out.contains(&format!(
            "Token endpoint   https://vouch.example/{env}/as/token"
        )),
        "{out}"
    );
    assert!(out.contains("https://vouch.example/docs"));
    // the file chose JSON logs; the env chose the public URL over the file's
    let first_log = p.stderr().lines().next().unwrap_or_default().to_string();
    assert!(
        serde_json::from_str::<Value>(&first_log).is_ok(),
        "JSON log line: {first_log}"
    );
    assert!(
        !p.stderr().contains(&secret),
        "the secret is printed to the console, never logged"
    );
    // the printed credentials work
    let r = crate::common::client()
        .post(format!("http://{flag_bind}/{env}/as/token"))
        .basic_auth(&client, Some(&secret))
        .form(&[("grant_type", "client_credentials")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    p.kill();
    // a second start finds the database bootstrapped and prints no credentials
    let mut again = Proc::spawn(
        &dir,
        "second",
        &["--config", "vouch.toml", "serve", "--bind", &flag_bind],
        &[],
    );
    again.wait_ready(&format!("http://{flag_bind}")).await;
    assert!(
        !again.stdout().contains("Client secret"),
        "{}",
        again.stdout()
    );
}

#[test]
fn migrate_applies_then_finds_nothing_to_do() {
    let dir = TempDir::new();
    let db = dir.0.join("m.db").display().to_string();
    let run = || {
        Command::new(BIN)
            .args(["migrate", "--database-url", &db])
            .current_dir(&dir.0)
            .output()
            .unwrap()
    };
    let first = run();
    assert!(
        first.status.success(),
        "{}",
        String::from_utf8_lossy(&first.stderr)
    );
    let text = String::from_utf8_lossy(&first.stdout);
    assert!(!text.contains(" 0 migration"), "{text}");
    let second = run();
    assert!(String::from_utf8_lossy(&second.stdout).contains("0 migration(s) applied"));
}

#[test]
fn bad_configuration_exits_with_a_clear_message() {
    let dir = TempDir::new();
    let out = Command::new(BIN)
        .args(["serve"])
        .env("VOUCH_PUBLIC_URL", "ftp://nope")
        .current_dir(&dir.0)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("public_url must be an http(s) URL"));
}

pub async fn bootstrap_token(
    http: &reqwest::Client,
    base: &str,
    env: &str,
    client: &str,
) -> String {
    let token: Value = http
        .post(format!("{base}/{env}/as/token"))
        .basic_auth(client, Some(BOOTSTRAP_SECRET))
        .form(&[("grant_type", "client_credentials")])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    token["access_token"].as_str().unwrap().to_string()
}

async fn crash_mid_batch(database_url: String, dir: TempDir) {
    let port = free_port();
    let base = format!("http://127.0.0.1:{port}");
    let env = uuid::Uuid::new_v4().to_string();
    let client = uuid::Uuid::new_v4().to_string();
    let envs = vec![
        ("VOUCH_DATABASE_URL", database_url.clone()),
        ("VOUCH_BIND", format!("127.0.0.1:{port}")),
        ("VOUCH_BOOTSTRAP_ENVIRONMENT_ID", env.clone()),
        ("VOUCH_BOOTSTRAP_CLIENT_ID", client.clone()),
        (
            "VOUCH_BOOTSTRAP_CLIENT_SECRET",
            BOOTSTRAP_SECRET.to_string(),
        ),
        ("VOUCH_LOG_LEVEL", "warn".to_string()),
    ];
    let mut server = Proc::spawn(&dir, "crash1", &["serve"], &envs);
    server.wait_ready(&base).await;
    let http = crate::common::client();
    let token = bootstrap_token(&http, &base, &env, &client).await;

    let acknowledged_users = Arc::new(Mutex::new(Vec::<String>::new()));
    let acknowledged_envs = Arc::new(Mutex::new(Vec::<String>::new()));
    let stop = Arc::new(AtomicBool::new(false));
    let mut writers = Vec::new();
    for w in 0..6 {
        let (http, base, token, env) = (http.clone(), base.clone(), token.clone(), env.clone());
        let (users, envs_done, stop) = (
            acknowledged_users.clone(),
            acknowledged_envs.clone(),
            stop.clone(),
        );
        writers.push(tokio::spawn(async move {
            let mut i = 0;
            while !stop.load(Ordering::Relaxed) {
                i += 1;
                if w == 0 {
                    let name = format!("crash-env-{i}");
                    let r = http
                        .post(format!("{base}/v1/environments"))
                        .bearer_auth(&token)
                        .json(&json!({"name": name}))
                        .send()
                        .await;
                    if let Ok(r) = r
                        && r.status() == 201
                    {
                        envs_done.lock().await.push(
                            r.json::<Value>().await.unwrap()["id"]
                                .as_str()
                                .unwrap()
                                .to_string(),
                        );
                    }
                } else {
                    let name = format!("w{w}-u{i}");
                    let body =
                        json!({"username": name, "name": {"given": "G", "family": "F"}, "n": i});
                    let r = http
                        .post(format!("{base}/v1/environments/{env}/users"))
                        .bearer_auth(&token)
                        .json(&body)
                        .send()
                        .await;
                    if let Ok(r) = r
                        && r.status() == 201
                    {
                        users.lock().await.push(name);
                    }
                }
            }
        }));
    }
    tokio::time::sleep(Duration::from_millis(1500)).await;
    server.kill();
    stop.store(true, Ordering::Relaxed);
    for w in writers {
        let _ = w.await;
    }
    let acknowledged_users = acknowledged_users.lock().await.clone();
    let acknowledged_envs = acknowledged_envs.lock().await.clone();
    assert!(
        acknowledged_users.len() > 10,
        "the batch was under way: {}",
        acknowledged_users.len()
    );

    let mut restarted = Proc::spawn(&dir, "crash2", &["serve"], &envs);
    restarted.wait_ready(&base).await;
    let token = &bootstrap_token(&http, &base, &env, &client).await;
    // every acknowledged user is there and whole
    let mut seen = std::collections::BTreeSet::new();
    let mut next = Some(format!("{base}/v1/environments/{env}/users?limit=1000"));
    while let Some(url) = next {
        let page: Value = http
            .get(&url)
            .bearer_auth(token)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        for user in page["_embedded"]["users"].as_array().unwrap() {
            assert_eq!(
                user["name"]["family"], "F",
                "a user row is complete: {user}"
            );
            seen.insert(user["username"].as_str().unwrap().to_string());
        }
        next = page["_links"]["next"]["href"].as_str().map(str::to_string);
    }
    for name in &acknowledged_users {
        assert!(seen.contains(name), "acknowledged user {name} was lost");
    }
    // every environment is whole: a profile, a default population, a key, an admin worker
    let environments: Value = http
        .get(format!("{base}/v1/environments?limit=1000"))
        .bearer_auth(token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let listed: Vec<String> = environments["_embedded"]["environments"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["id"].as_str().unwrap().to_string())
        .collect();
    for id in &acknowledged_envs {
        assert!(
            listed.contains(id),
            "acknowledged environment {id} was lost"
        );
    }
    let url = database_url.clone();
    let incomplete = tokio::task::spawn_blocking(move || {
        let sql = "SELECT COUNT(*) AS n FROM environments e WHERE \
                   (SELECT COUNT(*) FROM issuer_profiles p WHERE p.environment_id = e.id) <> 1 \
                   OR (SELECT COUNT(*) FROM populations p WHERE p.environment_id = e.id AND p.is_default = 1) <> 1 \
                   OR (SELECT COUNT(*) FROM signing_keys k WHERE k.environment_id = e.id) <> 2 \
                   OR (SELECT COUNT(*) FROM applications a WHERE a.environment_id = e.id) < 1";
        #[derive(QueryableByName)]
        struct Count {
            #[diesel(sql_type = diesel::sql_types::BigInt)]
            n: i64,
        }
        if url.starts_with("postgres") {
            let mut c = diesel::PgConnection::establish(&url).unwrap();
            diesel::sql_query(sql).get_result::<Count>(&mut c).unwrap().n
        } else {
            let mut c = diesel::SqliteConnection::establish(&url).unwrap();
            #[derive(QueryableByName)]
            struct Check {
                #[diesel(sql_type = diesel::sql_types::Text)]
                integrity_check: String,
            }
            let check: Check = diesel::sql_query("PRAGMA integrity_check").get_result(&mut c).unwrap();
            assert_eq!(check.integrity_check, "ok");
            diesel::sql_query(sql).get_result::<Count>(&mut c).unwrap().n
        }
    })
    .await
    .unwrap();
    assert_eq!(incomplete, 0, "no environment was left half-created");
}

#[actix_web::test]
async fn sigkill_mid_batch_leaves_sqlite_consistent() {
    let dir = TempDir::new();
    let url = dir.0.join("crash.db").display().to_string();
    crash_mid_batch(url, dir).await;
}

#[actix_web::test]
async fn sigkill_mid_batch_leaves_postgres_consistent() {
    let schema = PgSchema::create();
    crash_mid_batch(schema.url(), TempDir::new()).await;
}

#[actix_web::test]
async fn serve_demo_prints_a_working_offer() {
    let dir = TempDir::new();
    let port = free_port();
    let base = format!("http://localhost:{port}");
    let envs = vec![
        ("VOUCH_BIND", format!("127.0.0.1:{port}")),
        ("VOUCH_LOG_LEVEL", "warn".to_string()),
    ];
    let mut p = Proc::spawn(&dir, "demo", &["serve", "--demo"], &envs);
    p.wait_ready(&base).await;
    let out = p.stdout();
    let link = field(&out, "Offer link").to_string();
    assert!(out.contains('█'), "a QR code is drawn in the terminal");
    let query = link.split_once('?').unwrap().1;
    let offer_uri = url::form_urlencoded::parse(query.as_bytes())
        .find(|(k, _)| k == "credential_offer_uri")
        .unwrap()
        .1
        .to_string();
    let offer: Value = crate::common::client()
        .get(&offer_uri)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        offer["credential_configuration_ids"]
            .as_array()
            .unwrap()
            .len(),
        2
    );
    p.kill();
    // a second demo reuses the demo type and offers a new credential
    let mut again = Proc::spawn(&dir, "demo2", &["serve", "--demo"], &envs);
    again.wait_ready(&base).await;
    assert_ne!(field(&again.stdout(), "Offer link"), link);
}
