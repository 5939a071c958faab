//! The verdict on a request: what its headers allow before the body is
//! read ([`precheck`]), then its fields, the account it is for and its
//! signature. Functions of the request's parts and body that return a value
//! and log nothing (the refusal is logged where it is answered,
//! `response::rejection_response`); the service and the future call them
//! between their states.

use std::borrow::Cow;

use bytes::Bytes;
use http::header::{CONTENT_LENGTH, CONTENT_TYPE};
use http::request::Parts;
use http::{HeaderMap, HeaderValue, Method};
use http_body::Body;

use super::bearer;
use super::config::Config;
use super::headers::single;
#[cfg(feature = "http-auth")]
use super::http_auth;
use super::public_url::is_websocket;
use super::response::{cut, Refusal};
use crate::bearer::VerifyFuture;
use crate::core::fields::FormFields;
use crate::core::settings::join_settings;
use crate::core::validator::{
    decode_form, has_body_sha256, is_form, plausible_signature, stand_in, starts_with_form_type,
    RequestValidator, SignedRequest, MAX_FORM_BYTES, X_TWILIO_SIGNATURE,
    X_TWILIO_WEBHOOKS_SIGNATURE_SETTINGS,
};
use crate::validate::rejection::Rejection;
use crate::validate::webhook::ValidatedWebhook;

/// What a request that passed [`precheck`] goes on with.
pub(crate) struct Prechecked {
    /// The URL to check the signature against.
    pub(crate) url: String,
    /// What is still to be asked before the body is read, unpolled.
    pub(crate) asking: Option<Asking>,
    /// The most of the body that is read, and what a longer one is.
    pub(crate) limit: ReadLimit,
    /// What the rules ask of the request's method and headers.
    pub(crate) shape: Shape,
}

/// What the rules ask of a request's method and headers, read once in
/// [`precheck`] and carried to the checks after the body.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Shape {
    pub(crate) body: BodyKind,
    /// A WebSocket handshake: an `Upgrade: websocket`, or an HTTP/2
    /// `CONNECT` (`public_url::is_websocket`).
    pub(crate) websocket: bool,
}

/// What a request's body is to the signature.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum BodyKind {
    /// Form fields (the core's `is_form`: a `POST` whose first
    /// `Content-Type` is the form's): the fields are signed.
    Form,
    /// Not a form POST, though a handler could parse it as form fields: a
    /// `Content-Type` that starts with `application/x-www-form-urlencoded`,
    /// on any method. axum's `Form` asks the first `Content-Type`; another
    /// framework may read another one, so every one is asked.
    FormLike,
    /// Anything else: signed through `bodySHA256` in the URL, or not at all.
    Other,
}

impl Shape {
    pub(crate) fn of(parts: &Parts) -> Self {
        let content_type = || parts.headers.get_all(CONTENT_TYPE).iter();
        let body = if is_form(
            &parts.method,
            content_type().next().map(HeaderValue::as_bytes),
        ) {
            BodyKind::Form
        } else if content_type().any(|v| starts_with_form_type(v.as_bytes())) {
            BodyKind::FormLike
        } else {
            BodyKind::Other
        };
        Self {
            body,
            websocket: is_websocket(parts),
        }
    }
}

/// The most of a body that is read (see [`check_headers`]), and the
/// rejection of a body longer than that.
#[derive(Clone, Copy, Debug)]
pub(crate) struct ReadLimit {
    pub(crate) bytes: usize,
    pub(crate) past: Rejection,
}

/// What a request's authentication still waits for, before its body is read.
pub(crate) enum Asking {
    /// The bearer verifier's verdict on the token.
    Bearer(VerifyFuture),
    /// The shared store's claim of the Digest nonce count (the credentials
    /// are right).
    #[cfg(feature = "http-auth")]
    NonceCount(crate::auth::ClaimFuture),
}

/// What can be checked before the body is read: HTTP authentication, if
/// configured (the user is put into the extensions); a bearer token is
/// present, if one is required; the signature header is present once and
/// plausible; the declared length fits; the URL can be built. The bearer
/// token itself is verified, and a Digest nonce count claimed in a shared
/// store, after these (`Prechecked::asking`), so that what the headers
/// refuse costs no verification and no store call.
pub(crate) fn precheck<B: Body>(
    config: &Config,
    parts: &mut Parts,
    body: &B,
) -> Result<Prechecked, Refusal> {
    #[cfg(feature = "http-auth")]
    let mut claiming = None;
    #[cfg(feature = "http-auth")]
    if let Some(auth) = &config.auth {
        let (user, claim) = http_auth::authenticate(auth, parts).map_err(http_auth::refusal)?;
        parts.extensions.insert(user);
        claiming = claim.map(Asking::NonceCount);
    }
    #[cfg(not(feature = "http-auth"))]
    let claiming = None;
    // The token is read now, so that a missing one is `401` before the
    // signature's `403`, and verified once the headers pass.
    let token = match &config.bearer {
        Some(verifier) => Some((verifier, bearer::token(parts)?)),
        None => None,
    };
    let shape = Shape::of(parts);
    let (url, limit) = check_headers(config, parts, shape, body)?;
    // `http_auth` and `bearer_auth` exclude each other: one at most.
    let asking = token
        .map(|(verifier, token)| Asking::Bearer(verifier.verify(token)))
        .or(claiming);
    Ok(Prechecked {
        url,
        asking,
        limit,
        shape,
    })
}

