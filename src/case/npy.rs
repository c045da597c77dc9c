//! A small reader of NumPy `.npy` files (format versions 1.0, 2.0 and 3.0): the magic
//! string, the version, the header length and the header (a Python dict literal with
//! `descr`, `fortran_order` and `shape`), then the raw elements. Read: floats of 4 or 8
//! bytes and integers of 1, 2, 4 or 8 bytes, signed or unsigned, in either byte order,
//! in C or Fortran order. Every element becomes an exact rational: an integer as it is,
//! a finite float as the binary fraction m * 2^e it is (NaN and infinities refused).

use rug::Rational;

/// The element type of an array.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(super) struct Dtype {
    /// 'f' float, 'i' signed integer, 'u' unsigned integer
    pub kind: char,
    /// bytes per element
    pub size: usize,
    pub big_endian: bool,
}

impl Dtype {
    /// NumPy's name of the type: float64, int32, uint8, ...
    pub fn name(&self) -> String {
        let base = match self.kind {
            'f' => "float",
            'i' => "int",
            _ => "uint",
        };
        format!("{base}{}", self.size * 8)
    }

    fn parse(descr: &str) -> Result<Dtype, String> {
        let unsupported = || {
            format!(
                "unsupported dtype '{descr}': the arrays read are of floats ('<f8', '<f4') or integers ('<i8', '<i4', '<i2', '|i1', and unsigned)"
            )
        };
        let mut chars = descr.chars();
        let order = chars.next().ok_or_else(unsupported)?;
        let kind = chars.next().ok_or_else(unsupported)?;
        let size: usize = chars.as_str().parse().map_err(|_| unsupported())?;
        let big_endian = match order {
            '<' | '|' => false,
            '>' => true,
            '=' => cfg!(target_endian = "big"),
            _ => return Err(unsupported()),
        };
        let ok = match kind {
            'f' => matches!(size, 4 | 8),
            'i' | 'u' => matches!(size, 1 | 2 | 4 | 8),
            _ => false,
        };
        if !ok {
            return Err(unsupported());
        }
        Ok(Dtype {
            kind,
            size,
            big_endian,
        })
    }
}

/// An array read from a `.npy` file: its header and its raw elements.
#[derive(Debug)]
pub(super) struct Array<'b> {
    pub dtype: Dtype,
    pub fortran_order: bool,
    pub shape: Vec<usize>,
    data: &'b [u8],
}

/// A value of the header dict.
#[derive(Debug, PartialEq)]
enum Py {
    Str(String),
    Bool(bool),
    Tuple(Vec<u64>),
}

/// Parses the header dict (`{'descr': '<f8', 'fortran_order': False, 'shape': (3, 2), }`).
fn parse_dict(s: &str) -> Result<Vec<(String, Py)>, String> {
    let bad = |why: &str| format!("header {:?}: {why}", crate::case::reader::clip(s.trim()));
    let b = s.as_bytes();
    let mut i = 0;
    let skip = |i: &mut usize| {
        while *i < b.len() && (b[*i] as char).is_ascii_whitespace() {
            *i += 1;
        }
    };
    let expect = |i: &mut usize, c: u8| -> Result<(), String> {
        skip(i);
        if *i < b.len() && b[*i] == c {
            *i += 1;
            Ok(())
        } else {
            Err(bad(&format!("expected '{}'", c as char)))
        }
    };
    let string = |i: &mut usize| -> Result<String, String> {
        skip(i);
        let q = *b.get(*i).ok_or_else(|| bad("unexpected end"))?;
        if q != b'\'' && q != b'"' {
            return Err(bad("expected a quoted string"));
        }
        let start = *i + 1;
        let end = b[start..]
            .iter()
            .position(|&c| c == q)
            .ok_or_else(|| bad("unterminated string"))?;
        *i = start + end + 1;
        Ok(s[start..start + end].to_string())
    };
    expect(&mut i, b'{')?;
    let mut out = Vec::new();
    loop {
        skip(&mut i);
        if b.get(i) == Some(&b'}') {
            break;
        }
        let key = string(&mut i)?;
        expect(&mut i, b':')?;
        skip(&mut i);
        let value = match b.get(i) {
            Some(b'\'') | Some(b'"') => Py::Str(string(&mut i)?),
            Some(b'(') => {
                i += 1;
                let mut dims = Vec::new();
                loop {
                    skip(&mut i);
                    if b.get(i) == Some(&b')') {
                        i += 1;
                        break;
                    }
                    let start = i;
                    while i < b.len() && b[i].is_ascii_digit() {
                        i += 1;
                    }
                    let n: u64 = s[start..i]
                        .parse()
                        .map_err(|_| bad("expected a whole number in the shape"))?;
                    dims.push(n);
                    skip(&mut i);
                    match b.get(i) {
                        Some(b',') => i += 1,
                        Some(b')') => {}
                        _ => return Err(bad("expected ',' or ')' in the shape")),
                    }
                }
                Py::Tuple(dims)
            }
            _ if s[i..].starts_with("True") => {
                i += 4;
                Py::Bool(true)
            }
            _ if s[i..].starts_with("False") => {
                i += 5;
                Py::Bool(false)
            }
            _ => return Err(bad(&format!("unsupported value of '{key}'"))),
        };
        out.push((key, value));
        skip(&mut i);
        match b.get(i) {
            Some(b',') => i += 1,
            Some(b'}') => {}
            _ => return Err(bad("expected ',' or '}'")),
        }
    }
    Ok(out)
}

