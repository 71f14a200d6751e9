//! The engine's top level (`bitserial_engine` / `lut_engine`): instances and wiring only.
//! Register for register the same micro-architecture as `sim::engine::Engine` (see there for
//! the job protocol).
//!
//! ```text
//!  s_axis_wt ──┬─► engine_ctrl ──(addresses, write enables)──► operand_mem ──┐ w/a words
//!  s_axis_act ─┼──────────────────────────────────────────────► operand_mem  │
//!              │   engine_ctrl ──(steps)──► ctl_delay ──► pe_array ◄─────────┘
//!              │                                            │ row_acc (row_sel)
//!              │               ┌─ threshold_unit ◄──────────┤ (code mode, t_rd_data)
//!              │               └─► out_port ◄───────────────┘ (raw mode) ──► m_axis_out
//!              └── en / row_fire from out_port back to engine_ctrl, operand_mem, threshold_unit
//! ```
//!
//! The blocks, one file and one Verilog module each: [`crate::engine_ctrl`] (controller),
//! [`crate::operand_mem`], [`crate::ctl_delay`], [`crate::pe_array`] (DPUs or LUT PEs),
//! [`crate::threshold_unit`], [`crate::out_port`].

use crate::ast::{e, Decl, Dir, Expr, Instance, Item, Module, Port, PortGroup, Stmt};
use crate::params::{ActEnc, EngineParams, WeightEnc};

/// The engine's block modules (the top's instances), in instance order, with their instance
/// names and the port bindings that differ from "the wire of the port's own name".
/// A block of the top: its module, its instance name, and the port bindings that differ
/// from "the wire of the port's own name".
type Block = (Module, &'static str, Vec<(&'static str, Expr)>);

fn blocks(p: &EngineParams) -> Vec<Block> {
    let id = e::id;
    let ww = p.w_word() as i64;
    let aw = p.a_word() as i64;
    vec![
        (
            crate::engine_ctrl::module(p),
            "u_ctrl",
            vec![(
                "wt_data",
                e::part(
                    id("s_axis_wt_tdata"),
                    e::int(0),
                    e::int(p.ctrl().wt_w() as i64),
                ),
            )],
        ),
        (
            p.operand_mem().module(),
            "u_mem",
            vec![
                (
                    "wt_data",
                    e::part(id("s_axis_wt_tdata"), e::int(0), e::int(ww)),
                ),
                (
                    "act_data",
                    e::part(id("s_axis_act_tdata"), e::int(0), e::int(aw)),
                ),
            ],
        ),
        (
            p.ctl_delay_line().module(),
            "u_ctl_delay",
            vec![
                ("in_valid", id("step_valid")),
                ("in_clear", id("step_clear")),
                ("in_negate", id("step_negate")),
                ("in_shift", id("step_shift")),
                ("out_valid", id("pe_valid")),
                ("out_clear", id("pe_clear")),
                ("out_negate", id("pe_negate")),
                ("out_shift", id("pe_shift")),
            ],
        ),
        (
            p.pe_array().module(),
            "u_array",
            vec![
                ("valid", id("pe_valid")),
                ("clear", id("pe_clear")),
                ("negate", id("pe_negate")),
                ("shift", id("pe_shift")),
            ],
        ),
        (
            crate::threshold_unit::module(p),
            "u_threshold",
            vec![
                ("in_valid", id("code_valid")),
                ("in_last", id("row_last")),
                ("in_acc", id("row_acc")),
                ("in_thr", id("t_rd_data")),
                ("out_valid", id("tu_valid")),
                ("out_last", id("tu_last")),
                ("out_code", id("tu_code")),
            ],
        ),
        (
            p.out_port().module(),
            "u_out",
            vec![
                ("raw_in_valid", id("raw_valid")),
                ("raw_in_last", id("row_last")),
                ("raw_in_acc", id("row_acc")),
            ],
        ),
    ]
}

