//! Long-form `did:ion`, resolved offline.
//!
//! Wallets of the DIF JWT-VC Presentation Profile (Microsoft Entra Verified ID among them)
//! present themselves as long-form `did:ion`s: `did:ion:<suffix>:<initial state>`, where the
//! initial state is the Sidetree create operation, `base64url(JCS({"suffixData", "delta"}))`.
//! The long form is self-certifying: the suffix is the hash of `suffixData`, which holds the
//! hash of `delta`, whose patches are the document. Checking both hashes and applying the
//! patches yields the DID document without asking an ION node, which is what this module does.
//!
//! A short-form `did:ion:<suffix>` (or a long form whose operations were anchored and later
//! updated) only resolves through an ION node reading the Bitcoin-anchored operation log.
//! vouch runs no such node and will not call a third-party one, so a short form is refused
//! with [`IonError::ShortForm`]; the document of a long form is its initial state, as the
//! Sidetree resolution rules give it for an unpublished DID.
//!
//! Only sha2-256 multihashes are accepted, which is the only hash ION uses.

use std::collections::HashSet;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use identity_kit::did::{
    APPLICATION_DID_JSON, APPLICATION_DID_LD_JSON, Context, Did, DidDocument, DidUrl,
    DocumentMetadata, MethodType, ResolutionError, ResolutionErrorKind, ResolutionOptions,
    ResolutionResult, Service, ServiceEndpoint, VerificationMaterial, VerificationMethod,
    VerificationRelationship,
};
use identity_kit::jose::Jwk;
use identity_kit::resolver::DidResolver;
use serde::Deserialize;
use serde_json::{Value, json};

/// The method name.
pub const METHOD: &str = "ion";

/// The longest encoded initial state accepted. An ION create operation with a few keys and
/// services is a few kilobytes; the bound keeps decoding and hashing of hostile input cheap.
pub const MAX_INITIAL_STATE_LEN: usize = 64 * 1024;

/// The longest long-form `did:ion` accepted: the initial state plus `did:ion:test:`, the
/// 46-character suffix and separators, with room to spare. identity-kit's default DID length
/// limit (2048 bytes) is too small for long forms with several keys, so the resolver parses
/// `did:ion`s with this one.
pub const MAX_DID_LEN: usize = MAX_INITIAL_STATE_LEN + 128;

/// The longest `did:ion` URL accepted: a long form and a `#fragment` (key ids are at most 50
/// characters in Sidetree).
pub const MAX_DID_URL_LEN: usize = MAX_DID_LEN + 128;

/// The multihash prefix of a sha2-256 digest: code 0x12, length 32.
const SHA2_256_MULTIHASH_PREFIX: [u8; 2] = [0x12, 0x20];

/// Sidetree limits ids of keys and services to 50 base64url characters.
const MAX_ID_LEN: usize = 50;

/// Why a `did:ion` did not resolve.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum IonError {
    #[error("`{0}` is not a did:ion")]
    NotIon(String),
    #[error(
        "`{0}` is a short-form did:ion, which only an ION node can resolve; vouch resolves \
         long-form did:ion (did:ion:<suffix>:<initial state>) offline and runs no ION node"
    )]
    ShortForm(String),
    #[error("the did:ion is malformed: {0}")]
    Malformed(String),
    #[error("the long-form initial state is longer than {max} characters")]
    TooLong { max: usize },
    #[error("the DID suffix is not the hash of the initial state's suffixData")]
    SuffixMismatch,
    #[error("suffixData.deltaHash is not the hash of the initial state's delta")]
    DeltaHashMismatch,
    #[error("unknown patch action `{0}`")]
    UnknownPatchAction(String),
    #[error("invalid patch: {0}")]
    InvalidPatch(String),
    #[error("the initial state yields no DID document: {0}")]
    Document(String),
}

impl IonError {
    /// The DID Resolution error keyword this error is reported with.
    fn kind(&self) -> ResolutionErrorKind {
        match self {
            IonError::NotIon(_) => ResolutionErrorKind::MethodNotSupported,
            // The DID is well formed, its document is just not available without a node.
            IonError::ShortForm(_) => ResolutionErrorKind::NotFound,
            IonError::Document(_) => ResolutionErrorKind::InvalidDidDocument,
            _ => ResolutionErrorKind::InvalidDid,
        }
    }
}

// ---------------------------------------------------------------------------------------------
// The Sidetree create operation
// ---------------------------------------------------------------------------------------------

/// The decoded long-form part. Both members stay raw JSON: their hashes are over their JCS
/// form, which must be computed from exactly what the DID carries.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct InitialState {
    suffix_data: Value,
    delta: Value,
}

/// Sidetree `suffixData`: the part of the create operation the DID suffix is the hash of.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct SuffixData {
    delta_hash: String,
    recovery_commitment: String,
    /// Sidetree allows a type tag and an anchor origin; neither changes the document.
    #[serde(rename = "type", default)]
    _type: Option<String>,
    #[serde(rename = "anchorOrigin", default)]
    _anchor_origin: Option<Value>,
}

/// Sidetree `delta`: the patches building the document, and the next update's commitment.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct Delta {
    patches: Vec<Value>,
    update_commitment: String,
}

