//! What a validated request carries to the handler.

use std::sync::OnceLock;

use crate::core::fields::FormFields;

use crate::core::validator::{MatchedKey, Validated};

/// Inserted into the request's extensions by the layer once the signature is
/// valid: the decoded fields in the order received (see [`params`](Self::params)), the key that matched,
/// the URL the signature was made over and, with a
/// [`KeyResolver`](crate::validate::KeyResolver), the account whose keys
/// validated it.
///
/// The fields stay in the one buffer the layer decoded them into;
/// [`get`](Self::get), [`get_all`](Self::get_all) and
/// [`deserialize`](Self::deserialize) read it in place, and
/// [`params`](Self::params) makes owned copies the first time it is called.
///
/// With the `axum` feature it is also an extractor; used on a route without
/// the layer in front it fails with a 500 that says so.
#[derive(Clone, Debug)]
pub struct ValidatedWebhook {
    fields: FormFields,
    /// `fields` as owned pairs, made on the first call to `params`.
    owned: OnceLock<Vec<(String, String)>>,
    validated: Validated,
    /// The account the resolver gave the keys of.
    account_sid: Option<String>,
}

impl PartialEq for ValidatedWebhook {
    fn eq(&self, other: &Self) -> bool {
        self.fields == other.fields
            && self.validated == other.validated
            && self.account_sid == other.account_sid
    }
}

impl Eq for ValidatedWebhook {}

impl ValidatedWebhook {
    pub(crate) fn new(fields: FormFields, validated: Validated) -> Self {
        Self {
            fields,
            owned: OnceLock::new(),
            validated,
            account_sid: None,
        }
    }

    /// Records the account whose keys, from the resolver, validated it.
    pub(crate) fn with_account_sid(mut self, account_sid: Option<String>) -> Self {
        self.account_sid = account_sid;
        self
    }

    /// The decoded fields, in the order received: a form POST's body
    /// fields, or the query of a `GET`, a `HEAD` or a WebSocket handshake;
    /// empty for any other request.
    pub fn params(&self) -> &[(String, String)] {
        self.owned.get_or_init(|| {
            self.fields
                .iter()
                .map(|(k, v)| (k.to_owned(), v.to_owned()))
                .collect()
        })
    }

    /// The first value of a form field.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.fields.iter().find(|(k, _)| *k == name).map(|(_, v)| v)
    }

    /// Every value of a form field, in the order received.
    pub fn get_all<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a str> + 'a {
        self.fields
            .iter()
            .filter(move |(k, _)| *k == name)
            .map(|(_, v)| v)
    }

    /// The key that signed the request.
    pub fn matched_key(&self) -> &MatchedKey {
        self.validated.key()
    }

    /// The URL the signature was made over.
    pub fn url(&self) -> &str {
        self.validated.url()
    }

    /// The MAC the request carried: what the replay guard keys on.
    pub(crate) fn mac(&self) -> &[u8] {
        self.validated.mac()
    }

    /// The `AccountSid` whose keys validated the request, when the layer
    /// was built [`with_resolver`](crate::TwilioValidateLayer::with_resolver);
    /// `None` with keys configured once. Every `AccountSid` of the form
    /// fields and the query is this one: the layer refuses a request whose
    /// values differ (`account_mismatch`).
    pub fn account_sid(&self) -> Option<&str> {
        self.account_sid.as_deref()
    }

    /// The fields as a typed struct, without parsing the body again: a
    /// scalar field takes the first value, a `Vec` every value, numbers and
    /// booleans are parsed, an absent `Option` is `None`.
    ///
    /// ```
    /// # use tower_twilio::ValidatedWebhook;
    /// #[derive(serde::Deserialize)]
    /// #[serde(rename_all = "PascalCase")]
    /// struct Sms { from: String, body: String, num_media: u32 }
    ///
    /// fn handle(webhook: &ValidatedWebhook) -> Result<(), serde::de::value::Error> {
    ///     let sms: Sms = webhook.deserialize()?;
    ///     println!("{} sent {} ({} media)", sms.from, sms.body, sms.num_media);
    ///     Ok(())
    /// }
    /// ```
    pub fn deserialize<T: serde::de::DeserializeOwned>(
        &self,
    ) -> Result<T, serde::de::value::Error> {
        crate::core::form::from_pairs(self.fields.iter())
    }
}

#[cfg(feature = "axum")]
mod extract {
    use axum::extract::FromRequestParts;
    use axum::response::{IntoResponse, Response};
    use http::request::Parts;
    use http::StatusCode;
    use serde::de::DeserializeOwned;
    use std::borrow::Cow;
    use std::sync::atomic::{AtomicBool, Ordering};
    use std::sync::OnceLock;

