//! The planner of the xcup AND-popcount compressor: a netlist
//! (`crate::popcount_netlist`) of `LUT6_2` and `CARRY8` cells built stage by stage on a dot
//! matrix (bits per weight column). `crate::popcount_xcup` prints it as Verilog; the Rust
//! evaluator in `crate::popcount_netlist` checks it first.
//!
//! ```text
//!  a,b ─ absorb: ripple chains of LUT6_2, AND fused ─ reg ─┐  col0: 1 bit per chain
//!        (2 pairs + running sum per LUT, r LUTs deep)      │  col1: 1 bit per LUT
//!  ┌───────────────────────────────────────────────────────┘
//!  └─ GPC steps (1 LUT level each, a register every `gpc_per_stage`): (1,1,7;4) and (6;3)
//!     counters on CARRY8 halves, full adders, parity LUTs in the top column (bits of
//!     weight >= 2^out_width are provably 0), until every column holds <= 3 bits (col0: 5)
//!  ─ ternary adder: 1 LUT6_2 per column on chained CARRY8s ─ reg ─ count
//! ```
//!
//! The (6;3) counter: bits `a0..a4` in the two LUTs, `a5` on the chain's carry-in. The chain
//! adds `P + Q + a5` with `P = a0+a1+a2` and `Q = a3+a4`: position 0 has `S = p0^q0`
//! (parity of `a0..a4`), `DI = q0`; position 1 has `S = p1^q1`, `DI = q1`; the three result
//! bits are `O[0]`, `O[1]` and `CO[1]`. Two counters share one CARRY8 in `DUAL_CY4` mode
//! (carry-ins `CI` and `CI_TOP`). The (1,1,7;4) counter: `P = a0+..+a4` in three 6-input
//! LUTs, `Q = a5 + 2u + 4v` on `DI` (the bypass input) and in each LUT's sixth input, `a6`
//! on the carry-in; results `O[0..2]`, `CO[2]`. The ternary adder: position `i` computes
//! `S = a^b^c^m[i-1]` (O6) and `m[i] = maj(a,b,c)` (O5, routed to position `i+1`, whose `DI`
//! is `m[i-1]`); column 0 puts a 4th bit in the `m[-1]` slot and a 5th on `CI`.

use crate::popcount::ubits;
use crate::popcount_netlist::{Cell, Netlist, Sig, Stage};

/// LUT6_2 INIT with I5 = 1: `f(inputs I0..I4) -> (o6, o5)`.
fn dual_init(f: impl Fn([bool; 5]) -> (bool, bool)) -> u64 {
    let mut init = 0u64;
    for idx in 0..32u32 {
        let x = std::array::from_fn(|k| idx >> k & 1 == 1);
        let (o6, o5) = f(x);
        init |= (o6 as u64) << (32 + idx) | (o5 as u64) << idx;
    }
    init
}

fn maj(a: bool, b: bool, c: bool) -> bool {
    (a & b) | (a & c) | (b & c)
}

/// Builds stages, allocating nets.
struct Builder {
    nets: u32,
    stage: Stage,
    done: Vec<Stage>,
    /// Description of the GPC step just built.
    step: String,
}

impl Builder {
    fn net(&mut self) -> u32 {
        self.nets += 1;
        self.nets - 1
    }

    /// A `LUT6_2` in dual mode (I5 = 1) on inputs `i` (I0..I4); returns (O6, O5).
    fn lut(&mut self, i: [Sig; 5], f: impl Fn([bool; 5]) -> (bool, bool)) -> (Sig, Sig) {
        let (o6, o5) = (self.net(), self.net());
        let init = dual_init(f);
        let i = [i[0], i[1], i[2], i[3], i[4], Sig::One];
        self.stage.cells.push(Cell::Lut { init, i, o6, o5 });
        (Sig::Net(o6), Sig::Net(o5))
    }

