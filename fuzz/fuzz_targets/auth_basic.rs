//! The `Authorization: Basic` parser.
//!
//! The input is a whole `Authorization` value, and again after `Basic `.
//! Oracle (RFC 7617): accepted exactly when the scheme is `Basic` (any case)
//! and the credentials are base64, padded or not, of `twilio:fuzz-password`;
//! a refusal always carries the Basic challenge.
#![no_main]

use std::sync::OnceLock;
use std::time::SystemTime;

use base64::alphabet::STANDARD;
use base64::engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig};
use base64::Engine as _;
use libfuzzer_sys::fuzz_target;
use tower_twilio::auth::{AuthScheme, HttpAuth, MAX_AUTHORIZATION_LEN};

const CREDENTIALS: &[u8] = b"twilio:fuzz-password";
const LENIENT: GeneralPurpose = GeneralPurpose::new(
    &STANDARD,
    GeneralPurposeConfig::new().with_decode_padding_mode(DecodePaddingMode::Indifferent),
);

fuzz_target!(|data: &[u8]| {
    static AUTH: OnceLock<HttpAuth> = OnceLock::new();
    let auth = AUTH.get_or_init(|| {
        HttpAuth::builder()
            .basic_auth("twilio", "fuzz-password")
            .build()
    });
    let prefixed = [b"Basic ".as_slice(), data].concat();
    for header in [data, &prefixed] {
        match auth.check("POST", "/voice", Some(header), SystemTime::now()) {
            Ok(user) => {
                assert!(is_right(header), "accepted {header:?}");
                assert_eq!(
                    (user.user.as_str(), user.scheme),
                    ("twilio", AuthScheme::Basic)
                );
            }
            Err(challenge) => {
                assert!(!is_right(header), "refused {header:?}");
                assert_eq!(
                    challenge.www_authenticate(),
                    ["Basic realm=\"Twilio webhook\", charset=\"UTF-8\""]
                );
            }
        }
    }
});

/// RFC 7617, independently of the crate: `Basic` SP base64(user ":" password).
fn is_right(header: &[u8]) -> bool {
    let Ok(text) = std::str::from_utf8(header) else {
        return false;
    };
    if header.len() > MAX_AUTHORIZATION_LEN {
        return false;
    }
    let text = text.trim_matches([' ', '\t']);
    let Some((scheme, credentials)) = text.split_once([' ', '\t']) else {
        return false;
    };
    scheme.eq_ignore_ascii_case("basic")
        && LENIENT
            .decode(credentials.trim_matches([' ', '\t']))
            .is_ok_and(|decoded| decoded == CREDENTIALS)
}
