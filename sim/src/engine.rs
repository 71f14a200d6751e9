//! Cycle-accurate model of the bit-serial engine (`hdl::engine`): the same registers, the same
//! state machine, the same pipeline latencies, so every output beat leaves on the same cycle
//! as in the RTL under any pattern of valid/ready stalls.
//!
//! One call of [`Engine::step`] is one clock edge: outputs are computed from the registers
//! (Moore: `tready` and `tvalid` never depend on the other side in the same cycle), then the
//! registers take their next values from the current registers and inputs.
//!
//! Job protocol (all streams AXI4-Stream):
//! - `s_axis_wt`: header `{RAW, KC, N, M}` (M from bit 0 up, RAW the one bit above KC); the
//!   product table (LUT engines); then `M·KC·w_bits` weight plane words (row-major: for each
//!   m, each k-chunk, each plane j); then, in code mode (RAW = 0) only, per channel `1 + T`
//!   beats: direction bit, then `T = 2^out_bits − 1` thresholds. `tlast` on the final
//!   threshold beat (code mode) or the final weight word (raw mode).
//! - `s_axis_act`: per n-tile of `dn` columns, `nv·KC·a_bits` plane words (for each column,
//!   chunk, plane i), `tlast` on each tile's last beat.
//! - `m_axis_out`: per m-tile row, one beat of `dn` codes at `[c·out_bits +: out_bits]` (code
//!   mode) or `dn` two's-complement accumulators at `[c·acc_width +: acc_width]` (raw mode);
//!   columns past N and unused upper bits are 0; `tlast` on the job's last beat. Order:
//!   n-tiles outer, m-tiles, rows. Code mode sends each row through the `out_bits`-stage
//!   threshold search; raw mode bypasses it through a single output register, so a raw row
//!   leaves `out_bits − 1` cycles sooner.

use hdl::params::EngineParams;

/// Controller states: the one definition the RTL's `state_q` encoding also reads.
pub use hdl::ctrl_state::State;

/// A stream beat offered to the engine.
#[derive(Debug, Clone, Copy, Default)]
pub struct Beat<'a> {
    /// `tvalid`.
    pub valid: bool,
    /// `tdata`, little-endian 64-bit words (missing words read as 0).
    pub data: &'a [u64],
    /// `tlast`.
    pub last: bool,
}

/// Inputs of one cycle.
#[derive(Debug, Clone, Copy, Default)]
pub struct Inputs<'a> {
    /// Synchronous reset.
    pub rst: bool,
    /// Weight/threshold stream.
    pub wt: Beat<'a>,
    /// Activation stream.
    pub act: Beat<'a>,
    /// `m_axis_out_tready`.
    pub out_ready: bool,
}

/// Outputs of one cycle (functions of the registers only).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Outputs {
    /// `s_axis_wt_tready`.
    pub wt_ready: bool,
    /// `s_axis_act_tready`.
    pub act_ready: bool,
    /// `m_axis_out_tvalid`.
    pub out_valid: bool,
    /// `m_axis_out_tdata` while valid, as the RTL drives it
    /// ([`EngineParams::out_stream_width`] bits in 64-bit words; decode with
    /// [`EngineParams::out_fields`]); empty while not valid, when the RTL drives all zeros.
    pub out_data: Vec<u64>,
    /// `m_axis_out_tlast`.
    pub out_last: bool,
}

#[derive(Debug, Clone, Copy, Default)]
struct Ctl {
    valid: bool,
    clear: bool,
    negate: bool,
    shift: u32,
}

#[derive(Debug, Clone, Default)]
struct SearchStage {
    valid: bool,
    last: bool,
    accs: Vec<i64>,
    codes: Vec<u32>,
    /// The channel whose threshold word this stage holds (the memory does not change while
    /// rows are in flight, so the index stands for the word).
    thr: usize,
}

/// The raw-mode output register: a row's accumulators, bypassing the search.
#[derive(Debug, Clone, Default)]
struct RawStage {
    valid: bool,
    last: bool,
    accs: Vec<i64>,
}

#[derive(Debug, Clone, Default)]
struct ThrWord {
    descending: bool,
    t: Vec<i64>,
}

/// One stage of the PE delay line: control, popcounts per DPU, activation popcounts per
/// column (offset weights), and LUT PE sums per PE.
type LineEntry = (Ctl, Vec<u32>, Vec<u32>, Vec<i64>);

