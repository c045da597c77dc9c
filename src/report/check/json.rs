//! JSON (schema `ibcert.check/1`); without timing the wall-time fields are left out.

use super::{CheckView, SuiteReport, SuiteView};
use crate::report::Exporter;

pub(super) struct Json {
    pub timing: bool,
}

impl Exporter<SuiteReport> for Json {
    fn export(&self, report: &SuiteReport) -> String {
        let timing = self.timing;
        let view = SuiteView {
            schema: report.schema,
            checks: report.checks,
            met: report.met,
            unmet: report.unmet,
            results: report.results.iter().map(CheckView::of).collect(),
            missing_jobs: report.missing_jobs.clone(),
            data: report.data.clone(),
        };
        let mut v = serde_json::to_value(view).expect("check report serializes");
        if !timing {
            if let Some(rs) = v["results"].as_array_mut() {
                for r in rs {
                    if let Some(al) = r["alphas"].as_array_mut() {
                        for a in al {
                            if let Some(o) = a.as_object_mut() {
                                o.remove("wall_seconds");
                            }
                        }
                    }
                }
            }
        }
        serde_json::to_string_pretty(&v).expect("json") + "\n"
    }
}
