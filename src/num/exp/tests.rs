//! The kernel against MPFR, bit for bit.

use super::*;
use crate::num::testing::xorshift;

struct Gen(u64);

impl Gen {
    fn new(seed: u64) -> Gen {
        Gen(seed)
    }
    fn next(&mut self) -> u64 {
        xorshift(&mut self.0)
    }
}

/// A random x of `prec` bits with |x| in [2^lo, 2^hi), either sign.
fn random(g: &mut Gen, prec: u32, lo: i32, hi: i32) -> Float {
    let e = lo + (g.next() % (hi - lo) as u64) as i32;
    let mut m = Integer::new();
    for _ in 0..prec.div_ceil(64) {
        m = (m << 64) + g.next();
    }
    m.keep_bits_mut(prec);
    m.set_bit(prec - 1, true);
    let mut x = Float::with_val(prec, m) >> (prec as i32 - e);
    if g.next() % 2 == 1 {
        x = -x;
    }
    x
}

/// Whether the kernel leaves expm1(x) at `prec` bits to MPFR by design: an argument so
/// small that its fixed point would need more than MAX_N limbs.
fn too_small(x: &Float, prec: u32) -> bool {
    let e = x.get_exp().expect("regular") as i64;
    e < 0 && prec.div_ceil(64) as usize + 2 + ((-e) as usize).div_ceil(64) > MAX_N
}

/// How many of the calls the kernel decided (the rest went to MPFR), and how many of
/// those it did not decide it should have.
fn compare(xs: &[Float], prec: u32) -> (usize, usize) {
    let mut decided = 0;
    let mut missed = 0;
    for x in xs {
        for m1 in [false, true] {
            let mut got = Float::new(prec);
            let ok = kernel(&mut got, x, m1);
            let want = if m1 {
                Float::with_val(prec, x.exp_m1_ref())
            } else {
                Float::with_val(prec, x.exp_ref())
            };
            // by design: expm1 of a too small argument, and results beyond MPFR's
            // exponent range (0 or infinity)
            let by_design = (m1 && too_small(x, prec)) || !want.is_normal();
            if !ok && !by_design {
                missed += 1;
            }
            if ok {
                decided += 1;
                assert!(
                    got == want && got.is_sign_negative() == want.is_sign_negative(),
                    "{} of {x} at {prec} bits: {got} vs MPFR {want}",
                    if m1 { "expm1" } else { "exp" }
                );
            }
            let public = if m1 { exp_m1(prec, x) } else { exp(prec, x) };
            assert_eq!(public, want);
        }
    }
    (decided, missed)
}

/// Random arguments from 2^-200 to 2^31 in size, at the flows' precisions and odd ones,
/// with the arguments at the output's precision, narrower and wider: every result is
/// MPFR's, and the kernel decides every one but expm1 of arguments too small for its
/// fixed point, which go to MPFR by design.
#[test]
fn exp_and_expm1_are_mpfrs() {
    let mut g = Gen::new(0x05ee_de4b);
    for prec in [53, 64, 65, 127, 128, 192, 200, 256, 320, 384, 448] {
        for xprec in [prec, 64, prec + 70] {
            let xs: Vec<Float> = (0..300)
                .map(|i| match i % 3 {
                    0 => random(&mut g, xprec, -200, 32),
                    1 => random(&mut g, xprec, -8, 2),
                    _ => random(&mut g, xprec, 10, 24),
                })
                .collect();
            let (decided, missed) = compare(&xs, prec);
            // a value within 2^(m + 7) ulps of a midpoint, with 64 (lo + 1) - prec - 27
            // guard bits and more to spare: about 2^-37 per call
            assert_eq!(missed, 0, "{prec} bits, arguments of {xprec}");
            assert!(decided > xs.len(), "{prec} bits: {decided} decided");
        }
    }
}

/// Arguments where the reduction cancels most: x next to k ln 2 (r tiny, a result next
/// to a power of two), next to ±ln 2 / 2 (k on the edge between two values), and the
/// edges of the kernel's range (|x| just below 2^32, results beyond MPFR's exponent
/// range included, which go to MPFR).
#[test]
fn reduction_edges_are_mpfrs() {
    let mut g = Gen::new(77);
    for prec in [64, 192, 256, 448] {
        let wp = prec + 200;
        let ln2 = Float::with_val(wp, rug::float::Constant::Log2);
        let mut xs = Vec::new();
        for k in [-40_000_000i64, -1000, -3, -1, 1, 2, 7, 1000, 300_000_000] {
            for below in [prec as i32 - 10, prec as i32 + 5, prec as i32 + 60] {
                let x = Float::with_val(prec, &ln2 * k);
                let eps = Float::with_val(prec, Float::i_exp(1, -below));
                xs.push(Float::with_val(prec, &x + &eps));
                xs.push(Float::with_val(prec, &x - &eps));
                xs.push(x);
            }
        }
        let half = Float::with_val(wp, &ln2 / 2u32);
        for d in 0..20 {
            let eps = Float::with_val(wp, Float::i_exp(1, -(d * 10)));
            xs.push(Float::with_val(prec, &half + &eps));
            xs.push(Float::with_val(prec, -Float::with_val(wp, &half - &eps)));
        }
        xs.push(Float::with_val(prec, Float::i_exp(1, 32)) - 1u32);
        xs.push(-(Float::with_val(prec, Float::i_exp(1, 32)) - 1u32));
        for _ in 0..50 {
            xs.push(random(&mut g, prec, 24, 33));
        }
        let (_, missed) = compare(&xs, prec);
        assert_eq!(missed, 0, "{prec} bits");
    }
}

