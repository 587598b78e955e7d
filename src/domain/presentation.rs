//! Presentation sessions (PingOne's credential verifications): the create request, its
//! validation, and the session's state machine.
//!
//! ```text
//!  create ──► INITIAL ──(wallet fetches the request object)──► WAITING
//!               │                                               │
//!               ├──(answer verifies)──► VERIFICATION_SUCCESSFUL ◄┤
//!               ├──(answer fails, or the wallet says error)──► VERIFICATION_FAILED ◄┤
//!               └──(lifetime over)──► VERIFICATION_EXPIRED ◄──────┘
//! ```
//! The three VERIFICATION_ states are final: a session takes one answer.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::validate::FieldError;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SessionStatus {
    Initial,
    Waiting,
    Successful,
    Failed,
    Expired,
}

impl SessionStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Initial => "INITIAL",
            Self::Waiting => "WAITING",
            Self::Successful => "VERIFICATION_SUCCESSFUL",
            Self::Failed => "VERIFICATION_FAILED",
            Self::Expired => "VERIFICATION_EXPIRED",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        [
            Self::Initial,
            Self::Waiting,
            Self::Successful,
            Self::Failed,
            Self::Expired,
        ]
        .into_iter()
        .find(|s| s.as_str() == text)
    }

    pub fn is_final(self) -> bool {
        matches!(self, Self::Successful | Self::Failed | Self::Expired)
    }

    /// The status after `event`, or `None` when the event cannot happen in this state
    /// (the store's conditional updates enforce the same rules, so that of two racing
    /// answers exactly one lands).
    pub fn next(self, event: SessionEvent) -> Option<Self> {
        use SessionEvent as E;
        match (self, event) {
            (Self::Initial | Self::Waiting, E::RequestFetched) => Some(Self::Waiting),
            (Self::Initial | Self::Waiting, E::Answered { verified: true }) => {
                Some(Self::Successful)
            }
            (Self::Initial | Self::Waiting, E::Answered { verified: false }) => Some(Self::Failed),
            (Self::Initial | Self::Waiting, E::TimedOut) => Some(Self::Expired),
            _ => None,
        }
    }

    /// The status at `now` of a session stored as `self` that expires at `expires_at`: an
    /// open session past its lifetime reads as expired before the job records it.
    pub fn at(self, now: chrono::NaiveDateTime, expires_at: chrono::NaiveDateTime) -> Self {
        if !self.is_final() && now >= expires_at {
            Self::Expired
        } else {
            self
        }
    }
}

/// What moves a session from one status to the next.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SessionEvent {
    /// The wallet fetched the request object (any number of times while open).
    RequestFetched,
    /// The wallet answered: a presentation that verified, or one that did not (or an
    /// OAuth error from the wallet).
    Answered { verified: bool },
    /// The session's lifetime ended.
    TimedOut,
}

/// The error codes of a failed verification (seed 004, "Credential Verifications error
/// codes").
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum VerificationErrorCode {
    RequestedCredentialMissing,
    RequestedFieldMissing,
    InvalidToken,
    InvalidCredential,
    UnexpectedError,
}

impl VerificationErrorCode {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::RequestedCredentialMissing => "REQUESTED_CREDENTIAL_MISSING",
            Self::RequestedFieldMissing => "REQUESTED_FIELD_MISSING",
            Self::InvalidToken => "INVALID_TOKEN",
            Self::InvalidCredential => "INVALID_CREDENTIAL",
            Self::UnexpectedError => "UNEXPECTED_ERROR",
        }
    }
}

/// One error of a failed verification: `{code, target, message}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct VerificationError {
    pub code: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub target: Option<String>,
    pub message: String,
}

impl VerificationError {
    pub fn new(
        code: VerificationErrorCode,
        target: Option<&str>,
        message: impl Into<String>,
    ) -> Self {
        Self {
            code: code.as_str().into(),
            target: target.map(str::to_string),
            message: message.into(),
        }
    }
}

