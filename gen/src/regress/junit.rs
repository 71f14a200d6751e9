//! JUnit XML for `qforge regress`: one `<testsuite>` per design (named `design-NNNN`, with its
//! seed and parameters as properties), one `<testcase>` per job and simulator. The file holds
//! no wall times, so a run split into shards and merged is byte-identical to the unsharded run;
//! [`merge`] reads shard files back (only the format [`write()`] produces), checks they belong
//! to the same regression and together cover every design exactly once.

use std::fmt::Write as _;

use anyhow::{anyhow, bail, Result};

/// One test case: a job on one simulator.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Case {
    /// `job-NN <simulator>`.
    pub name: String,
    /// `None` = passed; `Some(message)` = failed.
    pub failure: Option<String>,
}

/// One design's cases.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Suite {
    /// Design index in the regression.
    pub design: usize,
    /// Properties (seed, kind, array, widths...), in order.
    pub props: Vec<(String, String)>,
    /// Cases, in order.
    pub cases: Vec<Case>,
}

/// The regression a file belongs to: `name` carries every setting but the shard.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Header {
    /// `qforge regress seed=… designs=… jobs=… sims=… kinds=…`.
    pub name: String,
    /// Designs in the whole regression.
    pub designs: usize,
}

fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

fn unesc(s: &str) -> String {
    s.replace("&quot;", "\"")
        .replace("&gt;", ">")
        .replace("&lt;", "<")
        .replace("&amp;", "&")
}

/// The suite's lines (a block [`merge`] moves as is).
fn suite_block(s: &Suite) -> String {
    let fails = s.cases.iter().filter(|c| c.failure.is_some()).count();
    let mut o = String::new();
    let _ = writeln!(
        o,
        "  <testsuite name=\"design-{:04}\" tests=\"{}\" failures=\"{fails}\">",
        s.design,
        s.cases.len()
    );
    o.push_str("    <properties>\n");
    for (k, v) in &s.props {
        let _ = writeln!(
            o,
            "      <property name=\"{}\" value=\"{}\"/>",
            esc(k),
            esc(v)
        );
    }
    o.push_str("    </properties>\n");
    for c in &s.cases {
        let class = format!("regress.design-{:04}", s.design);
        match &c.failure {
            None => {
                let _ = writeln!(
                    o,
                    "    <testcase classname=\"{class}\" name=\"{}\"/>",
                    esc(&c.name)
                );
            }
            Some(msg) => {
                let first = msg.lines().next().unwrap_or("");
                let _ = writeln!(
                    o,
                    "    <testcase classname=\"{class}\" name=\"{}\">\n      <failure message=\"{}\">{}</failure>\n    </testcase>",
                    esc(&c.name),
                    esc(first),
                    esc(msg)
                );
            }
        }
    }
    o.push_str("  </testsuite>\n");
    o
}

fn document(h: &Header, blocks: &[(usize, String, usize, usize)]) -> String {
    let tests: usize = blocks.iter().map(|b| b.2).sum();
    let fails: usize = blocks.iter().map(|b| b.3).sum();
    let mut o = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    let _ = writeln!(
        o,
        "<testsuites name=\"{}\" designs=\"{}\" tests=\"{tests}\" failures=\"{fails}\">",
        esc(&h.name),
        h.designs
    );
    for b in blocks {
        o.push_str(&b.1);
    }
    o.push_str("</testsuites>\n");
    o
}

/// The JUnit document of `suites` (sorted by design) for regression `h`.
pub fn write(h: &Header, suites: &[Suite]) -> String {
    let mut blocks: Vec<(usize, String, usize, usize)> = suites
        .iter()
        .map(|s| {
            (
                s.design,
                suite_block(s),
                s.cases.len(),
                s.cases.iter().filter(|c| c.failure.is_some()).count(),
            )
        })
        .collect();
    blocks.sort_by_key(|b| b.0);
    document(h, &blocks)
}

fn attr(line: &str, key: &str) -> Option<String> {
    let pat = format!("{key}=\"");
    let i = line.find(&pat)? + pat.len();
    let j = line[i..].find('"')? + i;
    Some(unesc(&line[i..j]))
}