/// Arguments the kernel leaves to MPFR: zero, NaN, infinities, |x| >= 2^32, outputs
/// wider than 448 bits and expm1 of arguments far below the fixed point; the public
/// functions still return MPFR's results.
#[test]
fn the_rest_goes_to_mpfr() {
    let p = 192;
    let xs = [
        Float::new(p),
        Float::with_val(p, rug::float::Special::Nan),
        Float::with_val(p, rug::float::Special::Infinity),
        Float::with_val(p, rug::float::Special::NegInfinity),
        Float::with_val(p, Float::i_exp(1, 40)),
        Float::with_val(p, Float::i_exp(-1, 40)),
        Float::with_val(p, Float::i_exp(3, -700)),
    ];
    for x in &xs {
        let mut out = Float::new(p);
        assert!(!kernel(&mut out, x, true), "{x}");
        let e = exp(p, x);
        let want = Float::with_val(p, x.exp_ref());
        assert!(e == want || (e.is_nan() && want.is_nan()));
        let e = exp_m1(p, x);
        let want = Float::with_val(p, x.exp_m1_ref());
        assert!(e == want || (e.is_nan() && want.is_nan()));
    }
    let x = Float::with_val(p, 3);
    assert!(!kernel(&mut Float::new(512), &x, false));
    assert_eq!(exp(512, &x), Float::with_val(512, x.exp_ref()));
}

/// The rounding test refuses values within the error of a midpoint: a computed value
/// whose bits below the mantissa are the midpoint's, or within 2^err of it, is not
/// decided; one farther off is.
#[test]
fn a_value_near_a_midpoint_is_not_decided() {
    let prec = 100;
    // top bit at index 255: the mantissa is bits 255..=156, the midpoint bit h = 155
    let mut v = Fx::<4>::ZERO;
    v.l[3] = 1 << 63;
    v.l[2] = 1 << (155 - 128);
    assert!(!decided(&v, prec, 10), "the midpoint itself");
    v.l[0] = 1 << 10;
    assert!(!decided(&v, prec, 10), "2^err above it");
    v.l[0] = 1 << 12;
    assert!(decided(&v, prec, 10), "2^(err + 2) above it");
    // just below the midpoint: bit h clear, the bits below it all ones down to err + 1
    let mut w = Fx::<4>::ZERO;
    w.l[3] = 1 << 63;
    w.l[2] = (1 << (155 - 128)) - 1;
    w.l[1] = u64::MAX;
    w.l[0] = u64::MAX << 11;
    assert!(!decided(&w, prec, 10));
    w.l[1] = u64::MAX - (1 << 40);
    assert!(decided(&w, prec, 10));
}

/// Heavy: 200,000 random arguments at the precisions the flows use (192 to 448 bits, and
/// 64 for the verification of narrow settings), sizes 2^-60 to 2^31 and both signs, each
/// in exp and expm1, against MPFR bit for bit.
#[test]
#[ignore = "slow: 400,000 kernel calls against MPFR"]
fn exp_and_expm1_are_mpfrs_at_scale() {
    let mut g = Gen::new(0x0dd_ba11);
    for prec in [64, 192, 256, 320, 448] {
        let xs: Vec<Float> = (0..40_000)
            .map(|i| {
                if i % 2 == 0 {
                    random(&mut g, prec, -60, 32)
                } else {
                    random(&mut g, prec, -4, 5)
                }
            })
            .collect();
        let (_, missed) = compare(&xs, prec);
        assert_eq!(missed, 0, "{prec} bits");
    }
}

/// expm1_tiny is within half an ulp and a 2^-50th of e^δ - 1 (computed by MPFR at four
/// times the precision), from 1 to 448 bits and |δ| from 2^-12 down to 2^-700, and
/// nearly always MPFR's correctly rounded expm1 itself; it refuses what it does not do.
#[test]
fn expm1_tiny_is_within_half_an_ulp() {
    let mut g = Gen::new(0x510e527fade682d1);
    let mut same = 0;
    let rounds = 6000;
    for round in 0..rounds {
        let prec = [1u32, 53, 64, 65, 128, 192, 200, 256, 320, 448][round % 10];
        let lo = [-13i32, -20, -40, -70, -130, -300, -700][(round / 10) % 7];
        let d = random(&mut g, prec, lo, (lo + 8).min(-12));
        let mut t = Float::new(prec);
        assert!(expm1_tiny(&mut t, &d), "{d} at {prec} bits");
        let exact = Float::with_val(4 * prec + 64, d.exp_m1_ref());
        let ulp = Float::with_val(64, Float::i_exp(1, t.get_exp().unwrap() - prec as i32));
        let err = Float::with_val(4 * prec + 64, &t - &exact).abs() / &ulp;
        let bound =
            Float::with_val(64, Float::i_exp(1, -50)) + Float::with_val(64, Float::i_exp(1, -1));
        assert!(
            err <= bound,
            "expm1({d}) at {prec} bits: {t}, {err} ulp off"
        );
        same += usize::from(t == Float::with_val(prec, d.exp_m1_ref()));
    }
    assert!(same >= rounds - 3, "{same} of {rounds} MPFR's");
    let mut t = Float::new(128);
    for d in [
        Float::new(128),
        Float::with_val(128, rug::float::Special::Nan),
        Float::with_val(128, Float::i_exp(1, -12)),
        Float::with_val(128, 0.5),
    ] {
        assert!(!expm1_tiny(&mut t, &d), "{d}");
    }
    assert!(!expm1_tiny(
        &mut t,
        &Float::with_val(64, Float::i_exp(1, -20))
    ));
    assert!(!expm1_tiny(
        &mut Float::new(512),
        &Float::with_val(512, Float::i_exp(1, -20))
    ));
}
