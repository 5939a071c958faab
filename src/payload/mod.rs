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
//! [`TwilioForm<T>`](crate::TwilioForm) or through
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

pub mod examples;
mod json;
pub mod relay;
pub mod stream;

use std::collections::BTreeMap;
use std::fmt;
use std::str::FromStr;

use serde::de::{self, Deserialize, DeserializeOwned, Deserializer};

/// Deserializes `T` from decoded form fields (name, value), as
/// [`TwilioForm`](crate::TwilioForm) and
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
pub fn from_fields<'a, T: DeserializeOwned>(
    fields: impl IntoIterator<Item = (&'a str, &'a str)>,
) -> Result<T, serde::de::value::Error> {
    crate::core::form::from_pairs(fields)
}

/// The fields of one request, taken by name as a payload is built; what
/// is left is the payload's `extra`.
struct Fields(BTreeMap<String, String>);

impl Fields {
    fn read<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        BTreeMap::<String, String>::deserialize(deserializer).map(Fields)
    }

    fn required<E: de::Error>(&mut self, name: &'static str) -> Result<String, E> {
        self.0.remove(name).ok_or_else(|| E::missing_field(name))
    }

    fn optional(&mut self, name: &str) -> Option<String> {
        self.0.remove(name)
    }

    /// `None` when absent or empty: for a field whose empty value means
    /// "not there" (a URL, a time).
    fn optional_text(&mut self, name: &str) -> Option<String> {
        self.optional(name).filter(|v| !v.is_empty())
    }

    fn required_number<T: Number, E: de::Error>(&mut self, name: &'static str) -> Result<T, E> {
        let value = self.required::<E>(name)?;
        parse(name, &value)
    }

    /// `None` when absent or empty.
    fn optional_number<T: Number, E: de::Error>(&mut self, name: &str) -> Result<Option<T>, E> {
        match self.optional(name) {
            Some(value) if !value.is_empty() => parse(name, &value).map(Some),
            _ => Ok(None),
        }
    }

    /// `Forwarded=true`: `None` when absent or empty.
    fn optional_bool<E: de::Error>(&mut self, name: &str) -> Result<Option<bool>, E> {
        match self.optional(name).as_deref() {
            None | Some("") => Ok(None),
            Some("true") => Ok(Some(true)),
            Some("false") => Ok(Some(false)),
            Some(_) => Err(E::custom(format_args!(
                "field `{name}`: expected true or false"
            ))),
        }
    }
}

/// A number Twilio sends as text, and how the error names it.
trait Number: FromStr {
    const EXPECTED: &'static str;
}

impl Number for u32 {
    const EXPECTED: &'static str = "an unsigned integer";
}

impl Number for f64 {
    const EXPECTED: &'static str = "a number";
}

fn parse<T: Number, E: de::Error>(name: &str, value: &str) -> Result<T, E> {
    value
        .parse()
        .map_err(|_| E::custom(format_args!("field `{name}`: expected {}", T::EXPECTED)))
}

