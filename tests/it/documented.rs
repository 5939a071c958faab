//! Every documented example request of `tower_twilio::payload::examples`
//! (each citing its Twilio page) sent signed to a real server on loopback
//! and read by `TwilioForm<T>`, its typed values asserted; and a property:
//! any subset of a payload's optional fields parses.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use axum::extract::State;
use axum::routing::post;
use axum::Router;
use http::StatusCode;
use http_body_util::{BodyExt, Full};
use hyper::body::Bytes;
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;
use proptest::prelude::*;
use serde::de::DeserializeOwned;
use tower_twilio::payload::examples::{self, Fields};
use tower_twilio::payload::{
    from_fields, CallStatus, CallStatusCallback, Direction, GatherResult, MessageRequest,
    MessageStatus, MessageStatusCallback, RecordResult, RecordingStatus, RecordingStatusCallback,
    VoiceRequest,
};
use tower_twilio::{Signer, TwilioForm, TwilioValidateLayer};

const TOKEN: &str = "12345";

type Slot<T> = Arc<Mutex<Option<T>>>;

async fn keep<T: Send + 'static>(
    State(slot): State<Slot<T>>,
    TwilioForm(payload): TwilioForm<T>,
) -> &'static str {
    *slot.lock().unwrap() = Some(payload);
    "ok"
}

/// Sends `fields` signed as Twilio would to a server on loopback whose
/// handler reads `TwilioForm<T>`: the status, and the payload it read.
async fn deliver<T>(fields: Fields) -> (StatusCode, Option<T>)
where
    T: DeserializeOwned + Send + Sync + 'static,
{
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr: SocketAddr = listener.local_addr().unwrap();
    let slot: Slot<T> = Arc::default();
    let app = Router::new()
        .route("/hook", post(keep::<T>))
        .with_state(slot.clone())
        .layer(TwilioValidateLayer::new(TOKEN).base_url(&format!("https://{addr}")));
    let server = tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });

    let mut req = Signer::new(TOKEN, format!("https://{addr}")).form_request("/hook", fields);
    *req.uri_mut() = format!("http://{addr}/hook").parse().unwrap();
    let client = Client::builder(TokioExecutor::new()).build_http();
    let res = client
        .request(req.map(|b| Full::new(Bytes::from(b))))
        .await
        .unwrap();
    let status = res.status();
    let body = res.into_body().collect().await.unwrap().to_bytes();
    server.abort();
    assert!(
        status == StatusCode::OK || status == StatusCode::UNPROCESSABLE_ENTITY,
        "{status}: {body:?}"
    );
    let payload = slot.lock().unwrap().take();
    (status, payload)
}

async fn read<T>(fields: Fields) -> T
where
    T: DeserializeOwned + Send + Sync + 'static,
{
    let (status, payload) = deliver::<T>(fields).await;
    assert_eq!(status, StatusCode::OK);
    payload.expect("the handler ran")
}

#[tokio::test]
async fn an_incoming_call_reads_every_documented_field() {
    let call: VoiceRequest = read(examples::INCOMING_CALL).await;
    assert_eq!(call.call_sid, "CAXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX");
    assert_eq!(call.account_sid, "ACXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX");
    assert_eq!(call.from, "+14155552671");
    assert_eq!(call.to, "+15558675310");
    assert_eq!(call.call_status, CallStatus::Ringing);
    assert_eq!(call.api_version, "2010-04-01");
    assert_eq!(call.direction, Direction::Inbound);
    assert_eq!(call.caller.as_deref(), Some("+14155552671"));
    assert_eq!(call.called.as_deref(), Some("+15558675310"));
    assert_eq!(call.from_city.as_deref(), Some("SAN FRANCISCO"));
    assert_eq!(call.to_zip.as_deref(), Some("02903"));
    assert!(call.extra.is_empty(), "{:?}", call.extra);
}

