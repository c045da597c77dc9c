//! Products of a tableau matrix (T or T^-1, s x s) with the s stage vectors.

use crate::num::aligned::AlignedMatrix;
use crate::num::dot::{dot_into, Term};
use rayon::prelude::*;
use rug::Float;

/// out_k = sum_j m[k][j] v_j for an s x s row-major matrix m acting on s vectors, in
/// parallel over k (each row computed as it would be serially): by `aligned`, m's rows
/// brought to their largest exponents once ([`AlignedMatrix::mul`]), where it is given
/// and takes the values; otherwise each entry by an exact dot product rounded once.
/// Deterministic: which way is taken depends on the values alone.
pub(super) fn transform(
    m: &[Float],
    aligned: Option<&AlignedMatrix>,
    v: &[Vec<Float>],
    out: &mut [Vec<Float>],
) {
    if aligned.is_some_and(|a| a.mul(v, out)) {
        return;
    }
    let s = v.len();
    out.par_iter_mut().enumerate().for_each(|(k, ok)| {
        let row = &m[k * s..(k + 1) * s];
        for (i, x) in ok.iter_mut().enumerate() {
            dot_into(x, row.iter().zip(v).map(|(c, vj)| Term::prod(c, &vj[i])));
        }
    });
}