/// An enum of the values Twilio documents, with `Other` for the rest.
macro_rules! twilio_enum {
    (
        $(#[$meta:meta])*
        pub enum $name:ident { $($(#[$vmeta:meta])* $variant:ident = $text:literal,)* }
    ) => {
        $(#[$meta])*
        #[derive(Clone, Debug, PartialEq, Eq, Hash)]
        #[non_exhaustive]
        pub enum $name {
            $($(#[$vmeta])* $variant,)*
            /// A value Twilio's documentation did not list when this
            /// version was written, as sent.
            Other(String),
        }

        impl $name {
            /// The value as Twilio sends it.
            pub fn as_str(&self) -> &str {
                match self {
                    $(Self::$variant => $text,)*
                    Self::Other(other) => other,
                }
            }
        }

        impl From<&str> for $name {
            fn from(value: &str) -> Self {
                match value {
                    $($text => Self::$variant,)*
                    other => Self::Other(other.to_owned()),
                }
            }
        }

        impl FromStr for $name {
            type Err = std::convert::Infallible;

            fn from_str(value: &str) -> Result<Self, Self::Err> {
                Ok(Self::from(value))
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                let value = String::deserialize(deserializer)?;
                Ok(Self::from(value.as_str()))
            }
        }
    };
}

twilio_enum! {
    /// `CallStatus`: where a call is, as the
    /// [voice webhooks](https://www.twilio.com/docs/usage/webhooks/voice-webhooks)
    /// page lists it.
    pub enum CallStatus {
        /// `queued`: the call is ready and waiting in line.
        Queued = "queued",
        /// `initiated`: Twilio started dialing the call (sent to a status
        /// callback subscribed to the `initiated` event, as the
        /// [Call resource](https://www.twilio.com/docs/voice/api/call-resource#statuscallbackevent)
        /// lists it).
        Initiated = "initiated",
        /// `ringing`: the call is ringing.
        Ringing = "ringing",
        /// `in-progress`: the call was answered and is under way.
        InProgress = "in-progress",
        /// `completed`: the call was answered and has ended normally.
        Completed = "completed",
        /// `busy`: the caller received a busy signal.
        Busy = "busy",
        /// `failed`: the call could not be completed as dialed.
        Failed = "failed",
        /// `no-answer`: the call ended without being answered.
        NoAnswer = "no-answer",
        /// `canceled`: the call was canceled while queued or ringing.
        Canceled = "canceled",
    }
}

twilio_enum! {
    /// `Direction`: which way a call goes, as the
    /// [voice webhooks](https://www.twilio.com/docs/usage/webhooks/voice-webhooks)
    /// page lists it.
    pub enum Direction {
        /// `inbound`: a call to one of your numbers.
        Inbound = "inbound",
        /// `outbound-api`: a call made through the REST API.
        OutboundApi = "outbound-api",
        /// `outbound-dial`: a call made by `<Dial>`.
        OutboundDial = "outbound-dial",
        /// `trunking-originating`: a call from an Elastic SIP Trunk to the
        /// public network.
        TrunkingOriginating = "trunking-originating",
        /// `trunking-terminating`: a call from the public network to an
        /// Elastic SIP Trunk.
        TrunkingTerminating = "trunking-terminating",
    }
}

twilio_enum! {
    /// `MessageStatus`: where a message is, as the
    /// [Message resource](https://www.twilio.com/docs/messaging/api/message-resource#message-status-values)
    /// lists its status values.
    pub enum MessageStatus {
        /// `queued`
        Queued = "queued",
        /// `sending`
        Sending = "sending",
        /// `sent`
        Sent = "sent",
        /// `failed`
        Failed = "failed",
        /// `delivered`
        Delivered = "delivered",
        /// `undelivered`
        Undelivered = "undelivered",
        /// `receiving`
        Receiving = "receiving",
        /// `received`
        Received = "received",
        /// `accepted`
        Accepted = "accepted",
        /// `scheduled`
        Scheduled = "scheduled",
        /// `read`
        Read = "read",
        /// `partially_delivered`
        PartiallyDelivered = "partially_delivered",
        /// `canceled`
        Canceled = "canceled",
    }
}

twilio_enum! {
    /// `RecordingStatus`: where a recording is, as the
    /// [`<Record>`](https://www.twilio.com/docs/voice/twiml/record) page
    /// lists its `recordingStatusCallbackEvent` values.
    pub enum RecordingStatus {
        /// `in-progress`: the recording has started.
        InProgress = "in-progress",
        /// `completed`: the recording is ready to fetch.
        Completed = "completed",
        /// `absent`: the recording was silent, and is not kept.
        Absent = "absent",
        /// `failed`: the recording could not be made.
        Failed = "failed",
    }
}

/// The request of an incoming call, and the parameters of every voice
/// request: as the
/// [voice webhooks](https://www.twilio.com/docs/usage/webhooks/voice-webhooks)
/// page lists them ("Incoming Voice Call").
///
/// Required are the parameters that page says Twilio sends with every
/// voice request (`CallSid`, `AccountSid`, `From`, `To`, `CallStatus`,
/// `ApiVersion`, `Direction`); the
/// [Call resource](https://www.twilio.com/docs/voice/api/call-resource#statuscallback)'s
/// StatusCallback table lists the same set. Every other field is optional.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub struct VoiceRequest {
    /// `CallSid`: this call's id.
    pub call_sid: String,
    /// `AccountSid`: the account, `AC...`.
    pub account_sid: String,
    /// `From`: the caller: an E.164 number, `client:...` or a SIP URI.
    pub from: String,
    /// `To`: the called party, in the same forms.
    pub to: String,
    /// `CallStatus`.
    pub call_status: CallStatus,
    /// `ApiVersion`: the API version of the call, `2010-04-01`.
    pub api_version: String,
    /// `Direction`.
    pub direction: Direction,
    /// `ForwardedFrom`: the number that forwarded the call, when the carrier
    /// says.
    pub forwarded_from: Option<String>,
    /// `CallerName`: the caller's name, with caller name lookup on.
    pub caller_name: Option<String>,
    /// `ParentCallSid`: the call that created this one (a `<Dial>` leg).
    pub parent_call_sid: Option<String>,
    /// `CallToken`: a token to forward this call's caller id with a new call.
    pub call_token: Option<String>,
    /// `FromCity`, from the caller's number when known.
    pub from_city: Option<String>,
    /// `FromState`.
    pub from_state: Option<String>,
    /// `FromZip`.
    pub from_zip: Option<String>,
    /// `FromCountry`.
    pub from_country: Option<String>,
    /// `ToCity`, from the called number when known.
    pub to_city: Option<String>,
    /// `ToState`.
    pub to_state: Option<String>,
    /// `ToZip`.
    pub to_zip: Option<String>,
    /// `ToCountry`.
    pub to_country: Option<String>,
    /// `Caller`: the same as `From`, kept for older applications.
    pub caller: Option<String>,
    /// `Called`: the same as `To`, kept for older applications.
    pub called: Option<String>,
    /// `StirVerstat`: the SHAKEN/STIR attestation of the caller id, such as
    /// `TN-Validation-Passed-A`, when the carrier sent one.
    pub stir_verstat: Option<String>,
    /// Every other field (custom parameters, ...), by name: its first
    /// value.
    pub extra: BTreeMap<String, String>,
}

impl VoiceRequest {
    /// Takes the voice parameters from `fields`; the rest becomes `extra`.
    fn take<E: de::Error>(mut fields: Fields) -> Result<Self, E> {
        Ok(Self {
            call_sid: fields.required("CallSid")?,
            account_sid: fields.required("AccountSid")?,
            from: fields.required("From")?,
            to: fields.required("To")?,
            call_status: CallStatus::from(fields.required::<E>("CallStatus")?.as_str()),
            api_version: fields.required("ApiVersion")?,
            direction: Direction::from(fields.required::<E>("Direction")?.as_str()),
            forwarded_from: fields.optional("ForwardedFrom"),
            caller_name: fields.optional("CallerName"),
            parent_call_sid: fields.optional("ParentCallSid"),
            call_token: fields.optional("CallToken"),
            from_city: fields.optional("FromCity"),
            from_state: fields.optional("FromState"),
            from_zip: fields.optional("FromZip"),
            from_country: fields.optional("FromCountry"),
            to_city: fields.optional("ToCity"),
            to_state: fields.optional("ToState"),
            to_zip: fields.optional("ToZip"),
            to_country: fields.optional("ToCountry"),
            caller: fields.optional("Caller"),
            called: fields.optional("Called"),
            stir_verstat: fields.optional("StirVerstat"),
            extra: fields.0,
        })
    }
}

impl<'de> Deserialize<'de> for VoiceRequest {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        Self::take(Fields::read(deserializer)?)
    }
}

/// A call's status callback (`statusCallback`): the voice parameters plus
/// those the
/// [Call resource](https://www.twilio.com/docs/voice/api/call-resource#statuscallback)
/// lists in its StatusCallback section and the
/// [voice webhooks](https://www.twilio.com/docs/usage/webhooks/voice-webhooks)
/// page under "Call Status Callbacks". None of these is promised on every
/// event (`CallDuration` comes once the call ended, the recording fields
/// only for a recorded call), so each is optional; an empty number is
/// `None`.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub struct CallStatusCallback {
    /// The voice parameters (`CallSid`, `CallStatus`, `Caller`, `Called`,
    /// ...); the fields of no typed field are in `call.extra`.
    pub call: VoiceRequest,
    /// `CallDuration`: the call's duration in seconds, once completed.
    pub call_duration: Option<u32>,
    /// `Duration`: the call's duration as Twilio sends it beside
    /// `CallDuration` on a completed call's callback, as a whole number.
    pub duration: Option<u32>,
    /// `SipResponseCode`: the SIP response of the call's last attempt
    /// (`200`, `487`, ...), for calls that reached a SIP or PSTN endpoint.
    pub sip_response_code: Option<u32>,
    /// `StirStatus`: the SHAKEN/STIR attestation Twilio gave an outgoing
    /// call (`A`, `B`, `C`), as sent.
    pub stir_status: Option<String>,
    /// `AnsweredBy`: with answering machine detection, who answered
    /// (`human`, `machine_start`, ...), as sent.
    pub answered_by: Option<String>,
    /// `RecordingUrl`: the call's recording, when it was recorded.
    pub recording_url: Option<String>,
    /// `RecordingSid`.
    pub recording_sid: Option<String>,
    /// `RecordingDuration`: in seconds.
    pub recording_duration: Option<u32>,
    /// `CallbackSource`: `call-progress-events`.
    pub callback_source: Option<String>,
    /// `Timestamp`: when the event happened (RFC 2822), as sent.
    pub timestamp: Option<String>,
    /// `SequenceNumber`: the order of the events, from 0.
    pub sequence_number: Option<u32>,
}

impl<'de> Deserialize<'de> for CallStatusCallback {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let mut fields = Fields::read(deserializer)?;
        Ok(Self {
            call_duration: fields.optional_number("CallDuration")?,
            duration: fields.optional_number("Duration")?,
            sip_response_code: fields.optional_number("SipResponseCode")?,
            stir_status: fields.optional("StirStatus"),
            answered_by: fields.optional("AnsweredBy"),
            recording_url: fields.optional("RecordingUrl"),
            recording_sid: fields.optional("RecordingSid"),
            recording_duration: fields.optional_number("RecordingDuration")?,
            callback_source: fields.optional("CallbackSource"),
            timestamp: fields.optional("Timestamp"),
            sequence_number: fields.optional_number("SequenceNumber")?,
            call: VoiceRequest::take(fields)?,
        })
    }
}

/// The request to a `<Gather>`'s `action`: the voice parameters plus what
/// the caller entered, as the
/// [`<Gather>`](https://www.twilio.com/docs/voice/twiml/gather) page lists it
/// ("action"). `Digits` comes with `input="dtmf"`, `SpeechResult` and
/// `Confidence` with `input="speech"`; each may be absent.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub struct GatherResult {
    /// The voice parameters; the fields of no typed field are in
    /// `call.extra`.
    pub call: VoiceRequest,
    /// `Digits`: the keys pressed, without the `finishOnKey`.
    pub digits: Option<String>,
    /// `SpeechResult`: the transcribed speech.
    pub speech_result: Option<String>,
    /// `Confidence`: from 0.0 to 1.0, how sure the transcription is.
    pub confidence: Option<f64>,
}

impl<'de> Deserialize<'de> for GatherResult {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let mut fields = Fields::read(deserializer)?;
        Ok(Self {
            digits: fields.optional("Digits"),
            speech_result: fields.optional("SpeechResult"),
            confidence: fields.optional_number("Confidence")?,
            call: VoiceRequest::take(fields)?,
        })
    }
}

/// The request to a `<Record>`'s `action`: the voice parameters plus the
/// recording, as the [`<Record>`](https://www.twilio.com/docs/voice/twiml/record)
/// page lists it ("action"): `RecordingUrl`, `RecordingDuration` and
/// `Digits` (`hangup` when the caller hung up). That page promises no
/// `RecordingSid`, so it is optional here; `RecordingUrl` is the one field
/// it describes on every action request. `RecordingDuration` is optional
/// as a number: empty is `None`.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub struct RecordResult {
    /// The voice parameters; the fields of no typed field are in
    /// `call.extra`.
    pub call: VoiceRequest,
    /// `RecordingUrl`: the recorded audio.
    pub recording_url: String,
    /// `RecordingDuration`: in seconds.
    pub recording_duration: Option<u32>,
    /// `Digits`: the key that ended the recording, or `hangup`.
    pub digits: Option<String>,
    /// `RecordingSid`: the recording's id, when sent (the `<Record>` page
    /// does not list it).
    pub recording_sid: Option<String>,
}

