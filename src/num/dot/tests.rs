//! Tests of the dot product kernels.

use super::narrow::one_limb;
use super::*;
use rug::Rational;

/// The exact dot product, rounded once to `prec`.
fn exact(terms: &[(Float, Option<Float>, bool)], prec: u32) -> Float {
    let mut s = Rational::new();
    for (a, b, neg) in terms {
        let mut t = a.to_rational().unwrap();
        if let Some(b) = b {
            t *= b.to_rational().unwrap();
        }
        if *neg {
            s -= t;
        } else {
            s += t;
        }
    }
    Float::with_val(prec, &s)
}

fn run(terms: &[(Float, Option<Float>, bool)], prec: u32) -> Float {
    let mut out = Float::new(prec);
    dot_into(
        &mut out,
        terms.iter().map(|(a, b, neg)| Term {
            a,
            b: b.as_ref(),
            neg: *neg,
        }),
    );
    out
}

/// A deterministic pseudo-random float of precision `prec` with exponent in
/// [-espan, espan].
fn rnd(state: &mut u64, prec: u32, espan: i32) -> Float {
    let mut next = || {
        *state ^= *state << 13;
        *state ^= *state >> 7;
        *state ^= *state << 17;
        *state
    };
    let limbs: Vec<u64> = (0..prec.div_ceil(64)).map(|_| next()).collect();
    let z = Integer::from_digits(&limbs, Order::Lsf);
    let e = (next() % (2 * espan as u64 + 1)) as i32 - espan;
    let neg = next() % 2 == 0;
    let f = Float::with_val(prec, &z) >> (64 * limbs.len() as i32 - e);
    if neg {
        -f
    } else {
        f
    }
}

#[test]
fn agrees_with_the_exact_sum_rounded_once() {
    let mut st = 0x9e3779b97f4a7c15u64;
    for &(prec, n, espan) in &[
        (64u32, 1usize, 3i32),
        (128, 5, 0),
        (192, 100, 2),
        (192, 100, 200),
        (200, 37, 60),
        (256, 18, 10),
        (512, 50, 5),
    ] {
        for _ in 0..20 {
            let terms: Vec<(Float, Option<Float>, bool)> = (0..n)
                .map(|i| {
                    let a = rnd(&mut st, prec, espan);
                    // operands of mixed widths, all within the fast path's
                    let pb = (prec + 64 * (i as u32 % 2)).min(64 * MAX_LIMBS as u32);
                    let b = (i % 7 != 3).then(|| rnd(&mut st, pb, espan));
                    (a, b, i % 5 == 1)
                })
                .collect();
            let got = run(&terms, prec);
            let want = exact(&terms, prec);
            // at most one unit in the last place of the result, unless cancellation
            // below 2^-(prec + 120) of the largest term
            let diff = Float::with_val(prec, &got - &want).abs();
            let ulp = Float::with_val(prec, want.abs_ref()) >> (prec as i32 - 1);
            let largest = terms
                .iter()
                .map(|(a, b, _)| {
                    let mut t = Float::with_val(prec, a.abs_ref());
                    if let Some(b) = b {
                        t *= Float::with_val(prec, b.abs_ref());
                    }
                    t
                })
                .fold(Float::new(prec), |m, t| if t > m { t } else { m });
            let floor = largest >> (prec as i32 + 120);
            assert!(
                diff <= ulp || diff <= floor,
                "prec {prec}, n {n}: {got} vs {want}"
            );
        }
    }
}

