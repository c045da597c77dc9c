//! Checkpoint files of long runs (`--checkpoint`, `--resume`): a versioned JSON
//! document holding a [`Snapshot`] exactly.
//!
//! Every MPFR number is written exactly as `<mantissa in hex>p<binary exponent>`
//! (value = mantissa * 2^exponent, e.g. `-1a3fp-250`; `0`, `-0`, `inf`, `-inf`, `nan`
//! for the special values) and read back at the precision recorded beside it, so the
//! state round-trips bit for bit. The `job` object identifies what the state belongs
//! to (the case file's SHA-256, the stopping rule, the numerics, ...); the caller
//! builds it and compares it on resumption.

use super::control::{Following, MAIN_RUN};
use super::{Every, InFlight, Numerics, PrecisionRaise, Snapshot};
use crate::ode::radau::{FollowState, RadauState, Stats, StepRecord};
use rug::{Float, Rational};
use serde_json::{json, Map, Value};
use std::path::Path;
use std::time::Duration;

/// The format identifier; a reader refuses any other.
pub const FORMAT: &str = "ibcert.checkpoint/2";

pub use crate::num::serial::{float_from_str, float_to_string};
pub use crate::num::sha256_hex;

/// Write `text` to `path` atomically ([`crate::output::write_atomic`]: a temporary file
/// beside it, flushed to disk, then renamed over it; a reader sees the old or the new
/// file, never a part).
pub fn write_atomic(path: &Path, text: &str) -> Result<(), crate::output::WriteError> {
    crate::output::write_atomic(path, text)
}

fn floats(v: &[Float]) -> Value {
    Value::Array(
        v.iter()
            .map(|x| Value::String(float_to_string(x)))
            .collect(),
    )
}

fn numerics_json(n: &Numerics) -> Value {
    json!({
        "precision": n.prec,
        "tolerance": n.tol.to_string(),
        "stages": n.stages,
    })
}

fn samples_json(s: &[(Float, Vec<Float>)]) -> Value {
    Value::Array(
        s.iter()
            .map(|(x, y)| json!({"gt": float_to_string(x), "y": floats(y)}))
            .collect(),
    )
}

/// The key of [`RadauState::lin_full`], present (true) only when the Newton matrices
/// were raised to the working precision.
const LIN_FULL_KEY: &str = "linear_algebra_at_working_precision";

/// The key's value (absent: false); `at` prefixes the field named in an error.
fn read_lin_full(v: Option<&Value>, at: &str) -> Result<bool, String> {
    match v {
        None => Ok(false),
        Some(v) => v
            .as_bool()
            .ok_or_else(|| format!("{at}{LIN_FULL_KEY}: not a boolean")),
    }
}

/// Add the key (true) to the object `v` when `lin_full`, else leave it out (checkpoints
/// without the raise keep their form).
fn insert_lin_full(v: &mut Value, lin_full: bool) {
    if let (true, Some(o)) = (lin_full, v.as_object_mut()) {
        o.insert(LIN_FULL_KEY.into(), json!(true));
    }
}

fn state_json(st: &RadauState) -> Value {
    let mut v = json!({
        "x": float_to_string(&st.x),
        "y": floats(&st.y),
        "h": float_to_string(&st.h),
        "prev": st.prev.as_ref().map(|r| json!({
            "x0": float_to_string(&r.x0),
            "h": float_to_string(&r.h),
            "y0": floats(&r.y0),
            "z": Value::Array(r.z.iter().map(|v| floats(v)).collect()),
        })),
        "last_rejected": st.last_rejected,
        "stats": serde_json::to_value(&st.stats).expect("stats serialize"),
        "faccon": float_to_string(&st.faccon),
    });
    // the embedded estimate's controller state, only where there is one (step doubling's
    // checkpoints keep their form)
    if let (Some((h, e)), Some(o)) = (&st.pred, v.as_object_mut()) {
        o.insert(
            "pred".into(),
            json!([float_to_string(h), float_to_string(e)]),
        );
    }
    // the Newton matrices raised to the working precision, only when they were
    insert_lin_full(&mut v, st.lin_full);
    v
}

fn in_flight_json(f: &InFlight) -> Value {
    json!({
        "numerics": numerics_json(&f.numerics),
        "state": state_json(&f.state),
        "samples": samples_json(&f.samples),
        "wall_seconds": f.wall.as_secs_f64(),
    })
}

fn following_json(f: &Following) -> Value {
    let mut v = json!({
        "numerics": numerics_json(&f.numerics),
        "x": float_to_string(&f.state.x),
        "y": floats(&f.state.y),
        "stats": serde_json::to_value(&f.state.stats).expect("stats serialize"),
        "faccon": float_to_string(&f.state.faccon),
        "samples": samples_json(&f.samples),
        "wall_seconds": f.wall.as_secs_f64(),
    });
    insert_lin_full(&mut v, f.state.lin_full);
    v
}