/// Reads the header of a `.npy` file; the error says what is wrong.
pub(super) fn read(bytes: &[u8]) -> Result<Array<'_>, String> {
    const MAGIC: &[u8] = b"\x93NUMPY";
    if bytes.len() < 10 || !bytes.starts_with(MAGIC) {
        return Err("not a NumPy .npy file (it does not start with \\x93NUMPY)".to_string());
    }
    let (major, minor) = (bytes[6], bytes[7]);
    let (len, start): (usize, usize) = match major {
        1 => (u16::from_le_bytes([bytes[8], bytes[9]]) as usize, 10),
        2 | 3 if bytes.len() >= 12 => (
            u32::from_le_bytes([bytes[8], bytes[9], bytes[10], bytes[11]]) as usize,
            12,
        ),
        _ => {
            return Err(format!(
            "unsupported .npy format version {major}.{minor} (versions 1.0, 2.0 and 3.0 are read)"
        ))
        }
    };
    let end = start
        .checked_add(len)
        .filter(|&e| e <= bytes.len())
        .ok_or("truncated header: the file is shorter than its header length says")?;
    let header = std::str::from_utf8(&bytes[start..end])
        .map_err(|_| "the header is not text".to_string())?;
    let mut descr = None;
    let mut fortran_order = None;
    let mut shape = None;
    for (k, v) in parse_dict(header)? {
        match (k.as_str(), v) {
            ("descr", Py::Str(d)) => descr = Some(Dtype::parse(&d)?),
            ("fortran_order", Py::Bool(f)) => fortran_order = Some(f),
            ("shape", Py::Tuple(s)) => shape = Some(s),
            (k, v) => return Err(format!("header: unexpected entry '{k}': {v:?}")),
        }
    }
    let missing = |k: &str| format!("header: no '{k}' entry");
    let dtype = descr.ok_or_else(|| missing("descr"))?;
    let fortran_order = fortran_order.ok_or_else(|| missing("fortran_order"))?;
    let shape: Vec<usize> = shape
        .ok_or_else(|| missing("shape"))?
        .into_iter()
        .map(|n| usize::try_from(n).map_err(|_| format!("header: shape entry {n} is too large")))
        .collect::<Result<_, _>>()?;
    let data = &bytes[end..];
    let count = shape
        .iter()
        .try_fold(1usize, |a, &n| a.checked_mul(n))
        .and_then(|n| n.checked_mul(dtype.size))
        .ok_or("header: the shape is too large")?;
    if data.len() != count {
        return Err(format!(
            "the shape {shape:?} of {} takes {count} bytes of data, but the file has {}",
            dtype.name(),
            data.len()
        ));
    }
    Ok(Array {
        dtype,
        fortran_order,
        shape,
        data,
    })
}

