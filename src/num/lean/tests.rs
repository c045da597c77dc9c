//! Tests of the one-limb linear algebra against MPFR and MPC.
use super::*;
use crate::num::hessenberg::{HessLu, Hessenberg};
use crate::num::linalg::Lu;

use crate::num::testing::xorshift as next;

/// A 64-bit float with a random mantissa and an exponent in [-espan, espan]; one in
/// `zeros` is zero.
fn rnd(state: &mut u64, espan: i64, zeros: u64) -> Float {
    let m = next(state);
    if zeros > 0 && m.is_multiple_of(zeros) {
        return Float::new(64);
    }
    let e = (next(state) % (2 * espan as u64 + 1)) as i64 - espan;
    let f = Float::with_val(64, m | 1 << 63) >> (64 - e as i32);
    if next(state).is_multiple_of(2) {
        -f
    } else {
        f
    }
}

fn same(a: &Float, b: &Float) -> bool {
    (a.is_zero() && b.is_zero()) || a == b
}

fn to_complex(c: C64) -> Complex {
    c.to_complex().expect("in range")
}

/// The product and difference are MPC's, bit for bit, on random operands with
/// zero parts, wide exponent spreads and cancelling pairs.
#[test]
fn product_and_difference_are_mpcs() {
    let mut st = 0x3c6ef372fe94f82bu64;
    for round in 0..20000u64 {
        let espan = [0i64, 3, 70, 200][round as usize % 4];
        let mut c = || Complex::with_val(64, (rnd(&mut st, espan, 7), rnd(&mut st, espan, 7)));
        let (x, y) = (c(), c());
        let y = if round % 11 == 0 { x.clone() } else { y };
        let (lx, ly) = (
            C64::from_complex(&x).unwrap(),
            C64::from_complex(&y).unwrap(),
        );
        let p = to_complex(cmul(lx, ly).unwrap());
        let want = Complex::with_val(64, &x * &y);
        assert!(
            same(p.real(), want.real()) && same(p.imag(), want.imag()),
            "{x} * {y}"
        );
        let d = to_complex(csub(lx, ly).unwrap());
        let want = Complex::with_val(64, &x - &y);
        assert!(
            same(d.real(), want.real()) && same(d.imag(), want.imag()),
            "{x} - {y}"
        );
    }
}

fn random_matrix(st: &mut u64, n: usize, hessenberg: bool) -> Vec<Complex> {
    (0..n * n)
        .map(|k| {
            let (i, j) = (k / n, k % n);
            if hessenberg && i > j + 1 {
                return Complex::new(64);
            }
            let mut z = Complex::with_val(64, (rnd(st, 4, 13), rnd(st, 4, 13)));
            if i == j {
                // a shift, as in d I - H
                z += Complex::with_val(64, (Float::with_val(64, 3), Float::with_val(64, -2)));
            }
            z
        })
        .collect()
}

/// Dense (n = 1 to 7) and Hessenberg (n = 2 to 16) complex solves give the MPC
/// solves' results bit for bit, with row exchanges and zero entries.
#[test]
fn solves_are_the_mpc_solves_bit_for_bit() {
    let mut st = 0x510e527fade682d1u64;
    for round in 0..300usize {
        let hess = round % 2 == 1;
        let n = if hess { 2 + round % 15 } else { 1 + round % 7 };
        let a = random_matrix(&mut st, n, hess);
        let b: Vec<Complex> = (0..n)
            .map(|_| Complex::with_val(64, (rnd(&mut st, 30, 9), rnd(&mut st, 30, 9))))
            .collect();
        let mut want = b.clone();
        let lean = if hess {
            let Some(lu) = HessLu::factor(a, n) else {
                continue;
            };
            lu.solve(&mut want);
            lu.lean()
        } else {
            let Some(lu) = Lu::factor(a, n) else { continue };
            lu.solve(&mut want);
            lu.lean()
        }
        .expect("64-bit entries");
        let mut got: Vec<C64> = b.iter().map(|z| C64::from_complex(z).unwrap()).collect();
        lean.solve(&mut got).expect("in range");
        for (g, w) in got.into_iter().zip(&want) {
            let g = to_complex(g);
            assert!(
                same(g.real(), w.real()) && same(g.imag(), w.imag()),
                "n {n}, hessenberg {hess}: {g} vs {w}"
            );
        }
    }
}

