//! exp, expm1, atanh and x^(-D/(D-2)) of arguments that move little from one call to
//! the next.
//!
//! A Newton iteration evaluates the right-hand side at the same stage again and again,
//! each time a little closer to the solution: the arguments of its elementary functions
//! change by the Newton correction, 10^-12 relative and less. With the value v = e^a of
//! the last call kept, e^(a + δ) = v e^δ, and e^δ - 1 for |δ| < 2^-[`MEMO_STEP_BITS`]
//! is a Taylor polynomial of a few terms: about a quarter of an MPFR exp at 192 bits.
//! Likewise atanh(a + δ) = atanh a + atanh(δ/(1 - a(a + δ))) and
//! (x + δ)^(-e) = x^(-e) (1 + δ/x)^(-e), each a short series (docs/math.md §9.9).
//! [`ExpMemo`] keeps one (argument, value) pair per slot and takes the short path when
//! the new argument is close enough, MPFR's function otherwise.
//!
//! Accuracy. An update rounds the series (truncated below 2^-(p + 4) of its value) and
//! then one fused product-sum or sum (v t + v; expm1: (m + 1) t + m, with m + 1 rounded
//! first; atanh: the sum), so each update adds about one unit in the last place (expm1
//! and atanh: the update changes the value by at most a fifth of itself, see
//! [`ExpMemo::exp_m1`] and [`ExpMemo::atanh`], so no cancellation magnifies it). A
//! chain is cut after [`MEMO_MAX_CHAIN`] updates by a fresh MPFR evaluation: measured,
//! at most 4.1 units after 8 updates (the test below allows k + 2 after k), the size of
//! the right-hand side's own rounding (its sums over N and d terms), far below any
//! tolerance the precision guard lets through. The values are deterministic: the same
//! calls in the same order give the same bits.

use rug::ops::{NegAssign, Pow};
use rug::{Assign, Float};

/// The incremental path is taken when |δ| < 2^-MEMO_STEP_BITS. Value: 12 bits, so that
/// the Taylor polynomial of e^δ - 1 needs at most p/12 + 2 terms (a Newton correction,
/// 10^-12 relative and less, takes 3.2 on average on random10 at 192 bits), while a
/// step from the last stage's predictor to its solution (2^-20 and less) is always
/// short enough.
pub const MEMO_STEP_BITS: u32 = 12;

/// At most this many updates in a row before a fresh evaluation. Value: 8 (see the
/// module's accuracy note); a Newton solve takes 2 to 10 iterations.
pub const MEMO_MAX_CHAIN: u32 = 8;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    Exp,
    ExpM1,
    Atanh,
    /// x^(-D/(D-2)) for the depth D >= 3 (the mirror map's (1 ± s)^(-e))
    PowNeg(u32),
}

#[derive(Clone, Debug)]
struct Slot {
    kind: Kind,
    arg: Float,
    val: Float,
    chain: u32,
    /// scratch values at the slot's precision (δ, then δ/x, u or 1 + m; the series)
    delta: Float,
    t: Float,
}

/// How the evaluations went: fresh MPFR evaluations and incremental updates.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct MemoCounts {
    pub fresh: u64,
    pub updates: u64,
}

/// exp, expm1, atanh and x^(-D/(D-2)) with memory: one (argument, value) pair per
/// slot (see the module documentation). Slots are numbered by the caller; a slot is used for one function
/// at one precision (a call of the other kind, or at another precision, evaluates
/// afresh and takes the slot over).
#[derive(Clone, Debug, Default)]
pub struct ExpMemo {
    slots: Vec<Option<Slot>>,
    pub counts: MemoCounts,
}

impl ExpMemo {
    pub fn new() -> ExpMemo {
        ExpMemo::default()
    }

    /// e^a at a's precision.
    pub fn exp(&mut self, slot: usize, a: &Float) -> Float {
        self.eval(slot, a, Kind::Exp)
    }

