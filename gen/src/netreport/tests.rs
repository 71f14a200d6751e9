//! Tests of the network reports.

use super::memory::memory;
use super::*;
use crate::network::Gemm;
use rand::SeedableRng;
use sim::harness::{run_job, Stalls};

const TINY: &str = r#"{"name": "tiny", "layers": [
  {"name": "conv1", "op": "conv", "in_channels": 3, "out_channels": 4, "kernel": [3, 3],
   "stride": 1, "padding": 1, "in_hw": [4, 4]},
  {"name": "bn1", "op": "batchnorm", "channels": 4},
  {"name": "conv2", "op": "conv", "in_channels": 4, "out_channels": 8, "kernel": [3, 3],
   "stride": 2, "padding": 1, "groups": 2, "bias": true, "in_hw": [4, 4]},
  {"name": "relu", "op": "relu"},
  {"name": "fc", "op": "fc", "in_features": 32, "out_features": 10, "bias": true}]}"#;

fn pol(engine: EngineKind) -> Policy {
    Policy {
        w_bits: 2,
        a_bits: 2,
        first_last_bits: 8,
        engine,
        dm: 2,
        dn: 2,
        dk: 16,
        clock_mhz: 100.0,
        prod_bits: 15,
    }
}

#[test]
fn memory_by_hand() {
    let net = Network::from_json(TINY).unwrap();
    // conv1 (first, 8 bit): 3·4·9 = 108 weights → 108 B. bn1: 4 channels × 2 × 4 B = 32.
    // conv2 (quantized, W2): 8 × (4/2 · 9) = 144 weights → 36 B, bias 8 × 4 B = 32.
    // fc (last, 8 bit): 320 weights + 10 bias → 330 B. LUT W2A2: 3 products × 2 B = 6.
    let rows = memory(&net, &pol(EngineKind::BitSerial));
    let bytes: Vec<u64> = rows.iter().map(|r| r.total()).collect();
    assert_eq!(bytes, vec![108, 32, 68, 330]);
    let lut = memory(&net, &pol(EngineKind::Lut));
    assert_eq!(lut.iter().map(|r| r.lut_bytes).sum::<u64>(), 6);
    assert_eq!(lut.iter().map(|r| r.total()).sum::<u64>(), 538 + 6);
    let mut f = pol(EngineKind::BitSerial);
    f.first_last_bits = 32;
    assert_eq!(memory(&net, &f)[0].weight_bytes, 108 * 4);
}

#[test]
fn time_by_hand() {
    let net = Network::from_json(TINY).unwrap();
    let rows = time(&net, &pol(EngineKind::BitSerial));
    // conv2 per group: M = 4, K = 18, N = 4 on 2x2x16, W2A2, 2-bit outputs: KC = 2;
    // weights and thresholds 2 + 4·2·2 + 4·(1 + 3) = 34 cycles. The activation loader
    // starts after the header (cycle 2): n-tile 1's 8 words (2 columns · KC · 2 planes) in
    // cycles 3..10, n-tile 2's in 11..18 (the other buffer), so both are full before the
    // compute needs them. 2 m-tiles per n-tile, S = 2·2·2 = 8 steps back to back; a tile's
    // snapshot DPU latency 4 (popcount 3 + term 1) + 2 cycles after its last step (a result
    // bank is always free here), its last beat F = 2 + 1 cycles + 2 rows after that (its
    // emission starts at the snapshot: the previous tile's last beat is earlier). Tile 1:
    // steps 35..42, snapshot 48, last beat 53. Tile 2: steps 43..50, snapshot 56, last beat
    // 61. Tile 3 (n-tile 2): steps 51..58, snapshot 64, last beat 69. Tile 4: steps 59..66,
    // snapshot 72, last beat 77. Two groups: 154.
    assert_eq!(rows[1].gemm, (4, 18, 4, 2));
    assert_eq!(rows[1].cycles, 154);
    assert_eq!(rows[0].bits, (8, 8));
    let mut f = pol(EngineKind::BitSerial);
    f.first_last_bits = 32;
    assert_eq!(time(&net, &f)[2].on, "float (host)");
}

