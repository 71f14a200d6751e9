//! A minimal VCD writer for the cycle model: one scope named after the RTL top module, the
//! top-level ports and the controller state under their RTL names, one sample per cycle
//! (clock low at `10·t`, rising edge at `10·t + 5`), value changes only.

use std::io::{self, Write};

/// A signal: name and width.
pub struct Signal {
    /// RTL name.
    pub name: String,
    /// Bits.
    pub width: u32,
}

/// Writes value changes of a fixed set of signals.
pub struct VcdWriter<W: Write> {
    out: W,
    signals: Vec<Signal>,
    last: Vec<Option<String>>,
}

fn code(i: usize) -> String {
    // Identifier codes from the printable range '!'..'~'.
    let mut i = i;
    let mut s = String::new();
    loop {
        s.push((b'!' + (i % 94) as u8) as char);
        i /= 94;
        if i == 0 {
            break s;
        }
    }
}

impl<W: Write> VcdWriter<W> {
    /// Write the header for `signals` in scope `scope`, plus the clock.
    pub fn new(mut out: W, scope: &str, signals: Vec<Signal>) -> io::Result<Self> {
        writeln!(
            out,
            "$version qforge cycle model $end\n$timescale 1ns $end\n$scope module {scope} $end"
        )?;
        writeln!(out, "$var wire 1 {} clk $end", code(0))?;
        for (i, s) in signals.iter().enumerate() {
            writeln!(out, "$var wire {} {} {} $end", s.width, code(i + 1), s.name)?;
        }
        writeln!(out, "$upscope $end\n$enddefinitions $end")?;
        let n = signals.len();
        Ok(VcdWriter {
            out,
            signals,
            last: vec![None; n],
        })
    }

    /// Record cycle `t`: `values[i]` is signal i's value as little-endian words.
    pub fn cycle(&mut self, t: u64, values: &[Vec<u64>]) -> io::Result<()> {
        writeln!(self.out, "#{}\n0{}", 10 * t, code(0))?;
        for (i, (s, v)) in self.signals.iter().zip(values).enumerate() {
            let bits: String = (0..s.width)
                .rev()
                .map(|b| {
                    if v.get((b / 64) as usize)
                        .is_some_and(|w| (w >> (b % 64)) & 1 == 1)
                    {
                        '1'
                    } else {
                        '0'
                    }
                })
                .collect();
            if self.last[i].as_deref() != Some(bits.as_str()) {
                if s.width == 1 {
                    writeln!(self.out, "{}{}", bits, code(i + 1))?;
                } else {
                    writeln!(self.out, "b{} {}", bits, code(i + 1))?;
                }
                self.last[i] = Some(bits);
            }
        }
        writeln!(self.out, "#{}\n1{}", 10 * t + 5, code(0))
    }

    /// Flush and return the writer.
    pub fn finish(mut self) -> io::Result<W> {
        self.out.flush()?;
        Ok(self.out)
    }
}
