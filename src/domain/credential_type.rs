//! Credential types: what a credential holds and how its card looks, as PingOne models
//! them, with every rule checked on save.
//!
//! The definition a client sends is kept as sent (so it reads back the same), plus the
//! effective `management.mode` and `onDelete.revokeIssuedCredentials`. One deliberate
//! difference from PingOne's Terraform provider: a `metadata` colour or image, or a
//! `description`, that the card template does not use is accepted, because vouch also
//! shows these values to wallets (OpenID4VCI `display`) and the seed's own BigBank example
//! relies on it. The other direction — a placeholder without its value — is an error.

use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use super::card::{self, MAX_TEMPLATE_LEN, Placeholder};
use super::validate::{Checker, DESCRIPTION, FieldError, Len, NAME, is_absolute_url};

pub const FIELD_TYPES: &[&str] = &[
    "Alphanumeric Text",
    "Issued Timestamp",
    "Directory Attribute",
];
pub const MODES: &[&str] = &["AUTOMATED", "MANAGED"];
pub const EXPIRATION_TYPES: &[&str] = &["SOFT", "HARD"];
pub const TIME_UNITS: &[&str] = &["SECONDS", "MINUTES", "HOURS", "DAYS"];
pub const FILE_SUPPORT: &[&str] = &["BASE64_STRING", "INCLUDE_FILE", "REFERENCE_FILE"];
pub const COLOR_PATTERN: &str = "^#([A-Fa-f0-9]{6})$";
pub const MAX_LOGO_LEN: usize = 25 * 1024;
pub const MAX_BACKGROUND_LEN: usize = 50 * 1024;
pub const MAX_FIELDS: usize = 100;
/// Fields that may embed an image (`BASE64_STRING` or `INCLUDE_FILE`).
pub const MAX_EMBEDDED_FILES: usize = 5;
/// Claim names a credential format reserves; a field titled so would clash with them.
pub const RESERVED_TITLES: &[&str] = &[
    "iss",
    "sub",
    "aud",
    "exp",
    "nbf",
    "iat",
    "jti",
    "vct",
    "vct#integrity",
    "cnf",
    "status",
    "_sd",
    "_sd_alg",
    "...",
    "@context",
    "type",
    "id",
    "credentialSubject",
    "credentialStatus",
];

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Field {
    /// Conventionally `"<type> -> <title>"`; unique within the type.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// `Alphanumeric Text`, `Issued Timestamp` or `Directory Attribute`.
    #[serde(rename = "type", skip_serializing_if = "Option::is_none")]
    pub field_type: Option<String>,
    /// The claim name in issued credentials and the key of user credential `data`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub is_visible: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub required: Option<bool>,
    /// Text of an `Alphanumeric Text` field (a default for MANAGED types).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub value: Option<String>,
    /// Directory attribute name, or a PEL expression `${user.…}`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub attribute: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub default: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub file_support: Option<String>,
}

impl Field {
    pub fn title(&self) -> &str {
        self.title.as_deref().unwrap_or_default()
    }

    pub fn kind(&self) -> &str {
        self.field_type.as_deref().unwrap_or_default()
    }

    pub fn is_required(&self) -> bool {
        self.required.unwrap_or(false)
    }
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Metadata {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub card_color: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub text_color: Option<String>,
    /// https URL or `data:image/…;base64,…`, at most 50 KB.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub background_image: Option<String>,
    /// https URL or `data:image/…;base64,…`, at most 25 KB.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub logo_image: Option<String>,
    /// 0–100, as a number or a numeric string.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<Object>)]
    pub bg_opacity_percent: Option<Value>,
    /// 1–3 (default 1).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub columns: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub version: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fields: Option<Vec<Field>>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Management {
    /// `AUTOMATED` (default: issued by its issuance rule) or `MANAGED` (issued through the
    /// user credentials API).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mode: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct After {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub duration: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub time_unit: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Expiration {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub after: Option<After>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub timestamp: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expression: Option<String>,
    /// `SOFT` (a field named `fieldName` carries the date) or `HARD` (`exp`).
    #[serde(rename = "type", skip_serializing_if = "Option::is_none")]
    pub expiration_type: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub field_name: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Multiple {
    /// PEL expression giving a number or an array (one credential per element).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expression: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct OnDelete {
    /// Revoke issued credentials when the type, their user or their environment is
    /// deleted (default true).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub revoke_issued_credentials: Option<bool>,
}

/// A transaction code the wallet must ask its user for (vouch extension).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct TxCodeSetting {
    /// `numeric` (default) or `text`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub input_mode: Option<String>,
    /// 4–12 characters (default 6).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub length: Option<u32>,
    /// Shown by the wallet, e.g. where the code was sent; at most 300 characters.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
}

impl TxCodeSetting {
    pub fn input_mode(&self) -> &str {
        self.input_mode.as_deref().unwrap_or("numeric")
    }

