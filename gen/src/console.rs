//! Standard output that never panics: [`out!`] and [`outln!`] write to the locked stdout and
//! return a [`StdoutError`] through `?` on failure. `main` ([`exit_status`]) ends a run whose
//! stdout was closed (EPIPE, e.g. `qforge ... | head`) quietly with status 141 (128 + SIGPIPE,
//! what a shell reports for a process killed by SIGPIPE) and reports any other stdout error
//! (e.g. ENOSPC on `> /dev/full`) as `qforge: error: stdout: ...` with status 1. The error
//! message goes to stderr without panicking when stderr itself is closed or full.

use std::io::Write as _;

/// A failed write to stdout.
#[derive(Debug)]
pub struct StdoutError(pub std::io::Error);

impl std::fmt::Display for StdoutError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "stdout: {}", self.0)
    }
}

impl std::error::Error for StdoutError {}

/// Write `args` to stdout.
pub fn write(args: std::fmt::Arguments) -> Result<(), StdoutError> {
    std::io::stdout()
        .lock()
        .write_fmt(args)
        .map_err(StdoutError)
}

/// Flush stdout (at the end of a run).
pub fn flush() -> Result<(), StdoutError> {
    std::io::stdout().lock().flush().map_err(StdoutError)
}

/// `print!` to stdout; `?` on a write error (the enclosing function returns `anyhow::Result`).
macro_rules! out {
    ($($t:tt)*) => {
        $crate::console::write(format_args!($($t)*))?
    };
}

/// `println!` to stdout; `?` on a write error (the enclosing function returns `anyhow::Result`).
macro_rules! outln {
    () => {
        $crate::console::write(format_args!("\n"))?
    };
    ($($t:tt)*) => {
        $crate::console::write(format_args!("{}\n", format_args!($($t)*)))?
    };
}

pub(crate) use {out, outln};

/// The exit status of a failed run, printing its message (none for a closed stdout).
pub fn exit_status(e: &anyhow::Error) -> i32 {
    let stdout = e.chain().find_map(|c| c.downcast_ref::<StdoutError>());
    match stdout {
        Some(s) if s.0.kind() == std::io::ErrorKind::BrokenPipe => 141,
        _ => {
            // Not `eprintln!`, which panics when stderr is closed (`2>&-`) or full.
            let _ = writeln!(std::io::stderr().lock(), "qforge: error: {e:#}");
            1
        }
    }
}