/// One Sidetree patch, told apart by its `action` before its members are read, so an unknown
/// action is reported by name.
#[derive(Debug)]
enum Patch {
    Replace(DocumentState),
    AddPublicKeys(Vec<PublicKey>),
    RemovePublicKeys(Vec<String>),
    AddServices(Vec<ServiceEntry>),
    RemoveServices(Vec<String>),
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct ReplacePatch {
    #[serde(rename = "action")]
    _action: String,
    document: DocumentState,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct AddPublicKeysPatch {
    #[serde(rename = "action")]
    _action: String,
    public_keys: Vec<PublicKey>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct AddServicesPatch {
    #[serde(rename = "action")]
    _action: String,
    services: Vec<ServiceEntry>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct RemovePatch {
    #[serde(rename = "action")]
    _action: String,
    ids: Vec<String>,
}

/// The document state a `replace` patch sets, and the state patches build.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct DocumentState {
    #[serde(default)]
    public_keys: Vec<PublicKey>,
    #[serde(default)]
    services: Vec<ServiceEntry>,
}

/// A Sidetree public key entry.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct PublicKey {
    id: String,
    #[serde(rename = "type")]
    key_type: String,
    public_key_jwk: Jwk,
    #[serde(default)]
    purposes: Vec<String>,
}

/// A Sidetree service entry.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct ServiceEntry {
    id: String,
    #[serde(rename = "type")]
    service_type: String,
    service_endpoint: Value,
}

impl Patch {
    fn parse(value: Value) -> Result<Self, IonError> {
        fn read<T: serde::de::DeserializeOwned>(value: Value) -> Result<T, IonError> {
            serde_json::from_value(value).map_err(|e| IonError::InvalidPatch(e.to_string()))
        }
        let action = value
            .get("action")
            .and_then(Value::as_str)
            .ok_or_else(|| IonError::InvalidPatch("a patch has no `action`".into()))?
            .to_string();
        Ok(match action.as_str() {
            "replace" => Patch::Replace(read::<ReplacePatch>(value)?.document),
            "add-public-keys" => {
                Patch::AddPublicKeys(read::<AddPublicKeysPatch>(value)?.public_keys)
            }
            "remove-public-keys" => Patch::RemovePublicKeys(read::<RemovePatch>(value)?.ids),
            "add-services" => Patch::AddServices(read::<AddServicesPatch>(value)?.services),
            "remove-services" => Patch::RemoveServices(read::<RemovePatch>(value)?.ids),
            _ => return Err(IonError::UnknownPatchAction(action)),
        })
    }

