// The designs built for lockstep (shared by build.rs and the library through `include!`).
// Each exercises a different encoding, array shape and Dk; all are small so they build fast.
fn lockstep_designs() -> Vec<hdl::params::EngineParams> {
    use hdl::params::{ActEnc, EngineParams, Kind, Target, WeightEnc};
    vec![
        EngineParams { kind: Kind::BitSerial, dm: 2, dn: 3, dk: 32, w_bits: 2, a_bits: 2, out_bits: 2, w_enc: WeightEnc::Offset, a_enc: ActEnc::Unsigned, max_m: 9, max_k: 100, max_n: 10, target: Target::Generic },
        EngineParams { kind: Kind::BitSerial, dm: 3, dn: 2, dk: 70, w_bits: 3, a_bits: 2, out_bits: 3, w_enc: WeightEnc::Signed, a_enc: ActEnc::Signed, max_m: 7, max_k: 150, max_n: 7, target: Target::Generic },
        EngineParams { kind: Kind::BitSerial, dm: 1, dn: 4, dk: 13, w_bits: 1, a_bits: 4, out_bits: 1, w_enc: WeightEnc::Unsigned, a_enc: ActEnc::Unsigned, max_m: 5, max_k: 40, max_n: 9, target: Target::Generic },
    ]
}
