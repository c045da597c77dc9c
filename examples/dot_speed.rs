//! Times num::dot against the sequential MPFR product-and-sum it replaces.
use ibcert::num::dot::dot;
use rug::{Assign, Float};
use std::time::Instant;

fn main() {
    for &(prec, n) in &[
        (64u32, 100usize),
        (64, 20),
        (64, 7),
        (128, 100),
        (192, 100),
        (256, 100),
        (192, 18),
        (256, 3),
    ] {
        let a: Vec<Float> = (0..n)
            .map(|i| Float::with_val(prec, i as u32 + 1).sqrt() - 3u32)
            .collect();
        let b: Vec<Float> = (0..n)
            .map(|i| Float::with_val(prec, 2 * i as u32 + 5).ln())
            .collect();
        let reps = 2_000_000 / n;
        let mut s = Float::new(prec);
        let mut t = Float::new(prec);
        let t0 = Instant::now();
        for _ in 0..reps {
            s.assign(0);
            for (x, y) in a.iter().zip(&b) {
                t.assign(x * y);
                s += &t;
            }
        }
        let seq = t0.elapsed().as_secs_f64() / (reps * n) as f64 * 1e9;
        let mut o = Float::new(prec);
        let t0 = Instant::now();
        for _ in 0..reps {
            dot(&mut o, &a, &b);
        }
        let fast = t0.elapsed().as_secs_f64() / (reps * n) as f64 * 1e9;
        println!("prec {prec:4} n {n:4}: sequential {seq:6.1} ns/term, dot {fast:6.1} ns/term, x{:.2}; diff {}", seq / fast, Float::with_val(prec, &s - &o).to_f64());
    }
}
