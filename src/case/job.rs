//! Stable job identity: every job of `check` (one check at one alpha) and of `table`
//! (one depth and scale) has an id derived from what determines its result and nothing
//! else: ibcert's numeric version, the data (exact points and labels, or the task and
//! the targets of a regression case) and depth, the
//! job's own declaration, alpha, the numerics and whether it is verified. Editing a
//! case's name or description, or adding another check to the file, leaves the ids of
//! the other jobs unchanged; changing anything a result depends on changes the id.

use super::spec::CheckSpec;
use super::Case;
use crate::num::{sha256_hex, NUMERIC_VERSION};
use rug::Rational;

/// Hex digits of a job id (64 bits of SHA-256).
pub const ID_HEX: usize = 16;

/// The id of a job described by `fields` (name, value) on top of the case's data.
pub fn job_id(case: &Case, fields: &[(&str, String)]) -> String {
    let mut text = format!("ibcert-job\nnumeric_version={NUMERIC_VERSION}\n");
    text += &format!("depth={}\n", case.depth);
    match case.task {
        // the text of classification jobs stays what it was (their ids do not change)
        super::Task::Classification => {
            for (p, l) in case.points.iter().zip(&case.labels) {
                let coords: Vec<String> = p.iter().map(|q| q.to_string()).collect();
                text += &format!("point={} label={l}\n", coords.join(","));
            }
        }
        super::Task::Regression => {
            text += "task=regression\n";
            for (p, y) in case.points.iter().zip(&case.targets) {
                let coords: Vec<String> = p.iter().map(|q| q.to_string()).collect();
                text += &format!("point={} target={y}\n", coords.join(","));
            }
        }
    }
    for (k, v) in fields {
        text += &format!("{k}={v}\n");
    }
    sha256_hex(text.as_bytes())[..ID_HEX].to_string()
}

/// The numerics of a job as a field.
pub fn numerics_field(n: &crate::flow::Numerics, verify: bool) -> (&'static str, String) {
    (
        "numerics",
        format!(
            "prec={} tol={} stages={} verify={verify}",
            n.prec, n.tol, n.stages
        ),
    )
}

/// The id of the check job (`spec`, `alpha`) of `case` (with the case's numerics).
pub fn check_job_id(case: &Case, spec: &CheckSpec, alpha: &Rational, verify: bool) -> String {
    job_id(
        case,
        &[
            ("job", "check".to_string()),
            ("name", spec.name.clone()),
            ("kind", format!("{:?}", spec.kind)),
            ("stop", spec.stop.to_string()),
            ("mu", format!("{:?}", spec.mu)),
            ("tolerance", spec.tolerance.to_string()),
            ("expect", format!("{:?}", spec.expect)),
            ("alpha", alpha.to_string()),
            numerics_field(&case.numerics.for_run(), verify),
        ]
        .into_iter()
        // the loss only when it is not exp: the ids of exp jobs stay what they were
        .chain(
            (spec.loss != crate::flow::Loss::Exp).then(|| ("loss", spec.loss.name().to_string())),
        )
        .collect::<Vec<_>>(),
    )
}