/// The one-limb kernel gives the general kernel's result bit for bit: random
/// operands of 1 to 64 bits, single terms, zeros, exponent spreads across the
/// window's limbs (differences near 64, 128, 192 and beyond) and cancellation.
#[test]
fn one_limb_kernel_is_the_general_one_bit_for_bit() {
    let mut st = 0x2545f4914f6cdd1du64;
    for round in 0..4000u32 {
        let prec = [64u32, 64, 53, 17, 1][round as usize % 5];
        let espan = [0i32, 3, 40, 70, 130, 200, 300][round as usize % 7];
        let n = 1 + (round as usize * 7) % 23;
        let mut terms: Vec<(Float, Option<Float>, bool)> = (0..n)
            .map(|i| {
                let pa = 1 + (rnd_bits(&mut st) % 64) as u32;
                let a = if i % 11 == 5 {
                    Float::new(pa)
                } else {
                    rnd(&mut st, pa, espan)
                };
                let b = (i % 4 != 2).then(|| rnd(&mut st, 64, espan));
                (a, b, i % 3 == 1)
            })
            .collect();
        if round % 6 == 0 {
            // a term and its negation: the sum cancels to what the others leave
            let (a, b, neg) = terms[0].clone();
            terms.push((a, b, !neg));
        }
        let mut one = Float::new(prec);
        let mut gen = Float::new(prec);
        let it = || {
            terms.iter().map(|(a, b, neg)| Term {
                a,
                b: b.as_ref(),
                neg: *neg,
            })
        };
        assert!(one_limb(&mut one, it()));
        general(&mut gen, it());
        // the same value and sign (a zero's included)
        assert_eq!(
            (one.to_rational(), one.is_sign_negative()),
            (gen.to_rational(), gen.is_sign_negative()),
            "round {round}: {one} vs {gen}"
        );
    }
    // where the window's truncation decides the rounding: 1 + 2^-64 + 2^-136 is
    // above the tie between 1 and 1 + 2^-63, but the 2^-136 comes from a product
    // 10 bits below the largest, whose bits below 2^-128 both kernels drop: the
    // tie, to even
    let one_ = Float::with_val(64, 1);
    let half_ulp = Float::with_val(64, Float::i_exp(1, -64));
    let u = Float::with_val(64, 1) + Float::with_val(64, Float::i_exp(1, -63));
    let a = Float::with_val(64, &u >> 10);
    let c = Float::with_val(64, Float::i_exp(1, -10))
        * (Float::with_val(64, 1) + Float::with_val(64, Float::i_exp(1, -62)));
    let terms = [
        Term::prod(&one_, &one_),
        Term::single(&half_ulp, false),
        Term::prod(&a, &u),
        Term::single(&c, true),
    ];
    let (mut one, mut gen) = (Float::new(64), Float::new(64));
    assert!(one_limb(&mut one, terms.iter().copied()));
    general(&mut gen, terms.iter().copied());
    assert_eq!((one.clone(), gen), (one_.clone(), one_.clone()));
    // ties and carries of the rounding itself: 1 + 2^-64 (a tie, to even: 1),
    // 1 + 2^-63 + 2^-64 (a tie, to even: up) and 2 - 2^-64 (up, carrying into 2)
    let ulp = Float::with_val(64, Float::i_exp(1, -63));
    let below_two = Float::with_val(64, 2) - &ulp;
    for (terms, want) in [
        (
            vec![(&one_, false), (&half_ulp, false)],
            Float::with_val(64, 1),
        ),
        (
            vec![(&one_, false), (&ulp, false), (&half_ulp, false)],
            Float::with_val(64, 1) + Float::with_val(64, Float::i_exp(1, -62)),
        ),
        (
            vec![(&below_two, false), (&half_ulp, false)],
            Float::with_val(64, 2),
        ),
        (
            vec![(&one_, true), (&half_ulp, true)],
            Float::with_val(64, -1),
        ),
    ] {
        for prec in [64u32, 63, 40, 1] {
            let ts: Vec<Term> = terms.iter().map(|(a, n)| Term::single(a, *n)).collect();
            let (mut one, mut gen) = (Float::new(prec), Float::new(prec));
            assert!(one_limb(&mut one, ts.iter().copied()));
            general(&mut gen, ts.iter().copied());
            assert_eq!(one, gen, "prec {prec}");
            if prec == 64 {
                assert_eq!(one, want);
            }
        }
    }
    // a wider operand is not the one-limb kernel's
    let wide = Float::with_val(128, 1) / 3u32;
    let mut out = Float::new(64);
    assert!(!one_limb(
        &mut out,
        std::iter::once(Term::single(&wide, false))
    ));
}