    /// e^a - 1 at a's precision. The incremental path m' = m + (1 + m)(e^δ - 1) is taken
    /// only when, besides |δ| < 2^-12, |δ| <= |a_last|/16: then |(1 + m)(e^δ - 1)| is at
    /// most a fifth of |m|, so the sum does not cancel (for 0 < a <= 1, m >= a and
    /// e^a |δ| <= e a/16; for -1 <= a < 0, |m| >= |a| e^a; beyond, |δ| < 2^-12 and
    /// |m| >= (1 - 1/e) max(1, e^a)).
    pub fn exp_m1(&mut self, slot: usize, a: &Float) -> Float {
        self.eval(slot, a, Kind::ExpM1)
    }

    /// atanh a at a's precision. The incremental path atanh a' = atanh a + atanh u,
    /// u = δ/(1 - a a'), is taken when |a| < 1/2 (so 1 - a a' does not cancel),
    /// |δ| < 2^-12 and |δ| <= |a|/16 (so the sum does not: |atanh u| is at most about
    /// a twelfth of |atanh a|).
    pub fn atanh(&mut self, slot: usize, a: &Float) -> Float {
        self.eval(slot, a, Kind::Atanh)
    }

    /// x^(-D/(D-2)) at x's precision for x > 0 and a depth D >= 3, evaluated afresh as
    /// 1/(x^(1/(D-2)))^D (MPFR's k-th root, then an integer power; D = 3: 1/x^3, the
    /// exact formula of the mirror map). The incremental path v' = v (1 + r)^(-e),
    /// r = δ/x, (1 + r)^(-e) - 1 by its binomial series, is taken when |r| < 2^-12.
    pub fn pow_neg(&mut self, slot: usize, x: &Float, depth: u32) -> Float {
        self.eval(slot, x, Kind::PowNeg(depth))
    }

    fn eval(&mut self, slot: usize, a: &Float, kind: Kind) -> Float {
        let p = a.prec();
        if self.slots.len() <= slot {
            self.slots.resize(slot + 1, None);
        }
        if let Some(s) = self.slots[slot].as_mut() {
            if let Some(v) = update(s, a, kind, p) {
                self.counts.updates += 1;
                return v;
            }
        }
        self.counts.fresh += 1;
        let val = match kind {
            Kind::Exp => super::exp::exp(p, a),
            Kind::ExpM1 => super::exp::exp_m1(p, a),
            Kind::Atanh => Float::with_val(p, a.atanh_ref()),
            Kind::PowNeg(d) => pow_neg_fresh(a, d),
        };
        self.slots[slot] = Some(Slot {
            kind,
            arg: a.clone(),
            val: val.clone(),
            chain: 0,
            delta: Float::new(p),
            t: Float::new(p),
        });
        val
    }
}

/// The slot's value moved to the argument a, when the short path applies.
fn update(s: &mut Slot, a: &Float, kind: Kind, p: u32) -> Option<Float> {
    if s.kind != kind
        || s.chain >= MEMO_MAX_CHAIN
        || s.arg.prec() != p
        || !a.is_finite()
        || !s.val.is_finite()
    {
        return None;
    }
    s.delta.assign(a - &s.arg);
    if s.delta.is_zero() {
        // the same argument: the same value
        return Some(s.val.clone());
    }
    // |δ| < 2^e
    let e = s
        .delta
        .get_exp()
        .expect("a finite non-zero δ has an exponent");
    if e > -(MEMO_STEP_BITS as i32) {
        return None;
    }
    // the last argument's exponent: |a_last| in [2^(ea - 1), 2^ea)
    let ea = s.arg.get_exp();
    let next = match kind {
        Kind::Exp => {
            // v e^δ = v t + v, one rounding
            expm1_small(&s.delta, e, p, &mut s.t);
            Float::with_val(p, s.val.mul_add_ref(&s.t, &s.val))
        }
        Kind::ExpM1 => {
            // |δ| <= |a_last|/16; m + (1 + m) t = (m + 1) t + m, with m + 1 rounded first
            if ea.is_none_or(|ea| ea <= e + 4) {
                return None;
            }
            expm1_small(&s.delta, e, p, &mut s.t);
            s.delta.assign(&s.val + 1u32);
            Float::with_val(p, s.delta.mul_add_ref(&s.t, &s.val))
        }
        Kind::Atanh => {
            // |δ| <= |a_last|/16 and |a_last| < 1/2
            if ea.is_none_or(|ea| ea <= e + 4 || ea > -1) {
                return None;
            }
            // u = δ / (1 - a_last a): 1 - a_last a is in (3/4, 1]
            s.t.assign(&s.arg * a);
            s.t.neg_assign();
            s.t += 1u32;
            s.delta /= &s.t;
            atanh_small(&s.delta, p, &mut s.t);
            Float::with_val(p, &s.val + &s.t)
        }
        Kind::PowNeg(d) => {
            // r = δ / x_last, |r| < 2^-12; v (1 + r)^(-e) = v t + v
            s.delta /= &s.arg;
            if s.delta
                .get_exp()
                .is_none_or(|er| er > -(MEMO_STEP_BITS as i32))
            {
                return None;
            }
            pow_neg_series(&s.delta, d, p, &mut s.t);
            Float::with_val(p, s.val.mul_add_ref(&s.t, &s.val))
        }
    };
    s.val.assign(&next);
    s.arg.assign(a);
    s.chain += 1;
    Some(next)
}

