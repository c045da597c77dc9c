//! The verdict that kernel, transition and rich checks share: the metric falls along the
//! alphas (no increase beyond the noise floor) to within the tolerance at the largest.

use super::Evidence;
use crate::num::fmt_sig;
use rug::Float;

/// Why the metric does not fall to the tolerance, or None when it does.
pub(super) fn failure(e: &Evidence) -> Option<String> {
    let (alphas, tol, noise) = (e.alphas, &e.tol, &e.noise);
    for w in alphas.windows(2) {
        let (a, b) = (&w[0], &w[1]);
        let rise = Float::with_val(noise.prec(), &b.metric.value - &a.metric.value);
        if rise > *noise {
            return Some(format!(
                "{} increases from {} at alpha = {} to {} at alpha = {}",
                a.metric.name,
                a.metric.display(),
                a.result.alpha,
                b.metric.display(),
                b.result.alpha
            ));
        }
    }
    let last = alphas.last()?;
    if last.metric.value > *tol {
        return Some(format!(
            "{} at the largest alpha = {} is {}, above the tolerance {}",
            last.metric.name,
            last.result.alpha,
            last.metric.display(),
            fmt_sig(tol, 3)
        ));
    }
    None
}

/// The reason of a pass (`alphas` is not empty).
pub(super) fn success(e: &Evidence) -> String {
    let tol = &e.tol;
    match e.alphas.last() {
        Some(last) => format!(
            "{} falls along the alphas to {} at alpha = {} (tolerance {})",
            last.metric.name,
            last.metric.display(),
            last.result.alpha,
            fmt_sig(tol, 3)
        ),
        None => "no alpha was run".to_string(),
    }
}

/// The verdict of a falling metric.
pub(super) fn verdict(e: &Evidence) -> (bool, String) {
    match failure(e) {
        Some(why) => (false, why),
        None => (true, success(e)),
    }
}
