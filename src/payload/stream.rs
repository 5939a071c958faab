//! The JSON messages of a Media Stream, as the
//! [Media Streams WebSocket messages](https://www.twilio.com/docs/voice/media-streams/websocket-messages)
//! page lists them: what Twilio sends ([`StreamEvent`]: `connected`,
//! `start`, `media`, `dtmf`, `mark`, `stop`) and what a bidirectional
//! stream's application sends back ([`StreamCommand`]: `media`, `mark`,
//! `clear`).
//!
//! Read a text frame with `serde_json::from_str::<StreamEvent>(text)`;
//! write a command with `serde_json::to_string(&command)`. An `event` this
//! version does not know is [`StreamEvent::Other`], never an error, and
//! any field may be absent (it is then empty): the page does not say
//! which fields every message carries.

use std::collections::BTreeMap;
use std::fmt;

use serde::de::{Deserializer, MapAccess, Visitor};
use serde::ser::Serializer;
use serde::{Deserialize, Serialize};

use super::json::{json_object, read_object, Json, Object, Value};

json_object! {
    /// `start`: the stream's metadata.
    pub struct StreamStart {
        /// `streamSid`: the stream, `MZ...`.
        stream_sid: String = "streamSid",
        /// `accountSid`.
        account_sid: String = "accountSid",
        /// `callSid`.
        call_sid: String = "callSid",
        /// `tracks`: `inbound`, `outbound`.
        tracks: Vec<String> = "tracks",
        /// `customParameters`: the `<Parameter>`s of the `<Stream>`.
        custom_parameters: BTreeMap<String, String> = "customParameters",
        /// `mediaFormat`: the audio's encoding.
        media_format: MediaFormat = "mediaFormat",
    }
}

json_object! {
    /// `start.mediaFormat`: `audio/x-mulaw`, 8000 Hz, 1 channel.
    pub struct MediaFormat {
        /// `encoding`: `audio/x-mulaw`.
        encoding: String = "encoding",
        /// `sampleRate`: `8000`.
        sample_rate: Option<u64> = "sampleRate",
        /// `channels`: `1`.
        channels: Option<u64> = "channels",
    }
}

json_object! {
    /// `media`: a chunk of audio.
    pub struct StreamMedia {
        /// `track`: `inbound` or `outbound`.
        track: String = "track",
        /// `chunk`: its number, from 1, as sent (a string of digits).
        chunk: String = "chunk",
        /// `timestamp`: milliseconds since the stream started, as sent.
        timestamp: String = "timestamp",
        /// `payload`: the audio, base64 of 8-bit mu-law at 8000 Hz.
        payload: String = "payload",
    }
}

json_object! {
    /// `dtmf`: a key the caller pressed.
    pub struct StreamDtmf {
        /// `track`: `inbound_track`.
        track: String = "track",
        /// `digit`: the key.
        digit: String = "digit",
    }
}

json_object! {
    /// `mark`: a mark the application sent, now played.
    pub struct StreamMark {
        /// `name`: the mark's name, as the application sent it.
        name: String = "name",
    }
}

json_object! {
    /// `stop`: the stream ended.
    pub struct StreamStop {
        /// `accountSid`.
        account_sid: String = "accountSid",
        /// `callSid`.
        call_sid: String = "callSid",
    }
}

/// A message Twilio sends over a Media Stream, by its `event`.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub enum StreamEvent {
    /// `connected`: the first message.
    Connected {
        /// `protocol`: `Call`.
        protocol: String,
        /// `version`: `1.0.0`.
        version: String,
    },
    /// `start`: the stream's metadata, once, after `connected`.
    Start {
        /// `sequenceNumber`, as sent (a string of digits).
        sequence_number: String,
        /// `streamSid`.
        stream_sid: String,
        /// `start`.
        start: StreamStart,
    },
    /// `media`: a chunk of audio.
    Media {
        /// `sequenceNumber`.
        sequence_number: String,
        /// `streamSid`.
        stream_sid: String,
        /// `media`.
        media: StreamMedia,
    },
    /// `dtmf`: a key pressed (bidirectional streams).
    Dtmf {
        /// `sequenceNumber`.
        sequence_number: String,
        /// `streamSid`.
        stream_sid: String,
        /// `dtmf`.
        dtmf: StreamDtmf,
    },
    /// `mark`: a mark the application sent has been played (bidirectional
    /// streams).
    Mark {
        /// `sequenceNumber`.
        sequence_number: String,
        /// `streamSid`.
        stream_sid: String,
        /// `mark`.
        mark: StreamMark,
    },
    /// `stop`: the stream ended.
    Stop {
        /// `sequenceNumber`.
        sequence_number: String,
        /// `streamSid`.
        stream_sid: String,
        /// `stop`.
        stop: StreamStop,
    },
    /// An `event` this version does not know, by name.
    Other {
        /// `event`, as sent.
        event: String,
    },
}