    /// Applies the patch. Validation happens when the state becomes a document: Sidetree
    /// leaves a create operation whose patches are invalid without a usable document, so an
    /// invalid key or service fails the resolution rather than being skipped.
    fn apply(self, state: &mut DocumentState) {
        match self {
            Patch::Replace(document) => *state = document,
            // A key or service with an id already present replaces the old entry.
            Patch::AddPublicKeys(keys) => {
                for key in keys {
                    state.public_keys.retain(|k| k.id != key.id);
                    state.public_keys.push(key);
                }
            }
            Patch::AddServices(services) => {
                for service in services {
                    state.services.retain(|s| s.id != service.id);
                    state.services.push(service);
                }
            }
            Patch::RemovePublicKeys(ids) => state.public_keys.retain(|k| !ids.contains(&k.id)),
            Patch::RemoveServices(ids) => state.services.retain(|s| !ids.contains(&s.id)),
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Resolution
// ---------------------------------------------------------------------------------------------

/// A resolved long-form `did:ion`.
#[derive(Debug, Clone)]
pub struct IonResolution {
    /// The document, whose `id` is the long-form DID as given.
    pub document: DidDocument,
    /// The short form, `did:ion:<suffix>`, the DID's `equivalentId`.
    pub short_form: Did,
    /// The commitments of the create operation, as Sidetree resolution reports them.
    pub recovery_commitment: String,
    pub update_commitment: String,
}

/// The parts of a `did:ion`'s method-specific id: an optional network (`test`), the suffix and
/// the encoded initial state of a long form.
struct Parts<'a> {
    network: Option<&'a str>,
    suffix: &'a str,
    initial_state: &'a str,
}

fn split(did: &str) -> Result<Parts<'_>, IonError> {
    let id = did
        .strip_prefix("did:ion:")
        .ok_or_else(|| IonError::NotIon(did.to_string()))?;
    let segments: Vec<&str> = id.split(':').collect();
    // Suffixes are 46 characters, so a first segment `test` is always ION's testnet.
    let (network, suffix, initial_state) = match segments.as_slice() {
        [_] | ["test", _] => return Err(IonError::ShortForm(did.to_string())),
        ["test", suffix, state] => (Some("test"), *suffix, *state),
        [suffix, state] => (None, *suffix, *state),
        _ => {
            return Err(IonError::Malformed(
                "expected did:ion:[test:]<suffix>:<initial state>".into(),
            ));
        }
    };
    if suffix.is_empty() || initial_state.is_empty() {
        return Err(IonError::Malformed("an empty segment".into()));
    }
    Ok(Parts {
        network,
        suffix,
        initial_state,
    })
}

/// The base64url multihash (sha2-256) of `bytes`, the encoding of Sidetree's suffixes,
/// delta hashes and commitments.
fn multihash(bytes: &[u8]) -> String {
    let digest = ring::digest::digest(&ring::digest::SHA256, bytes);
    let mut hash = Vec::with_capacity(34);
    hash.extend_from_slice(&SHA2_256_MULTIHASH_PREFIX);
    hash.extend_from_slice(digest.as_ref());
    URL_SAFE_NO_PAD.encode(hash)
}

fn canonical_hash(value: &Value) -> Result<String, IonError> {
    let canonical = jcs::to_string(value).map_err(|e| IonError::Malformed(e.to_string()))?;
    Ok(multihash(canonical.as_bytes()))
}

/// Resolves the long-form `did` offline: checks that its suffix is the hash of its
/// `suffixData` and that `suffixData.deltaHash` is the hash of its `delta`, applies the delta's
/// patches and builds the document, whose `id` is `did` as given.
///
/// # Errors
///
/// [`IonError::ShortForm`] for a short-form `did:ion`, [`IonError::TooLong`] for an initial
/// state over [`MAX_INITIAL_STATE_LEN`], the mismatch errors when a hash does not hold, and
/// the others for an initial state that is not a valid Sidetree create operation.
pub fn resolve_long_form(did: &str) -> Result<IonResolution, IonError> {
    let parts = split(did)?;
    if parts.initial_state.len() > MAX_INITIAL_STATE_LEN {
        return Err(IonError::TooLong {
            max: MAX_INITIAL_STATE_LEN,
        });
    }
    let json = URL_SAFE_NO_PAD
        .decode(parts.initial_state)
        .map_err(|_| IonError::Malformed("the initial state is not base64url".into()))?;
    let state: InitialState = serde_json::from_slice(&json)
        .map_err(|e| IonError::Malformed(format!("the initial state: {e}")))?;

    if canonical_hash(&state.suffix_data)? != parts.suffix {
        return Err(IonError::SuffixMismatch);
    }
    let suffix_data: SuffixData = serde_json::from_value(state.suffix_data)
        .map_err(|e| IonError::Malformed(format!("suffixData: {e}")))?;
    if canonical_hash(&state.delta)? != suffix_data.delta_hash {
        return Err(IonError::DeltaHashMismatch);
    }
    let delta: Delta = serde_json::from_value(state.delta)
        .map_err(|e| IonError::Malformed(format!("delta: {e}")))?;

    let mut document = DocumentState::default();
    for patch in delta.patches {
        Patch::parse(patch)?.apply(&mut document);
    }

    let did_value = Did::parse_with_max_len(did, MAX_DID_LEN)
        .map_err(|e| IonError::Malformed(e.to_string()))?;
    let short_form = match parts.network {
        Some(network) => format!("did:ion:{network}:{}", parts.suffix),
        None => format!("did:ion:{}", parts.suffix),
    };
    let short_form = Did::parse(&short_form).map_err(|e| IonError::Malformed(e.to_string()))?;
    Ok(IonResolution {
        document: build_document(&did_value, document)?,
        short_form,
        recovery_commitment: suffix_data.recovery_commitment,
        update_commitment: delta.update_commitment,
    })
}

/// Sidetree ids are base64url characters, which also makes them valid DID URL fragments.
fn check_id(id: &str) -> Result<(), IonError> {
    let valid = !id.is_empty()
        && id.len() <= MAX_ID_LEN
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
    if valid {
        Ok(())
    } else {
        Err(IonError::InvalidPatch(format!(
            "`{id}` is not an id of at most {MAX_ID_LEN} base64url characters"
        )))
    }
}

fn relationship(purpose: &str) -> Result<VerificationRelationship, IonError> {
    Ok(match purpose {
        "authentication" => VerificationRelationship::Authentication,
        "assertionMethod" => VerificationRelationship::AssertionMethod,
        "keyAgreement" => VerificationRelationship::KeyAgreement,
        "capabilityInvocation" => VerificationRelationship::CapabilityInvocation,
        "capabilityDelegation" => VerificationRelationship::CapabilityDelegation,
        _ => {
            return Err(IonError::InvalidPatch(format!(
                "unknown key purpose `{purpose}`"
            )));
        }
    })
}

/// The DID document of the patched state. Ids are written absolute (`<did>#<id>`) where
/// Sidetree resolvers write `#<id>` relative to an `@base`: identity-kit matches key
/// references by their full DID URL, and the two denote the same method.
fn build_document(did: &Did, state: DocumentState) -> Result<DidDocument, IonError> {
    let fragment = |id: &str| -> Result<DidUrl, IonError> {
        check_id(id)?;
        DidUrl::parse_with_max_len(&format!("{did}#{id}"), MAX_DID_URL_LEN)
            .map_err(|e| IonError::Malformed(e.to_string()))
    };
    let mut builder = DidDocument::builder(did.clone()).context(Context::did_v1());
    let mut key_ids = HashSet::new();
    for key in state.public_keys {
        if !key_ids.insert(key.id.clone()) {
            return Err(IonError::InvalidPatch(format!(
                "duplicate key id `{}`",
                key.id
            )));
        }
        if key.public_key_jwk.is_private() {
            return Err(IonError::InvalidPatch(format!(
                "key `{}` carries private key parameters",
                key.id
            )));
        }
        let relationships = key
            .purposes
            .iter()
            .map(|p| relationship(p))
            .collect::<Result<Vec<_>, _>>()?;
        let method = VerificationMethod::new(
            fragment(&key.id)?,
            MethodType::new(key.key_type),
            did.clone(),
            VerificationMaterial::PublicKeyJwk(Box::new(key.public_key_jwk)),
        );
        builder = builder.verification_method(method, relationships);
    }
    for service in state.services {
        let endpoint: ServiceEndpoint = serde_json::from_value(service.service_endpoint)
            .map_err(|e| IonError::InvalidPatch(format!("service `{}`: {e}", service.id)))?;
        builder = builder.service(Service::new(
            fragment(&service.id)?,
            service.service_type,
            endpoint,
        ));
    }
    builder
        .build()
        .map_err(|e| IonError::Document(e.to_string()))
}

/// Whether `short` is the short form of the long-form `did:ion` `long` (`long` is
/// `short:<initial state>`). Only the strings are compared: resolving `long` checks it.
pub fn is_short_form_of(short: &str, long: &str) -> bool {
    // `split` accepts only `did:ion:[test:]<suffix>:<initial state>`, so what precedes the
    // last colon is exactly the short form.
    split(long).is_ok()
        && long
            .rsplit_once(':')
            .is_some_and(|(prefix, _)| prefix == short)
}

/// Builds the long-form `did:ion` of a create operation whose document holds `public_jwk` as
/// key `key_id` for `authentication`, as `JsonWebKey2020`. Used by tests and tooling to make
/// `did:ion` holders: nothing is anchored, and the update and recovery commitments commit to
/// no key anyone holds, so the DID can never be updated or recovered, only presented.
///
/// # Panics
///
/// When `public_jwk` holds a number with no finite double value (only possible with
/// `serde_json`'s `arbitrary_precision`), which no JWK does.
pub fn long_form_did_ion(public_jwk: &Value, key_id: &str) -> String {
    let canonical = |value: &Value| jcs::to_string(value).expect("a JWK canonicalises");
    // Shaped like a commitment (a sha2-256 multihash), but of no update or recovery key
    // anyone holds: it only has to be deterministic.
    let commitment = multihash(canonical(public_jwk).as_bytes());
    let delta = json!({
        "patches": [{
            "action": "replace",
            "document": {
                "publicKeys": [{
                    "id": key_id,
                    "type": "JsonWebKey2020",
                    "publicKeyJwk": public_jwk,
                    "purposes": ["authentication"],
                }],
            },
        }],
        "updateCommitment": commitment,
    });
    long_form_of(&delta, &commitment)
}

/// The long-form `did:ion` of a create operation with `delta`.
fn long_form_of(delta: &Value, recovery_commitment: &str) -> String {
    let canonical = |value: &Value| jcs::to_string(value).expect("the operation canonicalises");
    let suffix_data = json!({
        "deltaHash": multihash(canonical(delta).as_bytes()),
        "recoveryCommitment": recovery_commitment,
    });
    let suffix = multihash(canonical(&suffix_data).as_bytes());
    let initial_state = canonical(&json!({"suffixData": suffix_data, "delta": delta}));
    format!("did:ion:{suffix}:{}", URL_SAFE_NO_PAD.encode(initial_state))
}

/// The `did:ion` method for identity-kit's [`Resolver`](identity_kit::resolver::Resolver):
/// long forms resolve offline, short forms fail with a `notFound` saying why.
#[derive(Debug, Clone, Copy, Default)]
pub struct DidIon;

#[async_trait::async_trait]
impl DidResolver for DidIon {
    fn method(&self) -> &'static str {
        METHOD
    }