fn read_following(v: &Value) -> Result<Following, String> {
    let o = object(v, "verification")?;
    let numerics = read_numerics(get(o, "numerics")?, crate::ode::tableau::MAX_TABLEAU_STAGES)?;
    let p = numerics.prec;
    Ok(Following {
        state: FollowState {
            x: read_float(get(o, "x")?, "x", p)?,
            y: read_floats(get(o, "y")?, "y", p)?,
            stats: read_stats(get(o, "stats")?)?,
            faccon: read_float(get(o, "faccon")?, "faccon", p)?,
            lin_full: read_lin_full(o.get(LIN_FULL_KEY), "")?,
        },
        samples: read_samples(get(o, "samples")?, p)?,
        wall: read_wall(o)?,
        numerics,
    })
}

/// The checkpoint document for `snap` of the job described by `job`.
pub fn to_json(job: &Value, snap: &Snapshot) -> String {
    // a struct, so that "format" comes first
    #[derive(serde::Serialize)]
    struct File<'a> {
        format: &'static str,
        written_by: &'static str,
        job: &'a Value,
        phase: &'static str,
        precision_raises: &'a [PrecisionRaise],
        current: Value,
        verification: Option<Value>,
    }
    let v = File {
        format: FORMAT,
        written_by: crate::VERSION_LONG,
        job,
        phase: MAIN_RUN,
        precision_raises: &snap.raises,
        current: in_flight_json(&snap.current),
        verification: snap.following.as_deref().map(following_json),
    };
    serde_json::to_string_pretty(&v).expect("checkpoint serializes") + "\n"
}

/// Read a checkpoint document: its `job` object and the snapshot. Errors name the
/// field that is wrong.
pub fn from_json(text: &str) -> Result<(Value, Snapshot), String> {
    let v: Value =
        serde_json::from_str(text).map_err(|e| format!("not a checkpoint (invalid JSON: {e})"))?;
    let obj = v
        .as_object()
        .ok_or("not a checkpoint (not a JSON object)")?;
    match obj.get("format").and_then(Value::as_str) {
        Some(FORMAT) => {}
        Some(other) => {
            return Err(format!(
                "format {other:?} is not supported (this build reads {FORMAT:?})"
            ))
        }
        None => return Err(format!("not a checkpoint (no \"format\": {FORMAT:?})")),
    }
    let job = obj.get("job").cloned().ok_or("field job: missing")?;
    if get(obj, "phase")?.as_str() != Some(MAIN_RUN) {
        return Err(format!("field phase: must be \"{MAIN_RUN}\""));
    }
    let raises: Vec<PrecisionRaise> = serde_json::from_value(get(obj, "precision_raises")?.clone())
        .map_err(|e| format!("field precision_raises: {e}"))?;
    let current = read_in_flight(get(obj, "current")?).map_err(|e| format!("field current.{e}"))?;
    let following = match get(obj, "verification")? {
        Value::Null => None,
        f => Some(Box::new(
            read_following(f).map_err(|e| format!("field verification.{e}"))?,
        )),
    };
    Ok((
        job,
        Snapshot {
            raises,
            current,
            following,
        },
    ))
}

fn get<'a>(obj: &'a Map<String, Value>, key: &str) -> Result<&'a Value, String> {
    obj.get(key).ok_or_else(|| format!("field {key}: missing"))
}

fn object<'a>(v: &'a Value, what: &str) -> Result<&'a Map<String, Value>, String> {
    v.as_object()
        .ok_or_else(|| format!("{what}: not an object"))
}

fn read_float(v: &Value, key: &str, prec: u32) -> Result<Float, String> {
    let s = v.as_str().ok_or_else(|| format!("{key}: not a string"))?;
    float_from_str(s, prec).map_err(|e| format!("{key}: {e}"))
}

fn read_floats(v: &Value, key: &str, prec: u32) -> Result<Vec<Float>, String> {
    let a = v.as_array().ok_or_else(|| format!("{key}: not an array"))?;
    a.iter()
        .enumerate()
        .map(|(i, x)| read_float(x, &format!("{key}[{i}]"), prec))
        .collect()
}

fn read_u64(obj: &Map<String, Value>, key: &str) -> Result<u64, String> {
    get(obj, key)?
        .as_u64()
        .ok_or_else(|| format!("{key}: not a non-negative integer"))
}

