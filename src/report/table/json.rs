//! JSON (schema `ibcert.table/1`): every field of the report.

use super::TableReport;
use crate::report::Exporter;

pub(super) struct Json;

impl Exporter<TableReport> for Json {
    fn export(&self, report: &TableReport) -> String {
        serde_json::to_string_pretty(report).expect("the report serializes") + "\n"
    }
}
