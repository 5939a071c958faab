//! The core's errors: why a signature does not validate a request, and why
//! a configuration cannot be used. Neither ever holds a secret.

use std::fmt;

/// Why [`RequestValidator::validate`](crate::RequestValidator::validate)
/// refused a request: the signature's verdict alone, with no HTTP in it.
///
/// The layer turns it into its [`Rejection`](crate::Rejection) (the variant
/// of the same name), which adds what only a server sees: missing headers,
/// bodies too slow or unreadable, failed HTTP authentication.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum SignatureError {
    /// An empty, non-base64 or wrong-length signature.
    MalformedSignature,
    /// No candidate URL and no key produced the signature.
    BadSignature,
    /// The signature is valid but the body does not hash to `bodySHA256`.
    BodyHashMismatch,
    /// The signature is valid but does not cover the body: the body is
    /// neither a form POST's fields nor hashed into `bodySHA256`.
    UnsignedBody,
    /// The signature settings name a shared key that is not configured, or
    /// name none.
    UnknownSharedKey,
    /// The signature settings name an unknown algorithm.
    UnsupportedAlgorithm,
    /// A form body that is not a form Twilio sends (see
    /// [`Rejection::MalformedBody`](crate::Rejection::MalformedBody)).
    MalformedBody,
    /// A form body over [`MAX_FORM_BYTES`](crate::MAX_FORM_BYTES).
    BodyTooLarge,
}

impl SignatureError {
    /// A stable, machine-readable code such as `bad_signature`: the same as
    /// the [`Rejection`](crate::Rejection) it becomes.
    pub fn as_str(&self) -> &'static str {
        match self {
            Self::MalformedSignature => "malformed_signature",
            Self::BadSignature => "bad_signature",
            Self::BodyHashMismatch => "body_hash_mismatch",
            Self::UnsignedBody => "unsigned_body",
            Self::UnknownSharedKey => "unknown_shared_key",
            Self::UnsupportedAlgorithm => "unsupported_algorithm",
            Self::MalformedBody => "malformed_body",
            Self::BodyTooLarge => "body_too_large",
        }
    }

    /// What is wrong, in words.
    pub(crate) fn text(&self) -> &'static str {
        match self {
            Self::MalformedSignature => "X-Twilio-Signature is not a base64 HMAC",
            Self::BadSignature => "X-Twilio-Signature does not match this URL and body",
            Self::BodyHashMismatch => "the body does not match bodySHA256",
            Self::UnsignedBody => {
                "the body is neither form fields nor covered by bodySHA256, so it is not signed"
            }
            Self::UnknownSharedKey => {
                "X-Twilio-Webhooks-Signature-Settings names no configured shared key"
            }
            Self::UnsupportedAlgorithm => {
                "X-Twilio-Webhooks-Signature-Settings names an unsupported algorithm"
            }
            Self::MalformedBody => {
                "the form body is not UTF-8 name=value pairs joined by single '&'"
            }
            Self::BodyTooLarge => "the body is larger than the limit",
        }
    }
}

impl fmt::Display for SignatureError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} ({})", self.text(), self.as_str())
    }
}

impl std::error::Error for SignatureError {}

/// A setting that cannot be used: an empty key, a base URL that is not
/// `scheme://host[:port][/prefix]`, an environment variable missing or
/// malformed, an HTTP authentication setting out of its RFC's bounds.
///
/// Returned by the `try_` constructors and setters (the others panic with
/// the same message) and by
/// [`TwilioValidateLayer::from_env`](crate::TwilioValidateLayer::from_env).
/// Its `Display` names the setting and the problem, never a value.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ConfigError {
    setting: &'static str,
    problem: &'static str,
}

impl ConfigError {
    pub(crate) const fn new(setting: &'static str, problem: &'static str) -> Self {
        Self { setting, problem }
    }

    /// The setting to fix, such as `"Auth Token"`, `"base URL"`, `"realm"`
    /// or, from [`from_env`](crate::TwilioValidateLayer::from_env), the
    /// environment variable such as `"TWILIO_AUTH_TOKEN"`.
    pub fn setting(&self) -> &'static str {
        self.setting
    }

    /// The same problem, said of the environment variable it came from.
    pub(crate) fn in_variable(self, variable: &'static str) -> Self {
        Self {
            setting: variable,
            ..self
        }
    }
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "invalid Twilio configuration: {} {}",
            self.setting, self.problem
        )
    }
}

impl std::error::Error for ConfigError {}