    /// A `LUT6` (O6 of a `LUT6_2`) on inputs `i` (I0..I4) and `i5` (I5); returns O6.
    fn lut6(&mut self, i: [Sig; 5], i5: Sig, f: impl Fn([bool; 5], bool) -> bool) -> Sig {
        let (o6, o5) = (self.net(), self.net());
        let mut init = 0u64;
        for idx in 0..64u32 {
            let x = std::array::from_fn(|k| idx >> k & 1 == 1);
            init |= (f(x, idx >> 5 & 1 == 1) as u64) << idx;
        }
        let i = [i[0], i[1], i[2], i[3], i[4], i5];
        self.stage.cells.push(Cell::Lut { init, i, o6, o5 });
        Sig::Net(o6)
    }

    /// A `CARRY8`; returns the first net of `O` (`CO` follows 8 nets later).
    fn carry(&mut self, dual: bool, ci: [Sig; 2], di: [Sig; 8], s: [Sig; 8]) -> u32 {
        let o = self.nets;
        self.nets += 16;
        self.stage.cells.push(Cell::Carry {
            dual,
            ci: ci[0],
            ci_top: ci[1],
            di,
            s,
            o,
            co: o + 8,
        });
        o
    }

    /// End a step of `levels` LUT levels doing `what`: with `reg`, close the pipeline stage
    /// by registering `matrix` and return the registered matrix; else continue the stage.
    fn register(
        &mut self,
        what: String,
        levels: u32,
        matrix: Vec<Vec<Sig>>,
        reg: bool,
    ) -> Vec<Vec<Sig>> {
        if !self.stage.what.is_empty() {
            self.stage.what.push_str("; ");
        }
        self.stage.what.push_str(&what);
        self.stage.levels += levels;
        if !reg {
            return matrix;
        }
        let n = self.done.len() as u32;
        let mut stage = std::mem::take(&mut self.stage);
        let out = matrix
            .into_iter()
            .map(|col| {
                col.into_iter()
                    .map(|s| {
                        stage.outputs.push(s);
                        Sig::Reg(n, stage.outputs.len() as u32 - 1)
                    })
                    .collect()
            })
            .collect();
        self.done.push(stage);
        out
    }
}

/// Bits in `x` that are set, as a count.
fn ones(x: &[bool]) -> u32 {
    x.iter().filter(|&&v| v).count() as u32
}

/// Plan the compressor for `width` operand pairs with absorption chains of `ripple` LUTs.
pub fn plan(width: u32, ripple: u32, gpc_per_stage: u32) -> Netlist {
    assert!(width >= 1 && ripple >= 1 && gpc_per_stage >= 1);
    let ow = ubits(width as u64);
    let mut b = Builder {
        nets: 0,
        stage: Stage::default(),
        done: Vec::new(),
        step: String::new(),
    };
    let mut m: Vec<Vec<Sig>> = vec![Vec::new(); ow as usize];
    // Absorption: each LUT adds two AND pairs and the running sum of its chain.
    let pairs: Vec<u32> = (0..width).collect();
    let mut depth = 0;
    for chain in pairs.chunks(2 * ripple as usize) {
        let mut run = Sig::Zero;
        let luts = chain.chunks(2).collect::<Vec<_>>();
        depth = depth.max(luts.len() as u32);
        for (j, two) in luts.iter().enumerate() {
            let (p, q) = (two[0], two.get(1).copied());
            let i = [
                Sig::A(p),
                Sig::B(p),
                q.map_or(Sig::Zero, Sig::A),
                q.map_or(Sig::Zero, Sig::B),
                run,
            ];
            let (carry, sum) = b.lut(i, |x| {
                let (u, v) = (x[0] & x[1], x[2] & x[3]);
                (maj(u, v, x[4]), u ^ v ^ x[4])
            });
            // A first LUT with one pair has no carry.
            if !(j == 0 && q.is_none()) && ow > 1 {
                m[1].push(carry);
            }
            run = sum;
        }
        m[0].push(run);
    }
    let what = format!("absorb: AND fused into ripple chains of up to {ripple} LUT6_2");
    m = b.register(what, depth, m, true);
    // GPC stages until every column holds at most 3 bits.
    // Column 0 may hold 5 bits: the ternary adder takes a 4th in position 0's `DI` / `S`
    // slot of the previous majority and a 5th on the carry-in.
    let over = |m: &[Vec<Sig>]| {
        m.iter()
            .enumerate()
            .any(|(c, b)| b.len() > 3 + 2 * (c == 0) as usize)
    };
    let mut pending = 0;
    while over(&m) {
        m = gpc_stage(&mut b, m);
        pending += 1;
        let reg = pending == gpc_per_stage || !over(&m);
        let what = std::mem::take(&mut b.step);
        m = b.register(what, 1, m, reg);
        if reg {
            pending = 0;
        }
    }
    // Final adder (none when every column holds at most one bit).
    if m.iter().any(|c| c.len() > 1) {
        m = ternary(&mut b, m);
    }
    let count = m
        .iter()
        .map(|c| c.first().copied().unwrap_or(Sig::Zero))
        .collect();
    Netlist {
        width,
        out_width: ow,
        nets: b.nets,
        stages: b.done,
        count,
    }
}

