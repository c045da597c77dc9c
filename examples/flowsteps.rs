use ibcert::case::Case;
use ibcert::flow::run::{integrate, Numerics};
use ibcert::flow::DiagFlow;
use ibcert::num::exact::parse_rational;
use ibcert::num::from_rational;
use std::path::Path;
fn main() {
    let a: Vec<String> = std::env::args().collect();
    let case = Case::load(Path::new(&a[1])).unwrap();
    let alpha = parse_rational(&a[2]).unwrap();
    let gt = parse_rational(&a[3]).unwrap();
    let tol = parse_rational(&a[4]).unwrap();
    let prec: u32 = a[5].parse().unwrap();
    let stages = a[6].parse().unwrap();
    let num = Numerics { prec, tol, stages };
    let flow = DiagFlow::new(&case.z(), case.depth, &alpha, prec);
    let mut k = 0;
    let v = integrate(&flow, &num, &from_rational(prec, &gt), &[], |x| {
        k += 1;
        if k % 100 == 0 {
            println!("{k} {}", ibcert::num::fmt_sig(x, 6));
        }
    })
    .unwrap();
    println!("{:?}", v.stats);
}
