//! Why a request was refused.

use std::fmt;

use http::StatusCode;

use crate::core::error::SignatureError;

/// The reason a request was refused, with a machine-readable code.
///
/// The layer puts it into the rejection response's extensions and into a
/// `tracing` event. Neither it nor its `Display` ever contains a secret or the
/// expected signature.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Rejection {
    /// No `X-Twilio-Signature` header.
    MissingSignature,
    /// More than one `X-Twilio-Signature` header.
    DuplicateSignature,
    /// An empty, non-base64 or wrong-length `X-Twilio-Signature`.
    MalformedSignature,
    /// No candidate URL and no key produced the signature.
    BadSignature,
    /// The signature is valid but the body does not hash to `bodySHA256`.
    BodyHashMismatch,
    /// The signature is valid but does not cover the body: the body is
    /// neither a form POST's fields nor hashed into `bodySHA256`.
    UnsignedBody,
    /// `X-Twilio-Webhooks-Signature-Settings` names a key that is not configured,
    /// or names none.
    UnknownSharedKey,
    /// `X-Twilio-Webhooks-Signature-Settings` names an unknown algorithm, or
    /// the header is present more than once.
    UnsupportedAlgorithm,
    /// No `AccountSid`, or one the [`KeyResolver`](crate::validate::KeyResolver)
    /// does not know.
    UnknownAccount,
    /// With a [`KeyResolver`](crate::validate::KeyResolver), the request
    /// names more than one account: the `AccountSid` values of the form
    /// fields and of the query are not all the same, so the handler could
    /// read another account than the one whose keys were checked.
    AccountMismatch,
    /// The public URL could not be built: no usable host, or the target's
    /// authority and the `Host` header name different hosts (with no host
    /// configured).
    MissingHost,
    /// The request target is not a path (`OPTIONS *`, `CONNECT host:port`):
    /// Twilio always requests one, and a router would not route it as `/`.
    UnsupportedTarget,
    /// The body is larger than the configured limit.
    BodyTooLarge,
    /// The body could not be read.
    BodyError,
    /// A form POST's body is not a form Twilio sends: an empty pair (`&&`, or
    /// a `&` at either end), an empty name, or bytes that are not UTF-8 once
    /// decoded. Refused rather than repaired, so that the handler never
    /// reads other fields than were signed.
    MalformedBody,
    /// The client stopped sending the body for longer than the read timeout.
    BodyTimeout,
    /// HTTP Basic or Digest authentication failed, or the bearer token is
    /// missing or refused (the [`BearerError`](crate::bearer::BearerError)
    /// is in the response's extensions too).
    Unauthenticated,
    /// The bearer token is valid but lacks a scope the verifier requires
    /// (RFC 6750 `insufficient_scope`): `403`.
    InsufficientScope,
    /// The bearer token could not be judged: its verifier could not have the
    /// keys (the JWKS URL failed): `503`.
    BearerUnavailable,
    /// Digest credentials were right but their nonce count could not be
    /// claimed in the shared store (unreachable, or no answer in time), so
    /// whether it was used before is unknown: `503`.
    AuthUnavailable,
}

impl Rejection {
    /// The status the layer answers with: 413 for a body over the limit, 400
    /// for a body that could not be read or a request without a host, 408 for
    /// a body that stalled, 401 for failed HTTP authentication (a missing or
    /// refused bearer token), 503 for a bearer token that could not be
    /// judged, 403 for a token lacking a scope and for everything about the
    /// signature and the keys.
    pub fn status(&self) -> StatusCode {
        match self {
            Rejection::BodyTooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            Rejection::BodyError
            | Rejection::MalformedBody
            | Rejection::MissingHost
            | Rejection::UnsupportedTarget => StatusCode::BAD_REQUEST,
            Rejection::BodyTimeout => StatusCode::REQUEST_TIMEOUT,
            Rejection::Unauthenticated => StatusCode::UNAUTHORIZED,
            Rejection::BearerUnavailable | Rejection::AuthUnavailable => {
                StatusCode::SERVICE_UNAVAILABLE
            }
            _ => StatusCode::FORBIDDEN,
        }
    }