#[tokio::test]
async fn an_initiated_call_status_callback_is_the_initiated_variant_with_its_sequence() {
    let status: CallStatusCallback = read(examples::CALL_STATUS_INITIATED).await;
    assert_eq!(status.call.call_status, CallStatus::Initiated);
    assert_eq!(status.call.direction, Direction::OutboundApi);
    assert_eq!(status.sequence_number, Some(0));
    assert_eq!(
        status.callback_source.as_deref(),
        Some("call-progress-events")
    );
    assert_eq!(
        status.timestamp.as_deref(),
        Some("Tue, 01 Dec 2026 18:11:36 +0000")
    );
    assert_eq!(status.call_duration, None);
    assert!(status.call.extra.is_empty(), "{:?}", status.call.extra);
}

#[tokio::test]
async fn a_completed_call_status_callback_reads_its_durations_sip_code_and_recording() {
    let status: CallStatusCallback = read(examples::CALL_STATUS_COMPLETED).await;
    assert_eq!(status.call.call_status, CallStatus::Completed);
    assert_eq!(status.call_duration, Some(42));
    assert_eq!(status.duration, Some(1));
    assert_eq!(status.sip_response_code, Some(200));
    assert_eq!(status.stir_status.as_deref(), Some("A"));
    assert_eq!(status.sequence_number, Some(3));
    assert_eq!(
        status.recording_sid.as_deref(),
        Some("REXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX")
    );
    assert_eq!(status.recording_duration, Some(40));
    assert!(status.recording_url.is_some());
    assert_eq!(status.call.caller.as_deref(), Some("+14155552671"));
    assert!(status.call.extra.is_empty(), "{:?}", status.call.extra);
}

#[tokio::test]
async fn a_gather_with_speech_reads_its_result_and_confidence() {
    let gather: GatherResult = read(examples::GATHER_SPEECH).await;
    assert_eq!(
        gather.speech_result.as_deref(),
        Some("I'd like to check my balance.")
    );
    assert_eq!(gather.confidence, Some(0.9335059));
    assert_eq!(gather.digits, None);
    assert_eq!(gather.call.call_status, CallStatus::InProgress);
}

#[tokio::test]
async fn a_gather_with_digits_reads_them() {
    let gather: GatherResult = read(examples::GATHER_DIGITS).await;
    assert_eq!(gather.digits.as_deref(), Some("1234"));
    assert_eq!(gather.speech_result, None);
    assert_eq!(gather.call.extra["FinishedOnKey"], "#");
}

#[tokio::test]
async fn a_record_action_after_a_hangup_reads_without_a_recording_sid() {
    let record: RecordResult = read(examples::RECORD_HANGUP).await;
    assert_eq!(record.digits.as_deref(), Some("hangup"));
    assert_eq!(record.recording_duration, Some(12));
    assert_eq!(record.recording_sid, None);
    assert!(record
        .recording_url
        .ends_with("/Recordings/REXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX"));
}

#[tokio::test]
async fn a_completed_recording_status_callback_reads_every_documented_field() {
    let rec: RecordingStatusCallback = read(examples::RECORDING_STATUS_COMPLETED).await;
    assert_eq!(rec.recording_status, RecordingStatus::Completed);
    assert_eq!(rec.recording_sid, "REXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX");
    assert_eq!(
        rec.call_sid.as_deref(),
        Some("CAXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX")
    );
    assert_eq!(rec.recording_duration, Some(40));
    assert_eq!(rec.recording_channels, Some(2));
    assert_eq!(
        rec.recording_source.as_deref(),
        Some("StartCallRecordingTwiML")
    );
    assert_eq!(rec.recording_track.as_deref(), Some("both"));
    assert!(rec.recording_start_time.is_some());
    assert!(rec.extra.is_empty(), "{:?}", rec.extra);
}

