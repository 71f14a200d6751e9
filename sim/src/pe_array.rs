//! The PE array (the RTL's `pe_array` block): `dm × dn` processing elements, each a DPU
//! (bit-serial engine: AND-popcount of one weight plane word and one activation plane word,
//! shifted and signed by the step's control) or a LUT PE (LUT engine: the sum of `dk`
//! product-table entries), behind a pipeline of the DPU's latency, feeding one accumulator
//! per PE.
//!
//! Each cycle it reads the memories' current output words (the step at the read registers,
//! [`crate::ctl_delay::CtlDelay::read`]) into the head of its pipeline and accumulates the
//! step leaving the pipeline ([`crate::ctl_delay::CtlDelay::head`]). Offset-encoded weights
//! also carry each column's activation popcount down the pipeline (`2·pc − popcount(a)`).
//! LUT engines own the product table, written through [`PeArray::write_table`] while the
//! controller loads it.

use hdl::params::{EngineParams, WeightEnc};

use crate::ctl_delay::Ctl;
use crate::engine::field;

/// One pipeline stage's data (the matching control is in [`crate::ctl_delay::CtlDelay`]).
#[derive(Debug, Clone)]
struct Stage {
    /// popcount(w_r & a_c) per DPU, row-major (bit-serial engine).
    pc: Vec<u32>,
    /// popcount(a_c) per column (bit-serial engine).
    ac: Vec<u32>,
    /// LUT PE sum per PE, row-major (LUT engine).
    sum: Vec<i64>,
}

/// The PE array's registers.
#[derive(Debug, Clone)]
pub(crate) struct PeArray {
    /// The pipeline behind the PEs, a ring (no data moves on a shift): the head,
    /// the oldest entry, is at `head`, the next oldest at `head − 1` (mod the length), the
    /// newest at `head + 1`.
    line: Vec<Stage>,
    head: usize,
    /// One accumulator per PE, row-major (`row·dn + col`).
    acc: Vec<i64>,
    /// The two result banks: finished tiles' accumulators, read by the emission while the
    /// next tiles accumulate.
    res: [Vec<i64>; 2],
    /// Columns.
    dn: usize,
    /// Product table (LUT engines), `{mag, act}`-addressed; empty for the bit-serial engine.
    table: Vec<u64>,
}

/// popcount(w_r & a_c) for every row r and column c, with `N` words per operand (a fixed
/// `N` lets the compiler unroll the word loop). Uses the CPU's POPCNT instruction when it has
/// one (checked at run time, so the binary stays portable).
fn and_popcounts<const N: usize>(w: &[u64], a: &[u64], pc: &mut [u32]) {
    #[cfg(target_arch = "x86_64")]
    if std::arch::is_x86_feature_detected!("popcnt") {
        // SAFETY: the CPU supports POPCNT (checked just above).
        unsafe { and_popcounts_popcnt::<N>(w, a, pc) };
        return;
    }
    and_popcounts_body::<N>(w, a, pc);
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "popcnt")]
unsafe fn and_popcounts_popcnt<const N: usize>(w: &[u64], a: &[u64], pc: &mut [u32]) {
    and_popcounts_body::<N>(w, a, pc);
}

#[inline(always)]
fn and_popcounts_body<const N: usize>(w: &[u64], a: &[u64], pc: &mut [u32]) {
    let cols = a.len() / N;
    for (pcs, wr) in pc.chunks_exact_mut(cols).zip(w.chunks_exact(N)) {
        let wr: &[u64; N] = wr.try_into().unwrap();
        for (n, ac) in pcs.iter_mut().zip(a.chunks_exact(N)) {
            let ac: &[u64; N] = ac.try_into().unwrap();
            let mut s = 0;
            for k in 0..N {
                s += (wr[k] & ac[k]).count_ones();
            }
            *n = s;
        }
    }
}

impl PeArray {
    /// The array of engine `p`: pipeline of the DPU latency, accumulators and table at 0.
    pub(crate) fn new(p: &EngineParams) -> Self {
        let pe = (p.dm * p.dn) as usize;
        let lut = p.is_lut();
        PeArray {
            line: vec![
                Stage {
                    pc: vec![0; if lut { 0 } else { pe }],
                    ac: vec![0; if lut { 0 } else { p.dn as usize }],
                    sum: vec![0; if lut { pe } else { 0 }],
                };
                p.dpu_latency() as usize
            ],
            head: 0,
            acc: vec![0; pe],
            res: [vec![0; pe], vec![0; pe]],
            dn: p.dn as usize,
            table: if lut {
                vec![0; p.table_depth() as usize]
            } else {
                Vec::new()
            },
        }
    }

