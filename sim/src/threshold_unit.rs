//! The threshold unit (the RTL's `threshold_unit` block): the `out_bits`-stage binary search
//! that turns a row of `dn` accumulators into `dn` output codes in code mode.
//!
//! Stage `s` decides code bit `out_bits − 1 − s` of every column by comparing the
//! accumulator with one threshold of its channel's word ([`ThrWord`], read from the
//! threshold memory in [`crate::operand_mem`]). The pipeline advances as a whole only when
//! enabled (the output is not held); the last stage is the output register that
//! [`crate::out_port`] drives.

/// One channel's threshold word: the counting direction and the `2^out_bits − 1`
/// thresholds.
#[derive(Debug, Clone, Default)]
pub(crate) struct ThrWord {
    /// Codes count up as the accumulator falls (`acc ≤ t` passes).
    pub(crate) descending: bool,
    /// The thresholds, code 1 first.
    pub(crate) t: Vec<i64>,
}

/// One search stage's registers.
#[derive(Debug, Clone, Default)]
pub(crate) struct SearchStage {
    pub(crate) valid: bool,
    pub(crate) last: bool,
    accs: Vec<i64>,
    pub(crate) codes: Vec<u32>,
    /// The channel whose threshold word this stage holds (the memory does not change while
    /// rows are in flight, so the index stands for the word).
    thr: usize,
}

/// The search pipeline.
#[derive(Debug, Clone)]
pub(crate) struct ThresholdUnit {
    out_bits: u32,
    stages: Vec<SearchStage>,
}

/// Does accumulator `acc` pass threshold `t` of a channel counting in `descending` order?
#[inline]
fn passes(acc: i64, t: i64, descending: bool) -> bool {
    if descending {
        acc <= t
    } else {
        acc >= t
    }
}

/// Binary-search stage `stage`: decide one more code bit of every column in place.
#[inline]
fn search(out_bits: u32, stage: usize, accs: &[i64], codes: &mut [u32], thr: &ThrWord) {
    let bitv = 1u32 << (out_bits as usize - 1 - stage);
    for (a, c) in accs.iter().zip(codes.iter_mut()) {
        let cand = *c | bitv;
        if passes(*a, thr.t[cand as usize - 1], thr.descending) {
            *c = cand;
        }
    }
}

impl ThresholdUnit {
    /// An idle pipeline of `out_bits` stages, `dn` columns wide.
    pub(crate) fn new(out_bits: u32, dn: usize) -> Self {
        ThresholdUnit {
            out_bits,
            stages: vec![
                SearchStage {
                    valid: false,
                    last: false,
                    accs: vec![0; dn],
                    codes: vec![0; dn],
                    thr: 0
                };
                out_bits as usize
            ],
        }
    }

    /// The last stage: the output register of a code-mode row.
    #[inline]
    pub(crate) fn last(&self) -> &SearchStage {
        &self.stages[self.stages.len() - 1]
    }

    /// Clock edge of an enabled pipeline: every stage takes the previous one's row and
    /// decides its bit; the first takes row `accs` when `valid` (`last`: the job's last row)
    /// with the threshold word at the memory's read register, `thr`. `words` is the threshold
    /// memory (later stages re-read the word of the channel they hold).
    pub(crate) fn step(
        &mut self,
        valid: bool,
        last: bool,
        accs: &[i64],
        thr: usize,
        words: &[ThrWord],
    ) {
        for st in (1..self.stages.len()).rev() {
            let (lo, hi) = self.stages.split_at_mut(st);
            let (prev, cur) = (&lo[st - 1], &mut hi[0]);
            cur.valid = prev.valid;
            // An invalid stage's data never reaches the output: skip it.
            if prev.valid {
                cur.last = prev.last;
                cur.thr = prev.thr;
                cur.accs.copy_from_slice(&prev.accs);
                cur.codes.copy_from_slice(&prev.codes);
                search(
                    self.out_bits,
                    st,
                    &cur.accs,
                    &mut cur.codes,
                    &words[cur.thr],
                );
            }
        }
        let s0 = &mut self.stages[0];
        s0.valid = valid;
        if s0.valid {
            s0.last = last;
            s0.thr = thr;
            s0.accs.copy_from_slice(accs);
            s0.codes.iter_mut().for_each(|c| *c = 0);
            search(self.out_bits, 0, &s0.accs, &mut s0.codes, &words[thr]);
        }
    }

    /// Synchronous reset: every stage invalid.
    pub(crate) fn reset(&mut self) {
        for s in &mut self.stages {
            s.valid = false;
        }
    }
}
