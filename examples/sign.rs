//! Signs a request as Twilio would and prints the signature and a `curl`
//! command that sends it, to simulate Twilio against a local server.
//!
//! ```sh
//! cargo run --example sign                                   # a demo call for the server example
//! cargo run --example sign -- http://127.0.0.1:3000/sms From=+14158675309 'Body=Hello there'
//! cargo run --example sign -- --token 12345 'https://mycompany.com/myapp.php?foo=1&bar=2' \
//!     CallSid=CA1234567890ABCDE Caller=+14158675309 Digits=1234 From=+14158675309 To=+18005551212
//! cargo run --example sign -- --json '{"event":"ping"}' http://127.0.0.1:3000/events
//! cargo run --example sign -- --shared-key webhooks_sharedkey_1:s3cret http://127.0.0.1:3000/voice CallSid=CA1
//! cargo run --example sign -- --send-to http://127.0.0.1:3000 https://abc.ngrok.app/voice CallSid=CA1
//! ```
//!
//! - `URL` is the URL Twilio calls, as typed in the Twilio console (it is what
//!   is signed); `key=value` are form fields, unencoded.
//! - `--token T` is the Auth Token; else `TWILIO_AUTH_TOKEN`; else the demo
//!   token the example servers embed.
//! - `--shared-key ID:SECRET` signs with a shared key (HMAC-SHA256) and adds
//!   `X-Twilio-Webhooks-Signature-Settings`.
//! - `--json BODY` sends a JSON body: `bodySHA256` is added to the URL and the
//!   URL alone is signed, as Twilio does.
//! - `--send-to ORIGIN` sends the request to another `scheme://host:port`
//!   (your local server) while signing the public URL, for a server whose
//!   `base_url` is a tunnel such as ngrok.
//!
//! A `ws://` or `wss://` URL (a Media Streams or ConversationRelay handshake)
//! gets the signature only: pass it as the `X-Twilio-Signature` header of
//! your WebSocket client.

use tower_twilio::{body_sha256_hex, compute_signature, Algorithm};

/// The token the example servers use when `TWILIO_AUTH_TOKEN` is not set.
pub const DEMO_AUTH_TOKEN: &str = "demo-auth-token-0123456789abcdef";

/// What to sign, from the command line.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Options {
    /// The Auth Token, or the shared key's secret with `shared_key`.
    pub token: String,
    /// The shared key's id, when signing with a shared key.
    pub shared_key: Option<String>,
    /// The URL Twilio calls.
    pub url: String,
    /// Form fields, decoded.
    pub params: Vec<(String, String)>,
    /// A JSON body instead of form fields.
    pub json: Option<String>,
    /// Where `curl` sends the request, when not to `url`'s origin.
    pub send_to: Option<String>,
}

/// The signed request.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Signed {
    /// The URL that was signed (with `bodySHA256` for a JSON body).
    pub url: String,
    /// Where the request is sent: `url`, or its path and query on `--send-to`.
    pub target: String,
    /// The `X-Twilio-Signature` value.
    pub signature: String,
    /// The `X-Twilio-Webhooks-Signature-Settings` value, for a shared key.
    pub settings: Option<String>,
    /// A `curl` command that sends the request; `None` for a WebSocket URL.
    pub curl: Option<String>,
}

const USAGE: &str = "usage: sign [--token T] [--shared-key ID:SECRET] [--send-to ORIGIN] \
                     [--json BODY] URL [key=value ...]";

/// Parses the arguments after the program name. `env_token` is
/// `TWILIO_AUTH_TOKEN`; without arguments, a demo call to the server example
/// is signed.
pub fn parse_args(args: &[String], env_token: Option<String>) -> Result<Options, String> {
    let mut options = Options::default();
    let mut token = None;
    let mut shared_key = None;
    let mut args = args.iter();
    while let Some(arg) = args.next() {
        let mut value = |flag: &str| {
            args.next()
                .cloned()
                .ok_or_else(|| format!("{flag} needs a value\n{USAGE}"))
        };
        match arg.as_str() {
            "--token" => token = Some(value("--token")?),
            "--shared-key" => shared_key = Some(value("--shared-key")?),
            "--json" => options.json = Some(value("--json")?),
            "--send-to" => options.send_to = Some(value("--send-to")?),
            "-h" | "--help" => return Err(USAGE.to_owned()),
            flag if flag.starts_with("--") => {
                return Err(format!("unknown option {flag}\n{USAGE}"))
            }
            url if options.url.is_empty() => options.url = url.to_owned(),
            param => {
                let (key, value) = param
                    .split_once('=')
                    .filter(|(key, _)| !key.is_empty())
                    .ok_or_else(|| format!("expected key=value, got {param:?}\n{USAGE}"))?;
                options.params.push((key.to_owned(), value.to_owned()));
            }
        }
    }
    if options.url.is_empty() {
        options.url = "http://127.0.0.1:3000/voice".to_owned();
        options.params = [
            ("CallSid", "CA1234567890ABCDE"),
            ("From", "+14158675309"),
            ("To", "+18005551212"),
            ("CallStatus", "ringing"),
        ]
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .to_vec();
    }
    if !["http://", "https://", "ws://", "wss://"]
        .iter()
        .any(|scheme| options.url.starts_with(scheme))
    {
        return Err(format!(
            "the URL must start with http://, https://, ws:// or wss://, got {:?}",
            options.url
        ));
    }
    if let Some(json) = &options.json {
        if !options.params.is_empty() {
            return Err("give either form fields or --json, not both".to_owned());
        }
        serde_json::from_str::<serde_json::Value>(json)
            .map_err(|e| format!("--json is not valid JSON: {e}"))?;
    }
    if let Some(pair) = shared_key {
        let (id, secret) = pair
            .split_once(':')
            .filter(|(id, secret)| !id.is_empty() && !secret.is_empty())
            .ok_or("--shared-key expects ID:SECRET")?;
        options.shared_key = Some(id.to_owned());
        options.token = secret.to_owned();
    } else {
        options.token = token
            .or(env_token)
            .unwrap_or_else(|| DEMO_AUTH_TOKEN.to_owned());
    }
    Ok(options)
}

