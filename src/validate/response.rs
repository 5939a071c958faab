use std::borrow::Cow;

use bytes::Bytes;
use http::header::WWW_AUTHENTICATE;
use http::header::{HeaderValue, CONTENT_TYPE};
use http::{Response, StatusCode};

use super::config::Config;
#[cfg(feature = "http-auth")]
use crate::auth::AuthChallenge;
use crate::bearer::BearerError;
use crate::core::candidates::UrlCandidates;
use crate::validate::rejection::Rejection;

/// The default answer to every signature failure (see
/// [`Rejection::is_signature_failure`]): one text for all of them, so that
/// it tells a client nothing the typed reason would.
const SIGNATURE_FAILURE: &str = "invalid Twilio signature\n";

/// The longest URL a rejection's `tracing` event shows, in bytes.
const LOGGED_URL_BYTES: usize = 512;

/// How many candidate URLs a rejection's `tracing` event shows; the rest
/// are only counted.
const LOGGED_CANDIDATES: usize = 4;

/// A refused request: why, for a `401` the challenge to answer with, and
/// for the log the URL checked, if it was built.
#[derive(Debug)]
pub(crate) struct Refusal {
    pub(crate) rejection: Rejection,
    #[cfg(feature = "http-auth")]
    pub(crate) challenge: Option<AuthChallenge>,
    /// Why the bearer token was refused, if it was.
    pub(crate) bearer: Option<BearerError>,
    pub(crate) url: Option<String>,
    pub(crate) websocket: bool,
    /// What likely caused a `bad_signature`, for the log.
    pub(crate) hint: Option<String>,
}

impl From<Rejection> for Refusal {
    fn from(rejection: Rejection) -> Self {
        Self {
            rejection,
            #[cfg(feature = "http-auth")]
            challenge: None,
            bearer: None,
            url: None,
            websocket: false,
            hint: None,
        }
    }
}

impl Refusal {
    /// A refusal of the bearer token.
    pub(crate) fn bearer(error: BearerError) -> Self {
        let rejection = match error {
            BearerError::MissingScope => Rejection::InsufficientScope,
            BearerError::JwksUnavailable | BearerError::VerifierTimeout => {
                Rejection::BearerUnavailable
            }
            _ => Rejection::Unauthenticated,
        };
        Self {
            bearer: Some(error),
            ..Self::from(rejection)
        }
    }

    /// Why authentication failed, if it did: the name and the text of the
    /// HTTP authentication's or the bearer token's failure.
    fn auth_failure(&self) -> Option<(&'static str, String)> {
        #[cfg(feature = "http-auth")]
        if let Some(challenge) = &self.challenge {
            let reason = challenge.reason();
            return Some((reason.as_str(), reason.to_string()));
        }
        self.bearer
            .map(|e| (e.as_str(), e.description().to_owned()))
    }

    /// Whether this is a try without credentials on a route with Basic or
    /// Digest, as Twilio's first request of every call is.
    fn is_credentialless_try(&self) -> bool {
        #[cfg(feature = "http-auth")]
        if let Some(challenge) = &self.challenge {
            return challenge.reason() == crate::auth::AuthFailure::MissingCredentials;
        }
        false
    }

    /// A refusal of the request whose public URL is `url`.
    pub(crate) fn of(rejection: Rejection, url: String, websocket: bool) -> Self {
        Self {
            rejection,
            #[cfg(feature = "http-auth")]
            challenge: None,
            bearer: None,
            url: Some(url),
            websocket,
            hint: None,
        }
    }
}

/// The answer to a refused request: the configured
/// [`rejection_response`](super::TwilioValidateLayer::rejection_response), or a
/// short `text/plain` one. Either way the typed [`Rejection`] (and for a 401
/// the [`AuthFailure`](crate::auth::AuthFailure)) is in its extensions, and a
/// 401 carries the `WWW-Authenticate` challenges. This is where every
/// refusal is logged, once ([`log_rejection`]).
///
/// The default text is `invalid Twilio signature` for every signature
/// failure, whichever it was (a bad MAC, an unknown account or shared key, a
/// body that does not match `bodySHA256`...): telling them apart would tell
/// an attacker which accounts and keys exist, or that a captured signature is
/// valid for the URL. A missing signature, a failed HTTP authentication and
/// the body's problems (`413`, `408`, `400`) say what they are.
pub(crate) fn rejection_response(refusal: Refusal, config: &Config) -> Response<Bytes> {
    log_rejection(&refusal);
    let rejection = refusal.rejection;
    let mut res = match &config.on_rejection {
        Some(custom) => custom(rejection),
        None => {
            let text = if rejection.is_signature_failure() {
                Bytes::from_static(SIGNATURE_FAILURE.as_bytes())
            } else {
                match refusal.auth_failure() {
                    Some((_, reason)) => format!("{rejection}: {reason}\n").into(),
                    None => format!("{rejection}\n").into(),
                }
            };
            let mut res = Response::new(text);
            *res.status_mut() = rejection.status();
            res.headers_mut().insert(
                CONTENT_TYPE,
                HeaderValue::from_static("text/plain; charset=utf-8"),
            );
            res
        }
    };
    #[cfg(feature = "http-auth")]
    if let Some(challenge) = refusal.challenge {
        if res.status() == StatusCode::UNAUTHORIZED {
            for value in challenge.www_authenticate() {
                if let Ok(value) = HeaderValue::from_str(value) {
                    res.headers_mut().append(WWW_AUTHENTICATE, value);
                }
            }
        }
        res.extensions_mut().insert(challenge.reason());
    }
    if let Some(error) = refusal.bearer {
        // RFC 6750 §3: with the 401, and with the 403 of a missing scope.
        let status = res.status();
        if status == StatusCode::UNAUTHORIZED
            || (status == StatusCode::FORBIDDEN && error == BearerError::MissingScope)
        {
            if let Some(value) = error
                .www_authenticate()
                .and_then(|v| HeaderValue::from_str(&v).ok())
            {
                res.headers_mut().append(WWW_AUTHENTICATE, value);
            }
        }
        res.extensions_mut().insert(error);
    }
    res.extensions_mut().insert(rejection);
    res
}