impl<'de> Deserialize<'de> for StreamEvent {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct EventVisitor;
        impl<'de> Visitor<'de> for EventVisitor {
            type Value = StreamEvent;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a Media Streams message")
            }
            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<StreamEvent, A::Error> {
                let mut event = String::new();
                let (mut protocol, mut version) = (String::new(), String::new());
                let (mut sequence_number, mut stream_sid) = (String::new(), String::new());
                let mut start = None;
                let mut media = None;
                let mut dtmf = None;
                let mut mark = None;
                let mut stop = None;
                read_object(map, |key, map| {
                    match key {
                        "event" => event = map.next_value::<Json<String>>()?.0,
                        "protocol" => protocol = map.next_value::<Json<String>>()?.0,
                        "version" => version = map.next_value::<Json<String>>()?.0,
                        "sequenceNumber" => sequence_number = map.next_value::<Json<String>>()?.0,
                        "streamSid" => stream_sid = map.next_value::<Json<String>>()?.0,
                        "start" => start = Some(map.next_value()?),
                        "media" => media = Some(map.next_value()?),
                        "dtmf" => dtmf = Some(map.next_value()?),
                        "mark" => mark = Some(map.next_value()?),
                        "stop" => stop = Some(map.next_value()?),
                        _ => return Ok(false),
                    }
                    Ok(true)
                })?;
                Ok(match event.as_str() {
                    "connected" => StreamEvent::Connected { protocol, version },
                    "start" => StreamEvent::Start {
                        sequence_number,
                        stream_sid,
                        start: start.unwrap_or_default(),
                    },
                    "media" => StreamEvent::Media {
                        sequence_number,
                        stream_sid,
                        media: media.unwrap_or_default(),
                    },
                    "dtmf" => StreamEvent::Dtmf {
                        sequence_number,
                        stream_sid,
                        dtmf: dtmf.unwrap_or_default(),
                    },
                    "mark" => StreamEvent::Mark {
                        sequence_number,
                        stream_sid,
                        mark: mark.unwrap_or_default(),
                    },
                    "stop" => StreamEvent::Stop {
                        sequence_number,
                        stream_sid,
                        stop: stop.unwrap_or_default(),
                    },
                    _ => StreamEvent::Other { event },
                })
            }
        }
        deserializer.deserialize_map(EventVisitor)
    }
}

/// A message the application sends over a bidirectional Media Stream.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum StreamCommand {
    /// `media`: audio to play, base64 of 8-bit mu-law at 8000 Hz.
    Media {
        /// `streamSid`.
        stream_sid: String,
        /// `media.payload`.
        payload: String,
    },
    /// `mark`: ask for a `mark` message once the audio sent before it has
    /// played.
    Mark {
        /// `streamSid`.
        stream_sid: String,
        /// `mark.name`.
        name: String,
    },
    /// `clear`: drop the audio sent and not yet played.
    Clear {
        /// `streamSid`.
        stream_sid: String,
    },
}

impl Serialize for StreamCommand {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            Self::Media {
                stream_sid,
                payload,
            } => Object(&[
                ("event", Value::Str("media")),
                ("streamSid", Value::Str(stream_sid)),
                (
                    "media",
                    Value::Object(Object(&[("payload", Value::Str(payload))])),
                ),
            ])
            .serialize(serializer),
            Self::Mark { stream_sid, name } => Object(&[
                ("event", Value::Str("mark")),
                ("streamSid", Value::Str(stream_sid)),
                ("mark", Value::Object(Object(&[("name", Value::Str(name))]))),
            ])
            .serialize(serializer),
            Self::Clear { stream_sid } => Object(&[
                ("event", Value::Str("clear")),
                ("streamSid", Value::Str(stream_sid)),
            ])
            .serialize(serializer),
        }
    }
}
