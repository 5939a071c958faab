//! The voice webhooks: an incoming call and the parameters of every voice
//! request, a call's status callback, the `action` requests of `<Gather>`
//! and `<Record>`, and a recording's status callback.

use std::collections::BTreeMap;

use serde::de::{self, Deserialize, Deserializer};

use super::form::{twilio_enum, Fields};

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
    pub(super) fn take<E: de::Error>(mut fields: Fields) -> Result<Self, E> {
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