fn rnd_bits(state: &mut u64) -> u64 {
    *state ^= *state << 13;
    *state ^= *state >> 7;
    *state ^= *state << 17;
    *state
}

#[test]
fn exact_cancellation_and_zeros() {
    let p = 192;
    let a = Float::with_val(p, 3) / 7u32;
    let b = Float::with_val(p, 11) / 13u32;
    let z = Float::new(p);
    let terms = vec![
        (a.clone(), Some(b.clone()), false),
        (z.clone(), Some(b.clone()), false),
        (a.clone(), Some(b.clone()), true),
    ];
    assert!(run(&terms, p).is_zero());
    assert!(run(&[], p).is_zero());
    // a tiny term survives the cancellation of two large ones
    let tiny = Float::with_val(p, Float::i_exp(1, -150));
    let terms = vec![
        (a.clone(), None, false),
        (tiny.clone(), None, false),
        (a.clone(), None, true),
    ];
    assert_eq!(run(&terms, p), tiny);
}

#[test]
fn specials_and_wide_operands_take_the_sequential_path() {
    let p = 128;
    let inf = Float::with_val(p, rug::float::Special::Infinity);
    let one = Float::with_val(p, 1);
    assert!(run(&[(inf.clone(), Some(one.clone()), false)], p).is_infinite());
    let nan = Float::with_val(p, rug::float::Special::Nan);
    assert!(run(&[(nan, None, false), (one.clone(), None, false)], p).is_nan());
    let wide = Float::with_val(1024, 1) / 3u32;
    let got = run(&[(wide.clone(), Some(one.clone()), false)], p);
    assert_eq!(got, Float::with_val(p, &wide));
}

#[test]
fn huge_exponent_spread() {
    let p = 128;
    let big = Float::with_val(p, Float::i_exp(1, 100_000));
    let small = Float::with_val(p, Float::i_exp(1, -100_000));
    let one = Float::with_val(p, 1);
    let got = run(
        &[
            (big.clone(), Some(one.clone()), false),
            (small, Some(one), false),
        ],
        p,
    );
    assert_eq!(got, big);
}

/// Where every operand has the result's precision, the short first pass answers as the
/// general one does; where one has another precision, it leaves the answer to it.
#[test]
fn the_same_precision_scan_is_the_general_scan() {
    let mut st = 0x6a09e667f3bcc909u64;
    for round in 0..600u32 {
        let prec = [128u32, 192, 200, 256, 320, 512, 576][round as usize % 7];
        let espan = [0i32, 10, 300][round as usize % 3];
        let n = 1 + (round as usize * 3) % 17;
        let terms: Vec<(Float, Option<Float>, bool)> = (0..n)
            .map(|i| {
                let a = if (i + round as usize).is_multiple_of(6) {
                    Float::new(prec)
                } else {
                    rnd(&mut st, prec, espan)
                };
                let b = (i % 5 != 1).then(|| rnd(&mut st, prec, espan));
                (a, b, i % 2 == 0)
            })
            .collect();
        let it = || {
            terms.iter().map(|(a, b, neg)| Term {
                a,
                b: b.as_ref(),
                neg: *neg,
            })
        };
        let acc_len = (prec as usize + 128).div_ceil(64) + 1;
        let general = scan(acc_len, it());
        let emax = scan_same_prec(prec, it()).expect("every operand at prec");
        let limbs = (prec as usize).div_ceil(64);
        // (beyond the fast path's widths the general scan stops early, and only its
        // verdict counts)
        assert_eq!(general.fast, acc_len <= MAX_ACC, "round {round}");
        if general.fast {
            assert_eq!(general.emax, emax, "round {round}");
            assert_eq!(general.any, emax != i64::MIN);
            assert!(general.uniform);
            if general.any {
                assert_eq!(general.uniform_limbs, limbs);
            }
        }
        // one operand of another precision: the general scan decides
        let other = rnd(&mut st, prec + 64, espan);
        let mixed = || it().chain(std::iter::once(Term::single(&other, false)));
        assert_eq!(scan_same_prec(prec, mixed()), None);
    }
    let nan = Float::with_val(192, rug::float::Special::Nan);
    assert_eq!(
        scan_same_prec(192, std::iter::once(Term::single(&nan, false))),
        None
    );
}