    /// The `dn` result registers of PE row `row` in bank `bank` (the row mux).
    #[inline]
    pub(crate) fn res_row(&self, bank: usize, row: usize) -> &[i64] {
        &self.res[bank][row * self.dn..(row + 1) * self.dn]
    }

    /// Clock edge of result bank `bank` with `snap`: it takes every accumulator.
    #[inline]
    pub(crate) fn snapshot(&mut self, bank: usize) {
        self.res[bank].copy_from_slice(&self.acc);
    }

    /// Write product table entry `index` (the controller's table load).
    #[inline]
    pub(crate) fn write_table(&mut self, index: usize, value: u64) {
        self.table[index] = value;
    }

    /// One LUT PE step: `Σ_l ±table[{mag_l, act_l}]` over the lanes of weight word `w` and
    /// activation word `a` (0 for a zero magnitude or activation).
    fn lut_sum(&self, p: &EngineParams, w: &[u64], a: &[u64]) -> i64 {
        let (wb, ab) = (p.w_bits, p.a_bits);
        let mut s = 0i64;
        for l in 0..p.dk {
            let (negative, mag) = hdl::params::sign_mag(field(w, l * wb, wb) as u32, wb);
            let ac = field(a, l * ab, ab) as u32;
            if mag == 0 || ac == 0 {
                continue;
            }
            let v = self.table[((mag << ab) | ac) as usize] as i64;
            s += if negative { -v } else { v };
        }
        s
    }

    /// Clock edge. `head` is the step leaving the pipeline (accumulated now), `read` the step
    /// at the memory read registers, whose operands are `w` (`dm` weight words of `ww` 64-bit
    /// words) and `a` (`dn` activation words of `aw` words); they enter the pipeline (only
    /// when the step is valid: invalid entries never reach an accumulator).
    pub(crate) fn step(
        &mut self,
        p: &EngineParams,
        head: Ctl,
        read: Ctl,
        (w, ww): (&[u64], usize),
        (a, aw): (&[u64], usize),
    ) {
        let dn = p.dn as usize;
        if p.is_lut() {
            let head_sum = &self.line[self.head].sum;
            if head.valid {
                for (a, &x) in self.acc.iter_mut().zip(head_sum) {
                    *a = if head.clear { x } else { *a + x };
                }
            }
        } else {
            let Stage {
                pc: head_pc,
                ac: head_ac,
                ..
            } = &self.line[self.head];
            if head.valid {
                let offset = p.w_enc == WeightEnc::Offset;
                let (shift, negate, clear) = (head.shift, head.negate, head.clear);
                for (accs, pcs) in self.acc.chunks_exact_mut(dn).zip(head_pc.chunks_exact(dn)) {
                    for ((a, &pc), &ac) in accs.iter_mut().zip(pcs).zip(head_ac.iter()) {
                        let pc = pc as i64;
                        let x = if offset { 2 * pc - ac as i64 } else { pc } << shift;
                        let term = if negate { -x } else { x };
                        *a = if clear { term } else { *a + term };
                    }
                }
            }
        }
        // The head's slot takes the newest entry; the stage before the head becomes the head.
        let newest = self.head;
        self.head = self.head.checked_sub(1).unwrap_or(self.line.len() - 1);
        if read.valid && p.is_lut() {
            let sums: Vec<i64> = w
                .chunks_exact(ww)
                .flat_map(|wr| a.chunks_exact(aw).map(move |ac| (wr, ac)))
                .map(|(wr, ac)| self.lut_sum(p, wr, ac))
                .collect();
            self.line[newest].sum.copy_from_slice(&sums);
        } else if read.valid {
            let nw = ww;
            let Stage { pc, ac, .. } = &mut self.line[newest];
            for (count, word) in ac.iter_mut().zip(a.chunks_exact(nw)) {
                *count = word.iter().map(|x| x.count_ones()).sum();
            }
            match nw {
                1 => and_popcounts::<1>(w, a, pc),
                2 => and_popcounts::<2>(w, a, pc),
                4 => and_popcounts::<4>(w, a, pc),
                8 => and_popcounts::<8>(w, a, pc),
                _ => {
                    for (pcs, wr) in pc.chunks_exact_mut(dn).zip(w.chunks_exact(nw)) {
                        for (n, ac) in pcs.iter_mut().zip(a.chunks_exact(nw)) {
                            *n = wr.iter().zip(ac).map(|(x, y)| (x & y).count_ones()).sum();
                        }
                    }
                }
            }
        }
    }
}
