//! Evaluating a SCIM filter against a JSON document.
//!
//! A path resolves to every value it reaches: arrays along the way are flattened, so
//! `emails.value` and `memberOfGroups.id` see each element. A comparison holds when any
//! reached value satisfies it; `ne` holds when none equals the literal (so an absent
//! attribute is `ne` anything but `null`).

use std::cmp::Ordering;

use serde_json::Value;

use super::{CompareOp, Filter, Literal};

fn field<'a>(object: &'a serde_json::Map<String, Value>, name: &str) -> Option<&'a Value> {
    object.get(name).or_else(|| {
        object
            .iter()
            .find(|(key, _)| key.eq_ignore_ascii_case(name))
            .map(|(_, value)| value)
    })
}

fn resolve<'a>(doc: &'a Value, path: &[String], out: &mut Vec<&'a Value>) {
    match doc {
        Value::Array(items) => {
            for item in items {
                resolve(item, path, out);
            }
        }
        _ if path.is_empty() => out.push(doc),
        Value::Object(object) => {
            if let Some(next) = field(object, &path[0]) {
                resolve(next, &path[1..], out);
            }
        }
        _ => {}
    }
}

fn elements<'a>(doc: &'a Value, path: &[String]) -> Vec<&'a Value> {
    let mut current = vec![doc];
    for segment in path {
        let mut next = Vec::new();
        for value in current {
            if let Value::Object(object) = value
                && let Some(found) = field(object, segment)
            {
                next.push(found);
            }
        }
        current = next;
    }
    current
        .into_iter()
        .flat_map(|v| match v {
            Value::Array(items) => items.iter().collect::<Vec<_>>(),
            other => vec![other],
        })
        .collect()
}

fn equals(value: &Value, literal: &Literal) -> bool {
    match (value, literal) {
        (Value::String(a), Literal::String(b)) => a.to_lowercase() == b.to_lowercase(),
        (Value::Number(a), Literal::Number(b)) => a.as_f64() == Some(*b),
        (Value::Bool(a), Literal::Bool(b)) => a == b,
        (Value::Null, Literal::Null) => true,
        _ => false,
    }
}

fn order(value: &Value, literal: &Literal) -> Option<Ordering> {
    match (value, literal) {
        (Value::String(a), Literal::String(b)) => Some(a.to_lowercase().cmp(&b.to_lowercase())),
        (Value::Number(a), Literal::Number(b)) => a.as_f64()?.partial_cmp(b),
        _ => None,
    }
}

fn string_test(value: &Value, literal: &Literal, test: fn(&str, &str) -> bool) -> bool {
    match (value, literal) {
        (Value::String(a), Literal::String(b)) => test(&a.to_lowercase(), &b.to_lowercase()),
        _ => false,
    }
}

fn present(value: &Value) -> bool {
    match value {
        Value::Null => false,
        Value::String(s) => !s.is_empty(),
        Value::Array(a) => !a.is_empty(),
        Value::Object(o) => !o.is_empty(),
        _ => true,
    }
}

impl Filter {
    /// Whether `doc` satisfies the filter.
    pub fn matches(&self, doc: &Value) -> bool {
        match self {
            Filter::And(a, b) => a.matches(doc) && b.matches(doc),
            Filter::Or(a, b) => a.matches(doc) || b.matches(doc),
            Filter::Not(inner) => !inner.matches(doc),
            Filter::Present(path) => {
                let mut values = Vec::new();
                resolve(doc, path, &mut values);
                values.into_iter().any(present)
            }
            Filter::ValuePath(path, inner) => {
                elements(doc, path).into_iter().any(|e| inner.matches(e))
            }
            Filter::Compare(path, op, literal) => {
                let mut values = Vec::new();
                resolve(doc, path, &mut values);
                compare(&values, *op, literal)
            }
        }
    }
}