/// The same bits (value, sign, exponent) of two MPFR numbers, or both zero.
fn same_bits(a: &Float, b: &Float) -> bool {
    (a.is_zero() && b.is_zero()) || (a == b && a.is_sign_negative() == b.is_sign_negative())
}

/// dot_with gives the one-limb kernel's result at 64 bits bit for bit, on the values
/// that kernel reads: random operands of 1 to 64 bits, a single term (or none), zeros,
/// exponent spreads across the window and cancellation.
#[test]
fn dot_with_is_the_one_limb_kernel_bit_for_bit() {
    let mut st = 0x6a09e667f3bcc909u64;
    for round in 0..4000u32 {
        let espan = [0i32, 3, 40, 70, 130, 200, 300][round as usize % 7];
        let n = 1 + (round as usize * 5) % 21;
        let mut terms: Vec<(Float, Option<Float>, bool)> = (0..n)
            .map(|i| {
                let pa = 1 + (rnd_bits(&mut st) % 64) as u32;
                let a = if i % 9 == 4 {
                    Float::new(pa)
                } else {
                    rnd(&mut st, pa, espan)
                };
                // the first term a single operand in two rounds of three
                let b = (i > 0 || round % 3 == 0).then(|| rnd(&mut st, 64, espan));
                (a, b, i % 3 == 1)
            })
            .collect();
        if round % 5 == 0 {
            let (a, b, neg) = terms[n - 1].clone();
            terms.push((a, b.or_else(|| Some(Float::with_val(64, 1))), !neg));
        }
        let want = run(&terms, 64);
        let r = |f: &Float| R64::from_float(f).unwrap();
        let init = terms[0].1.is_none().then(|| (r(&terms[0].0), terms[0].2));
        let prods: Vec<(R64, R64, bool)> = terms
            .iter()
            .filter_map(|(a, b, neg)| b.as_ref().map(|b| (r(a), r(b), *neg)))
            .collect();
        let got = dot_with(init, prods.len(), |j| [prods[j]]).expect("in range");
        let mut g = Float::new(64);
        assert!(got.write(&mut g));
        assert!(same_bits(&g, &want), "round {round}: {g} vs {want}");
    }
}

