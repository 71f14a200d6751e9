//! Tests of the engine description: one message form for flags and config fields, the
//! defaults, and the refusal table against the real command.

use super::*;

fn flags(engine: Option<EngineChoice>, array: Option<&str>, clock: Option<f64>) -> EngineFlags {
    EngineFlags {
        engine,
        array: array.map(str::to_string),
        clock_mhz: clock,
        prod_bits: None,
        target: None,
    }
}

fn cfg(toml: &str) -> crate::design::EngineCfg {
    toml::from_str(toml).unwrap()
}

#[test]
fn flags_and_fields_share_the_message_form() {
    let cases = [
        (
            flags(None, Some("65x1x1"), None),
            "dm = 65",
            Field::Dm,
            "must be in 1..=64, got 65",
        ),
        (
            flags(None, Some("1x0x1"), None),
            "dn = 0",
            Field::Dn,
            "must be in 1..=64, got 0",
        ),
        (
            flags(None, Some("1x1x1025"), None),
            "dk = 1025",
            Field::Dk,
            "must be in 1..=1024, got 1025",
        ),
        (
            flags(None, None, Some(0.0)),
            "clock_mhz = 0.0",
            Field::Clock,
            "must be in (0, 2000] MHz, got 0",
        ),
    ];
    for (f, toml, field, problem) in cases {
        let a = EngineSpec::from_flags(&f).unwrap_err();
        let b = EngineSpec::from_cfg(&cfg(toml)).unwrap_err();
        assert_eq!((a.field, a.problem.as_str()), (field, problem), "{f:?}");
        assert_eq!((b.field, b.problem.as_str()), (field, problem), "{toml}");
        assert_eq!(
            a.to_string(),
            format!("{}: {problem}", field.name(Origin::Flags))
        );
        assert_eq!(
            b.to_string(),
            format!("{}: {problem}", field.name(Origin::Config))
        );
    }
    assert_eq!(
        EngineSpec::from_flags(&flags(None, Some("65x1x1"), None))
            .unwrap_err()
            .to_string(),
        "--array: dm: must be in 1..=64, got 65"
    );
    assert_eq!(
        EngineSpec::from_cfg(&cfg("dm = 65"))
            .unwrap_err()
            .to_string(),
        "engine.dm: must be in 1..=64, got 65"
    );
    let e = EngineSpec::from_cfg(&cfg("kind = \"fpga\"")).unwrap_err();
    assert_eq!(
        e.to_string(),
        "engine.kind: invalid value \"fpga\" [possible values: auto, bitserial, lut]"
    );
    for (a, field) in [("8x8", Field::Array), ("8xax8", Field::Dn)] {
        let e = EngineSpec::from_flags(&flags(None, Some(a), None)).unwrap_err();
        assert_eq!(e.field, field, "{a}: {e}");
    }
    let mut f = flags(None, None, None);
    f.prod_bits = Some(33);
    let e = EngineSpec::from_flags(&f).unwrap_err();
    assert_eq!(e.to_string(), "--prod-bits: must be in 1..=32, got 33");
}

#[test]
fn defaults_live_in_the_spec() {
    let s = EngineSpec::from_flags(&EngineFlags::default()).unwrap();
    assert_eq!(s.kind, EngineChoice::Auto);
    assert_eq!(s.clock_mhz, 300.0);
    assert_eq!(s.array(false), (8, 8, 256));
    assert_eq!(s.array(true), (4, 4, 32));
    assert_eq!(s.network_prod_bits(), 15);
    assert!(!s.network_lut());
    assert_eq!(s.array_cfg().array, None);
    // A config's partial array keeps the rest of the kind's default.
    let c = EngineSpec::from_cfg(&cfg("dm = 2")).unwrap();
    assert_eq!(c.array(true), (2, 4, 32));
    assert_eq!(
        c,
        EngineSpec {
            origin: Origin::Config,
            ..c
        }
    );
    let given = EngineSpec::from_flags(&flags(Some(EngineChoice::Lut), Some("2x3x16"), None));
    assert_eq!(given.unwrap().array_cfg().array, Some((2, 3, 16)));
}

#[test]
fn the_refusal_table_names_real_flags() {
    use clap::CommandFactory;
    // Panics on a subcommand or flag the command lacks; then clap's own checks.
    let mut cmd = restrict(crate::Cli::command());
    cmd.build();
    cmd.clone().debug_assert();
    // A refused flag has no default (clap would parse the default and refuse that).
    for path in [
        &["run"][..],
        &["generate"],
        &["verify"],
        &["report", "compare"],
    ] {
        let mut c = &cmd;
        for p in path {
            c = c.find_subcommand(p).unwrap();
        }
        for a in c.get_arguments().filter(|a| a.is_hide_set()) {
            assert!(a.get_default_values().is_empty(), "{path:?} {}", a.get_id());
        }
    }
    let run = |args: &[&str]| restrict(crate::Cli::command()).try_get_matches_from(args);
    let e = run(&["qforge", "run", "--network", "lenet5", "--prod-bits", "4"]).unwrap_err();
    assert!(e.to_string().contains("--prod-bits"), "{e}");
    assert!(run(&["qforge", "run", "--network", "lenet5", "--array", "2x2x8"]).is_ok());
    let e = run(&["qforge", "report", "compare", "--array", "2x2x8"]).unwrap_err();
    assert!(e.to_string().contains("report compare sweeps"), "{e}");
    let e = run(&["qforge", "generate", "--out", "o", "--array", "2x2x8"]).unwrap_err();
    assert!(e.to_string().contains("--model"), "{e}");
    let e = run(&[
        "qforge",
        "report",
        "time",
        "--config",
        "c",
        "--clock-mhz",
        "1",
    ])
    .unwrap_err();
    assert!(e.to_string().contains("--config"), "{e}");
}

#[test]
fn target_defaults_to_generic_and_reaches_the_lowering() {
    let d = EngineSpec::from_flags(&flags(None, None, None)).unwrap();
    assert_eq!(d.target, TargetChoice::Generic);
    assert_eq!(d.array_cfg().target, hdl::params::Target::Generic);
    let x = EngineSpec::from_flags(&EngineFlags {
        target: Some(TargetChoice::Xcup),
        ..flags(None, None, None)
    })
    .unwrap();
    assert_eq!(x.array_cfg().target, hdl::params::Target::Xcup);
    let c = EngineSpec::from_cfg(&cfg("target = \"xcup\"")).unwrap();
    assert_eq!(c.target, TargetChoice::Xcup);
    assert_eq!(
        EngineSpec::from_cfg(&cfg("")).unwrap().target,
        TargetChoice::Generic
    );
    let e = EngineSpec::from_cfg(&cfg("target = \"xc7\"")).unwrap_err();
    assert_eq!(
        e.to_string(),
        "engine.target: invalid value \"xc7\" [possible values: generic, xcup]"
    );
}