    pub fn length(&self) -> u32 {
        self.length.unwrap_or(6)
    }
}

/// How credentials of the type are offered and delivered (vouch extension).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct IssuanceSetting {
    /// When present, every offer carries a transaction code, delivered out of band.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tx_code: Option<TxCodeSetting>,
    /// When true, a wallet's request waits for an admin's approval (deferred issuance).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub requires_approval: Option<bool>,
    /// Formats offered: `dc+sd-jwt` and/or `jwt_vc_json` (default both).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub formats: Option<Vec<String>>,
}

pub const FORMATS: &[&str] = &["dc+sd-jwt", "jwt_vc_json"];

/// The definition of a credential type: body of `POST` and `PUT …/credentialTypes`, and
/// what is stored. Read-only members a client sends back are ignored.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct CredentialTypeDefinition {
    /// Required; cannot change once created. Verifiers ask for credentials by title.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub card_type: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub issuer_name: Option<String>,
    /// Required SVG with placeholders (see the card module).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub card_design_template: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub metadata: Option<Metadata>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub management: Option<Management>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expiration: Option<Expiration>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub multiple: Option<Multiple>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub on_delete: Option<OnDelete>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub issuance: Option<IssuanceSetting>,
}

impl CredentialTypeDefinition {
    pub fn title(&self) -> &str {
        self.title.as_deref().unwrap_or_default()
    }

    pub fn fields(&self) -> &[Field] {
        self.metadata
            .as_ref()
            .and_then(|m| m.fields.as_deref())
            .unwrap_or_default()
    }

    pub fn mode(&self) -> &str {
        self.management
            .as_ref()
            .and_then(|m| m.mode.as_deref())
            .unwrap_or("AUTOMATED")
    }

    pub fn is_managed(&self) -> bool {
        self.mode() == "MANAGED"
    }

    pub fn revoke_on_delete(&self) -> bool {
        self.on_delete
            .as_ref()
            .and_then(|o| o.revoke_issued_credentials)
            .unwrap_or(true)
    }

    pub fn issuance(&self) -> IssuanceSetting {
        self.issuance.clone().unwrap_or_default()
    }

    /// The formats credentials of this type are offered in.
    pub fn formats(&self) -> Vec<String> {
        self.issuance()
            .formats
            .unwrap_or_else(|| FORMATS.iter().map(|f| f.to_string()).collect())
    }

    pub fn metadata(&self) -> Metadata {
        self.metadata.clone().unwrap_or_default()
    }