/// The factorizations on plain integers are the MPC factorizations bit for bit
/// (dense n = 1 to 7 and Hessenberg n = 2 to 16, with row exchanges, zero entries
/// and wide exponents), their smallest pivots the MPC ones', and their MPC forms
/// (the fallback's) solve as the MPC factorizations do. Mutation that fails it: a
/// pivot magnitude of max(|re|, |im|) instead of |re| + |im|.
#[test]
fn integer_factorizations_are_the_mpc_ones() {
    let mut st = 0x1f83d9abfb41bd6bu64;
    let mut exchanges = 0;
    for round in 0..600usize {
        let hess = round % 2 == 1;
        let n = if hess { 2 + round % 15 } else { 1 + round % 7 };
        let a = random_matrix(&mut st, n, hess);
        let la: Vec<C64> = a.iter().map(|z| C64::from_complex(z).unwrap()).collect();
        let b: Vec<Complex> = (0..n)
            .map(|_| Complex::with_val(64, (rnd(&mut st, 30, 9), rnd(&mut st, 30, 9))))
            .collect();
        let mut want = b.clone();
        let (lean, mpc_min, got_lu) = if hess {
            let Some(lu) = HessLu::factor(a, n) else {
                assert!(LeanLu::factor_hessenberg(la, n).is_none());
                continue;
            };
            lu.solve(&mut want);
            let got = LeanLu::factor_hessenberg(la, n).expect("in range");
            let back = HessLu::from_lean(&got).expect("a Hessenberg LU");
            let mut x = b.clone();
            back.solve(&mut x);
            (lu.lean().unwrap(), lu.min_pivot(), (got, x))
        } else {
            let Some(lu) = Lu::factor(a, n) else {
                assert!(LeanLu::factor_dense(la, n).is_none());
                continue;
            };
            lu.solve(&mut want);
            let got = LeanLu::factor_dense(la, n).expect("in range");
            let back = Lu::from_lean(&got).expect("a dense LU");
            let mut x = b.clone();
            back.solve(&mut x);
            (lu.lean().unwrap(), lu.min_pivot(), (got, x))
        };
        let (got, x) = got_lu;
        assert_eq!(got.lu, lean.lu, "n {n}, hessenberg {hess}");
        assert_eq!(got.pdiv, lean.pdiv, "n {n}, hessenberg {hess}");
        match (&got.pivots, &lean.pivots) {
            (Pivots::Dense(a), Pivots::Dense(b)) => {
                assert_eq!(a, b);
                exchanges += a.iter().enumerate().filter(|(k, p)| k != *p).count();
            }
            (Pivots::Hessenberg(a), Pivots::Hessenberg(b)) => {
                assert_eq!(a, b);
                exchanges += a.iter().filter(|s| **s).count();
            }
            _ => panic!("the pivots' kind"),
        }
        assert!(same(&got.min_pivot().unwrap(), &mpc_min));
        for (g, w) in x.iter().zip(&want) {
            assert!(same(g.real(), w.real()) && same(g.imag(), w.imag()));
        }
    }
    assert!(exchanges > 200, "{exchanges} row exchanges");
}

