//! Differential test: `TwilioValidateLayer` must accept exactly the webhook requests that
//! Twilio's own helper libraries accept (twilio-python 9.13.0 or twilio-node 6.3.1), except
//! those it refuses on purpose: `expected` is `(python || node) && refusal.is_none()`.
//!
//! `refusal` is decided by `diff/soundness.py`, an independent Python statement of the
//! crate's soundness rules (the URL the signature was made over must denote the received
//! request; a form body must be one Twilio would send), not a call into this crate. A case
//! that a library accepts but that carries a refusal is a deliberate difference from the
//! libraries; the test counts those by reason and checks that the URL and body rules are
//! both exercised.
//!
//! The cases and the libraries' verdicts are produced by `diff/run.sh` (see
//! `diff/README.md`), which runs this test with `TWILIO_DIFF_CASES` naming its fresh
//! output. Without that variable the committed snapshot
//! `data/differential-cases.jsonl` is checked, so plain `cargo test` covers it too.

use std::collections::BTreeMap;

use axum::{body::Body, routing::any, Router};
use http::{header, Request, StatusCode};
use serde::Deserialize;
use tower::ServiceExt;

/// One request as the server sees it, with the secrets the server is configured with
/// and the helper libraries' verdicts (schema: `diff/gen_cases.py`, `diff/merge.py`).
#[derive(Debug, Deserialize)]
struct Case {
    id: String,
    base_url: String,
    method: String,
    path_and_query: String,
    /// The exact URL string the signature was computed over.
    #[serde(default)]
    signed_url: String,
    content_type: String,
    body: String,
    headers: BTreeMap<String, HeaderValues>,
    auth_token: String,
    #[serde(default)]
    secondary_tokens: Vec<String>,
    #[serde(default)]
    shared_keys: BTreeMap<String, String>,
    #[serde(default)]
    note: String,
    python: bool,
    node: bool,
    /// Why the crate refuses this case whatever the libraries say (`diff/soundness.py`):
    /// `"url: ..."` or `"body: ..."`; `None` when its rules allow it.
    #[serde(default)]
    refusal: Option<String>,
    expected: bool,
}

/// A header's value, or its values when it is sent more than once (in order).
#[derive(Debug, Deserialize)]
#[serde(untagged)]
enum HeaderValues {
    One(String),
    Many(Vec<String>),
}

impl HeaderValues {
    fn each(&self) -> &[String] {
        match self {
            HeaderValues::One(value) => std::slice::from_ref(value),
            HeaderValues::Many(values) => values,
        }
    }
}

impl Case {
    /// A library accepts the case but the crate's rules refuse it.
    fn deliberate_refusal(&self) -> Option<&str> {
        self.refusal.as_deref().filter(|_| self.python || self.node)
    }
}

const SNAPSHOT: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/data/differential-cases.jsonl");

fn load_cases() -> (String, bool, Vec<Case>) {
    let (path, from_env) = match std::env::var("TWILIO_DIFF_CASES") {
        Ok(path) if !path.is_empty() => (path, true),
        _ => (SNAPSHOT.to_owned(), false),
    };
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("cannot read differential cases {path}: {e}"));
    let cases = text
        .lines()
        .enumerate()
        .filter(|(_, line)| !line.trim().is_empty())
        .map(|(n, line)| {
            serde_json::from_str(line).unwrap_or_else(|e| {
                panic!(
                    "{path}:{}: not a merged differential case ({e}); run diff/run.sh",
                    n + 1
                )
            })
        })
        .collect();
    (path, from_env, cases)
}

async fn ok() -> StatusCode {
    StatusCode::OK
}

fn app(case: &Case) -> Router {
    let mut validator = tower_twilio::RequestValidator::new(case.auth_token.clone());
    for t in &case.secondary_tokens {
        validator = validator.secondary_token(t.clone());
    }
    for (id, s) in &case.shared_keys {
        validator = validator.shared_key(id.clone(), s.clone());
    }
    let layer =
        tower_twilio::TwilioValidateLayer::with_validator(validator).base_url(&case.base_url);
    Router::new()
        .route("/", any(ok))
        .route("/{*rest}", any(ok))
        .layer(layer)
}

