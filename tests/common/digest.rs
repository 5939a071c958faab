//! An HTTP Digest client (RFC 7616, `qop=auth`), answering as curl and
//! python-requests do: MD5 or SHA-256, whichever the challenge names.

use md5::Md5;
use sha2::{Digest as _, Sha256};

/// The value of `name` in a `WWW-Authenticate` challenge, quoted or not.
pub fn param<'a>(challenge: &'a str, name: &str) -> Option<&'a str> {
    let start = challenge.find(&format!("{name}="))? + name.len() + 1;
    let rest = &challenge[start..];
    match rest.strip_prefix('"') {
        Some(quoted) => quoted.split('"').next(),
        None => rest.split([',', ' ']).next(),
    }
}

/// Lowercase hex.
pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// The parameters a client that knows `pass` answers `challenge` with, for
/// a POST to `uri` with nonce count `nc`, in the order curl sends them.
pub fn params(
    challenge: &str,
    user: &str,
    pass: &str,
    uri: &str,
    nc: u32,
) -> Vec<(&'static str, String)> {
    let sha256 = challenge.contains("algorithm=SHA-256");
    let hash = |s: String| -> String {
        if sha256 {
            hex(&Sha256::digest(s.as_bytes()))
        } else {
            hex(&Md5::digest(s.as_bytes()))
        }
    };
    let algorithm = if sha256 { "SHA-256" } else { "MD5" };
    let realm = param(challenge, "realm").expect("a realm");
    let nonce = param(challenge, "nonce").expect("a nonce");
    let opaque = param(challenge, "opaque").expect("an opaque");
    let cnonce = format!("0a4f113b{algorithm}");
    let nc = format!("{nc:08x}");
    let ha1 = hash(format!("{user}:{realm}:{pass}"));
    let ha2 = hash(format!("POST:{uri}"));
    let response = hash(format!("{ha1}:{nonce}:{nc}:{cnonce}:auth:{ha2}"));
    vec![
        ("username", format!("\"{user}\"")),
        ("realm", format!("\"{realm}\"")),
        ("nonce", format!("\"{nonce}\"")),
        ("uri", format!("\"{uri}\"")),
        ("algorithm", algorithm.to_owned()),
        ("response", format!("\"{response}\"")),
        ("opaque", format!("\"{opaque}\"")),
        ("qop", "auth".to_owned()),
        ("nc", nc),
        ("cnonce", format!("\"{cnonce}\"")),
    ]
}

/// `Authorization: Digest ...` from `params`.
pub fn header(params: &[(&str, String)]) -> String {
    let list: Vec<String> = params.iter().map(|(k, v)| format!("{k}={v}")).collect();
    format!("Digest {}", list.join(", "))
}

/// The `Authorization` value answering `challenge`; see [`params`].
pub fn authorization(challenge: &str, user: &str, pass: &str, uri: &str, nc: u32) -> String {
    header(&params(challenge, user, pass, uri, nc))
}