/// The most of a request's body that is read: `max_body_bytes`, and no more
/// than [`MAX_FORM_BYTES`] for a body that is, or that a handler could read
/// as, form fields. A form POST (the core's `is_form`) is refused past
/// `MAX_FORM_BYTES` whatever was read, and a body that axum's `Form` would
/// parse without it being a form POST (a `PUT`, a media type that only
/// starts like the form's, a second `Content-Type`) is refused as
/// `malformed_body` once read (see [`signed_fields`]): bytes read past the
/// form cap are waste either way, so they are not read, and a connection
/// holds at most `MAX_FORM_BYTES` for such a body whatever the limit says.
fn read_limit(config: &Config, shape: Shape) -> usize {
    match shape.body {
        BodyKind::Form | BodyKind::FormLike => config.max_body_bytes.min(MAX_FORM_BYTES),
        BodyKind::Other => config.max_body_bytes,
    }
}

/// The signature header, the declared length and the URL; the URL and how
/// much of the body is read.
fn check_headers<B: Body>(
    config: &Config,
    parts: &Parts,
    shape: Shape,
    body: &B,
) -> Result<(String, ReadLimit), Rejection> {
    // Refused before the body is read: what cannot be the base64 of a MAC
    // of the algorithm named (28 characters for HMAC-SHA1, 44 for
    // HMAC-SHA256) cannot validate.
    if !config.skip_signature {
        plausible_signature(
            signature(&parts.headers)?,
            settings(&parts.headers)?.as_deref(),
        )?;
    }
    let declared = parts
        .headers
        .get(CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    let at_least = declared.unwrap_or(0).max(body.size_hint().lower());
    let fits = |limit: ReadLimit| {
        if at_least > limit.bytes as u64 {
            Err(limit.past)
        } else {
            Ok(limit)
        }
    };
    let most = fits(ReadLimit {
        bytes: read_limit(config, shape),
        past: Rejection::BodyTooLarge,
    })?;
    let url = config.origin.url(parts, shape.websocket)?;
    #[cfg(feature = "http-auth")]
    http_auth::warn_if_plain_http(config, &url);
    let limit = match unsignable_body(config, shape, &url) {
        // Not a byte of it can be accepted.
        Some(past) => fits(ReadLimit { bytes: 0, past })?,
        None => most,
    };
    Ok((url, limit))
}

/// Why any body of this request would be refused once read, if it would:
/// no signature can cover the body of a request that is not a form POST
/// unless its URL carries `bodySHA256`, nor the body of a WebSocket
/// handshake (the core's rules: `unsigned_body`), and a body a handler
/// could read as a form without it being a form POST is `malformed_body`
/// first ([`signed_fields`]). Such a body is then read to no byte: its
/// `Content-Length` is refused before it is read and a chunked one at its
/// first byte, with the reason it would have got. Not with
/// `dangerously_skip_signature_with_bearer_only`, where nothing is signed.
fn unsignable_body(config: &Config, shape: Shape, url: &str) -> Option<Rejection> {
    match shape.body {
        _ if config.skip_signature => None,
        BodyKind::Form => None,
        BodyKind::FormLike => Some(Rejection::MalformedBody),
        BodyKind::Other => {
            let signable = !shape.websocket && has_body_sha256(url);
            (!signable).then_some(Rejection::UnsignedBody)
        }
    }
}

/// The fields Twilio signed, as the handler gets them in
/// [`ValidatedWebhook`]: a form POST's body fields, decoded once by the
/// core's rules (over `MAX_FORM_BYTES` is `body_too_large`, a form Twilio
/// would not send is `malformed_body`); the query parameters of a `GET`, a
/// `HEAD` (which axum routes to the `GET` handler) and a WebSocket handshake
/// (an HTTP/2 one is a `CONNECT`), decoded as axum's `Query` decodes them;
/// none for any other request. A POST's query is signed as part of the URL
/// but is not among the fields: the handler reads it with `Query`.
///
/// A body that axum's `Form` would still decode as a form, though it is not
/// a form POST (a `PUT`, or a media type that only starts like the form's,
/// such as `application/x-www-form-urlencoded-x`), is `malformed_body` too:
/// its fields are not the signed ones, so no handler may read them.
pub(crate) fn signed_fields(
    parts: &Parts,
    shape: Shape,
    body: &[u8],
) -> Result<FormFields, Rejection> {
    match shape.body {
        BodyKind::Form => Ok(decode_form(body)?),
        BodyKind::FormLike if !body.is_empty() => Err(Rejection::MalformedBody),
        _ if parts.method == Method::GET || parts.method == Method::HEAD || shape.websocket => {
            Ok(FormFields::from_query(parts.uri.query().unwrap_or("")))
        }
        _ => Ok(FormFields::default()),
    }
}

/// The account a request is for, with a resolver: the value of every
/// `AccountSid` in the form fields (of a form POST) and in the query, which
/// must all be the same.
///
/// The fields are those [`signed_fields`] decoded, which the signature check
/// uses too; the query is read as `form_urlencoded`, and so axum's `Query`,
/// reads it.
pub(crate) fn account_sid(parts: &Parts, fields: &FormFields) -> Result<String, Rejection> {
    const ACCOUNT_SID: &str = "AccountSid";
    let in_fields = fields
        .iter()
        .filter(|(name, _)| *name == ACCOUNT_SID)
        .map(|(_, value)| Cow::Borrowed(value));
    let in_query = parts
        .uri
        .query()
        .map(|query| form_urlencoded::parse(query.as_bytes()))
        .into_iter()
        .flatten()
        .filter(|(name, _)| name == ACCOUNT_SID)
        .map(|(_, value)| value);
    let mut account: Option<Cow<'_, str>> = None;
    for sid in in_fields.chain(in_query) {
        match &account {
            None => account = Some(sid),
            Some(first) if *first == sid => {}
            Some(_) => return Err(Rejection::AccountMismatch),
        }
    }
    account
        .map(Cow::into_owned)
        .ok_or(Rejection::UnknownAccount)
}

/// Validates a request whose body has been read; returns what the handler
/// may extract.
///
/// `None` for keys the resolver did not find: the request is then checked
/// against a stand-in, so that its refusal (`unknown_account`) takes as long
/// as a known account's.
pub(crate) fn check(
    validator: Option<&RequestValidator>,
    parts: &Parts,
    shape: Shape,
    url: &str,
    body: &Bytes,
    fields: FormFields,
) -> Result<ValidatedWebhook, Rejection> {
    let request = signed_request(parts, shape, url, body, &fields)?;
    let verdict = match validator {
        Some(validator) => validator.validate(&request).map_err(Rejection::from),
        None => {
            // The work only: the verdict is the same whatever it says.
            let _ = stand_in().validate(&request);
            Err(Rejection::UnknownAccount)
        }
    };
    let validated = verdict?;
    tracing::debug!(
        target: "tower_twilio",
        key = %validated.key(),
        url = %cut(validated.url()),
        "validated Twilio webhook"
    );
    Ok(ValidatedWebhook::new(fields, validated))
}

/// What the signature of the request is checked over, with the public URL
/// `url`: its fields (a form POST's) or its body.
pub(crate) fn signed_request<'a>(
    parts: &'a Parts,
    shape: Shape,
    url: &'a str,
    body: &'a Bytes,
    fields: &'a FormFields,
) -> Result<SignedRequest<'a>, Rejection> {
    let request = SignedRequest::new(url, signature(&parts.headers)?)
        .joined_settings(settings(&parts.headers)?)
        .method(&parts.method)
        .websocket(shape.websocket);
    Ok(match shape.body {
        BodyKind::Form => request.fields(fields, body),
        BodyKind::FormLike | BodyKind::Other => request.body(body),
    })
}