/// Numerics with at most `max_stages` stages (the main run's: [`MAX_STAGES`](crate::ode::tableau::MAX_STAGES)).
fn read_numerics(v: &Value, max_stages: usize) -> Result<Numerics, String> {
    let o = object(v, "numerics")?;
    let prec = read_u64(o, "precision").map_err(|e| format!("numerics.{e}"))?;
    if !(u64::from(crate::num::MIN_PRECISION)..=u64::from(crate::num::MAX_PRECISION))
        .contains(&prec)
    {
        return Err(format!("numerics.precision: {prec} is out of range"));
    }
    let tol: Rational = get(o, "tolerance")
        .map_err(|e| format!("numerics.{e}"))?
        .as_str()
        .and_then(|s| s.parse().ok())
        .filter(|q: &Rational| *q > 0 && *q < 1)
        .ok_or("numerics.tolerance: not an exact rational in (0, 1)")?;
    let stages = read_u64(o, "stages").map_err(|e| format!("numerics.{e}"))?;
    if !(1..=max_stages as u64).contains(&stages) {
        return Err(format!("numerics.stages: {stages} is out of range"));
    }
    Ok(Numerics {
        prec: prec as u32,
        tol,
        stages: stages as usize,
    })
}

fn read_samples(v: &Value, prec: u32) -> Result<Vec<(Float, Vec<Float>)>, String> {
    let a = v.as_array().ok_or("samples: not an array")?;
    a.iter()
        .enumerate()
        .map(|(i, s)| {
            let o = object(s, &format!("samples[{i}]"))?;
            Ok((
                read_float(get(o, "gt")?, &format!("samples[{i}].gt"), prec)?,
                read_floats(get(o, "y")?, &format!("samples[{i}].y"), prec)?,
            ))
        })
        .collect()
}

fn read_stats(v: &Value) -> Result<Stats, String> {
    serde_json::from_value(v.clone()).map_err(|e| format!("stats: {e}"))
}

fn read_wall(o: &Map<String, Value>) -> Result<Duration, String> {
    let w = get(o, "wall_seconds")?
        .as_f64()
        .filter(|w| w.is_finite() && *w >= 0.0)
        .ok_or("wall_seconds: not a non-negative number")?;
    Ok(Duration::from_secs_f64(w))
}

/// The embedded estimate's controller state (h_acc, err_acc) of a loop state: absent or
/// null when there is none.
fn read_pred(v: Option<&Value>, p: u32) -> Result<Option<(Float, Float)>, String> {
    match v {
        None | Some(Value::Null) => Ok(None),
        Some(v) => {
            let a = v.as_array().ok_or("state.pred: not an array")?;
            if a.len() != 2 {
                return Err("state.pred: not a pair".into());
            }
            Ok(Some((
                read_float(&a[0], "state.pred[0]", p)?,
                read_float(&a[1], "state.pred[1]", p)?,
            )))
        }
    }
}

fn read_in_flight(v: &Value) -> Result<InFlight, String> {
    let o = object(v, "current")?;
    let numerics = read_numerics(get(o, "numerics")?, crate::ode::tableau::MAX_STAGES)?;
    let p = numerics.prec;
    let so = object(get(o, "state")?, "state")?;
    let prev = match get(so, "prev")? {
        Value::Null => None,
        r => {
            let ro = object(r, "state.prev")?;
            let z = get(ro, "z")?
                .as_array()
                .ok_or("state.prev.z: not an array")?
                .iter()
                .enumerate()
                .map(|(i, zi)| read_floats(zi, &format!("state.prev.z[{i}]"), p))
                .collect::<Result<Vec<_>, _>>()?;
            Some(StepRecord {
                x0: read_float(get(ro, "x0")?, "state.prev.x0", p)?,
                h: read_float(get(ro, "h")?, "state.prev.h", p)?,
                y0: read_floats(get(ro, "y0")?, "state.prev.y0", p)?,
                z,
            })
        }
    };
    let state = RadauState {
        x: read_float(get(so, "x")?, "state.x", p)?,
        y: read_floats(get(so, "y")?, "state.y", p)?,
        h: read_float(get(so, "h")?, "state.h", p)?,
        prev,
        last_rejected: get(so, "last_rejected")?
            .as_bool()
            .ok_or("state.last_rejected: not a boolean")?,
        stats: read_stats(get(so, "stats")?).map_err(|e| format!("state.{e}"))?,
        faccon: read_float(get(so, "faccon")?, "state.faccon", p)?,
        pred: read_pred(so.get("pred"), p)?,
        lin_full: read_lin_full(so.get(LIN_FULL_KEY), "state.")?,
    };
    Ok(InFlight {
        samples: read_samples(get(o, "samples")?, p)?,
        wall: read_wall(o)?,
        numerics,
        state,
    })
}

