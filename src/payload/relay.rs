//! The JSON messages of a ConversationRelay session, as the
//! [ConversationRelay WebSocket messages](https://www.twilio.com/docs/voice/conversationrelay/websocket-messages)
//! page lists them: what Twilio sends ([`RelayEvent`]: `setup`, `prompt`,
//! `dtmf`, `interrupt`, `error`) and what the application sends
//! ([`RelayCommand`]: `text`, `play`, `sendDigits`, `language`, `end`).
//!
//! Read a text frame with `serde_json::from_str::<RelayEvent>(text)`; write
//! a command with `serde_json::to_string(&command)`. A `type` this version
//! does not know is [`RelayEvent::Other`], never an error; any field may
//! be absent (it is then empty or `None`).

use std::collections::BTreeMap;
use std::fmt;

use serde::de::{Deserializer, MapAccess, Visitor};
use serde::ser::Serializer;
use serde::{Deserialize, Serialize};

use super::json::{json_object, read_object, Json, Object, Value};

json_object! {
    /// `setup`: the session and its call, sent first. The page's example
    /// sends `parentCallSid` and `callerName` empty.
    pub struct RelaySetup {
        /// `sessionId`: the session, `VX...`.
        session_id: String = "sessionId",
        /// `accountSid`.
        account_sid: String = "accountSid",
        /// `parentCallSid`: empty unless the call is a child leg.
        parent_call_sid: String = "parentCallSid",
        /// `callSid`.
        call_sid: String = "callSid",
        /// `from`.
        from: String = "from",
        /// `to`.
        to: String = "to",
        /// `forwardedFrom`.
        forwarded_from: String = "forwardedFrom",
        /// `callType`: `PSTN`, `SIP`, `CLIENT`, as sent.
        call_type: String = "callType",
        /// `callerName`.
        caller_name: String = "callerName",
        /// `direction`: `inbound`, `outbound`, as sent.
        direction: String = "direction",
        /// `callStatus`: `RINGING`, `IN-PROGRESS`, as sent (upper case).
        call_status: String = "callStatus",
        /// `customParameters`: the `<Parameter>`s of the
        /// `<ConversationRelay>`.
        custom_parameters: BTreeMap<String, String> = "customParameters",
    }
}

/// A message Twilio sends over a ConversationRelay session, by its `type`.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub enum RelayEvent {
    /// `setup`: the session and its call.
    Setup(Box<RelaySetup>),
    /// `prompt`: what the caller said.
    Prompt {
        /// `voicePrompt`: the transcription.
        voice_prompt: String,
        /// `lang`: its language, such as `en-US`.
        lang: String,
        /// `last`: whether it is the utterance's final part.
        last: Option<bool>,
    },
    /// `dtmf`: a key the caller pressed (with `dtmfDetection`).
    Dtmf {
        /// `digit`.
        digit: String,
    },
    /// `interrupt`: the caller spoke over the text being played.
    Interrupt {
        /// `utteranceUntilInterrupt`: what had been played.
        utterance_until_interrupt: String,
        /// `durationUntilInterruptMs`: for how long, in milliseconds.
        duration_until_interrupt_ms: Option<u64>,
    },
    /// `error`: Twilio could not act on a message.
    Error {
        /// `description`.
        description: String,
    },
    /// A `type` this version does not know, by name.
    Other {
        /// `type`, as sent.
        kind: String,
    },
}

