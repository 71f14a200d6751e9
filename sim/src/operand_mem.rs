//! The operand memories (the RTL's `operand_mem` block): `dm` weight banks, `dn` activation
//! banks and the threshold memory, with their read registers.
//!
//! The controller writes them while it loads a job (write requests,
//! [`crate::engine_ctrl::MemWrite`]); the banks are read by the PE array at a registered
//! address (one address of every bank per compute step) and the threshold memory by the
//! threshold unit at its registered channel index.

use hdl::params::EngineParams;

use crate::engine_ctrl::MemWrite;
use crate::threshold_unit::ThrWord;

/// The memories and their read registers.
#[derive(Debug, Clone)]
pub(crate) struct OperandMem {
    /// 64-bit words per weight / activation memory word.
    w_words: usize,
    a_words: usize,
    /// Used bits of a weight / activation memory word (the rest of a beat is dropped).
    w_bits: u32,
    a_bits: u32,
    dm: usize,
    dn: usize,
    w_depth: u32,
    a_depth: u32,
    /// Weight banks, address-major: word `addr·dm·nw + row·nw` (one address of every bank
    /// contiguous, as a compute step reads them together).
    w_mem: Vec<u64>,
    /// Activation banks, address-major: `addr·dn·nw + col·nw`.
    a_mem: Vec<u64>,
    /// One threshold word per output channel.
    t_mem: Vec<ThrWord>,
    /// Read address registers of the weight and activation banks.
    w_addr_q: u32,
    a_addr_q: u32,
    /// Read register of the threshold memory: the channel of the row entering the search.
    thr_q: usize,
}

/// Copy the low `bits` of beat `data` into `dst` (missing words read as 0).
fn put_word(dst: &mut [u64], data: &[u64], bits: u32) {
    for (i, d) in dst.iter_mut().enumerate() {
        *d = data.get(i).copied().unwrap_or(0);
    }
    let rem = bits % 64;
    if rem != 0 {
        dst[dst.len() - 1] &= (1u64 << rem) - 1;
    }
}

impl OperandMem {
    /// The memories of engine `p`, all zero.
    pub(crate) fn new(p: &EngineParams) -> Self {
        let (w_words, a_words) = (
            p.w_word().div_ceil(64) as usize,
            p.a_word().div_ceil(64) as usize,
        );
        OperandMem {
            w_words,
            a_words,
            w_bits: p.w_word(),
            a_bits: p.a_word(),
            dm: p.dm as usize,
            dn: p.dn as usize,
            w_depth: p.w_depth(),
            a_depth: p.a_depth(),
            w_mem: vec![0; p.w_depth() as usize * p.dm as usize * w_words],
            a_mem: vec![0; p.a_depth() as usize * p.dn as usize * a_words],
            t_mem: vec![
                ThrWord {
                    descending: false,
                    t: vec![0; p.thresholds() as usize]
                };
                p.max_m as usize
            ],
            w_addr_q: 0,
            a_addr_q: 0,
            thr_q: 0,
        }
    }

    /// The weight banks' output: `dm` words of `w_words` 64-bit words, and `w_words`.
    #[inline]
    pub(crate) fn w_read(&self) -> (&[u64], usize) {
        let n = self.dm * self.w_words;
        (&self.w_mem[self.w_addr_q as usize * n..][..n], self.w_words)
    }

    /// The activation banks' output: `dn` words of `a_words` 64-bit words, and `a_words`.
    #[inline]
    pub(crate) fn a_read(&self) -> (&[u64], usize) {
        let n = self.dn * self.a_words;
        (&self.a_mem[self.a_addr_q as usize * n..][..n], self.a_words)
    }

    /// The threshold memory's read register (a channel index).
    #[inline]
    pub(crate) fn thr_q(&self) -> usize {
        self.thr_q
    }

    /// The threshold memory (the search's later stages re-read the word of their channel).
    #[inline]
    pub(crate) fn thresholds(&self) -> &[ThrWord] {
        &self.t_mem
    }

    /// Clock edge of the banks' read address registers. Out-of-range addresses only occur on
    /// invalid steps; they wrap to stay in bounds.
    #[inline]
    pub(crate) fn set_read_addr(&mut self, w_addr: u32, a_addr: u32) {
        self.w_addr_q = w_addr % self.w_depth;
        self.a_addr_q = a_addr % self.a_depth;
    }

    /// Clock edge of the threshold read register (taken only while the search is enabled).
    #[inline]
    pub(crate) fn set_thr_addr(&mut self, channel: usize) {
        self.thr_q = channel;
    }

    /// Apply one of the controller's write requests (the table write belongs to the PE array
    /// and is ignored here).
    pub(crate) fn write(&mut self, w: &MemWrite) {
        match *w {
            MemWrite::Weight { addr, row, data } => {
                let nw = self.w_words;
                let at = (addr as usize * self.dm + row as usize) * nw;
                put_word(&mut self.w_mem[at..at + nw], data, self.w_bits);
            }
            MemWrite::Act { addr, col, data } => {
                let nw = self.a_words;
                let at = (addr as usize * self.dn + col as usize) * nw;
                put_word(&mut self.a_mem[at..at + nw], data, self.a_bits);
            }
            MemWrite::Thr {
                channel,
                descending,
                t,
            } => {
                let word = &mut self.t_mem[channel];
                word.descending = descending;
                word.t.copy_from_slice(t);
            }
            MemWrite::Table { .. } => {}
        }
    }
}
