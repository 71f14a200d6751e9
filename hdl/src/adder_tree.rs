//! Signed adder tree: `sum = Σ in[i]` over `N` two's-complement operands of `W` bits,
//! pipelined, exact (each level is one bit wider than the last, up to an optional cap past
//! which the sums are kept modulo a power of two).
//!
//! ```text
//!  in[0], in[1] ─(+)─┐
//!  in[2], in[3] ─(+)─┼─(+)─ ... ─ sum      a register every `adds_per_stage` levels,
//!  ...               ┘                     and the last level always registered
//! ```
//!
//! The LUT-multiplier PE sums its lanes with it. With one operand the tree is a single
//! register, so the latency is always at least 1.

use crate::ast::{e, Decl, Dir, Item, Module, Port, PortGroup};
use crate::popcount::{pairwise_level, Level};

/// Parameters of a signed adder tree.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AdderTreeParams {
    /// Operands.
    pub n: u32,
    /// Bits of each operand.
    pub width: u32,
    /// Adder levels between pipeline registers.
    pub adds_per_stage: u32,
    /// Bits past which a level does not grow: its sums are kept modulo `2^max_width` (exact
    /// for a total the user reduces modulo that anyway, as the PE's accumulator does).
    pub max_width: u32,
}

impl AdderTreeParams {
    /// A tree of `n` operands of `width` bits, a register every 2 adder levels.
    pub fn new(n: u32, width: u32) -> Self {
        AdderTreeParams {
            n,
            width,
            adds_per_stage: 2,
            max_width: u32::MAX,
        }
    }

    /// The same tree with its levels no wider than `max_width` bits (nor narrower than the
    /// operands): sums modulo `2^max_width`.
    pub fn capped(self, max_width: u32) -> Self {
        AdderTreeParams { max_width, ..self }
    }

    /// The levels after the inputs (at least one).
    pub fn levels(&self) -> Vec<Level> {
        let mut levels = Vec::new();
        let (mut count, mut width) = (self.n, self.width);
        let cap = self.max_width.max(self.width);
        let mut adds = 0;
        while count > 1 {
            count = count.div_ceil(2);
            width = (width + 1).min(cap);
            adds += 1;
            levels.push(Level {
                count,
                width,
                registered: adds % self.adds_per_stage == 0 || count == 1,
            });
        }
        if levels.is_empty() {
            levels.push(Level {
                count: 1,
                width,
                registered: true,
            });
        }
        levels
    }

    /// Bits of the sum.
    pub fn out_width(&self) -> u32 {
        self.levels().last().unwrap().width
    }

    /// Cycles from operands to sum.
    pub fn latency(&self) -> u32 {
        self.levels().iter().filter(|l| l.registered).count() as u32
    }

    /// The module.
    pub fn module(&self) -> Module {
        let levels = self.levels();
        let w = self.width;
        let name = |l: usize| {
            if levels[l].registered {
                format!("lvl{}_q", l + 1)
            } else {
                format!("lvl{}", l + 1)
            }
        };
        let mut items = vec![Item::Decl(Decl {
            name: "lvl0".into(),
            width: Some(e::int(w as i64)),
            signed: false,
            depth: Some(e::int(self.n as i64)),
            doc: format!("The {} operands.", self.n),
        })];
        items.push(Item::Generate {
            label: "gen_lvl0".into(),
            var: "g".into(),
            count: e::int(self.n as i64),
            items: vec![Item::Assign(
                e::index(e::id("lvl0"), e::id("g")),
                e::part(
                    e::id("operands"),
                    e::mul(e::id("g"), e::int(w as i64)),
                    e::int(w as i64),
                ),
            )],
        });
        for (l, lv) in levels.iter().enumerate() {
            items.push(Item::Decl(Decl {
                name: name(l),
                width: Some(e::int(lv.width as i64)),
                signed: false,
                depth: Some(e::int(lv.count as i64)),
                doc: format!(
                    "Level {}: {} partial sums of {} bits{}.",
                    l + 1,
                    lv.count,
                    lv.width,
                    if lv.registered { ", registered" } else { "" }
                ),
            }));
        }
        for (l, &lv) in levels.iter().enumerate() {
            let (src, count, from) = if l == 0 {
                ("lvl0".to_string(), self.n, w)
            } else {
                (name(l - 1), levels[l - 1].count, levels[l - 1].width)
            };
            items.extend(pairwise_level(&src, count, from, &name(l), lv, true));
        }
        items.push(Item::Assign(
            e::id("sum"),
            e::index(e::id(name(levels.len() - 1)), e::int(0)),
        ));
        Module {
            name: "adder_tree".into(),
            doc: vec![format!(
                "Signed sum of {} operands of {} bits: {} levels, latency {} cycles.",
                self.n,
                w,
                levels.len(),
                self.latency()
            )],
            params: vec![],
            ports: vec![
                PortGroup {
                    doc: "Clock".into(),
                    ports: vec![Port::new(Dir::In, "clk", None, "")],
                },
                PortGroup {
                    doc: "Operands and sum".into(),
                    ports: vec![
                        Port::new(
                            Dir::In,
                            "operands",
                            Some(self.n * w),
                            "operand i at [i*W +: W], two's complement",
                        ),
                        Port::new(
                            Dir::Out,
                            "sum",
                            Some(self.out_width()),
                            &format!("their sum, {} cycles later", self.latency()),
                        ),
                    ],
                },
            ],
            items,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shapes() {
        let t = AdderTreeParams::new(64, 9);
        // 64 -> 32 -> 16 -> 8 -> 4 -> 2 -> 1: six levels, registered after 2, 4 and 6.
        assert_eq!(t.levels().len(), 6);
        assert_eq!((t.out_width(), t.latency()), (15, 3));
        let one = AdderTreeParams::new(1, 5);
        assert_eq!((one.out_width(), one.latency()), (5, 1));
        // 3 operands: 3 -> 2 -> 1, the odd one passing through level 1.
        let three = AdderTreeParams::new(3, 4);
        assert_eq!((three.out_width(), three.latency()), (6, 1));
        // Capped at 12 bits: the levels stop growing there, the latency is the same.
        let capped = AdderTreeParams::new(64, 9).capped(12);
        assert_eq!((capped.out_width(), capped.latency()), (12, 3));
        // Never narrower than the operands.
        assert_eq!(AdderTreeParams::new(4, 9).capped(5).out_width(), 9);
    }
}