#[test]
fn time_equals_full_simulation_on_resnet18_layers() {
    let net = catalog::get("resnet18").unwrap();
    let p = Policy {
        dm: 8,
        dn: 8,
        dk: 256,
        ..pol(EngineKind::BitSerial)
    };
    let rows = time(&net, &p);
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(1);
    let compute = net.compute_layers();
    // A 3×3 conv, a strided 1×1 downsample, the 8-bit first conv and the 8-bit fc.
    for name in ["layer3.1.conv2", "layer2.0.downsample.0", "conv1", "fc"] {
        let at = rows.iter().position(|r| r.name == name).unwrap();
        let (m, k, n, groups) = rows[at].gemm;
        let g = Gemm { m, k, n, groups };
        let e = p.engine_for(&g, p.role(&net, compute[at])).unwrap();
        let data = sim::random::Data::Random;
        let job = if rows[at].raw {
            sim::random::raw_job(&e, data, m, k, n, &mut rng)
        } else {
            sim::random::job(&e, data, m, k, n, &mut rng)
        };
        let (r, _) = run_job(&e, &job, Stalls::NONE, None, u64::MAX).unwrap();
        assert_eq!(r.cycles * groups as u64, rows[at].cycles, "{name}");
    }
    // The last layer and the convs feeding a residual add return raw accumulators.
    let raw: Vec<&str> = rows
        .iter()
        .filter(|r| r.raw)
        .map(|r| r.name.as_str())
        .collect();
    assert!(
        raw.contains(&"fc") && raw.contains(&"layer3.1.conv2"),
        "{raw:?}"
    );
    assert!(raw.contains(&"layer2.0.downsample.0") && !raw.contains(&"layer3.1.conv1"));
    // And a LUT-engine layer of MobileNet-V2 (depthwise: one GEMM per group).
    let mb = catalog::get("mobilenet_v2").unwrap();
    let lp = Policy {
        dm: 4,
        dn: 4,
        dk: 32,
        w_bits: 3,
        a_bits: 3,
        ..pol(EngineKind::Lut)
    };
    let rows = time(&mb, &lp);
    let mc = mb.compute_layers();
    for name in ["features.2.dw", "features.2.project"] {
        let at = rows.iter().position(|r| r.name == name).unwrap();
        let (m, k, n, groups) = rows[at].gemm;
        let g = Gemm { m, k, n, groups };
        let e = lp.engine_for(&g, lp.role(&mb, mc[at])).unwrap();
        let job = sim::random::job(&e, sim::random::Data::Random, m, k, n, &mut rng);
        let (r, _) = run_job(&e, &job, Stalls::NONE, None, u64::MAX).unwrap();
        assert_eq!(r.cycles * groups as u64, rows[at].cycles, "{name}");
    }
}

#[test]
fn lcq_table_s1_checks() {
    // LCQ supplementary Table S1: LUT bytes exactly, totals to the printed two decimals
    // (MiB, truncated) for ResNet-18 and ResNet-34.
    for (net, bits, total, diff) in [
        ("resnet18", 2, 3.19, 114),
        ("resnet18", 3, 4.52, 798),
        ("resnet18", 4, 5.85, 3990),
        ("resnet34", 2, 5.63, 210),
        ("resnet34", 3, 8.16, 1470),
        ("resnet34", 4, 10.70, 7350),
        ("resnet50", 2, 0.0, 312),
        ("resnet50", 3, 0.0, 2184),
        ("resnet50", 4, 0.0, 10920),
    ] {
        let n = catalog::get(net).unwrap();
        let p = Policy {
            w_bits: bits,
            a_bits: bits,
            ..pol(EngineKind::Lut)
        };
        let rows = memory(&n, &p);
        let lut: u64 = rows.iter().map(|r| r.lut_bytes).sum();
        assert_eq!(lut, diff, "{net} {bits}/{bits}");
        if total > 0.0 {
            let t: u64 = rows.iter().map(|r| r.total()).sum();
            let mib = (mib(t) * 100.0).floor() / 100.0;
            assert!(
                (mib - total).abs() < 0.005,
                "{net} {bits}: {mib} vs {total}"
            );
        }
    }
}
