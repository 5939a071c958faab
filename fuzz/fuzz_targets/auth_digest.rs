//! The `Authorization: Digest` parser and checks.
//!
//! The first byte chooses the mode:
//! - even: the rest is the text after `Digest `, with `{nonce}` and `{opaque}`
//!   replaced by ones this server issued, so the fuzzer gets past those
//!   checks. Without the password nothing may be accepted, and every
//!   challenge is visible ASCII.
//! - odd: the rest drives a client that knows the password
//!   ([`Client`]): its credentials are accepted once per `nc`, a replay or a
//!   lower `nc` is refused, and any field it corrupts is refused.
#![no_main]

use std::sync::OnceLock;
use std::time::SystemTime;

use arbitrary::{Arbitrary, Unstructured};
use libfuzzer_sys::fuzz_target;
use tower_twilio::auth::{AuthFailure, HttpAuth};

const USER: &str = "twilio";
const PASSWORD: &str = "fuzz-password";
const REALM: &str = "Twilio webhook";
const URI: &str = "/voice?x=1";

fuzz_target!(|data: &[u8]| {
    let Some((&mode, rest)) = data.split_first() else {
        return;
    };
    if mode % 2 == 0 {
        raw(rest);
    } else if let Ok(client) = Client::arbitrary_take_rest(Unstructured::new(rest)) {
        client.run();
    }
});

fn auth() -> HttpAuth {
    HttpAuth::builder()
        .digest_auth(USER, PASSWORD)
        .realm(REALM)
        .nonce_secret("fuzz nonce secret, 32 bytes long")
        .replay_cache_capacity(8)
        .build()
}

/// A server and a nonce and opaque it issued.
fn issued() -> &'static (HttpAuth, String, String) {
    static ISSUED: OnceLock<(HttpAuth, String, String)> = OnceLock::new();
    ISSUED.get_or_init(|| {
        let auth = auth();
        let challenge = first_challenge(&auth);
        let nonce = param(&challenge, "nonce");
        let opaque = param(&challenge, "opaque");
        (auth, nonce, opaque)
    })
}

fn first_challenge(auth: &HttpAuth) -> String {
    let challenge = auth
        .check("POST", URI, None, SystemTime::now())
        .unwrap_err();
    assert_eq!(challenge.reason(), AuthFailure::MissingCredentials);
    challenge.www_authenticate()[0].clone()
}

fn param(challenge: &str, name: &str) -> String {
    let start = challenge.find(&format!("{name}=\"")).unwrap() + name.len() + 2;
    challenge[start..].split('"').next().unwrap().to_owned()
}

fn raw(rest: &[u8]) {
    let (auth, nonce, opaque) = issued();
    let text = String::from_utf8_lossy(rest)
        .replace("{nonce}", nonce)
        .replace("{opaque}", opaque);
    for header in [format!("Digest {text}").into_bytes(), rest.to_vec()] {
        let challenge = auth
            .check("POST", URI, Some(&header), SystemTime::now())
            .expect_err("accepted without the password");
        assert_ne!(challenge.reason(), AuthFailure::MissingCredentials);
        for value in challenge.www_authenticate() {
            assert!(value.bytes().all(|b| (b' '..=b'~').contains(&b)), "{value}");
        }
    }
}

/// A client that knows the password (RFC 7616 §3.4), with the choices a
/// real one may make, and possibly one corrupted field.
#[derive(Arbitrary, Debug)]
struct Client {
    sha256: bool,
    sess: bool,
    userhash: bool,
    quote_nc: bool,
    uppercase_names: bool,
    nc: u32,
    cnonce: String,
    extra: Vec<(Name, String)>,
    corrupt: Option<Corruption>,
}

/// An unknown parameter name: RFC 7616 says to ignore it.
#[derive(Arbitrary, Debug)]
struct Name(u8);

#[derive(Arbitrary, Debug, Clone, Copy, PartialEq)]
enum Corruption {
    Username,
    Realm,
    Nonce,
    Uri,
    Response,
    Qop,
    Opaque,
    Algorithm,
    Password,
    Drop(Field),
    Repeat(Field),
}

#[derive(Arbitrary, Debug, Clone, Copy, PartialEq)]
enum Field {
    Username,
    Realm,
    Nonce,
    Uri,
    Response,
    Qop,
    Nc,
    Cnonce,
    Opaque,
}

impl Client {
    fn run(&self) {
        // A fresh server each time, so that the replay cache is known.
        let auth = auth();
        let challenge = first_challenge(&auth);
        let (nonce, opaque) = (param(&challenge, "nonce"), param(&challenge, "opaque"));
        let header = self.header(self.nc, &nonce, &opaque);
        let check = || auth.check("POST", URI, Some(header.as_bytes()), SystemTime::now());

        let quotable = |s: &str| !s.bytes().any(|b| (b < 0x20 && b != b'\t') || b == 0x7f);
        let well_formed = self.nc != 0
            && quotable(&self.cnonce)
            && self.extra.iter().all(|(_, value)| quotable(value))
            && header.len() <= tower_twilio::auth::MAX_AUTHORIZATION_LEN;
        match (self.corrupt, well_formed) {
            (None, true) => {
                assert!(check().is_ok(), "refused: {header}");
                let replay = check().expect_err("a replay was accepted");
                assert_eq!(replay.reason(), AuthFailure::ReplayedNonceCount);
                if let Some(next) = self.nc.checked_add(1) {
                    let header = self.header(next, &nonce, &opaque);
                    let next = auth.check("POST", URI, Some(header.as_bytes()), SystemTime::now());
                    assert!(next.is_ok(), "the next nc was refused: {header}");
                }
            }
            _ => {
                let challenge = check().expect_err("corrupt credentials were accepted");
                assert_ne!(challenge.reason(), AuthFailure::MissingCredentials);
            }
        }
    }