/// A counter on one CARRY8 half: `col` bits of column `c` (at most 6 for (6;3), 7 for
/// (1,1,7;4)) and, for (1,1,7;4), one bit each of columns `c+1` and `c+2` (or zero).
struct Counter {
    c: usize,
    bits: Vec<Sig>,
    up: Option<[Sig; 2]>,
}

/// One stage of (1,1,7;4) and (6;3) counters, full adders and top-column parity LUTs,
/// targeting columns of at most 3 bits.
fn gpc_stage(b: &mut Builder, mut m: Vec<Vec<Sig>>) -> Vec<Vec<Sig>> {
    let ow = m.len();
    let mut next: Vec<Vec<Sig>> = vec![Vec::new(); ow];
    let push = |next: &mut Vec<Vec<Sig>>, col: usize, s: Sig| {
        if col < ow {
            next[col].push(s)
        }
    };
    let mut counters: Vec<Counter> = Vec::new();
    let (mut n_fa, mut n_par) = (0, 0);
    for c in 0..ow {
        let mut bits = std::mem::take(&mut m[c]);
        let mut excess = bits.len() as i64 + next[c].len() as i64 - 3 - 2 * (c == 0) as i64;
        if c == ow - 1 {
            // Top column: only the parity counts.
            while excess > 0 && bits.len() >= 2 {
                let k = bits.len().min(5);
                let take: Vec<Sig> = bits.drain(..k).collect();
                let i = std::array::from_fn(|j| take.get(j).copied().unwrap_or(Sig::Zero));
                let (par, _) = b.lut(i, |x| (ones(&x) % 2 == 1, false));
                push(&mut next, c, par);
                n_par += 1;
                excess -= k as i64 - 1;
            }
        }
        while excess > 0 && bits.len() >= 3 {
            let k = if bits.len() >= 7
                && excess >= 5
                && c + 2 < ow
                && !m[c + 1].is_empty()
                && !m[c + 2].is_empty()
            {
                7
            } else if bits.len() >= 6 && excess >= 4 {
                6
            } else if bits.len() >= 5 && excess >= 3 {
                5
            } else {
                3
            };
            let take: Vec<Sig> = bits.drain(..k).collect();
            if k == 3 {
                let i = [take[0], take[1], take[2], Sig::Zero, Sig::Zero];
                let (sum, carry) = b.lut(i, |x| (x[0] ^ x[1] ^ x[2], maj(x[0], x[1], x[2])));
                push(&mut next, c, sum);
                push(&mut next, c + 1, carry);
                n_fa += 1;
            } else {
                // Outputs are pushed when the counters are placed; reserve the heights.
                let reach = if k == 7 { 4 } else { 3 };
                for col in next.iter_mut().skip(c).take(reach) {
                    col.push(Sig::Zero);
                }
                let up = (k == 7).then(|| {
                    let mut one = |col: usize| m[col].pop().unwrap_or(Sig::Zero);
                    [one(c + 1), one(c + 2)]
                });
                counters.push(Counter { c, bits: take, up });
            }
            excess -= k as i64 - 1;
        }
        next[c].extend(bits);
    }
    // Drop the reservations, then place counters two per CARRY8.
    for col in next.iter_mut() {
        col.retain(|s| *s != Sig::Zero);
    }
    for two in counters.chunks(2) {
        let mut s = [Sig::Zero; 8];
        let mut di = [Sig::Zero; 8];
        let mut ci = [Sig::Zero; 2];
        for (h, k) in two.iter().enumerate() {
            let a: [Sig; 5] = std::array::from_fn(|j| k.bits.get(j).copied().unwrap_or(Sig::Zero));
            let p = 4 * h;
            match k.up {
                None => {
                    ci[h] = k.bits.get(5).copied().unwrap_or(Sig::Zero);
                    let (s0, d0) = b.lut(a, |x| (ones(&x) % 2 == 1, x[3] ^ x[4]));
                    let (s1, d1) =
                        b.lut(a, |x| (maj(x[0], x[1], x[2]) ^ (x[3] & x[4]), x[3] & x[4]));
                    (s[p], di[p], s[p + 1], di[p + 1]) = (s0, d0, s1, d1);
                }
                Some(up) => {
                    // P = count(a0..a4); Q = a5 + 2 up0 + 4 up1 on DI (bypass); CI = a6.
                    ci[h] = k.bits.get(6).copied().unwrap_or(Sig::Zero);
                    let q = [k.bits.get(5).copied().unwrap_or(Sig::Zero), up[0], up[1]];
                    for (j, &qj) in q.iter().enumerate() {
                        s[p + j] = b.lut6(a, qj, move |x, y| (ones(&x) >> j & 1 == 1) ^ y);
                        di[p + j] = qj;
                    }
                }
            }
        }
        let o = b.carry(true, ci, di, s);
        for (h, k) in two.iter().enumerate() {
            let base = o + 4 * h as u32;
            let c = k.c;
            push(&mut next, c, Sig::Net(base));
            push(&mut next, c + 1, Sig::Net(base + 1));
            if k.up.is_none() {
                push(&mut next, c + 2, Sig::Net(base + 8 + 1));
            } else {
                push(&mut next, c + 2, Sig::Net(base + 2));
                push(&mut next, c + 3, Sig::Net(base + 8 + 2));
            }
        }
    }
    let n7 = counters.iter().filter(|k| k.up.is_some()).count();
    let what = format!(
        "GPC stage: {n7} (1,1,7;4) and {} (6;3) counters on {} CARRY8, {n_fa} full adders, \
         {n_par} parity LUTs",
        counters.len() - n7,
        counters.len().div_ceil(2)
    );
    b.step = what;
    next
}

