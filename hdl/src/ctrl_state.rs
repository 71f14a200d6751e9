//! The engine controller's states and their encoding: one definition that the RTL controller
//! (`localparam`s and `state_q`), the cycle model (`sim`), the formal wrapper and the
//! waveforms all read, so the two models cannot disagree on a state's code.

/// Controller states, in encoding order (`state_q == s as u32`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum State {
    /// Waiting for a job header.
    Idle = 0,
    /// Loading weight plane words.
    LoadW = 1,
    /// Loading thresholds.
    LoadT = 2,
    /// Waiting for an n-tile's activations (the loader beside the states writes them into
    /// the bank's other buffer while the previous n-tile computes).
    WaitA = 3,
    /// Issuing the compute steps of one m-tile, back to back with the next tile's (a
    /// finished tile pends, then is emitted from a result bank beside the states).
    Compute = 4,
    /// Loading the product table (LUT engines only).
    LoadP = 5,
}

impl State {
    /// Every state, in encoding order.
    pub const ALL: [State; 6] = [
        State::Idle,
        State::LoadW,
        State::LoadT,
        State::WaitA,
        State::Compute,
        State::LoadP,
    ];

    /// Bits of `state_q`.
    pub const WIDTH: u32 = 3;

    /// The RTL `localparam` naming this state.
    pub const fn rtl_name(self) -> &'static str {
        match self {
            State::Idle => "ST_IDLE",
            State::LoadW => "ST_LOAD_W",
            State::LoadT => "ST_LOAD_T",
            State::WaitA => "ST_WAIT_A",
            State::Compute => "ST_COMPUTE",
            State::LoadP => "ST_LOAD_P",
        }
    }

    /// The encoding of `state_q`.
    pub fn code(self) -> u32 {
        self as u32
    }

    /// The state a `state_q` value encodes, if any.
    pub fn from_code(code: u32) -> Option<State> {
        State::ALL.get(code as usize).copied()
    }

    /// The states an engine has: `LoadP` only in LUT engines.
    pub fn of_engine(lut: bool) -> &'static [State] {
        if lut {
            &State::ALL
        } else {
            &State::ALL[..5]
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encodings_are_dense_and_fit_the_width() {
        for (i, s) in State::ALL.iter().enumerate() {
            assert_eq!(s.code(), i as u32);
            assert_eq!(State::from_code(i as u32), Some(*s));
            assert!(s.code() < 1 << State::WIDTH);
        }
        assert_eq!(State::from_code(6), None);
        assert!(!State::of_engine(false).contains(&State::LoadP));
    }
}