/// The engine's top module: one instance per block and the wires between them.
pub fn module(p: &EngineParams) -> Module {
    top(p, &blocks(p))
}

fn top(p: &EngineParams, blocks: &[Block]) -> Module {
    let ports = top_ports(p);
    let is_top_port = |n: &str| ports.iter().flat_map(|g| &g.ports).any(|q| q.name == n);
    let mut items = Vec::new();
    // Wires: every block output that is not a top port, named by its binding, grouped by
    // the block that drives it.
    let mut declared: Vec<String> = Vec::new();
    for (m, _, binds) in blocks {
        let mut wires = Vec::new();
        for q in m.ports.iter().flat_map(|g| &g.ports) {
            if q.dir != Dir::Out {
                continue;
            }
            let name = match binds.iter().find(|(n, _)| *n == q.name) {
                Some((_, Expr::Id(w))) => w.clone(),
                Some(_) => continue,
                None => q.name.clone(),
            };
            if is_top_port(&name) || declared.contains(&name) {
                continue;
            }
            wires.push(Item::Decl(Decl {
                name: name.clone(),
                width: q.width.clone(),
                signed: false,
                depth: None,
                doc: q.doc.clone(),
            }));
            declared.push(name);
        }
        if !wires.is_empty() {
            items.push(Item::Comment(format!("Driven by {}.", m.name)));
            items.extend(wires);
        }
    }
    for (m, inst, binds) in blocks {
        items.push(Item::Comment(m.doc[0].clone()));
        let ports = m
            .ports
            .iter()
            .flat_map(|g| &g.ports)
            .map(|q| {
                let v = binds
                    .iter()
                    .find(|(n, _)| *n == q.name)
                    .map(|(_, v)| v.clone())
                    .unwrap_or_else(|| e::id(&q.name));
                (q.name.clone(), v)
            })
            .collect();
        items.push(Item::Instance(Instance {
            module: m.name.clone(),
            name: (*inst).into(),
            params: vec![],
            ports,
        }));
    }
    // Simulation-only stream checks on the top's own inputs: padding bits are zero.
    let mut checks = Vec::new();
    let (wtw, used_wt) = (p.wt_stream_width(), p.wt_used_width());
    if wtw > used_wt {
        checks.push(padding_check("s_axis_wt", wtw, used_wt));
    }
    if p.act_stream_width() > p.a_word() {
        checks.push(padding_check(
            "s_axis_act",
            p.act_stream_width(),
            p.a_word(),
        ));
    }
    if !checks.is_empty() {
        items.push(Item::Comment(
            "Stream checks (simulation only): unused tdata bits are zero.".into(),
        ));
        items.push(Item::SimCheck("clk".into(), checks));
    }
    let (dm, dn, dk, wb, ab, ob) = (p.dm, p.dn, p.dk, p.w_bits, p.a_bits, p.out_bits);
    let title = if p.is_lut() {
        format!(
            "qforge LUT-multiplier GEMM engine: {dm}x{dn} PEs of {dk} lanes, W{wb} (sign-magnitude) A{ab}, {}-bit products, {ob}-bit outputs.",
            p.prod_bits()
        )
    } else {
        format!(
            "qforge bit-serial GEMM engine: {dm}x{dn} DPUs of {dk} bits, W{wb}{} A{ab}{}, {ob}-bit outputs.",
            enc_w(p.w_enc),
            enc_a(p.a_enc)
        )
    };
    Module {
        name: p.top_name().into(),
        doc: vec![
            title,
            format!(
                "Limits M <= {}, K <= {}, N <= {}; accumulators {} bits, thresholds {} bits.",
                p.max_m,
                p.max_k,
                p.max_n,
                p.acc_width(),
                p.thr_width()
            ),
            "Generated by qforge from one EngineParams; job protocol in sim/src/engine.rs.".into(),
        ],
        params: vec![],
        ports,
        items,
    }
}

