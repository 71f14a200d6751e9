//! Input mutation for `qforge fuzz`: byte-level (flip, insert, delete, duplicate a chunk,
//! truncate, splice from another seed) and token-level for text formats (a number replaced by
//! an extreme value, a string or key by a near miss, a bracket dropped), seeded and
//! deterministic, so a failing case is reproduced from its seed.

use rand::Rng;

/// Numbers that probe ranges, overflow and parsing.
const EXTREMES: [&str; 16] = [
    "0",
    "-1",
    "1",
    "2",
    "255",
    "256",
    "65535",
    "4294967295",
    "4294967296",
    "18446744073709551616",
    "-9223372036854775809",
    "1e300",
    "-1e300",
    "1e-320",
    "nan",
    "0.5",
];

/// Replacement tokens for strings and keys.
const WORDS: [&str; 10] = [
    "\"\"",
    "\"conv\"",
    "\"Conv\"",
    "\"gemm\"",
    "\"stide\"",
    "\"n2uq\"",
    "null",
    "true",
    "[]",
    "{}",
];

/// One random mutation of `data`; `other` is another seed to splice from.
pub fn mutate(data: &[u8], other: &[u8], text: bool, rng: &mut impl Rng) -> Vec<u8> {
    let mut v = data.to_vec();
    let rounds = rng.gen_range(1..=4);
    for _ in 0..rounds {
        let kind = rng.gen_range(0..if text { 10 } else { 7 });
        let n = v.len();
        match kind {
            0 if n > 0 => {
                let i = rng.gen_range(0..n);
                v[i] ^= 1 << rng.gen_range(0..8);
            }
            1 => {
                let i = rng.gen_range(0..=n);
                v.insert(i, rng.gen());
            }
            2 if n > 0 => {
                let i = rng.gen_range(0..n);
                let len = rng.gen_range(1..=(n - i).min(16));
                v.drain(i..i + len);
            }
            3 if n > 0 => {
                let i = rng.gen_range(0..n);
                let len = rng.gen_range(1..=(n - i).min(64));
                let chunk = v[i..i + len].to_vec();
                let at = rng.gen_range(0..=n);
                v.splice(at..at, chunk);
            }
            4 if n > 0 => v.truncate(rng.gen_range(0..n)),
            5 if !other.is_empty() && n > 0 => {
                let (i, j) = (rng.gen_range(0..n), rng.gen_range(0..other.len()));
                let len = rng.gen_range(1..=(other.len() - j).min(128));
                v.splice(i..i, other[j..j + len].iter().copied());
            }
            6 if n > 0 => {
                let i = rng.gen_range(0..n);
                v[i] = [0u8, 0xff, 0x7f, 0x80][rng.gen_range(0..4)];
            }
            7 => replace_token(
                &mut v,
                rng,
                |c| c.is_ascii_digit() || c == b'.' || c == b'-',
                &EXTREMES,
            ),
            8 => replace_token(&mut v, rng, |c| c == b'"', &WORDS),
            _ if n > 0 => {
                // Drop or double a structural character.
                let idx: Vec<usize> = (0..n).filter(|&i| b"{}[],:=".contains(&v[i])).collect();
                if let Some(&i) = idx.get(rng.gen_range(0..idx.len().max(1))) {
                    if rng.gen_bool(0.5) {
                        v.remove(i);
                    } else {
                        let c = v[i];
                        v.insert(i, c);
                    }
                }
            }
            _ => {}
        }
    }
    v
}

/// Replace a random run of bytes matching `class` (a number, or a quoted string starting at a
/// quote) with one of `words`.
fn replace_token(v: &mut Vec<u8>, rng: &mut impl Rng, class: impl Fn(u8) -> bool, words: &[&str]) {
    let starts: Vec<usize> = (0..v.len())
        .filter(|&i| class(v[i]) && (i == 0 || !class(v[i - 1])))
        .collect();
    if starts.is_empty() {
        return;
    }
    let s = starts[rng.gen_range(0..starts.len())];
    let mut e = s + 1;
    if v[s] == b'"' {
        while e < v.len() && v[e] != b'"' {
            e += 1;
        }
        e = (e + 1).min(v.len());
    } else {
        while e < v.len() && class(v[e]) {
            e += 1;
        }
    }
    let w = words[rng.gen_range(0..words.len())].as_bytes();
    v.splice(s..e, w.iter().copied());
}