/// The engine model.
pub struct Engine {
    p: EngineParams,
    /// 64-bit words per weight / activation memory word.
    w_words: usize,
    a_words: usize,
    /// (used bits, stream width) of the weight and activation streams, for the padding check.
    padding: [(u32, u32); 2],
    thr_width: u32,
    w_depth: u32,
    a_depth: u32,
    // Job registers.
    state: State,
    m: u32,
    n: u32,
    kc: u32,
    kcw: u32,
    kca: u32,
    /// The job's RAW header bit.
    raw: bool,
    // Product table (LUT engines): load counters and contents, `{mag, act}`-addressed.
    tmag: u32,
    tact: u32,
    table: Vec<u64>,
    // Load counters.
    row: u32,
    row_base: u32,
    off: u32,
    m_cnt: u32,
    beat: u32,
    thr_dir: bool,
    thr_shift: Vec<i64>,
    col: u32,
    // Tiles.
    n0: u32,
    nv: u32,
    m0: u32,
    mt_base: u32,
    // Compute issue.
    kc_idx: u32,
    kc_w: u32,
    kc_a: u32,
    i: u32,
    j: u32,
    issue_done: bool,
    drain: u32,
    // Datapath pipeline: BRAM outputs with their control, then the popcount delay line.
    ctl_q: Ctl,
    w_addr_q: u32,
    a_addr_q: u32,
    pc_line: Vec<LineEntry>,
    acc: Vec<i64>,
    // Emission.
    r_issue: u32,
    accepted: u32,
    e1_valid: bool,
    e1_row: u32,
    e1_last: bool,
    thr_q: usize,
    stages: Vec<SearchStage>,
    raw_stage: RawStage,
    // Memories.
    /// Weight banks, address-major: word `addr·dm·nw + row·nw` (one address of every bank
    /// contiguous, as a compute step reads them together).
    w_mem: Vec<u64>,
    /// Activation banks, address-major: `addr·dn·nw + col·nw`.
    a_mem: Vec<u64>,
    t_mem: Vec<ThrWord>,
    /// Protocol violations seen (the RTL's simulation-only checks).
    pub protocol_errors: Vec<String>,
}