#[derive(Debug, Clone, Default, Deserialize, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct IssuerFilter {
    /// Environments of this server whose credentials are accepted.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub environment_ids: Option<Vec<String>>,
    /// Issuer DIDs whose credentials are accepted (OPENID4VP only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub dids: Option<Vec<String>>,
}

#[derive(Debug, Clone, Default, Deserialize, Serialize, utoipa::ToSchema)]
pub struct RequestedCredential {
    /// The title of a credential type.
    #[serde(rename = "type")]
    pub credential_type: Option<String>,
    /// Field titles to disclose (NATIVE; ignored for OPENID4VP, as in PingOne).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub keys: Option<Vec<String>>,
}

/// Body of `POST …/presentationSessions`.
#[derive(Debug, Clone, Default, Deserialize, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct PresentationSessionInput {
    /// `OPENID4VP` or `NATIVE` (default). vouch has no proprietary SDK: NATIVE sessions run
    /// over OpenID4VP too, with the keys as DCQL claim paths.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub protocol: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub protocol_version: Option<String>,
    /// `JWK` (default) or `ION` (PingOne's; kept for compatibility).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub did_method: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub issuer_filter: Option<IssuerFilter>,
    /// Shown to the user by the wallet (`client_metadata.client_name`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub requested_credentials: Option<Vec<RequestedCredential>>,
    /// A DCQL query of your own instead of `requestedCredentials` (vouch extension).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<Object>)]
    pub dcql_query: Option<Value>,
    /// How the verifier names itself (vouch extension): `decentralized_identifier`
    /// (default: a request object signed under the environment's DID), `x509_san_dns` or
    /// `x509_hash` (signed with the verifier certificate, `x5c` in the header), or
    /// `redirect_uri` (unsigned, passed by value in the link).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub client_id_prefix: Option<String>,
    /// `direct_post` (default) or `direct_post.jwt` (the answer encrypted to a key made
    /// for this session) (vouch extension).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub response_mode: Option<String>,
    /// `get` (default) or `post`: whether the link asks the wallet to POST for the
    /// request object (`request_uri_method=post`, with its `wallet_nonce`) (vouch
    /// extension). Both methods are answered either way.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub request_uri_method: Option<String>,
    /// Where the wallet sends the user after a same-device flow (vouch extension); the
    /// wallet gets it with a `response_code` to append.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub redirect_uri: Option<String>,
}

pub const PROTOCOLS: [&str; 2] = ["OPENID4VP", "NATIVE"];
/// `1.0`: OpenID4VP 1.0 with DCQL. `ID1`: OpenID4VP Implementer's Draft 1 with SIOPv2, as
/// the DIF JWT VC Presentation Profile pins them (Presentation Exchange, `response_type
/// vp_token id_token`, a bare DID as client id), for legacy wallets.
pub const PROTOCOL_VERSIONS: [&str; 2] = ["1.0", "ID1"];
pub const CLIENT_ID_PREFIXES: [&str; 4] = [
    "decentralized_identifier",
    "redirect_uri",
    "x509_san_dns",
    "x509_hash",
];
pub const RESPONSE_MODES: [&str; 2] = ["direct_post", "direct_post.jwt"];
pub const REQUEST_URI_METHODS: [&str; 2] = ["get", "post"];
const MAX_MESSAGE: usize = 1024;
const MAX_REQUESTED: usize = 10;
const MAX_KEYS: usize = 100;

/// The create request, checked whole.
#[derive(Debug, Clone)]
pub struct ValidSession {
    pub protocol: &'static str,
    pub protocol_version: &'static str,
    pub request_uri_method: &'static str,
    pub requested: Vec<(String, Vec<String>)>,
    pub dcql_query: Option<Value>,
    pub client_id_prefix: &'static str,
    pub response_mode: &'static str,
    pub environment_filter: Vec<String>,
    pub did_filter: Vec<String>,
}

