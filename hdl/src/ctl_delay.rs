//! The control delay line (`ctl_delay`): a compute step's control (valid, clear and, in
//! bit-serial engines, negate and shift) is registered with the operand memories' read, then
//! delayed `LAT` more stages so it meets its operands' popcount (or the LUT PE's sum) at the
//! accumulator. One line is shared by the whole array: the PEs carry no control registers.

use crate::ast::{e, Decl, Item, Module, PortGroup, Stmt};
use crate::build::{clock_reset, input, output, set, when, B};
use crate::params::EngineParams;
use crate::typed::{kw, sig};

/// The delay line's shape.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CtlDelayParams {
    /// Stages after the read register (the PE's popcount / sum latency).
    pub stages: u32,
    /// Bits of the shift field; `None`: no negate/shift (LUT engines).
    pub shift_w: Option<u32>,
}

impl EngineParams {
    /// The control delay line's parameters.
    pub fn ctl_delay_line(&self) -> CtlDelayParams {
        CtlDelayParams {
            stages: self.ctl_delay(),
            shift_w: (!self.is_lut()).then(|| self.shift_width()),
        }
    }
}

impl CtlDelayParams {
    /// The module's name.
    pub fn name(&self) -> &'static str {
        "ctl_delay"
    }
    /// Cycles from a step's issue to its control at the PEs: the read register plus the
    /// stages.
    pub fn latency(&self) -> u32 {
        crate::params::BRAM_LATENCY + self.stages
    }
    /// The fields besides valid: (name, width).
    fn fields(&self) -> Vec<(&'static str, u32)> {
        let mut f = vec![("clear", 1)];
        if let Some(w) = self.shift_w {
            f.push(("negate", 1));
            f.push(("shift", w));
        }
        f
    }

    /// The module.
    pub fn module(&self) -> Module {
        let lat = self.stages;
        assert!(lat >= 1, "the control delay line needs at least one stage");
        let mut b = B::default();
        b.comment("Registered with the operand memories' read.");
        let valid_q = b.decl("ctl_valid_q", 1, "");
        let mut regs = vec![when(
            &sig("rst", 1),
            vec![set(&valid_q, kw(0, 1))],
            vec![set(&valid_q, sig("in_valid", 1))],
        )];
        for (f, w) in self.fields() {
            let q = b.decl(&format!("ctl_{f}_q"), w, "");
            regs.push(set(&q, sig(&format!("in_{f}"), w)));
        }
        b.items.push(Item::AlwaysFf("clk".into(), regs));
        let line: Vec<(String, u32)> = std::iter::once(("valid", 1))
            .chain(self.fields())
            .map(|(f, w)| (f.to_string(), w))
            .collect();
        for (i, (f, w)) in line.iter().enumerate() {
            b.items.push(Item::Decl(Decl {
                name: format!("d_{f}_q"),
                width: Some(e::int(*w as i64)),
                signed: false,
                depth: Some(e::int(lat as i64)),
                doc: if i == 0 {
                    format!("Delay line, {lat} stages.")
                } else {
                    String::new()
                },
            }));
        }
        let at = |f: &str, s: i64| e::index(e::id(format!("d_{f}_q")), e::int(s));
        let mut dl = Vec::new();
        for s in 0..lat as i64 {
            for (f, _) in &line {
                let src = if s == 0 {
                    e::id(format!("ctl_{f}_q"))
                } else {
                    at(f, s - 1)
                };
                let step = Stmt::Assign(at(f, s), src);
                if f == "valid" {
                    dl.push(Stmt::If(
                        e::id("rst"),
                        vec![Stmt::Assign(at(f, s), e::bit(false))],
                        vec![step],
                    ));
                } else {
                    dl.push(step);
                }
            }
        }
        b.items.push(Item::AlwaysFf("clk".into(), dl));
        for (f, _) in &line {
            b.items.push(Item::Assign(
                e::id(format!("out_{f}")),
                at(f, lat as i64 - 1),
            ));
        }
        let mut ins = vec![input("in_valid", None, "a step is issued")];
        let mut outs = vec![output("out_valid", None, "the step reaches the PEs")];
        for (f, w) in self.fields() {
            let w = (w > 1).then_some(w);
            ins.push(input(&format!("in_{f}"), w, ""));
            outs.push(output(&format!("out_{f}"), w, ""));
        }
        Module {
            name: self.name().into(),
            doc: vec![format!(
                "Control delay line: the read register and {lat} stages, shared by the whole array."
            )],
            params: vec![],
            ports: vec![
                clock_reset(""),
                PortGroup {
                    doc: "Issued step".into(),
                    ports: ins,
                },
                PortGroup {
                    doc: "The step at the PEs".into(),
                    ports: outs,
                },
            ],
            items: b.items,
        }
    }
}
