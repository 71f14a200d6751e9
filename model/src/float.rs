//! The float evaluator.
