//! Minimal SVG bar charts for the reports (no plotting dependency, no fonts needed: the
//! viewer renders the text).

use std::fmt::Write as _;
use std::path::Path;

use anyhow::Result;

fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

/// A horizontal bar chart of `(label, value)` pairs.
pub fn bars(title: &str, bars: &[(String, f64)]) -> String {
    let (w, row, left, top) = (760.0, 18.0, 220.0, 40.0);
    let h = top + row * bars.len() as f64 + 20.0;
    let max = bars
        .iter()
        .map(|b| b.1)
        .fold(0.0f64, f64::max)
        .max(f64::MIN_POSITIVE);
    let mut s = String::new();
    let _ = writeln!(
        s,
        r#"<svg xmlns="http://www.w3.org/2000/svg" width="{w}" height="{h}" font-family="sans-serif" font-size="11">"#
    );
    let _ = writeln!(
        s,
        r#"<text x="10" y="20" font-size="14">{}</text>"#,
        esc(title)
    );
    for (i, (label, v)) in bars.iter().enumerate() {
        let y = top + row * i as f64;
        let bw = (w - left - 90.0) * v / max;
        let _ = writeln!(
            s,
            r##"<text x="{}" y="{}" text-anchor="end">{}</text><rect x="{left}" y="{}" width="{bw:.1}" height="{}" fill="#4878a8"/><text x="{}" y="{}">{}</text>"##,
            left - 6.0,
            y + 12.0,
            esc(label),
            y + 3.0,
            row - 5.0,
            left + bw + 4.0,
            y + 12.0,
            if *v >= 100.0 {
                format!("{v:.0}")
            } else {
                format!("{v:.3}")
            }
        );
    }
    s.push_str("</svg>\n");
    s
}

/// Write a bar chart to `dir/name` (the directory is created).
pub fn write(dir: &Path, name: &str, title: &str, data: &[(String, f64)]) -> Result<()> {
    let mut outs = crate::output::Outputs::default();
    outs.add_creating("--svg", dir, name, bars(title, data).into_bytes())?;
    outs.commit()
}
