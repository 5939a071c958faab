//! Typed payloads of the webhooks Twilio sends most: an incoming call
//! ([`VoiceRequest`]), an incoming message ([`MessageRequest`]: SMS, MMS,
//! WhatsApp), the status callbacks of a call ([`CallStatusCallback`]) and of
//! a message ([`MessageStatusCallback`]) and of a recording
//! ([`RecordingStatusCallback`]), and the `action` requests of `<Gather>`
//! ([`GatherResult`]) and `<Record>` ([`RecordResult`]). Documented example
//! requests of each are in [`examples`], for tests.
//!
//! The JSON messages of the WebSocket sessions Twilio opens are in
//! [`stream`] (Media Streams) and [`relay`] (ConversationRelay).
//!
//! Each is read from the fields the layer validated, as
//! [`TwilioForm<T>`][TwilioForm] or through
//! [`ValidatedWebhook::deserialize`](crate::ValidatedWebhook::deserialize):
//!
//! ```
//! # #[cfg(feature = "axum")] {
//! use axum::{routing::post, Router};
//! use tower_twilio::payload::MessageRequest;
//! use tower_twilio::twiml::{escape, Twiml};
//! use tower_twilio::{TwilioForm, TwilioValidateLayer};
//!
//! async fn sms(TwilioForm(sms): TwilioForm<MessageRequest>) -> Twiml {
//!     Twiml::new(format!(
//!         "<Response><Message>{} sent {} picture(s)</Message></Response>",
//!         escape(&sms.from),
//!         sms.media.len()
//!     ))
//! }
//!
//! let app: Router = Router::new()
//!     .route("/sms", post(sms))
//!     .layer(TwilioValidateLayer::new("token"));
//! # }
//! ```
//!
//! The names and the presence of the fields are those of Twilio's
//! documentation, cited on each type:
//!
//! - a field Twilio always sends is a plain field: without it the payload
//!   does not deserialize (`TwilioForm` answers `422` naming the field);
//! - a field Twilio may omit is an `Option`; an optional number sent empty
//!   is `None`;
//! - numbers are parsed from their text (`NumMedia=2`, `Confidence=0.9`); a
//!   value that does not parse is refused, naming the field;
//! - a documented set of values is an enum whose `Other` variant keeps a
//!   value Twilio added since, so that a new status is never a `422`;
//! - every other field, such as one Twilio adds later, is kept in
//!   `extra` (by name, its first value), never refused.
//!
//! A field sent more than once counts by its first value, as in
//! [`ValidatedWebhook::get`](crate::ValidatedWebhook::get).
//!
//! The types are `#[non_exhaustive]`: the fields Twilio adds become typed
//! fields in later versions without breaking a match or a pattern. To make
//! one in a test, deserialize it with [`from_fields`].
//!
//! The `Deserialize` implementations are written out rather than derived, so
//! the crate needs no `serde_derive` (nor `syn`) for them: these types cost
//! nothing to build and are always present.
#![doc = ""]
#![cfg_attr(feature = "axum", doc = "[TwilioForm]: crate::TwilioForm")]
#![cfg_attr(
    not(feature = "axum"),
    doc = "[TwilioForm]: https://docs.rs/tower-twilio/latest/tower_twilio/struct.TwilioForm.html"
)]

pub mod examples;
mod form;
mod json;
mod messaging;
pub mod relay;
pub mod stream;
mod voice;

use serde::de::DeserializeOwned;

pub use messaging::{Media, MessageRequest, MessageStatus, MessageStatusCallback};
pub use voice::{
    CallStatus, CallStatusCallback, Direction, GatherResult, RecordResult, RecordingStatus,
    RecordingStatusCallback, VoiceRequest,
};