/// Signs the request and builds the `curl` command.
pub fn sign(options: &Options) -> Signed {
    let mut url = options.url.clone();
    if let Some(json) = &options.json {
        let sep = if url.contains('?') { '&' } else { '?' };
        url = format!("{url}{sep}bodySHA256={}", body_sha256_hex(json.as_bytes()));
    }
    let algorithm = match options.shared_key {
        Some(_) => Algorithm::HmacSha256,
        None => Algorithm::HmacSha1,
    };
    // Twilio signs form fields only; a JSON body is covered by bodySHA256.
    let signature = compute_signature(&options.token, algorithm, &url, &options.params);
    let settings = options
        .shared_key
        .as_ref()
        .map(|id| format!("key={id},algorithm={algorithm}"));

    let target = match &options.send_to {
        Some(origin) => format!("{}{}", origin.trim_end_matches('/'), path_and_query(&url)),
        None => url.clone(),
    };
    let websocket = url.starts_with("ws://") || url.starts_with("wss://");
    let curl = (!websocket).then(|| {
        let mut lines = vec![
            format!("curl -i {}", quote(&target)),
            format!("-H {}", quote(&format!("X-Twilio-Signature: {signature}"))),
        ];
        if let Some(settings) = &settings {
            lines.push(format!(
                "-H {}",
                quote(&format!("X-Twilio-Webhooks-Signature-Settings: {settings}"))
            ));
        }
        if let Some(json) = &options.json {
            lines.push("-H 'Content-Type: application/json'".to_owned());
            lines.push(format!("--data-binary {}", quote(json)));
        }
        for (key, value) in &options.params {
            // curl encodes the value; the name must be encoded already.
            let key: String = form_urlencoded::byte_serialize(key.as_bytes()).collect();
            lines.push(format!(
                "--data-urlencode {}",
                quote(&format!("{key}={value}"))
            ));
        }
        lines.join(" \\\n  ")
    });
    Signed {
        url,
        target,
        signature,
        settings,
        curl,
    }
}

/// `/path?query` of an absolute URL.
fn path_and_query(url: &str) -> &str {
    let rest = url.split_once("://").map_or(url, |(_, rest)| rest);
    rest.find(['/', '?']).map_or("/", |i| &rest[i..])
}

/// Quotes a word for a POSIX shell.
fn quote(word: &str) -> String {
    format!("'{}'", word.replace('\'', r"'\''"))
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let env_token = std::env::var("TWILIO_AUTH_TOKEN").ok();
    let options = match parse_args(&args, env_token.clone()) {
        Ok(options) => options,
        Err(message) => {
            eprintln!("{message}");
            std::process::exit(2);
        }
    };
    if args.is_empty() {
        eprintln!("No arguments: signing a demo call for `cargo run --example server`.");
    }
    if options.shared_key.is_none() && env_token.is_none() && !args.iter().any(|a| a == "--token") {
        eprintln!("No --token and no TWILIO_AUTH_TOKEN: using the examples' demo token.");
    }
    let signed = sign(&options);
    println!("Signed URL:         {}", signed.url);
    println!("X-Twilio-Signature: {}", signed.signature);
    if let Some(settings) = &signed.settings {
        println!("X-Twilio-Webhooks-Signature-Settings: {settings}");
    }
    match &signed.curl {
        Some(curl) => println!("\n{curl}"),
        None => println!(
            "\nSend the header with your WebSocket client, for example:\n  \
             websocat -H 'X-Twilio-Signature: {}' {}",
            signed.signature,
            quote(&signed.target)
        ),
    }
}
