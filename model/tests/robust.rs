//! No input makes the loader (`Model::from_bytes`, the core of `Model::load`) panic: truncated and mutated safetensors files and manifests
//! give `Ok` or `Err`, exhaustively over positions for single-byte edits and with proptest for
//! random multi-byte edits.

mod common;

use model::Model;
use proptest::prelude::*;

fn fixture() -> (Vec<u8>, Vec<u8>) {
    let (manifest, tensors) = common::doc_example();
    (
        serde_json::to_vec_pretty(&manifest).unwrap(),
        common::safetensors_bytes(&tensors),
    )
}

#[test]
fn truncated_tensor_files() {
    let (m, t) = fixture();
    assert!(Model::from_bytes(&m, &t).is_ok());
    for len in 0..t.len() {
        assert!(
            Model::from_bytes(&m, &t[..len]).is_err(),
            "accepted {len} bytes"
        );
    }
}

#[test]
fn mutated_tensor_headers() {
    let (m, t) = fixture();
    let header_end = 8 + u64::from_le_bytes(t[..8].try_into().unwrap()) as usize;
    for pos in 0..header_end {
        for v in [0u8, 0xff, b'9', b'"', b',', b'[', b'}', b'1', b' '] {
            let mut b = t.clone();
            b[pos] = v;
            let _ = Model::from_bytes(&m, &b);
        }
    }
    // Data bytes: NaN/inf patterns and arbitrary values.
    for pos in (header_end..t.len()).step_by(3) {
        let mut b = t.clone();
        b[pos] = 0xff;
        if pos + 1 < b.len() {
            b[pos + 1] = 0x7f;
        }
        let _ = Model::from_bytes(&m, &b);
    }
}

#[test]
fn truncated_and_mutated_manifests() {
    let (m, t) = fixture();
    let n = m.len();
    for len in 0..n {
        assert!(Model::from_bytes(&m[..len], &t).is_err());
    }
    for pos in 0..n {
        for v in [b'0', b'9', b'"', b'-', b'[', b'}', b'x', b' ', b'.', b'e'] {
            let mut b = m.clone();
            b[pos] = v;
            let _ = Model::from_bytes(&b, &t);
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(1000))]

    #[test]
    fn random_edits_never_panic(
        edits in prop::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 1..6),
        in_tensors in any::<bool>(),
    ) {
        let (mut m, mut t) = fixture();
        let b = if in_tensors { &mut t } else { &mut m };
        for (i, v) in &edits {
            let i = i.index(b.len());
            b[i] = *v;
        }
        let _ = Model::from_bytes(&m, &t);
    }
}
