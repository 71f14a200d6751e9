//! The netlist the xcup compressor planner (`crate::popcount_gpc`) builds: signals,
//! `LUT6_2` / `CARRY8` cells and register stages, with a Rust evaluator that follows the
//! cells' simulation models (`cells_sim.v`) bit for bit, and the resource counts.

/// A signal in the netlist.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sig {
    /// Constant 0.
    Zero,
    /// Constant 1.
    One,
    /// Operand bit `a[i]`.
    A(u32),
    /// Operand bit `b[i]`.
    B(u32),
    /// Combinational net `w[i]`.
    Net(u32),
    /// Register `r<stage>[i]`: the registered outputs of stage `stage`.
    Reg(u32, u32),
}

/// A primitive cell.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Cell {
    /// `LUT6_2`: O6 = `INIT[I5..I0]`, O5 = `INIT[I4..I0]`; outputs are nets.
    Lut {
        init: u64,
        i: [Sig; 6],
        o6: u32,
        o5: u32,
    },
    /// `CARRY8`; `o` and `co` are the first of 8 consecutive nets each.
    Carry {
        dual: bool,
        ci: Sig,
        ci_top: Sig,
        di: [Sig; 8],
        s: [Sig; 8],
        o: u32,
        co: u32,
    },
}

/// One pipeline stage: its cells, and the signals registered at its end.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Stage {
    /// What the stage does, for the emitted comment.
    pub what: String,
    /// Cells, in evaluation order.
    pub cells: Vec<Cell>,
    /// Signals registered into `r<stage>`, in index order.
    pub outputs: Vec<Sig>,
    /// LUTs on the longest path through the stage.
    pub levels: u32,
}

/// The planned compressor.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Netlist {
    /// Operand bits.
    pub width: u32,
    /// Count bits.
    pub out_width: u32,
    /// Nets `w[0..nets]`.
    pub nets: u32,
    /// Stages, each ending in a register.
    pub stages: Vec<Stage>,
    /// The count, bit 0 first (registers of the last stage).
    pub count: Vec<Sig>,
}

impl Netlist {
    /// Evaluate the netlist (pipeline latency aside): the count for operands `a`, `b`.
    pub fn eval(&self, a: &[bool], b: &[bool]) -> u64 {
        let mut w = vec![false; self.nets as usize];
        let mut regs: Vec<Vec<bool>> = Vec::new();
        for st in &self.stages {
            for cell in &st.cells {
                let v = |s: Sig, w: &[bool]| -> bool {
                    match s {
                        Sig::Zero => false,
                        Sig::One => true,
                        Sig::A(i) => a[i as usize],
                        Sig::B(i) => b[i as usize],
                        Sig::Net(i) => w[i as usize],
                        Sig::Reg(n, i) => regs[n as usize][i as usize],
                    }
                };
                match cell {
                    Cell::Lut { init, i, o6, o5 } => {
                        let idx: u32 = (0..6).map(|k| (v(i[k], &w) as u32) << k).sum();
                        w[*o6 as usize] = init >> idx & 1 == 1;
                        w[*o5 as usize] = init >> (idx & 31) & 1 == 1;
                    }
                    Cell::Carry {
                        dual,
                        ci,
                        ci_top,
                        di,
                        s,
                        o,
                        co,
                    } => {
                        let mut c = v(*ci, &w);
                        for j in 0..8 {
                            if j == 4 && *dual {
                                c = v(*ci_top, &w);
                            }
                            let sj = v(s[j], &w);
                            w[*o as usize + j] = sj ^ c;
                            c = if sj { c } else { v(di[j], &w) };
                            w[*co as usize + j] = c;
                        }
                    }
                }
            }
            let vals = st
                .outputs
                .iter()
                .map(|&s| match s {
                    Sig::Zero => false,
                    Sig::One => true,
                    Sig::A(i) => a[i as usize],
                    Sig::B(i) => b[i as usize],
                    Sig::Net(i) => w[i as usize],
                    Sig::Reg(n, i) => regs[n as usize][i as usize],
                })
                .collect();
            regs.push(vals);
        }
        let regs_last = regs.last().cloned().unwrap_or_default();
        self.count
            .iter()
            .enumerate()
            .map(|(k, s)| match s {
                Sig::Reg(_, i) => (regs_last[*i as usize] as u64) << k,
                _ => 0,
            })
            .sum()
    }

    /// `LUT6_2` cells (one LUT site each).
    pub fn luts(&self) -> usize {
        self.cells()
            .filter(|c| matches!(c, Cell::Lut { .. }))
            .count()
    }

    /// `CARRY8` cells.
    pub fn carry8(&self) -> usize {
        self.cells()
            .filter(|c| matches!(c, Cell::Carry { .. }))
            .count()
    }

    /// Flip-flops (every stage's registered outputs).
    pub fn ffs(&self) -> usize {
        self.stages.iter().map(|s| s.outputs.len()).sum()
    }

    /// Cycles from operands to count.
    pub fn latency(&self) -> u32 {
        self.stages.len() as u32
    }

    fn cells(&self) -> impl Iterator<Item = &Cell> {
        self.stages.iter().flat_map(|s| s.cells.iter())
    }
}

#[cfg(test)]
mod tests {
    use crate::popcount_gpc::plan;

    fn check(width: u32, ripple: u32, a: &[bool], b: &[bool]) {
        let n = plan(width, ripple, 1 + (width % 3));
        let want = a.iter().zip(b).filter(|(x, y)| **x && **y).count() as u64;
        assert_eq!(n.eval(a, b), want, "width {width} ripple {ripple}");
    }

    #[test]
    fn counts_edge_and_random_vectors() {
        let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
        let mut rnd = move || {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x & 1 == 1
        };
        for width in [
            1, 2, 3, 4, 5, 6, 7, 8, 11, 17, 31, 64, 100, 128, 255, 256, 512,
        ] {
            for ripple in [1, 2, 3, 4] {
                let w = width as usize;
                let ones = vec![true; w];
                let zeros = vec![false; w];
                let alt: Vec<bool> = (0..w).map(|i| i % 2 == 0).collect();
                check(width, ripple, &ones, &ones);
                check(width, ripple, &zeros, &ones);
                check(width, ripple, &alt, &ones);
                for _ in 0..50 {
                    let a: Vec<bool> = (0..w).map(|_| rnd()).collect();
                    let b: Vec<bool> = (0..w).map(|_| rnd() | rnd()).collect();
                    check(width, ripple, &a, &b);
                }
            }
        }
    }
}
