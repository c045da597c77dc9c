//! Polynomials with real coefficients over MPFR: evaluation and all complex roots
//! (Aberth–Ehrlich iteration followed by Newton polishing). Deterministic.

use rug::float::Constant;
use rug::{Assign, Complex, Float};

/// Horner's rule for p and p' at a complex point, its values and scratch reused.
struct Horner {
    /// Re p, Im p, Re p', Im p'
    v: [Float; 4],
    t: [Float; 3],
}

impl Horner {
    fn new(prec: u32) -> Horner {
        let f = || Float::new(prec);
        Horner {
            v: [f(), f(), f(), f()],
            t: [f(), f(), f()],
        }
    }

    /// v := (p(z), p'(z)) for z = zr + i zi, each step p' := p' z + p, p := p z + c.
    fn eval(&mut self, coeffs: &[Float], zr: &Float, zi: &Float) {
        let [pr, pi, dr, di] = &mut self.v;
        let [a, b, c] = &mut self.t;
        for x in [&mut *pr, &mut *pi, &mut *dr, &mut *di] {
            x.assign(0);
        }
        for k in coeffs.iter().rev() {
            // p' z + p
            times(a, b, c, dr, di, zr, zi);
            dr.assign(&*a + &*pr);
            di.assign(&*c + &*pi);
            // p z + c
            times(a, b, c, pr, pi, zr, zi);
            pr.assign(&*a + k);
            pi.assign(&*c);
        }
    }
}

/// (re, im) := (xr + i xi)(zr + i zi), with `t` as scratch.
fn times(
    re: &mut Float,
    t: &mut Float,
    im: &mut Float,
    xr: &Float,
    xi: &Float,
    zr: &Float,
    zi: &Float,
) {
    re.assign(xr * zr);
    t.assign(xi * zi);
    *re -= &*t;
    im.assign(xr * zi);
    t.assign(xi * zr);
    *im += &*t;
}

/// Evaluate a real polynomial and its derivative at a real point.
pub fn eval_real(coeffs: &[Float], x: &Float) -> (Float, Float) {
    let prec = x.prec();
    let mut p = Float::new(prec);
    let mut dp = Float::new(prec);
    for c in coeffs.iter().rev() {
        dp *= x;
        dp += &p;
        p *= x;
        p += c;
    }
    (p, dp)
}

fn cabs(z: &Complex) -> Float {
    Float::with_val(z.prec().0, z.abs_ref())
}

/// The bits above 4n (n the degree) at which the Aberth–Ehrlich iteration of [`roots`]
/// runs: the polynomials' coefficients grow like 4^n (shifted Legendre), so evaluating
/// one near a root cancels about 2n bits, and its stopping test at 2^-(ap/2) stays
/// 32 bits above that round-off.
const ABERTH_BITS: u32 = 64;

/// All roots of the real polynomial `sum_k coeffs[k] z^k` (leading coefficient nonzero),
/// computed at `prec + 64 + 2n` bits (n the degree: evaluating the polynomial near a
/// root cancels about 2n bits of its coefficients' size) and rounded to `prec`. Roots
/// are returned sorted by real part, then imaginary part. Panics if the iteration fails
/// to converge, which for the small well-conditioned polynomials used here (Radau
/// nodes, Padé denominators) does not happen; the tests cover every degree used.
///
/// Aberth–Ehrlich at a modest precision ([`ABERTH_BITS`] + 4n bits) from a circle
/// around the roots' centroid, each root frozen once its correction is below the
/// stopping test; then Newton, doubling the precision at each step (the bits a step can
/// deliver are twice those it starts from, less the 2n the evaluation cancels), and one
/// last step at the working precision.
pub fn roots(coeffs: &[Float], prec: u32) -> Vec<Complex> {
    let n = coeffs.len() - 1;
    assert!(n >= 1 && !coeffs[n].is_zero());
    let cancel = 2 * n as u32;
    let wp = prec + 64 + cancel;
    let c: Vec<Float> = coeffs.iter().map(|x| Float::with_val(wp, x)).collect();
    if n == 1 {
        let r = Float::with_val(wp, -&c[0]) / &c[1];
        return vec![Complex::with_val(prec, (r, 0))];
    }
    let ap = wp.min(ABERTH_BITS + 2 * cancel);
    let mut z = aberth(&c, ap);
    // Newton with doubling precision: from about ap/2 correct bits, each step at the
    // precision its result needs plus the cancellation and 16 guard bits
    let mut levels = Vec::new();
    let mut bits = ap / 2;
    loop {
        bits = (2 * bits).min(wp);
        let p = (bits + cancel + 16).min(wp);
        levels.push(p);
        if p == wp {
            break;
        }
    }
    levels.push(wp);
    for p in levels {
        let cp: Vec<Float> = c.iter().map(|x| Float::with_val(p, x)).collect();
        let mut h = Horner::new(p);
        for zk in z.iter_mut() {
            let mut x = Complex::with_val(p, &*zk);
            h.eval(&cp, x.real(), x.imag());
            let [pr, pi, dr, di] = &h.v;
            if !(dr.is_zero() && di.is_zero()) {
                let step = Complex::with_val(p, (pr, pi)) / Complex::with_val(p, (dr, di));
                x -= step;
            }
            *zk = x;
        }
    }
    let mut out: Vec<Complex> = z.into_iter().map(|x| Complex::with_val(prec, x)).collect();
    out.sort_by(|a, b| {
        a.real()
            .partial_cmp(b.real())
            .unwrap()
            .then(a.imag().partial_cmp(b.imag()).unwrap())
    });
    out
}

