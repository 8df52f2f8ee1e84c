//! The SMTP dialogue of one emailed code, inside the enclave's TLS stream
//! (implicit TLS, as on port 465): greeting, EHLO, AUTH PLAIN when the
//! endpoint has credentials, MAIL FROM, RCPT TO, DATA, the message, QUIT.
//! One command at a time (no pipelining), each reply checked. Errors name
//! the step and the reply code only: a reply may echo the address.

use super::{Dialogue, Endpoint};
use base64::Engine;
use zeroize::Zeroizing;

/// Room for the message: headers, two addresses of at most 254 bytes
/// (identifiers are shorter) and the text.
const MESSAGE_CAPACITY: usize = 1024;

/// Where the dialogue is: which reply it waits for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Step {
    Greeting,
    Ehlo,
    Auth,
    MailFrom,
    RcptTo,
    Data,
    Message,
    Quit,
}

/// One code's email.
pub struct Smtp {
    step: Step,
    buffered: Vec<u8>,
    auth: Option<Zeroizing<String>>,
    from: String,
    to: String,
    message: Zeroizing<String>,
}

/// Whether `addr` can go in an SMTP command and header as it is.
fn plain_address(addr: &str) -> bool {
    !addr.is_empty()
        && addr
            .bytes()
            .all(|b| b.is_ascii_graphic() && b != b'<' && b != b'>')
}

impl Smtp {
    /// The dialogue sending `code` to `to`; none if an address cannot be
    /// written into SMTP as it is.
    pub fn new(endpoint: &Endpoint, from: &str, to: &str, code: &str) -> Option<Self> {
        // "hush <noreply@host>" -> the address in brackets.
        let from_addr = match (from.find('<'), from.rfind('>')) {
            (Some(a), Some(b)) if a < b => &from[a + 1..b],
            _ => from,
        };
        if !plain_address(from_addr) || !plain_address(to) || from.contains(['\r', '\n']) {
            return None;
        }
        let auth = endpoint.user.as_ref().map(|u| {
            let p = endpoint.password.clone().unwrap_or_default();
            let raw = Zeroizing::new(format!("\0{u}\0{p}"));
            Zeroizing::new(base64::engine::general_purpose::STANDARD.encode(raw.as_bytes()))
        });
        // Written into one buffer sized up front: growing it would leave
        // copies of the code in freed memory.
        let mut message = Zeroizing::new(String::with_capacity(MESSAGE_CAPACITY));
        let _ = std::fmt::Write::write_fmt(
            &mut *message,
            format_args!(
                "From: {from}\r\nTo: <{to}>\r\nSubject: Your hush verification code\r\n\
                 MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n\
                 Your hush verification code is {code}.\r\n\r\n\
                 If you did not ask for it, ignore this message.\r\n.\r\n"
            ),
        );
        if message.capacity() != MESSAGE_CAPACITY {
            return None;
        }
        Some(Self {
            step: Step::Greeting,
            buffered: Vec::new(),
            auth,
            from: from_addr.to_owned(),
            to: to.to_owned(),
            message,
        })
    }

    /// The next complete reply in the buffer: its code and whether it
    /// was complete (the last line has a space after the code).
    fn take_reply(&mut self) -> Option<u16> {
        let mut start = 0;
        while let Some(end) = self.buffered[start..].windows(2).position(|w| w == b"\r\n") {
            let line = &self.buffered[start..start + end];
            start += end + 2;
            if line.len() >= 3 && (line.len() == 3 || line[3] == b' ') {
                let code = std::str::from_utf8(&line[..3]).ok()?.parse().ok();
                self.buffered.drain(..start);
                return code;
            }
        }
        None
    }
}

/// A command to send, copied into a buffer that is zeroized when dropped.
fn line(bytes: &[u8]) -> Zeroizing<Vec<u8>> {
    Zeroizing::new(bytes.to_vec())
}

