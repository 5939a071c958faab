//! The `X-Twilio-Webhooks-Signature-Settings` parser, alone and through the
//! validator.
//!
//! A parsed key is non-empty, trimmed, free of `,` and taken from the
//! header; whatever id the header names (the id is not signed), a request
//! signed with the configured shared key's secret and the parsed algorithm
//! validates, and the Auth Token is never tried.
#![no_main]

use libfuzzer_sys::fuzz_target;
use tower_twilio::fuzzing::SignatureSettings;
use tower_twilio::{compute_signature, RequestValidator, SignatureError, SignedRequest};

const URL: &str = "https://mycompany.com/myapp.php?foo=1&bar=2";
const PARAMS: [(&str, &str); 2] = [("CallSid", "CA1234567890ABCDE"), ("Digits", "1234")];

fuzz_target!(|data: &[u8]| {
    let header = String::from_utf8_lossy(data);
    let validator = RequestValidator::new("auth-token").shared_key("k1", "shared-secret");
    let Ok(settings) = SignatureSettings::parse(&header) else {
        let sig = compute_signature("shared-secret", Default::default(), URL, &PARAMS);
        let verdict = validator.validate(&request(&sig, &header));
        if !header.trim().is_empty() {
            assert_eq!(verdict, Err(SignatureError::UnsupportedAlgorithm));
        }
        return;
    };
    if let Some(key) = settings.key() {
        assert!(!key.is_empty() && key == key.trim() && !key.contains(','));
        assert!(header.contains(key));
    }
    let by_key = compute_signature("shared-secret", settings.algorithm(), URL, &PARAMS);
    let by_token = compute_signature("auth-token", settings.algorithm(), URL, &PARAMS);
    let keyed = validator.validate(&request(&by_key, &header));
    let tokened = validator.validate(&request(&by_token, &header));
    if header.trim().is_empty() {
        // No settings: the Auth Token with HMAC-SHA1.
        return;
    }
    assert!(keyed.is_ok(), "{header:?}: {keyed:?}");
    match settings.key() {
        Some("k1") => assert_eq!(tokened, Err(SignatureError::BadSignature)),
        _ => assert_eq!(tokened, Err(SignatureError::UnknownSharedKey)),
    }
});

fn request<'a>(signature: &'a str, settings: &'a str) -> SignedRequest<'a> {
    SignedRequest::new(URL, signature)
        .params(&PARAMS)
        .settings(Some(settings))
}
