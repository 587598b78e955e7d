//! Paging: `limit` and an opaque `cursor` that carries the last id of the previous page.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

use super::validate::FieldError;

pub const DEFAULT_LIMIT: i64 = 100;
pub const MAX_LIMIT: i64 = 1000;

/// A validated page request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PageRequest {
    pub limit: i64,
    /// Return items whose id sorts after this one.
    pub after: Option<String>,
}

pub fn encode_cursor(last_id: &str) -> String {
    URL_SAFE_NO_PAD.encode(format!("v1:{last_id}"))
}

fn decode_cursor(cursor: &str) -> Option<String> {
    let bytes = URL_SAFE_NO_PAD.decode(cursor).ok()?;
    let text = String::from_utf8(bytes).ok()?;
    let id = text.strip_prefix("v1:")?;
    (!id.is_empty() && id.len() <= 64).then(|| id.to_string())
}

impl PageRequest {
    pub fn parse(limit: Option<&str>, cursor: Option<&str>) -> Result<Self, Vec<FieldError>> {
        let mut errors = Vec::new();
        let limit = match limit {
            None => DEFAULT_LIMIT,
            Some(text) => match text.parse::<i64>() {
                Ok(n) if (1..=MAX_LIMIT).contains(&n) => n,
                _ => {
                    errors.push(
                        FieldError::out_of_range(
                            "limit",
                            format!("limit must be an integer from 1 to {MAX_LIMIT}"),
                        )
                        .with_inner(serde_json::json!({
                            "rangeMinimumValue": 1, "rangeMaximumValue": MAX_LIMIT
                        })),
                    );
                    DEFAULT_LIMIT
                }
            },
        };
        let after = match cursor {
            None => None,
            Some(text) => match decode_cursor(text) {
                Some(id) => Some(id),
                None => {
                    errors.push(FieldError::invalid(
                        "cursor",
                        "cursor is not one this server issued; use the _links.next.href of the previous page",
                    ));
                    None
                }
            },
        };
        if errors.is_empty() {
            Ok(Self { limit, after })
        } else {
            Err(errors)
        }
    }
}

/// One page of results plus the cursor of the next page, if there is one.
#[derive(Debug, Clone)]
pub struct Page<T> {
    pub items: Vec<T>,
    pub next_cursor: Option<String>,
}

impl<T> Page<T> {
    /// Builds a page from up to `limit + 1` rows fetched in id order: the extra row only
    /// tells that another page exists.
    pub fn from_rows(mut rows: Vec<T>, limit: i64, id: impl Fn(&T) -> &str) -> Self {
        let more = rows.len() as i64 > limit;
        rows.truncate(limit as usize);
        let next_cursor = if more {
            rows.last().map(|last| encode_cursor(id(last)))
        } else {
            None
        };
        Self {
            items: rows,
            next_cursor,
        }
    }

    pub fn map<U>(self, f: impl FnMut(T) -> U) -> Page<U> {
        Page {
            items: self.items.into_iter().map(f).collect(),
            next_cursor: self.next_cursor,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursors_round_trip_and_foreign_cursors_are_refused() {
        let c = encode_cursor("abc");
        let page = PageRequest::parse(Some("5"), Some(&c)).unwrap();
        assert_eq!(page.after.as_deref(), Some("abc"));
        assert_eq!(page.limit, 5);
        let errors = PageRequest::parse(Some("0"), Some("garbage!")).unwrap_err();
        assert_eq!(errors.len(), 2);
        assert_eq!(errors[0].target, "limit");
        assert_eq!(errors[1].target, "cursor");
    }

    #[test]
    fn next_cursor_only_when_more_rows_exist() {
        let page = Page::from_rows(vec!["a", "b", "c"], 2, |s| s);
        assert_eq!(page.items, vec!["a", "b"]);
        assert_eq!(page.next_cursor, Some(encode_cursor("b")));
        let last = Page::from_rows(vec!["a", "b"], 2, |s| s);
        assert_eq!(last.next_cursor, None);
    }
}
