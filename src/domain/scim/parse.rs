//! The SCIM filter parser: a tokenizer that remembers positions, then recursive descent
//! with `or` binding looser than `and`, and `not` applying to a parenthesised filter.

use super::{CompareOp, Filter, Literal};

/// Longest filter accepted, in characters; longer ones are refused before parsing.
pub const MAX_FILTER_LEN: usize = 4096;
/// Deepest nesting of parentheses and value filters.
const MAX_DEPTH: usize = 32;

/// Why a filter does not parse, and where (1-based character position).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message} at position {position}")]
pub struct ParseError {
    pub position: usize,
    pub message: String,
}

#[derive(Debug, Clone, PartialEq)]
enum Tok {
    LParen,
    RParen,
    LBracket,
    RBracket,
    Word(String),
    Str(String),
    Num(f64),
}

#[derive(Debug, Clone)]
struct Token {
    tok: Tok,
    /// 1-based character position of the token's first character.
    pos: usize,
}

fn err(position: usize, message: impl Into<String>) -> ParseError {
    ParseError {
        position,
        message: message.into(),
    }
}

fn tokenize(input: &str) -> Result<Vec<Token>, ParseError> {
    let chars: Vec<char> = input.chars().collect();
    let mut tokens = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        let pos = i + 1;
        match c {
            ' ' | '\t' | '\n' | '\r' => i += 1,
            '(' => {
                tokens.push(Token {
                    tok: Tok::LParen,
                    pos,
                });
                i += 1;
            }
            ')' => {
                tokens.push(Token {
                    tok: Tok::RParen,
                    pos,
                });
                i += 1;
            }
            '[' => {
                tokens.push(Token {
                    tok: Tok::LBracket,
                    pos,
                });
                i += 1;
            }
            ']' => {
                tokens.push(Token {
                    tok: Tok::RBracket,
                    pos,
                });
                i += 1;
            }
            '"' => {
                let mut value = String::new();
                i += 1;
                loop {
                    match chars.get(i) {
                        None => return Err(err(pos, "unterminated string")),
                        Some('"') => {
                            i += 1;
                            break;
                        }
                        Some('\\') => {
                            let escaped = match chars.get(i + 1) {
                                Some('"') => '"',
                                Some('\\') => '\\',
                                Some('/') => '/',
                                Some('n') => '\n',
                                Some('t') => '\t',
                                Some('r') => '\r',
                                _ => return Err(err(i + 1, "invalid escape in string")),
                            };
                            value.push(escaped);
                            i += 2;
                        }
                        Some(other) => {
                            value.push(*other);
                            i += 1;
                        }
                    }
                }
                tokens.push(Token {
                    tok: Tok::Str(value),
                    pos,
                });
            }
            c if c == '-' || c.is_ascii_digit() => {
                let start = i;
                i += 1;
                while i < chars.len()
                    && (chars[i].is_ascii_digit()
                        || matches!(chars[i], '.' | 'e' | 'E' | '+' | '-'))
                {
                    i += 1;
                }
                let text: String = chars[start..i].iter().collect();
                let number = text
                    .parse::<f64>()
                    .ok()
                    .filter(|n| n.is_finite())
                    .ok_or_else(|| err(pos, format!("invalid number `{text}`")))?;
                tokens.push(Token {
                    tok: Tok::Num(number),
                    pos,
                });
            }
            c if c.is_alphabetic() || c == '_' || c == '$' => {
                let start = i;
                while i < chars.len()
                    && (chars[i].is_alphanumeric()
                        || matches!(chars[i], '_' | '$' | '.' | ':' | '-'))
                {
                    i += 1;
                }
                tokens.push(Token {
                    tok: Tok::Word(chars[start..i].iter().collect()),
                    pos,
                });
            }
            other => return Err(err(pos, format!("unexpected character `{other}`"))),
        }
    }
    Ok(tokens)
}

struct Parser {
    tokens: Vec<Token>,
    at: usize,
    end: usize,
    depth: usize,
}

