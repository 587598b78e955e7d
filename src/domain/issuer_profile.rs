//! The credential issuer profile: the name, site and logo wallets show for the issuer.

use serde::Deserialize;

use super::validate::{Checker, FieldError, NAME, is_absolute_url};

/// Largest logo accepted, in characters of the URL (a `data:` URL carries the image).
pub const MAX_LOGO_LEN: usize = 25 * 1024;
pub const MAX_URL_LEN: usize = 2048;

/// Body of `POST`/`PUT …/credentialIssuerProfile`.
#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct IssuerProfileInput {
    /// Shown by wallets as the issuer's name; 1–256 characters.
    pub name: Option<String>,
    /// An absolute http(s) URL.
    pub site_url: Option<String>,
    /// An https URL or a `data:image/…;base64,…` URL, at most 25 KB.
    pub logo: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IssuerProfileSpec {
    pub name: String,
    pub site_url: Option<String>,
    pub logo: Option<String>,
}

const IMAGE_TYPES: &[&str] = &[
    "image/png",
    "image/jpeg",
    "image/svg+xml",
    "image/gif",
    "image/webp",
];

fn valid_data_image(value: &str) -> bool {
    use base64::Engine;
    let Some(rest) = value.strip_prefix("data:") else {
        return false;
    };
    let Some((meta, data)) = rest.split_once(',') else {
        return false;
    };
    let Some(media) = meta.strip_suffix(";base64") else {
        return false;
    };
    IMAGE_TYPES.contains(&media.to_ascii_lowercase().as_str())
        && base64::engine::general_purpose::STANDARD
            .decode(data)
            .is_ok()
}

impl IssuerProfileInput {
    pub fn validate(&self) -> Result<IssuerProfileSpec, Vec<FieldError>> {
        let mut c = Checker::new();
        let name = c.string("name", self.name.as_deref(), NAME, true);
        let site_url = c.url(
            "siteUrl",
            self.site_url.as_deref(),
            &["https", "http"],
            MAX_URL_LEN,
        );
        let mut logo = None;
        if let Some(value) = self.logo.as_deref() {
            if value.len() > MAX_LOGO_LEN {
                c.push(
                    FieldError::too_large(
                        "logo",
                        format!("logo must be at most {MAX_LOGO_LEN} characters"),
                    )
                    .with_inner(serde_json::json!({"maximumValue": MAX_LOGO_LEN})),
                );
            } else if is_absolute_url(value, &["https"]) || valid_data_image(value) {
                logo = Some(value.to_string());
            } else {
                c.push(FieldError::invalid(
                    "logo",
                    "logo must be an https URL or a base64 data: URL of an image",
                ));
            }
        }
        c.finish()?;
        Ok(IssuerProfileSpec {
            name: name.expect("checked"),
            site_url,
            logo,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn logo(value: &str) -> Result<IssuerProfileSpec, Vec<FieldError>> {
        IssuerProfileInput {
            name: Some("BX Insurance".into()),
            logo: Some(value.into()),
            ..Default::default()
        }
        .validate()
    }

    #[test]
    fn logos_are_https_or_base64_images() {
        assert!(logo("https://bx.example/logo.png").is_ok());
        assert!(logo("data:image/png;base64,iVBORw0KGgo=").is_ok());
        assert!(logo("http://bx.example/logo.png").is_err());
        assert!(logo("data:text/html;base64,PGh0bWw+").is_err());
        assert!(logo("data:image/png;base64,***").is_err());
        let big = format!("data:image/png;base64,{}", "A".repeat(MAX_LOGO_LEN));
        assert_eq!(logo(&big).unwrap_err()[0].code, "SIZE_LIMIT_EXCEEDED");
    }
}
