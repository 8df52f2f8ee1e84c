//! Pictures, files and locations: `hush send --file`, `hush send
//! --location`, and `hush download`.

use crate::Ctx;
use anyhow::{Context, Result, bail};
use hush_client::media::seal_file;
use hush_client::{Client, Identity, e2e};
use hush_wire::media::{Attachment, Location, MAX_FILE_LEN};
use hush_wire::{EnvelopeKind, EnvelopePlaintext, MessageId};
use serde_json::json;
use std::path::{Path, PathBuf};

/// A media type from a file name's extension (empty when unknown).
fn media_type(path: &Path) -> &'static str {
    let ext = path
        .extension()
        .and_then(|e| e.to_str())
        .unwrap_or("")
        .to_ascii_lowercase();
    match ext.as_str() {
        "png" => "image/png",
        "jpg" | "jpeg" => "image/jpeg",
        "gif" => "image/gif",
        "webp" => "image/webp",
        "pdf" => "application/pdf",
        "txt" => "text/plain",
        "mp4" => "video/mp4",
        "mp3" => "audio/mpeg",
        _ => "",
    }
}

/// Encrypts and uploads `path`; returns the attachment envelope.
pub async fn attach(
    client: &mut Client,
    sender: hush_wire::PublicKey,
    path: &Path,
) -> Result<EnvelopePlaintext> {
    let meta =
        std::fs::metadata(path).with_context(|| format!("cannot read {}", path.display()))?;
    if meta.len() as usize > MAX_FILE_LEN {
        bail!(
            "{} is {} bytes; attachments are at most {MAX_FILE_LEN} bytes (16 MiB)",
            path.display(),
            meta.len()
        );
    }
    let file = std::fs::read(path).with_context(|| format!("cannot read {}", path.display()))?;
    let name = path
        .file_name()
        .and_then(|n| n.to_str())
        .context("the file needs a UTF-8 name")?;
    let sealed = seal_file(&file, name, media_type(path))?;
    client.upload_blob(sender, &sealed).await?;
    Ok(EnvelopePlaintext::new(
        EnvelopeKind::Attachment,
        &sealed.attachment.encode(),
    )?)
}

/// A location envelope.
pub fn location(at: &str, label: Option<&str>) -> Result<EnvelopePlaintext> {
    let l = Location::parse(at, label.unwrap_or(""))?;
    Ok(EnvelopePlaintext::new(EnvelopeKind::Location, &l.encode())?)
}

/// One line for an attachment or a location.
pub fn describe(kind: EnvelopeKind, content: &[u8], id: &MessageId, me: &str) -> Option<String> {
    match kind {
        EnvelopeKind::Attachment => Some(match Attachment::decode(content) {
            Ok(a) => format!(
                "[attachment {} ({} bytes{}) — hush download --as {me} {id}]",
                crate::safe_text(&a.name),
                a.size,
                if a.media_type.is_empty() {
                    String::new()
                } else {
                    format!(", {}", a.media_type)
                }
            ),
            Err(e) => format!("[bad attachment: {e}]"),
        }),
        EnvelopeKind::Location => Some(match Location::decode(content) {
            Ok(l) => format!(
                "[location {:.6},{:.6}{}]",
                l.latitude,
                l.longitude,
                if l.label.is_empty() {
                    String::new()
                } else {
                    format!(" {}", crate::safe_text(&l.label))
                }
            ),
            Err(e) => format!("[bad location: {e}]"),
        }),
        _ => None,
    }
}

/// JSON fields for an attachment or a location.
pub fn json_fields(kind: EnvelopeKind, content: &[u8], v: &mut serde_json::Value) {
    match kind {
        EnvelopeKind::Attachment => {
            if let Ok(a) = Attachment::decode(content) {
                v["attachment"] = json!({
                    "name": a.name, "size": a.size, "media_type": a.media_type,
                    "blob": a.blob.to_hex(),
                });
            }
        }
        EnvelopeKind::Location => {
            if let Ok(l) = Location::decode(content) {
                v["location"] =
                    json!({"latitude": l.latitude, "longitude": l.longitude, "label": l.label});
            }
        }
        _ => {}
    }
}

/// The attachment a message carries (directly, as a copy of one you sent,
/// or in a group).
fn attachment_of(kind: EnvelopeKind, content: &[u8]) -> Result<Attachment> {
    let env = EnvelopePlaintext::new(kind, content)?;
    let inner = match kind {
        EnvelopeKind::Attachment => env,
        EnvelopeKind::Sent => env.unnest(hush_wire::consts::KEY_LEN)?.1,
        EnvelopeKind::Group => env.unnest(hush_wire::group::GROUP_ID_LEN)?.1,
        other => bail!("that message is a {}, not an attachment", other.name()),
    };
    if inner.kind != EnvelopeKind::Attachment {
        bail!("that message is a {}, not an attachment", inner.kind.name());
    }
    Ok(Attachment::decode(inner.content())?)
}

/// `hush download`.
pub async fn download(
    ctx: &Ctx,
    me: &Identity,
    id: &str,
    out: Option<PathBuf>,
    force: bool,
) -> Result<()> {
    let id = crate::parse_id(id)?;
    let mut client = ctx.connect(me).await?;
    let read = client.read(me.public(), id).await?;
    let opened = e2e::open(me, &read.message)?;
    let attachment = attachment_of(opened.kind, &opened.content)?;
    let path = out.unwrap_or_else(|| PathBuf::from(&attachment.name));
    if path.exists() && !force {
        bail!(
            "{} exists; choose another --out or pass --force",
            path.display()
        );
    }
    let file = client.fetch_attachment(&attachment).await?;
    std::fs::write(&path, &file).with_context(|| format!("cannot write {}", path.display()))?;
    if ctx.json {
        println!(
            "{}",
            json!({"saved": path.display().to_string(), "size": file.len(), "name": attachment.name})
        );
    } else {
        println!("saved {} ({} bytes)", path.display(), file.len());
    }
    Ok(())
}
