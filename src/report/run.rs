//! The report of `ibcert run`: one serializable structure, rendered as text or JSON.

use super::{fmt_scalar, fmt_vector, scalar_digits, vector_digits, UNVERIFIED_DIGITS};
use crate::flow::{Halted, Numerics, PrecisionRaise, Solution, StopRule, Summary, Verified};
use crate::num::{decimal_digits_of_bits, fmt_sig};
use crate::ode::radau::Stats;
use rug::Rational;
use serde::Serialize;

/// JSON schema identifier of [`RunReport`].
pub const RUN_SCHEMA: &str = "ibcert.run/1";

#[derive(Clone, Debug, Serialize)]
pub struct CaseInfo {
    pub name: String,
    pub path: Option<String>,
    pub points: usize,
    pub dim: usize,
    pub depth: u32,
    /// the data files and what their values are taken as, when the data come from files
    #[serde(skip_serializing_if = "Option::is_none")]
    pub data: Option<String>,
}

impl CaseInfo {
    /// The case as reports describe it (its own depth).
    pub fn of(case: &crate::case::Case) -> CaseInfo {
        CaseInfo {
            name: case.name.clone(),
            path: case.path.as_ref().map(|p| p.display().to_string()),
            points: case.n_points(),
            dim: case.dim(),
            depth: case.depth,
            data: case.data_source.as_ref().map(|d| d.description.clone()),
        }
    }

    /// The text reports' `case` line (`what`: appended after the depth, e.g. the task).
    pub fn case_line(&self, what: &str) -> String {
        let path = self
            .path
            .as_deref()
            .map(|p| format!(" ({p})"))
            .unwrap_or_default();
        format!(
            "case            {}{path}: N = {} points in d = {}, depth D = {}{what}\n",
            self.name, self.points, self.dim, self.depth
        )
    }

    /// The `case` line and, when the data come from files, the `data` line.
    pub fn text_lines(&self, what: &str) -> String {
        let mut o = self.case_line(what);
        if let Some(d) = &self.data {
            o += &format!("data            {d}\n");
        }
        o
    }
}

#[derive(Clone, Debug, Serialize)]
pub struct NumericsInfo {
    pub precision: u32,
    pub tolerance: String,
    pub stages: usize,
}

impl NumericsInfo {
    pub fn of(n: &Numerics) -> NumericsInfo {
        NumericsInfo {
            precision: n.prec,
            tolerance: crate::num::exact::rational_to_decimal_string(&n.tol, 3),
            stages: n.stages,
        }
    }
}

/// Verified digits of each reported quantity (agreement with the verification run).
#[derive(Clone, Debug, Serialize)]
pub struct Digits {
    pub w_hat: u32,
    pub w: u32,
    pub direction: u32,
    pub gamma: u32,
    pub ln_t: u32,
    pub w_hat_l1: u32,
    pub w_hat_l2: u32,
    pub nu: u32,
}

#[derive(Clone, Debug, Serialize)]
pub struct RunWork {
    pub stats: Stats,
    /// wall time in seconds (a timing field: differs between runs; left out with
    /// --no-timing)
    #[serde(skip_serializing_if = "Option::is_none")]
    pub wall_seconds: Option<f64>,
}

impl RunWork {
    fn of(s: &Solution) -> RunWork {
        RunWork {
            stats: s.stats.clone(),
            wall_seconds: Some(s.wall.as_secs_f64()),
        }
    }
}

/// A job stopped before its end (Ctrl-C, --max-steps, --max-time): what it reached.
#[derive(Clone, Debug, Serialize)]
pub struct Incomplete {
    /// "interrupted", "max_steps" or "max_time"
    pub reason: String,
    /// the reason in words
    pub message: String,
    /// the integration that was running: "main" or "verification"
    pub phase: String,
    /// the gt that integration reached
    pub reached_gt: String,
    /// the stopping rule's gt
    pub target_gt: String,
    /// the checkpoint written when it stopped (continue with --resume), if any
    pub checkpoint: Option<String>,
}

#[derive(Clone, Debug, Serialize)]
pub struct Work {
    pub main: RunWork,
    pub verification: Option<RunWork>,
    /// the wall time of the main run and its verification together in this invocation,
    /// in seconds (a timing field): with two or more worker threads the verification
    /// runs beside the main run, so it is less than the sum of the two
    #[serde(skip_serializing_if = "Option::is_none")]
    pub elapsed_seconds: Option<f64>,
}