/// d I - M built from a real matrix of more than one limb and a 64-bit shift, and
/// factored, as the Newton matrices' MPC path builds and factors it.
#[test]
fn shifted_factorizations_are_the_mpc_ones() {
    let mut st = 0x5be0cd19137e2179u64;
    for round in 0..200usize {
        let hess = round % 2 == 1;
        let n = 1 + round % 12;
        let m: Vec<Float> = (0..n * n)
            .map(|k| {
                if hess && k / n > k % n + 1 {
                    Float::new(192)
                } else {
                    rnd_wide(&mut st, 192, 4)
                }
            })
            .collect();
        let dr = rnd(&mut st, 3, 0);
        let di = rnd(&mut st, 3, 0);
        let mut a: Vec<Complex> = m.iter().map(|x| Complex::with_val(64, -x)).collect();
        for i in 0..n {
            a[i * n + i] += Complex::with_val(64, (&dr, &di));
        }
        let want = if hess {
            HessLu::factor(a, n).map(|lu| lu.lean().unwrap())
        } else {
            Lu::factor(a, n).map(|lu| lu.lean().unwrap())
        };
        let got = LeanLu::factor_shifted(&m, n, &dr, &di, hess);
        match (got, want) {
            (Some(g), Some(w)) => {
                assert_eq!((g.lu, g.pdiv), (w.lu, w.pdiv), "n {n}, hessenberg {hess}")
            }
            (g, w) => assert!(g.is_none() && w.is_none(), "n {n}"),
        }
    }
}

/// The pivots' reciprocal is MPC's bit for bit: random parts with exponents up to 70
/// apart (beyond 64 MPC computes it), sparse mantissas (exact and near-tie quotients),
/// equal parts, and a zero part. Mutation that fails it: the remainder left out of the
/// sticky bit. (No quotient is a tie: see `recip`.)
#[test]
fn reciprocal_is_mpcs() {
    let mut st = 0x6a09e667f3bcc908u64;
    for round in 0..30000u64 {
        let espan = [0i64, 2, 35, 70][round as usize % 4];
        let part = |st: &mut u64| match round % 7 {
            // a sparse mantissa: a power of two plus at most one more bit
            0 => {
                let k = (next(st) % 64) as u32;
                let e = (next(st) % (2 * espan as u64 + 1)) as i64 - espan;
                let v = Float::with_val(64, (1u64 << 63) | (1u64 << k)) >> (64 - e as i32);
                if next(st).is_multiple_of(2) {
                    v
                } else {
                    -v
                }
            }
            _ => rnd(st, espan, 0),
        };
        let re = part(&mut st);
        let im = if round % 13 == 0 {
            re.clone()
        } else if round % 101 == 0 {
            Float::new(64)
        } else {
            part(&mut st)
        };
        let z = Complex::with_val(64, (re, im));
        let want = Complex::with_val(64, z.recip_ref());
        let got = to_complex(recip(C64::from_complex(&z).unwrap()).unwrap());
        assert!(
            same(got.real(), want.real()) && same(got.imag(), want.imag()),
            "1/{z}: {got} against {want}"
        );
    }
    // exact quotients: 1/(1 + i) = (1 - i)/2, 1/(2 + 2i)
    for z in [(1, 1), (2, 2), (3, 4), (-5, 12)] {
        let z = Complex::with_val(64, z);
        let want = Complex::with_val(64, z.recip_ref());
        let got = to_complex(recip(C64::from_complex(&z).unwrap()).unwrap());
        assert!(same(got.real(), want.real()) && same(got.imag(), want.imag()));
    }
}

