//! Webhooks shaped as Twilio's documentation shows them, for tests: each
//! constant is one documented example request (or the set of fields a page
//! says is always sent), as the form fields Twilio posts, citing its page.
//!
//! The field names and which fields are present are the page's; the
//! values follow the page's example column (`SMXXXX...`, `ACXXXX...`)
//! where it has one and are made up in the same shape where it has none.
//! Send one with [`Signer::form_request`](crate::Signer::form_request):
//!
//! ```
//! use tower_twilio::payload::{examples, from_fields, MessageStatusCallback};
//! use tower_twilio::Signer;
//!
//! let req = Signer::new("12345", "https://example.com")
//!     .form_request("/message-status", examples::MESSAGE_STATUS_SENT);
//! assert!(req.headers().contains_key("x-twilio-signature"));
//!
//! let status: MessageStatusCallback =
//!     from_fields(examples::MESSAGE_STATUS_SENT.iter().copied()).unwrap();
//! assert_eq!(status.to, None);
//! ```
//!
//! The WebSocket messages of Media Streams and ConversationRelay are JSON
//! text frames, given as the page's example text.

/// One documented webhook: its form fields in the order shown.
pub type Fields = &'static [(&'static str, &'static str)];

/// An incoming call: the parameters the
/// [voice webhooks](https://www.twilio.com/docs/usage/webhooks/voice-webhooks)
/// page says Twilio sends with every voice request, plus the caller's
/// geographic fields it lists "if available".
pub const INCOMING_CALL: Fields = &[
    ("AccountSid", "ACXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX"),
    ("ApiVersion", "2010-04-01"),
    ("CallSid", "CAXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX"),
    ("CallStatus", "ringing"),
    ("Called", "+15558675310"),
    ("Caller", "+14155552671"),
    ("Direction", "inbound"),
    ("From", "+14155552671"),
    ("FromCity", "SAN FRANCISCO"),
    ("FromCountry", "US"),
    ("FromState", "CA"),
    ("FromZip", "94103"),
    ("To", "+15558675310"),
    ("ToCity", "PROVIDENCE"),
    ("ToCountry", "US"),
    ("ToState", "RI"),
    ("ToZip", "02903"),
];

/// An outgoing call's status callback for the `initiated` event, with the
/// fields the
/// [Call resource](https://www.twilio.com/docs/voice/api/call-resource#statuscallback)
/// lists for every status callback request (`CallbackSource`,
/// `SequenceNumber`, `Timestamp`).
pub const CALL_STATUS_INITIATED: Fields = &[
    ("AccountSid", "ACXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX"),
    ("ApiVersion", "2010-04-01"),
    ("CallSid", "CAXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX"),
    ("CallStatus", "initiated"),
    ("Called", "+15558675310"),
    ("CallbackSource", "call-progress-events"),
    ("Caller", "+14155552671"),
    ("Direction", "outbound-api"),
    ("From", "+14155552671"),
    ("SequenceNumber", "0"),
    ("Timestamp", "Tue, 01 Dec 2026 18:11:36 +0000"),
    ("To", "+15558675310"),
];

/// A call's status callback for the `completed` event, with the fields the
/// [Call resource](https://www.twilio.com/docs/voice/api/call-resource#statuscallback)
/// lists for a completed call (`CallDuration`, `Duration`,
/// `SipResponseCode`) and a recording's.
pub const CALL_STATUS_COMPLETED: Fields = &[
    ("AccountSid", "ACXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX"),
    ("ApiVersion", "2010-04-01"),
    ("CallDuration", "42"),
    ("CallSid", "CAXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX"),
    ("CallStatus", "completed"),
    ("Called", "+15558675310"),
    ("CallbackSource", "call-progress-events"),
    ("Caller", "+14155552671"),
    ("Direction", "outbound-api"),
    ("Duration", "1"),
    ("From", "+14155552671"),
    ("RecordingDuration", "40"),
    ("RecordingSid", "REXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX"),
    (
        "RecordingUrl",
        "https://api.twilio.com/2010-04-01/Accounts/ACXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX/Recordings/REXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX",
    ),
    ("SequenceNumber", "3"),
    ("SipResponseCode", "200"),
    ("StirStatus", "A"),
    ("Timestamp", "Tue, 01 Dec 2026 18:12:20 +0000"),
    ("To", "+15558675310"),
];