    async fn resolve(
        &self,
        did: &Did,
        options: &ResolutionOptions,
    ) -> Result<ResolutionResult, ResolutionError> {
        if let Some(accept) = options.accept.as_deref()
            && ![
                APPLICATION_DID_JSON,
                APPLICATION_DID_LD_JSON,
                "application/json",
            ]
            .contains(&accept)
        {
            return Err(
                ResolutionError::new(ResolutionErrorKind::RepresentationNotSupported)
                    .with_detail(format!("`{accept}` is not a JSON representation")),
            );
        }
        let resolved = resolve_long_form(did.as_str())
            .map_err(|e| ResolutionError::new(e.kind()).with_detail(e.to_string()))?;
        let mut metadata = DocumentMetadata::default();
        metadata.equivalent_id = vec![resolved.short_form];
        metadata.properties.insert(
            "method".into(),
            json!({
                "published": false,
                "recoveryCommitment": resolved.recovery_commitment,
                "updateCommitment": resolved.update_commitment,
            }),
        );
        Ok(ResolutionResult::new(resolved.document).with_document_metadata(metadata))
    }
}

// ---------------------------------------------------------------------------------------------
// JCS
// ---------------------------------------------------------------------------------------------

/// The JSON Canonicalization Scheme ([RFC 8785]) over [`serde_json::Value`], which Sidetree
/// hashes are computed over. identity-kit has one but keeps it private.
///
/// [RFC 8785]: https://www.rfc-editor.org/rfc/rfc8785
pub mod jcs {
    use serde_json::Value;

    /// A number JCS cannot write: it has no finite double value. `serde_json` keeps such a
    /// number (`1e400`) only with its `arbitrary_precision` feature.
    #[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
    #[error("the number {0} has no finite double value, which JCS requires")]
    pub struct UnsupportedNumber(pub String);

    /// The canonical form of `value`: members sorted by the UTF-16 code units of their names,
    /// recursively; no whitespace; strings escaped as RFC 8785 §3.2.2.2 says; numbers as
    /// ECMAScript's `Number.prototype.toString` writes the double they denote.
    pub fn to_string(value: &Value) -> Result<String, UnsupportedNumber> {
        let mut out = String::new();
        write(&mut out, value)?;
        Ok(out)
    }