impl<'de> Deserialize<'de> for RecordResult {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let mut fields = Fields::read(deserializer)?;
        Ok(Self {
            recording_url: fields.required("RecordingUrl")?,
            recording_duration: fields.optional_number("RecordingDuration")?,
            digits: fields.optional("Digits"),
            recording_sid: fields.optional("RecordingSid"),
            call: VoiceRequest::take(fields)?,
        })
    }
}

/// A recording's status callback (`recordingStatusCallback` of
/// [`<Record>`](https://www.twilio.com/docs/voice/twiml/record) and of
/// [`<Start><Recording>`](https://www.twilio.com/docs/voice/twiml/recording),
/// whose page lists the parameters). It carries no voice parameters.
///
/// Required are `AccountSid`, `RecordingSid` and `RecordingStatus`, which
/// every event names. `CallSid` is optional: a conference's recording
/// names a `ConferenceSid` instead. With `absent` (a silent recording)
/// `RecordingUrl` and `RecordingDuration` may be empty: both are optional,
/// empty is `None`.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub struct RecordingStatusCallback {
    /// `AccountSid`.
    pub account_sid: String,
    /// `RecordingSid`: the recording's id, `RE...`.
    pub recording_sid: String,
    /// `RecordingStatus`.
    pub recording_status: RecordingStatus,
    /// `CallSid`: the call recorded (the parent leg of a two-leg call).
    pub call_sid: Option<String>,
    /// `ConferenceSid`: the conference recorded.
    pub conference_sid: Option<String>,
    /// `RecordingUrl`: the recorded audio.
    pub recording_url: Option<String>,
    /// `RecordingDuration`: in seconds.
    pub recording_duration: Option<u32>,
    /// `RecordingChannels`: `1` or `2`.
    pub recording_channels: Option<u32>,
    /// `RecordingStartTime`: when it started (RFC 2822), as sent.
    pub recording_start_time: Option<String>,
    /// `RecordingSource`: what started it (`RecordVerb`,
    /// `StartCallRecordingTwiML`, `DialVerb`, ...), as sent.
    pub recording_source: Option<String>,
    /// `RecordingTrack`: `inbound`, `outbound` or `both`, as sent.
    pub recording_track: Option<String>,
    /// `ErrorCode`: with `failed` or `absent`, Twilio's error code.
    pub error_code: Option<u32>,
    /// Every other field, by name: its first value.
    pub extra: BTreeMap<String, String>,
}