#[tokio::test]
async fn an_absent_recording_reads_its_empty_url_and_duration_as_none() {
    let rec: RecordingStatusCallback = read(examples::RECORDING_STATUS_ABSENT).await;
    assert_eq!(rec.recording_status, RecordingStatus::Absent);
    assert_eq!(rec.recording_url, None);
    assert_eq!(rec.recording_duration, None);
    assert_eq!(rec.recording_start_time, None);
}

#[tokio::test]
async fn an_incoming_sms_reads_every_documented_field() {
    let sms: MessageRequest = read(examples::INCOMING_SMS).await;
    assert_eq!(sms.message_sid, "SMXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX");
    assert_eq!(sms.body, "Ahoy! We can't wait to see what you build.");
    assert_eq!(sms.num_media, 0);
    assert_eq!(sms.num_segments, Some(1));
    assert!(sms.media.is_empty());
    assert_eq!(
        sms.messaging_service_sid.as_deref(),
        Some("MGXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX")
    );
    assert_eq!(sms.sms_status.as_deref(), Some("received"));
    assert_eq!(sms.from_state.as_deref(), Some("RI"));
    assert!(sms.extra.is_empty(), "{:?}", sms.extra);
}

#[tokio::test]
async fn an_mms_without_text_reads_its_picture() {
    let mms: MessageRequest = read(examples::INCOMING_MMS).await;
    assert_eq!(mms.body, "");
    assert_eq!(mms.num_media, 1);
    assert_eq!(mms.media[0].content_type, "image/jpeg");
    assert!(mms.media[0]
        .url
        .ends_with("/Media/MEXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX"));
}

#[tokio::test]
async fn a_whatsapp_location_from_an_ad_reads_its_location_and_referral() {
    let wa: MessageRequest = read(examples::INCOMING_WHATSAPP_LOCATION).await;
    assert_eq!(wa.profile_name.as_deref(), Some("Ada"));
    assert_eq!(wa.wa_id.as_deref(), Some("14017122661"));
    assert_eq!(wa.latitude, Some(37.7904));
    assert_eq!(wa.longitude, Some(-122.3905));
    assert_eq!(wa.label.as_deref(), Some("Twilio HQ"));
    assert!(wa.address.is_some());
    assert_eq!(wa.referral_source_type.as_deref(), Some("ad"));
    assert_eq!(wa.referral_num_media, Some(0));
    assert_eq!(
        wa.referral_ctwa_clid.as_deref(),
        Some("ARAkLkA8rmlFeiCktEJQ")
    );
    assert_eq!(wa.extra["MessageType"], "location");
}

#[tokio::test]
async fn a_whatsapp_button_reads_its_text_and_payload() {
    let wa: MessageRequest = read(examples::INCOMING_WHATSAPP_BUTTON).await;
    assert_eq!(wa.button_text.as_deref(), Some("Yes"));
    assert_eq!(wa.button_payload.as_deref(), Some("confirm-appointment"));
}

#[tokio::test]
async fn the_documented_message_status_callback_without_to_reads() {
    let status: MessageStatusCallback = read(examples::MESSAGE_STATUS_SENT).await;
    assert_eq!(status.message_status, MessageStatus::Sent);
    assert_eq!(status.from.as_deref(), Some("+15017122661"));
    assert_eq!(status.to, None);
    assert_eq!(status.api_version, None);
    assert_eq!(status.sms_status.as_deref(), Some("sent"));
    assert!(status.extra.is_empty(), "{:?}", status.extra);
}

#[tokio::test]
async fn an_undelivered_message_status_callback_reads_its_error_code() {
    let status: MessageStatusCallback = read(examples::MESSAGE_STATUS_UNDELIVERED).await;
    assert_eq!(status.message_status, MessageStatus::Undelivered);
    assert_eq!(status.error_code, Some(30003));
    assert_eq!(status.to.as_deref(), Some("+15558675310"));
}

