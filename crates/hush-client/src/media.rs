//! Attachments: a file encrypted with a fresh key, padded to a size class,
//! stored as a blob on the host, and announced in an end-to-end encrypted
//! [`hush_wire::EnvelopeKind::Attachment`] envelope carrying the blob's id,
//! key and digest. The host never sees a key, a name or a size finer than
//! the class.

use crate::{Client, ClientError};
use chacha20poly1305::aead::{Aead, KeyInit};
use chacha20poly1305::{ChaCha20Poly1305, Key, Nonce};
use hush_wire::grpc::v1::blobs_client::BlobsClient;
use hush_wire::grpc::v1::{GetBlobRequest, PutBlobRequest};
use hush_wire::media::{Attachment, BLOB_CLASSES, BlobId, MAX_FILE_LEN, blob_class};
use sha2::{Digest, Sha256};

/// Why an attachment could not be made or opened.
#[derive(Debug, thiserror::Error)]
pub enum MediaError {
    /// The file is bigger than the largest blob.
    #[error("the file is {len} bytes; attachments are at most {MAX_FILE_LEN} bytes (16 MiB)")]
    TooBig {
        /// Its size.
        len: usize,
    },
    /// The blob is gone.
    #[error("the attachment's blob is gone: it expired, or was never stored")]
    Missing,
    /// The blob is not what the message said.
    #[error(
        "the attachment's blob is corrupt or was replaced: its digest does not match the message"
    )]
    Corrupt,
    /// The blob did not decrypt, or its content is malformed.
    #[error("the attachment's blob does not decrypt with the message's key")]
    Undecryptable,
}

/// An encrypted file ready to upload, and the attachment that describes it.
pub struct SealedFile {
    /// The blob to store.
    pub blob: Vec<u8>,
    /// What the message carries.
    pub attachment: Attachment,
}

/// Encrypts `file` under a fresh key into a blob of its size class.
pub fn seal_file(file: &[u8], name: &str, media_type: &str) -> Result<SealedFile, ClientError> {
    let class = blob_class(file.len()).ok_or(MediaError::TooBig { len: file.len() })?;
    let key: [u8; 32] = rand::random();
    let mut plain = zeroize::Zeroizing::new(vec![0u8; class - 16]);
    plain[..8].copy_from_slice(&(file.len() as u64).to_le_bytes());
    plain[8..8 + file.len()].copy_from_slice(file);
    let blob = ChaCha20Poly1305::new(Key::from_slice(&key))
        .encrypt(Nonce::from_slice(&[0; 12]), plain.as_slice())
        .map_err(|_| ClientError::Protocol("blob encryption failed"))?;
    debug_assert_eq!(blob.len(), class);
    let attachment = Attachment {
        blob: BlobId(rand::random()),
        key,
        digest: Sha256::digest(&blob).into(),
        size: file.len() as u64,
        name: name.to_owned(),
        media_type: media_type.to_owned(),
    };
    attachment.check()?;
    Ok(SealedFile { blob, attachment })
}

/// Checks and decrypts a fetched blob.
pub fn open_file(attachment: &Attachment, blob: &[u8]) -> Result<Vec<u8>, MediaError> {
    if !BLOB_CLASSES.contains(&blob.len()) || Sha256::digest(blob).as_slice() != attachment.digest {
        return Err(MediaError::Corrupt);
    }
    let plain = zeroize::Zeroizing::new(
        ChaCha20Poly1305::new(Key::from_slice(&attachment.key))
            .decrypt(Nonce::from_slice(&[0; 12]), blob)
            .map_err(|_| MediaError::Undecryptable)?,
    );
    let len = u64::from_le_bytes(plain[..8].try_into().expect("8 bytes")) as usize;
    if len != attachment.size as usize
        || 8 + len > plain.len()
        || plain[8 + len..].iter().any(|&b| b != 0)
    {
        return Err(MediaError::Undecryptable);
    }
    Ok(plain[8..8 + len].to_vec())
}

impl Client {
    fn blobs(&self) -> BlobsClient<tonic::transport::Channel> {
        BlobsClient::new(self.channel())
            .max_decoding_message_size(BLOB_CLASSES[4] + 1024)
            .max_encoding_message_size(BLOB_CLASSES[4] + 1024)
    }

    /// Stores a sealed file's blob on the server.
    pub async fn put_blob(&self, file: &SealedFile) -> Result<(), ClientError> {
        self.blobs()
            .put(PutBlobRequest {
                id: file.attachment.blob.0.to_vec(),
                data: file.blob.clone(),
            })
            .await
            .map_err(|s| ClientError::Rpc(format!("storing the attachment: {}", s.message())))?;
        Ok(())
    }

    /// Fetches and opens an attachment's file.
    pub async fn fetch_attachment(&self, attachment: &Attachment) -> Result<Vec<u8>, ClientError> {
        let blob = match self
            .blobs()
            .get(GetBlobRequest {
                id: attachment.blob.0.to_vec(),
            })
            .await
        {
            Ok(r) => r.into_inner().data,
            Err(s) if s.code() == tonic::Code::NotFound => return Err(MediaError::Missing.into()),
            Err(s) => {
                return Err(ClientError::Rpc(format!(
                    "fetching the attachment: {}",
                    s.message()
                )));
            }
        };
        Ok(open_file(attachment, &blob)?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn files_round_trip_and_tampering_is_caught() {
        let file = b"a picture of a cat".to_vec();
        let sealed = seal_file(&file, "cat.png", "image/png").unwrap();
        assert_eq!(sealed.blob.len(), 1 << 16, "padded to the smallest class");
        assert_eq!(open_file(&sealed.attachment, &sealed.blob).unwrap(), file);
        let mut bad = sealed.blob.clone();
        bad[100] ^= 1;
        assert!(matches!(
            open_file(&sealed.attachment, &bad),
            Err(MediaError::Corrupt)
        ));
        let mut wrong_key = sealed.attachment.clone();
        wrong_key.key[0] ^= 1;
        assert!(matches!(
            open_file(&wrong_key, &sealed.blob),
            Err(MediaError::Undecryptable)
        ));
        let big = vec![0u8; MAX_FILE_LEN + 1];
        assert!(seal_file(&big, "big", "").is_err());
        let mid = vec![9u8; 70_000];
        let sealed = seal_file(&mid, "mid.bin", "").unwrap();
        assert_eq!(sealed.blob.len(), 1 << 18);
        assert_eq!(open_file(&sealed.attachment, &sealed.blob).unwrap(), mid);
    }
}