impl<'de> Deserialize<'de> for RecordingStatusCallback {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let mut fields = Fields::read(deserializer)?;
        Ok(Self {
            account_sid: fields.required("AccountSid")?,
            recording_sid: fields.required("RecordingSid")?,
            recording_status: RecordingStatus::from(
                fields.required::<D::Error>("RecordingStatus")?.as_str(),
            ),
            call_sid: fields.optional("CallSid"),
            conference_sid: fields.optional("ConferenceSid"),
            recording_url: fields.optional_text("RecordingUrl"),
            recording_duration: fields.optional_number("RecordingDuration")?,
            recording_channels: fields.optional_number("RecordingChannels")?,
            recording_start_time: fields.optional_text("RecordingStartTime"),
            recording_source: fields.optional_text("RecordingSource"),
            recording_track: fields.optional_text("RecordingTrack"),
            error_code: fields.optional_number("ErrorCode")?,
            extra: fields.0,
        })
    }
}

/// One media item of an MMS or WhatsApp message: `MediaUrl{N}` and
/// `MediaContentType{N}`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Media {
    /// `MediaUrl{N}`: where to fetch it (Twilio may require your
    /// credentials).
    pub url: String,
    /// `MediaContentType{N}`: its MIME type, such as `image/jpeg`.
    pub content_type: String,
}

