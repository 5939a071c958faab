//! Answering Twilio: TwiML built from typed elements, sent as `text/xml`.
//!
//! Twilio reads an answer by its content type. A messaging webhook answered
//! with `text/plain` (what axum gives a `String` or `&str`) has that text
//! sent back as the reply, raw XML included; TwiML must be `text/xml`, which
//! [`Twiml`] is.
//!
//! [`voice`] and [`messaging`] type Twilio's TwiML vocabulary: each element
//! with the children Twilio allows in it and its attributes, named as Twilio
//! spells them and typed (integers, booleans, [`http::Method`], space-joined
//! lists, enums open with an `Other(String)`). They are generated from the
//! vocabulary as data (`twiml/vocabulary.json` in the repository, compiled
//! from Twilio's TwiML pages and checked against twilio-python and
//! twilio-node, which build the same documents in CI).
//!
//! ```
//! use tower_twilio::twiml::voice::{Connect, Gather, Parameter, Say, Stream, VoiceResponse};
//! use tower_twilio::twiml::Twiml;
//!
//! let menu: Twiml = VoiceResponse::new()
//!     .gather(
//!         Gather::new()
//!             .num_digits(1)
//!             .action("/menu?step=2&lang=en")
//!             .say(Say::new("Press 1 for <sales> & 2 for support.")),
//!     )
//!     .into();
//! assert_eq!(
//!     menu.as_str(),
//!     "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Response>\
//!      <Gather numDigits=\"1\" action=\"/menu?step=2&amp;lang=en\">\
//!      <Say>Press 1 for &lt;sales&gt; &amp; 2 for support.</Say></Gather></Response>"
//! );
//!
//! let stream: Twiml = VoiceResponse::new()
//!     .connect(
//!         Connect::new().stream(
//!             Stream::new()
//!                 .url("wss://example.com/media")
//!                 .parameter(Parameter::new().name("caller").value("+14158675309")),
//!         ),
//!     )
//!     .into();
//! assert!(stream.as_str().ends_with(
//!     "<Connect><Stream url=\"wss://example.com/media\">\
//!      <Parameter name=\"caller\" value=\"+14158675309\"/></Stream></Connect></Response>"
//! ));
//! ```
//!
//! # Always well-formed
//!
//! A built document opens with the XML declaration; text and attribute
//! values are escaped as they are written, by [`escape`]'s rules: the five
//! markup characters escaped, tab, newline and carriage return as character
//! references (an attribute keeps them), and the characters XML 1.0 forbids
//! (U+0000-U+0008, U+000B, U+000C, U+000E-U+001F, U+FFFE, U+FFFF) replaced
//! with U+FFFD. An attribute set twice is written once, with its last value.
//!
//! # Escape hatches
//!
//! For what Twilio adds before this crate does, every element takes any
//! attribute (`attr`), any child [`Element`] (`child`) and text (`text`).
//! Their names are checked: one that is not an XML name, or that has a
//! namespace prefix other than `xml:`, panics in `attr` and
//! [`Element::new`] (names are written in the program) and is an
//! [`InvalidName`] from [`Element::try_attr`] and [`Element::try_new`].
//! [`Twiml::new`] takes a document as it is: put text from callers into a
//! hand-written one with [`escape`].

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
    /// message; a call ends). With the XML declaration, as an empty
    /// `VoiceResponse` or `MessagingResponse` builds it, and as
    /// twilio-node's builder prints it.
    pub fn empty() -> Self {
        Self::from(voice::VoiceResponse::new())
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
    fn typed_elements_take_any_valid_attribute_and_refuse_an_invalid_name() {
        use voice::{Say, VoiceResponse};
        let say = Say::new("Hi").try_attr("futureAttribute", "a\tb").unwrap();
        assert_eq!(
            Twiml::from(VoiceResponse::new().say(say)).as_str(),
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\
             <Response><Say futureAttribute=\"a&#9;b\">Hi</Say></Response>"
        );
        for bad in ["a b", "x:y", "1a", "a\"=\"b"] {
            assert_eq!(Say::new("Hi").try_attr(bad, "v").unwrap_err().name(), bad);
        }
    }

    #[test]
    fn a_twiml_response_is_text_xml() {
        let res = http::Response::from(Twiml::new("<Response><Say>Hi</Say></Response>"));
        assert_eq!(res.status(), 200);
        assert_eq!(res.headers()[CONTENT_TYPE], "text/xml; charset=utf-8");
        assert_eq!(res.body(), "<Response><Say>Hi</Say></Response>");
        assert_eq!(
            Twiml::empty().as_str(),
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Response/>"
        );
        assert_eq!(
            Twiml::empty().as_str(),
            Twiml::from(messaging::MessagingResponse::new()).as_str()
        );
    }
}