/// Parse a checkpoint interval: `N` or `Ns` seconds, `Nm` minutes, `Nh` hours, or
/// `Nsteps` accepted steps (N a positive integer).
pub fn parse_every(s: &str) -> Result<Every, String> {
    let t = s.trim();
    let (num, unit) = match t.find(|c: char| !c.is_ascii_digit()) {
        Some(i) => (&t[..i], t[i..].trim()),
        None => (t, ""),
    };
    let n: u64 = num.parse().ok().filter(|n| *n > 0).ok_or_else(|| {
        format!("{s:?} is not a positive interval (e.g. 60, 90s, 5m, 1h, 200steps)")
    })?;
    match unit {
        "" | "s" => Ok(Every::Seconds(n)),
        "m" => Ok(Every::Seconds(n.saturating_mul(60))),
        "h" => Ok(Every::Seconds(n.saturating_mul(3600))),
        "steps" | "step" => Ok(Every::Steps(n)),
        _ => Err(format!(
            "{s:?}: unknown unit {unit:?} (use s, m, h or steps)"
        )),
    }
}

/// Parse a duration: `N` or `Ns` seconds, `Nm` minutes, `Nh` hours.
pub fn parse_duration(s: &str) -> Result<Duration, String> {
    match parse_every(s) {
        Ok(Every::Seconds(n)) => Ok(Duration::from_secs(n)),
        Ok(Every::Steps(_)) => Err(format!("{s:?} is a step count, not a duration")),
        Err(e) => Err(e),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Exact round trip of awkward values at several precisions.
    #[test]
    fn floats_round_trip_bit_for_bit() {
        for prec in [64u32, 200, 333, 1024] {
            let mut vals = vec![
                Float::with_val(prec, 0),
                -Float::with_val(prec, 0),
                Float::with_val(prec, 1),
                Float::with_val(prec, -3) / 7u32,
                Float::with_val(prec, 10).pow(Float::with_val(prec, 300)),
                Float::with_val(prec, Float::i_exp(1, -100_000)),
                Float::with_val(prec, rug::float::Special::Infinity),
            ];
            vals.push(Float::with_val(prec, 2).sqrt() * Float::with_val(prec, 1e-300));
            for x in &vals {
                let s = float_to_string(x);
                let y = float_from_str(&s, prec).unwrap();
                assert_eq!(x.prec(), y.prec());
                assert!(x.total_cmp(&y).is_eq(), "{x} -> {s} -> {y}");
                assert_eq!(x.is_sign_negative(), y.is_sign_negative());
            }
        }
        // a mantissa wider than the precision is refused
        let wide = float_to_string(&(Float::with_val(200, 1) / 3u32));
        assert!(float_from_str(&wide, 64).is_err());
        for bad in ["", "p", "1p", "xyzp3", "1.5p2", "12", "1p99999999999"] {
            assert!(float_from_str(bad, 64).is_err(), "{bad}");
        }
    }

    use rug::ops::Pow;

    /// The embedded estimate's controller state goes into a checkpoint and back bit for
    /// bit; a step-doubling state (none) writes no key, so its checkpoints keep their form.
    #[test]
    fn pred_round_trip_and_absent_key() {
        let p = 200;
        let mut st = RadauState {
            x: Float::with_val(p, 1),
            y: vec![Float::with_val(p, 2)],
            h: Float::with_val(p, 3) / 7u32,
            prev: None,
            last_rejected: false,
            stats: Stats::default(),
            faccon: Float::with_val(p, 1),
            pred: None,
            lin_full: false,
        };
        let v = state_json(&st);
        assert!(v.get("pred").is_none());
        assert_eq!(read_pred(v.get("pred"), p).unwrap(), None);
        let pair = (Float::with_val(p, 1) / 3u32, Float::with_val(p, 1) / 100u32);
        st.pred = Some(pair.clone());
        let v = state_json(&st);
        assert_eq!(read_pred(v.get("pred"), p).unwrap(), Some(pair));
        assert!(read_pred(Some(&json!([1])), p).is_err());
        // the Newton matrices at the working precision: a key only when raised
        assert!(v.get(LIN_FULL_KEY).is_none());
        assert!(!read_lin_full(v.get(LIN_FULL_KEY), "state.").unwrap());
        st.lin_full = true;
        let v = state_json(&st);
        assert!(read_lin_full(v.get(LIN_FULL_KEY), "state.").unwrap());
        assert!(read_lin_full(Some(&json!(1)), "state.").is_err());
    }

    #[test]
    fn intervals() {
        assert_eq!(parse_every("90").unwrap(), Every::Seconds(90));
        assert_eq!(parse_every("5m").unwrap(), Every::Seconds(300));
        assert_eq!(parse_every("200steps").unwrap(), Every::Steps(200));
        assert!(parse_every("0").is_err());
        assert!(parse_every("-5").is_err());
        assert!(parse_every("3 days").is_err());
        assert!(parse_duration("10steps").is_err());
    }
}
