//! Design-unique module names: [`prefix_modules`] renames every module of a design, and every
//! instance's reference to one of them, to `{prefix}{name}`, so the modules of two engines
//! (which share names such as `and_popcount` or `threshold_unit` with different contents) can
//! sit in one Vivado project or one simulator build. Instances of modules outside the list
//! (vendor primitives such as `LUT6_2` or `CARRY8`) keep their names.

use std::collections::HashSet;
use std::fmt;

use crate::ast::Module;

/// Why a prefix is refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PrefixError {
    /// The prefix is empty (no prefix is spelled by not asking for one).
    Empty,
    /// The first character cannot start a Verilog identifier.
    BadStart(char),
    /// A later character is not a letter, digit or `_`.
    BadChar {
        /// The character.
        ch: char,
        /// Its character position.
        at: usize,
    },
    /// Longer than [`MAX_PREFIX`] characters.
    TooLong(usize),
}

/// The longest prefix accepted (module names stay well inside tool limits).
pub const MAX_PREFIX: usize = 64;

impl fmt::Display for PrefixError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PrefixError::Empty => write!(f, "the prefix is empty"),
            PrefixError::BadStart(c) => write!(
                f,
                "starts with {c:?}: a Verilog identifier starts with a letter or `_`"
            ),
            PrefixError::BadChar { ch, at } => write!(
                f,
                "character {at} is {ch:?}: only ASCII letters, digits and `_` may follow the first"
            ),
            PrefixError::TooLong(n) => {
                write!(f, "{n} characters, above the limit of {MAX_PREFIX}")
            }
        }
    }
}

impl std::error::Error for PrefixError {}

/// Check that `prefix` can start any Verilog identifier: an ASCII letter or `_`, then ASCII
/// letters, digits or `_` (no `$`: the names also become file names in shell scripts).
pub fn check_prefix(prefix: &str) -> Result<(), PrefixError> {
    let mut chars = prefix.chars();
    match chars.next() {
        None => return Err(PrefixError::Empty),
        Some(c) if !(c.is_ascii_alphabetic() || c == '_') => return Err(PrefixError::BadStart(c)),
        Some(_) => {}
    }
    if let Some((at, ch)) = prefix
        .chars()
        .enumerate()
        .find(|&(_, c)| !(c.is_ascii_alphanumeric() || c == '_'))
    {
        return Err(PrefixError::BadChar { ch, at });
    }
    let n = prefix.chars().count();
    if n > MAX_PREFIX {
        return Err(PrefixError::TooLong(n));
    }
    Ok(())
}

/// Rename every module in `mods` to `{prefix}{name}` and every instance of one of them
/// accordingly; instances of other modules are left alone. Nothing changes on an error.
pub fn prefix_modules(mods: &mut [Module], prefix: &str) -> Result<(), PrefixError> {
    check_prefix(prefix)?;
    let ours: HashSet<String> = mods.iter().map(|m| m.name.clone()).collect();
    for m in mods.iter_mut() {
        m.name = format!("{prefix}{}", m.name);
        for inst in m.instances_mut() {
            if ours.contains(&inst.module) {
                inst.module = format!("{prefix}{}", inst.module);
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ast::{e, Instance, Item};

    fn inst(module: &str) -> Item {
        Item::Instance(Instance {
            module: module.into(),
            name: format!("u_{module}"),
            params: vec![],
            ports: vec![("a".into(), e::id("a"))],
        })
    }

    fn module(name: &str, items: Vec<Item>) -> Module {
        Module {
            name: name.into(),
            doc: vec![],
            params: vec![],
            ports: vec![],
            items,
        }
    }

    #[test]
    fn renames_modules_and_their_instances_but_not_primitives() {
        let mut mods = vec![
            module("leaf", vec![inst("LUT6_2")]),
            module(
                "top",
                vec![
                    inst("leaf"),
                    Item::Generate {
                        label: "g".into(),
                        var: "i".into(),
                        count: e::int(2),
                        items: vec![inst("leaf"), inst("CARRY8")],
                    },
                ],
            ),
        ];
        prefix_modules(&mut mods, "a_").unwrap();
        assert_eq!(mods[0].name, "a_leaf");
        assert_eq!(mods[1].name, "a_top");
        let refs: Vec<String> = mods
            .iter_mut()
            .flat_map(|m| m.instances_mut().into_iter().map(|i| i.module.clone()))
            .collect();
        assert_eq!(refs, ["LUT6_2", "a_leaf", "a_leaf", "CARRY8"]);
        // Instance names are not module names.
        assert_eq!(mods[1].instances_mut()[0].name, "u_leaf");
    }

    #[test]
    fn bad_prefixes_are_refused_and_change_nothing() {
        let mut mods = vec![module("top", vec![inst("leaf")])];
        for (p, want) in [
            ("", PrefixError::Empty),
            ("1a", PrefixError::BadStart('1')),
            ("$a", PrefixError::BadStart('$')),
            ("a-b", PrefixError::BadChar { ch: '-', at: 1 }),
            ("ab$", PrefixError::BadChar { ch: '$', at: 2 }),
            ("é", PrefixError::BadStart('é')),
            (&"a".repeat(65), PrefixError::TooLong(65)),
        ] {
            assert_eq!(prefix_modules(&mut mods, p), Err(want), "{p:?}");
            assert_eq!(mods[0].name, "top");
        }
        for ok in ["a", "_", "A_1", "x9_", &"a".repeat(64)] {
            check_prefix(ok).unwrap();
        }
        assert!(PrefixError::BadStart('1')
            .to_string()
            .contains("starts with a letter or `_`"));
    }
}
