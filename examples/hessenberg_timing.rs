//! Cost of factoring the Newton blocks of an s-stage Radau step densely (one LU per
//! eigenvalue block) against one Hessenberg reduction plus O(n^2) block factorizations,
//! and of one solve per block: `cargo run --release --example hessenberg_timing`.
//! Measures where `ode::radau::options::HESSENBERG_MIN_DIM` pays.

use ibcert::num::hessenberg::{HessLu, Hessenberg};
use ibcert::num::linalg::Lu;
use rug::{Complex, Float};
use std::time::Instant;

fn matrix(n: usize, prec: u32) -> Vec<Float> {
    let mut s = 12345u64;
    (0..n * n)
        .map(|_| {
            s = s
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            Float::with_val(prec, ((s >> 33) % 2001) as i32 - 1000) / 1000u32
        })
        .collect()
}

fn shifted(m: &[Float], n: usize, prec: u32) -> Vec<Complex> {
    let mut c: Vec<Complex> = m.iter().map(|x| Complex::with_val(prec, -x)).collect();
    for i in 0..n {
        c[i * n + i] += Complex::with_val(prec, (3, 2));
    }
    c
}

fn main() {
    let prec = 192;
    let pairs = 9; // 18 stages
    println!("n, dense factor+solve [ms], hessenberg reduce+factor+solve [ms] ({pairs} complex blocks, {prec} bits, one thread)");
    for n in [3usize, 5, 8, 12, 20, 40, 80] {
        let a = matrix(n, prec);
        let b: Vec<Complex> = (0..n).map(|i| Complex::with_val(prec, (i, 1))).collect();
        let reps = (2000 / (n * n)).max(1);
        let t = Instant::now();
        for _ in 0..reps {
            for _ in 0..pairs {
                let lu = Lu::factor(shifted(&a, n, prec), n).unwrap();
                let mut x = b.clone();
                lu.solve(&mut x);
            }
        }
        let dense = t.elapsed().as_secs_f64() * 1e3 / reps as f64;
        let t = Instant::now();
        for _ in 0..reps {
            let h = Hessenberg::reduce(a.clone(), n);
            for _ in 0..pairs {
                let lu = HessLu::factor(shifted(h.h(), n, prec), n).unwrap();
                let (mut re, mut im): (Vec<Float>, Vec<Float>) =
                    b.iter().map(|c| c.clone().into_real_imag()).unzip();
                h.apply_qt(&mut re);
                h.apply_qt(&mut im);
                let mut x: Vec<Complex> = re
                    .into_iter()
                    .zip(im)
                    .map(|(r, i)| Complex::with_val(prec, (r, i)))
                    .collect();
                lu.solve(&mut x);
                let (mut re, mut im): (Vec<Float>, Vec<Float>) =
                    x.into_iter().map(|c| c.into_real_imag()).unzip();
                h.apply_q(&mut re);
                h.apply_q(&mut im);
            }
        }
        let hess = t.elapsed().as_secs_f64() * 1e3 / reps as f64;
        println!("{n}, {dense:.3}, {hess:.3}");
    }
}
