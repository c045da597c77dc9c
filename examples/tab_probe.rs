//! Time the Radau IIA tableau builds (the stage counts and precisions the default
//! numerics use); with a file argument, also write every coefficient in hex there, to
//! compare two builds bit for bit: `cargo run --release --example tab_probe [FILE]`.
use ibcert::ode::tableau::RadauTableau;
use std::io::Write;
use std::time::Instant;
fn main() {
    let dump = std::env::args().nth(1);
    let mut out = dump.map(|f| std::fs::File::create(f).unwrap());
    for (s, p) in [
        (1usize, 128u32),
        (2, 128),
        (3, 128),
        (5, 200),
        (12, 128),
        (14, 128),
        (18, 192),
        (20, 192),
        (22, 256),
        (24, 256),
        (24, 320),
        (24, 1024),
    ] {
        let t0 = Instant::now();
        let t = RadauTableau::new(s, p);
        println!("s={s} p={p}: {:.4} s", t0.elapsed().as_secs_f64());
        if let Some(o) = out.as_mut() {
            for x in t.coefficients() {
                writeln!(o, "{s} {p} {}", x.to_string_radix(16, None)).unwrap();
            }
        }
    }
}
