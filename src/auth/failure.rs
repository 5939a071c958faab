//! Why a request was not authenticated.

use std::fmt;

/// Why [`HttpAuth::check`](super::HttpAuth::check) refused a request.
///
/// Neither [`as_str`](Self::as_str) nor `Display` ever contains the password,
/// `HA1`, the expected response or anything else the client sent.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum AuthFailure {
    /// The request has no `Authorization` header.
    MissingCredentials,
    /// The `Authorization` scheme is not one that is configured.
    UnsupportedScheme,
    /// The `Authorization` header could not be parsed: bad syntax, bad base64,
    /// no `:` in Basic credentials, a parameter given twice, a malformed `nc`,
    /// `username*` or `response`, non-UTF-8 bytes, or longer than 16 KiB.
    MalformedAuthorization,
    /// Digest credentials lack a required parameter.
    MissingParameter {
        /// The parameter's name, such as `"nonce"`.
        name: &'static str,
    },
    /// The Digest `qop` is not `auth` (`auth-int` is not supported).
    UnsupportedQop,
    /// The Digest `algorithm` is unknown or not one that is offered.
    UnsupportedAlgorithm,
    /// The Digest `realm` is not the configured realm.
    RealmMismatch,
    /// The Digest `opaque` is not the one the server issues.
    OpaqueMismatch,
    /// The Digest `nonce` was not issued by this server (or a peer sharing its
    /// nonce secret) for this realm.
    InvalidNonce,
    /// The Digest `uri` is not the request-target of the request.
    UriMismatch,
    /// The user or the password (the Digest `response`) is wrong.
    WrongCredentials,
    /// The Digest response is correct but its nonce has expired; the challenge
    /// says `stale=true` so the client retries with a new nonce.
    StaleNonce,
    /// The Digest response is correct but its `nc` is not above every count
    /// accepted before for its nonce and cnonce: a replay, or a count this
    /// server can no longer vouch for. The challenge says `stale=true`.
    ReplayedNonceCount,
}

impl AuthFailure {
    /// A stable, machine-readable name, such as `"stale_nonce"`.
    pub fn as_str(&self) -> &'static str {
        match self {
            Self::MissingCredentials => "missing_credentials",
            Self::UnsupportedScheme => "unsupported_scheme",
            Self::MalformedAuthorization => "malformed_authorization",
            Self::MissingParameter { .. } => "missing_parameter",
            Self::UnsupportedQop => "unsupported_qop",
            Self::UnsupportedAlgorithm => "unsupported_algorithm",
            Self::RealmMismatch => "realm_mismatch",
            Self::OpaqueMismatch => "opaque_mismatch",
            Self::InvalidNonce => "invalid_nonce",
            Self::UriMismatch => "uri_mismatch",
            Self::WrongCredentials => "wrong_credentials",
            Self::StaleNonce => "stale_nonce",
            Self::ReplayedNonceCount => "replayed_nonce_count",
        }
    }

    /// Whether the Digest challenges carry `stale=true`: the credentials were
    /// right, only the nonce can no longer be used.
    pub(super) fn is_stale(&self) -> bool {
        matches!(self, Self::StaleNonce | Self::ReplayedNonceCount)
    }
}

impl fmt::Display for AuthFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::MissingCredentials => f.write_str("no Authorization header"),
            Self::UnsupportedScheme => f.write_str("the Authorization scheme is not accepted here"),
            Self::MalformedAuthorization => f.write_str("the Authorization header is malformed"),
            Self::MissingParameter { name } => {
                write!(f, "the Digest credentials lack the `{name}` parameter")
            }
            Self::UnsupportedQop => f.write_str("the Digest qop is not `auth`"),
            Self::UnsupportedAlgorithm => {
                f.write_str("the Digest algorithm is not one that is offered")
            }
            Self::RealmMismatch => f.write_str("the Digest realm is not this server's realm"),
            Self::OpaqueMismatch => {
                f.write_str("the Digest opaque is not the one this server issues")
            }
            Self::InvalidNonce => f.write_str("the Digest nonce was not issued by this server"),
            Self::UriMismatch => f.write_str("the Digest uri is not the request-target"),
            Self::WrongCredentials => f.write_str("wrong user name or password"),
            Self::StaleNonce => f.write_str("the Digest nonce has expired"),
            Self::ReplayedNonceCount => f.write_str("the Digest nonce count was already used"),
        }
    }
}

impl std::error::Error for AuthFailure {}
