//! AND-popcount compressor tree: `count = popcount(a & b)` over `WIDTH` bits, pipelined.
//!
//! ```text
//!  a,b ─┬─ group 0 (3 pairs) ─ 2-bit count ─┐
//!       ├─ group 1           ─ 2-bit count ─┼─ adder tree, a register every
//!       └─ ...                              ┘  `adds_per_stage` levels ─ count
//! ```
//!
//! Level 0 fuses the AND into the count: three operand pairs are six inputs, one LUT6 per
//! output bit. The adder tree then halves the number of partial counts per level. A register
//! follows level 0 and every `adds_per_stage` adder levels, and the last level is always
//! registered, so the latency is `1 + ceil(adder_levels / adds_per_stage)` (at least 1).

use crate::ast::{e, Decl, Dir, Expr, Item, Module, Param, Port, PortGroup, Stmt};

/// Parameters of the AND-popcount tree.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PopcountParams {
    /// Operand bits.
    pub width: u32,
    /// Operand pairs counted by one level-0 group (3 fills a LUT6).
    pub group: u32,
    /// Adder levels between pipeline registers.
    pub adds_per_stage: u32,
}

/// One level of the tree: `count` partial sums of `width` bits, registered or not.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Level {
    /// Number of partial counts.
    pub count: u32,
    /// Bits of each.
    pub width: u32,
    /// Whether this level's outputs are registers.
    pub registered: bool,
}

/// The ports every AND-popcount module has (`and_popcount`, `and_popcount_xcup`): `clk`,
/// operands `a` and `b` of `width` bits, and `count` of `out_width` bits, `latency` cycles
/// after its operands.
pub fn ports(width: u32, out_width: u32, latency: u32) -> Vec<PortGroup> {
    vec![
        PortGroup {
            doc: "Clock".into(),
            ports: vec![Port::new(Dir::In, "clk", None, "")],
        },
        PortGroup {
            doc: "Operands and count".into(),
            ports: vec![
                Port::new(Dir::In, "a", Some(width), "first operand"),
                Port::new(Dir::In, "b", Some(width), "second operand"),
                Port::new(
                    Dir::Out,
                    "count",
                    Some(out_width),
                    &format!("popcount(a & b), {latency} cycles later"),
                ),
            ],
        },
    ]
}

/// Bits needed for an unsigned value `v`.
pub fn ubits(v: u64) -> u32 {
    (64 - v.leading_zeros()).max(1)
}

impl PopcountParams {
    /// A tree for `width` bits with LUT6-sized groups and a register every 2 adder levels.
    pub fn new(width: u32) -> Self {
        PopcountParams {
            width,
            group: 3,
            adds_per_stage: 2,
        }
    }

    /// Bits of the count, `ceil(log2(width + 1))`.
    pub fn out_width(&self) -> u32 {
        ubits(self.width as u64)
    }

    /// The levels, level 0 first.
    pub fn levels(&self) -> Vec<Level> {
        let groups = self.width.div_ceil(self.group);
        let mut levels = vec![Level {
            count: groups,
            width: ubits(self.group as u64),
            registered: true,
        }];
        let mut max = self.group as u64;
        let mut adds = 0;
        while levels.last().unwrap().count > 1 {
            let prev = *levels.last().unwrap();
            max = (max * 2).min(self.width as u64);
            adds += 1;
            let count = prev.count.div_ceil(2);
            levels.push(Level {
                count,
                width: ubits(max).max(prev.width),
                registered: adds % self.adds_per_stage == 0 || count == 1,
            });
        }
        // The final count never needs more than out_width bits.
        let out = self.out_width();
        if let Some(last) = levels.last_mut() {
            last.width = last.width.min(out);
        }
        levels
    }

    /// Cycles from operands to count.
    pub fn latency(&self) -> u32 {
        self.levels().iter().filter(|l| l.registered).count() as u32
    }