fn pick(
    value: Option<&str>,
    allowed: &[&'static str],
    default: &'static str,
    target: &str,
    errors: &mut Vec<FieldError>,
) -> &'static str {
    match value {
        None => default,
        Some(v) => allowed
            .iter()
            .find(|a| **a == v)
            .copied()
            .unwrap_or_else(|| {
                errors.push(FieldError::invalid(
                    target,
                    format!("{target} must be one of {}", allowed.join(", ")),
                ));
                default
            }),
    }
}

impl PresentationSessionInput {
    pub fn validate(&self) -> Result<ValidSession, Vec<FieldError>> {
        let mut errors = Vec::new();
        let protocol = pick(
            self.protocol.as_deref(),
            &PROTOCOLS,
            "NATIVE",
            "protocol",
            &mut errors,
        );
        let client_id_prefix = pick(
            self.client_id_prefix.as_deref(),
            &CLIENT_ID_PREFIXES,
            "decentralized_identifier",
            "clientIdPrefix",
            &mut errors,
        );
        let response_mode = pick(
            self.response_mode.as_deref(),
            &RESPONSE_MODES,
            "direct_post",
            "responseMode",
            &mut errors,
        );
        let protocol_version = pick(
            self.protocol_version.as_deref(),
            &PROTOCOL_VERSIONS,
            "1.0",
            "protocolVersion",
            &mut errors,
        );
        let request_uri_method = pick(
            self.request_uri_method.as_deref(),
            &REQUEST_URI_METHODS,
            "get",
            "requestUriMethod",
            &mut errors,
        );
        if protocol_version == "ID1" {
            if client_id_prefix != "decentralized_identifier" {
                errors.push(FieldError::invalid(
                    "clientIdPrefix",
                    "ID1 (SIOPv2) sessions name the verifier by its DID: decentralized_identifier",
                ));
            }
            if response_mode != "direct_post" {
                errors.push(FieldError::invalid(
                    "responseMode",
                    "ID1 (SIOPv2) sessions are answered by direct_post",
                ));
            }
            if self.dcql_query.is_some() {
                errors.push(FieldError::invalid(
                    "dcqlQuery",
                    "ID1 sessions ask with Presentation Exchange: give requestedCredentials",
                ));
            }
        }
        if let Some(method) = &self.did_method
            && !["JWK", "ION"].contains(&method.as_str())
        {
            errors.push(FieldError::invalid(
                "didMethod",
                "didMethod must be JWK or ION",
            ));
        }
        if self
            .message
            .as_ref()
            .is_some_and(|m| m.chars().count() > MAX_MESSAGE)
        {
            errors.push(FieldError::invalid(
                "message",
                format!("message must be at most {MAX_MESSAGE} characters"),
            ));
        }
        if let Some(uri) = &self.redirect_uri
            && !super::validate::is_absolute_url(uri, &["https", "http"])
        {
            errors.push(FieldError::invalid(
                "redirectUri",
                "redirectUri must be an absolute URL",
            ));
        }
        let mut requested = Vec::new();
        match (&self.requested_credentials, &self.dcql_query) {
            (Some(_), Some(_)) => errors.push(FieldError::invalid(
                "dcqlQuery",
                "give requestedCredentials or dcqlQuery, not both",
            )),
            (None, None) => errors.push(FieldError::required("requestedCredentials")),
            (None, Some(query)) if !query.is_object() => errors.push(FieldError::invalid(
                "dcqlQuery",
                "dcqlQuery must be a DCQL query object",
            )),
            (None, Some(_)) => {}
            (Some(list), None) => {
                if list.is_empty() {
                    errors.push(FieldError::invalid(
                        "requestedCredentials",
                        "requestedCredentials must name at least one credential type",
                    ));
                } else if protocol == "OPENID4VP" && list.len() > 1 {
                    errors.push(FieldError::invalid(
                        "requestedCredentials",
                        "an OPENID4VP session asks for exactly one credential type",
                    ));
                } else if list.len() > MAX_REQUESTED {
                    errors.push(FieldError::invalid(
                        "requestedCredentials",
                        format!("at most {MAX_REQUESTED} credential types per session"),
                    ));
                }
                for (i, r) in list.iter().enumerate() {
                    let target = format!("requestedCredentials[{i}]");
                    let title = match r.credential_type.as_deref().map(str::trim) {
                        Some(t) if !t.is_empty() => t.to_string(),
                        _ => {
                            errors.push(FieldError::required(format!("{target}.type")));
                            continue;
                        }
                    };
                    // PingOne ignores keys for OPENID4VP sessions.
                    let keys = if protocol == "OPENID4VP" {
                        Vec::new()
                    } else {
                        r.keys.clone().unwrap_or_default()
                    };
                    if keys.len() > MAX_KEYS {
                        errors.push(FieldError::invalid(
                            format!("{target}.keys"),
                            format!("at most {MAX_KEYS} keys"),
                        ));
                    }
                    for (k, key) in keys.iter().enumerate() {
                        if key.trim().is_empty() || keys[..k].contains(key) {
                            errors.push(FieldError::invalid(
                                format!("{target}.keys[{k}]"),
                                "keys must be distinct field titles",
                            ));
                        }
                    }
                    requested.push((title, keys));
                }
            }
        }
        let filter = self.issuer_filter.clone().unwrap_or_default();
        let environment_filter = filter.environment_ids.unwrap_or_default();
        for (i, id) in environment_filter.iter().enumerate() {
            if uuid::Uuid::parse_str(id).is_err() {
                errors.push(FieldError::invalid(
                    format!("issuerFilter.environmentIds[{i}]"),
                    "an environment id is a UUID",
                ));
            }
        }
        let did_filter = if protocol == "OPENID4VP" {
            filter.dids.unwrap_or_default()
        } else {
            Vec::new()
        };
        for (i, did) in did_filter.iter().enumerate() {
            if !did.starts_with("did:") || did.len() > 4096 {
                errors.push(FieldError::invalid(
                    format!("issuerFilter.dids[{i}]"),
                    "a DID starts with did:",
                ));
            }
        }
        if !errors.is_empty() {
            return Err(errors);
        }
        Ok(ValidSession {
            protocol,
            protocol_version,
            request_uri_method,
            requested,
            dcql_query: self.dcql_query.clone(),
            client_id_prefix,
            response_mode,
            environment_filter,
            did_filter,
        })
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn input(value: Value) -> PresentationSessionInput {
        serde_json::from_value(value).unwrap()
    }

    fn targets(value: Value) -> Vec<String> {
        input(value)
            .validate()
            .unwrap_err()
            .into_iter()
            .map(|e| e.target)
            .collect()
    }

    #[test]
    fn a_native_request_with_keys_is_valid() {
        let v = input(json!({"protocol": "NATIVE", "message": "Please share",
            "requestedCredentials": [{"type": "Driver License", "keys": ["First Name", "Last Name"]}]}))
        .validate()
        .unwrap();
        assert_eq!(v.protocol, "NATIVE");
        assert_eq!(
            v.requested,
            [(
                "Driver License".to_string(),
                vec!["First Name".to_string(), "Last Name".to_string()]
            )]
        );
        assert_eq!(v.client_id_prefix, "decentralized_identifier");
    }

    #[test]
    fn openid4vp_asks_for_one_type_and_ignores_keys() {
        let v = input(json!({"protocol": "OPENID4VP",
            "requestedCredentials": [{"type": "A", "keys": ["x"]}]}))
        .validate()
        .unwrap();
        assert!(v.requested[0].1.is_empty());
        assert_eq!(
            targets(
                json!({"protocol": "OPENID4VP", "requestedCredentials": [{"type": "A"}, {"type": "B"}]})
            ),
            ["requestedCredentials"]
        );
    }

    #[test]
    fn every_fault_has_its_target() {
        assert_eq!(targets(json!({})), ["requestedCredentials"]);
        assert_eq!(
            targets(
                json!({"protocol": "X", "requestedCredentials": [{"keys": ["a", "a"]}],
                "issuerFilter": {"environmentIds": ["nope"]}, "clientIdPrefix": "x509_uri",
                "responseMode": "fragment", "didMethod": "KEY"})
            ),
            [
                "protocol",
                "clientIdPrefix",
                "responseMode",
                "didMethod",
                "requestedCredentials[0].type",
                "issuerFilter.environmentIds[0]"
            ]
        );
        assert_eq!(
            targets(json!({"requestedCredentials": [{"type": "A", "keys": ["a", "a"]}]})),
            ["requestedCredentials[0].keys[1]"]
        );
        assert_eq!(
            targets(json!({"requestedCredentials": [{"type": "A"}], "dcqlQuery": {}})),
            ["dcqlQuery"]
        );
        assert_eq!(
            targets(
                json!({"protocol": "OPENID4VP", "requestedCredentials": [{"type": "A"}],
                "issuerFilter": {"dids": ["web:x"]}})
            ),
            ["issuerFilter.dids[0]"]
        );
    }

    #[test]
    fn id1_sessions_are_did_clients_answering_by_direct_post() {
        assert_eq!(
            targets(
                json!({"protocolVersion": "ID1", "clientIdPrefix": "x509_hash",
                "responseMode": "direct_post.jwt", "requestedCredentials": [{"type": "A"}]})
            ),
            ["clientIdPrefix", "responseMode"]
        );
        assert_eq!(
            targets(json!({"protocolVersion": "0.9", "requestUriMethod": "put",
                "requestedCredentials": [{"type": "A"}]})),
            ["protocolVersion", "requestUriMethod"]
        );
        let v = input(json!({"protocolVersion": "ID1", "requestUriMethod": "post",
            "requestedCredentials": [{"type": "A"}]}))
        .validate()
        .unwrap();
        assert_eq!((v.protocol_version, v.request_uri_method), ("ID1", "post"));
    }

    #[test]
    fn the_state_machine_takes_one_answer_and_no_event_after_the_end() {
        use SessionEvent as E;
        let s = SessionStatus::Initial;
        assert_eq!(s.next(E::RequestFetched), Some(SessionStatus::Waiting));
        let waiting = SessionStatus::Waiting;
        assert_eq!(
            waiting.next(E::RequestFetched),
            Some(SessionStatus::Waiting)
        );
        assert_eq!(
            waiting.next(E::Answered { verified: true }),
            Some(SessionStatus::Successful)
        );
        assert_eq!(
            s.next(E::Answered { verified: false }),
            Some(SessionStatus::Failed)
        );
        assert_eq!(waiting.next(E::TimedOut), Some(SessionStatus::Expired));
        for end in [
            SessionStatus::Successful,
            SessionStatus::Failed,
            SessionStatus::Expired,
        ] {
            for event in [
                E::RequestFetched,
                E::Answered { verified: true },
                E::Answered { verified: false },
                E::TimedOut,
            ] {
                assert_eq!(end.next(event), None, "{end:?} takes no {event:?}");
            }
        }
    }

    #[test]
    fn open_sessions_expire_final_ones_do_not() {
        let t = chrono::Utc::now().naive_utc();
        let later = t + chrono::Duration::seconds(1);
        assert_eq!(SessionStatus::Waiting.at(later, t), SessionStatus::Expired);
        assert_eq!(SessionStatus::Initial.at(t, later), SessionStatus::Initial);
        assert_eq!(
            SessionStatus::Successful.at(later, t),
            SessionStatus::Successful
        );
        assert_eq!(
            SessionStatus::parse("VERIFICATION_FAILED"),
            Some(SessionStatus::Failed)
        );
    }
}
