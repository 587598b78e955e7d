//! Card designs: an SVG template with `${…}` placeholders, checked on save and filled per
//! credential.
//!
//! Placeholders: `${cardTitle}` (the type's title), `${cardSubtitle}` (its description),
//! `${cardColor}`, `${textColor}`, `${backgroundImage}`, `${logoImage}`,
//! `${bgOpacityPercent}` (from `metadata`), and `${fields[N].title}` / `${fields[N].value}`
//! for the N-th field (0-based). Values are XML-escaped, so a credential's data can never
//! add markup to the card.

/// One placeholder of a card template.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Placeholder {
    CardTitle,
    CardSubtitle,
    CardColor,
    TextColor,
    BackgroundImage,
    LogoImage,
    BgOpacityPercent,
    FieldTitle(usize),
    FieldValue(usize),
}

impl Placeholder {
    fn parse(name: &str) -> Option<Self> {
        Some(match name {
            "cardTitle" => Self::CardTitle,
            "cardSubtitle" => Self::CardSubtitle,
            "cardColor" => Self::CardColor,
            "textColor" => Self::TextColor,
            "backgroundImage" => Self::BackgroundImage,
            "logoImage" => Self::LogoImage,
            "bgOpacityPercent" => Self::BgOpacityPercent,
            other => {
                let rest = other.strip_prefix("fields[")?;
                let (index, member) = rest.split_once("].")?;
                if index.is_empty() || !index.bytes().all(|b| b.is_ascii_digit()) || index.len() > 4
                {
                    return None;
                }
                let index: usize = index.parse().ok()?;
                match member {
                    "title" => Self::FieldTitle(index),
                    "value" => Self::FieldValue(index),
                    _ => return None,
                }
            }
        })
    }
}

/// A fault in a template, with the detail code the API reports.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TemplateFault {
    /// `SVG_ERROR` (not an SVG document) or `TEMPLATE_ERROR` (a bad placeholder).
    pub code: &'static str,
    pub message: String,
    /// 1-based line and column, when the fault has a position.
    pub position: Option<(u32, u32)>,
}

/// The longest template accepted, in bytes.
pub const MAX_TEMPLATE_LEN: usize = 256 * 1024;

fn svg_fault(message: impl Into<String>, position: Option<(u32, u32)>) -> TemplateFault {
    TemplateFault {
        code: "SVG_ERROR",
        message: message.into(),
        position,
    }
}

fn template_fault(message: impl Into<String>) -> TemplateFault {
    TemplateFault {
        code: "TEMPLATE_ERROR",
        message: message.into(),
        position: None,
    }
}

/// Checks that the template is one well-formed SVG document: it starts with `<svg`,
/// ends with `</svg>`, parses as XML (no DTD, so no entity expansion) and its root is
/// `svg`.
pub fn check_svg(template: &str) -> Result<(), TemplateFault> {
    let trimmed = template.trim_end();
    if !template.starts_with("<svg") || !trimmed.ends_with("</svg>") {
        return Err(svg_fault(
            "cardDesignTemplate must be an SVG document: start with <svg and end with </svg>",
            None,
        ));
    }
    let document = roxmltree::Document::parse(template).map_err(|e| {
        let pos = e.pos();
        svg_fault(
            format!("cardDesignTemplate is not well-formed XML: {e}"),
            Some((pos.row, pos.col)),
        )
    })?;
    let root = document.root_element();
    if root.tag_name().name() != "svg" {
        return Err(svg_fault(
            "the root element of cardDesignTemplate must be <svg>",
            None,
        ));
    }
    Ok(())
}

/// Every placeholder in the template, in order, or the first unknown or unclosed one.
pub fn placeholders(template: &str) -> Result<Vec<Placeholder>, TemplateFault> {
    let mut found = Vec::new();
    let mut rest = template;
    while let Some(start) = rest.find("${") {
        let after = &rest[start + 2..];
        let end = after
            .find('}')
            .ok_or_else(|| template_fault("a ${ placeholder is never closed with }"))?;
        let name = &after[..end];
        let placeholder = Placeholder::parse(name).ok_or_else(|| {
            template_fault(format!(
                "unknown placeholder ${{{name}}}; use cardTitle, cardSubtitle, cardColor, textColor, \
                 backgroundImage, logoImage, bgOpacityPercent, fields[N].title or fields[N].value"
            ))
        })?;
        found.push(placeholder);
        rest = &after[end + 1..];
    }
    Ok(found)
}

