//! Workloads at size (issue 17): random data of N points in d dimensions, coordinates
//! uniform in [-1, 1] rounded to 3 decimals, labels +-1, from a fixed generator (so the
//! data are the same on every machine and need no file).
//!
//! - `e: scale N=d=100`: the exact separability check, `solve`'s exact l2 and l1 with
//!   their certificates checked, and the flow to gt = 10^4 at 30 verified digits.
//! - `f: scale N=50 d=1000`: separability, exact l2 and l1 with certificates.
//! - `g: growth`: the same references for N = d = 10, 20, 40, 80, 160 and the flow to
//!   gt = 10^3 (192 bits, tolerance 1e-30, unverified): the README's growth table (about
//!   five minutes, most of it the flow at N = d = 160).

use crate::flow::{default_stages, run_verified, Numerics, StopRule};
use crate::num::exact::parse_rational;
use rug::Rational;
use std::time::Instant;

pub const SCALE_100: &str = "e: scale N=d=100";
pub const SCALE_50X1000: &str = "f: scale N=50 d=1000";
pub const GROWTH: &str = "g: growth N=d=10..160";

/// The rows z_n = y_n x_n of N random points in d dimensions (seeded 64-bit LCG;
/// Knuth's MMIX constants).
pub fn random_z(n: usize, d: usize, seed: u64) -> Vec<Vec<Rational>> {
    let mut s = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    let mut next = move || {
        s = s
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        s >> 33
    };
    (0..n)
        .map(|_| {
            let x: Vec<i64> = (0..d).map(|_| (next() % 2001) as i64 - 1000).collect();
            let y = if next() % 2 == 0 { 1 } else { -1 };
            x.into_iter()
                .map(|k| Rational::from((y * k, 1000)))
                .collect()
        })
        .collect()
}

/// Wall seconds of the exact references: (separability, l2 with its certificate
/// checked, l1 with its face and certificate checked).
fn references(z: &[Vec<Rational>]) -> Result<(f64, f64, f64), String> {
    use crate::lp::{separability, verify_separability, Separability};
    use crate::reference::{l1, l2};
    let t = Instant::now();
    let sep = separability(z);
    verify_separability(z, &sep)?;
    let t_sep = t.elapsed().as_secs_f64();
    if !matches!(sep, Separability::Separable { .. }) {
        return Err("the random data are not separable".into());
    }
    let t = Instant::now();
    let s2 = l2::l2_max_margin(z).map_err(|e| e.to_string())?;
    l2::verify_l2(z, &s2)?;
    let t_l2 = t.elapsed().as_secs_f64();
    let t = Instant::now();
    let s1 = l1::l1_max_margin(z).map_err(|e| e.to_string())?;
    l1::verify_l1(z, &s1)?;
    let t_l1 = t.elapsed().as_secs_f64();
    Ok((t_sep, t_l2, t_l1))
}

/// The flow of `z` at D = 2, alpha = 1 to `gt` at 192 bits and tolerance 1e-30:
/// (main wall, verification wall, verified digits, accepted steps, RHS evaluations).
fn flow(z: &[Vec<Rational>], gt: &str, verify: bool) -> Result<String, String> {
    let tol = parse_rational("1e-30")?;
    let numerics = Numerics {
        prec: 192,
        stages: default_stages(&tol),
        tol,
    };
    let v = run_verified(
        z,
        2,
        &Rational::from(1),
        &StopRule::Gt(parse_rational(gt)?),
        &numerics,
        &[],
        verify,
        |_, _| {},
    )
    .map_err(|e| e.to_string())?;
    let check = v.check.as_ref().map_or(0.0, |c| c.wall.as_secs_f64());
    Ok(format!(
        "flow to gt={gt}: {:.2} s main{} ({} steps, {} RHS evaluations, {} stages){}",
        v.main.wall.as_secs_f64(),
        if verify {
            format!(
                " + {check:.2} s verification: {:.2} s elapsed",
                v.elapsed.unwrap_or_default().as_secs_f64()
            )
        } else {
            String::new()
        },
        v.main.stats.accepted,
        v.main.stats.rhs_evals,
        numerics.stages,
        v.digits.map_or(" unverified".to_string(), |d| format!(
            ", {d} verified digits"
        ))
    ))
}

pub fn scale_100() -> Result<(), String> {
    let z = random_z(100, 100, 1);
    let (sep, l2, l1) = references(&z)?;
    println!("{SCALE_100} (random, 3 decimals, D = 2, alpha = 1)");
    println!(
        "  separability {sep:.3} s; solve: l2 {l2:.3} s + l1 {l1:.3} s = {:.3} s (certificates checked)",
        l2 + l1
    );
    println!("  {}", flow(&z, "10000", true)?);
    Ok(())
}

pub fn scale_50x1000() -> Result<(), String> {
    let z = random_z(50, 1000, 1);
    let (sep, l2, l1) = references(&z)?;
    println!("{SCALE_50X1000} (random, 3 decimals)");
    println!(
        "  separability {sep:.3} s; l2 {l2:.3} s; l1 {l1:.3} s; l2 + l1 {:.3} s (certificates checked)",
        l2 + l1
    );
    Ok(())
}

pub fn growth() -> Result<(), String> {
    println!(
        "{GROWTH} (random, 3 decimals; flow: D = 2, alpha = 1, 192 bits, tol 1e-30, unverified)"
    );
    println!(
        "  {:>4} {:>5} {:>14} {:>9} {:>9}  flow",
        "N", "d", "separability", "l2", "l1"
    );
    for n in [10usize, 20, 40, 80, 160] {
        let z = random_z(n, n, 1);
        let (sep, l2, l1) = references(&z)?;
        let fl = flow(&z, "1000", false)?;
        println!("  {n:>4} {n:>5} {sep:>12.3} s {l2:>7.3} s {l1:>7.3} s  {fl}");
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn random_data_are_fixed_and_in_range() {
        let z = random_z(3, 4, 1);
        assert_eq!(z, random_z(3, 4, 1));
        assert_ne!(z, random_z(3, 4, 2));
        let one = Rational::from(1);
        for row in &z {
            assert_eq!(row.len(), 4);
            for v in row {
                assert!(Rational::from(v.abs_ref()) <= one);
                assert_eq!(Rational::from(v * 1000u32).denom(), &1u32);
            }
        }
    }
}