impl Dialogue for Smtp {
    fn advance(&mut self, received: &[u8]) -> (Zeroizing<Vec<u8>>, Option<Result<(), String>>) {
        self.buffered.extend_from_slice(received);
        let mut out = Zeroizing::new(Vec::with_capacity(MESSAGE_CAPACITY + 64));
        while let Some(code) = self.take_reply() {
            let ok = match self.step {
                Step::Greeting => code == 220,
                Step::Ehlo | Step::MailFrom | Step::Message => code == 250,
                Step::RcptTo => code == 250 || code == 251,
                Step::Auth => code == 235,
                Step::Data => code == 354,
                Step::Quit => true,
            };
            if !ok {
                let what = format!("{:?}", self.step).to_uppercase();
                return (
                    Zeroizing::new(b"QUIT\r\n".to_vec()),
                    Some(Err(format!(
                        "the SMTP server refused at {what} (reply {code})"
                    ))),
                );
            }
            let (next, send): (Step, Zeroizing<Vec<u8>>) = match self.step {
                Step::Greeting => (Step::Ehlo, line(b"EHLO hush\r\n")),
                Step::Ehlo | Step::Auth => match (&self.auth, self.step) {
                    (Some(a), Step::Ehlo) => (
                        Step::Auth,
                        Zeroizing::new(format!("AUTH PLAIN {}\r\n", **a).into_bytes()),
                    ),
                    _ => (
                        Step::MailFrom,
                        line(format!("MAIL FROM:<{}>\r\n", self.from).as_bytes()),
                    ),
                },
                Step::MailFrom => (
                    Step::RcptTo,
                    Zeroizing::new(format!("RCPT TO:<{}>\r\n", self.to).into_bytes()),
                ),
                Step::RcptTo => (Step::Data, line(b"DATA\r\n")),
                Step::Data => (Step::Message, line(self.message.as_bytes())),
                Step::Message => (Step::Quit, line(b"QUIT\r\n")),
                Step::Quit => return (out, Some(Ok(()))),
            };
            out.extend_from_slice(&send);
            if next == Step::Quit {
                // Delivered once the message is accepted; QUIT's reply is
                // a courtesy.
                self.step = next;
                return (out, Some(Ok(())));
            }
            self.step = next;
        }
        (out, None)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn endpoint(user: Option<&str>) -> Endpoint {
        Endpoint {
            host: "mail.example.org".into(),
            port: 465,
            path: String::new(),
            user: user.map(Into::into),
            password: user.map(|_| "pw".into()),
        }
    }

    #[test]
    fn a_mail_goes_through_each_step_and_a_refusal_names_only_the_step() {
        let mut s = Smtp::new(
            &endpoint(Some("u")),
            "hush <noreply@x.org>",
            "bob@example.org",
            "042424",
        )
        .unwrap();
        let mut sent = Vec::new();
        for reply in [
            "220 hi\r\n",
            "250-x\r\n250 ok\r\n",
            "235 ok\r\n",
            "250 ok\r\n",
            "250 ok\r\n",
            "354 go\r\n",
        ] {
            let (out, done) = s.advance(reply.as_bytes());
            assert!(done.is_none());
            sent.extend_from_slice(&out);
        }
        let (out, done) = s.advance(b"250 queued\r\n");
        sent.extend_from_slice(&out);
        assert_eq!(done, Some(Ok(())));
        let text = String::from_utf8(sent).unwrap();
        assert!(text.starts_with("EHLO hush\r\nAUTH PLAIN AHUAcHc=\r\nMAIL FROM:<noreply@x.org>\r\nRCPT TO:<bob@example.org>\r\nDATA\r\n"), "{text}");
        assert!(text.contains("code is 042424."), "{text}");
        assert!(text.ends_with("\r\n.\r\nQUIT\r\n"), "{text}");

        let mut s = Smtp::new(&endpoint(None), "noreply@x.org", "bob@example.org", "1").unwrap();
        s.advance(b"220 hi\r\n");
        let (out, _) = s.advance(b"250 ok\r\n");
        assert_eq!(&out[..], b"MAIL FROM:<noreply@x.org>\r\n");
        s.advance(b"250 ok\r\n");
        let (_, done) = s.advance(b"550 5.1.1 <bob@example.org> unknown\r\n");
        let e = done.unwrap().unwrap_err();
        assert_eq!(e, "the SMTP server refused at RCPTTO (reply 550)");
        assert!(!e.contains("bob"));
        // Replies split across reads still parse.
        let mut s = Smtp::new(&endpoint(None), "a@b.c", "d@e.f", "1").unwrap();
        assert!(s.advance(b"22").0.is_empty());
        assert_eq!(&s.advance(b"0 hi\r\n").0[..], b"EHLO hush\r\n");
        // Addresses that would break the dialogue are refused.
        assert!(Smtp::new(&endpoint(None), "a@b.c", "d@e.f>\r\nRCPT TO:<x@y.z", "1").is_none());
    }
}