    /// The module.
    pub fn module(&self) -> Module {
        let levels = self.levels();
        let padded = levels[0].count * self.group;
        let mut items = vec![
            Item::LocalParam(Param {
                name: "PADDED".into(),
                value: e::int(padded as i64),
                doc: format!("Operand bits rounded up to whole groups of {}.", self.group),
                width: None,
            }),
            Item::Decl(Decl {
                name: "a_pad".into(),
                width: Some(e::id("PADDED")),
                signed: false,
                depth: None,
                doc: "Operands, zero-extended to whole groups.".into(),
            }),
            Item::Decl(Decl {
                name: "b_pad".into(),
                width: Some(e::id("PADDED")),
                signed: false,
                depth: None,
                doc: String::new(),
            }),
        ];
        let pad = |name: &str| {
            if padded == self.width {
                e::id(name)
            } else {
                e::concat(vec![e::lit(padded - self.width, 0), e::id(name)])
            }
        };
        items.push(Item::Assign(e::id("a_pad"), pad("a")));
        items.push(Item::Assign(e::id("b_pad"), pad("b")));
        // Registered levels are `sum<l>_q`, combinational ones `sum<l>`.
        let name = |l: usize| {
            if levels[l].registered {
                format!("sum{l}_q")
            } else {
                format!("sum{l}")
            }
        };
        for (l, lv) in levels.iter().enumerate() {
            items.push(Item::Decl(Decl {
                name: name(l),
                width: Some(e::int(lv.width as i64)),
                signed: false,
                depth: Some(e::int(lv.count as i64)),
                doc: format!(
                    "Level {l}: {} partial counts of {} bits{}.",
                    lv.count,
                    lv.width,
                    if lv.registered { ", registered" } else { "" }
                ),
            }));
        }
        // Level 0: count the ANDed pairs of each group.
        let w0 = levels[0].width;
        let bits: Vec<Expr> = (0..self.group)
            .map(|i| {
                let idx = e::add(
                    e::mul(e::id("g"), e::int(self.group as i64)),
                    e::int(i as i64),
                );
                let pair = e::and(
                    e::index(e::id("a_pad"), idx.clone()),
                    e::index(e::id("b_pad"), idx),
                );
                if w0 > 1 {
                    e::concat(vec![e::lit(w0 - 1, 0), pair])
                } else {
                    pair
                }
            })
            .collect();
        let sum0 = bits.into_iter().reduce(e::add).unwrap();
        items.push(level_item(
            &name(0),
            levels[0],
            e::int(levels[0].count as i64),
            sum0,
        ));
        for l in 1..levels.len() {
            let prev = levels[l - 1];
            items.extend(pairwise_level(
                &name(l - 1),
                prev.count,
                prev.width,
                &name(l),
                levels[l],
                false,
            ));
        }
        let last = levels.len() - 1;
        items.push(Item::Assign(
            e::id("count"),
            e::index(e::id(name(last)), e::int(0)),
        ));
        Module {
            name: "and_popcount".into(),
            doc: vec![
                format!(
                    "popcount(a & b) over {} bits: {} levels, latency {} cycles.",
                    self.width,
                    levels.len(),
                    self.latency()
                ),
                "Generated by qforge; level structure in the localparam and declarations below."
                    .into(),
            ],
            params: vec![],
            ports: ports(self.width, self.out_width(), self.latency()),
            items,
        }
    }
}

/// One adder level of a pipelined tree: `dst[g] = src[2g] + src[2g+1]`, and the odd last
/// operand of `src` (if any) passed through to `dst`'s last entry. `src` holds `count` values
/// of `from` bits, extended to `lv.width` (sign-extended when `signed`); the level is
/// registered or continuous as `lv` says.
pub(crate) fn pairwise_level(
    src: &str,
    count: u32,
    from: u32,
    dst: &str,
    lv: Level,
    signed: bool,
) -> Vec<Item> {
    let ext = |x: Expr| -> Expr {
        if lv.width <= from {
            x
        } else if signed {
            let top = e::index(x.clone(), e::int(from as i64 - 1));
            e::concat(vec![e::repeat(e::int((lv.width - from) as i64), top), x])
        } else {
            e::concat(vec![e::lit(lv.width - from, 0), x])
        }
    };
    let mut items = Vec::new();
    if count / 2 > 0 {
        let left = e::index(e::id(src), e::mul(e::int(2), e::id("g")));
        let right = e::index(e::id(src), e::add(e::mul(e::int(2), e::id("g")), e::int(1)));
        items.push(level_item(
            dst,
            lv,
            e::int((count / 2) as i64),
            e::add(ext(left), ext(right)),
        ));
    }
    if count % 2 == 1 {
        let last = ext(e::index(e::id(src), e::int(count as i64 - 1)));
        let target = e::index(e::id(dst), e::int(lv.count as i64 - 1));
        items.push(if lv.registered {
            Item::AlwaysFf("clk".into(), vec![Stmt::Assign(target, last)])
        } else {
            Item::Assign(target, last)
        });
    }
    items
}

/// `name[g] = value` for g in 0..count, as a labelled generate loop.
fn level_item(name: &str, lv: Level, count: Expr, value: Expr) -> Item {
    let target = e::index(e::id(name), e::id("g"));
    let inner = if lv.registered {
        Item::AlwaysFf("clk".into(), vec![Stmt::Assign(target, value)])
    } else {
        Item::Assign(target, value)
    };
    let label = format!("gen_{}", name.trim_end_matches("_q"));
    Item::Generate {
        label,
        var: "g".into(),
        count,
        items: vec![inner],
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tree_shapes() {
        // 64 bits: 22 groups -> 11 -> 6 -> 3 -> 2 -> 1.
        let p = PopcountParams::new(64);
        let counts: Vec<u32> = p.levels().iter().map(|l| l.count).collect();
        assert_eq!(counts, vec![22, 11, 6, 3, 2, 1]);
        assert_eq!(p.levels().last().unwrap().width, 7);
        // Registered: level 0, after adder levels 2 and 4, and the last (5).
        assert_eq!(p.latency(), 4);
        // A width that fits one group has no adder level.
        assert_eq!(PopcountParams::new(3).levels().len(), 1);
        assert_eq!(PopcountParams::new(1).out_width(), 1);
    }
}
