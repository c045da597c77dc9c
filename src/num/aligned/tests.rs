use super::*;
use rug::ops::Pow;
use rug::{Assign, Rational};

/// A pseudo-random value of `prec` bits: a random mantissa, an exponent spread over
/// `espan` bits, a random sign, and zero one time in `zeros`.
fn rnd(st: &mut u64, prec: u32, espan: i64, zeros: u64) -> Float {
    let mut next = || {
        *st ^= *st << 13;
        *st ^= *st >> 7;
        *st ^= *st << 17;
        *st
    };
    if next() % zeros == 0 {
        return Float::new(prec);
    }
    let limbs = prec.div_ceil(64) as usize;
    let mut m = rug::Integer::new();
    for _ in 0..limbs {
        m <<= 64;
        m += next();
    }
    let mut f = Float::with_val(prec, &m);
    let e = (next() % (2 * espan as u64 + 1)) as i64 - espan;
    f <<= e as i32 - f.get_exp().unwrap_or(0);
    if next() % 2 == 0 {
        f = -f;
    }
    f
}

fn exp_of(f: &Float) -> i64 {
    f.get_exp().map_or(i64::MIN, i64::from)
}

/// Every product is the exact sum rounded to nearest, within (LA + 2) s units of
/// 2^(bound - 64 min(LA, LB)) (bound: the row's largest exponent plus the column's; LA =
/// L + 1 the matrix's limbs as aligned, LB the vectors': L + 1, or 2 for one-limb
/// vectors) and half an ulp of the result: s = 1 to 24, 64 to 256 bits, vectors of the
/// matrix's precision or of one limb, exponent spreads to 200 bits, zeros, rows and
/// columns of zeros, and sums that cancel. Checked to fail with the bound 2^(bound - 64
/// min(LA, LB) - 8).
#[test]
fn products_are_the_exact_sums_within_their_window() {
    let mut st = 0x9e3779b97f4a7c15u64;
    let mut checked = 0;
    for round in 0..400usize {
        let prec = [64u32, 128, 192, 256, 100][round % 5];
        let s = 1 + round % 24;
        let n = 1 + round % 5;
        let espan = [2i64, 30, 200][round % 3];
        let zeros = [1000u64, 5, 2][round % 3];
        let mut m: Vec<Float> = (0..s * s)
            .map(|_| rnd(&mut st, prec, espan, zeros))
            .collect();
        if round % 11 == 0 {
            // a row of zeros
            for x in &mut m[..s] {
                x.assign(0);
            }
        }
        // one-limb vectors one round in four
        let vprec = if round % 4 == 3 { 64 } else { prec };
        let mut v: Vec<Vec<Float>> = (0..s)
            .map(|_| (0..n).map(|_| rnd(&mut st, vprec, espan, zeros)).collect())
            .collect();
        if round % 7 == 0 && s >= 2 {
            // a sum that cancels: the last term's value is minus the rest's, rounded
            let k = s - 1;
            let rest: Rational = (0..k)
                .map(|j| m[j].to_rational().unwrap() * v[j][0].to_rational().unwrap())
                .sum();
            if !m[k].is_zero() {
                v[k][0] = Float::with_val(vprec, -rest / m[k].to_rational().unwrap());
            }
        }
        let a = AlignedMatrix::new(&m, s).expect("aligned");
        let mut out = vec![vec![Float::new(prec); n]; s];
        assert!(
            a.mul(&v, &mut out),
            "round {round} prec {prec} vprec {vprec} s {s}"
        );
        for k in 0..s {
            let row = &m[k * s..(k + 1) * s];
            let rmax = row.iter().map(exp_of).max().unwrap();
            for i in 0..n {
                let exact: Rational = row
                    .iter()
                    .zip(&v)
                    .map(|(x, vj)| x.to_rational().unwrap() * vj[i].to_rational().unwrap())
                    .sum();
                let cmax = v.iter().map(|vj| exp_of(&vj[i])).max().unwrap();
                let got = out[k][i].to_rational().unwrap();
                if rmax == i64::MIN || cmax == i64::MIN {
                    assert_eq!(got, 0, "round {round}: a zero row or column");
                    continue;
                }
                // the matrix's entries in L + 1 limbs, the vectors' in L + 1 or, for
                // one-limb vectors, two
                let la = prec.div_ceil(64) + 1;
                let lb = if vprec <= 64 { 2 } else { la };
                let window = Rational::from((la + 2) * s as u32)
                    * Rational::from(2).pow((rmax + cmax - 64 * la.min(lb) as i64) as i32);
                let half_ulp = match out[k][i].get_exp() {
                    Some(e) => Rational::from(2).pow(e - prec as i32 - 1),
                    None => Rational::new(),
                };
                let err = Rational::from(&got - &exact).abs();
                assert!(
                    err <= window + half_ulp,
                    "round {round}, s {s}, prec {prec}, ({k}, {i}): {got} vs {exact}"
                );
                checked += 1;
            }
        }
    }
    assert!(checked > 3000, "{checked}");
}

/// Values wider than the matrix's, NaN and infinities are refused (the caller then
/// takes exact dot products), and so are matrices wider than the kernel's limbs;
/// narrower values are taken exactly.
#[test]
fn wider_and_special_values_are_refused() {
    let m = vec![Float::with_val(128, 1.5); 4];
    let a = AlignedMatrix::new(&m, 2).unwrap();
    let mut out = vec![vec![Float::new(128); 1]; 2];
    let wide = vec![vec![Float::with_val(192, 1)]; 2];
    assert!(!a.mul(&wide, &mut out));
    let nan = vec![vec![Float::with_val(128, rug::float::Special::Nan)]; 2];
    assert!(!a.mul(&nan, &mut out));
    let inf = vec![vec![Float::with_val(128, rug::float::Special::Infinity)]; 2];
    assert!(!a.mul(&inf, &mut out));
    let mut narrow_out = vec![vec![Float::new(64); 1]; 2];
    let ok = vec![vec![Float::with_val(128, 2)]; 2];
    assert!(!a.mul(&ok, &mut narrow_out), "outputs of another width");
    assert!(a.mul(&ok, &mut out));
    assert_eq!(out[0][0], 6);
    // one-limb vectors, exactly
    let v = vec![
        vec![Float::with_val(64, 2)],
        vec![Float::with_val(64, -0.5)],
    ];
    assert!(a.mul(&v, &mut out));
    assert_eq!(out[1][0], 2.25);
    assert!(AlignedMatrix::new(&[Float::with_val(320, 1)], 1).is_none());
    let n = Float::with_val(128, 1);
    // a narrower entry is exact in the aligned form
    let e = Float::with_val(64, 0.75);
    let mixed = AlignedMatrix::new(&[n.clone(), e, n.clone(), n], 2).unwrap();
    let v = vec![vec![Float::with_val(128, 2)]; 2];
    assert!(mixed.mul(&v, &mut out));
    assert_eq!(out[0][0], 3.5);
}
