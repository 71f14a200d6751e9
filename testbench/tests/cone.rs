//! The structural check of the output handshake (`formal::comb_tready_paths`) on small
//! hand-written modules: it finds a combinational `tready` path and names the flip-flops
//! `tready` reaches. The engines themselves are checked in `formal.rs`.

use testbench::formal::comb_tready_paths;

#[test]
fn the_cone_check_finds_a_combinational_tready_path() {
    use hdl::ast::{e, Dir, Item, Module, Port, PortGroup};
    let m = Module {
        name: "bad".into(),
        doc: vec!["tvalid = tready".into()],
        params: vec![],
        ports: vec![PortGroup {
            doc: "ports".into(),
            ports: vec![
                Port::new(Dir::In, "m_axis_out_tready", None, ""),
                Port::new(Dir::Out, "m_axis_out_tvalid", None, ""),
            ],
        }],
        items: vec![Item::Assign(
            e::id("m_axis_out_tvalid"),
            e::id("m_axis_out_tready"),
        )],
    };
    let dir = tempfile::tempdir().unwrap();
    let cone = comb_tready_paths(dir.path(), &[m], "bad").unwrap();
    assert_eq!(cone.outputs, vec!["bad/m_axis_out_tvalid".to_string()]);
    assert!(cone.flops.is_empty(), "{:?}", cone.flops);
}

#[test]
fn the_cone_check_names_the_flops_behind_tready() {
    use hdl::ast::{e, Dir, Item, Module, Port, PortGroup};
    use hdl::build::{set, B};
    use hdl::typed::sig;
    // tready straight into one flop and through an AND into another; a third without it.
    let mut b = B::default();
    let r_q = b.decl("r_q", 1, "");
    let s_q = b.decl("s_q", 1, "");
    let v_q = b.decl("v_q", 1, "");
    let ready = sig("m_axis_out_tready", 1);
    b.items.push(Item::AlwaysFf(
        "clk".into(),
        vec![
            set(&r_q, ready.clone()),
            set(&s_q, ready.and(&sig("go", 1))),
            set(&v_q, sig("go", 1)),
        ],
    ));
    // Every flop drives tvalid (else Yosys removes it), none combinationally from tready.
    b.items.push(Item::Assign(
        e::id("m_axis_out_tvalid"),
        r_q.and(&s_q).or(&v_q).e,
    ));
    let m = Module {
        name: "flops".into(),
        doc: vec!["tready into two flops".into()],
        params: vec![],
        ports: vec![PortGroup {
            doc: "ports".into(),
            ports: vec![
                Port::new(Dir::In, "clk", None, ""),
                Port::new(Dir::In, "go", None, ""),
                Port::new(Dir::In, "m_axis_out_tready", None, ""),
                Port::new(Dir::Out, "m_axis_out_tvalid", None, ""),
            ],
        }],
        items: b.items,
    };
    let dir = tempfile::tempdir().unwrap();
    let cone = comb_tready_paths(dir.path(), &[m], "flops").unwrap();
    assert!(cone.outputs.is_empty(), "{:?}", cone.outputs);
    assert_eq!(
        cone.flops,
        vec!["flops/r_q".to_string(), "flops/s_q".to_string()]
    );
}