/// x^(-D/(D-2)) as the mirror map computes it: 1/(x^(1/(D-2)))^D (D = 3: 1/x^3).
pub fn pow_neg_fresh(x: &Float, d: u32) -> Float {
    let p = x.prec();
    let r = if d == 3 {
        x.clone()
    } else {
        Float::with_val(p, x.root_ref(d - 2))
    };
    Float::with_val(p, r.pow(d)).recip()
}

/// Sums the series Σ_{k>=1} term_k into acc, term_1 = first and term_k = term_{k-1}
/// ratio(k), until a term falls below 2^-(p + 4) of the sum; the callers' ratios are
/// below 2^-9 in size, so the tail is below that last term.
fn series(first: &Float, p: u32, acc: &mut Float, mut ratio: impl FnMut(&mut Float, u32)) {
    acc.set_prec(p);
    acc.assign(first);
    let mut term = first.clone();
    let mut k = 1;
    loop {
        k += 1;
        ratio(&mut term, k);
        *acc += &term;
        let small = match (term.get_exp(), acc.get_exp()) {
            (Some(et), Some(ea)) => i64::from(et) < i64::from(ea) - i64::from(p) - 4,
            // a zero term: the rest are zero too
            (None, _) => true,
            (Some(_), None) => false,
        };
        if small {
            return;
        }
    }
}

/// atanh u = u + u^3/3 + u^5/5 + ... for |u| < 2^-11.
fn atanh_small(u: &Float, p: u32, acc: &mut Float) {
    let u2 = Float::with_val(p, u.square_ref());
    // term_k = u^(2k-1)/(2k-1): term_k = term_{k-1} u^2 (2k - 3)/(2k - 1)
    series(u, p, acc, |t, k| {
        *t *= &u2;
        *t *= 2 * k - 3;
        *t /= 2 * k - 1;
    });
}

/// (1 + r)^(-e) - 1 = Σ_{k>=1} C(-e, k) r^k for e = D/(D-2) and |r| < 2^-12:
/// C(-e, k) = C(-e, k-1) (-e - k + 1)/k = -C(-e, k-1) (D + (k - 1)(D - 2)) / (k (D - 2)).
fn pow_neg_series(r: &Float, d: u32, p: u32, acc: &mut Float) {
    // term_1 = -e r = -D r / (D - 2)
    let mut first = Float::with_val(p, r * d);
    first /= d - 2;
    first.neg_assign();
    series(&first, p, acc, |t, k| {
        *t *= r;
        *t *= d + (k - 1) * (d - 2);
        *t /= k * (d - 2);
        t.neg_assign();
    });
}

