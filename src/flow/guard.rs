//! The precision guard: how many bits a state of the flow needs so that the working
//! precision carries the digits asked for.
//!
//! Rounding the state nu to p bits (and every MPFR operation after it) perturbs
//! beta = Z nu by about 2^-p sum_k |z_ki nu_k| and w_i by w'_i times that. Two
//! quantities decide what this costs (both in units of 2^-p, docs/math.md §8):
//!
//! * the mirror map's relative amplification K = max_i a_i / ||w||_inf with
//!   a_i = |w'_i| (sum_k |z_ki nu_k| + |beta_i|) + 4 |w_i|: for D = 2, where
//!   w'/w = 4 coth(4 beta) ~ 4, it is about 4 (sum_k |z_ki nu_k| + |beta_i|) + 4 >=
//!   8 |beta_i| + 4 (small: beta grows like log w); for D >= 3, with s = c beta,
//!   w'/w ~ e c / (1 - s), so K ~ e / (1 - s): the bits lost to the cancellation in
//!   1 - s, which grows like (w / alpha^D)^(1/e) at large w;
//! * the margins' absolute error M = max_n sum_i |z_ni| (a_i + |w_i|): margins are
//!   ~ gt while the flow depends on their O(1) differences (through p = softmax(-m)),
//!   so with two or more distinct points they need M 2^-p below 10^-digits. With one
//!   point (or only copies of one point) p = 1 exactly and no difference is formed.
//!
//! The state needs log2(A) + digits log2(10) + 16 guard bits, A = max(2K, 2M) (2M only
//! with distinct points). All of this is bookkeeping of bit counts in 64-bit MPFR;
//! no result depends on it except whether a run goes ahead, at which precision, and
//! how many digits it may report ([`carried_digits`]).

use super::DiagFlow;
use rug::ops::Pow;
use rug::{Float, Rational};

/// Bits kept in reserve on top of the amplification and the digits.
pub const GUARD_BITS: u32 = 16;

/// What rounding costs at one state.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Need {
    /// ceil(log2 A): bits that the amplification of rounding errors takes
    pub amp_bits: u32,
    /// ceil(log2 of the largest |margin|) (0 with a single distinct point)
    pub margin_bits: u32,
    /// ceil(log2 K): bits the mirror map loses (1 - s for D >= 3)
    pub mirror_bits: u32,
    /// D >= 3: the smallest 1 - |s_i|, as a short decimal (for messages)
    pub one_minus_s: Option<String>,
}

impl Need {
    /// Bits needed for `digits` decimal digits.
    pub fn bits(&self, digits: u32) -> u32 {
        bits_for(self.amp_bits, digits)
    }

    /// A clause for messages, e.g. "margins ~ 2^333 and 1 - s = 4.6e-34 (111 bits)".
    pub fn explain(&self) -> String {
        let mut parts = Vec::new();
        if self.margin_bits > 0 {
            parts.push(format!(
                "margins up to 2^{} must resolve O(1) differences",
                self.margin_bits
            ));
        }
        match &self.one_minus_s {
            Some(s) => parts.push(format!(
                "1 - s = {s} costs {} bits in the mirror map",
                self.mirror_bits
            )),
            None if self.mirror_bits > 8 => parts.push(format!(
                "the mirror map amplifies rounding by 2^{}",
                self.mirror_bits
            )),
            None => {}
        }
        if parts.is_empty() {
            "rounding is not amplified".to_string()
        } else {
            parts.join("; ")
        }
    }
}

/// log2(A) + digits log2(10) + guard bits.
pub fn bits_for(amp_bits: u32, digits: u32) -> u32 {
    amp_bits
        .saturating_add(digit_bits(digits))
        .saturating_add(GUARD_BITS)
}

/// ceil(digits log2 10).
pub fn digit_bits(digits: u32) -> u32 {
    // log2(10) = 3.32192809..., rounded up to 3.3220
    (digits as u64 * 33220).div_ceil(10000) as u32
}

/// The decimal digits that `prec` bits carry at a state needing `amp_bits`:
/// floor((prec - amp_bits - guard) log10 2).
pub fn carried_digits(prec: u32, amp_bits: u32) -> u32 {
    let free = prec.saturating_sub(amp_bits.saturating_add(GUARD_BITS));
    // log10(2) = 0.30102999..., rounded down
    ((free as u64 * 30102) / 100000) as u32
}