/// The rejection's event at `$level` (a `tracing` macro's name: the level
/// of an event is fixed where it is written).
macro_rules! emit_rejection {
    ($level:ident, $refusal:expr) => {{
        let refusal: &Refusal = $refusal;
        let rejection = refusal.rejection;
        let url = refusal.url.as_deref();
        // Each distinct URL once, though it may be tried under several rules.
        let mut candidates: Vec<Cow<'_, str>> = Vec::new();
        for candidate in url
            .map(|url| UrlCandidates::new(url, refusal.websocket).all())
            .unwrap_or_default()
        {
            if !candidates.contains(&candidate.url) {
                candidates.push(candidate.url);
            }
        }
        let shown: Vec<Cow<'_, str>> = candidates
            .iter()
            .take(LOGGED_CANDIDATES)
            .map(|c| cut(c))
            .collect();
        tracing::$level!(
            target: "tower_twilio",
            reason = rejection.as_str(),
            auth_failure = refusal.auth_failure().map(|(name, _)| name),
            url = %url.map_or(Cow::Borrowed("-"), cut),
            candidates = candidates.len(),
            tried = ?shown,
            hint = refusal.hint.as_deref().map(cut).as_deref(),
            "rejected Twilio webhook: {rejection}"
        );
    }};
}

/// One `tracing` event per rejection (target `tower_twilio`, level INFO):
/// the reason, the URL checked and the candidate URLs tried for it. A
/// request without credentials to a route with Basic or Digest is DEBUG:
/// Twilio's first try of every call carries none and waits for the
/// challenge, so at INFO normal operation would log one refusal a call.
/// Wrong credentials stay INFO.
///
/// Its size is bounded whatever the request, so that a forged request
/// cannot make the log cost more than reading the request did: the URL is
/// cut to its first 512 bytes (at a character boundary, marked
/// `...(cut, N bytes)`), and of the candidates only their number is given,
/// with the first 4 distinct ones, each cut likewise, and the diagnosis of
/// a `bad_signature` (`hint`, see `diagnosis`) is cut likewise. That is at
/// most 6 × 512 bytes of URLs per event, plus fixed text. It never contains
/// a secret or the expected signature.
fn log_rejection(refusal: &Refusal) {
    if refusal.is_credentialless_try() {
        if tracing::enabled!(target: "tower_twilio", tracing::Level::DEBUG) {
            emit_rejection!(debug, refusal);
        }
    } else if tracing::enabled!(target: "tower_twilio", tracing::Level::INFO) {
        emit_rejection!(info, refusal);
    }
}

/// `url` cut to at most [`LOGGED_URL_BYTES`] bytes, at a character
/// boundary, with a mark that says how long it was.
pub(crate) fn cut(url: &str) -> Cow<'_, str> {
    if url.len() <= LOGGED_URL_BYTES {
        return Cow::Borrowed(url);
    }
    let mut end = LOGGED_URL_BYTES;
    while !url.is_char_boundary(end) {
        end -= 1;
    }
    Cow::Owned(format!("{}...(cut, {} bytes)", &url[..end], url.len()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_short_url_is_not_cut() {
        let url = format!("https://example.com/{}", "a".repeat(LOGGED_URL_BYTES - 20));
        assert_eq!(url.len(), LOGGED_URL_BYTES);
        assert!(matches!(cut(&url), Cow::Borrowed(u) if u == url));
    }

    #[test]
    fn a_long_url_is_cut_at_a_character_boundary_and_marked() {
        // `é` is two bytes: byte 512 is the second half of one.
        let url = format!("https://example.com/x{}", "é".repeat(1000));
        let cut = cut(&url);
        let (kept, mark) = cut.split_once("...").unwrap();
        assert_eq!(kept.len(), LOGGED_URL_BYTES - 1);
        assert!(url.starts_with(kept));
        assert_eq!(mark, format!("(cut, {} bytes)", url.len()));
    }
}
