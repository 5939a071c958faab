//! Empty: this package is its test, `tests/differential.rs`.
