//! Answering Twilio: TwiML sent as `text/xml`, and text escaped for it.
//!
//! Twilio reads an answer by its content type. A messaging webhook answered
//! with `text/plain` (what axum gives a `String` or `&str`) has that text
//! sent back as the reply, raw XML included; TwiML must be `text/xml`.
//!
//! ```
//! use tower_twilio::twiml::{escape, Twiml};
//!
//! fn reply(from: &str) -> Twiml {
//!     Twiml::new(format!(
//!         "<Response><Message>Thanks, {}!</Message></Response>",
//!         escape(from)
//!     ))
//! }
//! assert_eq!(
//!     reply("<Ann & Bob>").as_str(),
//!     "<Response><Message>Thanks, &lt;Ann &amp; Bob&gt;!</Message></Response>"
//! );
//! ```

pub mod messaging;
pub mod voice;
mod xml;

pub use xml::{escape, Element, InvalidName};

use http::header::CONTENT_TYPE;
use http::HeaderValue;

/// A TwiML document, answered `200` with `Content-Type: text/xml;
/// charset=utf-8`: with the `axum` feature it is an `IntoResponse`, and
/// without it `http::Response::from(twiml)`.
///
/// Built from a [`voice::VoiceResponse`] or a
/// [`messaging::MessagingResponse`] it is well-formed by construction;
/// [`Twiml::new`] takes a document as it is (put text from callers in with
/// [`escape`]).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Twiml(String);

impl Twiml {
    /// The content type Twilio reads TwiML by.
    pub const CONTENT_TYPE: &'static str = "text/xml; charset=utf-8";

    /// The document `xml`, such as `<Response><Say>Hello</Say></Response>`.
    pub fn new(xml: impl Into<String>) -> Self {
        Self(xml.into())
    }

    /// An empty `<Response/>`: Twilio does nothing more (no reply to a
    /// message; a call ends).
    pub fn empty() -> Self {
        Self::new("<Response/>")
    }

    /// The document.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl From<Twiml> for http::Response<String> {
    fn from(twiml: Twiml) -> Self {
        let mut res = http::Response::new(twiml.0);
        res.headers_mut()
            .insert(CONTENT_TYPE, HeaderValue::from_static(Twiml::CONTENT_TYPE));
        res
    }
}

#[cfg(feature = "axum")]
impl axum::response::IntoResponse for Twiml {
    fn into_response(self) -> axum::response::Response {
        http::Response::from(self).map(axum::body::Body::from)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_twiml_response_is_text_xml() {
        let res = http::Response::from(Twiml::new("<Response><Say>Hi</Say></Response>"));
        assert_eq!(res.status(), 200);
        assert_eq!(res.headers()[CONTENT_TYPE], "text/xml; charset=utf-8");
        assert_eq!(res.body(), "<Response><Say>Hi</Say></Response>");
        assert_eq!(Twiml::empty().as_str(), "<Response/>");
    }
}