/// Q x and Q^T x by the one-pass products are the MPFR path's exact products rounded
/// once, within one unit in their last place plus the window below the largest
/// product: |Q_ij| <= 1, so 2n units of 2^(max exponent of x + 1 - 120).
#[test]
fn q_products_are_the_mpfr_ones_within_their_window() {
    let mut st = 0x9b05688c2b3e6c1fu64;
    for n in [3usize, 8, 11, 20] {
        let a: Vec<Float> = (0..n * n).map(|_| rnd(&mut st, 3, 0)).collect();
        let hs = Hessenberg::reduce(a, n);
        let (q, qt) = hs.lean().expect("64-bit Q");
        for _ in 0..20 {
            let x: Vec<Float> = (0..n).map(|_| rnd(&mut st, 20, 5)).collect();
            let xmax = x.iter().filter_map(|v| v.get_exp()).max().unwrap_or(0);
            let window = Float::with_val(64, Float::i_exp(1, xmax + 1 - 120)) * (2 * n as u32);
            let check = |got: &[R64], want: &[Float]| {
                for (g, w) in got.iter().zip(want) {
                    let mut f = Float::new(64);
                    assert!(g.write(&mut f));
                    let ulp = w.get_exp().map_or(Float::new(64), |e| {
                        Float::with_val(64, Float::i_exp(1, e - 64))
                    });
                    let err = Float::with_val(128, &f - w).abs();
                    assert!(
                        err <= Float::with_val(128, &ulp + &window),
                        "n {n}: {f} vs {w}"
                    );
                }
            };
            let mut want = x.clone();
            hs.apply_qt(&mut want);
            let mut got = vec![R64::ZERO; n];
            qt.mul(&from_floats(&x).unwrap(), &mut got).unwrap();
            check(&got, &want);
            let mut back = vec![R64::ZERO; n];
            q.mul(&got, &mut back).unwrap();
            // Q (Q^T x) from the same one-limb values: the MPFR path from got's values
            let mut want2: Vec<Float> = got
                .iter()
                .map(|g| {
                    let mut f = Float::new(64);
                    assert!(g.write(&mut f));
                    f
                })
                .collect();
            hs.apply_q(&mut want2);
            check(&back, &want2);
        }
    }
}

/// A random regular number of `prec` bits: a full mantissa or a sparse one (only its
/// top bits, the bit just below 64 and the last), so that ties and carries at the
/// 64-bit rounding come up often; exponents in [-espan, espan].
fn rnd_wide(st: &mut u64, prec: u32, espan: i64) -> Float {
    let bits = prec as usize;
    let mut f = Float::new(prec);
    let style = next(st) % 4;
    let mut v = rug::Integer::new();
    for k in 0..bits {
        let bit = match style {
            0 => next(st) & 1 == 1,
            // 64 ones then a tie bit, the rest zero: a carry and a tie
            1 => k < 65,
            // 1, zeros, a tie bit at 64 and a sticky bit at the end
            2 => k == 0 || k == 64 || (k == bits - 1 && next(st) & 1 == 1),
            _ => k == 0 || k == 64 || k == 63 && next(st) & 1 == 1,
        };
        v <<= 1;
        if bit || k == 0 {
            v += 1;
        }
    }
    rug::Assign::assign(&mut f, &v);
    let e = (next(st) % (2 * espan as u64 + 1)) as i64 - espan;
    f >>= bits as i32 - e as i32;
    if next(st) & 1 == 1 {
        -f
    } else {
        f
    }
}

/// R64::round_from is MPFR's rounding to 64 bits bit for bit (ties to even, the
/// carry into the next binade), and R64::abs_mul MPFR's product's magnitude, on
/// random and on constructed ties; specials are refused.
#[test]
fn round_from_and_abs_mul_are_mpfrs() {
    let mut st = 0x2545f4914f6cdd1du64;
    let mut ties = 0;
    for round in 0..20000u32 {
        let prec = [1u32, 30, 64, 65, 66, 127, 128, 129, 192, 256, 300][round as usize % 11];
        let x = if prec <= 64 {
            Float::with_val(prec, rnd(&mut st, 100, 9))
        } else {
            rnd_wide(&mut st, prec, 100)
        };
        let want = Float::with_val(64, &x);
        // a tie: x's bits below its 64th are exactly one half of the 64th's unit
        if let Some(e) = x.get_exp() {
            let y = Float::with_val(prec, x.abs_ref()) << (64 - e);
            if Float::with_val(prec, y.fract_ref()) == Float::with_val(64, Float::i_exp(1, -1)) {
                ties += 1;
            }
        }
        let r = R64::round_from(&x).expect("regular");
        let mut got = Float::new(64);
        assert!(r.write(&mut got));
        assert!(same(&got, &want), "{x}: {got} against {want}");
        let y = rnd(&mut st, 100, 9);
        let ry = R64::from_float(&y).unwrap();
        let p = R64::abs_mul(r, ry);
        let mut got = Float::new(64);
        assert!(p.write(&mut got));
        let want = Float::with_val(64, &want * &y).abs();
        assert!(same(&got, &want), "|{x} {y}|: {got} against {want}");
    }
    assert!(ties > 100, "{ties} ties");
    for special in [
        Float::with_val(128, rug::float::Special::Nan),
        Float::with_val(128, rug::float::Special::Infinity),
        Float::with_val(128, rug::float::Special::NegInfinity),
    ] {
        assert!(R64::round_from(&special).is_none());
    }
    assert_eq!(R64::round_from(&Float::new(200)), Some(R64::ZERO));
}

