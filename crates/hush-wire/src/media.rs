//! What [`crate::EnvelopeKind::Attachment`] and
//! [`crate::EnvelopeKind::Location`] envelopes carry.
//!
//! A file travels as a blob: the sender encrypts it with a fresh key,
//! padded to a size class, and stores it on the host (which keeps blobs on
//! disk or in an object store and never sees a key); the message carries
//! the blob's id, key and digest.
//!
//! | part | layout | bytes |
//! |---|---|---|
//! | [`Attachment`] | blob id 16 \| key 32 \| SHA-256 of the blob 32 \| file size u64 \| name length 1 \| name \| type length 1 \| media type | 90 + name + type |
//! | [`Location`] | latitude f64 \| longitude f64 \| label (UTF-8, the rest) | 16 + label |
//!
//! A blob is exactly one of [`BLOB_CLASSES`] bytes: ChaCha20-Poly1305
//! (nonce zero, the key is never reused) of: file size u64 | file | zeros.

use crate::WireError;

/// Length of a blob id.
pub const BLOB_ID_LEN: usize = 16;
/// Length of a blob key.
pub const BLOB_KEY_LEN: usize = 32;
/// Length of a blob digest (SHA-256).
pub const BLOB_DIGEST_LEN: usize = 32;
/// The sizes a blob may have: 64 KiB, 256 KiB, 1 MiB, 4 MiB and 16 MiB.
pub const BLOB_CLASSES: [usize; 5] = [1 << 16, 1 << 18, 1 << 20, 1 << 22, 1 << 24];
/// Bytes of a blob that are not file: the size field and the AEAD tag.
pub const BLOB_OVERHEAD: usize = 8 + 16;
/// The largest file an attachment carries (16 MiB less the overhead).
pub const MAX_FILE_LEN: usize = BLOB_CLASSES[4] - BLOB_OVERHEAD;
/// Longest file name kept in an attachment.
pub const MAX_FILE_NAME: usize = 128;
/// Longest media type kept in an attachment.
pub const MAX_MEDIA_TYPE: usize = 64;

/// The size class a file of `len` bytes is stored in, if it fits.
pub fn blob_class(len: usize) -> Option<usize> {
    BLOB_CLASSES
        .iter()
        .copied()
        .find(|c| len + BLOB_OVERHEAD <= *c)
}

/// A blob's id (random, chosen by the uploader).
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct BlobId(pub [u8; BLOB_ID_LEN]);

impl BlobId {
    /// Lower-case hex (also the blob's file name on the host).
    pub fn to_hex(&self) -> String {
        hex::encode(self.0)
    }

    /// Parses exactly 16 bytes.
    pub fn from_bytes(b: &[u8]) -> Result<Self, WireError> {
        crate::codec::check_len("blob id", BLOB_ID_LEN, b)?;
        Ok(Self(b.try_into().expect("length checked")))
    }
}

impl std::fmt::Debug for BlobId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "BlobId({})", self.to_hex())
    }
}

/// A file sent as a blob.
#[derive(Clone, PartialEq, Eq)]
pub struct Attachment {
    /// Where the blob is.
    pub blob: BlobId,
    /// Its key.
    pub key: [u8; BLOB_KEY_LEN],
    /// SHA-256 of the blob as stored.
    pub digest: [u8; BLOB_DIGEST_LEN],
    /// The file's size in bytes.
    pub size: u64,
    /// The file's name (no directories).
    pub name: String,
    /// Its media type, e.g. image/png (may be empty).
    pub media_type: String,
}

impl std::fmt::Debug for Attachment {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "Attachment({:?}, {} bytes, {:?})",
            self.blob, self.size, self.name
        )
    }
}

fn check_text(s: &str, max: usize, what: &'static str) -> Result<(), WireError> {
    if s.len() > max || s.chars().any(char::is_control) || s.contains('/') || s.contains('\\') {
        return Err(WireError::InvalidRequest(what));
    }
    Ok(())
}

impl Attachment {
    /// Checks the limits: a size that fits the largest class, a plain file
    /// name (no path, no control characters) and a short media type.
    pub fn check(&self) -> Result<(), WireError> {
        if self.size as usize > MAX_FILE_LEN {
            return Err(WireError::InvalidRequest("an attachment is at most 16 MiB"));
        }
        check_text(
            &self.name,
            MAX_FILE_NAME,
            "an attachment's name is at most 128 bytes, without slashes or control characters",
        )?;
        if self.name.is_empty() || self.name == "." || self.name == ".." {
            return Err(WireError::InvalidRequest("an attachment needs a file name"));
        }
        if self.media_type.len() > MAX_MEDIA_TYPE
            || self
                .media_type
                .chars()
                .any(|c| c.is_control() || c.is_whitespace())
        {
            return Err(WireError::InvalidRequest("malformed media type"));
        }
        Ok(())
    }

    /// The encoding.
    pub fn encode(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(82 + self.name.len() + self.media_type.len());
        out.extend_from_slice(&self.blob.0);
        out.extend_from_slice(&self.key);
        out.extend_from_slice(&self.digest);
        out.extend_from_slice(&self.size.to_le_bytes());
        out.push(self.name.len() as u8);
        out.extend_from_slice(self.name.as_bytes());
        out.push(self.media_type.len() as u8);
        out.extend_from_slice(self.media_type.as_bytes());
        out
    }