fn bit(words: &[u64], i: u32) -> u32 {
    words
        .get((i / 64) as usize)
        .map_or(0, |w| ((w >> (i % 64)) & 1) as u32)
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

/// Field `[lo, lo + width)` of `words` as an unsigned integer (width ≤ 64).
pub fn field(words: &[u64], lo: u32, width: u32) -> u64 {
    (0..width).map(|b| (bit(words, lo + b) as u64) << b).sum()
}

impl Engine {
    /// An engine in reset state.
    pub fn new(p: EngineParams) -> Self {
        p.validate().expect("valid engine parameters");
        let (w_words, a_words) = (
            p.w_word().div_ceil(64) as usize,
            p.a_word().div_ceil(64) as usize,
        );
        let pe = (p.dm * p.dn) as usize;
        let t = p.thresholds() as usize;
        Engine {
            p,
            w_words,
            a_words,
            padding: [
                (p.wt_used_width(), p.wt_stream_width()),
                (p.a_word(), p.act_stream_width()),
            ],
            tmag: 0,
            tact: 0,
            table: if p.is_lut() {
                vec![0; p.table_depth() as usize]
            } else {
                Vec::new()
            },
            thr_width: p.thr_width(),
            w_depth: p.w_depth(),
            a_depth: p.a_depth(),
            state: State::Idle,
            m: 0,
            n: 0,
            kc: 0,
            kcw: 0,
            kca: 0,
            raw: false,
            row: 0,
            row_base: 0,
            off: 0,
            m_cnt: 0,
            beat: 0,
            thr_dir: false,
            thr_shift: vec![0; t],
            col: 0,
            n0: 0,
            nv: 0,
            m0: 0,
            mt_base: 0,
            kc_idx: 0,
            kc_w: 0,
            kc_a: 0,
            i: 0,
            j: 0,
            issue_done: false,
            drain: 0,
            ctl_q: Ctl::default(),
            w_addr_q: 0,
            a_addr_q: 0,
            pc_line: vec![
                (
                    Ctl::default(),
                    vec![0; if p.is_lut() { 0 } else { pe }],
                    vec![0; if p.is_lut() { 0 } else { p.dn as usize }],
                    vec![0; if p.is_lut() { pe } else { 0 }],
                );
                p.dpu_latency() as usize
            ],
            acc: vec![0; (p.dm * p.dn) as usize],
            r_issue: 0,
            accepted: 0,
            e1_valid: false,
            e1_row: 0,
            e1_last: false,
            thr_q: 0,
            stages: vec![
                SearchStage {
                    valid: false,
                    last: false,
                    accs: vec![0; p.dn as usize],
                    codes: vec![0; p.dn as usize],
                    thr: 0
                };
                p.out_bits as usize
            ],
            raw_stage: RawStage {
                valid: false,
                last: false,
                accs: vec![0; p.dn as usize],
            },
            w_mem: vec![0; p.w_depth() as usize * p.dm as usize * w_words],
            a_mem: vec![0; p.a_depth() as usize * p.dn as usize * a_words],
            t_mem: vec![
                ThrWord {
                    descending: false,
                    t: vec![0; t]
                };
                p.max_m as usize
            ],
            protocol_errors: Vec::new(),
        }
    }

    /// The parameters.
    pub fn params(&self) -> &EngineParams {
        &self.p
    }

    /// The controller state.
    pub fn state(&self) -> State {
        self.state
    }

    /// The outputs of the current cycle.
    pub fn outputs(&self) -> Outputs {
        let last = &self.stages[self.stages.len() - 1];
        let raw = &self.raw_stage;
        let valid = last.valid || raw.valid;
        // Columns past N read as 0; while not valid the RTL drives 0 and this is empty
        // (no allocation on idle cycles).
        let nv = self.nv as usize;
        let out_data = if raw.valid {
            self.p.out_words(&raw.accs[..nv.min(raw.accs.len())], true)
        } else if last.valid {
            let codes: Vec<i64> = last.codes[..nv.min(last.codes.len())]
                .iter()
                .map(|&c| c as i64)
                .collect();
            self.p.out_words(&codes, false)
        } else {
            Vec::new()
        };
        Outputs {
            wt_ready: matches!(self.state, State::Idle | State::LoadW | State::LoadT)
                || (self.state == State::LoadP && !self.table_zero()),
            act_ready: self.state == State::LoadA,
            out_valid: valid,
            out_data,
            out_last: (last.valid && last.last) || (raw.valid && raw.last),
        }
    }

    /// The low `bits` of a beat, in `words` 64-bit words.
    fn word(data: &[u64], bits: u32, words: usize) -> Vec<u64> {
        let mut w: Vec<u64> = (0..words)
            .map(|i| data.get(i).copied().unwrap_or(0))
            .collect();
        let rem = bits % 64;
        if rem != 0 {
            w[words - 1] &= (1u64 << rem) - 1;
        }
        w
    }

    /// Whether the table loader is at a zero-level word (written with 0, no stream beat).
    fn table_zero(&self) -> bool {
        self.tmag == 0 || self.tact == 0
    }

    /// One LUT PE step: `Σ_l ±table[{mag_l, act_l}]` over the lanes of weight word `w` and
    /// activation word `a` (0 for a zero magnitude or activation).
    fn lut_sum(&self, w: &[u64], a: &[u64]) -> i64 {
        let p = &self.p;
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

    /// Does accumulator `acc` pass threshold `t` of a channel counting in `descending` order?
    fn passes(acc: i64, t: i64, descending: bool) -> bool {
        if descending {
            acc <= t
        } else {
            acc >= t
        }
    }

    /// Binary-search stage `stage`: decide one more code bit of every column in place.
    fn search(out_bits: u32, stage: usize, accs: &[i64], codes: &mut [u32], thr: &ThrWord) {
        let bitv = 1u32 << (out_bits as usize - 1 - stage);
        for (a, c) in accs.iter().zip(codes.iter_mut()) {
            let cand = *c | bitv;
            if Self::passes(*a, thr.t[cand as usize - 1], thr.descending) {
                *c = cand;
            }
        }
    }

    /// Advance one clock edge with `inp`; returns the outputs that were presented during the
    /// cycle (before the edge).
    pub fn step(&mut self, inp: &Inputs) -> Outputs {
        let out = self.outputs();
        if inp.rst {
            self.reset();
            return out;
        }
        let p = self.p;
        let wt_fire = inp.wt.valid && out.wt_ready;
        let act_fire = inp.act.valid && out.act_ready;
        let out_fire = out.out_valid && inp.out_ready;
        self.check_padding(inp);

        // Every block below reads only current (pre-edge) registers: emission first (it reads
        // the accumulators), then the datapath, the issue registers, and the controller,
        // which alone writes the memories and the state.

        // Emission pipeline (stalls as a whole when the output is held).
        let en = !out.out_valid || inp.out_ready;
        if en {
            let dn = p.dn as usize;
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
                    Self::search(
                        p.out_bits,
                        st,
                        &cur.accs,
                        &mut cur.codes,
                        &self.t_mem[cur.thr],
                    );
                }
            }
            let row = self.e1_row as usize;
            let rs = &mut self.raw_stage;
            rs.valid = self.e1_valid && self.raw;
            if rs.valid {
                rs.last = self.e1_last;
                rs.accs.copy_from_slice(&self.acc[row * dn..(row + 1) * dn]);
            }
            let s0 = &mut self.stages[0];
            s0.valid = self.e1_valid && !self.raw;
            if s0.valid {
                s0.last = self.e1_last;
                s0.thr = self.thr_q;
                s0.accs.copy_from_slice(&self.acc[row * dn..(row + 1) * dn]);
                s0.codes.iter_mut().for_each(|c| *c = 0);
                Self::search(
                    p.out_bits,
                    0,
                    &s0.accs,
                    &mut s0.codes,
                    &self.t_mem[self.thr_q],
                );
            }
            let emitting = self.state == State::Emit;
            let rv = p.dm.min(self.m.saturating_sub(self.m0));
            let issue = emitting && self.r_issue < rv;
            self.thr_q = ((self.m0 + self.r_issue) % p.max_m) as usize;
            self.e1_valid = issue;
            self.e1_row = self.r_issue % p.dm;
            self.e1_last = issue
                && self.r_issue + 1 == rv
                && self.m0 + p.dm >= self.m
                && self.n0 + p.dn >= self.n;
            if issue {
                self.r_issue += 1;
            }
        }

        // Datapath: accumulate from the popcount delay line's head, shift the line, and
        // capture the popcounts of the memory read registers (only when the step is valid:
        // invalid entries never reach an accumulator).
        let lat = self.pc_line.len();
        let dn = p.dn as usize;
        if p.is_lut() {
            let (head_ctl, _, _, head_sum) = &self.pc_line[lat - 1];
            if head_ctl.valid {
                for (a, &x) in self.acc.iter_mut().zip(head_sum) {
                    *a = if head_ctl.clear { x } else { *a + x };
                }
            }
        } else {
            let (head_ctl, head_pc, head_ac, _) = &self.pc_line[lat - 1];
            if head_ctl.valid {
                let offset = p.w_enc == hdl::params::WeightEnc::Offset;
                let (shift, negate, clear) = (head_ctl.shift, head_ctl.negate, head_ctl.clear);
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
        self.pc_line.rotate_right(1);
        let ctl = self.ctl_q;
        self.pc_line[0].0 = ctl;
        if ctl.valid && p.is_lut() {
            let (dm, dn, ww, aw) = (p.dm as usize, p.dn as usize, self.w_words, self.a_words);
            let w = &self.w_mem[self.w_addr_q as usize * dm * ww..][..dm * ww];
            let a = &self.a_mem[self.a_addr_q as usize * dn * aw..][..dn * aw];
            let sums: Vec<i64> = w
                .chunks_exact(ww)
                .flat_map(|wr| a.chunks_exact(aw).map(move |ac| (wr, ac)))
                .map(|(wr, ac)| self.lut_sum(wr, ac))
                .collect();
            self.pc_line[0].3.copy_from_slice(&sums);
        } else if ctl.valid {
            let nw = self.w_words;
            let (dm, dn) = (p.dm as usize, p.dn as usize);
            let w = &self.w_mem[self.w_addr_q as usize * dm * nw..][..dm * nw];
            let a = &self.a_mem[self.a_addr_q as usize * dn * nw..][..dn * nw];
            let (_, pc, ac, _) = &mut self.pc_line[0];
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

        // Compute issue: address and control registers.
        let issuing = self.state == State::Compute && !self.issue_done;
        self.ctl_q = if issuing {
            Ctl {
                valid: true,
                clear: self.kc_idx == 0 && self.i == 0 && self.j == 0,
                negate: p.negate(self.i, self.j),
                shift: self.i + self.j,
            }
        } else {
            Ctl::default()
        };
        // Out-of-range addresses only occur on invalid steps; wrap them to stay in bounds.
        self.w_addr_q = (self.mt_base + self.kc_w + self.j) % self.w_depth;
        self.a_addr_q = (self.kc_a + self.i) % self.a_depth;

        // Controller.
        match self.state {
            State::Idle => {
                if wt_fire {
                    let d = inp.wt.data;
                    let m = field(d, 0, p.m_field()) as u32;
                    let n = field(d, p.m_field(), p.n_field()) as u32;
                    let kc = field(d, p.m_field() + p.n_field(), p.kc_field()) as u32;
                    let raw = field(d, p.raw_bit(), 1) == 1;
                    if m == 0 || n == 0 || kc == 0 || m > p.max_m || n > p.max_n || kc > p.max_kc()
                    {
                        self.protocol_errors
                            .push(format!("invalid header M={m} N={n} KC={kc}"));
                    } else {
                        (self.m, self.n, self.kc, self.raw) = (m, n, kc, raw);
                        self.kcw = kc * p.w_planes();
                        self.kca = kc * p.a_planes();
                        (self.row, self.row_base, self.off, self.m_cnt) = (0, 0, 0, 0);
                        if p.is_lut() {
                            (self.tmag, self.tact) = (0, 0);
                            self.state = State::LoadP;
                        } else {
                            self.state = State::LoadW;
                        }
                    }
                    if inp.wt.last {
                        self.protocol_errors.push("tlast on a header beat".into());
                    }
                }
            }
            State::LoadP => {
                let zero = self.table_zero();
                if zero || wt_fire {
                    let v = if zero {
                        0
                    } else {
                        field(inp.wt.data, 0, p.prod_bits())
                    };
                    self.table[((self.tmag << p.a_bits) | self.tact) as usize] = v;
                    if wt_fire && inp.wt.last {
                        self.protocol_errors.push("tlast on a table beat".into());
                    }
                    if self.tact == p.a_nonzero() {
                        self.tact = 0;
                        if self.tmag == p.w_mags() {
                            self.state = State::LoadW;
                        } else {
                            self.tmag += 1;
                        }
                    } else {
                        self.tact += 1;
                    }
                }
            }
            State::LoadW => {
                if wt_fire {
                    let nw = self.w_words;
                    let w = Self::word(inp.wt.data, p.w_word(), nw);
                    let addr = (self.row_base + self.off) as usize * nw;
                    let at = (addr * p.dm as usize) + self.row as usize * nw;
                    self.w_mem[at..at + nw].copy_from_slice(&w);
                    let final_beat =
                        self.raw && self.off + 1 == self.kcw && self.m_cnt + 1 == self.m;
                    if inp.wt.last != final_beat {
                        self.protocol_errors.push(format!(
                            "tlast {} on weight beat {} of channel {}",
                            inp.wt.last, self.off, self.m_cnt
                        ));
                    }
                    if self.off + 1 == self.kcw {
                        self.off = 0;
                        if self.row + 1 == p.dm {
                            self.row = 0;
                            self.row_base += self.kcw;
                        } else {
                            self.row += 1;
                        }
                        if self.m_cnt + 1 == self.m {
                            self.m_cnt = 0;
                            self.beat = 0;
                            if self.raw {
                                // No thresholds in raw mode.
                                self.start_n_tile(0);
                            } else {
                                self.state = State::LoadT;
                            }
                        } else {
                            self.m_cnt += 1;
                        }
                    } else {
                        self.off += 1;
                    }
                }
            }
            State::LoadT => {
                if wt_fire {
                    let d = inp.wt.data;
                    let tw = self.thr_width;
                    let t = p.thresholds();
                    let final_beat = self.beat == t && self.m_cnt + 1 == self.m;
                    if inp.wt.last != final_beat {
                        self.protocol_errors.push(format!(
                            "tlast {} on threshold beat {} of channel {}",
                            inp.wt.last, self.beat, self.m_cnt
                        ));
                    }
                    if self.beat == 0 {
                        self.thr_dir = field(d, 0, 1) == 1;
                        self.beat = 1;
                    } else {
                        let v = hdl::params::sign_extend(field(d, 0, tw) as i64, tw);
                        self.thr_shift.rotate_left(1);
                        let tl = self.thr_shift.len();
                        self.thr_shift[tl - 1] = v;
                        if self.beat == t {
                            self.t_mem[self.m_cnt as usize] = ThrWord {
                                descending: self.thr_dir,
                                t: self.thr_shift.clone(),
                            };
                            self.beat = 0;
                            if self.m_cnt + 1 == self.m {
                                self.m_cnt = 0;
                                self.start_n_tile(0);
                            } else {
                                self.m_cnt += 1;
                            }
                        } else {
                            self.beat += 1;
                        }
                    }
                }
            }
            State::LoadA => {
                if act_fire {
                    let nw = self.a_words;
                    let w = Self::word(inp.act.data, p.a_word(), nw);
                    let addr = self.off as usize * nw;
                    let at = (addr * p.dn as usize) + self.col as usize * nw;
                    self.a_mem[at..at + nw].copy_from_slice(&w);
                    let tile_last = self.off + 1 == self.kca && self.col + 1 == self.nv;
                    if inp.act.last != tile_last {
                        self.protocol_errors.push(format!(
                            "tlast {} on activation beat (column {}, word {})",
                            inp.act.last, self.col, self.off
                        ));
                    }
                    if self.off + 1 == self.kca {
                        self.off = 0;
                        if self.col + 1 == self.nv {
                            self.col = 0;
                            self.start_m_tile(0, 0);
                        } else {
                            self.col += 1;
                        }
                    } else {
                        self.off += 1;
                    }
                }
            }
            State::Compute => {
                if !self.issue_done {
                    if self.j + 1 == p.w_planes() {
                        self.j = 0;
                        if self.i + 1 == p.a_planes() {
                            self.i = 0;
                            if self.kc_idx + 1 == self.kc {
                                self.issue_done = true;
                                self.drain = p.dpu_latency() - 1;
                            } else {
                                self.kc_idx += 1;
                                self.kc_w += p.w_planes();
                                self.kc_a += p.a_planes();
                            }
                        } else {
                            self.i += 1;
                        }
                    } else {
                        self.j += 1;
                    }
                } else if self.drain == 0 {
                    self.state = State::Emit;
                    self.r_issue = 0;
                    self.accepted = 0;
                } else {
                    self.drain -= 1;
                }
            }
            State::Emit => {
                if out_fire {
                    let rv = p.dm.min(self.m - self.m0);
                    if self.accepted + 1 == rv {
                        if self.m0 + p.dm < self.m {
                            self.start_m_tile(self.m0 + p.dm, self.mt_base + self.kcw);
                        } else if self.n0 + p.dn < self.n {
                            self.start_n_tile(self.n0 + p.dn);
                        } else {
                            self.state = State::Idle;
                        }
                    } else {
                        self.accepted += 1;
                    }
                }
            }
        }
        out
    }

    fn start_n_tile(&mut self, n0: u32) {
        self.n0 = n0;
        self.nv = self.p.dn.min(self.n - n0);
        (self.col, self.off) = (0, 0);
        self.state = State::LoadA;
    }

    fn start_m_tile(&mut self, m0: u32, mt_base: u32) {
        self.m0 = m0;
        self.mt_base = mt_base;
        (self.kc_idx, self.kc_w, self.kc_a, self.i, self.j) = (0, 0, 0, 0, 0);
        self.issue_done = false;
        self.state = State::Compute;
    }

    fn reset(&mut self) {
        self.state = State::Idle;
        self.ctl_q = Ctl::default();
        for e in &mut self.pc_line {
            e.0 = Ctl::default();
        }
        self.e1_valid = false;
        for s in &mut self.stages {
            s.valid = false;
        }
        self.raw_stage.valid = false;
        self.raw = false;
        (self.m, self.n, self.kc, self.m0, self.n0, self.nv) = (0, 0, 0, 0, 0, 0);
        (
            self.row,
            self.row_base,
            self.off,
            self.m_cnt,
            self.beat,
            self.col,
        ) = (0, 0, 0, 0, 0, 0);
        (
            self.kc_idx,
            self.kc_w,
            self.kc_a,
            self.i,
            self.j,
            self.mt_base,
        ) = (0, 0, 0, 0, 0, 0);
        (self.issue_done, self.drain, self.r_issue, self.accepted) = (false, 0, 0, 0);
        (self.kcw, self.kca) = (0, 0);
    }

    fn check_padding(&mut self, inp: &Inputs) {
        let [(wt_used, wt_width), (act_used, act_width)] = self.padding;
        for (name, beat, used, width) in [
            ("s_axis_wt", &inp.wt, wt_used, wt_width),
            ("s_axis_act", &inp.act, act_used, act_width),
        ] {
            if used == width {
                continue;
            }
            if beat.valid && (used..width).any(|b| bit(beat.data, b) == 1) {
                self.protocol_errors
                    .push(format!("{name}: padding bits above {used} are not zero"));
            }
        }
    }
}