/// The request to a `<Gather input="speech">`'s `action`: the voice
/// parameters plus `SpeechResult` and `Confidence`, as the
/// [`<Gather>`](https://www.twilio.com/docs/voice/twiml/gather) page lists
/// them.
pub const GATHER_SPEECH: Fields = &[
    ("AccountSid", "ACXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX"),
    ("ApiVersion", "2010-04-01"),
    ("CallSid", "CAXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX"),
    ("CallStatus", "in-progress"),
    ("Confidence", "0.9335059"),
    ("Direction", "inbound"),
    ("From", "+14155552671"),
    ("SpeechResult", "I'd like to check my balance."),
    ("To", "+15558675310"),
];

/// The request to a `<Gather input="dtmf">`'s `action`: the voice
/// parameters plus `Digits` (and `FinishedOnKey`), as the
/// [`<Gather>`](https://www.twilio.com/docs/voice/twiml/gather) page lists
/// them.
pub const GATHER_DIGITS: Fields = &[
    ("AccountSid", "ACXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX"),
    ("ApiVersion", "2010-04-01"),
    ("CallSid", "CAXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX"),
    ("CallStatus", "in-progress"),
    ("Digits", "1234"),
    ("Direction", "inbound"),
    ("FinishedOnKey", "#"),
    ("From", "+14155552671"),
    ("To", "+15558675310"),
];

/// The request to a `<Record>`'s `action` after the caller hung up: the
/// voice parameters plus the three parameters the
/// [`<Record>`](https://www.twilio.com/docs/voice/twiml/record) page lists
/// (`RecordingUrl`, `RecordingDuration`, `Digits`, here `hangup`), and no
/// `RecordingSid`.
pub const RECORD_HANGUP: Fields = &[
    ("AccountSid", "ACXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX"),
    ("ApiVersion", "2010-04-01"),
    ("CallSid", "CAXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX"),
    ("CallStatus", "completed"),
    ("Digits", "hangup"),
    ("Direction", "inbound"),
    ("From", "+14155552671"),
    ("RecordingDuration", "12"),
    (
        "RecordingUrl",
        "https://api.twilio.com/2010-04-01/Accounts/ACXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX/Recordings/REXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX",
    ),
    ("To", "+15558675310"),
];

/// A recording's status callback (`recordingStatusCallback`), with the
/// parameters the
/// [`<Recording>`](https://www.twilio.com/docs/voice/twiml/recording) page
/// lists.
pub const RECORDING_STATUS_COMPLETED: Fields = &[
    ("AccountSid", "ACXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX"),
    ("CallSid", "CAXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX"),
    ("RecordingChannels", "2"),
    ("RecordingDuration", "40"),
    ("RecordingSid", "REXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX"),
    ("RecordingSource", "StartCallRecordingTwiML"),
    ("RecordingStartTime", "Tue, 01 Dec 2026 18:11:40 +0000"),
    ("RecordingStatus", "completed"),
    ("RecordingTrack", "both"),
    (
        "RecordingUrl",
        "https://api.twilio.com/2010-04-01/Accounts/ACXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX/Recordings/REXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX",
    ),
];

/// A recording's status callback for a silent recording (`absent`): the
/// same parameters as [`RECORDING_STATUS_COMPLETED`], its URL and duration
/// empty.
pub const RECORDING_STATUS_ABSENT: Fields = &[
    ("AccountSid", "ACXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX"),
    ("CallSid", "CAXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX"),
    ("RecordingChannels", "1"),
    ("RecordingDuration", ""),
    ("RecordingSid", "REXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX"),
    ("RecordingSource", "RecordVerb"),
    ("RecordingStartTime", ""),
    ("RecordingStatus", "absent"),
    ("RecordingTrack", "both"),
    ("RecordingUrl", ""),
];