fn request(case: &Case) -> Result<Request<Body>, http::Error> {
    let host = case
        .base_url
        .split_once("://")
        .map_or(case.base_url.as_str(), |(_, authority)| authority);
    let mut builder = Request::builder()
        .method(case.method.as_str())
        .uri(case.path_and_query.as_str())
        .header(header::HOST, host);
    for (name, values) in &case.headers {
        for value in values.each() {
            builder = builder.header(name.as_str(), value.as_str());
        }
    }
    if !case.content_type.is_empty() {
        builder = builder.header(header::CONTENT_TYPE, case.content_type.as_str());
    }
    builder.body(Body::from(case.body.clone()))
}

#[tokio::test]
async fn layer_agrees_with_twilio_helper_libraries() {
    let (path, from_env, cases) = load_cases();
    let minimum = if from_env { 1000 } else { 100 };
    assert!(
        cases.len() >= minimum,
        "{path}: {} cases, expected at least {minimum}",
        cases.len()
    );
    assert!(
        cases.iter().any(|c| c.expected),
        "{path}: no case is expected to be accepted"
    );
    assert!(
        cases.iter().any(|c| !c.expected),
        "{path}: no case is expected to be rejected"
    );
    if let Some(c) = cases
        .iter()
        .find(|c| c.expected != ((c.python || c.node) && c.refusal.is_none()))
    {
        panic!(
            "{path}: case {}: expected is not (python || node) && no refusal; run diff/run.sh",
            c.id
        );
    }
    let mut deliberate: BTreeMap<&str, usize> = BTreeMap::new();
    for reason in cases.iter().filter_map(Case::deliberate_refusal) {
        *deliberate.entry(reason).or_default() += 1;
    }
    for kind in ["url:", "body:"] {
        assert!(
            deliberate.keys().any(|reason| reason.starts_with(kind)),
            "{path}: no case that a library accepts is refused by a `{kind}` rule \
             (regenerate with diff/run.sh; see diff/soundness.py)"
        );
    }

    let mut mismatches = Vec::new();
    let mut accepted = 0;
    for case in &cases {
        let req = match request(case) {
            Ok(req) => req,
            Err(e) => {
                mismatches.push(format!(
                    "{}: cannot build the request ({e}); note: {}",
                    case.id, case.note
                ));
                continue;
            }
        };
        let status = match app(case).oneshot(req).await {
            Ok(response) => response.status(),
            Err(never) => match never {},
        };
        let got = status == StatusCode::OK;
        accepted += usize::from(got);
        if got != case.expected {
            mismatches.push(format!(
                "{id}: expected {exp} (python {py}, node {node}, refusal {refusal}), layer \
                 answered {status}\n    {method} {base}{pq}\n    signed over: {signed}\n    \
                 note: {note}",
                id = case.id,
                exp = if case.expected { "accept" } else { "reject" },
                py = case.python,
                node = case.node,
                refusal = case.refusal.as_deref().unwrap_or("none"),
                method = case.method,
                base = case.base_url,
                pq = case.path_and_query,
                signed = case.signed_url,
                note = case.note,
            ));
        }
    }

    println!(
        "differential: {} cases from {path}; expected accepts {}, layer accepted {accepted}; {} mismatches",
        cases.len(),
        cases.iter().filter(|c| c.expected).count(),
        mismatches.len()
    );
    println!(
        "differential: {} deliberate refusals (a library accepts, the crate refuses on purpose)",
        deliberate.values().sum::<usize>()
    );
    for (reason, n) in &deliberate {
        println!("  {n:4}  {reason}");
    }
    for m in &mismatches {
        println!("MISMATCH {m}");
    }
    assert!(
        mismatches.is_empty(),
        "{} of {} cases disagree with the expected verdicts (the helper libraries' minus the \
         deliberate refusals; listed above; explain one with `python3 diff/explain.py {path} ID`)",
        mismatches.len(),
        cases.len()
    );
}