fn keyword(tok: &Tok) -> Option<String> {
    match tok {
        Tok::Word(w) => Some(w.to_ascii_lowercase()),
        _ => None,
    }
}

fn compare_op(word: &str) -> Option<CompareOp> {
    Some(match word {
        "eq" => CompareOp::Eq,
        "ne" => CompareOp::Ne,
        "co" => CompareOp::Co,
        "sw" => CompareOp::Sw,
        "ew" => CompareOp::Ew,
        "gt" => CompareOp::Gt,
        "ge" => CompareOp::Ge,
        "lt" => CompareOp::Lt,
        "le" => CompareOp::Le,
        _ => return None,
    })
}

impl Parser {
    fn peek(&self) -> Option<&Token> {
        self.tokens.get(self.at)
    }

    fn next_pos(&self) -> usize {
        self.peek().map_or(self.end, |t| t.pos)
    }

    fn bump(&mut self) -> Option<Token> {
        let token = self.tokens.get(self.at).cloned();
        self.at += 1;
        token
    }

    fn peek_keyword(&self, word: &str) -> bool {
        self.peek()
            .and_then(|t| keyword(&t.tok))
            .is_some_and(|k| k == word)
    }

    fn enter(&mut self) -> Result<(), ParseError> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return Err(err(self.next_pos(), "filter is nested too deeply"));
        }
        Ok(())
    }

    fn or_expr(&mut self) -> Result<Filter, ParseError> {
        let mut left = self.and_expr()?;
        while self.peek_keyword("or") {
            self.bump();
            let right = self.and_expr()?;
            left = Filter::Or(Box::new(left), Box::new(right));
        }
        Ok(left)
    }

    fn and_expr(&mut self) -> Result<Filter, ParseError> {
        let mut left = self.unary()?;
        while self.peek_keyword("and") {
            self.bump();
            let right = self.unary()?;
            left = Filter::And(Box::new(left), Box::new(right));
        }
        Ok(left)
    }

    fn unary(&mut self) -> Result<Filter, ParseError> {
        if self.peek_keyword("not") {
            let not = self.bump().expect("peeked");
            match self.peek() {
                Some(Token {
                    tok: Tok::LParen, ..
                }) => {}
                _ => {
                    return Err(err(
                        not.pos,
                        "`not` must be followed by a parenthesised filter",
                    ));
                }
            }
            let inner = self.atom()?;
            return Ok(Filter::Not(Box::new(inner)));
        }
        self.atom()
    }

    fn atom(&mut self) -> Result<Filter, ParseError> {
        let Some(token) = self.bump() else {
            return Err(err(self.end, "expected a filter expression, found the end"));
        };
        match token.tok {
            Tok::LParen => {
                self.enter()?;
                let inner = self.or_expr()?;
                self.depth -= 1;
                match self.bump() {
                    Some(Token {
                        tok: Tok::RParen, ..
                    }) => Ok(inner),
                    Some(other) => Err(err(other.pos, "expected `)`")),
                    None => Err(err(self.end, "missing `)`")),
                }
            }
            Tok::Word(word) => {
                let path = attr_path(&word, token.pos)?;
                self.after_path(path)
            }
            _ => Err(err(token.pos, "expected an attribute name or `(`")),
        }
    }

    fn after_path(&mut self, path: Vec<String>) -> Result<Filter, ParseError> {
        let Some(token) = self.bump() else {
            return Err(err(self.end, "expected an operator after the attribute"));
        };
        match token.tok {
            Tok::LBracket => {
                self.enter()?;
                let inner = self.or_expr()?;
                self.depth -= 1;
                match self.bump() {
                    Some(Token {
                        tok: Tok::RBracket, ..
                    }) => Ok(Filter::ValuePath(path, Box::new(inner))),
                    Some(other) => Err(err(other.pos, "expected `]`")),
                    None => Err(err(self.end, "missing `]`")),
                }
            }
            Tok::Word(word) => {
                let op = word.to_ascii_lowercase();
                if op == "pr" {
                    return Ok(Filter::Present(path));
                }
                let Some(op) = compare_op(&op) else {
                    return Err(err(
                        token.pos,
                        format!(
                            "unknown operator `{word}`; use eq, ne, co, sw, ew, gt, ge, lt, le or pr"
                        ),
                    ));
                };
                let value = self.literal()?;
                if matches!(op, CompareOp::Co | CompareOp::Sw | CompareOp::Ew)
                    && !matches!(value, Literal::String(_))
                {
                    return Err(err(
                        self.tokens[self.at - 1].pos,
                        "co, sw and ew compare with a string",
                    ));
                }
                Ok(Filter::Compare(path, op, value))
            }
            _ => Err(err(token.pos, "expected an operator after the attribute")),
        }
    }

    fn literal(&mut self) -> Result<Literal, ParseError> {
        let Some(token) = self.bump() else {
            return Err(err(self.end, "expected a value, found the end"));
        };
        match token.tok {
            Tok::Str(s) => Ok(Literal::String(s)),
            Tok::Num(n) => Ok(Literal::Number(n)),
            Tok::Word(w) => match w.to_ascii_lowercase().as_str() {
                "true" => Ok(Literal::Bool(true)),
                "false" => Ok(Literal::Bool(false)),
                "null" => Ok(Literal::Null),
                _ => Err(err(
                    token.pos,
                    format!("expected a value; strings are double-quoted (\"{w}\")"),
                )),
            },
            _ => Err(err(token.pos, "expected a value")),
        }
    }
}