/// An incoming SMS: the parameters the
/// [incoming message webhook](https://www.twilio.com/docs/messaging/guides/webhook-request)
/// page lists as sent with every message, plus its geographic fields.
pub const INCOMING_SMS: Fields = &[
    ("AccountSid", "ACXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX"),
    ("ApiVersion", "2010-04-01"),
    ("Body", "Ahoy! We can't wait to see what you build."),
    ("From", "+14017122661"),
    ("FromCity", "PROVIDENCE"),
    ("FromCountry", "US"),
    ("FromState", "RI"),
    ("FromZip", "02903"),
    ("MessageSid", "SMXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX"),
    ("MessagingServiceSid", "MGXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX"),
    ("NumMedia", "0"),
    ("NumSegments", "1"),
    ("SmsMessageSid", "SMXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX"),
    ("SmsSid", "SMXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX"),
    ("SmsStatus", "received"),
    ("To", "+15558675310"),
    ("ToCity", ""),
    ("ToCountry", "US"),
    ("ToState", "CA"),
    ("ToZip", ""),
];

/// An incoming MMS with one picture and no text: the media fields the
/// [incoming message webhook](https://www.twilio.com/docs/messaging/guides/webhook-request)
/// page lists (`MediaUrl0`, `MediaContentType0`), `Body` empty.
pub const INCOMING_MMS: Fields = &[
    ("AccountSid", "ACXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX"),
    ("ApiVersion", "2010-04-01"),
    ("Body", ""),
    ("From", "+14017122661"),
    ("MediaContentType0", "image/jpeg"),
    (
        "MediaUrl0",
        "https://api.twilio.com/2010-04-01/Accounts/ACXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX/Messages/MMXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX/Media/MEXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX",
    ),
    ("MessageSid", "MMXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX"),
    ("NumMedia", "1"),
    ("NumSegments", "1"),
    ("SmsMessageSid", "MMXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX"),
    ("SmsSid", "MMXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX"),
    ("SmsStatus", "received"),
    ("To", "+15558675310"),
];

/// An incoming WhatsApp message from a click-to-WhatsApp ad, sharing a
/// location: the WhatsApp fields the
/// [incoming message webhook](https://www.twilio.com/docs/messaging/guides/webhook-request)
/// page lists (`ProfileName`, `WaId`, the location and `Referral*`
/// fields).
pub const INCOMING_WHATSAPP_LOCATION: Fields = &[
    ("AccountSid", "ACXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX"),
    ("Address", "375 Beale St, San Francisco, CA 94105"),
    ("ApiVersion", "2010-04-01"),
    ("Body", ""),
    ("From", "whatsapp:+14017122661"),
    ("Label", "Twilio HQ"),
    ("Latitude", "37.7904"),
    ("Longitude", "-122.3905"),
    ("MessageSid", "SMXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX"),
    ("MessageType", "location"),
    ("NumMedia", "0"),
    ("NumSegments", "1"),
    ("ProfileName", "Ada"),
    ("ReferralBody", "Chat with us"),
    ("ReferralCtwaClid", "ARAkLkA8rmlFeiCktEJQ"),
    ("ReferralHeadline", "Spring sale"),
    ("ReferralNumMedia", "0"),
    ("ReferralSourceId", "120000000000000"),
    ("ReferralSourceType", "ad"),
    ("ReferralSourceUrl", "https://fb.me/example"),
    ("SmsMessageSid", "SMXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX"),
    ("SmsSid", "SMXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX"),
    ("SmsStatus", "received"),
    ("To", "whatsapp:+15558675310"),
    ("WaId", "14017122661"),
];

/// An incoming WhatsApp quick-reply button press: `ButtonText` and
/// `ButtonPayload`, as the
/// [incoming message webhook](https://www.twilio.com/docs/messaging/guides/webhook-request)
/// page lists them.
pub const INCOMING_WHATSAPP_BUTTON: Fields = &[
    ("AccountSid", "ACXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX"),
    ("ApiVersion", "2010-04-01"),
    ("Body", "Yes"),
    ("ButtonPayload", "confirm-appointment"),
    ("ButtonText", "Yes"),
    ("From", "whatsapp:+14017122661"),
    ("MessageSid", "SMXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX"),
    ("MessageType", "button"),
    ("NumMedia", "0"),
    ("NumSegments", "1"),
    ("ProfileName", "Ada"),
    ("SmsMessageSid", "SMXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX"),
    ("SmsSid", "SMXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX"),
    ("SmsStatus", "received"),
    ("To", "whatsapp:+15558675310"),
    ("WaId", "14017122661"),
];