impl<'de> Deserialize<'de> for RelayEvent {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct EventVisitor;
        impl<'de> Visitor<'de> for EventVisitor {
            type Value = RelayEvent;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a ConversationRelay message")
            }
            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<RelayEvent, A::Error> {
                let mut kind = String::new();
                let mut setup = RelaySetup::default();
                let (mut voice_prompt, mut lang, mut last) = (String::new(), String::new(), None);
                let mut digit = String::new();
                let (mut utterance, mut duration) = (String::new(), None);
                let mut description = String::new();
                read_object(map, |key, map| {
                    let text = |map: &mut A| map.next_value::<Json<String>>().map(|j| j.0);
                    match key {
                        "type" => kind = text(map)?,
                        "sessionId" => setup.session_id = text(map)?,
                        "accountSid" => setup.account_sid = text(map)?,
                        "parentCallSid" => setup.parent_call_sid = text(map)?,
                        "callSid" => setup.call_sid = text(map)?,
                        "from" => setup.from = text(map)?,
                        "to" => setup.to = text(map)?,
                        "forwardedFrom" => setup.forwarded_from = text(map)?,
                        "callType" => setup.call_type = text(map)?,
                        "callerName" => setup.caller_name = text(map)?,
                        "direction" => setup.direction = text(map)?,
                        "callStatus" => setup.call_status = text(map)?,
                        "customParameters" => {
                            setup.custom_parameters =
                                map.next_value::<Json<BTreeMap<String, String>>>()?.0;
                        }
                        "voicePrompt" => voice_prompt = text(map)?,
                        "lang" => lang = text(map)?,
                        "last" => last = map.next_value::<Json<Option<bool>>>()?.0,
                        "digit" => digit = text(map)?,
                        "utteranceUntilInterrupt" => utterance = text(map)?,
                        "durationUntilInterruptMs" => {
                            duration = map.next_value::<Json<Option<u64>>>()?.0;
                        }
                        "description" => description = text(map)?,
                        _ => return Ok(false),
                    }
                    Ok(true)
                })?;
                Ok(match kind.as_str() {
                    "setup" => RelayEvent::Setup(Box::new(setup)),
                    "prompt" => RelayEvent::Prompt {
                        voice_prompt,
                        lang,
                        last,
                    },
                    "dtmf" => RelayEvent::Dtmf { digit },
                    "interrupt" => RelayEvent::Interrupt {
                        utterance_until_interrupt: utterance,
                        duration_until_interrupt_ms: duration,
                    },
                    "error" => RelayEvent::Error { description },
                    _ => RelayEvent::Other { kind },
                })
            }
        }
        deserializer.deserialize_map(EventVisitor)
    }
}

/// A message the application sends over a ConversationRelay session.
/// `None` fields are left out of the JSON.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum RelayCommand {
    /// `text`: a token of text to speak.
    Text {
        /// `token`.
        token: String,
        /// `last`: whether it is the response's last token.
        last: bool,
        /// `lang`: the language to speak it in.
        lang: Option<String>,
        /// `interruptible`: whether the caller may speak over it.
        interruptible: Option<bool>,
        /// `preemptible`: whether later messages may replace it.
        preemptible: Option<bool>,
    },
    /// `play`: audio to play.
    Play {
        /// `source`: the audio's URL.
        source: String,
        /// `loop`: how many times (`0` for ever).
        loop_count: Option<u64>,
        /// `interruptible`.
        interruptible: Option<bool>,
        /// `preemptible`.
        preemptible: Option<bool>,
    },
    /// `sendDigits`: DTMF to play to the call.
    SendDigits {
        /// `digits`: `0-9`, `#`, `*`, `w` (a pause).
        digits: String,
    },
    /// `language`: change the languages of speech and transcription.
    Language {
        /// `ttsLanguage`.
        tts_language: Option<String>,
        /// `transcriptionLanguage`.
        transcription_language: Option<String>,
    },
    /// `end`: end the session, handing the call to the `<Connect>`'s
    /// `action`.
    End {
        /// `handoffData`: a string (often JSON) for the `action` request.
        handoff_data: Option<String>,
    },
}

impl Serialize for RelayCommand {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            Self::Text {
                token,
                last,
                lang,
                interruptible,
                preemptible,
            } => Object(&[
                ("type", Value::Str("text")),
                ("token", Value::Str(token)),
                ("last", Value::Bool(*last)),
                ("lang", Value::OptStr(lang.as_deref())),
                ("interruptible", Value::OptBool(*interruptible)),
                ("preemptible", Value::OptBool(*preemptible)),
            ])
            .serialize(serializer),
            Self::Play {
                source,
                loop_count,
                interruptible,
                preemptible,
            } => Object(&[
                ("type", Value::Str("play")),
                ("source", Value::Str(source)),
                ("loop", Value::OptU64(*loop_count)),
                ("interruptible", Value::OptBool(*interruptible)),
                ("preemptible", Value::OptBool(*preemptible)),
            ])
            .serialize(serializer),
            Self::SendDigits { digits } => Object(&[
                ("type", Value::Str("sendDigits")),
                ("digits", Value::Str(digits)),
            ])
            .serialize(serializer),
            Self::Language {
                tts_language,
                transcription_language,
            } => Object(&[
                ("type", Value::Str("language")),
                ("ttsLanguage", Value::OptStr(tts_language.as_deref())),
                (
                    "transcriptionLanguage",
                    Value::OptStr(transcription_language.as_deref()),
                ),
            ])
            .serialize(serializer),
            Self::End { handoff_data } => Object(&[
                ("type", Value::Str("end")),
                ("handoffData", Value::OptStr(handoff_data.as_deref())),
            ])
            .serialize(serializer),
        }
    }
}