fn ceil_log2(x: &Float) -> u32 {
    if !x.is_finite() {
        return u32::MAX / 4;
    }
    if *x <= 1u32 {
        return 0;
    }
    let l = Float::with_val(64, x.log2_ref()).ceil();
    l.to_integer()
        .and_then(|z| z.to_u32())
        .unwrap_or(u32::MAX / 4)
}

/// Whether z has two different rows (then margin differences are formed).
pub fn has_distinct_rows(zr: &[Vec<Float>]) -> bool {
    zr.iter().any(|r| *r != zr[0])
}

impl DiagFlow {
    /// What rounding costs at the state `nu`; None when the state is beyond what the
    /// precision can represent (the mirror map is not finite there: for D >= 3, s
    /// rounded to 1 or beyond).
    pub fn rounding_need(&self, nu: &[Float]) -> Option<Need> {
        let lp = 64;
        let beta = self.beta(nu);
        let mut amp = Vec::with_capacity(self.d);
        let mut wabs = Vec::with_capacity(self.d);
        let mut wmax = Float::new(lp);
        let mut min_oms: Option<Float> = None;
        for i in 0..self.d {
            let ev = self.mirror.eval(&beta[i]);
            if !ev.w.is_finite() || !ev.dw.is_finite() {
                return None;
            }
            let mut sabs = Float::with_val(lp, beta[i].abs_ref());
            for (k, row) in self.zr.iter().enumerate() {
                sabs += Float::with_val(lp, &row[i] * &nu[k]).abs();
            }
            let wa = Float::with_val(lp, ev.w.abs_ref());
            let a = Float::with_val(lp, ev.dw.abs_ref()) * &sabs + Float::with_val(lp, &wa * 4u32);
            if wa > wmax {
                wmax = wa.clone();
            }
            if self.mirror.depth > 2 {
                let s = Float::with_val(self.prec, &beta[i] * self.mirror.c());
                let oms = Float::with_val(lp, 1u32 - Float::with_val(self.prec, s.abs_ref()));
                if min_oms.as_ref().is_none_or(|m| oms < *m) {
                    min_oms = Some(oms);
                }
            }
            amp.push(a);
            wabs.push(wa);
        }
        let mut amax = Float::new(lp);
        for a in &amp {
            if *a > amax {
                amax = a.clone();
            }
        }
        let k = if wmax.is_zero() {
            Float::with_val(lp, 1)
        } else {
            Float::with_val(lp, &amax / &wmax).max(&Float::with_val(lp, 1))
        };
        let mut a_total = Float::with_val(lp, &k * 2u32);
        let mut margin_bits = 0;
        if has_distinct_rows(&self.zr) {
            let mut m = Float::new(lp);
            let mut mabs = Float::new(lp);
            for row in &self.zr {
                let mut e = Float::new(lp);
                let mut plain = Float::new(lp);
                for i in 0..self.d {
                    let za = Float::with_val(lp, row[i].abs_ref());
                    e += Float::with_val(lp, &amp[i] + &wabs[i]) * &za;
                    plain += za * &wabs[i];
                }
                if e > m {
                    m = e;
                }
                if plain > mabs {
                    mabs = plain;
                }
            }
            margin_bits = ceil_log2(&mabs);
            m *= 2u32;
            if m > a_total {
                a_total = m;
            }
        }
        Some(Need {
            amp_bits: ceil_log2(&a_total),
            margin_bits,
            mirror_bits: ceil_log2(&k),
            one_minus_s: min_oms.map(|x| crate::num::fmt_sig(&x, 2)),
        })
    }
}

