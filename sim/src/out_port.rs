//! The output port (the RTL's `out_port` block): the raw-mode output register and the
//! assembly of the `m_axis_out` beat.
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

/// The output port's registers.
#[derive(Debug, Clone)]
pub(crate) struct OutPort {
    raw: RawStage,
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
        }
    }

    /// The beat driven this cycle, from the raw register or the search's last stage `coded`,
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
    }
}
