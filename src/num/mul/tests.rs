//! The kernel against MPFR, bit for bit.

use super::*;
use crate::num::testing::xorshift;
use rug::Integer;

/// A random x of `prec` bits with |x| in [2^lo, 2^hi), either sign; with `sparse`, a
/// small odd integer times a power of two (products that are exact, or ties).
fn random(st: &mut u64, prec: u32, lo: i32, hi: i32, sparse: bool) -> Float {
    let e = lo + (xorshift(st) % (hi - lo) as u64) as i32;
    let x = if sparse {
        let m = (xorshift(st) % (1 << 12)) | 1;
        let bits = 64 - m.leading_zeros() as i32;
        Float::with_val(prec, m) << (e - bits)
    } else {
        let mut m = Integer::new();
        for _ in 0..prec.div_ceil(64) {
            m = (m << 64) + xorshift(st);
        }
        m.keep_bits_mut(prec);
        m.set_bit(prec - 1, true);
        Float::with_val(prec, m) >> (prec as i32 - e)
    };
    if xorshift(st) % 2 == 1 {
        -x
    } else {
        x
    }
}

/// The same bits (value, sign, or both NaN) of two MPFR numbers.
fn same(a: &Float, b: &Float) -> bool {
    (a.is_nan() && b.is_nan()) || (a == b && a.is_sign_negative() == b.is_sign_negative())
}

/// Random operands and results of 1 to 512 bits (multiples of 64 and not), exponents
/// from -300 to 300, full and sparse mantissas (exact products and ties, at results
/// narrower than the operands): mul, mul_assign and mul_new give MPFR's product bit for
/// bit.
#[test]
fn products_are_mpfrs_bit_for_bit() {
    let mut st = 0x3c6ef372fe94f82bu64;
    let widths = [
        64u32, 128, 192, 256, 53, 100, 130, 190, 200, 255, 320, 448, 512, 1, 7, 64,
    ];
    for round in 0..20_000u32 {
        let pick = |st: &mut u64| widths[(xorshift(st) % widths.len() as u64) as usize];
        let (pa, pb) = if round % 3 == 0 {
            let p = pick(&mut st);
            (p, p)
        } else {
            (pick(&mut st), pick(&mut st))
        };
        let sparse = round % 4 == 1;
        let po = if sparse {
            1 + (xorshift(&mut st) % 30) as u32
        } else if round % 2 == 0 {
            pa
        } else {
            pick(&mut st)
        };
        let a = random(&mut st, pa, -300, 300, sparse);
        let b = random(&mut st, pb, -300, 300, sparse);
        check(&a, &b, po, round);
    }
}

/// The fast path's own cases, each decided by it: whole limbs (128 to 256 bits) for the
/// operands and the result, full mantissas, and mantissas of 32 L + 1 bits whose
/// products lose one or two bits (a tie in a quarter of them, and carries out of the
/// mantissa); products with and without a leading zero.
#[test]
fn whole_limb_products_are_decided_bit_for_bit() {
    let mut st = 0x510e527fade682d1u64;
    let mut ties = 0;
    for round in 0..20_000u32 {
        let l = 2 + round % 3;
        let p = 64 * l;
        let operand = |st: &mut u64| {
            if round % 2 == 0 {
                return random(st, p, -300, 300, false);
            }
            // an odd integer of 32 L + 1 bits, or all ones (carries)
            let bits = 32 * l + 1;
            let mut m = Integer::new();
            for _ in 0..bits.div_ceil(64) {
                m = (m << 64) + xorshift(st);
            }
            m.keep_bits_mut(bits);
            m.set_bit(bits - 1, true);
            m.set_bit(0, true);
            if round % 10 == 1 {
                m = (Integer::from(1) << bits) - 1u32;
            }
            let e = (xorshift(st) % 200) as i32 - 100;
            let x = Float::with_val(p, m) << e;
            if xorshift(st).is_multiple_of(2) {
                -x
            } else {
                x
            }
        };
        let a = operand(&mut st);
        let b = operand(&mut st);
        let mut got = Float::new(p);
        assert!(mul_fast(&mut got, &a, &b), "round {round}");
        // a tie: the exact product is not a p-bit number but a (p + 1)-bit one
        let exact = Float::with_val(2 * p, &a * &b);
        ties += usize::from(
            Float::with_val(p + 1, &exact) == exact && Float::with_val(p, &exact) != exact,
        );
        check(&a, &b, p, round);
    }
    assert!(ties > 100, "{ties} ties");
}

/// mul, mul_assign and mul_new of a and b at `po` bits against MPFR.
fn check(a: &Float, b: &Float, po: u32, round: u32) {
    let want = Float::with_val(po, a * b);
    let mut got = Float::new(po);
    mul(&mut got, a, b);
    assert!(
        same(&got, &want),
        "round {round}: {a} * {b}: {got} vs {want}"
    );
    assert!(same(&mul_new(po, a, b), &want), "round {round}");
    let mut x = Float::with_val(po, a);
    let want_assign = Float::with_val(po, &x * b);
    mul_assign(&mut x, b);
    assert!(same(&x, &want_assign), "round {round}");
}

/// Zeros, NaN, infinities and products beyond MPFR's exponent range go to MPFR, with
/// its results (signed zeros, infinities and NaN included).
#[test]
fn specials_and_the_exponent_range_are_mpfrs() {
    use rug::float::Special;
    let p = 192;
    let vals = [
        Float::with_val(p, 3) / 7u32,
        -Float::with_val(p, 5) / 11u32,
        Float::with_val(p, Special::Zero),
        Float::with_val(p, Special::NegZero),
        Float::with_val(p, Special::Infinity),
        Float::with_val(p, Special::NegInfinity),
        Float::with_val(p, Special::Nan),
        Float::with_val(p, Float::i_exp(3, rug::float::exp_max() - 2)),
        Float::with_val(p, Float::i_exp(3, rug::float::exp_min() + 2)),
        -Float::with_val(p, Float::i_exp(1, rug::float::exp_min())),
    ];
    for a in &vals {
        for b in &vals {
            for po in [64u32, 192, 300] {
                let want = Float::with_val(po, a * b);
                let mut got = Float::new(po);
                mul(&mut got, a, b);
                assert!(same(&got, &want), "{a} * {b} at {po}: {got} vs {want}");
                let mut x = Float::with_val(po, a);
                let want_assign = Float::with_val(po, &x * b);
                mul_assign(&mut x, b);
                assert!(same(&x, &want_assign), "{a} *= {b} at {po}");
            }
        }
    }
    // operands wider than the fast path's limbs, or of other widths
    for (pa, po) in [(1024u32, 1024u32), (192, 128), (320, 320), (100, 100)] {
        let a = Float::with_val(pa, 1) / 3u32;
        let mut out = Float::new(po);
        assert!(!mul_fast(&mut out, &a, &a));
        mul(&mut out, &a, &a);
        assert!(same(&out, &Float::with_val(po, &a * &a)));
    }
}
