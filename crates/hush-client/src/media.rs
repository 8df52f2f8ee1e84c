//! Attachments: a file encrypted with a fresh key, padded to a size class,
//! handed to the enclave inside the session (sealed again under a one-time
//! transfer key: [`hush_wire::blob_transfer`]), and announced in an
//! end-to-end encrypted [`hush_wire::EnvelopeKind::Attachment`] envelope
//! carrying the blob's id, key and digest. The host never sees a key, a
//! name, a blob id or a size finer than the class, and cannot match an
//! upload to a download beyond the enclave's mix.

use crate::client::until;
use crate::session::ClientSession;
use crate::{Client, ClientError};
use chacha20poly1305::aead::{Aead, KeyInit};
use chacha20poly1305::{ChaCha20Poly1305, Key, Nonce};
use hush_wire::blob_transfer::{
    BLOB_ANSWER_LEN, BODY_AAD, BlobAnswer, BlobOp, BlobRequest, BlobStatus, TransferKey, body_len,
    class_of,
};
use hush_wire::grpc::v1::blobs_client::BlobsClient;
use hush_wire::grpc::v1::{DownloadBlobRequest, UploadBlobRequest};
use hush_wire::media::{Attachment, BLOB_CLASSES, BlobId, MAX_FILE_LEN, blob_class};
use hush_wire::{FixedCodec, PublicKey};
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
    /// The server refused the upload or download.
    #[error("{0}")]
    Refused(BlobStatus),
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

/// Seals `blob` under a fresh transfer key: the key and the body.
fn seal_body(blob: &[u8]) -> Result<(TransferKey, Vec<u8>), ClientError> {
    let key: [u8; 32] = rand::random();
    let body = ChaCha20Poly1305::new(Key::from_slice(&key))
        .encrypt(
            Nonce::from_slice(&[0; 12]),
            chacha20poly1305::aead::Payload {
                msg: blob,
                aad: BODY_AAD,
            },
        )
        .map_err(|_| ClientError::Protocol("blob encryption failed"))?;
    Ok((TransferKey(key), body))
}

/// An upload, sealed for the session: what `hush.v1.Blobs/Upload` carries.
pub struct SealedUpload {
    /// The request's nonce (its answer is sealed under it).
    pub nonce: u64,
    /// The sealed blob request.
    pub sealed: Vec<u8>,
    /// The blob under the request's transfer key.
    pub body: Vec<u8>,
}

/// Seals `file`'s upload on `session`, charged to `acting_as` (a key the
/// session proved).
pub fn seal_upload(
    session: &ClientSession,
    acting_as: PublicKey,
    file: &SealedFile,
) -> Result<SealedUpload, ClientError> {
    let class = class_of(file.blob.len()).ok_or(ClientError::Protocol("not a blob class"))?;
    let (transfer_key, body) = seal_body(&file.blob)?;
    let request = BlobRequest {
        op: BlobOp::Upload,
        class: class as u8,
        blob: file.attachment.blob,
        acting_as: Some(acting_as),
        transfer_key,
    };
    let (nonce, sealed) = session.seal_bytes(&request.encode());
    Ok(SealedUpload {
        nonce,
        sealed,
        body,
    })
}

/// Opens an upload's (or a download's) sealed answer.
pub fn open_answer(
    session: &ClientSession,
    nonce: u64,
    sealed: &[u8],
) -> Result<BlobAnswer, ClientError> {
    Ok(BlobAnswer::decode(&session.open_bytes(
        nonce,
        sealed,
        BLOB_ANSWER_LEN,
    )?)?)
}

/// Seals the download of `attachment`'s blob on `session`: the nonce and
/// the sealed request `hush.v1.Blobs/Download` carries.
pub fn seal_download(
    session: &ClientSession,
    attachment: &Attachment,
) -> Result<(u64, Vec<u8>), ClientError> {
    let class = blob_class(attachment.size as usize)
        .and_then(class_of)
        .ok_or(MediaError::Corrupt)?;
    let request = BlobRequest {
        op: BlobOp::Download,
        class: class as u8,
        blob: attachment.blob,
        acting_as: None,
        transfer_key: TransferKey([0; 32]),
    };
    Ok(session.seal_bytes(&request.encode()))
}

