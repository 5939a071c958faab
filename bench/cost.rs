//! What forged requests of the worst shapes cost the validator, against a
//! plain one, in one run: `cargo run --release -p tower-twilio-bench --example cost`.
//!
//! Each request carries a well-formed but wrong signature, so every
//! candidate URL is tried with both keys (an Auth Token and a secondary
//! token). The figures are in SECURITY.md.

use std::time::Instant;

use tower_twilio::{RequestValidator, SignedRequest};

fn time(label: &str, url: &str, body: &[u8], rounds: u32) -> f64 {
    let validator = RequestValidator::new("token").secondary_token("other");
    let forged = "AAAAAAAAAAAAAAAAAAAAAAAAAAA=";
    let start = Instant::now();
    for _ in 0..rounds {
        let request = SignedRequest::new(url, forged).form_body(body);
        assert!(validator.validate(&request).is_err());
    }
    let micros = start.elapsed().as_secs_f64() * 1e6 / f64::from(rounds);
    println!(
        "{label}: {micros:.1} us per request ({} bytes of URL, {} of body)",
        url.len(),
        body.len()
    );
    micros
}

fn main() {
    let body = b"CallSid=CA1234567890ABCDE&From=%2B14158675309&To=%2B18005551212";
    let plain = time("plain", "https://h.example.com/voice?x=1", body, 20_000);

    let pairs: Vec<String> = (0..1000).map(|i| format!("k{i}=v+{i}")).collect();
    let url = format!("https://h.example.com/voice?{}", pairs.join("&"));
    let many = time("query of 1000 distinct pairs", &url, body, 200);

    // Names that sort differently in UTF-16, up to the form limit, and a
    // URL that every normalization changes: the most MACs per key.
    let mut form = String::new();
    for i in 0.. {
        let field = format!("k\u{1F600}{i}=%EF%BC%81{i}");
        if form.len() + field.len() + 1 > tower_twilio::MAX_FORM_BYTES {
            break;
        }
        if !form.is_empty() {
            form.push('&');
        }
        form.push_str(&field);
    }
    let widest = time(
        "form at the limit, UTF-16 order differs, re-encodable URL",
        "https://H.EXAMPLE.COM:443/a?q='x+y",
        form.as_bytes(),
        200,
    );
    println!(
        "ratios to plain: {:.0}x and {:.0}x",
        many / plain,
        widest / plain
    );
}
