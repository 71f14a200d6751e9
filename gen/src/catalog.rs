//! Built-in networks with torchvision's layer shapes at 224×224 input: ResNet-18/34/50,
//! MobileNet-V2, and AlexNet (the Quantization Networks paper's network). Parameter totals
//! equal torchvision's (tested).

use crate::network::{Conv, Layer, Network, Op};

/// Names of the built-in networks.
pub const NAMES: [&str; 5] = [
    "resnet18",
    "resnet34",
    "resnet50",
    "mobilenet_v2",
    "alexnet",
];

/// A built-in network by name.
pub fn get(name: &str) -> Option<Network> {
    Some(match name {
        "resnet18" => resnet("resnet18", &[2, 2, 2, 2], false),
        "resnet34" => resnet("resnet34", &[3, 4, 6, 3], false),
        "resnet50" => resnet("resnet50", &[3, 4, 6, 3], true),
        "mobilenet_v2" => mobilenet_v2(),
        "alexnet" => alexnet(),
        _ => return None,
    })
}

struct B {
    layers: Vec<Layer>,
    hw: u32,
}

impl B {
    #[allow(clippy::too_many_arguments)]
    fn conv(
        &mut self,
        name: &str,
        cin: u32,
        cout: u32,
        k: u32,
        s: u32,
        p: u32,
        g: u32,
        bias: bool,
    ) {
        let c = Conv {
            in_channels: cin,
            out_channels: cout,
            kernel: [k, k],
            stride: s,
            padding: p,
            groups: g,
            bias,
            in_hw: [self.hw, self.hw],
        };
        self.hw = c.out_hw()[0];
        self.layers.push(Layer {
            name: name.into(),
            separate_input: false,
            op: Op::Conv(c),
        });
    }
    fn bn(&mut self, name: &str, c: u32) {
        self.layers.push(Layer {
            name: name.into(),
            separate_input: false,
            op: Op::BatchNorm { channels: c },
        });
    }
    fn other(&mut self, name: &str, op: &str) {
        self.layers.push(Layer {
            name: name.into(),
            separate_input: false,
            op: Op::Other(op.into()),
        });
    }
    fn pool(&mut self, name: &str, k: u32, s: u32, p: u32) {
        self.hw = (self.hw + 2 * p - k) / s + 1;
        self.other(name, "maxpool");
    }
    fn fc(&mut self, name: &str, i: u32, o: u32) {
        self.layers.push(Layer {
            name: name.into(),
            separate_input: false,
            op: Op::Fc {
                in_features: i,
                out_features: o,
                bias: true,
            },
        });
    }
}

fn resnet(name: &str, blocks: &[u32; 4], bottleneck: bool) -> Network {
    let mut b = B {
        layers: Vec::new(),
        hw: 224,
    };
    b.conv("conv1", 3, 64, 7, 2, 3, 1, false);
    b.bn("bn1", 64);
    b.other("relu", "relu");
    b.pool("maxpool", 3, 2, 1);
    let exp = if bottleneck { 4 } else { 1 };
    let mut cin = 64;
    for (stage, &n) in blocks.iter().enumerate() {
        let width = 64 << stage;
        for blk in 0..n {
            let s = if stage > 0 && blk == 0 { 2 } else { 1 };
            let p = format!("layer{}.{blk}", stage + 1);
            let hw_in = b.hw;
            if bottleneck {
                b.conv(&format!("{p}.conv1"), cin, width, 1, 1, 0, 1, false);
                b.bn(&format!("{p}.bn1"), width);
                b.conv(&format!("{p}.conv2"), width, width, 3, s, 1, 1, false);
                b.bn(&format!("{p}.bn2"), width);
                b.conv(&format!("{p}.conv3"), width, width * exp, 1, 1, 0, 1, false);
                b.bn(&format!("{p}.bn3"), width * exp);
            } else {
                b.conv(&format!("{p}.conv1"), cin, width, 3, s, 1, 1, false);
                b.bn(&format!("{p}.bn1"), width);
                b.conv(&format!("{p}.conv2"), width, width, 3, 1, 1, 1, false);
                b.bn(&format!("{p}.bn2"), width);
            }
            if s != 1 || cin != width * exp {
                let hw_out = b.hw;
                b.hw = hw_in;
                b.conv(
                    &format!("{p}.downsample.0"),
                    cin,
                    width * exp,
                    1,
                    s,
                    0,
                    1,
                    false,
                );
                b.bn(&format!("{p}.downsample.1"), width * exp);
                b.hw = hw_out;
            }
            b.other(&format!("{p}.add"), "add");
            cin = width * exp;
        }
    }
    b.other("avgpool", "avgpool");
    b.fc("fc", cin, 1000);
    Network {
        name: name.into(),
        layers: b.layers,
    }
}