    /// Checks every rule and returns the definition with its defaults made explicit.
    pub fn validate(mut self) -> Result<Self, Vec<FieldError>> {
        let mut c = Checker::new();
        c.string("title", self.title.as_deref(), NAME, true);
        if let Some(title) = &self.title
            && title.trim() != title
        {
            c.push(FieldError::invalid(
                "title",
                "title must not start or end with whitespace",
            ));
        }
        c.string(
            "description",
            self.description.as_deref(),
            DESCRIPTION,
            false,
        );
        c.string("cardType", self.card_type.as_deref(), NAME, false);
        c.string("issuerName", self.issuer_name.as_deref(), NAME, false);
        let mode = c.one_of(
            "management.mode",
            self.management.as_ref().and_then(|m| m.mode.as_deref()),
            MODES,
            Some("AUTOMATED"),
        );
        let managed = mode.as_deref() == Some("MANAGED");
        match &self.metadata {
            None => c.push(FieldError::required("metadata")),
            Some(metadata) => check_metadata(&mut c, metadata, managed),
        }
        check_template(&mut c, &self);
        if let Some(expiration) = &self.expiration {
            check_expiration(&mut c, expiration, self.fields(), managed);
        }
        if let Some(multiple) = &self.multiple {
            if managed {
                c.push(FieldError::invalid(
                    "multiple",
                    "multiple applies to issuance rules; a MANAGED type is issued one credential at a time",
                ));
            }
            match multiple.expression.as_deref() {
                None => c.push(FieldError::required("multiple.expression")),
                Some(e) if !is_pel(e) => c.push(FieldError::invalid(
                    "multiple.expression",
                    "multiple.expression must be a PEL expression written ${…}",
                )),
                Some(_) => {}
            }
        }
        if let Some(issuance) = &self.issuance {
            check_issuance(&mut c, issuance);
        }
        c.finish()?;
        self.management = Some(Management { mode });
        let revoke = self.revoke_on_delete();
        self.on_delete = Some(OnDelete {
            revoke_issued_credentials: Some(revoke),
        });
        Ok(self)
    }
}

/// `${…}` with balanced brackets and quotes and something inside.
pub fn is_pel(text: &str) -> bool {
    let Some(body) = text.strip_prefix("${").and_then(|t| t.strip_suffix('}')) else {
        return false;
    };
    if body.trim().is_empty() {
        return false;
    }
    let mut stack = Vec::new();
    let mut quote: Option<char> = None;
    for c in body.chars() {
        match quote {
            Some(q) if c == q => quote = None,
            Some(_) => {}
            None => match c {
                '\'' | '"' => quote = Some(c),
                '(' | '[' | '{' => stack.push(c),
                ')' | ']' | '}' => {
                    let open = match c {
                        ')' => '(',
                        ']' => '[',
                        _ => '{',
                    };
                    if stack.pop() != Some(open) {
                        return false;
                    }
                }
                _ => {}
            },
        }
    }
    quote.is_none() && stack.is_empty()
}

/// A plain directory attribute path such as `name.given` or `policyId`.
fn is_attribute_path(text: &str) -> bool {
    !text.is_empty()
        && text.split('.').all(|segment| {
            let mut chars = segment.chars();
            chars
                .next()
                .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
                && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
        })
}

fn is_data_image(value: &str) -> bool {
    use base64::Engine;
    value
        .strip_prefix("data:image/")
        .and_then(|rest| rest.split_once(";base64,"))
        .is_some_and(|(subtype, data)| {
            !subtype.is_empty()
                && subtype
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '+' || c == '-' || c == '.')
                && base64::engine::general_purpose::STANDARD
                    .decode(data)
                    .is_ok()
        })
}

fn check_image(c: &mut Checker, target: &str, value: Option<&str>, max: usize) {
    let Some(value) = value else { return };
    if value.len() > max {
        c.push(
            FieldError::too_large(
                target,
                format!("{target} must be at most {} KB", max / 1024),
            )
            .with_inner(json!({"maximumValue": max})),
        );
    } else if !(is_absolute_url(value, &["https"]) || is_data_image(value)) {
        c.push(FieldError::invalid(
            target,
            format!("{target} must be an https URL or a base64 data:image URL"),
        ));
    }
}

fn check_color(c: &mut Checker, target: &str, value: Option<&str>) {
    let Some(value) = value else { return };
    let ok = value.len() == 7
        && value.starts_with('#')
        && value[1..].chars().all(|ch| ch.is_ascii_hexdigit());
    if !ok {
        c.push(
            FieldError::invalid(target, format!("{target} must be a colour like #1a2b3c"))
                .with_inner(json!({"allowedPattern": COLOR_PATTERN})),
        );
    }
}