/// The request of an incoming message (SMS, MMS, WhatsApp), as the
/// [incoming message webhook](https://www.twilio.com/docs/messaging/guides/webhook-request)
/// page lists it.
///
/// Required are the fields that page lists as sent with every incoming
/// message and that its example request carries: `MessageSid`,
/// `AccountSid`, `From`, `To`, `Body` (empty for a picture alone) and
/// `NumMedia`. The WhatsApp fields (`ProfileName`, `WaId`, the button, the
/// location and the `Referral*` fields of a click-to-WhatsApp ad) come
/// only on that channel: all optional, an empty number is `None`.
///
/// `NumMedia` and the media fields must agree: `media` holds
/// `MediaUrl0`/`MediaContentType0` to `MediaUrl{NumMedia-1}`, in order. A
/// request that lacks one of them, or has one past `NumMedia`, does not
/// deserialize (a `422` from `TwilioForm`): the list is never guessed.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub struct MessageRequest {
    /// `MessageSid`: the message's id, `SM...` or `MM...`.
    pub message_sid: String,
    /// `AccountSid`.
    pub account_sid: String,
    /// `MessagingServiceSid`: when the number belongs to a Messaging Service.
    pub messaging_service_sid: Option<String>,
    /// `From`: the sender (`+1...`, `whatsapp:+1...`, ...).
    pub from: String,
    /// `To`: your number or channel address.
    pub to: String,
    /// `Body`: the text, up to 1600 characters; may be empty.
    pub body: String,
    /// `NumMedia`: how many media items came (the length of `media`).
    pub num_media: u32,
    /// `NumSegments`: how many segments the message came in.
    pub num_segments: Option<u32>,
    /// The media items, from `MediaUrl{N}` and `MediaContentType{N}`.
    pub media: Vec<Media>,
    /// `SmsSid`: the same as `MessageSid` (deprecated).
    pub sms_sid: Option<String>,
    /// `ApiVersion`.
    pub api_version: Option<String>,
    /// `FromCity`, from the sender's number when known.
    pub from_city: Option<String>,
    /// `FromState`.
    pub from_state: Option<String>,
    /// `FromZip`.
    pub from_zip: Option<String>,
    /// `FromCountry`.
    pub from_country: Option<String>,
    /// `ToCity`.
    pub to_city: Option<String>,
    /// `ToState`.
    pub to_state: Option<String>,
    /// `ToZip`.
    pub to_zip: Option<String>,
    /// `ToCountry`.
    pub to_country: Option<String>,
    /// `ProfileName` (WhatsApp): the sender's profile name.
    pub profile_name: Option<String>,
    /// `WaId` (WhatsApp): the sender's WhatsApp id, a number without `+`.
    pub wa_id: Option<String>,
    /// `Forwarded` (WhatsApp): the message was forwarded once.
    pub forwarded: Option<bool>,
    /// `FrequentlyForwarded` (WhatsApp): forwarded many times.
    pub frequently_forwarded: Option<bool>,
    /// `ButtonText` (WhatsApp): the text of the quick-reply button pressed.
    pub button_text: Option<String>,
    /// `ButtonPayload` (WhatsApp): the payload of the button pressed.
    pub button_payload: Option<String>,
    /// `Latitude` (WhatsApp location).
    pub latitude: Option<f64>,
    /// `Longitude` (WhatsApp location).
    pub longitude: Option<f64>,
    /// `Address` (WhatsApp location).
    pub address: Option<String>,
    /// `Label` (WhatsApp location).
    pub label: Option<String>,
    /// `SmsMessageSid`: the same as `MessageSid` (deprecated).
    pub sms_message_sid: Option<String>,
    /// `SmsStatus`: `received`, as sent (deprecated).
    pub sms_status: Option<String>,
    /// `ReferralBody` (WhatsApp, from a click-to-WhatsApp ad): the ad's
    /// body.
    pub referral_body: Option<String>,
    /// `ReferralHeadline`: the ad's headline.
    pub referral_headline: Option<String>,
    /// `ReferralSourceId`: the ad's id.
    pub referral_source_id: Option<String>,
    /// `ReferralSourceType`: `ad` or `post`, as sent.
    pub referral_source_type: Option<String>,
    /// `ReferralSourceUrl`: the ad's URL.
    pub referral_source_url: Option<String>,
    /// `ReferralMediaId`: the ad's media id.
    pub referral_media_id: Option<String>,
    /// `ReferralMediaContentType`: the ad's media type.
    pub referral_media_content_type: Option<String>,
    /// `ReferralMediaUrl`: the ad's media.
    pub referral_media_url: Option<String>,
    /// `ReferralNumMedia`: how many media the ad had.
    pub referral_num_media: Option<u32>,
    /// `ReferralCtwaClid`: the click id of the ad.
    pub referral_ctwa_clid: Option<String>,
    /// Every other field, by name: its first value.
    pub extra: BTreeMap<String, String>,
}