/// LeanMatrix::mul against the exact products rounded once (num::dot at 64 bits):
/// random matrices with exponent spreads up to 60 bits, zeros, and a row that cancels
/// to a few bits against the vector, by vectors with exponent spreads up to 100 bits and
/// zeros. Each result is within one unit in the exact one's last place plus 2n units of
/// 2^(bound - 120), bound = the row's largest exponent plus the vector's (the window
/// of crate::num::dot::dot_bounded).
#[test]
fn lean_matrix_products_are_the_exact_ones_within_their_window() {
    let mut st = 0x510e527fade682d1u64;
    let n = 20;
    for mi in 0..12u32 {
        let mut m: Vec<Float> = (0..n * n)
            .map(|_| rnd(&mut st, [0i64, 10, 30][mi as usize % 3], 9))
            .collect();
        for round in 0..200u32 {
            let espan = [0i64, 10, 40, 100][round as usize % 4];
            let x: Vec<Float> = (0..n).map(|_| rnd(&mut st, espan, 5)).collect();
            if round % 2 == 0 && !x[n - 1].is_zero() {
                // row 0's last entry set so that the row cancels against x to a few bits
                let mut rest = Float::new(64);
                crate::num::dot::dot(&mut rest, &m[..n - 1], &x[..n - 1]);
                m[n - 1] = Float::with_val(64, -rest / &x[n - 1]);
            }
            let lean = LeanMatrix::new(&m, n).expect("one-limb entries");
            let rx = from_floats(&x).unwrap();
            let mut got = vec![R64::ZERO; n];
            lean.mul(&rx, &mut got).expect("in range");
            let xmax = rx.iter().filter(|v| v.m != 0).map(|v| v.e).max();
            for k in 0..n {
                let row = &m[k * n..(k + 1) * n];
                let mut want = Float::new(64);
                crate::num::dot::dot(&mut want, row, &x);
                let mut g = Float::new(64);
                assert!(got[k].write(&mut g));
                let rmax = from_floats(row)
                    .unwrap()
                    .iter()
                    .filter(|v| v.m != 0)
                    .map(|v| v.e)
                    .max();
                let (Some(xmax), Some(rmax)) = (xmax, rmax) else {
                    assert!(g.is_zero(), "matrix {mi} round {round} row {k}");
                    continue;
                };
                let ulp = if want.is_zero() {
                    Float::new(64)
                } else {
                    Float::with_val(64, Float::i_exp(1, want.get_exp().unwrap() - 64))
                };
                let window = Float::with_val(64, Float::i_exp(1, (rmax + xmax - 120) as i32))
                    * (2 * n as u32);
                let err = Float::with_val(128, &want - &g).abs();
                assert!(
                    err <= Float::with_val(128, &ulp + &window),
                    "matrix {mi} round {round} row {k}: {g} vs {want}"
                );
            }
        }
    }
}
