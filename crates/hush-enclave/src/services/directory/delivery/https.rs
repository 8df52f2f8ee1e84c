//! The HTTPS request of one texted code, inside the enclave's TLS stream:
//! a POST of `{"to": "+41...", "code": "123456", "text": "..."}` (JSON) to
//! the operator's SMS webhook, with HTTP Basic credentials when the
//! endpoint has them; delivered once the webhook answers 2xx.

use super::{Dialogue, Endpoint};
use base64::Engine;
use std::io::Write;
use zeroize::Zeroizing;

/// One code's webhook request.
pub struct Webhook {
    request: Option<Zeroizing<Vec<u8>>>,
    buffered: Vec<u8>,
}

impl Webhook {
    /// The request sending `code` to the phone number `to`.
    pub fn new(endpoint: &Endpoint, to: &str, code: &str) -> Self {
        let auth = endpoint
            .user
            .as_ref()
            .map(|u| {
                let raw = Zeroizing::new(format!(
                    "{u}:{}",
                    endpoint.password.as_deref().unwrap_or_default()
                ));
                format!(
                    "Authorization: Basic {}\r\n",
                    base64::engine::general_purpose::STANDARD.encode(raw.as_bytes())
                )
            })
            .unwrap_or_default();
        let path = if endpoint.path.is_empty() {
            "/"
        } else {
            &endpoint.path
        };
        let body_len = json_body_len(to, code);
        // One buffer sized up front: growing it would leave copies of the
        // code in freed memory.
        let capacity = 512 + endpoint.host.len() + path.len() + auth.len() + body_len;
        let mut request = Zeroizing::new(Vec::with_capacity(capacity));
        let _ = write!(
            &mut *request,
            "POST {path} HTTP/1.1\r\nHost: {}\r\nContent-Type: application/json\r\n\
             Content-Length: {body_len}\r\n{auth}Connection: close\r\n\r\n",
            endpoint.host,
        );
        write_json_body(&mut request, to, code);
        debug_assert_eq!(request.capacity(), capacity, "no reallocation");
        Self {
            request: Some(request),
            buffered: Vec::new(),
        }
    }
}

/// The JSON body: a phone number is `+` and digits and a code six
/// digits, so nothing needs escaping.
fn write_json_body(out: &mut Vec<u8>, to: &str, code: &str) {
    let _ = write!(
        out,
        "{{\"to\":\"{to}\",\"code\":\"{code}\",\"text\":\"Your hush verification code is {code}.\"}}"
    );
}

fn json_body_len(to: &str, code: &str) -> usize {
    let mut counter = Vec::new();
    write_json_body(&mut counter, to, "000000");
    counter.len() + code.len() - 6
}

impl Dialogue for Webhook {
    fn advance(&mut self, received: &[u8]) -> (Zeroizing<Vec<u8>>, Option<Result<(), String>>) {
        if let Some(request) = self.request.take() {
            return (request, None);
        }
        self.buffered.extend_from_slice(received);
        let Some(end) = self.buffered.windows(2).position(|w| w == b"\r\n") else {
            return (Zeroizing::new(Vec::new()), None);
        };
        let status = std::str::from_utf8(&self.buffered[..end])
            .ok()
            .and_then(|l| l.split(' ').nth(1))
            .and_then(|c| c.parse::<u16>().ok());
        match status {
            Some(s) if (200..300).contains(&s) => (Zeroizing::new(Vec::new()), Some(Ok(()))),
            Some(s) => (
                Zeroizing::new(Vec::new()),
                Some(Err(format!("the SMS webhook answered HTTP {s}"))),
            ),
            None => (
                Zeroizing::new(Vec::new()),
                Some(Err("the SMS webhook did not answer HTTP".into())),
            ),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_request_is_sent_first_and_the_status_decides() {
        let e = Endpoint {
            host: "sms.example.org".into(),
            port: 443,
            path: "/send".into(),
            user: Some("u".into()),
            password: Some("pw".into()),
        };
        let mut w = Webhook::new(&e, "+41446681800", "123456");
        let (req, done) = w.advance(b"");
        assert!(done.is_none());
        let req = String::from_utf8(req.to_vec()).unwrap();
        assert!(
            req.starts_with("POST /send HTTP/1.1\r\nHost: sms.example.org\r\n"),
            "{req}"
        );
        assert!(req.contains("Authorization: Basic dTpwdw==\r\n"), "{req}");
        assert!(req.ends_with("{\"to\":\"+41446681800\",\"code\":\"123456\",\"text\":\"Your hush verification code is 123456.\"}"), "{req}");
        assert_eq!(w.advance(b"HTTP/1.1 20").1, None);
        assert_eq!(w.advance(b"4 No Content\r\n").1, Some(Ok(())));
        let mut w = Webhook::new(&e, "+41446681800", "123456");
        w.advance(b"");
        assert_eq!(
            w.advance(b"HTTP/1.1 403 Forbidden\r\n").1,
            Some(Err("the SMS webhook answered HTTP 403".into()))
        );
    }
}