/// An a priori estimate of the [`Need`] at gt for the data z (rows z_n), depth and
/// alpha, before any integration: w is taken to reach W = gt / min_n ||z_n||_inf (a
/// margin ~ gt carried by one coordinate), with the amplifications of the module
/// documentation at that size. An estimate, not a bound: the guard measures the
/// actual states along the run.
pub fn prior_need(z: &[Vec<Rational>], depth: u32, alpha: &Rational, gt: &Float) -> Need {
    let lp = 64;
    let gt = Float::with_val(lp, gt);
    let mut zinf_min: Option<Float> = None;
    let mut z1_max = Float::new(lp);
    for row in z {
        let mut inf = Float::new(lp);
        let mut one = Float::new(lp);
        for q in row {
            let a = Float::with_val(lp, q).abs();
            one += &a;
            if a > inf {
                inf = a;
            }
        }
        if !inf.is_zero() && zinf_min.as_ref().is_none_or(|m| inf < *m) {
            zinf_min = Some(inf);
        }
        if one > z1_max {
            z1_max = one;
        }
    }
    let none = Need {
        amp_bits: 0,
        margin_bits: 0,
        mirror_bits: 0,
        one_minus_s: None,
    };
    let Some(zinf_min) = zinf_min else {
        return none;
    };
    if gt <= 0u32 || !gt.is_finite() {
        return none;
    }
    let w = Float::with_val(lp, &gt / &zinf_min);
    let a = Float::with_val(lp, alpha);
    let (k, one_minus_s) = if depth == 2 {
        // w = 2 alpha^2 sinh(4 beta): 4 |beta| = asinh(w / (2 alpha^2)); the estimate
        // takes asinh(2 w / alpha^2) + 5, i.e. 4 |beta| + ln 4 + 5 for large w (a
        // prior estimate on the safe side; the guard measures K at run time)
        let x = Float::with_val(lp, &w / Float::with_val(lp, a.square_ref()) * 2u32);
        (x.asinh() + 5u32, None)
    } else {
        // e / (1 - s) with (1 - s)^(-e) ~ 1 + w / alpha^D
        let e = Float::with_val(lp, depth) / (depth - 2);
        let ad = Float::with_val(lp, a.pow(depth));
        let r = Float::with_val(lp, &w / &ad) + 1u32;
        let inv_oms = r.pow(Float::with_val(lp, e.recip_ref()));
        let oms = crate::num::fmt_sig(&Float::with_val(lp, inv_oms.recip_ref()), 2);
        (inv_oms * e * 2u32 + 5u32, Some(oms))
    };
    let mut total = Float::with_val(lp, &k * 2u32);
    let distinct = z.iter().any(|r| *r != z[0]);
    let mut margin_bits = 0;
    if distinct {
        let wm = Float::with_val(lp, &z1_max * &w);
        margin_bits = ceil_log2(&wm);
        let m = wm * Float::with_val(lp, &k + 1u32) * 2u32;
        if m > total {
            total = m;
        }
    }
    Need {
        amp_bits: ceil_log2(&total),
        margin_bits,
        mirror_bits: ceil_log2(&k),
        one_minus_s,
    }
}

/// A projection of [`Need::amp_bits`] from a state measured at gt_c to gt_e > gt_c:
/// w grows like gt, so for D = 2 K grows by ln(gt_e / gt_c) and for D >= 3 by the
/// factor (gt_e / gt_c)^(1/e); M grows by gt_e / gt_c times the growth of K.
pub fn project_amp_bits(need: &Need, depth: u32, gt_c: &Float, gt_e: &Float) -> u32 {
    let lp = 64;
    if *gt_c <= 0u32 || gt_e <= gt_c {
        return need.amp_bits;
    }
    let r = Float::with_val(lp, gt_e / Float::with_val(lp, gt_c));
    let lr = Float::with_val(lp, r.log2_ref());
    let k_growth_bits = if depth == 2 {
        // log2((K + ln r) / K) <= log2(1 + ln r)
        let lnr = Float::with_val(lp, r.ln_ref());
        Float::with_val(lp, lnr + 1u32).log2()
    } else {
        let e = Float::with_val(lp, depth) / (depth - 2);
        Float::with_val(lp, &lr / &e)
    };
    let extra = if need.margin_bits > 0 {
        Float::with_val(lp, &lr + &k_growth_bits)
    } else {
        k_growth_bits
    };
    let extra = extra.ceil();
    let add = extra
        .to_integer()
        .and_then(|z| z.to_u32())
        .unwrap_or(u32::MAX / 4);
    need.amp_bits.saturating_add(add)
}