/// A header's value as text; otherwise it names no algorithm this crate
/// knows.
fn settings_text(value: &HeaderValue) -> Result<&str, Rejection> {
    value.to_str().map_err(|_| Rejection::UnsupportedAlgorithm)
}

/// `X-Twilio-Webhooks-Signature-Settings`, if present; repeated, joined
/// as the libraries' servers join it (the core's `join_settings`). Not
/// text, it names no algorithm this crate knows.
pub(crate) fn settings(headers: &HeaderMap) -> Result<Option<Cow<'_, str>>, Rejection> {
    let values = headers.get_all(&X_TWILIO_WEBHOOKS_SIGNATURE_SETTINGS);
    let mut each = values.iter();
    match (each.next(), each.next()) {
        (None, _) => Ok(None),
        (Some(one), None) => Ok(Some(Cow::Borrowed(settings_text(one)?))),
        _ => {
            let texts = values
                .iter()
                .map(settings_text)
                .collect::<Result<Vec<_>, _>>()?;
            Ok(join_settings(texts.into_iter()))
        }
    }
}

/// `X-Twilio-Signature`: present once, and text.
fn signature(headers: &HeaderMap) -> Result<&str, Rejection> {
    single(headers, &X_TWILIO_SIGNATURE)
        .map_err(|()| Rejection::DuplicateSignature)?
        .ok_or(Rejection::MissingSignature)?
        .to_str()
        .map_err(|_| Rejection::MalformedSignature)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn account(
        method: &str,
        uri: &str,
        content_type: &str,
        body: &str,
    ) -> Result<String, Rejection> {
        let (parts, ()) = http::Request::builder()
            .method(method)
            .uri(uri)
            .header(CONTENT_TYPE, content_type)
            .body(())
            .unwrap()
            .into_parts();
        let fields = signed_fields(&parts, Shape::of(&parts), body.as_bytes())?;
        account_sid(&parts, &fields)
    }

    const FORM: &str = "application/x-www-form-urlencoded";

    #[test]
    fn the_account_is_read_from_the_form_or_the_query() {
        assert_eq!(
            account("POST", "/sms", FORM, "AccountSid=AC1&Body=hi"),
            Ok("AC1".into())
        );
        assert_eq!(
            account("GET", "/s?AccountSid=AC1&x=1", "", ""),
            Ok("AC1".into())
        );
        // Decoded, as the handler reads it.
        assert_eq!(
            account(
                "POST",
                "/sms?Account%53id=AC%31",
                FORM,
                "Account%53id=A%431"
            ),
            Ok("AC1".into())
        );
    }

    #[test]
    fn an_unknown_account_costs_what_a_known_one_does() {
        // The resolver found no keys: the stand-in does the same work.
        let (parts, ()) = http::Request::post("/sms")
            .header(CONTENT_TYPE, FORM)
            .header(X_TWILIO_SIGNATURE, "AAAAAAAAAAAAAAAAAAAAAAAAAAA=")
            .body(())
            .unwrap()
            .into_parts();
        let body = Bytes::from_static(b"AccountSid=AC1&Body=hi");
        let fields = || signed_fields(&parts, Shape::of(&parts), &body).unwrap();
        let url = "https://h.example/sms";
        let macs = |validator: Option<&RequestValidator>| {
            let before = crate::core::validator::MACS.with(|n| n.get());
            let verdict =
                check(validator, &parts, Shape::of(&parts), url, &body, fields()).map(|_| ());
            (
                verdict,
                crate::core::validator::MACS.with(|n| n.get()) - before,
            )
        };
        let known = RequestValidator::new("token-of-AC1");
        let (known_verdict, known_macs) = macs(Some(&known));
        let (unknown_verdict, unknown_macs) = macs(None);
        assert_eq!(known_verdict, Err(Rejection::BadSignature));
        assert_eq!(unknown_verdict, Err(Rejection::UnknownAccount));
        assert!(known_macs > 0);
        assert_eq!(unknown_macs, known_macs);
    }

    #[test]
    fn accounts_that_differ_are_a_mismatch() {
        let mismatch = Err(Rejection::AccountMismatch);
        assert_eq!(
            account("POST", "/sms?AccountSid=AC2", FORM, "AccountSid=AC1"),
            mismatch
        );
        assert_eq!(
            account("POST", "/sms", FORM, "AccountSid=AC1&AccountSid=AC2"),
            mismatch
        );
        assert_eq!(
            account("GET", "/s?AccountSid=AC1&AccountSid=AC2", "", ""),
            mismatch
        );
        assert_eq!(
            account("POST", "/sms?AccountSid=", FORM, "AccountSid=AC1"),
            mismatch
        );
    }

    #[test]
    fn the_body_of_another_content_type_names_no_account() {
        assert_eq!(
            account(
                "POST",
                "/sms?AccountSid=AC1",
                "application/json",
                "AccountSid=AC2"
            ),
            Ok("AC1".into())
        );
        assert_eq!(
            account("POST", "/sms", "application/json", "AccountSid=AC2"),
            Err(Rejection::UnknownAccount)
        );
    }

    #[test]
    fn no_account_is_unknown_and_a_malformed_form_is_malformed() {
        assert_eq!(
            account("POST", "/sms", FORM, "Body=hi"),
            Err(Rejection::UnknownAccount)
        );
        assert_eq!(
            account("POST", "/sms?AccountSid=AC1", FORM, "AccountSid=AC1&&x=1"),
            Err(Rejection::MalformedBody)
        );
    }
}