/// e^δ - 1 for |δ| < 2^e (e <= -12) in Horner form, δ (1 + δ/2 (1 + δ/3 (1 + ... δ/K))),
/// K the first k whose term δ^k/k! is below 2^-(p + 4) |δ| (the truncation's relative
/// error), plus a few roundings of the sum.
fn expm1_small(delta: &Float, e: i32, p: u32, acc: &mut Float) {
    let b = (-e) as u64; // |δ| < 2^-b
    let goal = p as u64 + 4;
    // the term k is below 2^-(b (k - 1) + log2 k!) |δ|; log2 k! >= sum_{j <= k} floor(log2 j)
    let mut k = 1u64;
    let mut log_fact = 0u64;
    while b * (k - 1) + log_fact < goal {
        k += 1;
        log_fact += 63 - u64::from(k.leading_zeros());
    }
    // the terms 1..=K-1 are kept; the K-th is below the goal
    let kmax = (k - 1).max(1) as u32;
    acc.set_prec(p);
    if super::exp::expm1_tiny(acc, delta) {
        return;
    }
    acc.assign(1u32);
    for j in (2..=kmax).rev() {
        super::mul::mul_assign(acc, delta);
        *acc /= j;
        *acc += 1u32;
    }
    super::mul::mul_assign(acc, delta);
}

#[cfg(test)]
mod tests {
    use super::*;

    /// |x - exact| / |exact| in units of 2^-p.
    fn ulps(x: &Float, exact: &Float, p: u32) -> Float {
        let err = Float::with_val(4 * p, x - exact).abs() / exact.clone().abs();
        err << p
    }

    /// The function of a kind at 4p bits, directly from MPFR (x^(-e) as exp(-e ln x)).
    fn exact(kind: Kind, a: &Float, p: u32) -> Float {
        let hi = Float::with_val(4 * p, a);
        match kind {
            Kind::Exp => hi.exp(),
            Kind::ExpM1 => hi.exp_m1(),
            Kind::Atanh => hi.atanh(),
            Kind::PowNeg(d) => {
                let e = Float::with_val(4 * p, d) / (d - 2);
                (-(e * hi.ln())).exp()
            }
        }
    }

    fn call(memo: &mut ExpMemo, kind: Kind, slot: usize, a: &Float) -> Float {
        match kind {
            Kind::Exp => memo.exp(slot, a),
            Kind::ExpM1 => memo.exp_m1(slot, a),
            Kind::Atanh => memo.atanh(slot, a),
            Kind::PowNeg(d) => memo.pow_neg(slot, a, d),
        }
    }

    /// Chains of nearby arguments: the memo's values against MPFR at four times the
    /// precision, within k + 2 units after k updates (measured: at most 4.1 after 8; the
    /// powers' fresh values carry D more, from the root's rounding raised to the D-th
    /// power), for
    /// exp, expm1 (arguments from 10^-6 to 300 in size), atanh (10^-6 to 0.45) and
    /// x^(-D/(D-2)) for D = 3, 4, 10 (x from 10^-6 to 1.9), at 64, 192 and 1000 bits, with
    /// steps from 2^-13 down to 2^-46 of the argument's scale (a Newton iteration's
    /// corrections).
    #[test]
    fn chains_stay_within_their_error_bound() {
        let exps = ["0.000001", "-0.37", "2.5", "-45.25", "300"];
        let small = ["0.000001", "-0.37", "0.2", "-0.45"];
        let positive = ["0.000001", "0.3", "1", "1.9"];
        let kinds: Vec<(Kind, &[&str])> = vec![
            (Kind::Exp, &exps),
            (Kind::ExpM1, &exps),
            (Kind::Atanh, &small),
            (Kind::PowNeg(3), &positive),
            (Kind::PowNeg(4), &positive),
            (Kind::PowNeg(10), &positive),
        ];
        for p in [64u32, 192, 1000] {
            for (kind, args) in &kinds {
                let kind = *kind;
                for a0 in args.iter() {
                    let mut memo = ExpMemo::new();
                    let mut a = Float::with_val(p, Float::parse(a0).unwrap());
                    if kind == Kind::ExpM1 {
                        a = a.abs();
                    }
                    // steps relative to a for the functions whose short path needs it
                    let relative = *a0 == "0.000001" || kind != Kind::Exp;
                    for k in 0..20u32 {
                        let v = call(&mut memo, kind, 3, &a);
                        let chain = memo.slots[3].as_ref().unwrap().chain;
                        let u = ulps(&v, &exact(kind, &a, p), p);
                        // the fresh value's own error: one rounding, or for the power
                        // the root's raised to the D-th power and two more
                        let fresh = match kind {
                            Kind::PowNeg(d) => d + 2,
                            _ => 2,
                        };
                        assert!(
                            u <= chain + fresh,
                            "p {p} a0 {a0} {kind:?} call {k}: {u} ulps after {chain} updates"
                        );
                        // the next argument: a step of 2^-(13 + 11 (k mod 4)) (of a's size
                        // where relative), alternating in sign
                        let sh = 13 + 11 * (k % 4) as i32;
                        let step = if relative {
                            Float::with_val(p, &a >> sh).abs()
                        } else {
                            Float::with_val(p, Float::i_exp(1, -sh))
                        };
                        if k % 2 == 0 {
                            a += step;
                        } else {
                            a -= step;
                        }
                    }
                    // the chain was cut by fresh evaluations and every other call updated
                    assert!(
                        memo.counts.updates >= 10,
                        "{kind:?} {a0}: {:?}",
                        memo.counts
                    );
                    assert!(memo.counts.fresh >= 2, "{kind:?} {a0}: {:?}", memo.counts);
                }
            }
        }
    }