#[tokio::test]
async fn a_whatsapp_read_status_callback_reads_its_channel_fields() {
    let status: MessageStatusCallback = read(examples::MESSAGE_STATUS_WHATSAPP_READ).await;
    assert_eq!(status.message_status, MessageStatus::Read);
    assert_eq!(
        status.channel_install_sid.as_deref(),
        Some("XEXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX")
    );
    assert_eq!(status.channel_prefix.as_deref(), Some("whatsapp"));
    assert_eq!(
        status.channel_status_message.as_deref(),
        Some("Message read")
    );
    assert_eq!(status.event_type.as_deref(), Some("READ"));
    assert_eq!(status.extra["ChannelToAddress"], "+1555867XXXX");
}

#[tokio::test]
async fn a_message_status_callback_missing_its_sid_is_a_422() {
    let fields: Vec<(&str, &str)> = examples::MESSAGE_STATUS_SENT
        .iter()
        .filter(|(k, _)| *k != "MessageSid")
        .copied()
        .collect();
    let fields: Fields = Box::leak(fields.into_boxed_slice());
    let (status, payload) = deliver::<MessageStatusCallback>(fields).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(payload.is_none());
}

/// The fields of `example` that `T` does not require, each kept or
/// dropped by `keep`, with every required one.
fn subset(example: Fields, required: &[&str], keep: &[bool]) -> Vec<(&'static str, &'static str)> {
    example
        .iter()
        .zip(keep.iter().cycle())
        .filter(|((name, _), kept)| **kept || required.contains(name))
        .map(|(field, _)| *field)
        .collect()
}

const VOICE_REQUIRED: &[&str] = &[
    "CallSid",
    "AccountSid",
    "From",
    "To",
    "CallStatus",
    "ApiVersion",
    "Direction",
];

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn any_subset_of_the_optional_fields_parses(keep in proptest::collection::vec(any::<bool>(), 32)) {
        let call = subset(examples::CALL_STATUS_COMPLETED, VOICE_REQUIRED, &keep);
        prop_assert!(from_fields::<CallStatusCallback>(call.iter().copied()).is_ok());
        let mut record = subset(examples::RECORD_HANGUP, VOICE_REQUIRED, &keep);
        if !record.iter().any(|(k, _)| *k == "RecordingUrl") {
            record.push(("RecordingUrl", "https://api.twilio.com/r"));
        }
        prop_assert!(from_fields::<RecordResult>(record.iter().copied()).is_ok());
        let gather = subset(examples::GATHER_SPEECH, VOICE_REQUIRED, &keep);
        prop_assert!(from_fields::<GatherResult>(gather.iter().copied()).is_ok());
        let message_required = ["MessageSid", "AccountSid", "From", "To", "Body", "NumMedia"];
        for example in [examples::INCOMING_SMS, examples::INCOMING_WHATSAPP_LOCATION, examples::INCOMING_WHATSAPP_BUTTON] {
            let sms = subset(example, &message_required, &keep);
            prop_assert!(from_fields::<MessageRequest>(sms.iter().copied()).is_ok());
        }
        for example in [examples::MESSAGE_STATUS_UNDELIVERED, examples::MESSAGE_STATUS_WHATSAPP_READ] {
            let status = subset(example, &["MessageSid", "MessageStatus", "AccountSid"], &keep);
            prop_assert!(from_fields::<MessageStatusCallback>(status.iter().copied()).is_ok());
        }
        let rec = subset(examples::RECORDING_STATUS_COMPLETED, &["AccountSid", "RecordingSid", "RecordingStatus"], &keep);
        prop_assert!(from_fields::<RecordingStatusCallback>(rec.iter().copied()).is_ok());
    }

    #[test]
    fn any_optional_field_sent_empty_parses(which in 0usize..32) {
        let message: &[&str] = &["MessageSid", "AccountSid", "From", "To", "Body", "NumMedia"];
        let cases: [(Fields, &[&str], Parses); 4] = [
            (examples::CALL_STATUS_COMPLETED, VOICE_REQUIRED, parses::<CallStatusCallback>),
            (examples::INCOMING_WHATSAPP_LOCATION, message, parses::<MessageRequest>),
            (examples::MESSAGE_STATUS_UNDELIVERED, &["MessageSid", "MessageStatus", "AccountSid"], parses::<MessageStatusCallback>),
            (examples::RECORDING_STATUS_COMPLETED, &["AccountSid", "RecordingSid", "RecordingStatus"], parses::<RecordingStatusCallback>),
        ];
        for (example, required, parses) in cases {
            let mut fields = example.to_vec();
            let i = which % fields.len();
            if required.contains(&fields[i].0) {
                continue;
            }
            fields[i].1 = "";
            prop_assert!(parses(&fields), "{} sent empty", fields[i].0);
        }
    }
}

