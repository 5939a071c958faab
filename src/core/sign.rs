//! Signing requests the way Twilio does, for testing your own handlers.

use std::borrow::Cow;
use std::fmt;

use http::header::{HeaderValue, CONNECTION, CONTENT_TYPE, UPGRADE};
use http::{Method, Request, Uri};

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
/// JSON; a request without body is signed over the URL alone. A WebSocket
/// handshake (`Upgrade: websocket`) is signed over its `wss://` URL (`ws://`
/// for an `http` base), as Twilio signs Media Streams and ConversationRelay
/// handshakes and as the layer checks them.
///
/// [`form_request`](Self::form_request),
/// [`websocket_request`](Self::websocket_request) and
/// [`json_request`](Self::json_request) build a ready, signed request, so a
/// test of a status callback is three lines:
///
/// ```
/// # #[cfg(feature = "axum")]
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() {
/// use tower::ServiceExt;
/// use tower_twilio::payload::{examples, MessageStatusCallback};
/// use tower_twilio::{Signer, TwilioForm, TwilioValidateLayer};
///
/// async fn status(TwilioForm(s): TwilioForm<MessageStatusCallback>) -> String {
///     s.message_status.to_string()
/// }
/// let app = axum::Router::new()
///     .route("/status", axum::routing::post(status))
///     .layer(TwilioValidateLayer::new("12345").base_url("https://example.com"));
///
/// let signer = Signer::new("12345", "https://example.com");
/// let req = signer.form_request("/status", examples::MESSAGE_STATUS_SENT);
/// assert_eq!(app.oneshot(req).await.unwrap().status(), 200);
/// # }
/// # #[cfg(not(feature = "axum"))]
/// # fn main() {}
/// ```
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
    /// `https` (or `wss`) rather than `http` (or `ws`).
    secure: bool,
    /// The base URL after `scheme://`, without a trailing `/`.
    rest: String,
}

impl fmt::Debug for Signer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Signer")
            .field("secret", &self.secret)
            .field("algorithm", &self.algorithm)
            .field("key_id", &self.key_id)
            .field("base_url", &self.base_url(false))
            .finish()
    }
}

