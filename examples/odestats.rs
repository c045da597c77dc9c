use ibcert::num::{from_rational, ten_pow_neg};
use ibcert::ode::problems::{Robertson, VanDerPol};
use ibcert::ode::radau::{Control, Radau, RadauOptions};
use ibcert::ode::tableau::RadauTableau;
use ibcert::ode::Ode;
use rug::{Float, Rational};
fn go<O: Ode>(name: &str, ode: &O, s: usize, tol: u32, x: i32, y0: &[i32]) {
    let p = ode.prec();
    let tab = RadauTableau::new(s, p);
    let t = std::time::Instant::now();
    let solver = Radau::new(
        ode,
        &tab,
        RadauOptions::new(from_rational(p, &ten_pow_neg(tol))),
    );
    let y0: Vec<Float> = y0.iter().map(|&v| Float::with_val(p, v)).collect();
    let out = solver
        .integrate(&Float::new(p), &y0, &Float::with_val(p, x), |_| {
            Control::Continue
        })
        .unwrap();
    println!(
        "{name} s={s} tol=1e-{tol} p={p}: {:?} {:?}",
        out.stats,
        t.elapsed()
    );
}
fn main() {
    let a: Vec<String> = std::env::args().collect();
    let s: usize = a[1].parse().unwrap();
    let tol: u32 = a[2].parse().unwrap();
    let p: u32 = a[3].parse().unwrap();
    go("robertson", &Robertson::new(p), s, tol, 100, &[1, 0, 0]);
    go(
        "vdp",
        &VanDerPol::new(p, &Rational::from((1, 1000))),
        s,
        tol,
        1,
        &[2, 0],
    );
}
