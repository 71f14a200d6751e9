//! The output port (the RTL's `out_port` block): the raw-mode output register, the
//! assembly of the `m_axis_out` beat, and the skid register in front of `m_axis_out`.
//!
//! The skid register takes the pipeline's beat while it is empty and keeps it when the beat
//! is not accepted; the pipeline advances while it is empty (`en`), so `m_axis_out_tready`
//! reaches only the skid register.
//!
//! A raw-mode row bypasses the threshold search through a single register here, so it leaves
//! `out_bits − 1` cycles sooner than a code-mode row, which is driven from the threshold
//! unit's last stage. The beat carries `nv` fields (the n-tile's valid columns); columns past
//! N and unused upper bits are 0, and while not valid the RTL drives all zeros.

use hdl::params::EngineParams;

use crate::threshold_unit::SearchStage;

/// The raw-mode output register: a row's accumulators, bypassing the search.
#[derive(Debug, Clone, Default)]
struct RawStage {
    valid: bool,
    last: bool,
    accs: Vec<i64>,
}

/// The skid register: a beat held by back-pressure.
#[derive(Debug, Clone, Default)]
struct Skid {
    valid: bool,
    last: bool,
    data: Vec<u64>,
}

/// The output port's registers.
#[derive(Debug, Clone)]
pub(crate) struct OutPort {
    raw: RawStage,
    skid: Skid,
}

/// `m_axis_out` of one cycle: `tvalid`, `tdata` (empty while not valid), `tlast`.
pub(crate) type OutBeat = (bool, Vec<u64>, bool);

impl OutPort {
    /// An idle port for rows of `dn` columns.
    pub(crate) fn new(dn: usize) -> Self {
        OutPort {
            raw: RawStage {
                valid: false,
                last: false,
                accs: vec![0; dn],
            },
            skid: Skid::default(),
        }
    }

    /// Whether the output pipeline advances this cycle (the RTL's `en`): the skid register
    /// is empty.
    #[inline]
    pub(crate) fn en(&self) -> bool {
        !self.skid.valid
    }

    /// The beat on `m_axis_out` this cycle: the held one, else the pipeline's (`pipe`).
    #[inline]
    pub(crate) fn port_beat(&self, pipe: impl FnOnce() -> OutBeat) -> OutBeat {
        if self.skid.valid {
            (true, self.skid.data.clone(), self.skid.last)
        } else {
            pipe()
        }
    }

    /// Clock edge of the skid register, with this cycle's `m_axis_out` beat
    /// (`tvalid`, `tdata`, `tlast`) and `tready`. While empty, the port shows the pipeline's
    /// beat, which the register takes when it is not accepted.
    #[inline]
    pub(crate) fn step_skid(&mut self, (valid, data, last): (bool, &[u64], bool), ready: bool) {
        let sk = &mut self.skid;
        if sk.valid {
            sk.valid = !ready;
        } else if valid && !ready {
            sk.valid = true;
            sk.last = last;
            sk.data.clear();
            sk.data.extend_from_slice(data);
        }
    }

    /// The pipeline's beat this cycle, from the raw register or the search's last stage `coded`,
    /// with the n-tile's `nv` valid columns.
    pub(crate) fn beat(&self, p: &EngineParams, coded: &SearchStage, nv: usize) -> OutBeat {
        let raw = &self.raw;
        let valid = coded.valid || raw.valid;
        // Columns past N read as 0; while not valid the RTL drives 0 and this is empty
        // (no allocation on idle cycles).
        let data = if raw.valid {
            p.out_words(&raw.accs[..nv.min(raw.accs.len())], true)
        } else if coded.valid {
            let codes: Vec<i64> = coded.codes[..nv.min(coded.codes.len())]
                .iter()
                .map(|&c| c as i64)
                .collect();
            p.out_words(&codes, false)
        } else {
            Vec::new()
        };
        let last = (coded.valid && coded.last) || (raw.valid && raw.last);
        (valid, data, last)
    }

    /// Clock edge of an enabled port: the raw register takes row `accs` when `valid` (`last`:
    /// the job's last row).
    #[inline]
    pub(crate) fn step(&mut self, valid: bool, last: bool, accs: &[i64]) {
        let rs = &mut self.raw;
        rs.valid = valid;
        if rs.valid {
            rs.last = last;
            rs.accs.copy_from_slice(accs);
        }
    }

    /// Synchronous reset: the raw register empty.
    pub(crate) fn reset(&mut self) {
        self.raw.valid = false;
        self.skid.valid = false;
    }
}
