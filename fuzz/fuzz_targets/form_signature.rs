//! The form parser and the signed-string builder.
//!
//! Input: the public URL, a newline, then a form body (any bytes). The body is
//! decoded as the layer decodes it, signed with `compute_signature` as Twilio
//! signs it, and checked with `RequestValidator`:
//! - a URL without `bodySHA256`: the request validates (when its fields hold
//!   no astral character, whose UTF-16 order may differ from byte order, so
//!   that the URL as received is always tried under matching rules);
//! - a URL with `bodySHA256`: the URL alone is signed, and the request
//!   validates exactly when the body hashes to it;
//! - the URL that validated is one of the candidates, and another token
//!   never validates.
#![no_main]

use libfuzzer_sys::fuzz_target;
use tower_twilio::fuzzing::UrlCandidates;
use tower_twilio::{
    body_sha256_hex, compute_signature, Algorithm, RequestValidator, SignatureError, SignedRequest,
};

const TOKEN: &str = "fuzz-auth-token";
const NO_PARAMS: &[(String, String)] = &[];

fuzz_target!(|data: &[u8]| {
    let split = data.iter().position(|&b| b == b'\n').unwrap_or(data.len());
    let url = String::from_utf8_lossy(&data[..split]);
    let body = data.get(split + 1..).unwrap_or_default();
    let params: Vec<(String, String)> = form_urlencoded::parse(body).into_owned().collect();

    let body_sha256 = body_sha256_param(&url);
    let signed_params = if body_sha256.is_some() {
        NO_PARAMS
    } else {
        &params[..]
    };
    let signature = compute_signature(TOKEN, Algorithm::HmacSha1, &url, signed_params);
    let request = SignedRequest::new(&url, &signature).form_body(body);
    let verdict = RequestValidator::new(TOKEN).validate(&request);

    if !well_formed(body) {
        assert_eq!(verdict, Err(SignatureError::MalformedBody));
        return;
    }
    match &body_sha256 {
        Some(expected) if *expected == body_sha256_hex(body) => {
            assert!(verdict.is_ok(), "{verdict:?}")
        }
        Some(_) => assert_eq!(verdict, Err(SignatureError::BodyHashMismatch)),
        None if !params.iter().any(|(k, v)| has_astral(k) || has_astral(v)) => {
            assert!(verdict.is_ok(), "{url:?} {params:?}: {verdict:?}")
        }
        None => {}
    }
    if let Ok(validated) = &verdict {
        let candidates = UrlCandidates::new(&url, false).all();
        assert!(candidates.iter().any(|c| c.url == validated.url()));
    }
    assert!(RequestValidator::new("another-token")
        .validate(&request)
        .is_err());

    // The same fields under a shared key: no oracle (only twilio-python's
    // URL forms apply to HMAC-SHA256), but it must not panic.
    let shared = compute_signature("shared", Algorithm::HmacSha256, &url, signed_params);
    let _ = RequestValidator::new(TOKEN)
        .shared_key("k", "shared")
        .validate(
            &SignedRequest::new(&url, &shared)
                .form_body(body)
                .settings(Some("key=k,algorithm=HMAC_SHA256")),
        );
});

/// The first `bodySHA256` of the URL's query, as Twilio's libraries read it.
fn body_sha256_param(url: &str) -> Option<String> {
    let (_, query) = url.split_once('?')?;
    form_urlencoded::parse(query.as_bytes())
        .find(|(k, _)| k == "bodySHA256")
        .map(|(_, v)| v.into_owned())
}

/// A form Twilio sends: no empty pair, no empty name, UTF-8 once decoded.
fn well_formed(body: &[u8]) -> bool {
    if body.is_empty() {
        return true;
    }
    let spaced: Vec<u8> = body
        .iter()
        .map(|&b| if b == b'+' { b' ' } else { b })
        .collect();
    body.split(|&b| b == b'&')
        .all(|p| !p.is_empty() && p[0] != b'=')
        && spaced.split(|&b| b == b'&' || b == b'=').all(|p| {
            let bytes: Vec<u8> = percent_encoding::percent_decode(p).collect();
            std::str::from_utf8(&bytes).is_ok()
        })
}

fn has_astral(s: &str) -> bool {
    s.chars().any(|c| u32::from(c) > 0xFFFF)
}
