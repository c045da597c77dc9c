//! The depth-D diagonal network's mirror map (docs/math.md §2):
//! w as an explicit function of beta = Z nu, with its first two derivatives.
//!
//! D = 2:  w = 2 α² sinh(4β),  w' = 8 α² cosh(4β),  w'' = 32 α² sinh(4β)
//! D ≥ 3:  c = α^(D-2) D (D-2), s = c β, e = D/(D-2), r± = (1 ∓ s)^(-1/(D-2))
//!         w = α^D (r+^D - r-^D) = α^D h_D(s), h_D(s) = (1-s)^(-e) - (1+s)^(-e)
//!         w' = α^D c e [(1-s)^(-e-1) + (1+s)^(-e-1)]
//!         w'' = α^D c² e (e+1) [(1-s)^(-e-2) - (1+s)^(-e-2)]
//! (1 ∓ s)^(-e) is computed as 1 / ((1 ∓ s)^(1/(D-2)))^D with MPFR's correctly rounded
//! k-th root, so no rounded exponent enters.

use crate::num::expmemo::{pow_neg_fresh, ExpMemo};
use crate::num::from_rational;
use crate::num::mul::{mul_assign, mul_new};
use rug::ops::Pow;
use rug::{Float, Rational};

/// The depths a network may have: D >= 2 (D = 1 is a linear model, not a diagonal
/// network; the map below needs D - 2 >= 0), and at most [`MAX_DEPTH`]. The map works for
/// any D >= 2; the bound keeps α^D and the cost of a path within reach. Case files,
/// `--depths` and `--depth` all check against these.
pub const MIN_DEPTH: u32 = 2;
/// See [`MIN_DEPTH`].
pub const MAX_DEPTH: u32 = 1000;

/// Mirror map of a depth-D network at initialization scale α, at a fixed precision.
#[derive(Clone, Debug)]
pub struct Mirror {
    pub depth: u32,
    pub prec: u32,
    pub alpha: Float,
    /// α^D
    pub alpha_d: Float,
    /// D = 2: 2α²; D ≥ 3: c = α^(D-2) D (D-2)
    k: Float,
    /// D ≥ 3: e = D/(D-2) and e(e+1)
    e: Float,
    ee1: Float,
}

/// w, dw/dβ and d²w/dβ² at one β.
/// The highest derivative of w an evaluation computes ([`Mirror::eval_upto`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Order {
    /// w alone
    W,
    /// w and w'
    Dw,
    /// w, w' and w''
    D2w,
}

#[derive(Clone, Debug)]
pub struct MirrorEval {
    pub w: Float,
    pub dw: Float,
    pub d2w: Float,
}

/// The memo slots one coordinate of [`Mirror::eval_memo`] takes: expm1 for w and w''
/// (0, 1), atanh s (2), and the two powers (1 ∓ s)^(-e) (3, 4).
pub const MEMO_SLOTS: usize = 5;

