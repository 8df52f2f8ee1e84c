//! ML-KEM-768 as hush's channel runs it, against known answers from
//! implementations hush did not write (`tests/data/` says where each file
//! comes from):
//! - `mlkem768-final.txt`: key generation from `(d, z)`, encapsulation
//!   with `m`, decapsulation of the right ciphertext and of a wrong one
//!   (FIPS 203 final), made by kyber-py and pyca/cryptography, which agree;
//! - `mlkem768-cctv.txt`: C2SP's CCTV, an encapsulation and three
//!   encapsulation keys FIPS 203's modulus check must refuse.

use hush_noise::mlkem::{self, MlKem};
use snow::types::{Kem, Random};

/// The values named `name` in `text` (`name = hex` or `name.n = hex`), in order.
fn field(text: &str, name: &str) -> Vec<Vec<u8>> {
    text.lines()
        .filter(|l| !l.starts_with('#'))
        .filter_map(|l| l.split_once(" = "))
        .filter(|(k, _)| *k == name || k.split_once('.').is_some_and(|(k, _)| k == name))
        .map(|(_, v)| hex::decode(v.trim()).expect("hex"))
        .collect()
}

const FINAL: &str = include_str!("data/mlkem768-final.txt");
const CCTV: &str = include_str!("data/mlkem768-cctv.txt");

/// Hands out a fixed stream, as a seeded random source would.
struct Stream(Vec<u8>);

impl Random for Stream {
    fn try_fill_bytes(&mut self, dest: &mut [u8]) -> Result<(), snow::Error> {
        let rest = self.0.split_off(dest.len());
        dest.copy_from_slice(&self.0);
        self.0 = rest;
        Ok(())
    }
}

fn generated(d: &[u8], z: &[u8]) -> MlKem {
    let mut kem = MlKem::new();
    kem.generate(&mut Stream([d, z].concat()));
    kem
}

fn encapsulate(kem: &MlKem, ek: &[u8]) -> Result<([u8; 32], Vec<u8>), snow::Error> {
    let (mut ss, mut ct) = ([0u8; 32], vec![0u8; mlkem::CIPHERTEXT_LEN]);
    let (ss_len, ct_len) = kem.encapsulate(ek, &mut ss, &mut ct)?;
    assert_eq!((ss_len, ct_len), (32, 1088));
    Ok((ss, ct))
}

fn decapsulate(kem: &MlKem, c: &[u8]) -> [u8; 32] {
    let mut ss = [0u8; 32];
    assert_eq!(kem.decapsulate(c, &mut ss).unwrap(), 32);
    ss
}

#[test]
fn key_generation_encapsulation_and_decapsulation_give_the_known_answers() {
    let f = |name| field(FINAL, name);
    let (d, z, ek, m, c, k) = (f("d"), f("z"), f("ek"), f("m"), f("c"), f("K"));
    let (c_wrong, k_wrong) = (f("c_wrong"), f("K_wrong"));
    assert_eq!(d.len(), 3);
    for i in 0..3 {
        let kem = generated(&d[i], &z[i]);
        assert_eq!(hex::encode(kem.pubkey()), hex::encode(&ek[i]), "ek {i}");
        let fixed = MlKem::with_fixed_encapsulation(m[i].clone().try_into().unwrap());
        let (ss, ct) = encapsulate(&fixed, &ek[i]).unwrap();
        assert_eq!(hex::encode(&ct), hex::encode(&c[i]), "c {i}");
        assert_eq!(hex::encode(ss), hex::encode(&k[i]), "K {i}");
        assert_eq!(hex::encode(decapsulate(&kem, &c[i])), hex::encode(&k[i]));
        // Implicit rejection: a wrong ciphertext decapsulates, without an
        // error (nothing to time), to FIPS 203's J(z || c), not to K.
        let rejected = decapsulate(&kem, &c_wrong[i]);
        assert_eq!(
            hex::encode(rejected),
            hex::encode(&k_wrong[i]),
            "K_wrong {i}"
        );
        assert_ne!(rejected[..], k[i][..]);
    }
}

#[test]
fn cctvs_encapsulation_gives_its_ciphertext_and_secret() {
    let f = |name| field(CCTV, name).pop().expect("in the file");
    let fixed = MlKem::with_fixed_encapsulation(f("m").try_into().unwrap());
    let (ss, ct) = encapsulate(&fixed, &f("ek")).unwrap();
    assert_eq!(hex::encode(ct), hex::encode(f("c")));
    assert_eq!(hex::encode(ss), hex::encode(f("K")));
}

#[test]
fn encapsulation_keys_with_a_coefficient_at_or_above_q_are_refused() {
    let good = field(CCTV, "ek").pop().unwrap();
    assert!(mlkem::encapsulation_key_is_valid(&good));
    let bad = field(CCTV, "bad_ek");
    assert_eq!(bad.len(), 3);
    let kem = MlKem::new();
    for key in &bad {
        assert_eq!(key.len(), mlkem::PUBLIC_KEY_LEN);
        assert!(!mlkem::encapsulation_key_is_valid(key));
        assert!(encapsulate(&kem, key).is_err());
    }
    assert!(encapsulate(&kem, &good[..1183]).is_err(), "a short key");
    assert!(encapsulate(&kem, &good).is_ok());
}

#[test]
fn a_ciphertext_of_the_wrong_length_or_without_a_key_is_refused() {
    let f = |name| field(FINAL, name);
    let kem = generated(&f("d")[0], &f("z")[0]);
    let mut ss = [0u8; 32];
    assert!(kem.decapsulate(&f("c")[0][1..], &mut ss).is_err());
    assert!(MlKem::new().decapsulate(&f("c")[0], &mut ss).is_err());
}
