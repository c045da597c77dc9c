//! What the side-by-side table sums up: ibcert's runs, the cost of a digit, and the ratio
//! to the fastest peer (display only: no f64 reaches ibcert's numerics).

use crate::flow::Verified;
use std::time::Duration;

/// Milliseconds of wall time per digit (display only): None without a digit.
pub(super) fn per_digit(wall_seconds: f64, digits: Option<u64>) -> Option<f64> {
    digits
        .filter(|&d| d > 0)
        .map(|d| wall_seconds * 1000.0 / d as f64)
}

/// One ibcert run of a workload at one setting (`bits`: the precision asked for; the
/// guard may have raised it).
pub(super) struct Ours {
    pub(super) label: &'static str,
    pub(super) bits: u32,
    pub(super) v: Verified,
    pub(super) main_wall: Duration,
    pub(super) total_wall: Duration,
}

impl Ours {
    /// Milliseconds of verified wall time per verified digit (display only).
    pub(super) fn per_digit(&self) -> Option<f64> {
        per_digit(self.total_wall.as_secs_f64(), self.v.digits.map(u64::from))
    }
}

/// ibcert's verified wall over the fastest peer's, per setting, among some peer rows.
pub(super) struct Fastest {
    /// the largest ratio over the methods that finished (the fastest method's)
    pub(super) best: Vec<Option<f64>>,
    /// the smallest ratio over the methods stopped at their timeout: a bound above, the
    /// ratio to the fastest peer when none finished
    bound: Vec<Option<f64>>,
}

impl Fastest {
    pub(super) fn new(settings: usize) -> Fastest {
        Fastest {
            best: vec![None; settings],
            bound: vec![None; settings],
        }
    }

    /// A peer row's ratio at setting `i`: `finished` or stopped at its timeout.
    pub(super) fn record(&mut self, i: usize, ratio: f64, finished: bool) {
        if finished {
            if self.best[i].is_none_or(|b| ratio > b) {
                self.best[i] = Some(ratio);
            }
        } else if self.bound[i].is_none_or(|b| ratio < b) {
            self.bound[i] = Some(ratio);
        }
    }

    /// The summary line's figures, e.g. `30 digits 0.02 (ibcert 50.0 times faster), ...`;
    /// when no row finished (each figure then a bound, `<r`), followed by `(none_note)`.
    pub(super) fn describe(&self, ours: &[Ours], none_note: &str) -> String {
        let b: Vec<String> = self
            .best
            .iter()
            .zip(&self.bound)
            .zip(ours)
            .map(|((r, u), o)| {
                let r = match (r, u) {
                    (Some(r), _) if *r < 1.0 => {
                        format!("{r:.2} (ibcert {:.1} times faster)", 1.0 / r)
                    }
                    (Some(r), _) => format!("{r:.2}"),
                    (None, Some(u)) if *u < 1.0 => {
                        format!("<{u:.2} (ibcert over {:.1} times faster)", 1.0 / u)
                    }
                    (None, Some(u)) => format!("<{u:.2}"),
                    (None, None) => "-".to_string(),
                };
                format!("{} {r}", o.label)
            })
            .collect();
        let none_finished =
            self.best.iter().all(Option::is_none) && self.bound.iter().any(Option::is_some);
        if none_finished {
            format!("{} ({none_note})", b.join(", "))
        } else {
            b.join(", ")
        }
    }
}

/// The median over the fresh random datasets (the rows named r1, r2, ...) of a ratio per
/// setting, as `30 digits 3.61, 40 digits 6.48`, with the number of datasets (None with
/// fewer than two). Each median is over the datasets with a figure; when some have none
/// (no peer finished), it says over how many, or that there is none.
pub(super) fn medians(
    rows: &[(&str, Vec<Option<f64>>)],
    settings: &[(&str, u32, &str)],
) -> Option<(usize, String)> {
    let random: Vec<&Vec<Option<f64>>> = rows
        .iter()
        .filter(|(n, _)| n.starts_with('r'))
        .map(|(_, b)| b)
        .collect();
    (random.len() >= 2).then(|| {
        let med: Vec<String> = settings
            .iter()
            .enumerate()
            .map(|(i, s)| {
                let mut v: Vec<f64> = random.iter().filter_map(|b| b[i]).collect();
                v.sort_by(|a, b| a.total_cmp(b));
                let m = match v.len() {
                    0 => "-".to_string(),
                    n if n % 2 == 1 => format!("{:.2}", v[n / 2]),
                    n => format!("{:.2}", (v[n / 2 - 1] + v[n / 2]) / 2.0),
                };
                let over = match v.len() {
                    0 => " (no peer finished on any)".to_string(),
                    n if n < random.len() => format!(" (over the {n} where a peer finished)"),
                    _ => String::new(),
                };
                format!("{} {m}{over}", s.0)
            })
            .collect();
        (random.len(), med.join(", "))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const TWO: &[(&str, u32, &str)] = &[("30 digits", 128, "1e-30"), ("40 digits", 192, "1e-40")];

    /// The median of the r rows alone, odd and even counts, and the count it is over when
    /// some datasets have no figure.
    #[test]
    fn the_median_is_over_the_fresh_datasets_that_have_a_figure() {
        let rows = [
            ("a2: three_point", vec![Some(100.0), Some(100.0)]),
            ("r1: x", vec![Some(3.0), None]),
            ("r2: x", vec![Some(1.0), Some(4.0)]),
            ("r3: x", vec![Some(2.0), None]),
            ("b11: random10", vec![None, None]),
        ];
        assert_eq!(
            medians(&rows, TWO),
            Some((
                3,
                "30 digits 2.00, 40 digits 4.00 (over the 1 where a peer finished)".to_string()
            ))
        );
        let even = [
            ("r1: x", vec![Some(1.0), None]),
            ("r2: x", vec![Some(4.0), None]),
        ];
        assert_eq!(
            medians(&even, TWO),
            Some((
                2,
                "30 digits 2.50, 40 digits - (no peer finished on any)".to_string()
            ))
        );
        assert_eq!(medians(&rows[..2], TWO), None, "one dataset: no median");
    }
}