impl<'de> Deserialize<'de> for MessageRequest {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let mut fields = Fields::read(deserializer)?;
        let num_media = fields.required_number("NumMedia")?;
        Ok(Self {
            message_sid: fields.required("MessageSid")?,
            account_sid: fields.required("AccountSid")?,
            messaging_service_sid: fields.optional("MessagingServiceSid"),
            from: fields.required("From")?,
            to: fields.required("To")?,
            body: fields.required("Body")?,
            num_media,
            num_segments: fields.optional_number("NumSegments")?,
            media: take_media(&mut fields, num_media)?,
            sms_sid: fields.optional("SmsSid"),
            api_version: fields.optional("ApiVersion"),
            from_city: fields.optional("FromCity"),
            from_state: fields.optional("FromState"),
            from_zip: fields.optional("FromZip"),
            from_country: fields.optional("FromCountry"),
            to_city: fields.optional("ToCity"),
            to_state: fields.optional("ToState"),
            to_zip: fields.optional("ToZip"),
            to_country: fields.optional("ToCountry"),
            profile_name: fields.optional("ProfileName"),
            wa_id: fields.optional("WaId"),
            forwarded: fields.optional_bool("Forwarded")?,
            frequently_forwarded: fields.optional_bool("FrequentlyForwarded")?,
            button_text: fields.optional("ButtonText"),
            button_payload: fields.optional("ButtonPayload"),
            latitude: fields.optional_number("Latitude")?,
            longitude: fields.optional_number("Longitude")?,
            address: fields.optional("Address"),
            label: fields.optional("Label"),
            sms_message_sid: fields.optional("SmsMessageSid"),
            sms_status: fields.optional("SmsStatus"),
            referral_body: fields.optional("ReferralBody"),
            referral_headline: fields.optional("ReferralHeadline"),
            referral_source_id: fields.optional("ReferralSourceId"),
            referral_source_type: fields.optional("ReferralSourceType"),
            referral_source_url: fields.optional("ReferralSourceUrl"),
            referral_media_id: fields.optional("ReferralMediaId"),
            referral_media_content_type: fields.optional("ReferralMediaContentType"),
            referral_media_url: fields.optional("ReferralMediaUrl"),
            referral_num_media: fields.optional_number("ReferralNumMedia")?,
            referral_ctwa_clid: fields.optional("ReferralCtwaClid"),
            extra: fields.0,
        })
    }
}

