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

/// The bits above 4n (n the degree) at which the Aberth–Ehrlich iteration of [`roots`]
/// runs: the polynomials' coefficients grow like 4^n (shifted Legendre), so evaluating
/// one near a root cancels about 2n bits, and its stopping test at 2^-(ap/2) stays
/// 32 bits above that round-off.
const ABERTH_BITS: u32 = 64;

/// The most sweeps of the Aberth–Ehrlich iteration, a bound far above its needs (at 18 to
/// 24 stages the tableaux' eigenvalues take 10 to 16 from the circle, their nodes 4 to 5
/// from the Chebyshev–Radau points).
const MAX_SWEEPS: usize = 2000;

/// The roots of a real polynomial: its real roots, ascending, and one root of each
/// complex-conjugate pair, the one with positive imaginary part, ascending by real part
/// (then imaginary part).
#[derive(Clone, Debug)]
pub struct Roots {
    pub reals: Vec<Float>,
    pub pairs: Vec<Complex>,
}

/// The roots of the real polynomial `sum_k coeffs[k] z^k` (leading coefficient
/// nonzero), all real and simple, from one starting value per root: see [`roots`].
pub fn real_roots(coeffs: &[Float], prec: u32, guesses: &[Float]) -> Vec<Float> {
    assert_eq!(
        guesses.len() + 1,
        coeffs.len(),
        "one starting value per root"
    );
    roots(coeffs, prec, guesses.to_vec(), Vec::new()).reals
}

