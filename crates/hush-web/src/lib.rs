//! hush's browser client: the client core of `hush-client` (the hybrid Noise NXhfs
//! handshake, the attestation check, key proofs, end-to-end sealing with
//! HPKE) compiled to WebAssembly with `wasm-bindgen`, for the demo page
//! hushd serves at `/demo` (`web/`).
//!
//! It is sans-IO: each operation seals a request into an [`Outgoing`]
//! frame, the page POSTs the frame to hushd's HTTP/JSON API
//! (`/v1/broker/...`, `/v1/directory/query`, `/v1/tokens/redeem`;
//! docs/PROTOCOL.md section 10), and hands the answer back to be opened.
//! Answers are JSON text, for the page to parse. Tokens: `tokens.rs`.
//!
//! This build verifies dev attestation only (it has no Intel or AMD
//! verifier): hardware evidence is refused with an error saying so, and a
//! session over dev attestation says, in [`Session::attestation`], that it
//! proves nothing. The CLI and the Rust and Python clients verify hardware.

mod identity;
mod inbox;
mod session;
mod tokens;

pub use identity::{WebContact, WebIdentity};
pub use inbox::{INBOX_REQUESTS, inbox_read_ids};
pub use session::{Outgoing, PendingHandshake, Session};

use wasm_bindgen::JsValue;

/// An error with a message a user can act on; JavaScript sees an `Error`.
#[derive(Debug)]
pub struct WebError(String);

impl WebError {
    fn new(e: impl std::fmt::Display) -> Self {
        Self(e.to_string())
    }
}

impl std::fmt::Display for WebError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl From<WebError> for JsValue {
    fn from(e: WebError) -> JsValue {
        wasm_bindgen::JsError::new(&e.0).into()
    }
}