/// `MediaUrl0..` and `MediaContentType0..`, exactly `num_media` of each.
fn take_media<E: de::Error>(fields: &mut Fields, num_media: u32) -> Result<Vec<Media>, E> {
    let is_media = |name: &str| {
        ["MediaUrl", "MediaContentType"].iter().any(|prefix| {
            name.strip_prefix(prefix)
                .is_some_and(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()))
        })
    };
    // Counted first, so that a huge NumMedia costs no more than the fields.
    let present = fields.0.keys().filter(|name| is_media(name)).count();
    if u64::from(num_media) * 2 != present as u64 {
        return Err(E::custom(format_args!(
            "NumMedia is {num_media} but the request has {present} MediaUrlN and \
             MediaContentTypeN fields (expected MediaUrl0..MediaUrl{{NumMedia-1}} and \
             MediaContentType0..MediaContentType{{NumMedia-1}})"
        )));
    }
    let mut media = Vec::with_capacity(present / 2);
    for i in 0..num_media {
        let mut take = |prefix: &str| {
            fields.0.remove(&format!("{prefix}{i}")).ok_or_else(|| {
                E::custom(format_args!(
                    "NumMedia is {num_media} but the request lacks {prefix}{i}"
                ))
            })
        };
        let url = take("MediaUrl")?;
        let content_type = take("MediaContentType")?;
        media.push(Media { url, content_type });
    }
    Ok(media)
}

