//! The typed payloads behind a real server on loopback: each request signed
//! as Twilio signs it, read by `TwilioForm<T>` or
//! `ValidatedWebhook::deserialize`.
//!
//! The fields are those of the parameter tables of Twilio's pages, cited on
//! each payload type (voice webhooks, the incoming message webhook, the
//! message status callback guide, `<Gather>`, `<Record>`); the values follow
//! the tables' example column where it has one (`SMXXXX...`, `+14017...`)
//! and are made up where it has none.

use std::net::SocketAddr;

use axum::routing::post;
use axum::Router;
use http::{Request, StatusCode};
use http_body_util::{BodyExt, Full};
use hyper::body::Bytes;
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;
use tower_twilio::payload::{
    CallStatus, CallStatusCallback, Direction, GatherResult, MessageRequest, MessageStatusCallback,
    RecordResult, VoiceRequest,
};
use tower_twilio::twiml::{escape, Twiml};
use tower_twilio::{Signer, TwilioForm, TwilioValidateLayer, ValidatedWebhook};

const TOKEN: &str = "12345";

async fn voice(TwilioForm(call): TwilioForm<VoiceRequest>) -> Twiml {
    assert_eq!(call.direction, Direction::Inbound);
    Twiml::new(format!(
        "<Response><Say>{} calls {} ({}, {:?})</Say></Response>",
        escape(&call.from),
        escape(&call.to),
        call.call_status,
        call.from_city,
    ))
}

async fn sms(TwilioForm(sms): TwilioForm<MessageRequest>) -> String {
    let media: Vec<String> = sms
        .media
        .iter()
        .map(|m| format!("{} {}", m.content_type, m.url))
        .collect();
    format!(
        "{} from {} ({:?}, {:?}): {} | {}",
        sms.message_sid,
        sms.from,
        sms.profile_name,
        sms.wa_id,
        sms.body,
        media.join(", ")
    )
}

async fn call_status(TwilioForm(status): TwilioForm<CallStatusCallback>) -> String {
    format!(
        "{} {} {:?}s seq {:?} from {:?}",
        status.call.call_sid,
        status.call.call_status,
        status.call_duration,
        status.sequence_number,
        status.callback_source,
    )
}

async fn message_status(TwilioForm(status): TwilioForm<MessageStatusCallback>) -> String {
    format!(
        "{} {:?} {:?}",
        status.message_sid, status.message_status, status.error_code
    )
}

async fn gather(TwilioForm(gather): TwilioForm<GatherResult>) -> String {
    format!(
        "{:?} {:?} {:?} on {}",
        gather.digits, gather.speech_result, gather.confidence, gather.call.call_sid
    )
}

/// Through `ValidatedWebhook::deserialize`, the other way in.
async fn record(webhook: ValidatedWebhook) -> Result<String, (StatusCode, String)> {
    let record: RecordResult = webhook
        .deserialize()
        .map_err(|e| (StatusCode::UNPROCESSABLE_ENTITY, e.to_string()))?;
    Ok(format!(
        "{:?} {} {:?}s {:?}",
        record.recording_sid, record.recording_url, record.recording_duration, record.digits
    ))
}

async fn serve() -> SocketAddr {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let app = Router::new()
        .route("/voice", post(voice))
        .route("/sms", post(sms))
        .route("/call-status", post(call_status))
        .route("/message-status", post(message_status))
        .route("/gather", post(gather))
        .route("/record", post(record))
        .layer(TwilioValidateLayer::new(TOKEN).base_url(&format!("https://{addr}")));
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    addr
}

/// POSTs `fields`, signed, to `path`: the status and the body.
async fn post_signed(path: &str, fields: &[(&str, &str)]) -> (StatusCode, String) {
    let addr = serve().await;
    let body = form_urlencoded::Serializer::new(String::new())
        .extend_pairs(fields)
        .finish();
    let mut req = Request::post(format!("http://{addr}{path}"))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(body)
        .unwrap();
    Signer::new(TOKEN, format!("https://{addr}")).sign(&mut req);
    let client = Client::builder(TokioExecutor::new()).build_http();
    let res = client
        .request(req.map(|b| Full::new(Bytes::from(b))))
        .await
        .unwrap();
    let status = res.status();
    let bytes = res.into_body().collect().await.unwrap().to_bytes();
    (status, String::from_utf8(bytes.to_vec()).unwrap())
}