/// exact2 rounds a + b once, as MPFR does (against the exact rational sum rounded to
/// 64 bits): products and single operands of random widths and exponents, the ties a
/// product of 65 significant bits makes ((2^32 + 1)^2), decided by a term far below
/// (d > 256) or by ties to even, and cancellation to zero.
#[test]
fn exact2_is_the_exact_sum_rounded_once() {
    let mut st = 0xbb67ae8584caa73bu64;
    let term = |x: &(Float, Option<Float>, bool)| -> (u128, i64, bool) {
        let a = R64::from_float(&x.0).unwrap();
        match &x.1 {
            Some(b) => {
                let b = R64::from_float(b).unwrap();
                (a.m as u128 * b.m as u128, a.e + b.e, a.neg ^ b.neg ^ x.2)
            }
            None => ((a.m as u128) << 64, a.e, a.neg ^ x.2),
        }
    };
    let check = |x: (Float, Option<Float>, bool), y: (Float, Option<Float>, bool)| {
        let want = exact(&[x.clone(), y.clone()], 64);
        let got = exact2(term(&x), term(&y)).expect("in range");
        let mut g = Float::new(64);
        assert!(got.write(&mut g));
        assert_eq!(g, want, "{x:?} + {y:?}");
    };
    for round in 0..6000u32 {
        let espan = [0i32, 2, 40, 64, 100, 150, 300][round as usize % 7];
        let mut pick = |single: bool| {
            let pa = 1 + (rnd_bits(&mut st) % 64) as u32;
            let a = rnd(&mut st, pa, espan);
            let b = (!single).then(|| rnd(&mut st, 64, espan));
            (a, b, rnd_bits(&mut st).is_multiple_of(2))
        };
        let x = pick(round % 3 == 0);
        let y = pick(round % 5 == 0);
        check(x.clone(), y.clone());
        // x - x and x + (-x): zero
        check(x.clone(), (x.0.clone(), x.1.clone(), !x.2));
    }
    // ties: (2^32 + 1)^2 = 2^64 + 2^33 + 1 has 65 significant bits, its last a half
    // unit at 64 bits
    let t = Float::with_val(64, (1u64 << 32) + 1);
    for (scale, below) in [
        (0i32, 60i32),
        (1, 100),
        (0, 126),
        (2, 127),
        (0, 128),
        (-1, 129),
        (0, 130),
        (0, 200),
        (5, 256),
        (-3, 257),
        (0, 300),
        (7, 1000),
    ] {
        let tie = (Float::with_val(64, &t << scale), Some(t.clone()), false);
        for neg in [false, true] {
            let tiny = (
                Float::with_val(64, Float::i_exp(1, scale - below)),
                None,
                neg,
            );
            check(tie.clone(), tiny);
        }
        // no second term: ties to even
        check(tie.clone(), (Float::new(64), None, false));
        check(
            (tie.0.clone(), tie.1.clone(), true),
            (Float::new(64), None, true),
        );
    }
    // a single operand and a half unit below it: ties to even, up and down
    for m in [(1u64 << 63) + 1, 1u64 << 63, u64::MAX] {
        let x = Float::with_val(64, m);
        let half = Float::with_val(64, Float::i_exp(1, -1));
        check((x.clone(), None, false), (half.clone(), None, false));
        check((x.clone(), None, false), (half, None, true));
    }
}

