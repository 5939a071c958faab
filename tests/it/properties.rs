//! Properties of the signing rule, checked on generated requests.
//!
//! URLs are generated the way Twilio signs them: `http` or `https`, a
//! lowercase host, maybe a port, a path and maybe a query of `key=value`
//! pairs, of unreserved characters (`A-Z a-z 0-9 - . _ ~`). Form fields are
//! any Unicode strings, empty values included (a field without a name is
//! refused as a malformed body).
//!
//! The changes made are ones that alter what Twilio signs. Some changes do
//! not, by design of Twilio's scheme, and are not generated: a field sent
//! twice is signed once (so turning one copy of a duplicate into the other
//! changes nothing), and twilio-node re-encodes the query (so `?a&` is
//! accepted for a signature over `?a=`); the layer accepts what Twilio's
//! libraries accept.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use axum::body::Body;
use axum::routing::post;
use axum::Router;
use http::{Request, StatusCode};
use proptest::prelude::*;
use tower::ServiceExt;
use tower_twilio::{
    compute_signature, Algorithm, RequestValidator, SignatureError, SignedRequest, Signer,
    TwilioValidateLayer,
};

const TOKEN: &str = "property-token";
const SHARED: &str = "property-shared-secret";
const SETTINGS: &str = "key=k1,algorithm=HMAC_SHA256";

/// A URL as Twilio signs it, kept in parts so that one part can be changed.
#[derive(Clone, Debug)]
struct Url {
    origin: String,
    path: String,
    query: Option<Vec<(String, String)>>,
}

impl Url {
    fn render(&self) -> String {
        let mut url = format!("{}{}", self.origin, self.path);
        if let Some(pairs) = &self.query {
            let query: Vec<String> = pairs.iter().map(|(k, v)| format!("{k}={v}")).collect();
            url.push('?');
            url.push_str(&query.join("&"));
        }
        url
    }
}

/// A path segment of unreserved characters.
const SEGMENT: &str = "[A-Za-z0-9._~-]{1,10}";
/// A query key or value of unreserved characters.
const WORD: &str = "[A-Za-z0-9._~-]{1,8}";

fn url() -> impl Strategy<Value = Url> {
    let scheme = prop_oneof![Just("https"), Just("http")];
    let host = "[a-z0-9]([a-z0-9-]{0,10}[a-z0-9])?(\\.[a-z0-9]{1,8}){0,2}";
    let port = proptest::option::of(1u16..=65535);
    let path = proptest::collection::vec(SEGMENT, 1..4).prop_map(|s| format!("/{}", s.join("/")));
    let query = proptest::option::of(proptest::collection::vec((WORD, WORD), 1..4));
    (scheme, host, port, path, query).prop_map(|(scheme, host, port, path, query)| {
        let port = port.map(|p| format!(":{p}")).unwrap_or_default();
        Url {
            origin: format!("{scheme}://{host}{port}"),
            path,
            query,
        }
    })
}

/// Any form fields with a name (Twilio sends no field without one),
/// repeated keys and repeated pairs included.
fn params() -> impl Strategy<Value = Vec<(String, String)>> {
    let name = any::<String>().prop_filter("a name", |k| !k.is_empty());
    proptest::collection::vec((name, any::<String>()), 0..8)
}

/// Form fields without a repeated (key, value) pair, at least one character.
fn distinct_params() -> impl Strategy<Value = Vec<(String, String)>> {
    params()
        .prop_map(|mut p| {
            p.sort();
            p.dedup();
            p
        })
        .prop_filter("something to change", |p| {
            p.iter().any(|(k, v)| !k.is_empty() || !v.is_empty())
        })
}

/// A printable ASCII character other than `c`.
fn other_ascii(c: char, pick: u8) -> char {
    let at = |n: u16| char::from(b' ' + (n % 95) as u8);
    let candidate = at(pick.into());
    if candidate == c {
        at(u16::from(pick) + 1)
    } else {
        candidate
    }
}

/// `s` with its `index`-th character (modulo its length) replaced by `with`.
fn replace_char(s: &str, index: usize, with: impl Fn(char) -> char) -> String {
    let n = s.chars().count();
    let at = index % n;
    s.chars()
        .enumerate()
        .map(|(i, c)| if i == at { with(c) } else { c })
        .collect()
}

/// An unreserved character other than `c`.
fn other_unreserved(c: char, pick: u8) -> char {
    const CHARS: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~";
    let candidate = char::from(CHARS[usize::from(pick) % CHARS.len()]);
    if candidate == c {
        char::from(CHARS[(usize::from(pick) + 1) % CHARS.len()])
    } else {
        candidate
    }
}

fn validator() -> RequestValidator {
    RequestValidator::new(TOKEN).shared_key("k1", SHARED)
}

/// Signs `signed_url` and `signed_params`, then validates `url` and `params`.
fn verdict(
    shared_key: bool,
    signed_url: &str,
    signed_params: &[(String, String)],
    url: &str,
    params: &[(String, String)],
) -> Result<(), SignatureError> {
    let (secret, algorithm, settings) = if shared_key {
        (SHARED, Algorithm::HmacSha256, Some(SETTINGS))
    } else {
        (TOKEN, Algorithm::HmacSha1, None)
    };
    let signature = compute_signature(secret, algorithm, signed_url, signed_params);
    let request = SignedRequest::new(url, &signature)
        .params(params)
        .settings(settings);
    validator().validate(&request).map(|_| ())
}