    fn write(out: &mut String, value: &Value) -> Result<(), UnsupportedNumber> {
        match value {
            Value::Null => out.push_str("null"),
            Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
            Value::Number(n) => {
                // JCS reads every number as an IEEE 754 double, so integers beyond 2^53
                // lose precision, as in every other JCS implementation.
                let double = n
                    .as_f64()
                    .filter(|d| d.is_finite())
                    .ok_or_else(|| UnsupportedNumber(n.to_string()))?;
                write_number(out, double);
            }
            Value::String(s) => write_string(out, s),
            Value::Array(items) => {
                out.push('[');
                for (i, item) in items.iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    write(out, item)?;
                }
                out.push(']');
            }
            Value::Object(members) => {
                let mut members: Vec<_> = members.iter().collect();
                // Not byte order: RFC 8785 §3.2.3 sorts by UTF-16 code units, which differs
                // for characters beyond the Basic Multilingual Plane.
                members.sort_by(|(a, _), (b, _)| a.encode_utf16().cmp(b.encode_utf16()));
                out.push('{');
                for (i, (name, member)) in members.into_iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    write_string(out, name);
                    out.push(':');
                    write(out, member)?;
                }
                out.push('}');
            }
        }
        Ok(())
    }

    /// RFC 8785 §3.2.2.2: `\"`, `\\`, `\b`, `\t`, `\n`, `\f`, `\r`, other control characters
    /// as lowercase `\u00xx`, everything else (`/`, non-ASCII) literal. That is exactly how
    /// `serde_json` escapes.
    fn write_string(out: &mut String, s: &str) {
        out.push_str(&serde_json::to_string(s).expect("a string serializes"));
    }

    /// ECMAScript `Number.prototype.toString` (ECMA-262 Number::toString, radix 10), which
    /// RFC 8785 §3.2.2.3 prescribes. Rust's `{:e}` gives the shortest digits that round-trip,
    /// the same digits ECMAScript picks; only their layout differs.
    fn write_number(out: &mut String, value: f64) {
        if value == 0.0 {
            // Both zeros are "0".
            out.push('0');
            return;
        }
        if value < 0.0 {
            out.push('-');
        }
        let scientific = format!("{:e}", value.abs());
        let (mantissa, exponent) = scientific
            .split_once('e')
            .expect("`{:e}` writes an exponent");
        let digits: String = mantissa.chars().filter(|c| *c != '.').collect();
        let exponent: i32 = exponent.parse().expect("`{:e}` writes an integer exponent");
        let k = digits.len() as i32;
        // The decimal point sits after `n` digits: value = 0.digits × 10^n.
        let n = exponent + 1;
        if k <= n && n <= 21 {
            out.push_str(&digits);
            out.extend(std::iter::repeat_n('0', (n - k) as usize));
        } else if 0 < n && n <= 21 {
            out.push_str(&digits[..n as usize]);
            out.push('.');
            out.push_str(&digits[n as usize..]);
        } else if -6 < n && n <= 0 {
            out.push_str("0.");
            out.extend(std::iter::repeat_n('0', (-n) as usize));
            out.push_str(&digits);
        } else {
            out.push_str(&digits[..1]);
            if k > 1 {
                out.push('.');
                out.push_str(&digits[1..]);
            }
            out.push('e');
            out.push(if n > 0 { '+' } else { '-' });
            out.push_str(&(n - 1).abs().to_string());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::did::DidResolver;
    use crate::protocol::did::resolver::KeyUse;

    /// The long-form DID of the ION SDK's create vector: decentralized-identity/ion-sdk,
    /// `tests/IonDid.spec.ts` ("vector test - should create a long-form DID correctly",
    /// commit c2d10c0b2512e2d31fef801f0f8566bd7d785d05). The Sidetree specification's vectors
    /// (decentralized-identity/sidetree, `www/vectors/resolution/did.json`) are the same
    /// operation under `did:sidetree`.
    const VECTOR_DID: &str = "did:ion:EiDyOQbbZAa3aiRzeCkV7LOx3SERjjH93EXoIM3UoN4oWg:eyJkZWx0YSI6eyJwYXRjaGVzIjpbeyJhY3Rpb24iOiJyZXBsYWNlIiwiZG9jdW1lbnQiOnsicHVibGljS2V5cyI6W3siaWQiOiJwdWJsaWNLZXlNb2RlbDFJZCIsInB1YmxpY0tleUp3ayI6eyJjcnYiOiJzZWNwMjU2azEiLCJrdHkiOiJFQyIsIngiOiJ0WFNLQl9ydWJYUzdzQ2pYcXVwVkpFelRjVzNNc2ptRXZxMVlwWG45NlpnIiwieSI6ImRPaWNYcWJqRnhvR0otSzAtR0oxa0hZSnFpY19EX09NdVV3a1E3T2w2bmsifSwicHVycG9zZXMiOlsiYXV0aGVudGljYXRpb24iLCJrZXlBZ3JlZW1lbnQiXSwidHlwZSI6IkVjZHNhU2VjcDI1NmsxVmVyaWZpY2F0aW9uS2V5MjAxOSJ9XSwic2VydmljZXMiOlt7ImlkIjoic2VydmljZTFJZCIsInNlcnZpY2VFbmRwb2ludCI6Imh0dHA6Ly93d3cuc2VydmljZTEuY29tIiwidHlwZSI6InNlcnZpY2UxVHlwZSJ9XX19XSwidXBkYXRlQ29tbWl0bWVudCI6IkVpREtJa3dxTzY5SVBHM3BPbEhrZGI4Nm5ZdDBhTnhTSFp1MnItYmhFem5qZEEifSwic3VmZml4RGF0YSI6eyJkZWx0YUhhc2giOiJFaUNmRFdSbllsY0Q5RUdBM2RfNVoxQUh1LWlZcU1iSjluZmlxZHo1UzhWRGJnIiwicmVjb3ZlcnlDb21taXRtZW50IjoiRWlCZk9aZE10VTZPQnc4UGs4NzlRdFotMkotOUZiYmpTWnlvYUFfYnFENHpoQSJ9fQ";
    const VECTOR_SHORT: &str = "did:ion:EiDyOQbbZAa3aiRzeCkV7LOx3SERjjH93EXoIM3UoN4oWg";

    /// The key of the vector's document as the Sidetree specification resolves it
    /// (`www/vectors/resolution/longFormResponseDidDocument.json`, commit
    /// bb4bb16d23838cc02bbde0b4ac634e0491ae85fd).
    fn vector_key() -> Value {
        json!({
            "crv": "secp256k1",
            "kty": "EC",
            "x": "tXSKB_rubXS7sCjXqupVJEzTcW3MsjmEvq1YpXn96Zg",
            "y": "dOicXqbjFxoGJ-K0-GJ1kHYJqic_D_OMuUwkQ7Ol6nk"
        })
    }

    fn p256_jwk() -> Value {
        json!({
            "kty": "EC",
            "crv": "P-256",
            "x": "acbIQiuMs3i8_uszEjJ2tpTtRM4EU3yz91PH6CdH2V0",
            "y": "_KcyLj9vWMptnmKtm46GqDz8wf74I5LKgrl2GzH3nSE"
        })
    }

    fn ed25519_jwk() -> Value {
        json!({"kty": "OKP", "crv": "Ed25519", "x": "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"})
    }

    /// The vector with its decoded initial state passed through `edit`, re-encoded, under the
    /// original suffix.
    fn edited_vector(edit: impl FnOnce(String) -> String) -> String {
        let (prefix, state) = VECTOR_DID.rsplit_once(':').unwrap();
        let json = String::from_utf8(URL_SAFE_NO_PAD.decode(state).unwrap()).unwrap();
        let edited = edit(json.clone());
        assert_ne!(edited, json, "the edit changed nothing");
        format!("{prefix}:{}", URL_SAFE_NO_PAD.encode(edited))
    }

    fn method_id(did: &str, id: &str) -> DidUrl {
        DidUrl::parse_with_max_len(&format!("{did}#{id}"), MAX_DID_URL_LEN).unwrap()
    }

    fn resolver() -> DidResolver {
        let _ = rustls::crypto::ring::default_provider().install_default();
        DidResolver::new(false).unwrap()
    }

    #[test]
    fn the_published_vector_resolves_to_the_published_document() {
        let resolved = resolve_long_form(VECTOR_DID).unwrap();
        let document = &resolved.document;
        assert_eq!(document.id.as_str(), VECTOR_DID);
        assert_eq!(resolved.short_form.as_str(), VECTOR_SHORT);
        assert_eq!(
            resolved.recovery_commitment,
            "EiBfOZdMtU6OBw8Pk879QtZ-2J-9FbbjSZyoaA_bqD4zhA"
        );
        assert_eq!(
            resolved.update_commitment,
            "EiDKIkwqO69IPG3pOlHkdb86nYt0aNxSHZu2r-bhEznjdA"
        );

        let id = method_id(VECTOR_DID, "publicKeyModel1Id");
        let method = document
            .resolve_verification_method(&id, Some(VerificationRelationship::Authentication))
            .unwrap();
        assert_eq!(
            method.method_type.as_str(),
            "EcdsaSecp256k1VerificationKey2019"
        );
        assert_eq!(method.controller.as_str(), VECTOR_DID);
        assert_eq!(
            serde_json::to_value(method.public_key_jwk().unwrap()).unwrap(),
            vector_key()
        );
        // Purposes ["authentication", "keyAgreement"], and nothing else.
        assert!(
            document
                .resolve_verification_method(&id, Some(VerificationRelationship::KeyAgreement))
                .is_ok()
        );
        for other in [
            VerificationRelationship::AssertionMethod,
            VerificationRelationship::CapabilityInvocation,
            VerificationRelationship::CapabilityDelegation,
        ] {
            assert!(
                document
                    .resolve_verification_method(&id, Some(other))
                    .is_err()
            );
        }

        let service = document
            .service(&method_id(VECTOR_DID, "service1Id"))
            .unwrap();
        assert!(service.has_type("service1Type"));
        assert_eq!(
            serde_json::to_value(&service.service_endpoint).unwrap(),
            json!("http://www.service1.com")
        );
    }

    #[test]
    fn the_published_create_operation_encodes_to_the_published_did() {
        // decentralized-identity/sidetree `www/vectors/operations/createOperation.json`, members
        // in the file's (non-canonical) order: JCS and the hashes must give the same DID.
        let delta = json!({
            "updateCommitment": "EiDKIkwqO69IPG3pOlHkdb86nYt0aNxSHZu2r-bhEznjdA",
            "patches": [{
                "action": "replace",
                "document": {
                    "publicKeys": [{
                        "id": "publicKeyModel1Id",
                        "type": "EcdsaSecp256k1VerificationKey2019",
                        "publicKeyJwk": {
                            "kty": "EC",
                            "crv": "secp256k1",
                            "x": "tXSKB_rubXS7sCjXqupVJEzTcW3MsjmEvq1YpXn96Zg",
                            "y": "dOicXqbjFxoGJ-K0-GJ1kHYJqic_D_OMuUwkQ7Ol6nk"
                        },
                        "purposes": ["authentication", "keyAgreement"]
                    }],
                    "services": [{
                        "id": "service1Id",
                        "type": "service1Type",
                        "serviceEndpoint": "http://www.service1.com"
                    }]
                }
            }]
        });
        assert_eq!(
            long_form_of(&delta, "EiBfOZdMtU6OBw8Pk879QtZ-2J-9FbbjSZyoaA_bqD4zhA"),
            VECTOR_DID
        );
    }

    #[tokio::test]
    async fn the_resolver_returns_the_vector_key_for_holder_use() {
        let resolver = resolver();
        let url = format!("{VECTOR_DID}#publicKeyModel1Id");
        let jwk = resolver.resolve_key(&url, KeyUse::Holder).await.unwrap();
        assert_eq!(serde_json::to_value(jwk).unwrap(), vector_key());
        // The key is not listed under assertionMethod.
        assert!(resolver.resolve_key(&url, KeyUse::Issuer).await.is_err());
        // The one authentication key is also found without a fragment.
        let jwk = resolver
            .resolve_key(VECTOR_DID, KeyUse::Holder)
            .await
            .unwrap();
        assert_eq!(serde_json::to_value(jwk).unwrap(), vector_key());
        let document = resolver.resolve(VECTOR_DID).await.unwrap();
        assert_eq!(document.id.as_str(), VECTOR_DID);
    }

    #[test]
    fn a_tampered_delta_fails_the_delta_hash() {
        let did = edited_vector(|json| json.replace("www.service1.com", "www.service2.com"));
        assert_eq!(
            resolve_long_form(&did).unwrap_err(),
            IonError::DeltaHashMismatch
        );
    }

    #[test]
    fn a_wrong_suffix_fails() {
        // One character of the suffix changed.
        let did = VECTOR_DID.replacen("EiDyOQbb", "EiDyOQbc", 1);
        assert_eq!(
            resolve_long_form(&did).unwrap_err(),
            IonError::SuffixMismatch
        );
        // The suffix of another operation: suffixData changed, so its hash moves.
        let did = edited_vector(|json| json.replace("EiBfOZdMtU6O", "EiBfOZdMtU6P"));
        assert_eq!(
            resolve_long_form(&did).unwrap_err(),
            IonError::SuffixMismatch
        );
    }

    #[tokio::test]
    async fn a_short_form_is_refused_with_a_clear_error() {
        for short in [
            VECTOR_SHORT,
            "did:ion:test:EiDyOQbbZAa3aiRzeCkV7LOx3SERjjH93EXoIM3UoN4oWg",
        ] {
            let error = resolve_long_form(short).unwrap_err();
            assert_eq!(error, IonError::ShortForm(short.to_string()));
            assert!(error.to_string().contains("ION node"), "{error}");
        }
        let error = resolver().resolve(VECTOR_SHORT).await.unwrap_err();
        assert!(error.to_string().contains("short-form did:ion"), "{error}");
        let url = format!("{VECTOR_SHORT}#publicKeyModel1Id");
        let error = resolver()
            .resolve_key(&url, KeyUse::Holder)
            .await
            .unwrap_err();
        assert!(error.to_string().contains("short-form did:ion"), "{error}");
    }

    #[test]
    fn an_oversize_initial_state_is_refused_before_decoding() {
        let did = format!(
            "did:ion:EiDyOQbbZAa3aiRzeCkV7LOx3SERjjH93EXoIM3UoN4oWg:{}",
            "A".repeat(MAX_INITIAL_STATE_LEN + 1)
        );
        assert_eq!(
            resolve_long_form(&did).unwrap_err(),
            IonError::TooLong {
                max: MAX_INITIAL_STATE_LEN
            }
        );
    }

    #[test]
    fn malformed_long_forms_are_refused() {
        for did in [
            "did:ion:a:b:c:d",
            "did:ion:EiDyOQbbZAa3aiRzeCkV7LOx3SERjjH93EXoIM3UoN4oWg:not*base64",
            "did:ion:EiDyOQbbZAa3aiRzeCkV7LOx3SERjjH93EXoIM3UoN4oWg:e30",
        ] {
            assert!(
                matches!(resolve_long_form(did), Err(IonError::Malformed(_))),
                "{did}"
            );
        }
        assert!(matches!(
            resolve_long_form("did:jwk:abc"),
            Err(IonError::NotIon(_))
        ));
    }

    #[test]
    fn the_builder_makes_resolvable_dids_for_p256_secp256k1_and_ed25519() {
        for jwk in [p256_jwk(), vector_key(), ed25519_jwk()] {
            let did = long_form_did_ion(&jwk, "key-1");
            assert!(did.starts_with("did:ion:EiD") || did.starts_with("did:ion:Ei"));
            let resolved = resolve_long_form(&did).unwrap();
            let method = resolved
                .document
                .resolve_verification_method(
                    &method_id(&did, "key-1"),
                    Some(VerificationRelationship::Authentication),
                )
                .unwrap();
            assert_eq!(method.method_type.as_str(), "JsonWebKey2020");
            assert_eq!(
                serde_json::to_value(method.public_key_jwk().unwrap()).unwrap(),
                jwk
            );
            // The same key always gives the same DID.
            assert_eq!(long_form_did_ion(&jwk, "key-1"), did);
        }
    }

    #[tokio::test]
    async fn a_built_did_resolves_through_the_resolver() {
        let did = long_form_did_ion(&p256_jwk(), "sig-1");
        let jwk = resolver()
            .resolve_key(&format!("{did}#sig-1"), KeyUse::Holder)
            .await
            .unwrap();
        assert_eq!(serde_json::to_value(jwk).unwrap(), p256_jwk());
        assert_eq!(
            resolve_long_form(&did).unwrap().short_form.as_str(),
            did.rsplit_once(':').unwrap().0
        );
    }

    #[test]
    fn short_forms_are_matched_to_their_long_form() {
        assert!(is_short_form_of(VECTOR_SHORT, VECTOR_DID));
        assert!(!is_short_form_of(VECTOR_DID, VECTOR_DID));
        assert!(!is_short_form_of("did:ion:EiDyOQbbZAa3aiRz", VECTOR_DID));
        assert!(!is_short_form_of("did:ion", VECTOR_SHORT));
        let testnet = VECTOR_DID.replacen("did:ion:", "did:ion:test:", 1);
        assert!(is_short_form_of(
            &VECTOR_SHORT.replacen("did:ion:", "did:ion:test:", 1),
            &testnet
        ));
        assert!(!is_short_form_of(VECTOR_SHORT, &testnet));
    }

    #[test]
    fn the_testnet_prefix_is_accepted() {
        let did = long_form_did_ion(&p256_jwk(), "key-1").replacen("did:ion:", "did:ion:test:", 1);
        let resolved = resolve_long_form(&did).unwrap();
        assert!(resolved.short_form.as_str().starts_with("did:ion:test:Ei"));
    }

    fn key_entry(id: &str, jwk: Value, purposes: &[&str]) -> Value {
        json!({"id": id, "type": "JsonWebKey2020", "publicKeyJwk": jwk, "purposes": purposes})
    }

    #[test]
    fn patches_add_and_remove_keys_and_services() {
        let delta = json!({
            "patches": [
                {"action": "replace", "document": {
                    "publicKeys": [key_entry("a", p256_jwk(), &["authentication"])],
                    "services": [{"id": "s1", "type": "LinkedDomains", "serviceEndpoint": "https://a.example"}],
                }},
                {"action": "add-public-keys", "publicKeys": [
                    key_entry("b", ed25519_jwk(), &["assertionMethod", "capabilityInvocation"]),
                    key_entry("c", vector_key(), &["keyAgreement"]),
                ]},
                {"action": "remove-public-keys", "ids": ["c"]},
                {"action": "add-services", "services": [
                    {"id": "s2", "type": "LinkedDomains", "serviceEndpoint": "https://b.example"},
                ]},
                {"action": "remove-services", "ids": ["s1"]},
            ],
            "updateCommitment": "EiDKIkwqO69IPG3pOlHkdb86nYt0aNxSHZu2r-bhEznjdA",
        });
        let did = long_form_of(&delta, "EiBfOZdMtU6OBw8Pk879QtZ-2J-9FbbjSZyoaA_bqD4zhA");
        let document = resolve_long_form(&did).unwrap().document;
        let b = method_id(&did, "b");
        assert!(
            document
                .resolve_verification_method(&b, Some(VerificationRelationship::AssertionMethod))
                .is_ok()
        );
        assert!(
            document
                .resolve_verification_method(&b, Some(VerificationRelationship::Authentication))
                .is_err()
        );
        assert!(
            document
                .verification_method(&method_id(&did, "a"))
                .is_some()
        );
        assert!(
            document
                .verification_method(&method_id(&did, "c"))
                .is_none()
        );
        assert!(document.service(&method_id(&did, "s1")).is_none());
        assert!(document.service(&method_id(&did, "s2")).is_some());
    }

    #[test]
    fn invalid_patches_fail() {
        let commitment = "EiBfOZdMtU6OBw8Pk879QtZ-2J-9FbbjSZyoaA_bqD4zhA";
        let with = |patch: Value| {
            let delta = json!({"patches": [patch], "updateCommitment": commitment});
            resolve_long_form(&long_form_of(&delta, commitment)).unwrap_err()
        };
        assert_eq!(
            with(json!({"action": "ietf-json-patch", "patches": []})),
            IonError::UnknownPatchAction("ietf-json-patch".into())
        );
        assert!(matches!(
            with(json!({"action": "add-public-keys", "publicKeys": [
                key_entry("k", p256_jwk(), &["signing"])]})),
            IonError::InvalidPatch(_)
        ));
        assert!(matches!(
            with(json!({"action": "add-public-keys", "publicKeys": [
                key_entry("not a fragment", p256_jwk(), &["authentication"])]})),
            IonError::InvalidPatch(_)
        ));
        let mut private = p256_jwk();
        private["d"] = json!("jpsQnnGQmL-YBIffH1136cspYG6-0iY7X1fCE9-E9LI");
        assert!(matches!(
            with(json!({"action": "add-public-keys", "publicKeys": [
                key_entry("k", private, &["authentication"])]})),
            IonError::InvalidPatch(_)
        ));
        assert!(matches!(
            with(json!({"action": "replace", "document": {"publicKeys": [
                key_entry("k", p256_jwk(), &["authentication"]),
                key_entry("k", ed25519_jwk(), &["authentication"]),
            ]}})),
            IonError::InvalidPatch(_)
        ));
    }

    // JCS: RFC 8785's own examples.

    #[test]
    fn jcs_sorts_members_by_utf16_code_units() {
        // RFC 8785 §3.2.3: U+1F600 (surrogates D83D DE00) sorts before U+FB33, unlike in
        // UTF-8 or code point order.
        let value: Value = serde_json::from_str(
            r#"{"\u20ac": "Euro Sign", "\r": "Carriage Return", "\ufb33": "Hebrew Letter Dalet With Dagesh",
                "1": "One", "\ud83d\ude00": "Emoji: Grinning Face", "\u0080": "Control",
                "\u00f6": "Latin Small Letter O With Diaeresis"}"#,
        )
        .unwrap();
        let names: Vec<String> = {
            let canonical = jcs::to_string(&value).unwrap();
            let back: serde_json::Map<String, Value> = serde_json::from_str(&canonical).unwrap();
            // serde_json's map may sort on its own, so read the order off the text.
            let mut names: Vec<_> = back.keys().cloned().collect();
            names.sort_by_key(|n| canonical.find(&serde_json::to_string(n).unwrap()).unwrap());
            names
        };
        assert_eq!(
            names,
            [
                "\r",
                "1",
                "\u{80}",
                "\u{f6}",
                "\u{20ac}",
                "\u{1f600}",
                "\u{fb33}"
            ]
        );
    }

    #[test]
    fn jcs_writes_the_rfc_8785_example() {
        // RFC 8785 §3.2.2 input and §3.2.4 output.
        let value: Value = serde_json::from_str(
            r#"{
              "numbers": [333333333.33333329, 1E30, 4.50, 2e-3, 0.000000000000000000000000001],
              "string": "\u20ac$\u000F\u000aA'\u0042\u0022\u005c\\\"\/",
              "literals": [null, true, false]
            }"#,
        )
        .unwrap();
        assert_eq!(
            jcs::to_string(&value).unwrap(),
            r#"{"literals":[null,true,false],"numbers":[333333333.3333333,1e+30,4.5,0.002,1e-27],"string":"€$\u000f\nA'B\"\\\\\"/"}"#
        );
    }

    #[test]
    fn jcs_sorts_nested_objects_and_keeps_array_order() {
        let value = json!({"b": [{"z": 1, "a": {"y": true, "x": null}}, 2], "a": {}});
        assert_eq!(
            jcs::to_string(&value).unwrap(),
            r#"{"a":{},"b":[{"a":{"x":null,"y":true},"z":1},2]}"#
        );
    }

    #[test]
    fn jcs_writes_numbers_as_ecmascript_does() {
        // RFC 8785 Appendix B.
        for (number, expected) in [
            (0.0, "0"),
            (-0.0, "0"),
            (5e-324, "5e-324"),
            (-5e-324, "-5e-324"),
            (1.7976931348623157e308, "1.7976931348623157e+308"),
            (9007199254740992.0, "9007199254740992"),
            (9007199254740994.0, "9007199254740994"),
            (295147905179352830000.0, "295147905179352830000"),
            (1e21, "1e+21"),
            (1e20, "100000000000000000000"),
            (9.999999999999997e22, "9.999999999999997e+22"),
            (0.000001, "0.000001"),
            (1e-7, "1e-7"),
            (-1.5, "-1.5"),
            (123.0, "123"),
        ] {
            assert_eq!(
                jcs::to_string(&json!(number)).unwrap(),
                expected,
                "{number:e}"
            );
        }
        assert_eq!(jcs::to_string(&json!(-42)).unwrap(), "-42");
        assert_eq!(
            jcs::to_string(&json!(u64::MAX)).unwrap(),
            "18446744073709552000"
        );
    }
}
