//! `--shard K/N`: which jobs one of N runs takes. A job belongs to shard
//! `(id mod N) + 1`, its id read as a 64-bit number (ids are SHA-256 prefixes, so
//! shards are even), as nextest's `hash:K/N`: the shard of a job depends on the job
//! alone, so adding jobs to a sweep moves none of the others.

use std::fmt;

/// Shard K of N (1 <= K <= N).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Shard {
    pub k: u64,
    pub n: u64,
}

impl Shard {
    /// Parse `K/N`; the message says what is wrong (without the option's name).
    pub fn parse(s: &str) -> Result<Shard, String> {
        let bad = || format!("expected K/N with 1 <= K <= N (e.g. 2/4), got {s:?}");
        let (k, n) = s.trim().split_once('/').ok_or_else(bad)?;
        let k: u64 = k.trim().parse().map_err(|_| bad())?;
        let n: u64 = n.trim().parse().map_err(|_| bad())?;
        if n == 0 {
            return Err(format!("{s:?}: the number of shards N must be at least 1"));
        }
        if k == 0 || k > n {
            return Err(format!(
                "{s:?}: K must be between 1 and N = {n} (shards count from 1)"
            ));
        }
        Ok(Shard { k, n })
    }

    /// Whether the job with this id belongs to the shard.
    pub fn contains(&self, id: &str) -> bool {
        // ids are 16 hex digits; anything else (never made by ibcert) hashes by bytes
        let h = u64::from_str_radix(id, 16)
            .unwrap_or_else(|_| id.bytes().fold(0u64, |h, b| h.wrapping_mul(31) ^ b as u64));
        h % self.n == self.k - 1
    }
}

impl fmt::Display for Shard {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        write!(f, "{}/{}", self.k, self.n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_refuses() {
        assert_eq!(Shard::parse("2/4").unwrap(), Shard { k: 2, n: 4 });
        assert_eq!(Shard::parse("1/1").unwrap(), Shard { k: 1, n: 1 });
        for bad in [
            "0/4", "5/4", "1/0", "0/0", "1", "a/4", "1/b", "-1/4", "1/4/2", "",
        ] {
            assert!(Shard::parse(bad).is_err(), "{bad}");
        }
        assert!(Shard::parse("0/4").unwrap_err().contains("count from 1"));
        assert!(Shard::parse("1/0").unwrap_err().contains("at least 1"));
    }

    #[test]
    fn every_id_is_in_exactly_one_shard() {
        for i in 0..200u64 {
            let id = format!("{:016x}", i.wrapping_mul(0x9e37_79b9_7f4a_7c15));
            for n in 1..6 {
                let hits = (1..=n).filter(|&k| Shard { k, n }.contains(&id)).count();
                assert_eq!(hits, 1, "{id} {n}");
            }
        }
    }
}