fn compare(values: &[&Value], op: CompareOp, literal: &Literal) -> bool {
    match op {
        CompareOp::Eq if *literal == Literal::Null => values.iter().all(|v| v.is_null()),
        CompareOp::Ne if *literal == Literal::Null => values.iter().any(|v| !v.is_null()),
        CompareOp::Eq => values.iter().any(|v| equals(v, literal)),
        CompareOp::Ne => !values.iter().any(|v| equals(v, literal)),
        CompareOp::Co => values
            .iter()
            .any(|v| string_test(v, literal, |a, b| a.contains(b))),
        CompareOp::Sw => values
            .iter()
            .any(|v| string_test(v, literal, |a, b| a.starts_with(b))),
        CompareOp::Ew => values
            .iter()
            .any(|v| string_test(v, literal, |a, b| a.ends_with(b))),
        CompareOp::Gt => values
            .iter()
            .any(|v| order(v, literal) == Some(Ordering::Greater)),
        CompareOp::Ge => values
            .iter()
            .any(|v| matches!(order(v, literal), Some(Ordering::Greater | Ordering::Equal))),
        CompareOp::Lt => values
            .iter()
            .any(|v| order(v, literal) == Some(Ordering::Less)),
        CompareOp::Le => values
            .iter()
            .any(|v| matches!(order(v, literal), Some(Ordering::Less | Ordering::Equal))),
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::super::parse;

    fn user() -> serde_json::Value {
        json!({
            "id": "5a1c0e6e-0000-4000-8000-000000000001",
            "username": "john.smith",
            "email": "John.Smith@bx.example",
            "name": {"given": "John", "family": "Smith"},
            "enabled": true,
            "age": 42,
            "title": null,
            "nickname": "",
            "createdAt": "2026-01-15T10:00:00.000Z",
            "licenses": [{"number": "L1", "class": "B"}, {"number": "L2", "class": "C"}],
            "memberOfGroups": [
                {"id": "g-auto", "name": "Current auto insurance subscribers"},
                {"id": "g-home", "name": "Home"}
            ]
        })
    }

    fn check(filter: &str, expected: bool) {
        let parsed = parse(filter).unwrap_or_else(|e| panic!("{filter}: {e}"));
        assert_eq!(parsed.matches(&user()), expected, "{filter}");
    }

    #[test]
    fn string_operators_ignore_case() {
        check(r#"username eq "JOHN.SMITH""#, true);
        check(r#"email ew "@bx.example""#, true);
        check(r#"email sw "john""#, true);
        check(r#"name.family co "mit""#, true);
        check(r#"name.family co "xyz""#, false);
        check(r#"NAME.GIVEN eq "john""#, true);
    }

    #[test]
    fn ne_holds_for_absent_attributes() {
        check(r#"username ne "someone""#, true);
        check(r#"username ne "john.smith""#, false);
        check(r#"missing ne "x""#, true);
    }

    #[test]
    fn ordering_on_numbers_and_dates() {
        check("age gt 41", true);
        check("age ge 42", true);
        check("age lt 42", false);
        check("age le 42", true);
        check(r#"createdAt gt "2026-01-01T00:00:00Z""#, true);
        check(r#"createdAt lt "2026-01-01T00:00:00Z""#, false);
        check(r#"age gt "41""#, false);
    }

    #[test]
    fn presence() {
        check("email pr", true);
        check("title pr", false);
        check("nickname pr", false);
        check("missing pr", false);
        check("memberOfGroups pr", true);
    }

    #[test]
    fn null_and_booleans() {
        check("title eq null", true);
        check("missing eq null", true);
        check("email eq null", false);
        check("enabled eq true", true);
        check("enabled ne true", false);
    }

    #[test]
    fn logic_and_precedence() {
        check(r#"username eq "x" or email pr and age gt 40"#, true);
        check(r#"(username eq "x" or email pr) and age gt 50"#, false);
        check(r#"username eq "x" or (email pr and age gt 50)"#, false);
        check(r#"not (username eq "x")"#, true);
        check(r#"not (username eq "john.smith") or age eq 42"#, true);
    }

    #[test]
    fn value_paths_and_multi_valued_attributes() {
        check(r#"memberOfGroups[id eq "g-auto"]"#, true);
        check(r#"memberOfGroups[id eq "g-none"]"#, false);
        check(
            r#"memberOfGroups[id eq "g-auto"] and name.family eq "smith""#,
            true,
        );
        check(
            r#"memberOfGroups[name sw "current" and id eq "g-auto"]"#,
            true,
        );
        check(
            r#"memberOfGroups[name sw "current" and id eq "g-home"]"#,
            false,
        );
        check(r#"memberOfGroups.id eq "g-home""#, true);
        check(r#"licenses[class eq "C" and number eq "L2"]"#, true);
        check(r#"licenses[class eq "C" and number eq "L1"]"#, false);
    }
}