/// Escapes text for use in XML content and attribute values alike.
pub fn xml_escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            c => out.push(c),
        }
    }
    out
}

/// Fills every placeholder with `value(placeholder)`, XML-escaped. The template must have
/// passed [`placeholders`]; anything it would reject is left as it is.
pub fn render(template: &str, value: impl Fn(&Placeholder) -> String) -> String {
    let mut out = String::with_capacity(template.len());
    let mut rest = template;
    while let Some(start) = rest.find("${") {
        out.push_str(&rest[..start]);
        let after = &rest[start + 2..];
        match after
            .find('}')
            .and_then(|end| Some((end, Placeholder::parse(&after[..end])?)))
        {
            Some((end, placeholder)) => {
                out.push_str(&xml_escape(&value(&placeholder)));
                rest = &after[end + 1..];
            }
            None => {
                out.push_str("${");
                rest = after;
            }
        }
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const CARD: &str = r#"<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 740 480"><rect fill="${cardColor}" width="740" height="480"/><text fill="${textColor}">${cardTitle}</text><text>${fields[0].title}: ${fields[0].value}</text></svg>"#;

    #[test]
    fn finds_every_placeholder() {
        assert_eq!(
            placeholders(CARD).unwrap(),
            vec![
                Placeholder::CardColor,
                Placeholder::TextColor,
                Placeholder::CardTitle,
                Placeholder::FieldTitle(0),
                Placeholder::FieldValue(0)
            ]
        );
    }

    #[test]
    fn unknown_and_unclosed_placeholders_are_template_errors() {
        let e = placeholders("<svg>${cardTitel}</svg>").unwrap_err();
        assert_eq!(e.code, "TEMPLATE_ERROR");
        assert!(e.message.contains("cardTitel"));
        assert_eq!(
            placeholders("<svg>${fields[x].value}</svg>")
                .unwrap_err()
                .code,
            "TEMPLATE_ERROR"
        );
        assert_eq!(
            placeholders("<svg>${fields[0].name}</svg>")
                .unwrap_err()
                .code,
            "TEMPLATE_ERROR"
        );
        assert_eq!(
            placeholders("<svg>${cardTitle</svg>").unwrap_err().code,
            "TEMPLATE_ERROR"
        );
    }

    #[test]
    fn svg_must_be_well_formed_svg() {
        assert!(check_svg(CARD).is_ok());
        assert!(check_svg("<svg xmlns=\"http://www.w3.org/2000/svg\">...</svg>\n").is_ok());
        let e = check_svg("<svg><text>unclosed</svg>").unwrap_err();
        assert_eq!(e.code, "SVG_ERROR");
        assert!(e.position.is_some());
        assert_eq!(check_svg("<html></html>").unwrap_err().code, "SVG_ERROR");
        assert_eq!(
            check_svg("<svgx></svgx><svg></svg>").unwrap_err().code,
            "SVG_ERROR"
        );
    }

    #[test]
    fn dtds_and_entity_expansion_are_refused() {
        let bomb = r#"<svg><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;">]><text>&lol2;</text></svg>"#;
        assert_eq!(check_svg(bomb).unwrap_err().code, "SVG_ERROR");
    }

    #[test]
    fn values_are_xml_escaped_where_they_land() {
        let rendered = render(CARD, |p| match p {
            Placeholder::CardColor => "#ffffff".into(),
            Placeholder::TextColor => "\"><script>alert(1)</script>".into(),
            Placeholder::CardTitle => "BX & Co".into(),
            Placeholder::FieldTitle(0) => "Policy".into(),
            Placeholder::FieldValue(0) => "<b>P-1</b>".into(),
            _ => String::new(),
        });
        assert!(rendered.contains("fill=\"&quot;&gt;&lt;script&gt;alert(1)&lt;/script&gt;\""));
        assert!(rendered.contains(">BX &amp; Co<"));
        assert!(rendered.contains("Policy: &lt;b&gt;P-1&lt;/b&gt;"));
        assert!(
            check_svg(&rendered).is_ok(),
            "the rendered card is still one SVG document"
        );
    }
}
