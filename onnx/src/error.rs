//! The one error type of the QONNX front end: every failure names where it is (the file, a
//! node as `node "Conv_0" (Conv)`, an initializer, a graph input) and what is wrong.

use std::fmt;

/// A bad or unsupported ONNX file or graph, naming what is at fault.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Error {
    /// What is at fault: `node "Quant_3" (Quant): input 2 "zeropt"`, `initializer "w"`,
    /// `graph input "x"`, or the file.
    pub at: String,
    /// What is wrong, phrased so the fix is clear.
    pub message: String,
}

impl Error {
    /// An error about `at`.
    pub fn new(at: impl Into<String>, message: impl Into<String>) -> Self {
        Error {
            at: at.into(),
            message: message.into(),
        }
    }

    /// The same error, located inside `outer` (e.g. a file or node).
    pub fn within(self, outer: &str) -> Self {
        Error {
            at: if self.at.is_empty() {
                outer.to_string()
            } else {
                format!("{outer}: {}", self.at)
            },
            message: self.message,
        }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.at.is_empty() {
            write!(f, "{}", self.message)
        } else {
            write!(f, "{}: {}", self.at, self.message)
        }
    }
}

impl std::error::Error for Error {}

/// Result with the front end's [`Error`].
pub type Result<T> = std::result::Result<T, Error>;
