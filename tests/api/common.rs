//! The test harness: a real vouch server on a free loopback port, on SQLite (a temporary
//! file) or PostgreSQL (a fresh schema in the database named by `VOUCH_TEST_POSTGRES_URL`,
//! default `postgres://postgres@127.0.0.1:5432/postgres`, dropped afterwards), with a
//! reqwest client.

use std::net::TcpListener;
use std::path::PathBuf;

use actix_web::HttpServer;
use actix_web::web::Data;
use diesel::Connection;
use diesel::connection::SimpleConnection;
use serde_json::{Value, json};

use vouch::config::Config;
use vouch::http::metrics::Metrics;
use vouch::service::Ctx;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// Runs each named `async fn(TestServer)` once per backend, as `name::sqlite` and
/// `name::postgres`.
#[macro_export]
macro_rules! backend_tests {
    ($($name:ident),* $(,)?) => {
        $(
            mod $name {
                #[actix_web::test]
                async fn sqlite() {
                    super::$name($crate::common::TestServer::start($crate::common::Backend::Sqlite).await).await
                }
                #[actix_web::test]
                async fn postgres() {
                    super::$name($crate::common::TestServer::start($crate::common::Backend::Postgres).await).await
                }
            }
        )*
    };
}

pub fn postgres_base_url() -> String {
    std::env::var("VOUCH_TEST_POSTGRES_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into())
}

/// A PostgreSQL schema that lives as long as the value.
pub struct PgSchema {
    base: String,
    pub name: String,
}

impl PgSchema {
    pub fn create() -> Self {
        let base = postgres_base_url();
        let name = format!("vouch_t_{}", uuid::Uuid::new_v4().simple());
        let mut conn = diesel::PgConnection::establish(&base).unwrap_or_else(|e| {
            panic!(
                "PostgreSQL is needed for the postgres half of the tests ({base}): {e}. \
                 Start it, or point VOUCH_TEST_POSTGRES_URL at one."
            )
        });
        conn.batch_execute(&format!("CREATE SCHEMA {name}"))
            .expect("create schema");
        Self { base, name }
    }

    /// A URL whose connections use this schema.
    pub fn url(&self) -> String {
        let separator = if self.base.contains('?') { '&' } else { '?' };
        format!(
            "{}{separator}options=-csearch_path%3D{}",
            self.base, self.name
        )
    }
}

impl Drop for PgSchema {
    fn drop(&mut self) {
        if let Ok(mut conn) = diesel::PgConnection::establish(&self.base) {
            let _ = conn.batch_execute(&format!("DROP SCHEMA IF EXISTS {} CASCADE", self.name));
        }
    }
}

pub struct TempDir(pub PathBuf);

impl TempDir {
    pub fn new() -> Self {
        let dir = std::env::temp_dir().join(format!("vouch-test-{}", uuid::Uuid::new_v4()));
        std::fs::create_dir_all(&dir).unwrap();
        Self(dir)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// A response, with the body parsed as JSON when it is JSON.
#[derive(Debug)]
pub struct Resp {
    pub status: u16,
    pub headers: reqwest::header::HeaderMap,
    pub text: String,
    pub json: Value,
}

impl Resp {
    /// The string at a JSON pointer (`/id`, `/_embedded/users/0/id`); panics when absent.
    #[track_caller]
    pub fn str(&self, pointer: &str) -> String {
        self.json
            .pointer(pointer)
            .and_then(serde_json::Value::as_str)
            .unwrap_or_else(|| panic!("no string at {pointer} in {}", self.text))
            .to_string()
    }

    /// The `id` of a created or read resource.
    #[track_caller]
    pub fn id(&self) -> String {
        self.str("/id")
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// Asserts the status, showing the body when it differs.
    #[track_caller]
    pub fn expect(self, status: u16) -> Self {
        assert_eq!(
            self.status, status,
            "unexpected status; body: {}",
            self.text
        );
        self
    }

    /// Asserts a PingOne error body: status, code and, when given, the detail targets.
    #[track_caller]
    pub fn expect_error(self, status: u16, code: &str, targets: &[&str]) -> Self {
        assert_eq!(
            self.status, status,
            "unexpected status; body: {}",
            self.text
        );
        assert_eq!(self.json["code"], code, "body: {}", self.text);
        assert!(
            uuid::Uuid::parse_str(self.json["id"].as_str().unwrap_or_default()).is_ok(),
            "error id must be a UUID: {}",
            self.text
        );
        assert!(
            self.json["message"].as_str().is_some_and(|m| !m.is_empty()),
            "error message: {}",
            self.text
        );
        if !targets.is_empty() {
            let got: Vec<&str> = self.json["details"]
                .as_array()
                .map(|d| d.iter().filter_map(|d| d["target"].as_str()).collect())
                .unwrap_or_default();
            assert_eq!(got, targets, "detail targets; body: {}", self.text);
            for detail in self.json["details"].as_array().unwrap() {
                assert!(
                    detail["code"].as_str().is_some_and(|c| !c.is_empty()),
                    "{}",
                    self.text
                );
                assert!(
                    detail["message"].as_str().is_some_and(|c| !c.is_empty()),
                    "{}",
                    self.text
                );
            }
        }
        self
    }
}

/// Credentials of one environment's admin worker.
#[derive(Debug, Clone)]
pub struct EnvAccess {
    pub env: String,
    pub client_id: String,
    pub secret: String,
    pub token: String,
}

pub struct TestServer {
    pub base: String,
    pub ctx: Data<Ctx>,
    pub http: reqwest::Client,
    /// The bootstrap environment and its organisation-admin worker.
    pub admin: EnvAccess,
    /// Kept for their `Drop`: the SQLite file and the PostgreSQL schema.
    _dir: TempDir,
    _pg: Option<PgSchema>,
    handle: actix_web::dev::ServerHandle,
}

pub const BOOTSTRAP_SECRET: &str = "test-bootstrap-secret-0123456789";

pub fn test_config(backend: Backend, dir: &TempDir, pg: Option<&PgSchema>, port: u16) -> Config {
    Config {
        public_url: Some(format!("http://localhost:{port}")),
        did_web_allow_loopback: true,
        bind: format!("127.0.0.1:{port}"),
        database_url: match backend {
            Backend::Sqlite => dir.0.join("vouch.db").display().to_string(),
            Backend::Postgres => pg.expect("schema").url(),
        },
        master_key_file: Some(dir.0.join("master.key")),
        log_level: "warn".into(),
        max_body_bytes: 64 * 1024,
        pool_size: Some(4),
        bootstrap_environment_id: Some(uuid::Uuid::new_v4().to_string()),
        bootstrap_client_id: Some(uuid::Uuid::new_v4().to_string()),
        bootstrap_client_secret: Some(BOOTSTRAP_SECRET.into()),
        ..Config::default()
    }
}

impl TestServer {
    pub async fn start(backend: Backend) -> Self {
        Self::start_with(backend, |_| {}).await
    }

    pub async fn start_with(backend: Backend, adjust: impl FnOnce(&mut Config)) -> Self {
        let _ = rustls::crypto::ring::default_provider().install_default();
        let dir = TempDir::new();
        let pg = (backend == Backend::Postgres).then(PgSchema::create);
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let mut config = test_config(backend, &dir, pg.as_ref(), port);
        adjust(&mut config);
        let env = config.bootstrap_environment_id.clone().unwrap();
        let client_id = config.bootstrap_client_id.clone().unwrap();
        let ctx = vouch::app::context(config).await.expect("context");
        vouch::service::bootstrap::bootstrap(&ctx)
            .await
            .expect("bootstrap")
            .expect("fresh database bootstraps");
        let ctx = Data::new(ctx);
        let metrics = Data::new(Metrics::default());
        let app_ctx = ctx.clone();
        let server = HttpServer::new(move || vouch::http::app(app_ctx.clone(), metrics.clone()))
            .workers(1)
            .disable_signals()
            .listen(listener)
            .unwrap()
            .run();
        let handle = server.handle();
        actix_web::rt::spawn(server);
        // Idle connections are dropped well before actix's 5 s keep-alive closes them, so
        // a request never lands on a connection the server is closing at that moment.
        let http = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .pool_idle_timeout(std::time::Duration::from_secs(2))
            .build()
            .unwrap();
        let base = format!("http://localhost:{port}");
        let mut server = Self {
            base,
            ctx,
            http,
            admin: EnvAccess {
                env,
                client_id,
                secret: BOOTSTRAP_SECRET.into(),
                token: String::new(),
            },
            _dir: dir,
            _pg: pg,
            handle,
        };
        server.admin.token = server
            .token(
                &server.admin.env.clone(),
                &server.admin.client_id.clone(),
                BOOTSTRAP_SECRET,
            )
            .await;
        server
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// An access token via client_secret_basic.
    pub async fn token(&self, env: &str, client_id: &str, secret: &str) -> String {
        let resp = self
            .http
            .post(self.url(&format!("/{env}/as/token")))
            .basic_auth(client_id, Some(secret))
            .form(&[("grant_type", "client_credentials")])
            .send()
            .await
            .unwrap();
        let status = resp.status();
        let body: Value = resp.json().await.unwrap();
        assert_eq!(status, 200, "token request failed: {body}");
        body["access_token"].as_str().unwrap().to_string()
    }

    pub async fn send(&self, req: reqwest::RequestBuilder) -> Resp {
        let resp = req.send().await.expect("request");
        let status = resp.status().as_u16();
        let headers = resp.headers().clone();
        let text = resp.text().await.unwrap_or_default();
        let json = serde_json::from_str(&text).unwrap_or(Value::Null);
        Resp {
            status,
            headers,
            text,
            json,
        }
    }

    /// A request with `token` (none when empty).
    pub fn req(&self, method: reqwest::Method, path: &str, token: &str) -> reqwest::RequestBuilder {
        let req = self.http.request(method, self.url(path));
        if token.is_empty() {
            req
        } else {
            req.bearer_auth(token)
        }
    }

    pub async fn get_as(&self, token: &str, path: &str) -> Resp {
        self.send(self.req(reqwest::Method::GET, path, token)).await
    }

    pub async fn get(&self, path: &str) -> Resp {
        self.get_as(&self.admin.token, path).await
    }

    pub async fn json_as(
        &self,
        method: reqwest::Method,
        token: &str,
        path: &str,
        body: &Value,
    ) -> Resp {
        self.send(self.req(method, path, token).json(body)).await
    }

    pub async fn post(&self, path: &str, body: Value) -> Resp {
        self.json_as(reqwest::Method::POST, &self.admin.token, path, &body)
            .await
    }

    pub async fn put(&self, path: &str, body: Value) -> Resp {
        self.json_as(reqwest::Method::PUT, &self.admin.token, path, &body)
            .await
    }

    pub async fn patch(&self, path: &str, body: Value) -> Resp {
        self.json_as(reqwest::Method::PATCH, &self.admin.token, path, &body)
            .await
    }

    pub async fn delete(&self, path: &str) -> Resp {
        self.send(self.req(reqwest::Method::DELETE, path, &self.admin.token))
            .await
    }

    /// `/v1/environments/{bootstrap env}{rest}`
    pub fn env_path(&self, rest: &str) -> String {
        format!("/v1/environments/{}{rest}", self.admin.env)
    }

    /// Creates an environment with the organisation admin and returns its first worker,
    /// with a token.
    pub async fn new_environment(&self, name: &str) -> EnvAccess {
        let created = self
            .post("/v1/environments", json!({"name": name}))
            .await
            .expect(201);
        let env = created.json["id"].as_str().unwrap().to_string();
        let client_id = created.json["adminApplication"]["clientId"]
            .as_str()
            .unwrap()
            .to_string();
        let secret = created.json["adminApplication"]["clientSecret"]
            .as_str()
            .unwrap()
            .to_string();
        let token = self.token(&env, &client_id, &secret).await;
        EnvAccess {
            env,
            client_id,
            secret,
            token,
        }
    }

    /// A token endpoint request with a form and, optionally, Basic credentials.
    pub async fn token_request(
        &self,
        env: &str,
        form: &[(&str, &str)],
        basic: Option<(&str, &str)>,
    ) -> Resp {
        let mut req = self
            .http
            .post(self.url(&format!("/{env}/as/token")))
            .form(form);
        if let Some((id, secret)) = basic {
            req = req.basic_auth(id, Some(secret));
        }
        self.send(req).await
    }

    /// Creates a worker application in the bootstrap environment; returns its id and secret.
    pub async fn worker(&self, body: Value) -> (String, String) {
        let id = self
            .post(&self.env_path("/applications"), body)
            .await
            .expect(201)
            .id();
        let secret = self
            .get(&self.env_path(&format!("/applications/{id}/secret")))
            .await
            .expect(200)
            .str("/secret");
        (id, secret)
    }

    /// The path (without the base URL) of link `name` of a response.
    #[track_caller]
    pub fn link(&self, resp: &Resp, name: &str) -> String {
        let href = resp.str(&format!("/_links/{name}/href"));
        href.strip_prefix(&self.base)
            .unwrap_or_else(|| panic!("{href} is not under {}", self.base))
            .to_string()
    }

    /// Follows `_links.next.href` from `first` and collects `_embedded.<key>` ids.
    pub async fn collect_ids(&self, token: &str, first: &str, key: &str) -> Vec<String> {
        let mut ids = Vec::new();
        let mut next = Some(first.to_string());
        while let Some(path) = next {
            let page = self.get_as(token, &path).await.expect(200);
            let items = page.json["_embedded"][key]
                .as_array()
                .cloned()
                .unwrap_or_default();
            assert_eq!(page.json["size"], items.len(), "size matches the page");
            ids.extend(items.iter().map(|i| i["id"].as_str().unwrap().to_string()));
            next = page.json["_links"]["next"]["href"]
                .as_str()
                .map(|href| href.strip_prefix(&self.base).unwrap().to_string());
        }
        ids
    }
}

impl Drop for TestServer {
    fn drop(&mut self) {
        let handle = self.handle.clone();
        // Stopping is asynchronous; the runtime ends with the test anyway.
        drop(handle.stop(false));
    }
}

/// Sends raw bytes to the server and returns everything it answers (for requests
/// reqwest will not make, such as a chunked body of unannounced length).
pub async fn raw_http(base: &str, request: &[u8]) -> String {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut stream = tokio::net::TcpStream::connect(base.trim_start_matches("http://"))
        .await
        .unwrap();
    // The server may answer and close before the whole body is written.
    let _ = stream.write_all(request).await;
    let mut response = Vec::new();
    let _ = stream.read_to_end(&mut response).await;
    String::from_utf8_lossy(&response).to_string()
}

/// A plain reqwest client (reqwest is built without a default TLS provider).
pub fn client() -> reqwest::Client {
    let _ = rustls::crypto::ring::default_provider().install_default();
    reqwest::Client::new()
}

/// A Node.js project of `conformance/` (`rel` from the repository root), with its
/// node_modules installed (`npm ci`, from the lock file, once per process).
pub fn node_project(rel: &str) -> PathBuf {
    static INSTALL: std::sync::Mutex<()> = std::sync::Mutex::new(());
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(rel);
    let _guard = INSTALL.lock().unwrap_or_else(|e| e.into_inner());
    let node = std::process::Command::new("node").arg("--version").output();
    assert!(
        node.as_ref().is_ok_and(|o| o.status.success()),
        "Node.js (node, 20 or later) is needed for the interop tests of {rel}: {node:?}"
    );
    if !dir.join("node_modules").is_dir() {
        let out = std::process::Command::new("npm")
            .args(["ci", "--no-audit", "--no-fund"])
            .current_dir(&dir)
            .output()
            .unwrap_or_else(|e| panic!("npm is needed to install {rel} (`npm ci` there): {e}"));
        assert!(
            out.status.success(),
            "`npm ci` in {} failed:\n{}\n{}",
            dir.display(),
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    }
    dir
}
