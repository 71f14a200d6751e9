//! The controller's activation loader, beside its state machine (part of the `engine_ctrl`
//! module, [`crate::engine_ctrl`]). Every activation bank holds two buffers of one n-tile's
//! column (double buffering): from the job's header on, the loader writes n-tile `t` into
//! buffer `t mod 2` of every bank while the compute reads the other buffer. A flag per buffer
//! (`full0_q`, `full1_q`) hands it over: the loader sets it with the tile's last word, the
//! compute clears it when the n-tile's last step is issued, and the loader waits while the
//! buffer it would write is full.

use crate::ast::Stmt;
use crate::build::{index, min_wire, set, trunc, when, B};
use crate::engine_ctrl::CtrlParams;
use crate::engine_ctrl_regs::zero;
use crate::params::EngineParams;
use crate::typed::{k, kw, V};

/// The loader's registers, and which buffer the compute reads.
pub(crate) struct ActRegs {
    pub ld_busy_q: V,
    pub ld_buf_q: V,
    pub ld_col_q: V,
    pub ld_off_q: V,
    pub ld_nv_q: V,
    pub ld_rest_q: V,
    pub full0_q: V,
    pub full1_q: V,
    pub cbuf_q: V,
    /// `s_axis_act_tready`: the loader has a tile to load and its buffer is free.
    pub ready: V,
}

impl ActRegs {
    /// Buffer `buf` (a 1-bit value) holds a loaded tile.
    pub(crate) fn full(&self, buf: &V) -> V {
        V::mux(buf, &self.full1_q, &self.full0_q)
    }

    /// The first bank address of buffer `buf`.
    pub(crate) fn base(&self, p: &EngineParams, c: &CtrlParams, buf: &V) -> V {
        let w = c.a_addr_w();
        V::mux(buf, &kw(p.a_buf_depth() as u64, w), &kw(0, w))
    }

    /// Clear buffer `buf`'s full flag (the compute is done with it).
    pub(crate) fn release(&self, buf: &V) -> Stmt {
        when(buf, vec![zero(&self.full1_q)], vec![zero(&self.full0_q)])
    }
}

/// Declare the loader's registers and `s_axis_act_tready`.
pub(crate) fn declare(b: &mut B, c: &CtrlParams) -> ActRegs {
    b.comment("Activation loader (beside the state machine): two buffers per bank.");
    let ld_busy_q = b.decl("ld_busy_q", 1, "n-tiles of this job are still to be loaded");
    let ld_buf_q = b.decl("ld_buf_q", 1, "the buffer being loaded");
    let ld_col_q = b.decl(
        "ld_col_q",
        c.col_w,
        "activation bank (array column) being loaded",
    );
    let ld_off_q = b.decl("ld_off_q", c.kca_w, "word within the column");
    let ld_nv_q = b.decl("ld_nv_q", c.nv_w, "valid columns of the tile being loaded");
    let ld_rest_q = b.decl(
        "ld_rest_q",
        c.n_w,
        "columns of the job after the tile being loaded",
    );
    let full0_q = b.decl("full0_q", 1, "buffer 0 holds a loaded tile");
    let full1_q = b.decl("full1_q", 1, "buffer 1 holds a loaded tile");
    let cbuf_q = b.decl("cbuf_q", 1, "the buffer the compute reads");
    let full_ld = V::mux(&ld_buf_q, &full1_q, &full0_q);
    let ready = b.wire(
        "act_ready",
        ld_busy_q.and(&full_ld.not()),
        "the loader's buffer is free",
    );
    ActRegs {
        ld_busy_q,
        ld_buf_q,
        ld_col_q,
        ld_off_q,
        ld_nv_q,
        ld_rest_q,
        full0_q,
        full1_q,
        cbuf_q,
        ready,
    }
}

