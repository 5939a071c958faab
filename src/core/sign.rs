//! Signing requests the way Twilio does, for testing your own handlers.

use std::borrow::Cow;
use std::fmt;

use http::header::{HeaderValue, CONTENT_TYPE};
use http::{Request, Uri};

use crate::core::secret::Secret;
use crate::core::signature::{body_sha256_hex, compute_signature, Algorithm};
use crate::core::target::{origin_form, parse_base_url};
use crate::core::validator::{body_sha256_param, is_form};
use crate::core::validator::{X_TWILIO_SIGNATURE, X_TWILIO_WEBHOOKS_SIGNATURE_SETTINGS};

/// Signs `http::Request`s as Twilio would, so tests can drive a route that
/// sits behind [`TwilioValidateLayer`](crate::TwilioValidateLayer).
///
/// A form POST is signed over the URL and its fields; any other request with
/// a body gets `bodySHA256` appended to its query first, as Twilio does for
/// JSON; a request without body is signed over the URL alone.
///
/// ```
/// use tower_twilio::Signer;
///
/// let mut req = http::Request::post("/voice")
///     .header("content-type", "application/x-www-form-urlencoded")
///     .body("CallSid=CA123&From=%2B14158675309".to_string())
///     .unwrap();
/// Signer::new("12345", "https://example.com").sign(&mut req);
/// assert!(req.headers().contains_key("x-twilio-signature"));
/// ```
#[derive(Clone)]
pub struct Signer {
    secret: Secret,
    algorithm: Algorithm,
    key_id: Option<String>,
    base_url: String,
}

impl fmt::Debug for Signer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Signer")
            .field("secret", &self.secret)
            .field("algorithm", &self.algorithm)
            .field("key_id", &self.key_id)
            .field("base_url", &self.base_url)
            .finish()
    }
}

impl Signer {
    /// Signs with an Auth Token (HMAC-SHA1) for the public `base_url`
    /// (`scheme://host[:port][/prefix]`, as the layer is configured).
    ///
    /// # Panics
    ///
    /// If `base_url` is not such a URL (the message says what is wrong, as
    /// the layer's `base_url` does): a typo here would only show as a `403`.
    #[track_caller]
    pub fn new(auth_token: impl Into<Secret>, base_url: impl Into<String>) -> Self {
        let base_url = base_url.into();
        if let Err(e) = parse_base_url(&base_url) {
            panic!("{e}");
        }
        Self {
            secret: auth_token.into(),
            algorithm: Algorithm::HmacSha1,
            key_id: None,
            base_url: base_url.trim_end_matches('/').to_owned(),
        }
    }

    /// Signs with a shared key instead (HMAC-SHA256), and names it in
    /// `X-Twilio-Webhooks-Signature-Settings`.
    #[must_use]
    pub fn shared_key(mut self, key_id: impl Into<String>, secret: impl Into<Secret>) -> Self {
        self.secret = secret.into();
        self.key_id = Some(key_id.into());
        self.algorithm = Algorithm::HmacSha256;
        self
    }

    /// The public URL of `req`: the base URL followed by its path and query.
    pub fn url_for(&self, uri: &Uri) -> String {
        format!("{}{}", self.base_url, path_and_query(uri))
    }

    /// Adds `X-Twilio-Signature` (and the settings header for a shared key).
    pub fn sign<B: AsRef<[u8]>>(&self, req: &mut Request<B>) {
        let body = req.body().as_ref();
        let form = is_form(
            req.method(),
            req.headers().get(CONTENT_TYPE).map(|v| v.as_bytes()),
        );
        let params: Vec<(String, String)> = if form {
            form_urlencoded::parse(body).into_owned().collect()
        } else {
            Vec::new()
        };
        if !form && !body.is_empty() && body_sha256_param(&self.url_for(req.uri())).is_none() {
            let hash = body_sha256_hex(body);
            let pq = path_and_query(req.uri());
            let sep = if pq.contains('?') { '&' } else { '?' };
            *req.uri_mut() = format!("{pq}{sep}bodySHA256={hash}")
                .parse()
                .expect("appending a hex query parameter keeps the URI valid");
        }
        let url = self.url_for(req.uri());
        let signature = compute_signature(self.secret.expose(), self.algorithm, &url, &params);
        let headers = req.headers_mut();
        headers.insert(
            X_TWILIO_SIGNATURE,
            HeaderValue::from_str(&signature).expect("base64 is a valid header value"),
        );
        if let Some(id) = &self.key_id {
            let settings = format!("key={id},algorithm={}", self.algorithm);
            if let Ok(value) = HeaderValue::from_str(&settings) {
                headers.insert(X_TWILIO_WEBHOOKS_SIGNATURE_SETTINGS, value);
            }
        }
    }
}

/// The target as the layer reads it ([`origin_form`]); `/` for a target
/// without a path (`*`, `host:port`), which the layer refuses anyway.
fn path_and_query(uri: &Uri) -> Cow<'_, str> {
    origin_form(uri).unwrap_or(Cow::Borrowed("/"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    #[should_panic(expected = "invalid Twilio configuration: base URL must be scheme://host")]
    fn a_base_url_without_a_scheme_panics_where_it_is_written() {
        let _ = Signer::new("token", "hooks.example.com");
    }
}