/// The specialized accumulations (operands of the result's limbs, or of the result's
/// limbs by one-limb operands) give the any-width loop's result bit for bit: random
/// operands, single terms, zeros, exponent spreads across the window's limbs and
/// cancellation; and the first pass sends each mix of widths where it belongs.
#[test]
fn specialized_accumulations_are_the_any_width_loop_bit_for_bit() {
    let mut st = 0xbb67ae8584caa73bu64;
    let mut by_one_seen = 0;
    for round in 0..3000u32 {
        let prec = [128u32, 192, 130, 256, 320, 100][round as usize % 6];
        let limbs = (prec as usize).div_ceil(64);
        let espan = [0i32, 3, 40, 70, 130, 200, 400][round as usize % 7];
        let n = 1 + (round as usize * 7) % 23;
        // every third round, uniform widths; otherwise the result's limbs by one limb,
        // with a wrong width now and then
        let uniform = round % 3 == 0;
        let stray = round % 10 == 1;
        let mut terms: Vec<(Float, Option<Float>, bool)> = (0..n)
            .map(|i| {
                let pa = 64 * limbs as u32 - (rnd_bits(&mut st) % 64) as u32;
                let a = if i % 11 == 5 {
                    Float::new(pa)
                } else {
                    rnd(&mut st, pa, espan)
                };
                let pb = if uniform {
                    prec
                } else if stray && i == n / 2 {
                    65
                } else {
                    1 + (rnd_bits(&mut st) % 64) as u32
                };
                let b = if i % 13 == 7 {
                    Some(Float::new(pb))
                } else {
                    (i % 4 != 2).then(|| rnd(&mut st, pb, espan))
                };
                (a, b, i % 3 == 1)
            })
            .collect();
        if round % 6 == 0 {
            // a term and its negation: the sum cancels to what the others leave
            let (a, b, neg) = terms[0].clone();
            terms.push((a, b, !neg));
        }
        let it = || {
            terms.iter().map(|(a, b, neg)| Term {
                a,
                b: b.as_ref(),
                neg: *neg,
            })
        };
        let acc_len = (prec as usize + 128).div_ceil(64) + 1;
        let sc = scan(acc_len, it());
        // what the first pass should find: every non-zero term the result's limbs by
        // one limb (or the result's limbs alone)
        let nonzero = |(a, b, _): &&(Float, Option<Float>, bool)| {
            !a.is_zero() && b.as_ref().is_none_or(|b| !b.is_zero())
        };
        let width = |f: &Float| (f.prec() as usize).div_ceil(64);
        let want = terms.iter().any(|t| nonzero(&t))
            && terms
                .iter()
                .filter(nonzero)
                .all(|(a, b, _)| width(a) == limbs && b.as_ref().is_none_or(|b| width(b) == 1));
        assert_eq!(sc.by_one, want, "round {round}");
        // the short first pass answers as the general one where it answers at all
        if let Some(emax) = scan_by_one(limbs, it()) {
            assert!(sc.by_one || emax == i64::MIN, "round {round}");
            assert_eq!(sc.emax, emax, "round {round}");
        }
        by_one_seen += usize::from(sc.by_one);
        let (mut fast, mut slow) = (Float::new(prec), Float::new(prec));
        general_with(&mut fast, it(), true);
        general_with(&mut slow, it(), false);
        assert!(same_bits(&fast, &slow), "round {round}: {fast} vs {slow}");
        assert_eq!(fast.is_sign_negative(), slow.is_sign_negative());
    }
    assert!(by_one_seen > 1000, "{by_one_seen}");
}

/// dot_bounded is the exact sum to within its window: |got - exact| is at most half a
/// unit in got's last place plus one unit of 2^(bound - w) per term (w = 120 up to 127
/// terms, one bit less for each doubling beyond), 1 to 1,000 terms, for bounds at
/// the largest product's exponent and up to 60 bits above it, exponent spreads up to
/// 200 bits, mixed signs and cancellation (a term and its negation), zeros.
#[test]
fn dot_bounded_is_the_exact_sum_within_its_window() {
    let mut st = 0x3c6ef372fe94f82bu64;
    for round in 0..3000u32 {
        let espan = [0i32, 3, 40, 70, 130, 200][round as usize % 6];
        // up to 40 terms, and every 100th round 100 to 1,000 (more guard bits)
        let n = if round % 100 == 7 {
            100 + (round as usize * 37) % 900
        } else {
            1 + (round as usize * 7) % 40
        };
        let mut a: Vec<Float> = (0..n).map(|_| rnd(&mut st, 64, espan)).collect();
        let mut x: Vec<Float> = (0..n).map(|_| rnd(&mut st, 64, espan)).collect();
        if round % 4 == 0 && n > 1 {
            // cancellation: the last term the first one's negation
            a[n - 1] = Float::with_val(64, -&a[0]);
            x[n - 1] = x[0].clone();
        }
        if round % 11 == 3 {
            a[0] = Float::new(64);
        }
        let terms: Vec<(Float, Option<Float>, bool)> = a
            .iter()
            .zip(&x)
            .map(|(p, q)| (p.clone(), Some(q.clone()), false))
            .collect();
        let exact_q = {
            let mut s = Rational::new();
            for (p, q) in a.iter().zip(&x) {
                s += p.to_rational().unwrap() * q.to_rational().unwrap();
            }
            s
        };
        let r = |f: &Float| R64::from_float(f).unwrap();
        let (ra, rx): (Vec<R64>, Vec<R64>) = a.iter().zip(&x).map(|(p, q)| (r(p), r(q))).unzip();
        let emax = ra
            .iter()
            .zip(&rx)
            .filter(|(p, q)| p.m != 0 && q.m != 0)
            .map(|(p, q)| p.e + q.e)
            .max();
        let Some(emax) = emax else {
            assert_eq!(dot_bounded(0, &ra, &rx), Some(R64::ZERO));
            continue;
        };
        let bound = emax + (round as i64 * 13) % 61;
        let got = dot_bounded(bound, &ra, &rx).expect("in range");
        let mut g = Float::new(64);
        assert!(got.write(&mut g));
        let gq = g.to_rational().unwrap();
        let pow2 = |e: i64| Rational::from(1) << e as i32;
        // half an ulp of got (none at zero), and n units of 2^(bound - w)
        let half_ulp = g.get_exp().map_or(Rational::new(), |e| pow2(e as i64 - 65));
        let guard = (usize::BITS - n.leading_zeros()).max(7) as i64;
        let window = pow2(bound - (127 - guard)) * n as u32;
        let err = (&exact_q - gq.clone()).abs();
        assert!(
            err <= Rational::from(&half_ulp + &window),
            "round {round}: {g} vs {}, n {n}, bound {bound} (largest {emax})",
            Float::with_val(80, &exact_q)
        );
        // the one-limb exact kernel (the exact sum rounded once) is as close
        let want = run(&terms, 64);
        let want_half_ulp = want
            .get_exp()
            .map_or(Rational::new(), |e| pow2(e as i64 - 65));
        let d = (want.to_rational().unwrap() - gq).abs();
        assert!(
            d <= half_ulp + want_half_ulp + window,
            "round {round}: {g} vs {want}"
        );
    }
}