/// An outbound SMS's status callback, exactly the fields of the example
/// request on
/// [Track the Message Status of Outbound Messages](https://www.twilio.com/docs/messaging/guides/track-outbound-message-status):
/// no `To`, no `ApiVersion`.
pub const MESSAGE_STATUS_SENT: Fields = &[
    ("AccountSid", "ACXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX"),
    ("From", "+15017122661"),
    ("MessageSid", "SMXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX"),
    ("MessageStatus", "sent"),
    ("SmsSid", "SMXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX"),
    ("SmsStatus", "sent"),
];

/// An outbound SMS's status callback for a message that could not be
/// delivered: `ErrorCode` as
/// [Track the Message Status of Outbound Messages](https://www.twilio.com/docs/messaging/guides/track-outbound-message-status)
/// describes it, with `To` and `ApiVersion`.
pub const MESSAGE_STATUS_UNDELIVERED: Fields = &[
    ("AccountSid", "ACXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX"),
    ("ApiVersion", "2010-04-01"),
    ("ErrorCode", "30003"),
    ("From", "+15017122661"),
    ("MessageSid", "SMXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX"),
    ("MessageStatus", "undelivered"),
    ("SmsSid", "SMXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX"),
    ("SmsStatus", "undelivered"),
    ("To", "+15558675310"),
];

/// A WhatsApp message's status callback for `read`: the channel fields
/// (`ChannelInstallSid`, `ChannelPrefix`, `ChannelStatusMessage`,
/// `EventType`) that
/// [Track the Message Status of Outbound Messages](https://www.twilio.com/docs/messaging/guides/track-outbound-message-status)
/// shows for WhatsApp.
pub const MESSAGE_STATUS_WHATSAPP_READ: Fields = &[
    ("AccountSid", "ACXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX"),
    ("ApiVersion", "2010-04-01"),
    ("ChannelInstallSid", "XEXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX"),
    ("ChannelPrefix", "whatsapp"),
    ("ChannelStatusMessage", "Message read"),
    ("ChannelToAddress", "+1555867XXXX"),
    ("EventType", "READ"),
    ("From", "whatsapp:+15017122661"),
    ("MessageSid", "SMXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX"),
    ("MessageStatus", "read"),
    ("SmsSid", "SMXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX"),
    ("SmsStatus", "read"),
    ("To", "whatsapp:+15558675310"),
];

/// Every form example above, by name, for tests that send them all.
pub const ALL: &[(&str, Fields)] = &[
    ("INCOMING_CALL", INCOMING_CALL),
    ("CALL_STATUS_INITIATED", CALL_STATUS_INITIATED),
    ("CALL_STATUS_COMPLETED", CALL_STATUS_COMPLETED),
    ("GATHER_SPEECH", GATHER_SPEECH),
    ("GATHER_DIGITS", GATHER_DIGITS),
    ("RECORD_HANGUP", RECORD_HANGUP),
    ("RECORDING_STATUS_COMPLETED", RECORDING_STATUS_COMPLETED),
    ("RECORDING_STATUS_ABSENT", RECORDING_STATUS_ABSENT),
    ("INCOMING_SMS", INCOMING_SMS),
    ("INCOMING_MMS", INCOMING_MMS),
    ("INCOMING_WHATSAPP_LOCATION", INCOMING_WHATSAPP_LOCATION),
    ("INCOMING_WHATSAPP_BUTTON", INCOMING_WHATSAPP_BUTTON),
    ("MESSAGE_STATUS_SENT", MESSAGE_STATUS_SENT),
    ("MESSAGE_STATUS_UNDELIVERED", MESSAGE_STATUS_UNDELIVERED),
    ("MESSAGE_STATUS_WHATSAPP_READ", MESSAGE_STATUS_WHATSAPP_READ),
];

/// The `connected` message of a Media Stream, as the
/// [Media Streams WebSocket messages](https://www.twilio.com/docs/voice/media-streams/websocket-messages)
/// page shows it.
pub const STREAM_CONNECTED: &str =
    r#"{"event": "connected", "protocol": "Call", "version": "1.0.0"}"#;

/// The `start` message of a Media Stream, in the shape of the
/// [Media Streams WebSocket messages](https://www.twilio.com/docs/voice/media-streams/websocket-messages)
/// page's example (`sequenceNumber` a string).
pub const STREAM_START: &str = r#"{
  "event": "start",
  "sequenceNumber": "1",
  "start": {
    "accountSid": "ACXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX",
    "streamSid": "MZXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX",
    "callSid": "CAXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX",
    "tracks": ["inbound"],
    "mediaFormat": {"encoding": "audio/x-mulaw", "sampleRate": 8000, "channels": 1},
    "customParameters": {"FirstName": "Jane", "LastName": "Doe"}
  },
  "streamSid": "MZXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX"
}"#;

