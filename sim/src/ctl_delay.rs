//! Step control delay (`hdl::engine`'s `ctl_delay`): the control of each compute step,
//! registered together with the operand memories' read address, then delayed through one
//! stage per DPU pipeline stage so that it reaches the accumulators with the step's
//! popcounts.
//!
//! Each cycle the line shifts by one: the head (the oldest step) is what the PE array
//! accumulates this cycle, the read register's control enters the line, and the controller's
//! issue of this cycle becomes the new read register.

/// The control of one compute step.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Ctl {
    /// The step is a real one (invalid steps never reach an accumulator).
    pub(crate) valid: bool,
    /// The first step of a tile: the accumulator takes the term instead of adding it.
    pub(crate) clear: bool,
    /// The term is subtracted (sign planes).
    pub(crate) negate: bool,
    /// The term's weight: `i + j` for activation plane `i` and weight plane `j`.
    pub(crate) shift: u32,
}

/// The control registers: the memory read stage and the delay line behind it.
#[derive(Debug, Clone)]
pub(crate) struct CtlDelay {
    /// Registered with the memory read address: the step whose operands the memories
    /// present this cycle.
    ctl_q: Ctl,
    /// One entry per DPU pipeline stage, a ring (no data moves on a shift): the head,
    /// the oldest entry, is at `head`, the next oldest at `head − 1` (mod the length), the
    /// newest at `head + 1`.
    line: Vec<Ctl>,
    head: usize,
}

impl CtlDelay {
    /// An idle line of `latency` stages (the DPU latency, at least 1).
    pub(crate) fn new(latency: usize) -> Self {
        CtlDelay {
            ctl_q: Ctl::default(),
            line: vec![Ctl::default(); latency],
            head: 0,
        }
    }

    /// The step at the memories' read registers (its operands are read this cycle).
    #[inline]
    pub(crate) fn read(&self) -> Ctl {
        self.ctl_q
    }

    /// The step leaving the line this cycle (accumulated this cycle).
    #[inline]
    pub(crate) fn head(&self) -> Ctl {
        self.line[self.head]
    }

    /// Clock edge: the line shifts, the read register enters it, and `issue` (the
    /// controller's step of this cycle) becomes the read register.
    #[inline]
    pub(crate) fn step(&mut self, issue: Ctl) {
        // The head's slot takes the newest entry; the stage before the head becomes the head.
        self.line[self.head] = self.ctl_q;
        self.head = self.head.checked_sub(1).unwrap_or(self.line.len() - 1);
        self.ctl_q = issue;
    }

    /// Synchronous reset: every stage invalid.
    pub(crate) fn reset(&mut self) {
        self.ctl_q = Ctl::default();
        self.line.fill(Ctl::default());
    }
}
