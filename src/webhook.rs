//! What a validated request carries to the handler.

use std::borrow::Cow;

use crate::validator::{MatchedKey, Validated};

/// Inserted into the request's extensions by the layer once the signature is
/// valid: the decoded form fields in the order received, the key that matched
/// and the URL the signature was made over.
///
/// With the `axum` feature it is also an extractor; used on a route without
/// the layer in front it fails with a 500 that says so.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ValidatedWebhook {
    params: Vec<(String, String)>,
    validated: Validated,
}

impl ValidatedWebhook {
    pub(crate) fn new(params: Vec<(Cow<'_, str>, Cow<'_, str>)>, validated: Validated) -> Self {
        let params = params
            .into_iter()
            .map(|(k, v)| (k.into_owned(), v.into_owned()))
            .collect();
        Self { params, validated }
    }

    /// The decoded form fields, in the order received (empty unless the
    /// request was a form POST).
    pub fn params(&self) -> &[(String, String)] {
        &self.params
    }

    /// The first value of a form field.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.params
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    /// Every value of a form field, in the order received.
    pub fn get_all<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a str> + 'a {
        self.params
            .iter()
            .filter(move |(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    /// The key that signed the request.
    pub fn matched_key(&self) -> &MatchedKey {
        &self.validated.key
    }

    /// The URL the signature was made over.
    pub fn url(&self) -> &str {
        &self.validated.url
    }
}

#[cfg(feature = "axum")]
mod extract {
    use axum::extract::FromRequestParts;
    use axum::response::{IntoResponse, Response};
    use http::request::Parts;
    use http::StatusCode;

    use super::ValidatedWebhook;

    /// The extractor ran on a route without `TwilioValidateLayer` in front.
    #[derive(Clone, Copy, Debug)]
    pub struct MissingTwilioValidateLayer;

    impl std::fmt::Display for MissingTwilioValidateLayer {
        fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.write_str(
                "ValidatedWebhook was extracted on a route that TwilioValidateLayer does not \
                 cover; add .layer(TwilioValidateLayer::new(token)) to this route",
            )
        }
    }

    impl std::error::Error for MissingTwilioValidateLayer {}

    impl IntoResponse for MissingTwilioValidateLayer {
        fn into_response(self) -> Response {
            (StatusCode::INTERNAL_SERVER_ERROR, self.to_string()).into_response()
        }
    }

    impl<S: Send + Sync> FromRequestParts<S> for ValidatedWebhook {
        type Rejection = MissingTwilioValidateLayer;

        async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
            parts
                .extensions
                .get::<ValidatedWebhook>()
                .cloned()
                .ok_or(MissingTwilioValidateLayer)
        }
    }
}

#[cfg(feature = "axum")]
pub use extract::MissingTwilioValidateLayer;
