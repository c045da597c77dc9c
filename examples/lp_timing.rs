//! Wall time of the exact separability LP and the l1 max-margin LP on a case file:
//! `cargo run --release --example lp_timing -- CASE.toml...`.

use ibcert::case::Case;
use ibcert::lp::{separability, verify_separability, Separability};
use std::time::Instant;

fn main() {
    for path in std::env::args().skip(1) {
        let case = Case::load(std::path::Path::new(&path)).expect("case");
        let z = case.z();
        let t = Instant::now();
        let sep = separability(&z);
        let dt = t.elapsed().as_secs_f64();
        verify_separability(&z, &sep).expect("certificate");
        let kind = match sep {
            Separability::Separable { .. } => "separable",
            Separability::NotSeparable { .. } => "not separable",
        };
        println!("{path}: separability {dt:.4} s ({kind})");
        if kind != "separable" {
            continue;
        }
        let t = Instant::now();
        let (w, lambda) = ibcert::lp::l1_max_margin(&z).expect("l1 LP");
        let dt = t.elapsed().as_secs_f64();
        ibcert::lp::verify_l1_max_margin(&z, &w, &lambda).expect("verify");
        println!("{path}: l1 LP (lp::l1_max_margin) {dt:.4} s");
        let t = Instant::now();
        let s1 = ibcert::reference::l1::l1_max_margin(&z).expect("l1");
        let dt = t.elapsed().as_secs_f64();
        ibcert::reference::l1::verify_l1(&z, &s1).expect("verify_l1");
        println!(
            "{path}: l1 max-margin {dt:.4} s (unique face: {})",
            s1.face.unique
        );
        let t = Instant::now();
        let s2 = ibcert::reference::l2::l2_max_margin(&z).expect("l2");
        let dt = t.elapsed().as_secs_f64();
        println!(
            "{path}: l2 max-margin {dt:.4} s ({} support vectors)",
            s2.active.len()
        );
    }
}