    /// Parses and checks an attachment.
    pub fn decode(b: &[u8]) -> Result<Self, WireError> {
        let bad = || WireError::InvalidRequest("malformed attachment");
        if b.len() < ATTACHMENT_FIXED_LEN + 2 {
            return Err(bad());
        }
        let (fixed, rest) = b.split_at(ATTACHMENT_FIXED_LEN);
        let name_len = rest[0] as usize;
        let rest = &rest[1..];
        if rest.len() < name_len + 1 {
            return Err(bad());
        }
        let (name, rest) = rest.split_at(name_len);
        let type_len = rest[0] as usize;
        let media = &rest[1..];
        if media.len() != type_len {
            return Err(bad());
        }
        let a = Self {
            blob: BlobId(fixed[..16].try_into().expect("16 bytes")),
            key: fixed[16..48].try_into().expect("32 bytes"),
            digest: fixed[48..80].try_into().expect("32 bytes"),
            size: u64::from_le_bytes(fixed[80..88].try_into().expect("8 bytes")),
            name: std::str::from_utf8(name).map_err(|_| bad())?.to_owned(),
            media_type: std::str::from_utf8(media).map_err(|_| bad())?.to_owned(),
        };
        a.check()?;
        Ok(a)
    }
}

/// Bytes of an attachment before its name: blob id, key, digest, size.
pub const ATTACHMENT_FIXED_LEN: usize = BLOB_ID_LEN + BLOB_KEY_LEN + BLOB_DIGEST_LEN + 8;

/// A place on Earth.
#[derive(Clone, Debug, PartialEq)]
pub struct Location {
    /// Degrees north, -90 to 90.
    pub latitude: f64,
    /// Degrees east, -180 to 180.
    pub longitude: f64,
    /// What it is (may be empty).
    pub label: String,
}

impl Location {
    /// Checks the ranges and the label.
    pub fn new(latitude: f64, longitude: f64, label: &str) -> Result<Self, WireError> {
        if !(-90.0..=90.0).contains(&latitude) || !(-180.0..=180.0).contains(&longitude) {
            return Err(WireError::InvalidRequest(
                "a location is a latitude from -90 to 90 and a longitude from -180 to 180",
            ));
        }
        if label.len() > crate::consts::MAX_ENVELOPE_CONTENT_LEN - 16 {
            return Err(WireError::InvalidRequest("a location's label is too long"));
        }
        Ok(Self {
            latitude,
            longitude,
            label: label.to_owned(),
        })
    }

    /// Parses `LAT,LON` (decimal degrees).
    pub fn parse(s: &str, label: &str) -> Result<Self, WireError> {
        let bad =
            WireError::InvalidRequest("a location is LAT,LON in decimal degrees, like 47.37,8.54");
        let (lat, lon) = s.split_once(',').ok_or(bad.clone())?;
        let lat: f64 = lat.trim().parse().map_err(|_| bad.clone())?;
        let lon: f64 = lon.trim().parse().map_err(|_| bad)?;
        Self::new(lat, lon, label)
    }

    /// The encoding.
    pub fn encode(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(16 + self.label.len());
        out.extend_from_slice(&self.latitude.to_le_bytes());
        out.extend_from_slice(&self.longitude.to_le_bytes());
        out.extend_from_slice(self.label.as_bytes());
        out
    }

    /// Parses and checks a location.
    pub fn decode(b: &[u8]) -> Result<Self, WireError> {
        if b.len() < 16 {
            return Err(WireError::InvalidRequest("malformed location"));
        }
        let lat = f64::from_le_bytes(b[..8].try_into().expect("8 bytes"));
        let lon = f64::from_le_bytes(b[8..16].try_into().expect("8 bytes"));
        let label = std::str::from_utf8(&b[16..])
            .map_err(|_| WireError::InvalidRequest("a location's label is not UTF-8"))?;
        Self::new(lat, lon, label)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn attachments_and_locations_round_trip_and_refuse_garbage() {
        let a = Attachment {
            blob: BlobId([1; 16]),
            key: [2; 32],
            digest: [3; 32],
            size: 12345,
            name: "cat.png".into(),
            media_type: "image/png".into(),
        };
        let b = a.encode();
        assert_eq!(Attachment::decode(&b).unwrap(), a);
        assert!(b.len() < crate::consts::MAX_ENVELOPE_CONTENT_LEN);
        let mut extra = b.clone();
        extra.push(0);
        assert!(Attachment::decode(&extra).is_err());
        assert!(Attachment::decode(&b[..50]).is_err());
        for name in ["", "..", "a/b", "a\nb", &"x".repeat(129)] {
            let bad = Attachment {
                name: name.into(),
                ..a.clone()
            };
            assert!(Attachment::decode(&bad.encode()).is_err(), "{name:?}");
        }
        let big = Attachment {
            size: MAX_FILE_LEN as u64 + 1,
            ..a.clone()
        };
        assert!(big.check().is_err());
        assert_eq!(blob_class(0), Some(1 << 16));
        assert_eq!(blob_class((1 << 16) - BLOB_OVERHEAD), Some(1 << 16));
        assert_eq!(blob_class((1 << 16) - BLOB_OVERHEAD + 1), Some(1 << 18));
        assert_eq!(blob_class(MAX_FILE_LEN), Some(1 << 24));
        assert_eq!(blob_class(MAX_FILE_LEN + 1), None);

        let l = Location::parse(" 47.37 , 8.54", "Zurich").unwrap();
        assert_eq!(Location::decode(&l.encode()).unwrap(), l);
        assert!(Location::parse("91,0", "").is_err());
        assert!(Location::parse("0;0", "").is_err());
        assert!(Location::parse("NaN,0", "").is_err());
        let mut nan = l.encode();
        nan[..8].copy_from_slice(&f64::NAN.to_le_bytes());
        assert!(Location::decode(&nan).is_err());
        assert!(Location::decode(&[0; 15]).is_err());
    }
}