/// An elementary function the mirror map evaluates: e^x - 1 (0 for w's, 1 for w''s),
/// atanh s, and x^(-e) (0 for 1 - s, 1 for 1 + s).
enum Elem<'a> {
    ExpM1(usize, Float),
    Atanh(&'a Float),
    PowNeg(usize, &'a Float),
}

impl Mirror {
    pub fn new(depth: u32, alpha: &Rational, prec: u32) -> Mirror {
        let a = from_rational(prec, alpha);
        let alpha_d = Float::with_val(prec, a.clone().pow(depth));
        Mirror::from_parts(depth, a, alpha_d, prec)
    }

    /// The mirror map for α given by α^D (exact): α = (α^D)^(1/D), a correctly rounded
    /// root, and α^D itself rounded once.
    pub fn from_alpha_pow(depth: u32, alpha_d: &Rational, prec: u32) -> Mirror {
        let ad = from_rational(prec, alpha_d);
        let a = Float::with_val(prec, from_rational(prec + 32, alpha_d).root(depth));
        Mirror::from_parts(depth, a, ad, prec)
    }

    fn from_parts(depth: u32, a: Float, alpha_d: Float, prec: u32) -> Mirror {
        assert!(depth >= 2);
        let (k, e, ee1) = if depth == 2 {
            (
                Float::with_val(prec, a.square_ref()) * 2u32,
                Float::new(prec),
                Float::new(prec),
            )
        } else {
            let c = Float::with_val(prec, a.clone().pow(depth - 2)) * (depth * (depth - 2));
            let e = from_rational(prec, &Rational::from((depth, depth - 2)));
            let ee1 = from_rational(
                prec,
                &Rational::from((depth * (2 * depth - 2), (depth - 2) * (depth - 2))),
            );
            (c, e, ee1)
        };
        Mirror {
            depth,
            prec,
            alpha: a,
            alpha_d,
            k,
            e,
            ee1,
        }
    }

    /// The scale c with s = c β (D ≥ 3); for D = 2 the factor 2α².
    pub fn c(&self) -> &Float {
        &self.k
    }

    /// w(β) only.
    pub fn w(&self, beta: &Float) -> Float {
        self.eval(beta).w
    }

    /// W*(β), the antiderivative of w(β) with W*(0) = 0 (convex, even; the dual potential
    /// of the regression references and the flow's tail bound, docs/math.md §13.3),
    /// evaluated without cancellation: D = 2: α² sinh(2β)² (sinh from one expm1); D ≥ 3:
    /// (α^D / c) q*(s), s = cβ, q*(s) = [(1-s)^(1-e) + (1+s)^(1-e) - 2] / (e-1), for
    /// |s| < 1/4 as 2 [expm1(a) + 2 A sinh(B/2)²] / (e-1) with a = (1-e)/2 log1p(-s²),
    /// A = e^a, B = (1-e) atanh s (two positive terms). `None` outside the domain
    /// (|s| >= 1) or on overflow.
    pub fn wstar(&self, beta: &Float) -> Option<Float> {
        let p = self.prec;
        if self.depth == 2 {
            // alpha^2 sinh(2|b|)^2, sinh from m = expm1(2|b|): m (m + 2) / (2 (m + 1))
            let ax = Float::with_val(p, beta.abs_ref()) * 2u32;
            let e = ax.exp_m1();
            let sh = Float::with_val(p, &e + 2u32) * &e / Float::with_val(p, &e + 1u32) / 2u32;
            let v = Float::with_val(p, sh.square_ref()) * self.c() / 2u32;
            return v.is_finite().then_some(v);
        }
        let d = self.depth;
        let s = Float::with_val(p, beta * self.c());
        let om = Float::with_val(p, 1) - &s;
        let op = Float::with_val(p, 1) + &s;
        if !(om.is_sign_positive() && op.is_sign_positive()) || om.is_zero() || op.is_zero() {
            return None;
        }
        // e - 1 = 2/(D-2), 1 - e = -2/(D-2)
        let em1 = Float::with_val(p, 2u32) / (d - 2);
        let qs = if s.cmp_abs(&Float::with_val(p, Float::i_exp(1, -2)))
            == Some(std::cmp::Ordering::Less)
        {
            let a = Float::with_val(p, s.square_ref());
            let a = (-a).ln_1p() * Float::with_val(p, -&em1) / 2u32;
            let big_a = Float::with_val(p, a.exp_ref());
            let b = Float::with_val(p, s.atanh_ref()) * Float::with_val(p, -&em1) / 2u32;
            let sh = b.sinh();
            let t = Float::with_val(p, sh.square_ref()) * big_a * 2u32 + a.exp_m1();
            t * 2u32 / &em1
        } else {
            let pw = |x: &Float| -> Float {
                let r = if d == 3 {
                    x.clone()
                } else {
                    Float::with_val(p, x.root_ref(d - 2))
                };
                Float::with_val(p, r.square_ref()).recip()
            };
            (pw(&om) + pw(&op) - 2u32) / &em1
        };
        let v = qs * &self.alpha_d / self.c();
        v.is_finite().then_some(v)
    }

    /// w, w', w'' at β. For D ≥ 3 requires |c β| < 1 (always true along the flow);
    /// outside that range the values are NaN.
    pub fn eval(&self, beta: &Float) -> MirrorEval {
        self.eval_upto(beta, Order::D2w)
    }

    /// w and its derivatives up to `order` at β; the derivatives above it are NaN (not
    /// computed: a right-hand side that needs w alone skips the divisions and, for
    /// D ≥ 3 near β = 0, the second expm1 of w''). The values computed are the same
    /// bit for bit as [`Mirror::eval`]'s: the same operations in the same order.
    pub fn eval_upto(&self, beta: &Float, order: Order) -> MirrorEval {
        let p = self.prec;
        self.eval_with(beta, order, &mut |f| match f {
            Elem::ExpM1(_, x) => crate::num::exp::exp_m1(x.prec(), &x),
            Elem::Atanh(s) => Float::with_val(p, s.atanh_ref()),
            Elem::PowNeg(_, x) => pow_neg_fresh(x, self.depth),
        })
    }

    /// [`Mirror::eval_upto`] with its elementary functions from `memo` (slots `slot` to
    /// `slot + MEMO_SLOTS - 1`): the same operations, each from the last one of its slot
    /// when β moved little since (see [`ExpMemo`]), so the values may differ from
    /// eval_upto's in the last few bits. (For D = 3 the powers 1/(1 ± s)^3 cost less
    /// than their update and are computed afresh.)
    pub fn eval_memo(
        &self,
        beta: &Float,
        order: Order,
        memo: &mut ExpMemo,
        slot: usize,
    ) -> MirrorEval {
        let d = self.depth;
        self.eval_with(beta, order, &mut |f| match f {
            Elem::ExpM1(k, x) => memo.exp_m1(slot + k, &x),
            Elem::Atanh(s) => memo.atanh(slot + 2, s),
            Elem::PowNeg(_, x) if d == 3 => pow_neg_fresh(x, d),
            Elem::PowNeg(k, x) => memo.pow_neg(slot + 3 + k, x, d),
        })
    }

    /// The evaluation, with `elem` computing its elementary functions.
    fn eval_with(
        &self,
        beta: &Float,
        order: Order,
        elem: &mut dyn FnMut(Elem) -> Float,
    ) -> MirrorEval {
        let p = self.prec;
        let nan = || Float::with_val(p, rug::float::Special::Nan);
        if self.depth == 2 {
            // sinh and cosh of x = 4β from one expm1 of |x| (no cancellation anywhere:
            // with m = e^|x| - 1 >= 0, sinh|x| = m (m + 2) / (2 (m + 1)),
            // cosh x = ((m + 1) + 1/(m + 1)) / 2), then the sign of sinh from β
            let ax = Float::with_val(p, beta.abs_ref()) * 4u32;
            let m = elem(Elem::ExpM1(0, ax));
            let m1 = Float::with_val(p, &m + 1u32);
            // one division: 1/(m + 1) serves sinh and cosh
            let inv = Float::with_val(p, m1.recip_ref());
            let mut sh = Float::with_val(p, &m + 2u32);
            mul_assign(&mut sh, &m);
            mul_assign(&mut sh, &inv);
            sh /= 2u32;
            if beta.is_sign_negative() {
                sh = -sh;
            }
            let w = mul_new(p, &sh, &self.k);
            let dw = if order >= Order::Dw {
                let ch = (inv + &m1) / 2u32;
                mul_new(p, &ch, &self.k) * 4u32
            } else {
                nan()
            };
            let d2w = if order >= Order::D2w {
                Float::with_val(p, &w * 16u32)
            } else {
                nan()
            };
            MirrorEval { w, dw, d2w }
        } else {
            let s = Float::with_val(p, beta * &self.k);
            let om = Float::with_val(p, 1) - &s; // 1 - s (exact subtraction near s = 1)
            let op = Float::with_val(p, 1) + &s;
            if !(om.is_sign_positive() && op.is_sign_positive()) || om.is_zero() || op.is_zero() {
                return MirrorEval {
                    w: nan(),
                    dw: nan(),
                    d2w: nan(),
                };
            }
            let u = elem(Elem::PowNeg(0, &om)); // (1-s)^(-e)
            let v = elem(Elem::PowNeg(1, &op)); // (1+s)^(-e)
                                                // (1-s)^(-f) - (1+s)^(-f) for f = e (w) and e + 2 (w''): the plain difference
                                                // cancels for small |s| (relative error ~ 2^-p / |s|; w = 0 once |s| < 2^-p,
                                                // as for data entries ~ 10^300), so there it is (1+s)^(-f) expm1(2 f atanh s),
                                                // with no cancellation; for |s| >= 1/4 the difference loses under 2 bits
            let small = s.cmp_abs(&Float::with_val(p, 0.25)) == Some(std::cmp::Ordering::Less);
            let second = order >= Order::D2w;
            let (mut w, d2w) = if small {
                let at = elem(Elem::Atanh(&s)) * 2u32;
                let mw = elem(Elem::ExpM1(0, Float::with_val(p, &at * &self.e)));
                let d2w = second.then(|| {
                    let v2 = Float::with_val(p, Float::with_val(p, &v / &op) / &op);
                    let f2 = Float::with_val(p, &self.e + 2u32);
                    let m2 = elem(Elem::ExpM1(1, at * f2));
                    Float::with_val(p, &v2 * &m2)
                });
                (Float::with_val(p, &v * &mw), d2w)
            } else {
                let d2w = second.then(|| {
                    let v2 = Float::with_val(p, Float::with_val(p, &v / &op) / &op);
                    let u2 = Float::with_val(p, Float::with_val(p, &u / &om) / &om);
                    Float::with_val(p, &u2 - &v2)
                });
                (Float::with_val(p, &u - &v), d2w)
            };
            w *= &self.alpha_d;
            let dw = if order >= Order::Dw {
                let u1 = Float::with_val(p, &u / &om);
                let v1 = Float::with_val(p, &v / &op);
                let mut dw = Float::with_val(p, &u1 + &v1);
                dw *= &self.e;
                dw *= &self.k;
                dw *= &self.alpha_d;
                dw
            } else {
                nan()
            };
            let d2w = match d2w {
                Some(mut d2w) => {
                    d2w *= &self.ee1;
                    d2w *= &self.k;
                    d2w *= &self.k;
                    d2w *= &self.alpha_d;
                    d2w
                }
                None => nan(),
            };
            MirrorEval { w, dw, d2w }
        }
    }

    /// w_i, w'_i, w''_i for every component of β, the derivatives above `order` NaN
    /// ([`Mirror::eval_upto`]).
    pub fn eval_all(&self, beta: &[Float], order: Order) -> (Vec<Float>, Vec<Float>, Vec<Float>) {
        self.eval_all_with(beta, |b| self.eval_upto(b, order))
    }

    /// [`Mirror::eval_all`] with the elementary functions from `memo`, coordinate i in
    /// slots [`MEMO_SLOTS`] i to [`MEMO_SLOTS`] (i + 1) - 1 (see [`Mirror::eval_memo`]).
    pub fn eval_all_memo(
        &self,
        beta: &[Float],
        order: Order,
        memo: &mut ExpMemo,
    ) -> (Vec<Float>, Vec<Float>, Vec<Float>) {
        let mut i = 0;
        self.eval_all_with(beta, |b| {
            let m = self.eval_memo(b, order, memo, MEMO_SLOTS * i);
            i += 1;
            m
        })
    }

    fn eval_all_with(
        &self,
        beta: &[Float],
        mut eval: impl FnMut(&Float) -> MirrorEval,
    ) -> (Vec<Float>, Vec<Float>, Vec<Float>) {
        let n = beta.len();
        let (mut w, mut dw, mut d2w) = (
            Vec::with_capacity(n),
            Vec::with_capacity(n),
            Vec::with_capacity(n),
        );
        for b in beta {
            let m = eval(b);
            w.push(m.w);
            dw.push(m.dw);
            d2w.push(m.d2w);
        }
        (w, dw, d2w)
    }

    /// The network parameters (u+, u-) for β (docs/math.md §2.3): D = 2: α e^{±2β};
    /// D ≥ 3: α (1 ∓ s)^(-1/(D-2)).
    pub fn u_pair(&self, beta: &Float) -> (Float, Float) {
        let p = self.prec;
        if self.depth == 2 {
            let e = Float::with_val(p, beta * 2u32).exp();
            let up = Float::with_val(p, &self.alpha * &e);
            let um = Float::with_val(p, &self.alpha / &e);
            (up, um)
        } else {
            let d = self.depth;
            let s = Float::with_val(p, beta * &self.k);
            let om = Float::with_val(p, 1) - &s;
            let op = Float::with_val(p, 1) + &s;
            let rp = Float::with_val(p, om.root_ref(d - 2)).recip();
            let rm = Float::with_val(p, op.root_ref(d - 2)).recip();
            (rp * &self.alpha, rm * &self.alpha)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(a: &Float, b: &Float, bits: i32) -> bool {
        let p = a.prec();
        let d = Float::with_val(p, a - b).abs();
        let s = Float::with_val(p, b.abs_ref()) + 1u32;
        d <= s * Float::with_val(p, Float::i_exp(1, -bits))
    }

    /// eval_upto computes w (and w') bit for bit as eval does and leaves the rest NaN,
    /// for D = 2 and D >= 3 on both sides of the |s| = 1/4 switch.
    #[test]
    fn eval_upto_matches_eval_bit_for_bit() {
        let p = 256;
        for depth in [2u32, 3, 5] {
            let m = Mirror::new(depth, &Rational::from((3, 7)), p);
            for b in [(1, 9), (-2, 7), (4, 5), (-9, 10), (1, 1000)] {
                let mut beta = from_rational(p, &Rational::from(b));
                if depth > 2 {
                    beta /= m.c();
                }
                let all = m.eval(&beta);
                let w = m.eval_upto(&beta, Order::W);
                let dw = m.eval_upto(&beta, Order::Dw);
                assert_eq!(w.w, all.w, "D={depth} beta={b:?}");
                assert!(w.dw.is_nan() && w.d2w.is_nan());
                assert_eq!((&dw.w, &dw.dw), (&all.w, &all.dw), "D={depth} beta={b:?}");
                assert!(dw.d2w.is_nan());
                assert!(all.w.is_finite() && all.dw.is_finite() && all.d2w.is_finite());
                let (ws, dws, d2ws) = m.eval_all(std::slice::from_ref(&beta), Order::D2w);
                assert_eq!((&ws[0], &dws[0], &d2ws[0]), (&all.w, &all.dw, &all.d2w));
            }
        }
    }

    /// w = u+^D - u-^D and the derivatives against central differences.
    #[test]
    fn mirror_consistent_with_u_and_derivatives() {
        let p = 320;
        for depth in [2u32, 3, 4, 5, 10] {
            let m = Mirror::new(depth, &Rational::from((3, 2)), p);
            for b in [
                Rational::from((1, 7)),
                Rational::from((-1, 50)),
                Rational::from((1, 1000)),
            ] {
                let mut beta = from_rational(p, &b);
                if depth > 2 {
                    // keep s = c beta inside (-1, 1)
                    beta /= m.c();
                    beta *= 3u32;
                }
                let ev = m.eval(&beta);
                let (up, um) = m.u_pair(&beta);
                let w2 = Float::with_val(p, up.pow(depth)) - Float::with_val(p, um.pow(depth));
                assert!(
                    close(&ev.w, &w2, 300),
                    "D={depth}: w {} vs u-form {}",
                    ev.w,
                    w2
                );
                let hstep = Float::with_val(p, Float::i_exp(1, -100));
                let bp = Float::with_val(p, &beta + &hstep);
                let bm = Float::with_val(p, &beta - &hstep);
                let fd =
                    Float::with_val(p, m.w(&bp) - m.w(&bm)) / Float::with_val(p, &hstep * 2u32);
                assert!(close(&ev.dw, &fd, 140), "D={depth}: dw");
                let fd2 = Float::with_val(p, m.eval(&bp).dw - m.eval(&bm).dw)
                    / Float::with_val(p, &hstep * 2u32);
                assert!(close(&ev.d2w, &fd2, 140), "D={depth}: d2w");
            }
        }
    }

    /// Small |s| (D >= 3): w and w'' to nearly full relative precision, against the
    /// plain differences (1-s)^(-f) - (1+s)^(-f) at 4096 bits (which lose ~log2(1/|s|)
    /// bits there, so at 4096 bits keep well over 128). At 128 bits the plain
    /// difference gave w = 0 for |s| < 2^-128 (data entries ~ 10^300).
    #[test]
    fn small_s_without_cancellation() {
        let p = 128;
        let hp = 4096;
        for depth in [3u32, 4, 10] {
            let m = Mirror::new(depth, &Rational::from((3, 2)), p);
            let mh = Mirror::new(depth, &Rational::from((3, 2)), hp);
            let e = Float::with_val(hp, Rational::from((depth, depth - 2)));
            for k in [1u32, 2, 5, 30, 300, 1000] {
                for sign in [1i32, -1] {
                    // s = sign 3 10^-k exactly representable at neither precision:
                    // take beta at p bits and evaluate both from that same beta
                    let s_q = Rational::from((3 * sign, rug::Integer::from(10u32).pow(k)));
                    let beta = Float::with_val(p, from_rational(hp, &s_q) / mh.c());
                    let got = m.eval(&beta);
                    let sh = Float::with_val(hp, &beta * mh.c());
                    let diff = |f: &Float| -> Float {
                        let om = Float::with_val(hp, 1) - &sh;
                        let op = Float::with_val(hp, 1) + &sh;
                        let a = (-Float::with_val(hp, om.ln() * f)).exp();
                        let b = (-Float::with_val(hp, op.ln() * f)).exp();
                        a - b
                    };
                    let w_ref = diff(&e) * &mh.alpha_d;
                    let f2 = Float::with_val(hp, &e + 2u32);
                    let d2_ref = diff(&f2) * &mh.ee1 * &mh.k * &mh.k * &mh.alpha_d;
                    for (what, g, r) in [("w", &got.w, &w_ref), ("w''", &got.d2w, &d2_ref)] {
                        let rel = Float::with_val(hp, g - r) / r;
                        assert!(
                            rel.abs() < Float::with_val(hp, Float::i_exp(1, -(p as i32 - 6))),
                            "D = {depth}, s = {s_q}: {what} = {g} vs {r}"
                        );
                    }
                }
            }
        }
    }
}