/// The roots of the real polynomial `sum_k coeffs[k] z^k` (leading coefficient
/// nonzero), of which exactly `reals` are real, all simple, from starting values on a
/// circle around the roots' centroid: see [`roots`].
pub fn roots_on_circle(coeffs: &[Float], prec: u32, reals: usize) -> Roots {
    let n = coeffs.len() - 1;
    assert!(
        reals <= n && (n - reals).is_multiple_of(2),
        "complex roots come in pairs"
    );
    let (_, _, ap) = precisions(n, prec);
    let ca: Vec<Float> = coeffs.iter().map(|x| Float::with_val(ap, x)).collect();
    // the centroid z0 = -a_{n-1} / (n a_n), the radius the geometric mean of the
    // roots' distances from it, |p(z0) / a_n|^(1/n) (or 1)
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
    // the pairs at angles π(2k + 1)/(2m + r) for k < m, in the upper half plane and
    // symmetric to their conjugates; the real ones spread over [z0 - R, z0 + R]
    let m = (n - reals) / 2;
    let pi = Float::with_val(ap, Constant::Pi);
    let pairs = (0..m)
        .map(|k| {
            let ang = Float::with_val(ap, &pi * (2 * k as u32 + 1)) / (n as u32);
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
    let reals = (0..reals)
        .map(|k| {
            let t = Float::with_val(ap, 2 * k as u32 + 1) / (reals as u32) - 1u32;
            Float::with_val(ap, &t * &radius) + &z0
        })
        .collect();
    roots(coeffs, prec, reals, pairs)
}

/// The precisions of a root find of degree n for `prec` bits: the cancellation (2n
/// bits: evaluating the polynomial near a root cancels about 2n bits of its
/// coefficients' size), the working precision prec + 64 + 2n and the Aberth
/// iteration's ([`ABERTH_BITS`] + 4n, at most the working one).
fn precisions(n: usize, prec: u32) -> (u32, u32, u32) {
    let cancel = 2 * n as u32;
    let wp = prec + 64 + cancel;
    (cancel, wp, wp.min(ABERTH_BITS + 2 * cancel))
}

/// The roots of a real polynomial from starting values for its real roots and for one
/// root of each complex pair (upper half plane), computed at `prec + 64 + 2n` bits and
/// rounded to `prec`.
///
/// Aberth–Ehrlich at a modest precision ([`ABERTH_BITS`] + 4n bits), Gauss–Seidel
/// style, each root frozen once its correction is below 2^-(ap/2) relative to |z| + 1,
/// on the real roots in real arithmetic and on the pairs with their conjugates implied
/// (the sum over the other roots includes them), which halves the complex work; then
/// Newton, doubling the precision at each step (the bits a step can deliver are twice
/// those it starts from, less the 2n the evaluation cancels), and one last step at the
/// working precision. Panics if the iteration fails to converge or the count of real
/// roots is not the polynomial's, which for the polynomials of the tableaux (every
/// stage count is tested) does not happen. Deterministic.
fn roots(coeffs: &[Float], prec: u32, reals: Vec<Float>, pairs: Vec<Complex>) -> Roots {
    let n = coeffs.len() - 1;
    assert!(n >= 1 && !coeffs[n].is_zero());
    assert_eq!(
        reals.len() + 2 * pairs.len(),
        n,
        "a starting value per root"
    );
    let (cancel, wp, ap) = precisions(n, prec);
    let c: Vec<Float> = coeffs.iter().map(|x| Float::with_val(wp, x)).collect();
    let mut z = Roots { reals, pairs };
    if n == 1 {
        z.reals = vec![Float::with_val(wp, -&c[0]) / &c[1]];
    } else {
        let ca: Vec<Float> = c.iter().map(|x| Float::with_val(ap, x)).collect();
        for x in &mut z.reals {
            x.set_prec(ap);
        }
        for x in &mut z.pairs {
            x.set_prec(ap);
        }
        assert!(
            aberth(&ca, ap, &mut z),
            "polynomial root iteration did not converge"
        );
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
            for zk in z.reals.iter_mut() {
                let mut x = Float::with_val(p, &*zk);
                let (v, dv) = eval_real(&cp, &x);
                if !dv.is_zero() {
                    x -= v / dv;
                }
                *zk = x;
            }
            let mut h = Horner::new(p);
            for zk in z.pairs.iter_mut() {
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
    }
    let mut out = Roots {
        reals: z
            .reals
            .into_iter()
            .map(|x| Float::with_val(prec, x))
            .collect(),
        pairs: z
            .pairs
            .into_iter()
            .map(|x| Complex::with_val(prec, x))
            .collect(),
    };
    out.reals.sort_by(|a, b| a.partial_cmp(b).unwrap());
    out.pairs.sort_by(|a, b| {
        a.real()
            .partial_cmp(b.real())
            .unwrap()
            .then(a.imag().partial_cmp(b.imag()).unwrap())
    });
    out
}

/// sum += 1/(dre + i dim) in real arithmetic (1/d = conj(d) / |d|^2), `den` and `t`
/// scratch.
fn add_recip(
    sr: &mut Float,
    si: &mut Float,
    dre: &Float,
    dim: &Float,
    den: &mut Float,
    t: &mut Float,
) {
    den.assign(dre.square_ref());
    t.assign(dim.square_ref());
    *den += &*t;
    den.recip_mut();
    t.assign(dre * &*den);
    *sr += &*t;
    t.assign(dim * &*den);
    *si -= &*t;
}

/// The Aberth–Ehrlich iteration of [`roots`] at `ap` bits on `z` (degree n >= 2): false
/// when it does not converge within [`MAX_SWEEPS`], a correction is not finite, or a
/// pair lands on the real axis (a real root taken for a pair).
fn aberth(c: &[Float], ap: u32, z: &mut Roots) -> bool {
    let tol = Float::with_val(ap, Float::i_exp(1, -((ap / 2) as i32)));
    let (nr, np) = (z.reals.len(), z.pairs.len());
    let mut frozen = vec![false; nr + np];
    let mut horner = Horner::new(ap);
    let (mut sr, mut si) = (Float::new(ap), Float::new(ap));
    let (mut dre, mut dim, mut den, mut t) = (
        Float::new(ap),
        Float::new(ap),
        Float::new(ap),
        Float::new(ap),
    );
    for _ in 0..MAX_SWEEPS {
        for k in 0..nr {
            if frozen[k] {
                continue;
            }
            let (p, dp) = eval_real(c, &z.reals[k]);
            if p.is_zero() {
                frozen[k] = true;
                continue;
            }
            let ratio = Float::with_val(ap, &p / &dp);
            // sum_j 1/(x_k - z_j) over the other roots, the pairs' conjugates included:
            // 1/(x - z) + 1/(x - conj z) = 2 Re 1/(x - z)
            sr.assign(0);
            for j in (0..nr).filter(|&j| j != k) {
                dre.assign(&z.reals[k] - &z.reals[j]);
                dre.recip_mut();
                sr += &dre;
            }
            // the pairs' terms 2 Re 1/(x_k - z_j) (the imaginary parts, which the
            // conjugates cancel, go to si unused)
            let mut pairs_sum = Float::new(ap);
            for zj in &z.pairs {
                dre.assign(&z.reals[k] - zj.real());
                dim.assign(-zj.imag());
                add_recip(&mut pairs_sum, &mut si, &dre, &dim, &mut den, &mut t);
            }
            pairs_sum <<= 1;
            sr += &pairs_sum;
            let denom = Float::with_val(ap, 1) - Float::with_val(ap, &ratio * &sr);
            let step = ratio / denom;
            if !step.is_finite() {
                return false;
            }
            let mag = Float::with_val(ap, step.abs_ref())
                / (Float::with_val(ap, z.reals[k].abs_ref()) + 1u32);
            z.reals[k] -= &step;
            if mag < tol {
                frozen[k] = true;
            }
        }
        for k in 0..np {
            if frozen[nr + k] {
                continue;
            }
            let zk = &z.pairs[k];
            horner.eval(c, zk.real(), zk.imag());
            let [pr, pi, dr, di] = &horner.v;
            if pr.is_zero() && pi.is_zero() {
                frozen[nr + k] = true;
                continue;
            }
            let ratio = Complex::with_val(ap, (pr, pi)) / Complex::with_val(ap, (dr, di));
            // sum_j 1/(z_k - z_j) over the other roots: the real ones, the other pairs
            // and their conjugates, and z_k's own conjugate
            sr.assign(0);
            si.assign(0);
            for x in &z.reals {
                dre.assign(zk.real() - x);
                add_recip(&mut sr, &mut si, &dre, zk.imag(), &mut den, &mut t);
            }
            for (j, zj) in z.pairs.iter().enumerate() {
                dre.assign(zk.real() - zj.real());
                if j != k {
                    dim.assign(zk.imag() - zj.imag());
                    add_recip(&mut sr, &mut si, &dre, &dim, &mut den, &mut t);
                }
                dim.assign(zk.imag() + zj.imag());
                add_recip(&mut sr, &mut si, &dre, &dim, &mut den, &mut t);
            }
            let sum = Complex::with_val(ap, (&sr, &si));
            let denom = Complex::with_val(ap, 1) - Complex::with_val(ap, &ratio * &sum);
            let step = ratio / denom;
            if !(step.real().is_finite() && step.imag().is_finite()) {
                return false;
            }
            let mag = cabs(&step) / (cabs(zk) + 1u32);
            z.pairs[k] -= &step;
            // a step across the real axis: the pair is the same with its conjugate first
            if z.pairs[k].imag().is_sign_negative() {
                z.pairs[k].conj_mut();
            }
            if z.pairs[k].imag().is_zero() {
                return false;
            }
            if mag < tol {
                frozen[nr + k] = true;
            }
        }
        if frozen.iter().all(|&f| f) {
            return true;
        }
    }
    false
}

fn cabs(z: &Complex) -> Float {
    Float::with_val(z.prec().0, z.abs_ref())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quadratic_complex_roots() {
        // z^2 - 4z + 6: roots 2 +- i sqrt(2)
        let p = 256;
        let c: Vec<Float> = [6, -4, 1].iter().map(|&v| Float::with_val(p, v)).collect();
        let r = roots_on_circle(&c, p, 0);
        assert!(r.reals.is_empty());
        assert_eq!(r.pairs.len(), 1);
        let s2 = Float::with_val(p, 2).sqrt();
        let e = Float::with_val(p, r.pairs[0].real() - 2u32).abs()
            + Float::with_val(p, r.pairs[0].imag() - &s2).abs();
        assert!(e < Float::with_val(p, Float::i_exp(1, -250)), "{e}");
    }

    /// prod_{k=1..8} (z - k), at `p` bits.
    fn integer_roots(p: u32) -> Vec<Float> {
        let mut c = vec![Float::with_val(p, 1)];
        for k in 1..=8i32 {
            let mut next = vec![Float::new(p); c.len() + 1];
            for (i, a) in c.iter().enumerate() {
                next[i + 1] += a;
                next[i] -= Float::with_val(p, a * k);
            }
            c = next;
        }
        c
    }

    fn assert_integer_roots(r: &[Float], p: u32) {
        assert_eq!(r.len(), 8);
        for (k, x) in r.iter().enumerate() {
            let e = Float::with_val(p, x - (k as i32 + 1)).abs();
            assert!(
                e < Float::with_val(p, Float::i_exp(1, -280)),
                "root {k}: {e}"
            );
        }
    }

    /// Eight real roots, from the circle's spread of real starting values and from
    /// starting values of one's own (descending, and far off).
    #[test]
    fn integer_roots_degree_eight() {
        let p = 300;
        let c = integer_roots(p);
        let r = roots_on_circle(&c, p, 8);
        assert!(r.pairs.is_empty());
        assert_integer_roots(&r.reals, p);
        let guesses: Vec<Float> = (0..8).map(|k| Float::with_val(64, 20 - 2 * k)).collect();
        assert_integer_roots(&real_roots(&c, p, &guesses), p);
    }

    /// A real root and two pairs: (z - 3)(z^2 + 1)(z^2 - 2z + 5), roots 3, ±i, 1 ± 2i.
    #[test]
    fn a_real_root_and_two_pairs() {
        let p = 200;
        // (z - 3)(z^4 - 2z^3 + 6z^2 - 2z + 5) = z^5 - 5z^4 + 12z^3 - 20z^2 + 11z - 15
        let c: Vec<Float> = [-15, 11, -20, 12, -5, 1]
            .iter()
            .map(|&v| Float::with_val(p, v))
            .collect();
        let r = roots_on_circle(&c, p, 1);
        let tol = Float::with_val(p, Float::i_exp(1, -190));
        assert_eq!(r.reals.len(), 1);
        assert!(Float::with_val(p, &r.reals[0] - 3u32).abs() < tol);
        let want = [(0, 1), (1, 2)];
        assert_eq!(r.pairs.len(), 2);
        for (z, (re, im)) in r.pairs.iter().zip(want) {
            let e =
                Float::with_val(p, z.real() - re).abs() + Float::with_val(p, z.imag() - im).abs();
            assert!(e < tol, "{z} vs {re} + {im}i");
        }
    }

    /// A count of real roots that is not the polynomial's does not converge: the pairs
    /// of z^2 + 1 taken for two real roots.
    #[test]
    #[should_panic(expected = "did not converge")]
    fn a_wrong_count_of_real_roots_is_refused() {
        let p = 128;
        let c: Vec<Float> = [1, 0, 1].iter().map(|&v| Float::with_val(p, v)).collect();
        roots_on_circle(&c, p, 2);
    }
}
