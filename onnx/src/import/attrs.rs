//! Typed access to a node's attributes and inputs, every failure naming the node and the
//! attribute or input: defaults, allowed values, and the "everything else is an error" rule
//! for attributes the importer does not understand.

use crate::error::{Error, Result};
use crate::graph::{Attr, Node};

/// A node's attributes, checked against the names the importer knows.
pub struct Attrs<'n> {
    node: &'n Node,
}

impl<'n> Attrs<'n> {
    /// Attributes of `node`; any attribute not in `known` is an error.
    pub fn new(node: &'n Node, known: &[&str]) -> Result<Self> {
        if let Some((name, _)) = node
            .attrs
            .iter()
            .find(|(n, _)| !known.contains(&n.as_str()))
        {
            return Err(Error::new(
                format!("{}: attribute {name:?}", node.at()),
                format!(
                    "is not supported (this op takes {})",
                    if known.is_empty() {
                        "no attributes".to_string()
                    } else {
                        known.join(", ")
                    }
                ),
            ));
        }
        Ok(Attrs { node })
    }

    fn at(&self, name: &str) -> String {
        format!("{}: attribute {name:?}", self.node.at())
    }

    /// An error about attribute `name`.
    pub fn err(&self, name: &str, msg: impl Into<String>) -> Error {
        Error::new(self.at(name), msg)
    }

    /// Integer attribute `name`, or `default`.
    pub fn int(&self, name: &str, default: i64) -> Result<i64> {
        match self.node.attr(name) {
            None => Ok(default),
            Some(Attr::Int(v)) => Ok(*v),
            Some(a) => Err(self.err(name, format!("must be an INT, got {}", a.type_name()))),
        }
    }

    /// Integer attribute that must be one of `allowed` (default `default`).
    pub fn int_in(&self, name: &str, default: i64, allowed: &[i64]) -> Result<i64> {
        let v = self.int(name, default)?;
        if !allowed.contains(&v) {
            return Err(self.err(
                name,
                format!("{v} is not supported (supported: {allowed:?})"),
            ));
        }
        Ok(v)
    }

    /// Float attribute `name`, or `default`.
    pub fn float(&self, name: &str, default: f32) -> Result<f32> {
        match self.node.attr(name) {
            None => Ok(default),
            Some(Attr::Float(v)) => Ok(*v),
            Some(Attr::Int(v)) => Ok(*v as f32),
            Some(a) => Err(self.err(name, format!("must be a FLOAT, got {}", a.type_name()))),
        }
    }

    /// String attribute `name`, or `default`.
    pub fn string(&self, name: &str, default: &str) -> Result<String> {
        match self.node.attr(name) {
            None => Ok(default.to_string()),
            Some(Attr::Str(v)) => Ok(v.clone()),
            Some(a) => Err(self.err(name, format!("must be a STRING, got {}", a.type_name()))),
        }
    }

    /// Integer-list attribute `name`, if present.
    pub fn ints(&self, name: &str) -> Result<Option<Vec<i64>>> {
        match self.node.attr(name) {
            None => Ok(None),
            Some(Attr::Ints(v)) => Ok(Some(v.clone())),
            Some(a) => Err(self.err(name, format!("must be INTS, got {}", a.type_name()))),
        }
    }

    /// A 2-D spatial attribute with both axes equal (`strides`, `kernel_shape`), or
    /// `default` when absent.
    pub fn square(&self, name: &str, default: Option<usize>) -> Result<usize> {
        match self.ints(name)? {
            None => default.ok_or_else(|| self.err(name, "is required")),
            Some(v) => match v.as_slice() {
                [a, b] if a == b && *a >= 1 => Ok(*a as usize),
                _ => Err(self.err(
                    name,
                    format!("{v:?} is not supported: 2-D, both axes equal and >= 1"),
                )),
            },
        }
    }

    /// `pads` of a 2-D op: all four equal (symmetric), default 0.
    pub fn pads(&self) -> Result<usize> {
        match self.ints("pads")? {
            None => Ok(0),
            Some(v) => match v.as_slice() {
                [a, b, c, d] if a == b && b == c && c == d && *a >= 0 => Ok(*a as usize),
                _ => Err(self.err(
                    "pads",
                    format!("{v:?} is not supported: the same padding on all four sides"),
                )),
            },
        }
    }

    /// `dilations` must be all 1 (absent is 1).
    pub fn no_dilation(&self) -> Result<()> {
        match self.ints("dilations")? {
            Some(v) if v.iter().any(|&d| d != 1) => {
                Err(self.err("dilations", format!("{v:?} is not supported (only 1)")))
            }
            _ => Ok(()),
        }
    }

    /// `auto_pad` must be absent, `NOTSET` or `VALID` with zero pads.
    pub fn no_auto_pad(&self, pads: usize) -> Result<()> {
        match self.string("auto_pad", "NOTSET")?.as_str() {
            "NOTSET" => Ok(()),
            "VALID" if pads == 0 => Ok(()),
            other => Err(self.err(
                "auto_pad",
                format!("{other:?} is not supported (give explicit pads)"),
            )),
        }
    }
}