impl Signer {
    /// Signs with an Auth Token (HMAC-SHA1) for the public `base_url`
    /// (`scheme://host[:port][/prefix]`, as the layer is configured).
    ///
    /// The scheme may be `https` or `http`, or `wss` or `ws` (the URL of a
    /// `<Stream>` or `<ConversationRelay>`): either way a WebSocket
    /// handshake is signed over `wss://` (`ws://`) and any other request
    /// over `https://` (`http://`), as the layer checks them.
    ///
    /// # Panics
    ///
    /// If `base_url` is not such a URL (the message says what is wrong, as
    /// the layer's `base_url` does): a typo here would only show as a `403`.
    #[track_caller]
    pub fn new(auth_token: impl Into<Secret>, base_url: impl Into<String>) -> Self {
        let base_url = base_url.into();
        // `wss`/`ws` are read as the `https`/`http` they pair with.
        let (scheme, rest) = base_url.split_once("://").unwrap_or(("", &base_url));
        let http_scheme = match scheme.to_ascii_lowercase().as_str() {
            "wss" => "https".to_owned(),
            "ws" => "http".to_owned(),
            other => other.to_owned(),
        };
        let parsed = format!("{http_scheme}://{rest}");
        let scheme = match parse_base_url(if scheme.is_empty() {
            &base_url
        } else {
            &parsed
        }) {
            Ok((scheme, _, _)) => scheme,
            Err(e) => panic!("{e}"),
        };
        Self {
            secret: auth_token.into(),
            algorithm: Algorithm::HmacSha1,
            key_id: None,
            secure: scheme == "https",
            rest: rest.trim_end_matches('/').to_owned(),
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

    /// The base URL in the scheme of a WebSocket handshake (`wss`, `ws`)
    /// or of any other request (`https`, `http`).
    fn base_url(&self, websocket: bool) -> String {
        let scheme = match (websocket, self.secure) {
            (true, true) => "wss",
            (true, false) => "ws",
            (false, true) => "https",
            (false, false) => "http",
        };
        format!("{scheme}://{}", self.rest)
    }

    /// The public URL of a request to `uri` (not a WebSocket handshake):
    /// the base URL, in `https` or `http`, followed by its path and query.
    pub fn url_for(&self, uri: &Uri) -> String {
        format!("{}{}", self.base_url(false), path_and_query(uri))
    }

    /// The public `wss://` (or `ws://`) URL of a WebSocket route at
    /// `path_and_query`: what to put in `<Stream url>` or
    /// `<ConversationRelay url>`, and what Twilio signs its handshake over.
    pub fn websocket_url(&self, path_and_query: &str) -> String {
        format!("{}{}", self.base_url(true), path_and_query)
    }

    /// A signed form POST of `fields` to `path_and_query`, as Twilio sends
    /// a webhook (see [`payload::examples`](crate::payload::examples)).
    ///
    /// # Panics
    ///
    /// If `path_and_query` is not a valid request target.
    #[track_caller]
    pub fn form_request<'a>(
        &self,
        path_and_query: &str,
        fields: impl IntoIterator<Item = &'a (&'a str, &'a str)>,
    ) -> Request<String> {
        let body = form_urlencoded::Serializer::new(String::new())
            .extend_pairs(fields)
            .finish();
        let mut req = Request::builder()
            .method(Method::POST)
            .uri(path_and_query)
            .header(CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body(body)
            .expect("a request target");
        self.sign(&mut req);
        req
    }

    /// A signed POST of the JSON `body` to `path_and_query`, with
    /// `bodySHA256` in its query as Twilio sends a JSON webhook.
    ///
    /// # Panics
    ///
    /// If `path_and_query` is not a valid request target.
    #[track_caller]
    pub fn json_request(&self, path_and_query: &str, body: impl Into<String>) -> Request<String> {
        let mut req = Request::builder()
            .method(Method::POST)
            .uri(path_and_query)
            .header(CONTENT_TYPE, "application/json")
            .body(body.into())
            .expect("a request target");
        self.sign(&mut req);
        req
    }

    /// A signed WebSocket handshake (HTTP/1.1 `GET` with `Upgrade:
    /// websocket`) to `path_and_query`, signed over its `wss://` URL as
    /// Twilio opens a Media Stream or a ConversationRelay session. A client
    /// such as tokio-tungstenite can send it as is.
    ///
    /// # Panics
    ///
    /// If `path_and_query` is not a valid request target.
    #[track_caller]
    pub fn websocket_request(&self, path_and_query: &str) -> Request<String> {
        let mut req = Request::builder()
            .method(Method::GET)
            .uri(path_and_query)
            .header(CONNECTION, "upgrade")
            .header(UPGRADE, "websocket")
            .header("sec-websocket-version", "13")
            .header("sec-websocket-key", "dGhlIHNhbXBsZSBub25jZQ==")
            .body(String::new())
            .expect("a request target");
        self.sign(&mut req);
        req
    }

    /// Adds `X-Twilio-Signature` (and the settings header for a shared key).
    pub fn sign<B: AsRef<[u8]>>(&self, req: &mut Request<B>) {
        let websocket = req.headers().get_all(UPGRADE).iter().any(|v| {
            v.to_str().is_ok_and(|v| {
                v.split(',')
                    .any(|p| p.trim().eq_ignore_ascii_case("websocket"))
            })
        });
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
        let url = format!("{}{}", self.base_url(websocket), path_and_query(req.uri()));
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

/// The public `wss://` URL of a WebSocket route, from the `https://` base
/// URL the layer is configured with (`http` gives `ws`; a `wss` or `ws`
/// base is kept): what to write in `<Stream url>` or
/// `<ConversationRelay url>`, and the URL Twilio signs the handshake over.
///
/// ```
/// use tower_twilio::websocket_url;
///
/// assert_eq!(
///     websocket_url("https://example.com/app/", "/media-stream"),
///     "wss://example.com/app/media-stream"
/// );
/// assert_eq!(websocket_url("http://127.0.0.1:3003", "/relay"), "ws://127.0.0.1:3003/relay");
/// ```
pub fn websocket_url(base_url: &str, path_and_query: &str) -> String {
    let base_url = base_url.trim_end_matches('/');
    let (scheme, rest) = base_url.split_once("://").unwrap_or(("https", base_url));
    let scheme = if scheme.eq_ignore_ascii_case("http") || scheme.eq_ignore_ascii_case("ws") {
        "ws"
    } else {
        "wss"
    };
    format!("{scheme}://{rest}{path_and_query}")
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

    #[test]
    #[should_panic(expected = "must have the scheme http or https")]
    fn a_base_url_of_another_scheme_panics() {
        let _ = Signer::new("token", "ftp://hooks.example.com");
    }

    #[test]
    fn a_wss_base_url_is_the_https_one_for_requests_and_wss_for_handshakes() {
        let signer = Signer::new("token", "wss://hooks.example.com/p/");
        assert_eq!(
            signer.url_for(&"/a?b=c".parse().unwrap()),
            "https://hooks.example.com/p/a?b=c"
        );
        assert_eq!(signer.websocket_url("/s"), "wss://hooks.example.com/p/s");
        let signer = Signer::new("token", "http://localhost:3000");
        assert_eq!(signer.websocket_url("/s"), "ws://localhost:3000/s");
    }

    #[test]
    fn a_handshake_is_signed_over_its_wss_url() {
        let signer = Signer::new("12345", "https://mycompany.com");
        let req = signer.websocket_request("/media-stream");
        let expected = compute_signature(
            b"12345",
            Algorithm::HmacSha1,
            "wss://mycompany.com/media-stream",
            &[] as &[(String, String)],
        );
        assert_eq!(req.headers()[X_TWILIO_SIGNATURE], expected.as_str());
    }
}
