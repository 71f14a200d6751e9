//! Which subcommand takes which engine flag: one table, applied to the command line before it
//! is parsed ([`restrict`]). Every subcommand with engine flags flattens the same
//! [`super::EngineFlags`]; a flag that a subcommand has no use for is hidden from its help and
//! refused by clap (exit status 2, the flag and the reason named), never silently ignored.

use clap::Command;

/// The model's levels fix the product width wherever a model or design is lowered.
const MODEL_PROD: &str =
    "a model's levels fix the LUT product width (the flag is for network reports only)";
/// `report compare` sweeps its own configurations.
const COMPARE: &str = "report compare sweeps its own configurations (engine, array, bits and product width of each); it takes --clock-mhz and --first-last-bits";

/// Flags refused: (subcommand path, flag ids, why).
const REFUSED: &[(&[&str], &[&str], &str)] = &[
    (&["run"], &["prod_bits"], MODEL_PROD),
    (&["generate"], &["prod_bits"], MODEL_PROD),
    (&["verify"], &["prod_bits"], MODEL_PROD),
    (
        &["report", "compare"],
        &["engine", "array", "prod_bits", "bits", "config", "target"],
        COMPARE,
    ),
];

/// Flags that need `--model` (a design config sets its engine in `[engine]`).
const MODEL_ONLY: &[(&[&str], &[&str])] = &[
    (&["generate"], &["engine", "array", "clock_mhz", "target"]),
    (&["verify"], &["engine", "array", "clock_mhz", "target"]),
];

/// Flags that conflict: (subcommand path, flag, the flags it cannot be given with).
const CONFLICTS: &[(&[&str], &str, &[&str])] = &[
    // A design config sets its engine in `[engine]` (and clap takes a `--config` that
    // conflicts with `--model` as meeting `requires("model")`, so this is needed too).
    (
        &["generate"],
        "config",
        &["engine", "array", "clock_mhz", "target"],
    ),
    (
        &["verify"],
        "config",
        &["engine", "array", "clock_mhz", "target"],
    ),
    // `--config` sets the engine, array, clock, product width and bits itself.
    (
        &["report", "memory"],
        "config",
        &[
            "engine",
            "array",
            "clock_mhz",
            "prod_bits",
            "bits",
            "target",
        ],
    ),
    (
        &["report", "time"],
        "config",
        &[
            "engine",
            "array",
            "clock_mhz",
            "prod_bits",
            "bits",
            "target",
        ],
    ),
    (
        &["report", "resources"],
        "config",
        &[
            "engine",
            "array",
            "clock_mhz",
            "prod_bits",
            "bits",
            "target",
        ],
    ),
    // A model's levels fix the product width.
    (&["report", "memory"], "model", &["prod_bits"]),
    (&["report", "time"], "model", &["prod_bits"]),
    (&["report", "resources"], "model", &["prod_bits"]),
];

fn at(cmd: Command, path: &[&str], f: &dyn Fn(Command) -> Command) -> Command {
    match path {
        [] => f(cmd),
        [first, rest @ ..] => cmd.mut_subcommand(*first, |c| at(c, rest, f)),
    }
}

/// Apply the table to `qforge`'s command (panics on a flag or subcommand it does not have,
/// which the tests catch). A refused flag must have no default value: clap would parse the
/// default and refuse it too (tested).
pub fn restrict(mut cmd: Command) -> Command {
    for &(path, flags, why) in REFUSED {
        cmd = at(cmd, path, &|mut c| {
            for &f in flags {
                c = c.mut_arg(f, |a| {
                    a.hide(true)
                        .value_parser(move |_: &str| Err::<String, String>(why.to_string()))
                });
            }
            c
        });
    }
    for &(path, flags) in MODEL_ONLY {
        cmd = at(cmd, path, &|mut c| {
            for &f in flags {
                c = c.mut_arg(f, |a| {
                    a.requires("model")
                        .help_heading("Engine (with --model; a design config has [engine])")
                });
            }
            c
        });
    }
    for &(path, flag, with) in CONFLICTS {
        cmd = at(cmd, path, &|c| {
            c.mut_arg(flag, |a| a.conflicts_with_all(with.iter().copied()))
        });
    }
    cmd
}
