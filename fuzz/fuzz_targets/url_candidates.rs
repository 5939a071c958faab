//! The URL candidate builder.
//!
//! The first byte's low bit marks a WebSocket handshake; the rest is the URL.
//! The URL as received is always a candidate, candidates are not repeated,
//! are few and not much longer than the URL, follow the rules of their kind,
//! and a signature over the URL as received validates (for a `bodySHA256`
//! URL: exactly when the empty body hashes to it).
#![no_main]

use libfuzzer_sys::fuzz_target;
use tower_twilio::fuzzing::{Rules, UrlCandidates};
use tower_twilio::{
    body_sha256_hex, compute_signature, Algorithm, RequestValidator, SignatureError, SignedRequest,
};

const TOKEN: &str = "fuzz-auth-token";

fuzz_target!(|data: &[u8]| {
    let Some((&flags, rest)) = data.split_first() else {
        return;
    };
    let websocket = flags & 1 == 1;
    let url = String::from_utf8_lossy(rest);
    let candidates = UrlCandidates::new(&url, websocket);
    let received = candidates.as_received();
    let normalized = candidates.normalized();
    let all = candidates.all();

    assert!(received.iter().any(|c| c.url == url));
    assert_eq!(all.len(), received.len() + normalized.len());
    assert!(all.len() <= 16, "{} candidates", all.len());
    for (i, c) in received.iter().enumerate() {
        assert!(!received[..i].contains(c), "{c:?} repeated");
    }
    for c in &normalized {
        assert!(!received.contains(c), "{c:?} tried twice");
    }
    for c in &all {
        assert_eq!(c.rules == Rules::WebSocket, websocket, "{c:?}");
        assert!(c.url.len() <= 8 * url.len() + 64, "{c:?} from {url:?}");
    }

    let signature = compute_signature(TOKEN, Algorithm::HmacSha1, &url, &[] as &[(&str, &str)]);
    let verdict = RequestValidator::new(TOKEN)
        .validate(&SignedRequest::new(&url, &signature).websocket(websocket));
    match body_sha256_param(&url) {
        Some(hash) if hash != body_sha256_hex(b"") => {
            assert_eq!(verdict, Err(SignatureError::BodyHashMismatch))
        }
        _ => assert_eq!(verdict.map(|v| v.url().to_owned()), Ok(url.into_owned())),
    }
});

fn body_sha256_param(url: &str) -> Option<String> {
    let (_, query) = url.split_once('?')?;
    form_urlencoded::parse(query.as_bytes())
        .find(|(k, _)| k == "bodySHA256")
        .map(|(_, v)| v.into_owned())
}
