//! Progress bars on stderr (display only; f64 here is for drawing the bar, never for
//! results). Both are drawn only when stderr is a terminal and the command was not
//! given `--no-progress` (`enabled` false).

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use rug::Float;
use std::io::IsTerminal;
use std::time::{Duration, Instant};

/// A progress bar over log(1 + gt), drawn on stderr only when stderr is a terminal and
/// only once the job has run for about a second.
pub struct GtProgress {
    bar: ProgressBar,
    start: Instant,
    shown: bool,
    enabled: bool,
    log_end: f64,
    phases: usize,
}

const TICKS: u64 = 1000;

impl GtProgress {
    /// `phases`: how many integrations to the same end the job runs (2 with verification).
    pub fn new(gt_end: &Float, phases: usize, enabled: bool) -> GtProgress {
        let bar = ProgressBar::with_draw_target(
            Some(TICKS * phases as u64),
            ProgressDrawTarget::hidden(),
        );
        bar.set_style(
            ProgressStyle::with_template("{spinner} [{elapsed_precise}] {wide_bar} {msg}")
                .unwrap_or_else(|_| ProgressStyle::default_bar()),
        );
        GtProgress {
            bar,
            start: Instant::now(),
            shown: false,
            enabled: enabled && std::io::stderr().is_terminal(),
            log_end: gt_end.to_f64().ln_1p().max(1e-300),
            phases,
        }
    }

    /// Report that phase `phase` (0-based) reached `gt`.
    pub fn update(&mut self, phase: usize, gt: &Float) {
        if !self.enabled {
            return;
        }
        if !self.shown && self.start.elapsed() > Duration::from_secs(1) {
            self.bar.set_draw_target(ProgressDrawTarget::stderr());
            self.shown = true;
        }
        let g = gt.to_f64();
        let frac = (g.ln_1p() / self.log_end).clamp(0.0, 1.0);
        let pos = phase as u64 * TICKS + (frac * TICKS as f64) as u64;
        self.bar.set_position(pos);
        let label = if self.phases > 1 && phase + 1 == self.phases {
            "verifying"
        } else {
            "integrating"
        };
        self.bar.set_message(format!("{label}: gt = {g:.4e}"));
    }

    pub fn finish(&self) {
        self.bar.finish_and_clear();
    }
}

/// A bar over a count of jobs (table rows, check jobs, plot paths), advanced by one as
/// each job ends; shared between the threads that run the jobs.
pub struct JobProgress {
    bar: ProgressBar,
}

impl JobProgress {
    /// `jobs` to run; `label` (if any) is shown beside the bar.
    pub fn new(jobs: usize, enabled: bool, label: Option<&str>) -> JobProgress {
        let bar = ProgressBar::with_draw_target(Some(jobs as u64), ProgressDrawTarget::hidden());
        if enabled && std::io::stderr().is_terminal() {
            bar.set_draw_target(ProgressDrawTarget::stderr());
            if let Some(l) = label {
                bar.set_message(l.to_string());
            }
        }
        JobProgress { bar }
    }

    /// One more job done.
    pub fn inc(&self) {
        self.bar.inc(1);
    }

    /// Clear the bar.
    pub fn finish(&self) {
        self.bar.finish_and_clear();
    }
}
