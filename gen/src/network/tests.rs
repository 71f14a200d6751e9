//! Network parsing, limits and connection rules.

use super::*;

#[test]
fn errors_name_the_layer_and_field() {
    for (text, needle) in [
        ("[]", "must hold an object"),
        ("{\"layers\": []}", "name"),
        ("{\"name\": \"x\", \"layers\": []}", "layers: empty"),
        (
            "{\"name\": \"x\", \"layers\": [{\"name\": \"r\", \"op\": \"relu\"}]}",
            "no conv or fc layer",
        ),
        (
            "{\"name\": \"x\", \"layers\": [{\"name\": \"c\", \"op\": \"conv\", \"in_channels\": 3}]}",
            "layers[0] (c).out_channels: missing",
        ),
        (
            "{\"name\": \"x\", \"layers\": [{\"name\": \"c\", \"op\": \"conv\", \"in_channels\": 3, \"out_channels\": 4, \"kernel\": [3], \"in_hw\": [4, 4]}]}",
            "layers[0] (c).kernel: must be [h, w]",
        ),
        (
            "{\"name\": \"x\", \"layers\": [{\"name\": \"c\", \"op\": \"conv\", \"in_channels\": 3, \"out_channels\": 4, \"kernel\": [3, 3], \"groups\": 2, \"in_hw\": [4, 4]}]}",
            "layers[0] (c).groups",
        ),
        (
            "{\"name\": \"x\", \"layers\": [{\"name\": \"f\", \"op\": \"fc\", \"in_features\": -1, \"out_features\": 2}]}",
            "layers[0] (f).in_features",
        ),
        (
            "{\"name\": \"x\", \"layers\": [{\"name\": \"b\", \"op\": \"batchnorm\", \"channels\": 0}]}",
            "layers[0] (b).channels: must be at least 1",
        ),
    ] {
        let e = Network::from_json(text).unwrap_err().to_string();
        assert!(e.contains(needle), "{text}: {e}");
    }
}

#[test]
fn shapes_by_hand() {
    let n = Network::from_json(
        r#"{"name": "t", "layers": [
          {"name": "c", "op": "conv", "in_channels": 4, "out_channels": 8, "kernel": [3, 3],
           "stride": 2, "padding": 1, "groups": 2, "bias": true, "in_hw": [9, 9]},
          {"name": "r", "op": "relu"},
          {"name": "f", "op": "fc", "in_features": 8, "out_features": 3, "bias": true}]}"#,
    )
    .unwrap();
    // (9 + 2 − 3)/2 + 1 = 5 → N = 25; per group M = 4, K = 2·9 = 18.
    assert_eq!(
        n.layers[0].gemm(),
        Some(Gemm {
            m: 4,
            k: 18,
            n: 25,
            groups: 2
        })
    );
    assert_eq!(n.layers[0].params(), 8 * 18 + 8);
    assert_eq!(n.layers[1].op, Op::Other("relu".into()));
    assert_eq!(n.layers[2].params(), 27);
    assert_eq!(n.compute_layers(), vec![0, 2]);
}