proptest! {
    // Validation in a debug build is slow enough that 128 cases a property
    // keep the whole file at a few seconds.
    #![proptest_config(ProptestConfig::with_cases(128))]

    #[test]
    fn a_request_signed_by_compute_signature_validates(
        url in url(),
        params in params(),
        shared_key in any::<bool>(),
    ) {
        let url = url.render();
        prop_assert_eq!(verdict(shared_key, &url, &params, &url, &params), Ok(()));
    }

    #[test]
    fn the_order_of_the_fields_on_the_wire_does_not_matter(
        url in url(),
        params in params(),
        rotation in any::<usize>(),
    ) {
        let url = url.render();
        let mut reordered = params.clone();
        reordered.reverse();
        if !reordered.is_empty() {
            let by = rotation % reordered.len();
            reordered.rotate_left(by);
        }
        prop_assert_eq!(verdict(false, &url, &params, &url, &reordered), Ok(()));
    }

    #[test]
    fn changing_one_character_of_a_key_or_value_fails(
        url in url(),
        params in distinct_params(),
        which in any::<usize>(),
        index in any::<usize>(),
        pick in any::<u8>(),
        shared_key in any::<bool>(),
    ) {
        let url = url.render();
        // The non-empty keys and values, as (pair, is value).
        let spots: Vec<(usize, bool)> = params
            .iter()
            .enumerate()
            .flat_map(|(i, (k, v))| [(i, false, k), (i, true, v)])
            .filter(|(_, _, s)| !s.is_empty())
            .map(|(i, is_value, _)| (i, is_value))
            .collect();
        let (pair, is_value) = spots[which % spots.len()];
        let mut changed = params.clone();
        let target = if is_value { &mut changed[pair].1 } else { &mut changed[pair].0 };
        *target = replace_char(target, index, |c| other_ascii(c, pick));
        prop_assert_eq!(
            verdict(shared_key, &url, &params, &url, &changed),
            Err(SignatureError::BadSignature),
            "{:?} -> {:?}", params, changed
        );
    }

    #[test]
    fn changing_one_character_of_the_path_fails(
        url in url(),
        params in params(),
        index in any::<usize>(),
        pick in any::<u8>(),
        shared_key in any::<bool>(),
    ) {
        let mut changed = url.clone();
        // Any character after the leading `/`, to an unreserved one or `/`.
        let rest = replace_char(&url.path[1..], index, |c| {
            if pick % 8 == 0 && c != '/' { '/' } else { other_unreserved(c, pick) }
        });
        changed.path = format!("/{rest}");
        let (signed, sent) = (url.render(), changed.render());
        prop_assert_eq!(
            verdict(shared_key, &signed, &params, &sent, &params),
            Err(SignatureError::BadSignature),
            "{} -> {}", signed, sent
        );
    }

    #[test]
    fn changing_one_character_of_a_query_key_or_value_fails(
        url in url(),
        params in params(),
        which in any::<usize>(),
        value in any::<bool>(),
        index in any::<usize>(),
        pick in any::<u8>(),
        shared_key in any::<bool>(),
    ) {
        let Some(pairs) = &url.query else {
            return Ok(());
        };
        let mut changed = url.clone();
        let pair = &mut changed.query.as_mut().unwrap()[which % pairs.len()];
        let target = if value { &mut pair.1 } else { &mut pair.0 };
        *target = replace_char(target, index, |c| other_unreserved(c, pick));
        let (signed, sent) = (url.render(), changed.render());
        prop_assert_eq!(
            verdict(shared_key, &signed, &params, &sent, &params),
            Err(SignatureError::BadSignature),
            "{} -> {}", signed, sent
        );
    }

    #[test]
    fn another_token_never_validates(
        url in url(),
        params in params(),
        token in "[ -~]{1,40}",
    ) {
        prop_assume!(token != TOKEN);
        let url = url.render();
        let signature = compute_signature(&token, Algorithm::HmacSha1, &url, &params);
        let request = SignedRequest::new(&url, &signature).params(&params);
        prop_assert_eq!(validator().validate(&request).map(|_| ()), Err(SignatureError::BadSignature));
    }
}

proptest! {
    // Each case goes through the whole layer; fewer cases keep it fast.
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn a_form_post_signed_like_twilio_passes_the_layer_with_the_same_fields(
        params in params(),
        path in "(/[A-Za-z0-9._~-]{1,8}){1,3}",
    ) {
        let body: String = form_urlencoded::Serializer::new(String::new())
            .extend_pairs(&params)
            .finish();
        let mut req = Request::post(path.as_str())
            .header("host", "hooks.example.com")
            .header("content-type", "application/x-www-form-urlencoded")
            .body(body.clone())
            .unwrap();
        Signer::new(TOKEN, "https://hooks.example.com").sign(&mut req);

        let calls = Arc::new(AtomicUsize::new(0));
        let counted = calls.clone();
        let app = Router::new()
            .route(
                &path,
                post(move |webhook: tower_twilio::ValidatedWebhook| async move {
                    counted.fetch_add(1, Ordering::SeqCst);
                    serde_json::to_string(webhook.params()).unwrap()
                }),
            )
            .layer(TwilioValidateLayer::new(TOKEN).base_url("https://hooks.example.com"));
        let runtime = tokio::runtime::Builder::new_current_thread().build().unwrap();
        let (status, fields) = runtime.block_on(async {
            let res = app.oneshot(req.map(Body::from)).await.unwrap();
            let status = res.status();
            let bytes = http_body_util::BodyExt::collect(res.into_body()).await.unwrap().to_bytes();
            (status, bytes)
        });
        prop_assert_eq!(status, StatusCode::OK);
        prop_assert_eq!(calls.load(Ordering::SeqCst), 1);
        let fields: Vec<(String, String)> = serde_json::from_slice(&fields).unwrap();
        prop_assert_eq!(fields, params);
    }
}
