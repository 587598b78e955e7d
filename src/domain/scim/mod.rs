//! SCIM filters (RFC 7644 §3.4.2.2), the subset PingOne's user search and issuance
//! rules use: `eq ne co sw ew gt ge lt le pr`, `and or not`, parentheses, dotted
//! attribute paths and value filters such as `memberOfGroups[id eq "…"]`.
//!
//! [`parse`] turns text into a [`Filter`]; [`Filter::matches`] evaluates it against a
//! JSON document (a user as the API shows it, plus its `memberOfGroups`). Both are pure.
//! Attribute names and string comparisons are case-insensitive, as SCIM specifies for
//! attributes that are not `caseExact`.

mod eval;
mod parse;

pub use parse::{ParseError, parse};

/// A comparison operator.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CompareOp {
    Eq,
    Ne,
    Co,
    Sw,
    Ew,
    Gt,
    Ge,
    Lt,
    Le,
}

/// A literal on the right of a comparison.
#[derive(Debug, Clone, PartialEq)]
pub enum Literal {
    String(String),
    Number(f64),
    Bool(bool),
    Null,
}

/// A parsed filter.
#[derive(Debug, Clone, PartialEq)]
pub enum Filter {
    And(Box<Filter>, Box<Filter>),
    Or(Box<Filter>, Box<Filter>),
    Not(Box<Filter>),
    /// `path pr`
    Present(Vec<String>),
    /// `path op literal`
    Compare(Vec<String>, CompareOp, Literal),
    /// `path[filter]`: some element of the multi-valued attribute matches.
    ValuePath(Vec<String>, Box<Filter>),
}