/// The engine's AXI4-Stream ports.
fn top_ports(p: &EngineParams) -> Vec<PortGroup> {
    let (wtw, acw, ow) = (
        p.wt_stream_width(),
        p.act_stream_width(),
        p.out_stream_width(),
    );
    vec![
        PortGroup {
            doc: "Clock and synchronous reset".into(),
            ports: vec![
                Port::new(Dir::In, "clk", None, ""),
                Port::new(Dir::In, "rst", None, "active high, synchronous"),
            ],
        },
        PortGroup {
            doc: "Weights and thresholds (AXI4-Stream): header, weight planes, thresholds".into(),
            ports: vec![
                Port::new(Dir::In, "s_axis_wt_tdata", Some(wtw), ""),
                Port::new(Dir::In, "s_axis_wt_tvalid", None, ""),
                Port::new(Dir::Out, "s_axis_wt_tready", None, ""),
                Port::new(
                    Dir::In,
                    "s_axis_wt_tlast",
                    None,
                    "last threshold beat of the job (raw mode: last weight word)",
                ),
            ],
        },
        PortGroup {
            doc: "Activations (AXI4-Stream): plane words per n-tile".into(),
            ports: vec![
                Port::new(Dir::In, "s_axis_act_tdata", Some(acw), ""),
                Port::new(Dir::In, "s_axis_act_tvalid", None, ""),
                Port::new(Dir::Out, "s_axis_act_tready", None, ""),
                Port::new(
                    Dir::In,
                    "s_axis_act_tlast",
                    None,
                    "last beat of each n-tile",
                ),
            ],
        },
        PortGroup {
            doc: "Output (AXI4-Stream): one row of DN codes (raw mode: DN accumulators) per beat"
                .into(),
            ports: vec![
                Port::new(
                    Dir::Out,
                    "m_axis_out_tdata",
                    Some(ow),
                    "column c at [c*OUT_BITS +: OUT_BITS], raw mode [c*ACC_WIDTH +: ACC_WIDTH]",
                ),
                Port::new(Dir::Out, "m_axis_out_tvalid", None, ""),
                Port::new(Dir::In, "m_axis_out_tready", None, ""),
                Port::new(Dir::Out, "m_axis_out_tlast", None, "last beat of the job"),
            ],
        },
    ]
}

fn enc_w(e: WeightEnc) -> &'static str {
    match e {
        WeightEnc::Unsigned => "u",
        WeightEnc::Signed => "s",
        WeightEnc::Offset => "o",
        WeightEnc::SignMag => "m",
    }
}

fn enc_a(e: ActEnc) -> &'static str {
    match e {
        ActEnc::Unsigned => "u",
        ActEnc::Signed => "s",
    }
}

/// Every module of an engine, top last.
pub fn modules(p: &EngineParams) -> Vec<Module> {
    let blocks = blocks(p);
    let mut mods = if p.is_lut() {
        vec![
            p.popcount().module(),
            p.adder_tree().module(),
            crate::lut_pe::module(p),
        ]
    } else {
        vec![p.popcount().module(), crate::dpu::module(p)]
    };
    let top = top(p, &blocks);
    mods.extend(blocks.into_iter().map(|(m, _, _)| m));
    mods.push(top);
    mods
}

/// `$fatal` when a beat of `stream` carries a one above its `used` low bits.
fn padding_check(stream: &str, width: u32, used: u32) -> Stmt {
    Stmt::If(
        e::land(
            e::id(format!("{stream}_tvalid")),
            Expr::Un(
                crate::ast::UnOp::RedOr,
                Box::new(e::slice(
                    e::id(format!("{stream}_tdata")),
                    e::int(width as i64 - 1),
                    e::int(used as i64),
                )),
            ),
        ),
        vec![Stmt::Fatal(
            format!("{stream}_tdata padding bits must be zero"),
            vec![],
        )],
        vec![],
    )
}