/// Splits `urn:…:User:name.familyName` or `name.given` into path segments.
fn attr_path(word: &str, pos: usize) -> Result<Vec<String>, ParseError> {
    let local = word.rsplit(':').next().unwrap_or(word);
    let segments: Vec<String> = local.split('.').map(str::to_string).collect();
    if segments.iter().any(|s| {
        s.is_empty()
            || !s
                .chars()
                .next()
                .is_some_and(|c| c.is_alphabetic() || c == '_' || c == '$')
    }) {
        return Err(err(pos, format!("invalid attribute name `{word}`")));
    }
    if matches!(
        word.to_ascii_lowercase().as_str(),
        "and" | "or" | "not" | "true" | "false" | "null"
    ) {
        return Err(err(
            pos,
            format!("expected an attribute name, found `{word}`"),
        ));
    }
    Ok(segments)
}

/// Parses a filter.
pub fn parse(input: &str) -> Result<Filter, ParseError> {
    let length = input.chars().count();
    if length > MAX_FILTER_LEN {
        return Err(err(
            MAX_FILTER_LEN + 1,
            format!("filter is longer than {MAX_FILTER_LEN} characters"),
        ));
    }
    let tokens = tokenize(input)?;
    if tokens.is_empty() {
        return Err(err(1, "filter is empty"));
    }
    let mut parser = Parser {
        tokens,
        at: 0,
        end: length + 1,
        depth: 0,
    };
    let filter = parser.or_expr()?;
    if let Some(extra) = parser.peek() {
        return Err(err(
            extra.pos,
            "unexpected input; join expressions with `and` or `or`",
        ));
    }
    Ok(filter)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn path(p: &str) -> Vec<String> {
        p.split('.').map(str::to_string).collect()
    }

    fn s(v: &str) -> Literal {
        Literal::String(v.into())
    }

    #[test]
    fn comparison() {
        assert_eq!(
            parse(r#"name.family eq "Smith""#).unwrap(),
            Filter::Compare(path("name.family"), CompareOp::Eq, s("Smith"))
        );
    }

    #[test]
    fn operators_and_keywords_are_case_insensitive() {
        assert_eq!(
            parse(r#"username SW "j" AND email Pr"#).unwrap(),
            Filter::And(
                Box::new(Filter::Compare(path("username"), CompareOp::Sw, s("j"))),
                Box::new(Filter::Present(path("email")))
            )
        );
    }

    #[test]
    fn and_binds_tighter_than_or() {
        let f = parse(r#"a eq "1" or b eq "2" and c eq "3""#).unwrap();
        assert_eq!(
            f,
            Filter::Or(
                Box::new(Filter::Compare(path("a"), CompareOp::Eq, s("1"))),
                Box::new(Filter::And(
                    Box::new(Filter::Compare(path("b"), CompareOp::Eq, s("2"))),
                    Box::new(Filter::Compare(path("c"), CompareOp::Eq, s("3")))
                ))
            )
        );
    }

    #[test]
    fn parentheses_override_precedence() {
        let f = parse(r#"(a eq "1" or b eq "2") and c eq "3""#).unwrap();
        assert!(matches!(f, Filter::And(left, _) if matches!(*left, Filter::Or(..))));
    }

    #[test]
    fn literals() {
        assert_eq!(
            parse("age ge 21").unwrap(),
            Filter::Compare(path("age"), CompareOp::Ge, Literal::Number(21.0))
        );
        assert_eq!(
            parse("enabled eq false").unwrap(),
            Filter::Compare(path("enabled"), CompareOp::Eq, Literal::Bool(false))
        );
        assert_eq!(
            parse("title eq null").unwrap(),
            Filter::Compare(path("title"), CompareOp::Eq, Literal::Null)
        );
        assert_eq!(
            parse(r#"x eq "a \"q\" b""#).unwrap(),
            Filter::Compare(path("x"), CompareOp::Eq, s("a \"q\" b"))
        );
    }

    #[test]
    fn value_path_filter() {
        let f = parse(r#"memberOfGroups[id eq "g1"] and name.family eq "demo""#).unwrap();
        assert_eq!(
            f,
            Filter::And(
                Box::new(Filter::ValuePath(
                    path("memberOfGroups"),
                    Box::new(Filter::Compare(path("id"), CompareOp::Eq, s("g1")))
                )),
                Box::new(Filter::Compare(
                    path("name.family"),
                    CompareOp::Eq,
                    s("demo")
                ))
            )
        );
    }

    #[test]
    fn schema_urn_prefix_is_stripped() {
        assert_eq!(
            parse(r#"urn:ietf:params:scim:schemas:core:2.0:User:name.familyName eq "x""#).unwrap(),
            Filter::Compare(path("name.familyName"), CompareOp::Eq, s("x"))
        );
    }

    #[test]
    fn not_requires_parentheses() {
        assert!(matches!(
            parse(r#"not (a eq "1")"#).unwrap(),
            Filter::Not(_)
        ));
        let e = parse(r#"not a eq "1""#).unwrap_err();
        assert_eq!(e.position, 1);
    }

    #[test]
    fn errors_name_the_position() {
        assert_eq!(parse(r#"name eq"#).unwrap_err().position, 8);
        assert_eq!(parse(r#"name xx "a""#).unwrap_err().position, 6);
        assert_eq!(parse(r#"name eq Smith"#).unwrap_err().position, 9);
        assert_eq!(parse(r#"(a eq "1""#).unwrap_err().position, 10);
        assert_eq!(parse(r#"a eq "1" b eq "2""#).unwrap_err().position, 10);
        assert_eq!(parse(r#"a eq "unterminated"#).unwrap_err().position, 6);
        assert_eq!(parse("a eq 1 &").unwrap_err().position, 8);
        assert_eq!(parse("").unwrap_err().position, 1);
        assert_eq!(parse(r#"a co 5"#).unwrap_err().position, 6);
        assert_eq!(parse(r#"groups[id eq "x""#).unwrap_err().position, 17);
    }

    #[test]
    fn nesting_and_length_are_bounded() {
        let deep = format!("{}a pr{}", "(".repeat(40), ")".repeat(40));
        assert!(parse(&deep).unwrap_err().message.contains("nested"));
        let long = format!("a eq \"{}\"", "x".repeat(MAX_FILTER_LEN));
        assert!(parse(&long).unwrap_err().message.contains("longer"));
    }
}
