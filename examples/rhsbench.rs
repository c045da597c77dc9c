use ibcert::case::Case;
use ibcert::flow::DiagFlow;
use ibcert::num::exact::parse_rational;
use ibcert::ode::Ode;
use rug::Float;
use std::path::Path;
fn main() {
    let case = Case::load(Path::new("cases/random10.toml")).unwrap();
    let alpha = parse_rational("1").unwrap();
    let p = 256;
    let flow = DiagFlow::new(&case.z(), case.depth, &alpha, p);
    let y: Vec<Float> = (0..11).map(|i| Float::with_val(p, i) / 7u32).collect();
    let mut out = vec![Float::new(p); 11];
    let x = Float::new(p);
    let t = std::time::Instant::now();
    for _ in 0..10000 {
        flow.rhs(&x, &y, &mut out);
    }
    println!("rhs {:?} per call", t.elapsed() / 10000);
    let mut jac = vec![Float::new(p); 121];
    let t = std::time::Instant::now();
    for _ in 0..1000 {
        flow.jacobian(&x, &y, &mut jac);
    }
    println!("jac {:?} per call", t.elapsed() / 1000);
    let tol = Float::with_val(p, 1e-40);
    let t = std::time::Instant::now();
    for _ in 0..1000 {
        let sc = flow.error_scale(&y, &tol);
        std::hint::black_box(sc.norm(&out));
    }
    println!("scale+norm {:?} per call", t.elapsed() / 1000);
    let sc = flow.error_scale(&y, &tol);
    let t = std::time::Instant::now();
    for _ in 0..10000 {
        std::hint::black_box(sc.norm(&out));
    }
    println!("norm {:?} per call", t.elapsed() / 10000);
    let m = ibcert::model::Mirror::new(2, &alpha, p);
    let t = std::time::Instant::now();
    for _ in 0..10000 {
        std::hint::black_box(m.eval(&y[3]));
    }
    println!("mirror eval {:?}", t.elapsed() / 10000);
    let t = std::time::Instant::now();
    for _ in 0..10000 {
        std::hint::black_box(Float::with_val(p, y[3].exp_ref()));
    }
    println!("exp {:?}", t.elapsed() / 10000);
    let t = std::time::Instant::now();
    let mut z = Float::new(p);
    for _ in 0..100000 {
        z.assign(&y[3] * &y[5]);
        std::hint::black_box(&z);
    }
    println!("mul {:?}", t.elapsed() / 100000);
}
use rug::Assign;