fn net(layers: &str) -> String {
    format!(r#"{{"name": "t", "layers": [{layers}]}}"#)
}

const FC: &str = r#"{"name": "f", "op": "fc", "in_features": 8, "out_features": 2}"#;

#[test]
fn unknown_ops_and_fields_are_errors_with_a_suggestion() {
    for (layers, needles) in [
        (
            format!(r#"{{"name": "c", "op": "Conv", "in_channels": 8}}, {FC}"#),
            vec![
                "layers[0] (c).op",
                "unknown op \"Conv\"",
                "did you mean \"conv\"",
            ],
        ),
        (
            format!(r#"{{"name": "g", "op": "Gemm"}}, {FC}"#),
            vec!["layers[0] (g).op", "unknown op \"Gemm\"", "\"fc\""],
        ),
        (
            format!(
                r#"{{"name": "c", "op": "conv", "in_channels": 8, "out_channels": 8, "kernel": [1, 1], "in_hw": [1, 1], "stide": 2}}, {FC}"#
            ),
            vec![
                "layers[0] (c)",
                "unknown field \"stide\"",
                "did you mean \"stride\"",
            ],
        ),
        (
            format!(
                r#"{{"name": "c", "op": "conv", "in_channels": 8, "out_channels": 8, "kernel": [1, 1], "in_hw": [1, 1], "dilation": 2}}, {FC}"#
            ),
            vec!["layers[0] (c)", "unknown field \"dilation\""],
        ),
        (
            format!(r#"{{"name": "p", "op": "maxpool", "kernel": [2, 2]}}, {FC}"#),
            vec![
                "layers[0] (p)",
                "unknown field \"kernel\"",
                "expected one of \"name\", \"op\"",
            ],
        ),
    ] {
        let e = Network::from_json(&net(&layers)).unwrap_err().to_string();
        for n in needles {
            assert!(e.contains(n), "{layers}: {e} lacks {n}");
        }
    }
    let e = Network::from_json(r#"{"name": "t", "layer": []}"#)
        .unwrap_err()
        .to_string();
    assert!(e.contains("did you mean \"layers\""), "{e}");
}

#[test]
fn sizes_are_checked_in_64_bits() {
    // K = 2^24·23·23 ≈ 8.9·10^9 used to wrap to 285,212,672.
    let big = r#"{"name": "huge", "op": "conv", "in_channels": 16777216, "out_channels": 1, "kernel": [23, 23], "in_hw": [23, 23]}"#;
    let e = Network::from_json(&net(big)).unwrap_err().to_string();
    assert!(e.contains("layers[0] (huge).kernel: GEMM K"), "{e}");
    assert!(e.contains("exceeds 4294967295"), "{e}");
    // N = out_h·out_w = (2^24)^2.
    let wide = r#"{"name": "wide", "op": "conv", "in_channels": 1, "out_channels": 1, "kernel": [1, 1], "in_hw": [16777216, 16777216]}"#;
    let e = Network::from_json(&net(wide)).unwrap_err().to_string();
    assert!(e.contains("layers[0] (wide).in_hw: GEMM N"), "{e}");
    // Parameters: 2^24 × 2^24 fc layers add up past 2^48.
    let fc = r#"{"name": "f", "op": "fc", "in_features": 16777216, "out_features": 16777216}"#;
    let e = Network::from_json(&net(&[fc, fc].join(", ")))
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("layers[1] (f): the network's parameters exceed"),
        "{e}"
    );
}

#[test]
fn consecutive_shapes_must_connect() {
    let conv = |name: &str, ci: u32, co: u32, hw: u32| {
        format!(
            r#"{{"name": "{name}", "op": "conv", "in_channels": {ci}, "out_channels": {co}, "kernel": [3, 3], "padding": 1, "in_hw": [{hw}, {hw}]}}"#
        )
    };
    for (layers, needle) in [
        (
            [conv("a", 3, 8, 8), conv("b", 5, 8, 8), FC.into()].join(", "),
            "layers[1] (b): its input [5, 8, 8] does not connect to the output [8, 8, 8] of layers[0] (a)",
        ),
        (
            [conv("a", 3, 8, 8), conv("b", 8, 8, 7)].join(", "),
            "layers[1] (b): its input [8, 7, 7]",
        ),
        (
            [conv("a", 3, 8, 8), FC.replace("\"in_features\": 8", "\"in_features\": 100")].join(", "),
            "layers[1] (f): its input [100]",
        ),
        (
            [conv("a", 3, 8, 8), r#"{"name": "bn", "op": "batchnorm", "channels": 4}"#.into()]
                .join(", "),
            "layers[1] (bn).channels: 4, but it follows layers[0] (a) with 8 channels",
        ),
        (
            [conv("blk.a", 8, 8, 8), conv("blk.b", 8, 4, 8), r#"{"name": "blk.add", "op": "add"}"#.into()].join(", "),
            "layers[2] (blk.add): the block's output [4, 8, 8]",
        ),
    ] {
        let e = Network::from_json(&net(&layers)).unwrap_err().to_string();
        assert!(e.contains(needle), "{layers}:\n{e}");
    }
    // Connecting: same map; a pool 8 → 4; flatten 8·4·4 = 128; global average 8; a marked
    // separate input.
    for layers in [
        [conv("a", 3, 8, 8), conv("b", 8, 8, 8), FC.into()].join(", "),
        [conv("a", 3, 8, 8), conv("b", 8, 8, 4), FC.into()].join(", "),
        [
            conv("a", 3, 8, 8),
            FC.replace("\"in_features\": 8", "\"in_features\": 512"),
        ]
        .join(", "),
        [
            conv("a", 3, 8, 8),
            FC.replace("\"in_features\": 8", "\"in_features\": 128"),
        ]
        .join(", "),
        [
            conv("a", 3, 8, 8),
            conv("b", 5, 8, 8).replace("}", ", \"separate_input\": true}"),
            FC.into(),
        ]
        .join(", "),
    ] {
        Network::from_json(&net(&layers)).unwrap_or_else(|e| panic!("{layers}: {e}"));
    }
}

#[test]
fn the_catalog_passes_the_checks() {
    for name in crate::catalog::NAMES {
        crate::catalog::get(name)
            .unwrap()
            .check()
            .unwrap_or_else(|e| panic!("{name}: {e}"));
    }
}