impl Work {
    /// Leave out the timing fields (`--no-timing`).
    pub fn drop_timing(&mut self) {
        self.main.wall_seconds = None;
        if let Some(v) = &mut self.verification {
            v.wall_seconds = None;
        }
        self.elapsed_seconds = None;
    }

    /// The text report's work lines: each run's counters and wall time, and the two
    /// runs' wall time together.
    pub fn text(&self) -> String {
        let w = |r: &RunWork| {
            format!(
                "{} steps ({} rejected), {} RHS evaluations, {} Jacobians, {} LU, {} Newton iterations{}",
                r.stats.accepted,
                r.stats.rejected,
                r.stats.rhs_evals,
                r.stats.jac_evals,
                r.stats.lu_decomps,
                r.stats.newton_iters,
                r.wall_seconds
                    .map_or(String::new(), |t| format!(", {t:.3} s"))
            )
        };
        let mut o = format!("work (main)     {}\n", w(&self.main));
        if let Some(v) = &self.verification {
            o += &format!("work (verify)   {}\n", w(v));
            if let Some(t) = self.elapsed_seconds {
                o += &format!("wall time       {t:.3} s, main run and verification together\n");
            }
        }
        o
    }
}

/// `--digits K` in a run report.
#[derive(Clone, Debug, Serialize)]
pub struct DigitsAskedInfo {
    pub asked: u32,
    pub met: bool,
    /// the attempts before the reported one, each short of the digits asked
    pub earlier_attempts: Vec<AttemptInfo>,
}

#[derive(Clone, Debug, Serialize)]
pub struct AttemptInfo {
    pub precision: u32,
    pub tolerance: String,
    pub stages: usize,
    pub digits: u32,
}

impl DigitsAskedInfo {
    pub fn of(v: &Verified) -> Option<DigitsAskedInfo> {
        let a = v.asked.as_ref()?;
        Some(DigitsAskedInfo {
            asked: a.k,
            met: a.met(v),
            earlier_attempts: a
                .earlier
                .iter()
                .map(|t| AttemptInfo {
                    precision: t.prec,
                    tolerance: crate::num::exact::rational_to_decimal_string(&t.tol, 3),
                    stages: t.stages,
                    digits: t.digits,
                })
                .collect(),
        })
    }

    /// One text line: "30 asked: met" or the attempts and the shortfall.
    pub fn line(&self, got: u32) -> String {
        let earlier: Vec<String> = self
            .earlier_attempts
            .iter()
            .map(|t| {
                format!(
                    "{} at {} bits, tolerance {}",
                    t.digits, t.precision, t.tolerance
                )
            })
            .collect();
        let before = if earlier.is_empty() {
            String::new()
        } else {
            format!(
                " after {} earlier attempt(s) with fewer ({})",
                earlier.len(),
                earlier.join("; ")
            )
        };
        if self.met {
            format!("{} asked: met ({got} verified){before}", self.asked)
        } else {
            format!(
                "{} asked: NOT met, {got} verified{before}; ibcert stopped after {} attempts",
                self.asked,
                self.earlier_attempts.len() + 1
            )
        }
    }
}

#[derive(Clone, Debug, Serialize)]
pub struct RunReport {
    pub schema: &'static str,
    pub case: CaseInfo,
    pub alpha: String,
    /// the loss function when it is not the exp-loss ("logistic"); absent for exp
    #[serde(skip_serializing_if = "Option::is_none")]
    pub loss_fn: Option<&'static str>,
    pub stop: String,
    /// the gt reached (the stopping rule's target)
    pub gt: String,
    /// the loss is 10^(-loss_exp10)
    pub loss_exp10: String,
    pub numerics: NumericsInfo,
    pub verification: Option<NumericsInfo>,
    /// None when verification was skipped (then values carry 6 unverified digits)
    pub digits: Option<Digits>,
    pub gamma: String,
    pub ln_t: String,
    pub w: Vec<String>,
    pub w_hat: Vec<String>,
    pub direction: Vec<String>,
    pub w_hat_l1: String,
    pub w_hat_l2: String,
    pub nu: Vec<String>,
    /// |(-log L(w)) - gt|
    pub invariant_drift: String,
    /// invariant drift / gt
    pub invariant_drift_rel: String,
    pub work: Work,
    /// precisions raised because the target needed more bits (empty: none)
    pub precision_raises: Vec<PrecisionRaise>,
    /// `--digits K` (or the case's `numerics.digits`): what was asked, whether the
    /// result has it, and the earlier attempts that fell short; absent otherwise
    #[serde(skip_serializing_if = "Option::is_none")]
    pub digits_asked: Option<DigitsAskedInfo>,
    /// null for a finished job; what was reached when it was stopped early
    pub incomplete: Option<Incomplete>,
}