/// Opens a download's answer and body, and the file in it.
pub fn open_download(
    session: &ClientSession,
    nonce: u64,
    sealed: &[u8],
    body: &[u8],
    attachment: &Attachment,
) -> Result<Vec<u8>, ClientError> {
    let answer = open_answer(session, nonce, sealed)?;
    match answer.status {
        BlobStatus::Ok => {}
        BlobStatus::NotFound => return Err(MediaError::Missing.into()),
        other => return Err(MediaError::Refused(other).into()),
    }
    let class = blob_class(attachment.size as usize)
        .and_then(class_of)
        .ok_or(MediaError::Corrupt)?;
    if body.len() != body_len(class) {
        return Err(ClientError::Protocol("a blob body of the wrong length"));
    }
    let blob = ChaCha20Poly1305::new(Key::from_slice(&answer.transfer_key.0))
        .decrypt(
            Nonce::from_slice(&[0; 12]),
            chacha20poly1305::aead::Payload {
                msg: body,
                aad: BODY_AAD,
            },
        )
        .map_err(|_| ClientError::Protocol("the blob body does not open"))?;
    Ok(open_file(attachment, &blob)?)
}

impl Client {
    fn blobs(&self) -> BlobsClient<tonic::transport::Channel> {
        BlobsClient::new(self.channel())
            .max_decoding_message_size(BLOB_CLASSES[4] + 1024)
            .max_encoding_message_size(BLOB_CLASSES[4] + 1024)
    }

    /// Hands a sealed file's blob to the enclave, charged to `acting_as`
    /// (a key this session proved). Reconnects once if the session was
    /// lost; an upload that landed before is answered "already exists",
    /// which counts as stored.
    pub async fn upload_blob(
        &mut self,
        acting_as: PublicKey,
        file: &SealedFile,
    ) -> Result<(), ClientError> {
        let mut retried = false;
        let mut redeemed = false;
        loop {
            let up = seal_upload(self.session(), acting_as, file)?;
            let mut blobs = self.blobs();
            let call = blobs.upload(UploadBlobRequest {
                session_id: self.session().id().0.to_vec(),
                sealed: up.sealed,
                body: up.body,
            });
            let Some(answer) = until(self.deadline(), call).await else {
                return Err(self.gave_up());
            };
            let answer = match answer {
                Ok(a) => a.into_inner(),
                Err(s) => match crate::client::rpc_error(self.url(), s) {
                    ClientError::SessionLost if !retried => {
                        retried = true;
                        self.reconnect().await?;
                        continue;
                    }
                    e => return Err(e),
                },
            };
            return match open_answer(self.session(), up.nonce, &answer.sealed)?.status {
                BlobStatus::Ok => Ok(()),
                BlobStatus::AlreadyExists if retried => Ok(()),
                // Tokens are required and the session has no credit:
                // redeem one of the stock and upload again.
                BlobStatus::NoTokens if !redeemed => {
                    redeemed = true;
                    self.redeem_from_stock().await?;
                    continue;
                }
                other => Err(MediaError::Refused(other).into()),
            };
        }
    }

    /// Fetches and opens an attachment's file through the session.
    pub async fn fetch_attachment(
        &mut self,
        attachment: &Attachment,
    ) -> Result<Vec<u8>, ClientError> {
        let mut retried = false;
        loop {
            let (nonce, sealed) = seal_download(self.session(), attachment)?;
            let mut blobs = self.blobs();
            let call = blobs.download(DownloadBlobRequest {
                session_id: self.session().id().0.to_vec(),
                sealed,
            });
            let Some(r) = until(self.deadline(), call).await else {
                return Err(self.gave_up());
            };
            match r {
                Ok(r) => {
                    let r = r.into_inner();
                    return open_download(self.session(), nonce, &r.sealed, &r.body, attachment);
                }
                Err(s) => match crate::client::rpc_error(self.url(), s) {
                    ClientError::SessionLost if !retried => {
                        retried = true;
                        self.reconnect().await?;
                    }
                    e => return Err(e),
                },
            }
        }
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