/// The voice parameters of an incoming call, as the voice webhooks page's
/// "Incoming Voice Call" table lists them.
const CALL: [(&str, &str); 11] = [
    ("CallSid", "CAXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX"),
    ("AccountSid", "ACXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX"),
    ("From", "+14158675309"),
    ("To", "+18005551212"),
    ("CallStatus", "ringing"),
    ("ApiVersion", "2010-04-01"),
    ("Direction", "inbound"),
    ("CallerName", "Lovelace Ada"),
    ("FromCity", "SAN FRANCISCO"),
    ("FromState", "CA"),
    ("FromCountry", "US"),
];

fn call_and(more: &[(&'static str, &'static str)]) -> Vec<(&'static str, &'static str)> {
    let mut fields = CALL.to_vec();
    fields.extend_from_slice(more);
    fields
}

#[tokio::test]
async fn an_incoming_call_reads_as_a_voice_request() {
    let (status, body) = post_signed("/voice", &CALL).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(
        body,
        "<Response><Say>+14158675309 calls +18005551212 (ringing, Some(\"SAN FRANCISCO\"))</Say></Response>"
    );
}

#[tokio::test]
async fn an_mms_reads_as_a_message_request_with_its_media_in_order() {
    let (status, body) = post_signed(
        "/sms",
        &[
            ("MessageSid", "MMXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX"),
            ("SmsSid", "MMXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX"),
            ("AccountSid", "ACXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX"),
            ("MessagingServiceSid", "MGXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX"),
            ("From", "+14017122661"),
            ("To", "+15558675310"),
            ("Body", "Ahoy! We can't wait to see what you build."),
            ("NumMedia", "2"),
            ("NumSegments", "1"),
            ("MediaContentType0", "image/jpeg"),
            ("MediaUrl0", "https://api.twilio.com/2010-04-01/Accounts/ACXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX/Messages/MMXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX/Media/MEXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX0"),
            ("MediaContentType1", "image/png"),
            ("MediaUrl1", "https://api.twilio.com/2010-04-01/Accounts/ACXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX/Messages/MMXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX/Media/MEXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX1"),
        ],
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert!(
        body.ends_with(
            "| image/jpeg https://api.twilio.com/2010-04-01/Accounts/ACXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX/Messages/MMXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX/Media/MEXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX0, \
             image/png https://api.twilio.com/2010-04-01/Accounts/ACXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX/Messages/MMXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX/Media/MEXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX1"
        ),
        "{body}"
    );
}

#[tokio::test]
async fn a_whatsapp_message_reads_its_profile_fields() {
    let (status, body) = post_signed(
        "/sms",
        &[
            ("MessageSid", "SMXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX"),
            ("AccountSid", "ACXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX"),
            ("From", "whatsapp:+14017122661"),
            ("To", "whatsapp:+15558675310"),
            ("Body", "Ahoy!"),
            ("NumMedia", "0"),
            ("ProfileName", "Perry"),
            ("WaId", "14017122661"),
        ],
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(
        body,
        "SMXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX from whatsapp:+14017122661 \
         (Some(\"Perry\"), Some(\"14017122661\")): Ahoy! | "
    );
}

#[tokio::test]
async fn a_completed_call_status_callback_reads_its_duration_and_sequence() {
    let mut fields = call_and(&[
        ("CallDuration", "27"),
        ("CallbackSource", "call-progress-events"),
        ("Timestamp", "Tue, 07 Jan 2025 18:37:53 +0000"),
        ("SequenceNumber", "3"),
    ]);
    fields[4] = ("CallStatus", "completed");
    let (status, body) = post_signed("/call-status", &fields).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(
        body,
        "CAXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX completed Some(27)s seq Some(3) from Some(\"call-progress-events\")"
    );
}

#[tokio::test]
async fn an_undelivered_message_status_callback_reads_its_error_code() {
    let (status, body) = post_signed(
        "/message-status",
        &[
            ("MessageSid", "SMXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX"),
            ("MessageStatus", "undelivered"),
            ("AccountSid", "ACXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX"),
            ("From", "+15558675310"),
            ("To", "+14017122661"),
            ("ApiVersion", "2010-04-01"),
            ("SmsSid", "SMXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX"),
            ("SmsStatus", "undelivered"),
            ("ErrorCode", "30003"),
        ],
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(
        body,
        "SMXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX Undelivered Some(30003)"
    );
}

#[tokio::test]
async fn a_gather_with_speech_reads_its_result_and_confidence() {
    let (status, body) = post_signed(
        "/gather",
        &call_and(&[
            ("SpeechResult", "sales please"),
            ("Confidence", "0.9335614"),
        ]),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(
        body,
        "None Some(\"sales please\") Some(0.9335614) on CAXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX"
    );
}

#[tokio::test]
async fn a_gather_with_digits_reads_them() {
    let (status, body) = post_signed("/gather", &call_and(&[("Digits", "1234")])).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert!(body.starts_with("Some(\"1234\") None None"), "{body}");
}

#[tokio::test]
async fn a_record_action_reads_through_validated_webhook_deserialize() {
    let (status, body) = post_signed(
        "/record",
        &call_and(&[
            ("RecordingUrl", "https://api.twilio.com/2010-04-01/Accounts/ACXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX/Recordings/REXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX"),
            ("RecordingSid", "REXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX"),
            ("RecordingDuration", "6"),
            ("Digits", "#"),
        ]),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(
        body,
        "Some(\"REXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX\") https://api.twilio.com/2010-04-01/Accounts/ACXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX/Recordings/REXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX Some(6)s Some(\"#\")"
    );
}

#[tokio::test]
async fn an_unknown_call_status_reaches_the_handler_as_other() {
    let mut fields = CALL.to_vec();
    fields[4] = ("CallStatus", "a-status-from-the-future");
    let (status, body) = post_signed("/voice", &fields).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert!(body.contains("(a-status-from-the-future,"), "{body}");
    assert_eq!(
        CallStatus::from("a-status-from-the-future"),
        CallStatus::Other("a-status-from-the-future".into())
    );
}

#[tokio::test]
async fn a_missing_required_field_is_a_422_naming_it() {
    let fields: Vec<_> = CALL.iter().filter(|(k, _)| *k != "CallSid").collect();
    let fields: Vec<(&str, &str)> = fields.into_iter().copied().collect();
    let (status, body) = post_signed("/voice", &fields).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(body.contains("missing field `CallSid`"), "{body}");
}

#[tokio::test]
async fn num_media_that_disagrees_with_the_media_fields_is_a_422_saying_so() {
    let (status, body) = post_signed(
        "/sms",
        &[
            ("MessageSid", "MMXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX"),
            ("AccountSid", "ACXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX"),
            ("From", "+14017122661"),
            ("To", "+15558675310"),
            ("Body", ""),
            ("NumMedia", "2"),
            ("MediaContentType0", "image/jpeg"),
            ("MediaUrl0", "https://api.twilio.com/a"),
        ],
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(body.contains("NumMedia is 2"), "{body}");
}

#[tokio::test]
async fn a_message_status_the_docs_list_is_its_variant() {
    let (status, body) = post_signed(
        "/message-status",
        &[
            ("MessageSid", "SMXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX"),
            ("MessageStatus", "read"),
            ("AccountSid", "ACXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX"),
            ("From", "whatsapp:+15558675310"),
            ("To", "whatsapp:+14017122661"),
            ("ChannelInstallSid", "XEXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX"),
        ],
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body, "SMXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX Read None");
}