impl Array<'_> {
    /// The element at `index` (one entry per dimension), exactly; Err for NaN and
    /// infinities.
    pub fn get(&self, index: &[usize]) -> Result<Rational, String> {
        let mut flat = 0usize;
        if self.fortran_order {
            for (&i, &n) in index.iter().zip(&self.shape).rev() {
                flat = flat * n + i;
            }
        } else {
            for (&i, &n) in index.iter().zip(&self.shape) {
                flat = flat * n + i;
            }
        }
        let size = self.dtype.size;
        let mut raw = [0u8; 8];
        raw[..size].copy_from_slice(&self.data[flat * size..(flat + 1) * size]);
        if self.dtype.big_endian {
            raw[..size].reverse();
        }
        // raw[..size] is now little-endian
        let value = match (self.dtype.kind, size) {
            ('f', 8) => f64::from_le_bytes(raw),
            ('f', _) => f64::from(f32::from_le_bytes([raw[0], raw[1], raw[2], raw[3]])),
            ('u', _) => return Ok(Rational::from(u64::from_le_bytes(raw))),
            _ => {
                // sign-extend
                let shift = 64 - 8 * size as u32;
                return Ok(Rational::from((i64::from_le_bytes(raw) << shift) >> shift));
            }
        };
        if value.is_nan() {
            return Err("NaN is not a number".to_string());
        }
        // a finite float is exactly a binary fraction
        Rational::from_f64(value).ok_or_else(|| format!("{value} is not a finite number"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn npy(descr: &str, fortran: bool, shape: &str, data: &[u8]) -> Vec<u8> {
        let mut h = format!(
            "{{'descr': '{descr}', 'fortran_order': {}, 'shape': {shape}, }}",
            if fortran { "True" } else { "False" }
        );
        while (10 + h.len() + 1) % 64 != 0 {
            h.push(' ');
        }
        h.push('\n');
        let mut b = b"\x93NUMPY\x01\x00".to_vec();
        b.extend((h.len() as u16).to_le_bytes());
        b.extend(h.as_bytes());
        b.extend(data);
        b
    }

    #[test]
    fn reads_floats_and_integers_exactly() {
        let data: Vec<u8> = [0.1f64, -2.5]
            .iter()
            .flat_map(|x| x.to_le_bytes())
            .collect();
        let b = npy("<f8", false, "(2,)", &data);
        let a = read(&b).unwrap();
        assert_eq!(a.shape, [2]);
        assert_eq!(
            a.get(&[0]).unwrap(),
            Rational::from((3602879701896397u64, 36028797018963968u64))
        );
        assert_eq!(a.get(&[1]).unwrap(), Rational::from((-5, 2)));
        let data: Vec<u8> = [1i32, -1, 7, -8]
            .iter()
            .flat_map(|x| x.to_le_bytes())
            .collect();
        // Fortran order: column 0 is (1, -1), column 1 is (7, -8)
        let b = npy("<i4", true, "(2, 2)", &data);
        let a = read(&b).unwrap();
        assert_eq!(a.get(&[0, 1]).unwrap(), 7);
        assert_eq!(a.get(&[1, 0]).unwrap(), -1);
        let b = npy("|i1", false, "(2,)", &[0xff, 0x05]);
        assert_eq!(read(&b).unwrap().get(&[0]).unwrap(), -1);
        let b = npy("<f8", false, "(1,)", &f64::NAN.to_le_bytes());
        assert!(read(&b).unwrap().get(&[0]).unwrap_err().contains("NaN"));
    }

    #[test]
    fn refuses_bad_headers() {
        assert!(read(b"hello world").unwrap_err().contains("not a NumPy"));
        let b = npy("<c16", false, "(1,)", &[0; 16]);
        assert!(read(&b).err().unwrap().contains("unsupported dtype"));
        let b = npy("<f8", false, "(2,)", &[0; 8]);
        assert!(read(&b).err().unwrap().contains("takes 16 bytes"));
    }
}