/// The final ternary adder over columns of at most 3 bits, on chained CARRY8s.
fn ternary(b: &mut Builder, m: Vec<Vec<Sig>>) -> Vec<Vec<Sig>> {
    let ow = m.len();
    let mut s = vec![Sig::Zero; ow.div_ceil(8) * 8];
    let mut di = s.clone();
    // Column 0: a 4th bit where the previous majority would be, a 5th on CI.
    let mut prev = m[0].get(3).copied().unwrap_or(Sig::Zero);
    for (c, col) in m.iter().enumerate() {
        let x = |j: usize| col.get(j).copied().unwrap_or(Sig::Zero);
        if col.is_empty() && prev == Sig::Zero {
            continue;
        }
        let i = [x(0), x(1), x(2), prev, Sig::Zero];
        let (sum, mj) = b.lut(i, |x| (x[0] ^ x[1] ^ x[2] ^ x[3], maj(x[0], x[1], x[2])));
        s[c] = sum;
        di[c] = prev;
        prev = mj;
    }
    let mut out = vec![Vec::new(); ow];
    let mut ci = m[0].get(4).copied().unwrap_or(Sig::Zero);
    for k in 0..ow.div_ceil(8) {
        let o = b.carry(
            false,
            [ci, Sig::Zero],
            std::array::from_fn(|j| di[8 * k + j]),
            std::array::from_fn(|j| s[8 * k + j]),
        );
        for j in 0..8 {
            if 8 * k + j < ow {
                out[8 * k + j].push(Sig::Net(o + j as u32));
            }
        }
        ci = Sig::Net(o + 8 + 7);
    }
    // Two LUT levels: the majority (O5) of column i-1, then the sum (O6) of column i.
    b.register("ternary adder on CARRY8".into(), 2, out, true)
}
