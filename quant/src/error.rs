//! The one error type of the golden model: every failure names the field (or file, or
//! tensor element) at fault and says what is wrong with it, so a user can fix the input.

use std::fmt;

/// A bad parameter, spec field, tensor or file, with the name of what is wrong.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Error {
    /// The field, file or element at fault, e.g. `a[2]`, `theta`, `input[17]`.
    pub field: String,
    /// What is wrong with it, phrased so the fix is clear.
    pub message: String,
}

impl Error {
    /// An error about `field`.
    pub fn new(field: impl Into<String>, message: impl Into<String>) -> Self {
        Error {
            field: field.into(),
            message: message.into(),
        }
    }

    /// The same error with `prefix.` put before the field name (e.g. a spec inside a layer).
    pub fn within(mut self, prefix: &str) -> Self {
        self.field = if self.field.is_empty() {
            prefix.to_string()
        } else {
            format!("{prefix}.{}", self.field)
        };
        self
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.field, self.message)
    }
}

impl std::error::Error for Error {}

/// Result with the golden model's [`Error`].
pub type Result<T> = std::result::Result<T, Error>;

/// Check that `value` is finite, naming `field` if not.
pub fn finite(field: &str, value: f64) -> Result<f64> {
    if value.is_finite() {
        Ok(value)
    } else {
        Err(Error::new(
            field,
            format!("must be a finite number, got {value}"),
        ))
    }
}

/// Check that `value` is finite and strictly positive.
pub fn positive(field: &str, value: f64) -> Result<f64> {
    finite(field, value)?;
    if value > 0.0 {
        Ok(value)
    } else {
        Err(Error::new(field, format!("must be > 0, got {value}")))
    }
}

/// Check that every entry of `values` is finite, naming the first bad one as `field[i]`.
pub fn all_finite(field: &str, values: &[f64]) -> Result<()> {
    for (i, v) in values.iter().enumerate() {
        finite(&format!("{field}[{i}]"), *v)?;
    }
    Ok(())
}

/// Check `bits` is within `lo..=hi`.
pub fn bits_in(field: &str, bits: u32, lo: u32, hi: u32) -> Result<u32> {
    if (lo..=hi).contains(&bits) {
        Ok(bits)
    } else {
        Err(Error::new(
            field,
            format!("must be in {lo}..={hi}, got {bits}"),
        ))
    }
}
