//! Fuzz target: arbitrary bytes -> UTF-8 -> `Case::from_toml_str`.
//!
//! Property: never panics, hangs or allocates without bound; a rejection is
//! an error whose message starts with the origin and, for a valid TOML
//! document that is not a valid case, names a field.
#![no_main]

use ibcert::case::{Case, CaseError};
use libfuzzer_sys::fuzz_target;

const ORIGIN: &str = "fuzz.toml";

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    match Case::from_toml_str(text, ORIGIN) {
        Ok(case) => {
            // A valid case is internally consistent.
            assert!(case.n_points() >= 1 && case.dim() >= 1);
            assert_eq!(case.labels.len(), case.n_points());
            assert!(case.points.iter().all(|p| p.len() == case.dim()));
            assert!(case.depth >= 2);
            let _ = case.z();
        }
        Err(e) => {
            let msg = e.to_string();
            assert!(msg.starts_with(&format!("{ORIGIN}: ")), "{msg}");
            if let CaseError::Invalid { field, reason, .. } = &e {
                assert!(!field.is_empty(), "no field in: {msg}");
                assert!(!reason.is_empty(), "no reason in: {msg}");
            }
        }
    }
});