    /// The short path is refused where it would lose accuracy or does not apply: a
    /// long step, expm1 of a step that is large beside its argument (cancellation),
    /// a change of kind or precision; the same argument gives the same value.
    #[test]
    fn refuses_what_it_cannot_do_well() {
        let p = 128;
        let mut memo = ExpMemo::new();
        let a = Float::with_val(p, 1) >> 10; // 2^-10
        memo.exp_m1(0, &a);
        // δ = 2^-13: below 2^-12 but more than a/16 = 2^-14: fresh
        let b = Float::with_val(p, &a + (Float::with_val(p, 1) >> 13));
        let v = memo.exp_m1(0, &b);
        assert_eq!(
            memo.counts,
            MemoCounts {
                fresh: 2,
                updates: 0
            }
        );
        assert_eq!(v, Float::with_val(p, b.exp_m1_ref()));
        // a step of 2^-11 from 1: too long
        let one = Float::with_val(p, 1);
        memo.exp(1, &one);
        let c = Float::with_val(p, &one + (Float::with_val(p, 1) >> 11));
        memo.exp(1, &c);
        assert_eq!(memo.counts.fresh, 4);
        // the other kind on the same slot, another precision: fresh
        memo.exp_m1(1, &c);
        memo.exp_m1(1, &Float::with_val(2 * p, &c));
        assert_eq!(memo.counts.fresh, 6);
        // the same argument: the same value, counted as an update
        let again = memo.exp_m1(1, &Float::with_val(2 * p, &c));
        assert_eq!(again, Float::with_val(2 * p, c.exp_m1_ref()));
        assert_eq!(memo.counts.updates, 1);
        // expm1 at a = 0 has no scale to step from: fresh
        let zero = Float::new(p);
        memo.exp_m1(2, &zero);
        memo.exp_m1(2, &(Float::with_val(p, 1) >> 40));
        assert_eq!(memo.counts.fresh, 8);
    }

    /// Non-finite arguments and values go to MPFR (which gives NaN and infinities).
    #[test]
    fn non_finite_goes_to_mpfr() {
        let p = 64;
        let mut memo = ExpMemo::new();
        let big = Float::with_val(p, 1) << 100;
        assert!(memo.exp(0, &big).is_infinite());
        let big2 = Float::with_val(p, &big + 1u32);
        assert!(memo.exp(0, &big2).is_infinite());
        let nan = Float::with_val(p, rug::float::Special::Nan);
        assert!(memo.exp(0, &nan).is_nan());
        assert_eq!(memo.counts.updates, 0);
    }
}