/// Deserializes `T` from decoded form fields (name, value), as
/// [`TwilioForm`][TwilioForm] and
/// [`ValidatedWebhook::deserialize`](crate::ValidatedWebhook::deserialize)
/// do; for building a payload in a test.
///
/// ```
/// use tower_twilio::payload::{from_fields, CallStatus, VoiceRequest};
///
/// let call: VoiceRequest = from_fields([
///     ("CallSid", "CA1234567890ABCDE"),
///     ("AccountSid", "AC1234567890ABCDE"),
///     ("From", "+14158675309"),
///     ("To", "+18005551212"),
///     ("CallStatus", "ringing"),
///     ("ApiVersion", "2010-04-01"),
///     ("Direction", "inbound"),
/// ])
/// .unwrap();
/// assert_eq!(call.call_status, CallStatus::Ringing);
/// ```
#[doc = ""]
#[cfg_attr(feature = "axum", doc = "[TwilioForm]: crate::TwilioForm")]
#[cfg_attr(
    not(feature = "axum"),
    doc = "[TwilioForm]: https://docs.rs/tower-twilio/latest/tower_twilio/struct.TwilioForm.html"
)]
pub fn from_fields<'a, T: DeserializeOwned>(
    fields: impl IntoIterator<Item = (&'a str, &'a str)>,
) -> Result<T, serde::de::value::Error> {
    crate::core::form::from_pairs(fields)
}
#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;

    fn voice_fields() -> Vec<(&'static str, &'static str)> {
        vec![
            ("CallSid", "CA1234567890ABCDE"),
            ("AccountSid", "AC1234567890ABCDE"),
            ("From", "+14158675309"),
            ("To", "+18005551212"),
            ("CallStatus", "ringing"),
            ("ApiVersion", "2010-04-01"),
            ("Direction", "inbound"),
        ]
    }

    fn sms_fields() -> Vec<(&'static str, &'static str)> {
        vec![
            ("MessageSid", "MM1234567890ABCDE"),
            ("AccountSid", "AC1234567890ABCDE"),
            ("From", "+14158675309"),
            ("To", "+18005551212"),
            ("Body", "look"),
        ]
    }

    fn with(
        mut base: Vec<(&'static str, &'static str)>,
        more: &[(&'static str, &'static str)],
    ) -> Vec<(&'static str, &'static str)> {
        base.extend_from_slice(more);
        base
    }

    #[test]
    fn mms_with_two_media_items_gives_both_in_order() {
        let sms: MessageRequest = from_fields(with(
            sms_fields(),
            &[
                ("NumMedia", "2"),
                ("MediaContentType1", "image/png"),
                ("MediaUrl1", "https://api.twilio.com/b"),
                ("MediaUrl0", "https://api.twilio.com/a"),
                ("MediaContentType0", "image/jpeg"),
            ],
        ))
        .unwrap();
        assert_eq!(sms.num_media, 2);
        assert_eq!(
            sms.media,
            [
                Media {
                    url: "https://api.twilio.com/a".into(),
                    content_type: "image/jpeg".into()
                },
                Media {
                    url: "https://api.twilio.com/b".into(),
                    content_type: "image/png".into()
                },
            ]
        );
        assert!(sms.extra.is_empty(), "{:?}", sms.extra);
    }

    #[test]
    fn num_media_above_the_media_fields_is_refused_naming_them() {
        let err = from_fields::<MessageRequest>(with(
            sms_fields(),
            &[
                ("NumMedia", "2"),
                ("MediaUrl0", "https://api.twilio.com/a"),
                ("MediaContentType0", "image/jpeg"),
            ],
        ))
        .unwrap_err();
        assert!(err.to_string().contains("NumMedia is 2"), "{err}");
        assert!(err.to_string().contains("MediaUrlN"), "{err}");
    }

    #[test]
    fn a_media_field_past_num_media_is_refused() {
        let err = from_fields::<MessageRequest>(with(
            sms_fields(),
            &[
                ("NumMedia", "0"),
                ("MediaUrl0", "https://api.twilio.com/a"),
                ("MediaContentType0", "image/jpeg"),
            ],
        ))
        .unwrap_err();
        assert!(err.to_string().contains("NumMedia is 0"), "{err}");
    }

    #[test]
    fn media_fields_out_of_sequence_are_refused_naming_the_missing_one() {
        let err = from_fields::<MessageRequest>(with(
            sms_fields(),
            &[
                ("NumMedia", "1"),
                ("MediaUrl1", "https://api.twilio.com/a"),
                ("MediaContentType0", "image/jpeg"),
            ],
        ))
        .unwrap_err();
        assert!(err.to_string().contains("lacks MediaUrl0"), "{err}");
    }

    #[test]
    fn a_huge_num_media_is_refused_without_looping_over_it() {
        let err = from_fields::<MessageRequest>(with(sms_fields(), &[("NumMedia", "4294967295")]))
            .unwrap_err();
        assert!(err.to_string().contains("NumMedia is 4294967295"), "{err}");
    }

    #[test]
    fn an_unknown_call_status_is_kept_in_other() {
        let mut fields = voice_fields();
        fields[4] = ("CallStatus", "teleporting");
        fields[6] = ("Direction", "sideways");
        let call: VoiceRequest = from_fields(fields).unwrap();
        assert_eq!(call.call_status, CallStatus::Other("teleporting".into()));
        assert_eq!(call.call_status.as_str(), "teleporting");
        assert_eq!(call.direction, Direction::Other("sideways".into()));
    }

    #[test]
    fn documented_values_are_their_variants_and_print_as_sent() {
        for (text, status) in [
            ("in-progress", CallStatus::InProgress),
            ("no-answer", CallStatus::NoAnswer),
            ("canceled", CallStatus::Canceled),
            ("initiated", CallStatus::Initiated),
        ] {
            assert_eq!(CallStatus::from(text), status);
            assert_eq!(status.to_string(), text);
        }
        assert_eq!(
            MessageStatus::from("partially_delivered"),
            MessageStatus::PartiallyDelivered
        );
        assert_eq!(Direction::from("outbound-dial"), Direction::OutboundDial);
        assert_eq!(
            Direction::from("trunking-originating"),
            Direction::TrunkingOriginating
        );
        assert_eq!(
            Direction::from("trunking-terminating"),
            Direction::TrunkingTerminating
        );
    }

    #[test]
    fn unknown_fields_are_kept_in_extra() {
        let call: VoiceRequest = from_fields(with(
            voice_fields(),
            &[
                ("Caller", "+14158675309"),
                ("FutureField", "x"),
                ("Source", "y"),
            ],
        ))
        .unwrap();
        assert_eq!(call.caller.as_deref(), Some("+14158675309"));
        assert_eq!(call.extra.len(), 2);
        assert_eq!(call.extra["FutureField"], "x");
        assert_eq!(call.forwarded_from, None);
    }

    #[test]
    fn a_missing_required_field_is_refused_naming_it() {
        let fields: Vec<_> = voice_fields()
            .into_iter()
            .filter(|(k, _)| *k != "AccountSid")
            .collect();
        let err = from_fields::<VoiceRequest>(fields).unwrap_err();
        assert_eq!(err.to_string(), "missing field `AccountSid`");
        let err = from_fields::<MessageRequest>(sms_fields()).unwrap_err();
        assert_eq!(err.to_string(), "missing field `NumMedia`");
    }

    #[test]
    fn a_number_that_does_not_parse_is_refused_naming_the_field() {
        let err = from_fields::<GatherResult>(with(voice_fields(), &[("Confidence", "high")]))
            .unwrap_err();
        assert_eq!(err.to_string(), "field `Confidence`: expected a number");
        let err =
            from_fields::<MessageRequest>(with(sms_fields(), &[("NumMedia", "-1")])).unwrap_err();
        assert_eq!(
            err.to_string(),
            "field `NumMedia`: expected an unsigned integer"
        );
    }

    #[test]
    fn an_empty_optional_number_is_none() {
        let status: CallStatusCallback =
            from_fields(with(voice_fields(), &[("CallDuration", "")])).unwrap();
        assert_eq!(status.call_duration, None);
    }

    #[test]
    fn a_field_sent_twice_counts_by_its_first_value() {
        let call: VoiceRequest =
            from_fields(with(voice_fields(), &[("CallStatus", "completed")])).unwrap();
        assert_eq!(call.call_status, CallStatus::Ringing);
    }

    #[test]
    fn callback_fields_are_taken_before_the_voice_extra() {
        let status: CallStatusCallback = from_fields(with(
            voice_fields(),
            &[
                ("CallDuration", "42"),
                ("SequenceNumber", "3"),
                ("CallbackSource", "call-progress-events"),
                ("AnsweredBy", "human"),
                ("QueueTime", "0"),
            ],
        ))
        .unwrap();
        assert_eq!(status.call_duration, Some(42));
        assert_eq!(status.sequence_number, Some(3));
        assert_eq!(status.answered_by.as_deref(), Some("human"));
        assert_eq!(
            status.call.extra,
            BTreeMap::from([("QueueTime".to_owned(), "0".to_owned())])
        );
    }

    #[test]
    fn whatsapp_flags_are_booleans_and_refuse_other_words() {
        let sms: MessageRequest = from_fields(with(
            sms_fields(),
            &[
                ("NumMedia", "0"),
                ("Forwarded", "true"),
                ("WaId", "14158675309"),
            ],
        ))
        .unwrap();
        assert_eq!(sms.forwarded, Some(true));
        assert_eq!(sms.frequently_forwarded, None);
        let err = from_fields::<MessageRequest>(with(
            sms_fields(),
            &[("NumMedia", "0"), ("Forwarded", "yes")],
        ))
        .unwrap_err();
        assert_eq!(err.to_string(), "field `Forwarded`: expected true or false");
    }
}