fn opacity(value: &Value) -> Option<i64> {
    match value {
        Value::Number(n) => n.as_i64(),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

fn check_metadata(c: &mut Checker, m: &Metadata, managed: bool) {
    c.string("metadata.name", m.name.as_deref(), NAME, false);
    c.string(
        "metadata.description",
        m.description.as_deref(),
        DESCRIPTION,
        false,
    );
    check_color(c, "metadata.cardColor", m.card_color.as_deref());
    check_color(c, "metadata.textColor", m.text_color.as_deref());
    check_image(
        c,
        "metadata.backgroundImage",
        m.background_image.as_deref(),
        MAX_BACKGROUND_LEN,
    );
    check_image(
        c,
        "metadata.logoImage",
        m.logo_image.as_deref(),
        MAX_LOGO_LEN,
    );
    if let Some(value) = &m.bg_opacity_percent
        && !opacity(value).is_some_and(|p| (0..=100).contains(&p))
    {
        c.push(
            FieldError::out_of_range(
                "metadata.bgOpacityPercent",
                "metadata.bgOpacityPercent must be 0 to 100",
            )
            .with_inner(json!({"rangeMinimumValue": 0, "rangeMaximumValue": 100})),
        );
    }
    if let Some(columns) = m.columns
        && !(1..=3).contains(&columns)
    {
        c.push(
            FieldError::out_of_range("metadata.columns", "metadata.columns must be 1, 2 or 3")
                .with_inner(json!({"rangeMinimumValue": 1, "rangeMaximumValue": 3})),
        );
    }
    if let Some(version) = m.version
        && version < 1
    {
        c.push(
            FieldError::out_of_range("metadata.version", "metadata.version must be at least 1")
                .with_inner(json!({"rangeMinimumValue": 1})),
        );
    }
    let fields = m.fields.as_deref().unwrap_or_default();
    if fields.is_empty() {
        c.push(FieldError::required("metadata.fields").with_inner(json!({"rangeMinimumValue": 1})));
        return;
    }
    if fields.len() > MAX_FIELDS {
        c.push(
            FieldError::too_large(
                "metadata.fields",
                format!("a credential type has at most {MAX_FIELDS} fields"),
            )
            .with_inner(json!({"maximumValue": MAX_FIELDS})),
        );
        return;
    }
    let mut ids = std::collections::HashSet::new();
    let mut titles = std::collections::HashSet::new();
    let mut embedded = 0;
    for (i, f) in fields.iter().enumerate() {
        let at = |member: &str| format!("metadata.fields[{i}].{member}");
        if let Some(id) = c.string(&at("id"), f.id.as_deref(), NAME, true)
            && !ids.insert(id.clone())
        {
            c.push(FieldError::invalid(
                at("id"),
                format!("field id `{id}` is used twice"),
            ));
        }
        let kind = c.one_of(&at("type"), f.field_type.as_deref(), FIELD_TYPES, None);
        if let Some(title) = c.string(&at("title"), f.title.as_deref(), NAME, true) {
            if RESERVED_TITLES.contains(&title.as_str()) {
                c.push(FieldError::invalid(
                    at("title"),
                    format!("`{title}` is a reserved claim name of the credential formats"),
                ));
            } else if !titles.insert(title.clone()) {
                c.push(FieldError::invalid(
                    at("title"),
                    format!("field title `{title}` is used twice; titles name the claims"),
                ));
            }
        }
        if f.is_visible.is_none() {
            c.push(FieldError::required(at("isVisible")));
        }
        if f.attribute.is_some() && f.value.is_some() {
            c.push(FieldError::invalid(
                at("value"),
                "a field has an attribute or a value, not both",
            ));
        }
        c.string(&at("default"), f.default.as_deref(), DESCRIPTION, false);
        c.string(
            &at("value"),
            f.value.as_deref(),
            Len { min: 0, max: 4096 },
            false,
        );
        match kind.as_deref() {
            Some("Directory Attribute") => match f.attribute.as_deref() {
                None => c.push(FieldError::required(at("attribute"))),
                Some(a) if a.starts_with("${") && !is_pel(a) => c.push(FieldError::invalid(
                    at("attribute"),
                    "the PEL expression must be written ${…} with balanced brackets and quotes",
                )),
                Some(a) if !a.starts_with("${") && !is_attribute_path(a) => c.push(FieldError::invalid(
                    at("attribute"),
                    "attribute must be a directory attribute path such as name.given, or a PEL expression ${user.…}",
                )),
                Some(_) => {}
            },
            Some("Alphanumeric Text") if !managed && f.value.is_none() => c.push(
                FieldError::required(at("value"))
                    .with_inner(json!({"reason": "an AUTOMATED type's text fields need their value"})),
            ),
            _ => {}
        }
        if let Some(support) = &f.file_support {
            if kind.as_deref() != Some("Directory Attribute") {
                c.push(FieldError::invalid(
                    at("fileSupport"),
                    "fileSupport applies to Directory Attribute fields only",
                ));
            } else if !FILE_SUPPORT.contains(&support.as_str()) {
                c.push(
                    FieldError::invalid(
                        at("fileSupport"),
                        format!("unknown fileSupport `{support}`"),
                    )
                    .with_inner(json!({"allowedValues": FILE_SUPPORT})),
                );
            } else if support != "REFERENCE_FILE" {
                embedded += 1;
            }
        }
    }
    if embedded > MAX_EMBEDDED_FILES {
        c.push(
            FieldError::invalid(
                "metadata.fields",
                format!("at most {MAX_EMBEDDED_FILES} fields may embed a file (BASE64_STRING or INCLUDE_FILE)"),
            )
            .with_inner(json!({"maximumValue": MAX_EMBEDDED_FILES})),
        );
    }
}

fn check_template(c: &mut Checker, d: &CredentialTypeDefinition) {
    let target = "cardDesignTemplate";
    let Some(template) = d.card_design_template.as_deref() else {
        c.push(FieldError::required(target));
        return;
    };
    if template.len() > MAX_TEMPLATE_LEN {
        c.push(
            FieldError::too_large(
                target,
                format!(
                    "cardDesignTemplate must be at most {} KB",
                    MAX_TEMPLATE_LEN / 1024
                ),
            )
            .with_inner(json!({"maximumValue": MAX_TEMPLATE_LEN})),
        );
        return;
    }
    let fault = |f: card::TemplateFault| {
        let mut e = FieldError::new(f.code, target, f.message);
        if let Some((line, column)) = f.position {
            e = e.with_inner(json!({"line": line, "column": column}));
        }
        e
    };
    if let Err(f) = card::check_svg(template) {
        c.push(fault(f));
        return;
    }
    let placeholders = match card::placeholders(template) {
        Ok(p) => p,
        Err(f) => {
            c.push(fault(f));
            return;
        }
    };
    let m = d.metadata();
    let fields = d.fields().len();
    let mut reported = std::collections::HashSet::new();
    for p in placeholders {
        if !reported.insert(p.clone()) {
            continue;
        }
        let (needed, name, present) = match &p {
            Placeholder::CardTitle => continue,
            Placeholder::CardSubtitle => ("description", "cardSubtitle", d.description.is_some()),
            Placeholder::CardColor => ("metadata.cardColor", "cardColor", m.card_color.is_some()),
            Placeholder::TextColor => ("metadata.textColor", "textColor", m.text_color.is_some()),
            Placeholder::BackgroundImage => (
                "metadata.backgroundImage",
                "backgroundImage",
                m.background_image.is_some(),
            ),
            Placeholder::LogoImage => ("metadata.logoImage", "logoImage", m.logo_image.is_some()),
            Placeholder::BgOpacityPercent => (
                "metadata.bgOpacityPercent",
                "bgOpacityPercent",
                m.bg_opacity_percent.is_some(),
            ),
            Placeholder::FieldTitle(n) | Placeholder::FieldValue(n) => {
                if *n >= fields {
                    c.push(FieldError::new(
                        "TEMPLATE_ERROR",
                        target,
                        format!("the template refers to fields[{n}] but metadata.fields has {fields} field(s)"),
                    ));
                }
                continue;
            }
        };
        if !present {
            c.push(FieldError::required(needed).with_inner(json!({
                "reason": format!("{needed} is required because the ${{{name}}} element is defined in the cardDesignTemplate")
            })));
        }
    }
}

fn check_issuance(c: &mut Checker, i: &IssuanceSetting) {
    if let Some(tx) = &i.tx_code {
        c.one_of(
            "issuance.txCode.inputMode",
            tx.input_mode.as_deref(),
            &["numeric", "text"],
            Some("numeric"),
        );
        if !(4..=12).contains(&tx.length()) {
            c.push(
                FieldError::out_of_range(
                    "issuance.txCode.length",
                    "issuance.txCode.length must be 4 to 12",
                )
                .with_inner(json!({"rangeMinimumValue": 4, "rangeMaximumValue": 12})),
            );
        }
        c.string(
            "issuance.txCode.description",
            tx.description.as_deref(),
            Len { min: 1, max: 300 },
            false,
        );
    }
    if let Some(formats) = &i.formats {
        if formats.is_empty() {
            c.push(
                FieldError::required("issuance.formats")
                    .with_inner(json!({"allowedValues": FORMATS})),
            );
        }
        for (n, format) in formats.iter().enumerate() {
            if !FORMATS.contains(&format.as_str()) {
                c.push(
                    FieldError::invalid(
                        format!("issuance.formats[{n}]"),
                        format!("unknown format `{format}`"),
                    )
                    .with_inner(json!({"allowedValues": FORMATS})),
                );
            }
        }
    }
}

fn check_expiration(c: &mut Checker, e: &Expiration, fields: &[Field], managed: bool) {
    if managed {
        c.push(FieldError::invalid(
            "expiration",
            "a MANAGED type takes expiresAt on each user credential, not an expiration",
        ));
        return;
    }
    let given = [
        e.after.is_some(),
        e.timestamp.is_some(),
        e.expression.is_some(),
    ]
    .iter()
    .filter(|g| **g)
    .count();
    if given != 1 {
        c.push(FieldError::invalid(
            "expiration",
            "expiration needs exactly one of after, timestamp or expression",
        ));
    }
    let kind = c.one_of(
        "expiration.type",
        e.expiration_type.as_deref(),
        EXPIRATION_TYPES,
        None,
    );
    if kind.as_deref() == Some("SOFT") {
        match e.field_name.as_deref() {
            None => c.push(FieldError::required("expiration.fieldName")),
            Some(name) if fields.iter().any(|f| f.title() == name) => c.push(FieldError::invalid(
                "expiration.fieldName",
                format!("expiration.fieldName `{name}` is already a field title"),
            )),
            Some(name) => {
                c.string("expiration.fieldName", Some(name), NAME, true);
            }
        }
    }
    if let Some(after) = &e.after {
        let unit = c.one_of(
            "expiration.after.timeUnit",
            after.time_unit.as_deref(),
            TIME_UNITS,
            None,
        );
        match after.duration {
            None => c.push(FieldError::required("expiration.after.duration")),
            Some(duration) => {
                let seconds_per = match unit.as_deref() {
                    Some("SECONDS") => 1,
                    Some("MINUTES") => 60,
                    Some("HOURS") => 3600,
                    Some("DAYS") => 86_400,
                    _ => 0,
                };
                if seconds_per > 0 && duration.saturating_mul(seconds_per) < 3600 {
                    c.push(
                        FieldError::out_of_range(
                            "expiration.after.duration",
                            "expiration.after must be at least one hour",
                        )
                        .with_inner(json!({"rangeMinimumValue": 3600 / seconds_per})),
                    );
                }
            }
        }
    }
    if let Some(ts) = &e.timestamp
        && super::time::parse_iso(ts).is_none()
    {
        c.push(FieldError::invalid(
            "expiration.timestamp",
            "expiration.timestamp must be an ISO 8601 date-time such as 2027-01-31T00:00:00Z",
        ));
    }
    if let Some(ex) = &e.expression
        && !is_pel(ex)
    {
        c.push(FieldError::invalid(
            "expiration.expression",
            "expiration.expression must be a PEL expression written ${…}",
        ));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pel_wrapping_and_balance() {
        assert!(is_pel(
            "${user.credit_cards['branded'][__ITERATOR__].oem_merchant}"
        ));
        assert!(is_pel("${{'PM':'Product Manager'}[user.role]}"));
        assert!(!is_pel("${}"));
        assert!(!is_pel("${user.a[0}"));
        assert!(!is_pel("${user.a'}"));
        assert!(!is_pel("user.a"));
    }

    #[test]
    fn attribute_paths() {
        assert!(is_attribute_path("name.given"));
        assert!(is_attribute_path("policyId"));
        assert!(!is_attribute_path("name..given"));
        assert!(!is_attribute_path("1x"));
        assert!(!is_attribute_path("a b"));
    }
}