/// Whether fields parse as some payload type.
type Parses = fn(&[(&'static str, &'static str)]) -> bool;

fn parses<T: DeserializeOwned>(fields: &[(&'static str, &'static str)]) -> bool {
    from_fields::<T>(fields.iter().copied()).is_ok()
}

mod websocket_messages {
    use tower_twilio::payload::examples;
    use tower_twilio::payload::relay::{RelayCommand, RelayEvent};
    use tower_twilio::payload::stream::{StreamCommand, StreamEvent};

    fn stream(text: &str) -> StreamEvent {
        serde_json::from_str(text).unwrap()
    }

    fn relay(text: &str) -> RelayEvent {
        serde_json::from_str(text).unwrap()
    }

    #[test]
    fn the_documented_media_stream_messages_read_as_their_events() {
        assert!(matches!(
            stream(examples::STREAM_CONNECTED),
            StreamEvent::Connected { protocol, version } if protocol == "Call" && version == "1.0.0"
        ));
        let StreamEvent::Start {
            sequence_number,
            stream_sid,
            start,
        } = stream(examples::STREAM_START)
        else {
            panic!("not a start");
        };
        assert_eq!(sequence_number, "1");
        assert_eq!(stream_sid, "MZXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX");
        assert_eq!(start.call_sid, "CAXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX");
        assert_eq!(start.tracks, ["inbound"]);
        assert_eq!(start.media_format.encoding, "audio/x-mulaw");
        assert_eq!(start.media_format.sample_rate, Some(8000));
        assert_eq!(start.custom_parameters["FirstName"], "Jane");
        let StreamEvent::Media { media, .. } = stream(examples::STREAM_MEDIA) else {
            panic!("not a media");
        };
        assert_eq!(
            (
                media.track.as_str(),
                media.chunk.as_str(),
                media.timestamp.as_str()
            ),
            ("inbound", "1", "5")
        );
        assert!(media.payload.starts_with("no+J"));
        let StreamEvent::Dtmf { dtmf, .. } = stream(examples::STREAM_DTMF) else {
            panic!("not a dtmf");
        };
        assert_eq!(dtmf.digit, "1");
        let StreamEvent::Mark { mark, .. } = stream(examples::STREAM_MARK) else {
            panic!("not a mark");
        };
        assert_eq!(mark.name, "my label");
        let StreamEvent::Stop { stop, .. } = stream(examples::STREAM_STOP) else {
            panic!("not a stop");
        };
        assert_eq!(stop.call_sid, "CAXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX");
    }

