//! The one error type of the model crate: every failure says where it is (the node as
//! `nodes[3] "conv1"`, a graph input, an output, a file or a tensor), which field of it is at
//! fault, and what is wrong, so a user can fix the model. Near misses of a field or op name
//! get a "did you mean" suggestion.

use std::fmt;

/// A bad manifest, tensor file or graph, naming what is at fault.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Error {
    /// What is at fault: `nodes[3] "conv1"`, `inputs[0] "x"`, `outputs[0]`, `manifest`, a file
    /// path, or `tensor "fc.weight" in model.safetensors`.
    pub at: String,
    /// The field of it at fault (`stride`, `spec.bits`, `weight`), or empty.
    pub field: String,
    /// What is wrong, phrased so the fix is clear.
    pub message: String,
}

impl Error {
    /// An error about `field` of `at`.
    pub fn new(
        at: impl Into<String>,
        field: impl Into<String>,
        message: impl Into<String>,
    ) -> Self {
        Error {
            at: at.into(),
            field: field.into(),
            message: message.into(),
        }
    }

    /// A golden-model error (whose `field` is relative to `prefix`) about `at`.
    /// Unknown spec fields and methods get a "did you mean" suggestion.
    pub fn from_quant(at: impl Into<String>, prefix: &str, e: quant::Error) -> Self {
        let e = e.within(prefix);
        let message = match spec_hint(&e.field, &e.message) {
            Some(s) => format!("{} (did you mean {s:?}?)", e.message),
            None => e.message,
        };
        Error::new(at, e.field, message)
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.field.is_empty() {
            write!(f, "{}: {}", self.at, self.message)
        } else {
            write!(f, "{}: field {:?}: {}", self.at, self.field, self.message)
        }
    }
}

impl std::error::Error for Error {}

/// Result with the model crate's [`Error`].
pub type Result<T> = std::result::Result<T, Error>;

/// How a node is named in errors: `nodes[i] "name"` (`i` is its position in the manifest, or
/// in the list given to [`crate::Model::new`]).
pub fn node_at(index: usize, name: &str) -> String {
    format!("nodes[{index}] {name:?}")
}

/// A suggestion for serde's "unknown field `x`, expected one of `a`, `b`" and quant's
/// "unknown method "x"; one of a, b".
fn spec_hint(field: &str, message: &str) -> Option<String> {
    if let Some(rest) = message.strip_prefix("unknown field `") {
        let words: Vec<&str> = rest.split('`').step_by(2).collect();
        let (word, candidates) = words.split_first()?;
        return suggest(word, candidates).map(str::to_string);
    }
    if field.ends_with("method") && message.starts_with("unknown method") {
        let word = message.split('"').nth(1)?;
        return suggest(word, &quant::QuantSpec::METHODS).map(str::to_string);
    }
    None
}

/// Levenshtein distance (by chars).
fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut cur = vec![i + 1; b.len() + 1];
        for (j, &cb) in b.iter().enumerate() {
            let sub = prev[j] + usize::from(ca != cb);
            cur[j + 1] = sub.min(prev[j + 1] + 1).min(cur[j] + 1);
        }
        prev = cur;
    }
    prev[b.len()]
}

/// The closest of `candidates` to `word` within edit distance 2 (case-insensitive), if any.
pub fn suggest<'a>(word: &str, candidates: &[&'a str]) -> Option<&'a str> {
    let lower = word.to_lowercase();
    candidates
        .iter()
        .map(|&c| (edit_distance(&lower, &c.to_lowercase()), c))
        .filter(|&(d, c)| d <= 2 && d < c.chars().count())
        .min_by_key(|&(d, _)| d)
        .map(|(_, c)| c)
}

/// "unknown X "word"" plus a suggestion and the list of valid names.
pub fn unknown(kind: &str, word: &str, candidates: &[&str]) -> String {
    let hint = match suggest(word, candidates) {
        Some(s) => format!(" (did you mean {s:?}?)"),
        None => String::new(),
    };
    let list = candidates
        .iter()
        .map(|c| format!("{c:?}"))
        .collect::<Vec<_>>()
        .join(", ");
    if candidates.is_empty() {
        format!("unknown {kind} {word:?}{hint}; this op has none")
    } else {
        format!("unknown {kind} {word:?}{hint}, expected one of {list}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suggestions() {
        assert_eq!(edit_distance("stide", "stride"), 1);
        assert_eq!(edit_distance("", "abc"), 3);
        assert_eq!(suggest("stide", &["stride", "padding"]), Some("stride"));
        assert_eq!(suggest("Conv", &["conv", "fc"]), Some("conv"));
        assert_eq!(suggest("xyzzy", &["conv", "fc"]), None);
        let e = quant::QuantSpec::from_json(r#"{"method": "uniform", "bitz": 2}"#).unwrap_err();
        let e = Error::from_quant("n", "spec", e);
        assert!(e.message.ends_with("(did you mean \"bits\"?)"), "{e}");
        let e = quant::QuantSpec::from_json(r#"{"method": "n2uq_act"}"#).unwrap_err();
        let e = Error::from_quant("n", "spec", e);
        assert_eq!(e.field, "spec.method");
        assert!(e.message.ends_with("(did you mean \"n2uq-act\"?)"), "{e}");
    }
}