impl RunReport {
    pub fn build(
        case: CaseInfo,
        alpha: &Rational,
        rule: &StopRule,
        verified: &Verified,
    ) -> RunReport {
        let main = &verified.main;
        let p = main.numerics.prec;
        let s = Summary::at(verified.flow(), &main.gt, &main.y);
        // every digit count is capped by what the arithmetic carries at the end state
        let cap = verified.carried.min(decimal_digits_of_bits(p));
        let digits = verified
            .check
            .as_ref()
            .zip(verified.check_flow())
            .map(|(check, vflow)| {
                let c = Summary::at(vflow, &check.gt, &check.y);
                // digits of w_hat are the headline: capped as in run_verified
                let dw = verified.digits.unwrap_or(0);
                Digits {
                    w_hat: dw,
                    w: vector_digits(&s.w, &c.w, cap),
                    direction: vector_digits(&s.direction, &c.direction, cap),
                    gamma: scalar_digits(&s.gamma, &c.gamma, cap),
                    ln_t: scalar_digits(&s.ln_t, &c.ln_t, cap),
                    w_hat_l1: scalar_digits(&s.w_hat_l1, &c.w_hat_l1, cap),
                    w_hat_l2: scalar_digits(&s.w_hat_l2, &c.w_hat_l2, cap),
                    nu: vector_digits(&s.nu, &c.nu, cap),
                }
            });
        let dg = |f: fn(&Digits) -> u32| digits.as_ref().map_or(UNVERIFIED_DIGITS, f);
        let gt_str = match rule.gt_exact(alpha, case.depth) {
            Some(q) => q.to_string(),
            None => fmt_sig(&main.gt, cap.min(30) as usize),
        };
        RunReport {
            schema: RUN_SCHEMA,
            alpha: alpha.to_string(),
            loss_fn: match verified.flow().loss {
                crate::flow::Loss::Exp => None,
                other => Some(other.name()),
            },
            stop: rule.describe(),
            gt: gt_str,
            loss_exp10: fmt_sig(&s.loss_exp10, cap.min(25) as usize),
            numerics: NumericsInfo::of(&main.numerics),
            verification: verified
                .check
                .as_ref()
                .map(|c| NumericsInfo::of(&c.numerics)),
            gamma: fmt_scalar(&s.gamma, dg(|d| d.gamma)),
            ln_t: fmt_scalar(&s.ln_t, dg(|d| d.ln_t)),
            w: fmt_vector(&s.w, dg(|d| d.w)),
            w_hat: fmt_vector(&s.w_hat, dg(|d| d.w_hat)),
            direction: fmt_vector(&s.direction, dg(|d| d.direction)),
            w_hat_l1: fmt_scalar(&s.w_hat_l1, dg(|d| d.w_hat_l1)),
            w_hat_l2: fmt_scalar(&s.w_hat_l2, dg(|d| d.w_hat_l2)),
            nu: fmt_vector(&s.nu, dg(|d| d.nu)),
            invariant_drift: fmt_sig(&s.drift, 3),
            invariant_drift_rel: fmt_sig(&s.drift_rel, 3),
            digits,
            work: Work {
                main: RunWork::of(main),
                verification: verified.check.as_ref().map(RunWork::of),
                elapsed_seconds: verified.elapsed.map(|d| d.as_secs_f64()),
            },
            precision_raises: verified.raises.clone(),
            digits_asked: DigitsAskedInfo::of(verified),
            incomplete: None,
            case,
        }
    }

    /// The report of a halted job: the state reached (the main run's end when the
    /// verification was stopped), unverified, with what stopped it.
    pub fn halted(
        case: CaseInfo,
        z: &[Vec<Rational>],
        alpha: &Rational,
        rule: &StopRule,
        loss: crate::flow::Loss,
        h: &Halted,
        target: String,
        checkpoint: Option<String>,
    ) -> RunReport {
        let snap = &h.snapshot;
        let cur = &snap.current;
        let v = Verified::halted(z, case.depth, alpha, loss, h);
        let reached = fmt_sig(&v.main.gt, 12);
        let mut r = RunReport::build(case, alpha, rule, &v);
        r.gt = reached;
        r.incomplete = Some(Incomplete {
            reason: h.halt.key().to_string(),
            message: h.halt.describe(),
            phase: crate::flow::MAIN_RUN.to_string(),
            reached_gt: fmt_sig(&cur.state.x, 12),
            target_gt: target,
            checkpoint,
        });
        if let Some(f) = &snap.following {
            // the verification's own progress (it follows the main run step for step)
            r.work.verification = Some(RunWork {
                stats: f.state.stats.clone(),
                wall_seconds: Some(f.wall.as_secs_f64()),
            });
        }
        r
    }