    fn header(&self, nc: u32, nonce: &str, opaque: &str) -> String {
        use Corruption as C;
        let corrupt = self.corrupt;
        let (alg, hash): (&str, fn(&[u8]) -> String) = if self.sha256 {
            ("SHA-256", |b| hex(&sha256(b)))
        } else {
            ("MD5", |b| hex(&md5(b)))
        };
        let algorithm = match (self.sess, corrupt == Some(C::Algorithm)) {
            (_, true) => format!("{alg}-sess-x"),
            (true, false) => format!("{alg}-sess"),
            (false, false) => alg.to_owned(),
        };
        let password = if corrupt == Some(C::Password) {
            "wrong"
        } else {
            PASSWORD
        };
        let realm = if corrupt == Some(C::Realm) {
            "other"
        } else {
            REALM
        };
        let nonce = if corrupt == Some(C::Nonce) {
            flip_last(nonce)
        } else {
            nonce.to_owned()
        };
        let uri = if corrupt == Some(C::Uri) {
            "/voice?x=2"
        } else {
            URI
        };
        let qop = if corrupt == Some(C::Qop) {
            "auth-int"
        } else {
            "auth"
        };
        let opaque = if corrupt == Some(C::Opaque) {
            format!("{opaque}x")
        } else {
            opaque.to_owned()
        };
        let nc = format!("{nc:08x}");
        let cnonce = &self.cnonce;

        let mut ha1 = hash(format!("{USER}:{realm}:{password}").as_bytes());
        if self.sess {
            ha1 = hash(format!("{ha1}:{nonce}:{cnonce}").as_bytes());
        }
        let ha2 = hash(format!("POST:{uri}").as_bytes());
        let mut response = hash(format!("{ha1}:{nonce}:{nc}:{cnonce}:{qop}:{ha2}").as_bytes());
        if corrupt == Some(C::Response) {
            response = flip_last(&response);
        }
        let username = match (self.userhash, corrupt == Some(C::Username)) {
            (true, false) => hash(format!("{USER}:{REALM}").as_bytes()),
            (true, true) => hash(format!("someone:{REALM}").as_bytes()),
            (false, false) => USER.to_owned(),
            (false, true) => "someone".to_owned(),
        };

        let mut fields: Vec<(Option<Field>, &str, String)> = vec![
            (Some(Field::Username), "username", quote(&username)),
            (Some(Field::Realm), "realm", quote(realm)),
            (Some(Field::Nonce), "nonce", quote(&nonce)),
            (Some(Field::Uri), "uri", quote(uri)),
            (None, "algorithm", algorithm),
            (Some(Field::Response), "response", quote(&response)),
            (Some(Field::Opaque), "opaque", quote(&opaque)),
            (Some(Field::Qop), "qop", qop.to_owned()),
            (
                Some(Field::Nc),
                "nc",
                if self.quote_nc { quote(&nc) } else { nc },
            ),
            (Some(Field::Cnonce), "cnonce", quote(cnonce)),
        ];
        if self.userhash {
            fields.push((None, "userhash", "true".into()));
        }
        match corrupt {
            Some(C::Drop(field)) => fields.retain(|(f, _, _)| *f != Some(field)),
            Some(C::Repeat(field)) => {
                let copy = fields.iter().find(|(f, _, _)| *f == Some(field)).cloned();
                fields.extend(copy);
            }
            _ => {}
        }
        let mut out = String::from("Digest ");
        for (_, name, value) in &fields {
            let name = if self.uppercase_names {
                name.to_ascii_uppercase()
            } else {
                (*name).to_owned()
            };
            out.push_str(&format!("{name}={value}, "));
        }
        for (Name(n), value) in &self.extra {
            out.push_str(&format!("x{n}={}, ", quote(value)));
        }
        out.truncate(out.len() - 2);
        out
    }
}

/// The text with its last character changed (hex and base64url stay so).
fn flip_last(text: &str) -> String {
    let (head, last) = text.split_at(text.len() - 1);
    format!("{head}{}", if last == "0" { "1" } else { "0" })
}

/// An RFC 9110 quoted-string.
fn quote(value: &str) -> String {
    let mut out = String::with_capacity(value.len() + 2);
    out.push('"');
    for c in value.chars() {
        if c == '"' || c == '\\' {
            out.push('\\');
        }
        out.push(c);
    }
    out.push('"');
    out
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn sha256(data: &[u8]) -> Vec<u8> {
    use sha2::Digest as _;
    sha2::Sha256::digest(data).to_vec()
}

fn md5(data: &[u8]) -> Vec<u8> {
    use md5::Digest as _;
    md5::Md5::digest(data).to_vec()
}