    use super::ValidatedWebhook;
    use crate::validate::limiter::Limiter;

    /// The extractor ran on a route without `TwilioValidateLayer` in front.
    #[derive(Clone, Copy, Debug)]
    pub struct MissingTwilioValidateLayer;

    impl std::fmt::Display for MissingTwilioValidateLayer {
        fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.write_str(
                "a Twilio extractor was used on a route that TwilioValidateLayer does not \
                 cover; add .layer(TwilioValidateLayer::new(token)) to this route",
            )
        }
    }

    impl std::error::Error for MissingTwilioValidateLayer {}

    impl MissingTwilioValidateLayer {
        /// The rejection for `parts`, logged (an ERROR event, target
        /// `tower_twilio`, with the path) the first time in the process
        /// only, so that requests to an uncovered route cannot flood the
        /// log.
        fn at(parts: &Parts) -> Self {
            static LOGGED: AtomicBool = AtomicBool::new(false);
            if !LOGGED.swap(true, Ordering::Relaxed) {
                tracing::error!(
                    target: "tower_twilio",
                    path = %crate::validate::response::cut(parts.uri.path()),
                    "{MissingTwilioValidateLayer}; answering 500 (logged once)"
                );
            }
            MissingTwilioValidateLayer
        }
    }

    impl IntoResponse for MissingTwilioValidateLayer {
        fn into_response(self) -> Response {
            (StatusCode::INTERNAL_SERVER_ERROR, self.to_string()).into_response()
        }
    }

    impl<S: Send + Sync> FromRequestParts<S> for ValidatedWebhook {
        type Rejection = MissingTwilioValidateLayer;

        async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
            parts
                .extensions
                .get::<ValidatedWebhook>()
                .cloned()
                .ok_or_else(|| MissingTwilioValidateLayer::at(parts))
        }
    }

    /// Extractor for the validated form fields as a typed struct, built from
    /// the fields the layer already decoded (see [`ValidatedWebhook::deserialize`]).
    ///
    /// ```
    /// use axum::{routing::post, Router};
    /// use tower_twilio::twiml::{escape, Twiml};
    /// use tower_twilio::{TwilioForm, TwilioValidateLayer};
    ///
    /// #[derive(serde::Deserialize)]
    /// #[serde(rename_all = "PascalCase")]
    /// struct Sms { from: String, body: String }
    ///
    /// async fn sms(TwilioForm(sms): TwilioForm<Sms>) -> Twiml {
    ///     Twiml::new(format!(
    ///         "<Response><Message>You said {}</Message></Response>",
    ///         escape(&sms.body)
    ///     ))
    /// }
    ///
    /// let app: Router = Router::new()
    ///     .route("/sms", post(sms))
    ///     .layer(TwilioValidateLayer::new("token"));
    /// ```
    #[derive(Clone, Copy, Debug, Default)]
    pub struct TwilioForm<T>(pub T);

    /// Why [`TwilioForm`] failed.
    #[derive(Debug)]
    pub enum TwilioFormRejection {
        /// The layer is not in front of this route (500).
        MissingLayer(MissingTwilioValidateLayer),
        /// The fields do not fit the struct (422).
        Invalid(serde::de::value::Error),
    }

    impl std::fmt::Display for TwilioFormRejection {
        fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            match self {
                Self::MissingLayer(e) => e.fmt(f),
                Self::Invalid(e) => write!(f, "the Twilio webhook fields do not fit: {e}"),
            }
        }
    }

    impl std::error::Error for TwilioFormRejection {}

    impl IntoResponse for TwilioFormRejection {
        fn into_response(self) -> Response {
            let status = match self {
                Self::MissingLayer(_) => StatusCode::INTERNAL_SERVER_ERROR,
                Self::Invalid(_) => StatusCode::UNPROCESSABLE_ENTITY,
            };
            (status, self.to_string()).into_response()
        }
    }

    impl<S: Send + Sync, T: DeserializeOwned> FromRequestParts<S> for TwilioForm<T> {
        type Rejection = TwilioFormRejection;

        async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
            let Some(webhook) = parts.extensions.get::<ValidatedWebhook>() else {
                let missing = MissingTwilioValidateLayer::at(parts);
                return Err(TwilioFormRejection::MissingLayer(missing));
            };
            webhook.deserialize().map(TwilioForm).map_err(|e| {
                log_unfit::<T>(parts, &e);
                TwilioFormRejection::Invalid(e)
            })
        }
    }

    /// The most bytes of a field name or a reason the 422 event writes.
    const LOGGED_BYTES: usize = 100;

    /// Writes the 422 of a payload that does not fit `T`: one WARN event,
    /// target `tower_twilio`, with the path, the type, the field and what
    /// was wrong with it, never a value. At most one a second in the
    /// process (the [`Limiter`] of the 403 diagnosis), so that a stream of
    /// such requests cannot flood the log.
    fn log_unfit<T>(parts: &Parts, error: &serde::de::value::Error) {
        static LIMITER: OnceLock<Limiter> = OnceLock::new();
        if !tracing::enabled!(target: "tower_twilio", tracing::Level::WARN)
            || !LIMITER.get_or_init(Limiter::default).allow()
        {
            return;
        }
        let message = error.to_string();
        let (field, reason) = unfit(&message);
        tracing::warn!(
            target: "tower_twilio",
            path = %crate::validate::response::cut(parts.uri.path()),
            payload = short_type_name(std::any::type_name::<T>()),
            field = field.unwrap_or("-"),
            reason = %reason,
            "a validated Twilio webhook does not fit the handler's payload type; answering 422 \
             (Twilio does not retry it; at most one such event a second)"
        );
    }

    /// A type's name without its module path (`GatherResult`,
    /// `Option<my_app::Sms>`): what the user wrote in `TwilioForm<T>`.
    fn short_type_name(name: &str) -> &str {
        let outer = name.find('<').unwrap_or(name.len());
        name[..outer].rfind("::").map_or(name, |i| &name[i + 2..])
    }

    /// The field and the reason of a deserialization error, without the
    /// value: the messages of the crate's payload types (`missing field
    /// `X``, `field `X`: expected ...`, `NumMedia is ...`) give both; any
    /// other message is kept up to its first quoted part (where serde puts
    /// the value: `invalid type: string "..."`).
    pub(crate) fn unfit(message: &str) -> (Option<&str>, Cow<'_, str>) {
        fn bounded(s: &str) -> String {
            let mut end = s.len().min(LOGGED_BYTES);
            while !s.is_char_boundary(end) {
                end -= 1;
            }
            s[..end].to_owned()
        }
        fn quoted(rest: &str) -> Option<&str> {
            rest.split_once('`').map(|(field, _)| field)
        }
        if let Some(field) = message.strip_prefix("missing field `").and_then(quoted) {
            return (Some(field), Cow::Borrowed("missing"));
        }
        if let Some(field) = message.strip_prefix("duplicate field `").and_then(quoted) {
            return (Some(field), Cow::Borrowed("sent twice"));
        }
        if let Some((field, reason)) = message
            .strip_prefix("field `")
            .and_then(|rest| rest.split_once("`: "))
        {
            return (Some(field), Cow::Owned(bounded(reason)));
        }
        if message.starts_with("NumMedia is ") {
            return (
                Some("NumMedia"),
                Cow::Borrowed("disagrees with the MediaUrlN and MediaContentTypeN fields"),
            );
        }
        let end = message.find(['`', '"', '\'']).unwrap_or(message.len());
        let reason = message[..end].trim_end_matches([' ', ':', ',']);
        (None, Cow::Owned(bounded(reason)))
    }

    #[cfg(test)]
    mod tests {
        use super::{short_type_name, unfit};

        #[test]
        fn the_logged_type_name_drops_the_module_path() {
            assert_eq!(
                short_type_name("tower_twilio::payload::voice::GatherResult"),
                "GatherResult"
            );
            assert_eq!(short_type_name("Sms"), "Sms");
            assert_eq!(
                short_type_name("core::option::Option<app::Sms>"),
                "Option<app::Sms>"
            );
        }

        #[test]
        fn the_logged_reason_names_the_field_and_never_the_value() {
            assert_eq!(unfit("missing field `To`"), (Some("To"), "missing".into()));
            assert_eq!(
                unfit("field `Confidence`: expected a number"),
                (Some("Confidence"), "expected a number".into())
            );
            assert_eq!(
                unfit("NumMedia is 7 but the request has 2 MediaUrlN fields").0,
                Some("NumMedia")
            );
            let (field, reason) = unfit("unknown variant `secret-value`, expected one of `a`, `b`");
            assert_eq!((field, reason.as_ref()), (None, "unknown variant"));
            let (_, reason) = unfit("invalid type: string \"secret\", expected u32");
            assert_eq!(reason, "invalid type: string");
        }
    }
}

#[cfg(feature = "axum")]
pub use extract::{MissingTwilioValidateLayer, TwilioForm, TwilioFormRejection};
