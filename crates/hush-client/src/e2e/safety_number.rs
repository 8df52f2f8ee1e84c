//! Safety numbers: a 60-digit number two people compare out of band (read
//! aloud, or side by side) to check that each holds the other's real key
//! and no one in between swapped a card.
//!
//! Each side's half is 30 digits derived from its signing key alone (the
//! card binds the encryption key to it by signature), by iterating SHA-512
//! [`ITERATIONS`] times so that finding another key with the same digits is
//! costly. The two halves are put in a fixed order (the smaller first), so
//! both people see the same number.

use hush_wire::PublicKey;
use sha2::{Digest, Sha512};

/// Version of the derivation, hashed in first.
const VERSION: [u8; 2] = [0, 1];
/// SHA-512 iterations per half.
pub const ITERATIONS: usize = 5200;
/// Digits per half.
pub const HALF_DIGITS: usize = 30;
/// Digits per group as displayed.
pub const GROUP_DIGITS: usize = 5;

/// The 30-digit half for one key.
fn half(key: &PublicKey) -> String {
    let mut hash = Sha512::new()
        .chain_update(VERSION)
        .chain_update(b"hush.safety-number")
        .chain_update(key.as_bytes())
        .finalize();
    for _ in 1..ITERATIONS {
        hash = Sha512::new()
            .chain_update(hash)
            .chain_update(key.as_bytes())
            .finalize();
    }
    // Six chunks of 5 bytes, each reduced to 5 digits.
    (0..HALF_DIGITS / GROUP_DIGITS)
        .map(|i| {
            let chunk = &hash[i * 5..i * 5 + 5];
            let n = chunk.iter().fold(0u64, |acc, b| (acc << 8) | u64::from(*b));
            format!("{:05}", n % 100_000)
        })
        .collect()
}

/// The safety number of `a` and `b`: 60 digits, the same whichever is
/// given first.
pub fn safety_number(a: &PublicKey, b: &PublicKey) -> String {
    let (ha, hb) = (half(a), half(b));
    if ha <= hb { ha + &hb } else { hb + &ha }
}

/// `digits` in groups of five, for reading aloud.
pub fn grouped(digits: &str) -> String {
    digits
        .as_bytes()
        .chunks(GROUP_DIGITS)
        .map(|c| std::str::from_utf8(c).expect("digits are ASCII"))
        .collect::<Vec<_>>()
        .join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(n: u8) -> PublicKey {
        PublicKey::new([n; 32]).unwrap()
    }

    #[test]
    fn the_same_on_both_sides_and_different_for_others() {
        let ab = safety_number(&key(1), &key(2));
        assert_eq!(ab.len(), 2 * HALF_DIGITS);
        assert!(ab.bytes().all(|b| b.is_ascii_digit()));
        assert_eq!(
            ab,
            safety_number(&key(2), &key(1)),
            "both sides see one number"
        );
        assert_ne!(ab, safety_number(&key(1), &key(3)));
        assert_eq!(grouped("1234567890"), "12345 67890");
    }

    #[test]
    fn the_derivation_does_not_drift() {
        // A known answer: changing the derivation would make people who
        // compared before see a mismatch, so it must be a deliberate change
        // (with a new VERSION).
        let n = safety_number(&key(1), &key(2));
        assert_eq!(n, KNOWN_1_2, "safety number derivation changed");
    }

    const KNOWN_1_2: &str = "546372684209315337689347588899726584926280149312429802439585";
}