    /// Leave out the timing fields (`--no-timing`).
    pub fn drop_timing(&mut self) {
        self.work.drop_timing();
    }

    /// JSON (pretty-printed).
    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).expect("report serializes")
    }

    /// Human-readable text.
    pub fn to_text(&self) -> String {
        let mut o = String::new();
        if let Some(inc) = &self.incomplete {
            o += &format!(
                "INCOMPLETE      {} during the {} run at gt = {} (target {}): the values below are the state reached, unverified\n",
                inc.message, inc.phase, inc.reached_gt, inc.target_gt,
            );
            match &inc.checkpoint {
                Some(c) => o += &format!("checkpoint      {c} (continue with --resume {c})\n"),
                None => {
                    o += "checkpoint      none (give --checkpoint FILE to be able to continue)\n"
                }
            }
        }
        o += &self.case.text_lines("");
        o += &format!("alpha           {}\n", self.alpha);
        if let Some(l) = self.loss_fn {
            o += &format!("loss function   {l}\n");
        }
        o += &format!("stop            {}\n", self.stop);
        o += &format!("gt              {}\n", self.gt);
        o += &format!("loss            10^-{}\n", self.loss_exp10);
        let tag = |d: Option<u32>| match d {
            Some(d) => format!("  [{d} digits]"),
            None => "  [unverified]".to_string(),
        };
        let dd = |f: fn(&Digits) -> u32| self.digits.as_ref().map(f);
        o += &format!("gamma           {}{}\n", self.gamma, tag(dd(|d| d.gamma)));
        o += &format!("ln t            {}{}\n", self.ln_t, tag(dd(|d| d.ln_t)));
        let vec = |v: &[String]| format!("[{}]", v.join(", "));
        o += &format!("w               {}{}\n", vec(&self.w), tag(dd(|d| d.w)));
        o += &format!(
            "w_hat = w/gamma {}{}\n",
            vec(&self.w_hat),
            tag(dd(|d| d.w_hat))
        );
        o += &format!(
            "w/||w||_2       {}{}\n",
            vec(&self.direction),
            tag(dd(|d| d.direction))
        );
        o += &format!(
            "||w_hat||_1     {}{}\n",
            self.w_hat_l1,
            tag(dd(|d| d.w_hat_l1))
        );
        o += &format!(
            "||w_hat||_2     {}{}\n",
            self.w_hat_l2,
            tag(dd(|d| d.w_hat_l2))
        );
        o += &format!("nu              {}{}\n", vec(&self.nu), tag(dd(|d| d.nu)));
        o += &format!(
            "invariant drift {} (relative {})\n",
            self.invariant_drift, self.invariant_drift_rel
        );
        let n = &self.numerics;
        o += &format!(
            "numerics        {} bits, tolerance {}, Radau IIA with {} stages (order {})\n",
            n.precision,
            n.tolerance,
            n.stages,
            2 * n.stages - 1
        );
        for r in &self.precision_raises {
            o += &format!(
                "precision       raised from {} to {} bits for the {} run: {}\n",
                r.from, r.to, r.run, r.reason
            );
        }
        match (&self.verification, &self.digits) {
            _ if self.incomplete.is_some() => {
                o += "verification    not done (the job was stopped): values shown to 6 digits, not vouched for\n";
            }
            (Some(v), Some(d)) => {
                o += &format!(
                    "verification    {} correct digits of w_hat, from a second run on the same steps at {} bits, tolerance {}, {} stages\n",
                    d.w_hat, v.precision, v.tolerance, v.stages
                );
            }
            _ => {
                o += &format!(
                    "verification    skipped (--no-verify): values shown to {UNVERIFIED_DIGITS} digits, not vouched for\n"
                );
            }
        }
        if let (Some(a), Some(d)) = (&self.digits_asked, &self.digits) {
            o += &format!("digits asked    {}\n", a.line(d.w_hat));
        }
        o += &self.work.text();
        o
    }
}