    #[test]
    fn an_unknown_stream_event_or_field_is_kept_not_refused() {
        assert_eq!(
            stream(r#"{"event":"teleport","streamSid":"MZ1","teleport":{"to":[1,2]}}"#),
            StreamEvent::Other {
                event: "teleport".into()
            }
        );
        let StreamEvent::Media {
            sequence_number,
            media,
            ..
        } = stream(
            r#"{"media":{"chunk":2,"timestamp":40,"new":null},"sequenceNumber":7,"event":"media"}"#,
        )
        else {
            panic!("not a media");
        };
        assert_eq!(
            (
                sequence_number.as_str(),
                media.chunk.as_str(),
                media.timestamp.as_str()
            ),
            ("7", "2", "40")
        );
    }

    #[test]
    fn stream_commands_write_the_documented_json() {
        let json = |c: &StreamCommand| serde_json::to_value(c).unwrap();
        assert_eq!(
            json(&StreamCommand::Media {
                stream_sid: "MZ1".into(),
                payload: "AAA=".into()
            }),
            serde_json::json!({"event": "media", "streamSid": "MZ1", "media": {"payload": "AAA="}})
        );
        assert_eq!(
            json(&StreamCommand::Mark {
                stream_sid: "MZ1".into(),
                name: "end".into()
            }),
            serde_json::json!({"event": "mark", "streamSid": "MZ1", "mark": {"name": "end"}})
        );
        assert_eq!(
            json(&StreamCommand::Clear {
                stream_sid: "MZ1".into()
            }),
            serde_json::json!({"event": "clear", "streamSid": "MZ1"})
        );
    }

    #[test]
    fn the_documented_conversation_relay_messages_read_as_their_events() {
        let RelayEvent::Setup(setup) = relay(examples::RELAY_SETUP) else {
            panic!("not a setup");
        };
        assert_eq!(setup.session_id, "VX00000000000000000000000000000000");
        assert_eq!(setup.call_sid, "CA00000000000000000000000000000000");
        assert_eq!(setup.parent_call_sid, "");
        assert_eq!(setup.call_status, "RINGING");
        assert_eq!(setup.custom_parameters["callReference"], "bar");
        assert_eq!(
            relay(examples::RELAY_PROMPT),
            RelayEvent::Prompt {
                voice_prompt: "Hi! Can you tell me about life?".into(),
                lang: "en-US".into(),
                last: Some(true)
            }
        );
        assert_eq!(
            relay(examples::RELAY_DTMF),
            RelayEvent::Dtmf { digit: "1".into() }
        );
        assert_eq!(
            relay(examples::RELAY_INTERRUPT),
            RelayEvent::Interrupt {
                utterance_until_interrupt: "Life is a complex set of".into(),
                duration_until_interrupt_ms: Some(460)
            }
        );
        let RelayEvent::Error { description } = relay(examples::RELAY_ERROR) else {
            panic!("not an error");
        };
        assert!(description.starts_with("Invalid message received"));
        assert_eq!(
            relay(r#"{"type":"info","data":{"x":1}}"#),
            RelayEvent::Other {
                kind: "info".into()
            }
        );
    }

    #[test]
    fn relay_commands_write_the_documented_json_without_absent_options() {
        let json = |c: &RelayCommand| serde_json::to_value(c).unwrap();
        assert_eq!(
            json(&RelayCommand::Text {
                token: "Hello".into(),
                last: true,
                lang: None,
                interruptible: None,
                preemptible: Some(false)
            }),
            serde_json::json!({"type": "text", "token": "Hello", "last": true, "preemptible": false})
        );
        assert_eq!(
            json(&RelayCommand::Play {
                source: "https://x/a.mp3".into(),
                loop_count: Some(2),
                interruptible: None,
                preemptible: None
            }),
            serde_json::json!({"type": "play", "source": "https://x/a.mp3", "loop": 2})
        );
        assert_eq!(
            json(&RelayCommand::SendDigits {
                digits: "9www1234".into()
            }),
            serde_json::json!({"type": "sendDigits", "digits": "9www1234"})
        );
        assert_eq!(
            json(&RelayCommand::Language {
                tts_language: Some("sv-SE".into()),
                transcription_language: None
            }),
            serde_json::json!({"type": "language", "ttsLanguage": "sv-SE"})
        );
        assert_eq!(
            json(&RelayCommand::End {
                handoff_data: Some("{\"reason\":\"done\"}".into())
            }),
            serde_json::json!({"type": "end", "handoffData": "{\"reason\":\"done\"}"})
        );
    }
}
