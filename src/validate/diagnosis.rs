//! Why a signature failed, for the log only: a few likely misconfigurations
//! are tried, and the first whose URL the signature matches is named, with
//! the setting to change; for `unknown_shared_key`, the key id the settings
//! header named and the ids configured (ids are not secrets). Never part of
//! the verdict.
//!
//! Bounded: at most one diagnosis per second per layer (the others are
//! refused with a hint that says it was suppressed), only when the
//! `tower_twilio` INFO event is enabled, and at most [`VARIANTS`] URLs, each checked like a request (so at most
//! [`MAX_MACS_PER_KEY`](crate::MAX_MACS_PER_KEY) MACs per key each). It
//! logs URLs and setting names, never a secret or an expected signature.

use bytes::Bytes;
use http::header::HOST;
use http::request::Parts;

use super::config::Config;
use super::public_url::{original_uri, PublicOrigin};
use super::verdict::{settings, signed_fields, signed_request, Shape};
use crate::core::settings::SignatureSettings;
use crate::core::target::origin_form;
use crate::core::validator::RequestValidator;

/// The most URLs one diagnosis tries.
pub(crate) const VARIANTS: usize = 4;

/// What a rate-limited `bad_signature` says instead of a diagnosis.
pub(crate) const SUPPRESSED: &str =
    "not diagnosed: at most one diagnosis a second per layer, this one was suppressed";

/// What to tell the user about a `bad_signature`: the setting to change if
/// a likely misconfiguration explains it, else that the token is the likely
/// cause, or [`SUPPRESSED`] when the limit allows no diagnosis now. `None`
/// when the event is disabled.
pub(crate) fn diagnose(
    config: &Config,
    validator: &RequestValidator,
    parts: &Parts,
    shape: Shape,
    url: &str,
    body: &Bytes,
) -> Option<String> {
    if !tracing::enabled!(target: "tower_twilio", tracing::Level::INFO) {
        return None;
    }
    if !config.diagnosis.allow() {
        return Some(SUPPRESSED.to_owned());
    }
    let fields = signed_fields(parts, shape, body).ok()?;
    let matches = |candidate: &str| {
        candidate != url
            && signed_request(parts, shape, candidate, body, &fields)
                .is_ok_and(|request| validator.validate(&request).is_ok())
    };
    for (candidate, hint) in variants(&config.origin, parts, shape.websocket, url)
        .into_iter()
        .take(VARIANTS)
    {
        if matches(&candidate) {
            return Some(format!("{hint} (the signature matches {candidate})"));
        }
    }
    Some(
        "the signature matches no variant of the URL this layer knows (scheme, forwarded \
         headers, Host, prefix): the likely cause is the token (another account or a \
         subaccount, a rotated token, test credentials)"
            .to_owned(),
    )
}

/// What to tell the user about an `unknown_shared_key`: the id the
/// settings header named (or that it named none), which is not configured,
/// and the ids that are, none of whose keys signed the request. Costs no
/// MAC. `None` when no diagnosis ran (disabled or rate-limited).
pub(crate) fn diagnose_unknown_shared_key(
    config: &Config,
    validator: &RequestValidator,
    parts: &Parts,
) -> Option<String> {
    if !tracing::enabled!(target: "tower_twilio", tracing::Level::INFO) || !config.diagnosis.allow()
    {
        return None;
    }
    let header = settings(&parts.headers).ok()??;
    let parsed = SignatureSettings::parse(&header).ok()?;
    let named = match parsed.key() {
        Some(id) => format!("names the shared key id {id:?}, which is not configured"),
        None => "names no shared key id".to_owned(),
    };
    let configured: Vec<String> = validator
        .shared_key_ids()
        .map(|id| format!("{id:?}"))
        .collect();
    let tried = if configured.is_empty() {
        "and no shared key is configured (RequestValidator::shared_key)".to_owned()
    } else {
        format!(
            "and none of the configured shared keys ({}) signed the request: the likely \
             cause is a shared key this layer does not have",
            configured.join(", ")
        )
    };
    Some(format!(
        "X-Twilio-Webhooks-Signature-Settings {named}, {tried}"
    ))
}

/// The likely misconfigurations, as the URL each would have been signed
/// for and what to change.
fn variants(
    origin: &PublicOrigin,
    parts: &Parts,
    websocket: bool,
    url: &str,
) -> Vec<(String, String)> {
    let mut out = Vec::with_capacity(VARIANTS);
    let Some(target) = origin_form(original_uri(parts)) else {
        return out;
    };
    // What `base_url` takes: the candidate without the target, `http(s)`.
    let base = |candidate: &str| {
        let origin = &candidate[..candidate.len() - target.len()];
        match origin.split_once("://") {
            Some(("wss", rest)) => format!("https://{rest}"),
            Some(("ws", rest)) => format!("http://{rest}"),
            _ => origin.to_owned(),
        }
    };

    // Forwarded headers that are not trusted (a proxy or a tunnel).
    let forwarded = [
        "forwarded",
        "x-forwarded-host",
        "x-forwarded-proto",
        "x-forwarded-prefix",
        "x-forwarded-port",
    ]
    .iter()
    .any(|h| parts.headers.contains_key(*h));
    if forwarded && !origin.trust_forwarded {
        let trusting = PublicOrigin {
            trust_forwarded: true,
            ..PublicOrigin::default()
        };
        if let Ok(candidate) = trusting.url(parts, websocket) {
            let hint = format!(
                "the URL of the forwarded headers, which are not trusted: set base_url(\"{}\") \
                 (or trust_forwarded_headers(true) behind a proxy that overwrites them)",
                base(&candidate)
            );
            out.push((candidate, hint));
        }
    }

    // The request's Host where another host is configured.
    if let Some(configured) = &origin.host {
        let request_host = parts.headers.get(HOST).and_then(|h| h.to_str().ok());
        if request_host.is_some_and(|h| !h.eq_ignore_ascii_case(configured)) {
            let with_host = PublicOrigin {
                host: None,
                trust_forwarded: false,
                ..origin.clone()
            };
            if let Ok(candidate) = with_host.url(parts, websocket) {
                let hint = format!(
                    "the request's Host, not the configured {configured}: set base_url(\"{}\")",
                    base(&candidate)
                );
                out.push((candidate, hint));
            }
        }
    }

    // The configured prefix removed: none in Twilio's URL, or the whole
    // console URL pasted into `base_url`.
    if let Some(prefix) = origin.prefix.as_deref().filter(|p| !p.is_empty()) {
        let without = PublicOrigin {
            prefix: Some(String::new()),
            ..origin.clone()
        };
        if let Ok(candidate) = without.url(parts, websocket) {
            let path = target.split('?').next().unwrap_or("");
            let hint = if prefix.ends_with(path) {
                format!(
                    "base_url holds the whole webhook URL (its path is {prefix}); set \
                     base_url(\"{}\"), the URL without the route",
                    base(&candidate)
                )
            } else {
                format!(
                    "the URL without the prefix {prefix}: set base_url(\"{}\")",
                    base(&candidate)
                )
            };
            out.push((candidate, hint));
        }
    }

    // The other scheme.
    let flipped = [
        ("https://", "http://"),
        ("http://", "https://"),
        ("wss://", "ws://"),
        ("ws://", "wss://"),
    ]
    .iter()
    .find_map(|(from, to)| url.strip_prefix(from).map(|rest| format!("{to}{rest}")));
    if let Some(candidate) = flipped {
        let hint = format!("the other scheme: set base_url(\"{}\")", base(&candidate));
        out.push((candidate, hint));
    }
    out
}