/// A `media` message of a Media Stream (`chunk` and `timestamp` strings),
/// as on the
/// [Media Streams WebSocket messages](https://www.twilio.com/docs/voice/media-streams/websocket-messages)
/// page.
pub const STREAM_MEDIA: &str = r#"{
  "event": "media",
  "sequenceNumber": "3",
  "media": {"track": "inbound", "chunk": "1", "timestamp": "5", "payload": "no+JhoaJjpzSHxAKBgYJDhtEopKOiYWF"},
  "streamSid": "MZXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX"
}"#;

/// A `dtmf` message of a Media Stream, as on the
/// [Media Streams WebSocket messages](https://www.twilio.com/docs/voice/media-streams/websocket-messages)
/// page.
pub const STREAM_DTMF: &str = r#"{
  "event": "dtmf",
  "streamSid": "MZXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX",
  "sequenceNumber": "5",
  "dtmf": {"track": "inbound_track", "digit": "1"}
}"#;

/// A `mark` message of a Media Stream, as on the
/// [Media Streams WebSocket messages](https://www.twilio.com/docs/voice/media-streams/websocket-messages)
/// page.
pub const STREAM_MARK: &str = r#"{
  "event": "mark",
  "sequenceNumber": "4",
  "streamSid": "MZXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX",
  "mark": {"name": "my label"}
}"#;

/// The `stop` message of a Media Stream, as on the
/// [Media Streams WebSocket messages](https://www.twilio.com/docs/voice/media-streams/websocket-messages)
/// page.
pub const STREAM_STOP: &str = r#"{
  "event": "stop",
  "sequenceNumber": "5",
  "stop": {"accountSid": "ACXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX", "callSid": "CAXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX"},
  "streamSid": "MZXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX"
}"#;

/// The `setup` message of a ConversationRelay session, as the
/// [ConversationRelay WebSocket messages](https://www.twilio.com/docs/voice/conversationrelay/websocket-messages)
/// page shows it (`parentCallSid` and `callerName` empty).
pub const RELAY_SETUP: &str = r#"{
  "type": "setup",
  "sessionId": "VX00000000000000000000000000000000",
  "accountSid": "ACXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX",
  "parentCallSid": "",
  "callSid": "CA00000000000000000000000000000000",
  "from": "+18005550100",
  "to": "+18005550101",
  "forwardedFrom": "+18005550102",
  "callType": "PSTN",
  "callerName": "",
  "direction": "inbound",
  "callStatus": "RINGING",
  "customParameters": {"callReference": "bar"}
}"#;

/// A `prompt` message of a ConversationRelay session, as on the
/// [ConversationRelay WebSocket messages](https://www.twilio.com/docs/voice/conversationrelay/websocket-messages)
/// page.
pub const RELAY_PROMPT: &str = r#"{"type": "prompt", "voicePrompt": "Hi! Can you tell me about life?", "lang": "en-US", "last": true}"#;

/// A `dtmf` message of a ConversationRelay session, as on the
/// [ConversationRelay WebSocket messages](https://www.twilio.com/docs/voice/conversationrelay/websocket-messages)
/// page.
pub const RELAY_DTMF: &str = r#"{"type": "dtmf", "digit": "1"}"#;

/// An `interrupt` message of a ConversationRelay session, as on the
/// [ConversationRelay WebSocket messages](https://www.twilio.com/docs/voice/conversationrelay/websocket-messages)
/// page.
pub const RELAY_INTERRUPT: &str = r#"{"type": "interrupt", "utteranceUntilInterrupt": "Life is a complex set of", "durationUntilInterruptMs": 460}"#;

/// An `error` message of a ConversationRelay session, in the shape the
/// [ConversationRelay WebSocket messages](https://www.twilio.com/docs/voice/conversationrelay/websocket-messages)
/// page describes.
pub const RELAY_ERROR: &str =
    r#"{"type": "error", "description": "Invalid message received: {\"foo\": \"bar\"}"}"#;