/// The loader's start at a header with `hdr_n` columns, `nv_first = min(DN, hdr_n)` of
/// them in the first n-tile (the state machine's own wire).
pub(crate) fn start(
    b: &mut B,
    p: &EngineParams,
    c: &CtrlParams,
    a: &ActRegs,
    hdr_n: &V,
    nv_first: &V,
) -> Vec<Stmt> {
    let rest = rest_after(b, c, "ld_rest_first", hdr_n, p.dn);
    vec![
        set(&a.ld_busy_q, kw(1, 1)),
        zero(&a.ld_buf_q),
        zero(&a.ld_col_q),
        zero(&a.ld_off_q),
        set(&a.ld_nv_q, nv_first.clone()),
        set(&a.ld_rest_q, rest),
        zero(&a.full0_q),
        zero(&a.full1_q),
        zero(&a.cbuf_q),
    ]
}

/// `v ≥ dn ? v − dn : 0` in `n_w` bits: the columns left after a tile of `min(dn, v)`.
fn rest_after(b: &mut B, c: &CtrlParams, name: &str, v: &V, dn: u32) -> V {
    let d = k(dn as u64);
    let r = V::mux(&v.lt(&d), &kw(0, v.w), &v.sub(&d));
    trunc(b, name, r, c.n_w, kw(1, 1))
}

/// The loader's statements inside the reset-guarded block, and the activation banks' write
/// port (enable, bank, address).
pub(crate) fn loader(
    b: &mut B,
    p: &EngineParams,
    c: &CtrlParams,
    a: &ActRegs,
    kca_q: &V,
    act_fire: &V,
) -> (Vec<Stmt>, [V; 3]) {
    let waddr = index(
        b,
        "a_waddr",
        a.base(p, c, &a.ld_buf_q).add(&a.ld_off_q),
        p.a_depth(),
        act_fire.clone(),
    );
    let nv_next = min_wire(
        b,
        "ld_nv_next",
        a.ld_rest_q.clone(),
        p.dn,
        c.nv_w,
        "columns of the next tile: min(DN, columns left)",
    );
    let rest_next = rest_after(b, c, "ld_rest_next", &a.ld_rest_q, p.dn);
    let tile_done = vec![
        zero(&a.ld_col_q),
        when(
            &a.ld_buf_q,
            vec![set(&a.full1_q, kw(1, 1))],
            vec![set(&a.full0_q, kw(1, 1))],
        ),
        set(&a.ld_buf_q, a.ld_buf_q.not()),
        set(&a.ld_nv_q, nv_next),
        set(&a.ld_rest_q, rest_next),
        when(
            &a.ld_rest_q.eq(&kw(0, c.n_w)),
            vec![zero(&a.ld_busy_q)],
            vec![],
        ),
    ];
    let stmts = vec![when(
        act_fire,
        vec![when(
            &a.ld_off_q.add(&k(1)).eq(kca_q),
            vec![
                zero(&a.ld_off_q),
                when(
                    &a.ld_col_q.add(&k(1)).eq(&a.ld_nv_q),
                    tile_done,
                    vec![set(&a.ld_col_q, a.ld_col_q.inc())],
                ),
            ],
            vec![set(&a.ld_off_q, a.ld_off_q.inc())],
        )],
        vec![],
    )];
    (stmts, [act_fire.clone(), a.ld_col_q.clone(), waddr])
}

/// The tile's last activation beat is at the loader's counters (for the `tlast` check).
pub(crate) fn tile_final(a: &ActRegs, kca_q: &V) -> V {
    a.ld_off_q
        .add(&k(1))
        .eq(kca_q)
        .and(&a.ld_col_q.add(&k(1)).eq(&a.ld_nv_q))
}

/// The registers to zero at reset.
pub(crate) fn reset_regs(a: &ActRegs) -> [&V; 9] {
    [
        &a.ld_busy_q,
        &a.ld_buf_q,
        &a.ld_col_q,
        &a.ld_off_q,
        &a.ld_nv_q,
        &a.ld_rest_q,
        &a.full0_q,
        &a.full1_q,
        &a.cbuf_q,
    ]
}
