//! The messaging webhooks: an incoming message (SMS, MMS, WhatsApp) and
//! an outbound message's status callback.

use std::collections::BTreeMap;

use serde::de::{self, Deserialize, Deserializer};

use super::form::{twilio_enum, Fields};

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
