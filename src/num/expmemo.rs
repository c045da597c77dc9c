//! exp and expm1 of arguments that move little from one call to the next.
//!
//! A Newton iteration evaluates the right-hand side at the same stage again and again,
//! each time a little closer to the solution: the arguments of its exponentials change
//! by the Newton correction, 10^-12 relative and less. With the value v = e^a of the
//! last call kept, e^(a + δ) = v e^δ, and e^δ - 1 for |δ| <= 2^-[`MEMO_STEP_BITS`] is a
//! Taylor polynomial of a few terms: about a quarter of an MPFR exp at 192 bits
//! (docs/math.md §9.9). [`ExpMemo`] keeps one such (argument, value) pair per slot and
//! takes the short path when the new argument is close enough, MPFR's exp or expm1
//! otherwise.
//!
//! Accuracy. An update rounds the Taylor sum (truncated below 2^-(p + 4) of its value)
//! and then the fused product-sum v t + v (expm1: (m + 1) t + m, with m + 1 rounded
//! first), so each update adds about one unit in the last place (expm1: the update
//! changes the value by at most a fifth of itself, see [`ExpMemo::exp_m1`], so no
//! cancellation magnifies it). A chain is cut after [`MEMO_MAX_CHAIN`] updates by a
//! fresh MPFR evaluation: measured, at most 4.1 units after 8 updates (the test below
//! allows k + 2 after k), the size of the right-hand side's own rounding (its sums
//! over N and d terms), far below any tolerance the precision guard lets through. The
//! values are deterministic: the same calls in the same order give the same bits.

use rug::{Assign, Float};

/// The incremental path is taken when |δ| < 2^-MEMO_STEP_BITS. Value: 12 bits, so that
/// the Taylor polynomial of e^δ - 1 needs at most p/12 + 2 terms (a Newton correction,
/// 10^-12 relative and less, takes 3.2 on average on random10 at 192 bits), while a step from the last
/// stage's predictor to its solution (2^-20 and less) is always short enough.
pub const MEMO_STEP_BITS: u32 = 12;

/// At most this many updates in a row before a fresh evaluation. Value: 8 (see the
/// module's accuracy note); a Newton solve takes 2 to 10 iterations.
pub const MEMO_MAX_CHAIN: u32 = 8;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    Exp,
    ExpM1,
}

#[derive(Clone, Debug)]
struct Slot {
    kind: Kind,
    arg: Float,
    val: Float,
    chain: u32,
    /// scratch values at the slot's precision (δ, then 1 + m; the Taylor sum)
    delta: Float,
    t: Float,
}

/// How the evaluations went: fresh MPFR evaluations and incremental updates.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct MemoCounts {
    pub fresh: u64,
    pub updates: u64,
}

/// exp and expm1 with memory: one (argument, value) pair per slot (see the module
/// documentation). Slots are numbered by the caller; a slot is used for one function
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

    /// Forget every value (the next call of each slot evaluates afresh).
    pub fn clear(&mut self) {
        self.slots.iter_mut().for_each(|s| *s = None);
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
            Kind::Exp => Float::with_val(p, a.exp_ref()),
            Kind::ExpM1 => Float::with_val(p, a.exp_m1_ref()),
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
    if kind == Kind::ExpM1 {
        // |δ| <= |a_last|/16: |a_last| >= 2^(ea - 1) >= 2^(e + 4)
        match s.arg.get_exp() {
            Some(ea) if ea > e + 4 => {}
            _ => return None,
        }
    }
    expm1_small(&s.delta, e, p, &mut s.t);
    let next = match kind {
        // v e^δ = v t + v, one rounding
        Kind::Exp => Float::with_val(p, s.val.mul_add_ref(&s.t, &s.val)),
        // m + (1 + m) t = (m + 1) t + m, with m + 1 rounded first
        Kind::ExpM1 => {
            s.delta.assign(&s.val + 1u32);
            Float::with_val(p, s.delta.mul_add_ref(&s.t, &s.val))
        }
    };
    s.val.assign(&next);
    s.arg.assign(a);
    s.chain += 1;
    Some(next)
}

/// e^δ - 1 for |δ| < 2^e (e <= -12), to a relative error below 2^-(p + 4) from the
/// truncation plus the Horner sum's roundings: δ (1 + δ/2 (1 + δ/3 (1 + ... δ/K))),
/// K the first k whose term δ^k/k! is below 2^-(p + 4) |δ|.
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
    acc.assign(1u32);
    for j in (2..=kmax).rev() {
        *acc *= delta;
        *acc /= j;
        *acc += 1u32;
    }
    *acc *= delta;
}

#[cfg(test)]
mod tests {
    use super::*;

    /// |x - exact| / |exact| in units of 2^-p.
    fn ulps(x: &Float, exact: &Float, p: u32) -> f64 {
        let err = Float::with_val(4 * p, x - exact).abs() / exact.clone().abs();
        (err << p).to_f64()
    }

    /// Chains of nearby arguments: the memo's values against MPFR at four times the
    /// precision, within k + 2 units after k updates (measured: at most 4.1 after 8), for exp
    /// and expm1, at 64, 192 and 1000 bits, with arguments from 10^-6 to 300 in size
    /// and steps from 2^-13 down to 2^-46 (a Newton iteration's corrections).
    #[test]
    fn chains_stay_within_their_error_bound() {
        for p in [64u32, 192, 1000] {
            for a0 in ["0.000001", "-0.37", "2.5", "-45.25", "300"] {
                for kind in [Kind::Exp, Kind::ExpM1] {
                    let mut memo = ExpMemo::new();
                    let mut a = Float::with_val(p, Float::parse(a0).unwrap());
                    if kind == Kind::ExpM1 {
                        a = a.abs();
                    }
                    for k in 0..20u32 {
                        let v = match kind {
                            Kind::Exp => memo.exp(3, &a),
                            Kind::ExpM1 => memo.exp_m1(3, &a),
                        };
                        let hi = Float::with_val(4 * p, &a);
                        let exact = match kind {
                            Kind::Exp => hi.exp(),
                            Kind::ExpM1 => hi.exp_m1(),
                        };
                        let chain = memo.slots[3].as_ref().unwrap().chain;
                        let u = ulps(&v, &exact, p);
                        assert!(
                            u <= f64::from(chain + 2),
                            "p {p} a0 {a0} {kind:?} call {k}: {u} ulps after {chain} updates"
                        );
                        // the next argument: a step of 2^-(13 + 11 (k mod 4)), alternating in sign
                        let step = Float::with_val(p, &a >> (13 + 11 * (k % 4) as i32));
                        let step = if a0 == "0.000001" {
                            // for tiny a, steps of 2^-(13 + 11 (k mod 4)) of a
                            step
                        } else {
                            Float::with_val(p, Float::i_exp(1, -13 - 11 * (k % 4) as i32))
                        };
                        if k % 2 == 0 {
                            a += step;
                        } else {
                            a -= step;
                        }
                    }
                    // the chain was cut by fresh evaluations and every other call updated
                    assert!(memo.counts.updates >= 10, "{:?}", memo.counts);
                    assert!(memo.counts.fresh >= 2, "{:?}", memo.counts);
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
        // cleared: fresh
        memo.clear();
        memo.exp(1, &c);
        assert_eq!(memo.counts.fresh, 9);
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
