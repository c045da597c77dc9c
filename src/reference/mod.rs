//! Reference solutions the checks compare the flow against, each with a certificate.

pub mod constants;
mod face;
pub mod kkt;
pub mod l1;
pub mod l2;
pub mod l2d;
mod l2guess;
pub mod qmu;
pub mod regression;