/// `set_rounded` is MPFR's rounding to nearest of the exact value (-1)^neg mag 2^shift,
/// on magnitudes built to reach its branches: mantissas ending on a tie, runs of ones
/// that carry into a new power of two, zero limbs above, inside and below the mantissa,
/// precisions with and without unused low bits.
#[test]
fn set_rounded_is_mpfr_rounding_of_the_exact_value() {
    let mut st = 0x2545f4914f6cdd1du64;
    let precs = [1u32, 2, 53, 63, 64, 65, 100, 127, 128, 129, 192, 200, 256];
    assert!(precs.iter().all(|&p| p as usize <= 64 * MAX_LIMBS));
    for round in 0..20_000u32 {
        let len = 1 + (rnd_bits(&mut st) % MAX_ACC as u64) as usize;
        let mut mag = [0u64; MAX_ACC];
        for m in mag[..len].iter_mut() {
            *m = match rnd_bits(&mut st) % 6 {
                0 => 0,
                1 => u64::MAX,
                2 => 1 << 63,
                3 => 1,
                _ => rnd_bits(&mut st),
            };
        }
        // a top limb with a random number of leading zeros
        if round.is_multiple_of(3) {
            mag[len - 1] >>= rnd_bits(&mut st) % 64;
        }
        let prec = precs[(rnd_bits(&mut st) % precs.len() as u64) as usize];
        let neg = rnd_bits(&mut st).is_multiple_of(2);
        let shift = (rnd_bits(&mut st) % 2001) as i64 - 1000;
        let mut got = Float::new(prec);
        assert!(set_rounded(&mut got, &mag[..len], neg, shift));
        // the exact value (a shift of a rational is exact), rounded once by MPFR
        let exact = Rational::from(Integer::from_digits(&mag[..len], Order::Lsf)) << shift as i32;
        let mut want = Float::with_val(prec, &exact);
        if neg {
            want = -want;
        }
        assert!(
            same_bits(&got, &want),
            "mag {:x?} shift {shift} prec {prec} neg {neg}: {got} against {want}",
            &mag[..len]
        );
    }
}