/// Merge shard files (`(name, text)`) into the document of the whole regression.
pub fn merge(files: &[(String, String)]) -> Result<String> {
    let mut header: Option<Header> = None;
    let mut blocks: Vec<(usize, String, usize, usize)> = Vec::new();
    for (name, text) in files {
        let mut lines = text.lines();
        let (first, root) = (lines.next(), lines.next());
        if first != Some("<?xml version=\"1.0\" encoding=\"UTF-8\"?>")
            || !root.is_some_and(|r| r.starts_with("<testsuites "))
        {
            bail!("{name}: not a `qforge regress --junit` file");
        }
        let root = root.expect("checked");
        let h = Header {
            name: attr(root, "name")
                .ok_or_else(|| anyhow!("{name}: <testsuites> without a name"))?,
            designs: attr(root, "designs")
                .and_then(|d| d.parse().ok())
                .ok_or_else(|| anyhow!("{name}: <testsuites> without designs"))?,
        };
        match &header {
            None => header = Some(h),
            Some(h0) if *h0 != h => bail!(
                "{name}: belongs to another regression ({:?}, {} designs) than the first file ({:?}, {} designs)",
                h.name,
                h.designs,
                h0.name,
                h0.designs
            ),
            Some(_) => {}
        }
        let mut cur: Option<(usize, String, usize, usize)> = None;
        for l in lines {
            if l.starts_with("  <testsuite ") {
                let design = attr(l, "name")
                    .and_then(|n| n.strip_prefix("design-").and_then(|d| d.parse().ok()))
                    .ok_or_else(|| anyhow!("{name}: bad <testsuite> line {l:?}"))?;
                let num = |k: &str| {
                    attr(l, k)
                        .and_then(|v| v.parse().ok())
                        .ok_or_else(|| anyhow!("{name}: <testsuite> without {k}"))
                };
                cur = Some((design, String::new(), num("tests")?, num("failures")?));
            }
            if let Some(c) = cur.as_mut() {
                c.1.push_str(l);
                c.1.push('\n');
            }
            if l == "  </testsuite>" {
                blocks.push(
                    cur.take()
                        .ok_or_else(|| anyhow!("{name}: unbalanced </testsuite>"))?,
                );
            }
        }
        if cur.is_some() {
            bail!("{name}: truncated (a <testsuite> is not closed)");
        }
        if !text.ends_with("</testsuites>\n") {
            bail!("{name}: truncated (no </testsuites>)");
        }
    }
    let h = header.ok_or_else(|| anyhow!("--merge: no files"))?;
    blocks.sort_by_key(|b| b.0);
    for w in blocks.windows(2) {
        if w[0].0 == w[1].0 {
            bail!("--merge: design {} is in more than one file", w[0].0);
        }
    }
    let have: Vec<usize> = blocks.iter().map(|b| b.0).collect();
    let missing: Vec<usize> = (0..h.designs)
        .filter(|d| have.binary_search(d).is_err())
        .collect();
    if !missing.is_empty() {
        bail!(
            "--merge: designs {missing:?} of {} are in no file (a shard missing?)",
            h.designs
        );
    }
    if let Some(b) = blocks.iter().find(|b| b.0 >= h.designs) {
        bail!(
            "--merge: design {} is outside the regression's {} designs",
            b.0,
            h.designs
        );
    }
    Ok(document(&h, &blocks))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn suite(d: usize, fail: bool) -> Suite {
        Suite {
            design: d,
            props: vec![("seed".into(), format!("{d}"))],
            cases: vec![
                Case {
                    name: "job-00 model".into(),
                    failure: None,
                },
                Case {
                    name: "job-00 verilator".into(),
                    failure: fail.then(|| "cycle 3: \"x\" < y & z\nmore".into()),
                },
            ],
        }
    }

    #[test]
    fn shards_merge_to_the_whole() {
        let h = Header {
            name: "qforge regress seed=1".into(),
            designs: 3,
        };
        let all: Vec<Suite> = (0..3).map(|d| suite(d, d == 1)).collect();
        let whole = write(&h, &all);
        let a = write(&h, &[all[2].clone(), all[0].clone()]);
        let b = write(&h, &[all[1].clone()]);
        let merged = merge(&[("a".into(), a.clone()), ("b".into(), b.clone())]).unwrap();
        assert_eq!(merged, whole);
        assert!(whole.contains("failures=\"1\""));
        assert!(whole.contains("&quot;x&quot; &lt; y &amp; z"));
        // A missing shard, a duplicate, another regression, a truncated file.
        assert!(merge(&[("a".into(), a.clone())])
            .unwrap_err()
            .to_string()
            .contains("[1]"));
        assert!(merge(&[
            ("a".into(), a.clone()),
            ("a2".into(), a.clone()),
            ("b".into(), b.clone())
        ])
        .unwrap_err()
        .to_string()
        .contains("more than one"));
        let other = write(
            &Header {
                name: "qforge regress seed=2".into(),
                designs: 3,
            },
            &[all[1].clone()],
        );
        assert!(merge(&[("a".into(), a.clone()), ("o".into(), other)])
            .unwrap_err()
            .to_string()
            .contains("another regression"));
        let cut = &b[..b.len() - 20];
        assert!(merge(&[("a".into(), a), ("b".into(), cut.into())])
            .unwrap_err()
            .to_string()
            .contains("truncated"));
    }
}