/// The roots of `c` (degree n >= 2) by the Aberth–Ehrlich iteration at `ap` bits,
/// Gauss–Seidel style, to a correction below 2^-(ap/2) relative to |z| + 1.
fn aberth(c: &[Float], ap: u32) -> Vec<Complex> {
    let n = c.len() - 1;
    let ca: Vec<Float> = c.iter().map(|x| Float::with_val(ap, x)).collect();
    // initial guesses on a circle around the centroid z0 = -a_{n-1} / (n a_n), of
    // radius the geometric mean of the roots' distances from it, |p(z0) / a_n|^(1/n)
    // (or 1), rotated off the axes
    let z0 = Float::with_val(ap, -&ca[n - 1]) / &ca[n] / (n as u32);
    let mut radius = {
        let (p0, _) = eval_real(&ca, &z0);
        Float::with_val(ap, &p0 / &ca[n]).abs()
    };
    if radius.is_zero() {
        radius = Float::with_val(ap, 1);
    } else {
        radius = radius.root(n as u32);
    }
    let two_pi = Float::with_val(ap, Constant::Pi) * 2u32;
    let mut z: Vec<Complex> = (0..n)
        .map(|k| {
            let ang = Float::with_val(ap, &two_pi * (k as u32)) / (n as u32)
                + Float::with_val(ap, 2) / 5u32; // fixed offset 0.4 rad keeps guesses off the axes
            let (s, co) = ang.sin_cos(Float::new(ap));
            Complex::with_val(
                ap,
                (
                    Float::with_val(ap, &co * &radius) + &z0,
                    Float::with_val(ap, &s * &radius),
                ),
            )
        })
        .collect();
    let tol = Float::with_val(ap, Float::i_exp(1, -((ap / 2) as i32)));
    let mut frozen = vec![false; n];
    let mut horner = Horner::new(ap);
    let (mut sr, mut si) = (Float::new(ap), Float::new(ap));
    let (mut dre, mut dim, mut den, mut t) = (
        Float::new(ap),
        Float::new(ap),
        Float::new(ap),
        Float::new(ap),
    );
    for _ in 0..2000 {
        for k in 0..n {
            if frozen[k] {
                continue;
            }
            horner.eval(&ca, z[k].real(), z[k].imag());
            let [pr, pi, dr, di] = &horner.v;
            if pr.is_zero() && pi.is_zero() {
                frozen[k] = true;
                continue;
            }
            let p = Complex::with_val(ap, (pr, pi));
            let dp = Complex::with_val(ap, (dr, di));
            let ratio = Complex::with_val(ap, &p / &dp);
            // sum_j 1/(z_k - z_j) in real arithmetic: 1/d = conj(d) / |d|^2
            sr.assign(0);
            si.assign(0);
            for j in 0..n {
                if j != k {
                    dre.assign(z[k].real() - z[j].real());
                    dim.assign(z[k].imag() - z[j].imag());
                    den.assign(dre.square_ref());
                    t.assign(dim.square_ref());
                    den += &t;
                    den.recip_mut();
                    t.assign(&dre * &den);
                    sr += &t;
                    t.assign(&dim * &den);
                    si -= &t;
                }
            }
            let sum = Complex::with_val(ap, (&sr, &si));
            let denom = Complex::with_val(ap, 1) - Complex::with_val(ap, &ratio * &sum);
            let step = ratio / denom;
            let mag = cabs(&step) / (cabs(&z[k]) + 1u32);
            z[k] -= &step;
            if mag < tol {
                frozen[k] = true;
            }
        }
        if frozen.iter().all(|&f| f) {
            return z;
        }
    }
    panic!("polynomial root iteration did not converge");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quadratic_complex_roots() {
        // z^2 - 4z + 6: roots 2 +- i sqrt(2)
        let p = 256;
        let c: Vec<Float> = [6, -4, 1].iter().map(|&v| Float::with_val(p, v)).collect();
        let r = roots(&c, p);
        let s2 = Float::with_val(p, 2).sqrt();
        assert_eq!(r.len(), 2);
        let e0 = Float::with_val(p, r[0].real() - 2u32).abs()
            + Float::with_val(p, r[0].imag() + &s2).abs();
        let e1 = Float::with_val(p, r[1].real() - 2u32).abs()
            + Float::with_val(p, r[1].imag() - &s2).abs();
        let tol = Float::with_val(p, Float::i_exp(1, -250));
        assert!(e0 < tol && e1 < tol, "{e0} {e1}");
    }

    #[test]
    fn integer_roots_degree_eight() {
        // prod_{k=1..8} (z - k)
        let p = 300;
        let mut c = vec![Float::with_val(p, 1)];
        for k in 1..=8i32 {
            let mut next = vec![Float::new(p); c.len() + 1];
            for (i, a) in c.iter().enumerate() {
                next[i + 1] += a;
                next[i] -= Float::with_val(p, a * k);
            }
            c = next;
        }
        let r = roots(&c, p);
        for (k, z) in r.iter().enumerate() {
            let e = Float::with_val(p, z.real() - (k as i32 + 1)).abs() + z.imag().clone().abs();
            assert!(
                e < Float::with_val(p, Float::i_exp(1, -280)),
                "root {k}: {e}"
            );
        }
    }
}
