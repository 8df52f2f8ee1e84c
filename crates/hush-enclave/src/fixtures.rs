//! Test data the crates' tests share (the `test-util` feature; never in a
//! release build): Privacy Pass tokens issued by an implementation hush
//! did not write, Cloudflare's @cloudflare/privacypass-ts 0.8.1
//! (Apache-2.0), run by `tests/data/privacypass/generate.mjs`, whose
//! output is committed as `cloudflare-tokens.json`: a fresh issuer key,
//! four tokens of it, and one token of a second key of the same issuer.

const PRIVACYPASS: &str = include_str!("../tests/data/privacypass/cloudflare-tokens.json");

/// The fixture's strings for `name` (one, or a list), read without a JSON
/// dependency: each field is a string or a list of strings on the lines
/// of a pretty-printed object. Byte fields are base64 (standard).
pub fn privacypass(name: &str) -> Vec<String> {
    let start = PRIVACYPASS
        .find(&format!("\"{name}\":"))
        .unwrap_or_else(|| panic!("the fixture has {name}"));
    let rest = &PRIVACYPASS[start + name.len() + 3..];
    let end = if rest.trim_start().starts_with('[') {
        rest.find(']').expect("a closed list")
    } else {
        rest.find('\n').expect("a line")
    };
    rest[..end]
        .split('"')
        .skip(1)
        .step_by(2)
        .map(str::to_owned)
        .collect()
}

/// The fixture's byte fields for `name`, decoded.
pub fn privacypass_bytes(name: &str) -> Vec<Vec<u8>> {
    use base64::Engine;
    privacypass(name)
        .iter()
        .map(|s| {
            base64::engine::general_purpose::STANDARD
                .decode(s)
                .expect("base64")
        })
        .collect()
}