    /// Whether this is a reason the signature does not validate the request.
    /// These all get one and the same default answer, so that a client
    /// cannot learn from it which accounts or shared keys exist, or whether
    /// a captured signature is valid for a URL; the reason itself stays in
    /// the response's extensions and the `tracing` event.
    pub(crate) fn is_signature_failure(&self) -> bool {
        matches!(
            self,
            Rejection::MalformedSignature
                | Rejection::DuplicateSignature
                | Rejection::BadSignature
                | Rejection::BodyHashMismatch
                | Rejection::UnsignedBody
                | Rejection::UnknownSharedKey
                | Rejection::UnsupportedAlgorithm
                | Rejection::UnknownAccount
                | Rejection::AccountMismatch
        )
    }

    /// The signature's verdict this is, if it is one.
    fn signature_error(&self) -> Option<SignatureError> {
        Some(match self {
            Rejection::MalformedSignature => SignatureError::MalformedSignature,
            Rejection::BadSignature => SignatureError::BadSignature,
            Rejection::BodyHashMismatch => SignatureError::BodyHashMismatch,
            Rejection::UnsignedBody => SignatureError::UnsignedBody,
            Rejection::UnknownSharedKey => SignatureError::UnknownSharedKey,
            Rejection::UnsupportedAlgorithm => SignatureError::UnsupportedAlgorithm,
            Rejection::MalformedBody => SignatureError::MalformedBody,
            Rejection::BodyTooLarge => SignatureError::BodyTooLarge,
            _ => return None,
        })
    }

    /// A stable, machine-readable code such as `bad_signature`.
    pub fn as_str(&self) -> &'static str {
        if let Some(error) = self.signature_error() {
            return error.as_str();
        }
        match self {
            Rejection::MissingSignature => "missing_signature",
            Rejection::DuplicateSignature => "duplicate_signature",
            Rejection::UnknownAccount => "unknown_account",
            Rejection::AccountMismatch => "account_mismatch",
            Rejection::MissingHost => "missing_host",
            Rejection::UnsupportedTarget => "unsupported_target",
            Rejection::BodyError => "body_error",
            Rejection::BodyTimeout => "body_timeout",
            Rejection::Unauthenticated => "unauthenticated",
            Rejection::InsufficientScope => "insufficient_scope",
            Rejection::BearerUnavailable => "bearer_unavailable",
            Rejection::AuthUnavailable => "auth_unavailable",
            _ => unreachable!("a signature error"),
        }
    }
}

impl fmt::Display for Rejection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let text = match (self.signature_error(), self) {
            (Some(error), _) => error.text(),
            (_, Rejection::MissingSignature) => "no X-Twilio-Signature header",
            (_, Rejection::DuplicateSignature) => "more than one X-Twilio-Signature header",
            (_, Rejection::UnknownAccount) => "the request's AccountSid is not served here",
            (_, Rejection::AccountMismatch) => {
                "the request's AccountSid values (form fields and query) differ"
            }
            (_, Rejection::MissingHost) => {
                "no usable host to rebuild the public URL (none, or the target's and Host differ)"
            }
            (_, Rejection::UnsupportedTarget) => "the request target is not a path",
            (_, Rejection::BodyError) => "the body could not be read",
            (_, Rejection::BodyTimeout) => "the body did not arrive in time",
            (_, Rejection::Unauthenticated) => "HTTP authentication failed",
            (_, Rejection::InsufficientScope) => "the bearer token lacks a required scope",
            (_, Rejection::BearerUnavailable) => "the bearer token could not be checked",
            (_, Rejection::AuthUnavailable) => "the Digest nonce count could not be checked",
            _ => unreachable!("a signature error"),
        };
        write!(f, "{text} ({})", self.as_str())
    }
}

impl std::error::Error for Rejection {}

impl From<SignatureError> for Rejection {
    fn from(error: SignatureError) -> Self {
        match error {
            SignatureError::MalformedSignature => Rejection::MalformedSignature,
            SignatureError::BadSignature => Rejection::BadSignature,
            SignatureError::BodyHashMismatch => Rejection::BodyHashMismatch,
            SignatureError::UnsignedBody => Rejection::UnsignedBody,
            SignatureError::UnknownSharedKey => Rejection::UnknownSharedKey,
            SignatureError::UnsupportedAlgorithm => Rejection::UnsupportedAlgorithm,
            SignatureError::MalformedBody => Rejection::MalformedBody,
            SignatureError::BodyTooLarge => Rejection::BodyTooLarge,
        }
    }
}