fn mobilenet_v2() -> Network {
    let mut b = B {
        layers: Vec::new(),
        hw: 224,
    };
    b.conv("features.0.0", 3, 32, 3, 2, 1, 1, false);
    b.bn("features.0.1", 32);
    let cfg = [
        (1, 16, 1, 1),
        (6, 24, 2, 2),
        (6, 32, 3, 2),
        (6, 64, 4, 2),
        (6, 96, 3, 1),
        (6, 160, 3, 2),
        (6, 320, 1, 1),
    ];
    let (mut cin, mut idx) = (32, 1);
    for (t, c, n, s) in cfg {
        for i in 0..n {
            let stride = if i == 0 { s } else { 1 };
            let hidden = cin * t;
            let p = format!("features.{idx}");
            if t != 1 {
                b.conv(&format!("{p}.expand"), cin, hidden, 1, 1, 0, 1, false);
                b.bn(&format!("{p}.expand.bn"), hidden);
            }
            b.conv(
                &format!("{p}.dw"),
                hidden,
                hidden,
                3,
                stride,
                1,
                hidden,
                false,
            );
            b.bn(&format!("{p}.dw.bn"), hidden);
            b.conv(&format!("{p}.project"), hidden, c, 1, 1, 0, 1, false);
            b.bn(&format!("{p}.project.bn"), c);
            if stride == 1 && cin == c {
                b.other(&format!("{p}.add"), "add");
            }
            cin = c;
            idx += 1;
        }
    }
    b.conv("features.18.0", 320, 1280, 1, 1, 0, 1, false);
    b.bn("features.18.1", 1280);
    b.other("avgpool", "avgpool");
    b.fc("classifier.1", 1280, 1000);
    Network {
        name: "mobilenet_v2".into(),
        layers: b.layers,
    }
}

fn alexnet() -> Network {
    let mut b = B {
        layers: Vec::new(),
        hw: 224,
    };
    b.conv("features.0", 3, 64, 11, 4, 2, 1, true);
    b.pool("features.2", 3, 2, 0);
    b.conv("features.3", 64, 192, 5, 1, 2, 1, true);
    b.pool("features.5", 3, 2, 0);
    b.conv("features.6", 192, 384, 3, 1, 1, 1, true);
    b.conv("features.8", 384, 256, 3, 1, 1, 1, true);
    b.conv("features.10", 256, 256, 3, 1, 1, 1, true);
    b.pool("features.12", 3, 2, 0);
    b.fc("classifier.1", 256 * 6 * 6, 4096);
    b.fc("classifier.4", 4096, 4096);
    b.fc("classifier.6", 4096, 1000);
    Network {
        name: "alexnet".into(),
        layers: b.layers,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parameter_totals_equal_torchvision() {
        for (name, want) in [
            ("resnet18", 11_689_512u64),
            ("resnet34", 21_797_672),
            ("resnet50", 25_557_032),
            ("mobilenet_v2", 3_504_872),
            ("alexnet", 61_100_840),
        ] {
            let n = get(name).unwrap();
            let got: u64 = n.layers.iter().map(|l| l.params()).sum();
            assert_eq!(got, want, "{name}");
        }
    }

    #[test]
    fn quantized_layer_counts_match_lcq_table_s1() {
        // LCQ Table S1's LUT overheads imply 19 (ResNet-18), 35 (ResNet-34) and 52 (ResNet-50)
        // quantized layers: every conv/fc but the first conv and the last fc.
        for (name, want) in [("resnet18", 19), ("resnet34", 35), ("resnet50", 52)] {
            let n = get(name).unwrap();
            assert_eq!(n.compute_layers().len() - 2, want, "{name}");
        }
    }
}
