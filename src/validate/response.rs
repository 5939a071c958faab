use bytes::Bytes;
use http::header::{HeaderValue, CONTENT_TYPE, WWW_AUTHENTICATE};
use http::{Response, StatusCode};

use super::layer::Config;
use super::service::Refusal;

/// The answer to a refused request: the configured
/// [`rejection_response`](super::TwilioValidateLayer::rejection_response), or a
/// short `text/plain` one. Either way the typed [`Rejection`] (and for a 401
/// the [`AuthFailure`](crate::auth::AuthFailure)) is in its extensions, and a
/// 401 carries the `WWW-Authenticate` challenges.
pub(crate) fn rejection_response(refusal: Refusal, config: &Config) -> Response<Bytes> {
    let Refusal {
        rejection,
        challenge,
    } = refusal;
    let mut res = match &config.on_rejection {
        Some(custom) => custom(rejection),
        None => {
            let text = match &challenge {
                Some(challenge) => format!("{rejection}: {}\n", challenge.reason()),
                None => format!("{rejection}\n"),
            };
            let mut res = Response::new(Bytes::from(text));
            *res.status_mut() = rejection.status();
            res.headers_mut().insert(
                CONTENT_TYPE,
                HeaderValue::from_static("text/plain; charset=utf-8"),
            );
            res
        }
    };
    if let Some(challenge) = challenge {
        if res.status() == StatusCode::UNAUTHORIZED {
            for value in challenge.www_authenticate() {
                if let Ok(value) = HeaderValue::from_str(value) {
                    res.headers_mut().append(WWW_AUTHENTICATE, value);
                }
            }
        }
        res.extensions_mut().insert(challenge.reason());
    }
    res.extensions_mut().insert(rejection);
    res
}