/// A message's status callback (`StatusCallback`), as
/// [Track the Message Status of Outbound Messages](https://www.twilio.com/docs/messaging/guides/track-outbound-message-status)
/// lists it.
///
/// Required are `MessageSid`, `MessageStatus` and `AccountSid`: that
/// page's example request (`AccountSid`, `From`, `MessageSid`,
/// `MessageStatus`, `SmsSid`, `SmsStatus`) carries no `To`, and the page
/// promises no `From` either, so both are optional. The WhatsApp and
/// channel fields (`ChannelInstallSid`, `ChannelStatusMessage`,
/// `EventType`, ...) come on those channels only.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub struct MessageStatusCallback {
    /// `MessageSid`.
    pub message_sid: String,
    /// `MessageStatus`.
    pub message_status: MessageStatus,
    /// `AccountSid`.
    pub account_sid: String,
    /// `From`: the sender, when sent.
    pub from: Option<String>,
    /// `To`: the recipient, when sent.
    pub to: Option<String>,
    /// `ApiVersion`.
    pub api_version: Option<String>,
    /// `ErrorCode`: with `failed` or `undelivered`, Twilio's error code
    /// (such as 30003).
    pub error_code: Option<u32>,
    /// `ErrorMessage`: the error's description, when sent.
    pub error_message: Option<String>,
    /// `ChannelInstallSid`: the channel (WhatsApp sender, ...) installed.
    pub channel_install_sid: Option<String>,
    /// `ChannelStatusMessage`: the channel's own words on the status.
    pub channel_status_message: Option<String>,
    /// `ChannelPrefix`: the channel, such as `whatsapp`.
    pub channel_prefix: Option<String>,
    /// `EventType`: the channel's event (such as `READ` or `DELIVERED` on
    /// WhatsApp), as sent.
    pub event_type: Option<String>,
    /// `MessagingServiceSid`: when sent through a Messaging Service.
    pub messaging_service_sid: Option<String>,
    /// `SmsSid`: the same as `MessageSid` (deprecated).
    pub sms_sid: Option<String>,
    /// `SmsStatus`: the same as `MessageStatus` (deprecated), as sent.
    pub sms_status: Option<String>,
    /// `RawDlrDoneDate`: when the carrier reported delivery (`YYMMDDhhmm`),
    /// as sent.
    pub raw_dlr_done_date: Option<String>,
    /// Every other field, by name: its first value.
    pub extra: BTreeMap<String, String>,
}

impl<'de> Deserialize<'de> for MessageStatusCallback {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let mut fields = Fields::read(deserializer)?;
        Ok(Self {
            message_sid: fields.required("MessageSid")?,
            message_status: MessageStatus::from(
                fields.required::<D::Error>("MessageStatus")?.as_str(),
            ),
            account_sid: fields.required("AccountSid")?,
            from: fields.optional("From"),
            to: fields.optional("To"),
            api_version: fields.optional("ApiVersion"),
            error_code: fields.optional_number("ErrorCode")?,
            error_message: fields.optional_text("ErrorMessage"),
            channel_install_sid: fields.optional("ChannelInstallSid"),
            channel_status_message: fields.optional("ChannelStatusMessage"),
            channel_prefix: fields.optional("ChannelPrefix"),
            event_type: fields.optional("EventType"),
            messaging_service_sid: fields.optional("MessagingServiceSid"),
            sms_sid: fields.optional("SmsSid"),
            sms_status: fields.optional("SmsStatus"),
            raw_dlr_done_date: fields.optional("RawDlrDoneDate"),
            extra: fields.0,
        })
    }
}

#[cfg(test)]
mod tests {
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
