//! Round trips through [`HttpAuth`]: challenge, a client's answer, the check.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use md5::Md5;
use sha2::{Digest as _, Sha256};

use super::builder::Invalid;
use super::*;

const T0: u64 = 1_700_000_000;
const KEY: &str = "0123456789abcdef0123456789abcdef";
const TARGET: &str = "/voice?From=%2B14158675309";

fn at(secs: u64) -> SystemTime {
    UNIX_EPOCH + Duration::from_secs(secs)
}

fn digest_auth() -> HttpAuth {
    HttpAuth::builder()
        .digest_auth("twilio", "s3cret")
        .nonce_secret(KEY)
        .build()
}

fn check(auth: &HttpAuth, header: &[u8], now: u64) -> Result<Authenticated, AuthChallenge> {
    auth.check("POST", TARGET, Some(header), at(now))
}

fn reason(result: Result<Authenticated, AuthChallenge>) -> AuthFailure {
    result.expect_err("the request should be refused").reason()
}

/// The challenges sent to a request without credentials at `now`.
fn challenges(auth: &HttpAuth, now: u64) -> Vec<String> {
    let challenge = auth.check("POST", TARGET, None, at(now)).unwrap_err();
    assert_eq!(challenge.reason(), AuthFailure::MissingCredentials);
    challenge.www_authenticate().to_vec()
}

/// A parameter of a Digest challenge, unquoted.
fn param(challenge: &str, name: &str) -> String {
    let params = challenge
        .strip_prefix("Digest ")
        .expect("a Digest challenge");
    let value = params
        .split(", ")
        .find_map(|p| p.strip_prefix(name)?.strip_prefix('='))
        .unwrap_or_else(|| panic!("no {name} in {challenge}"));
    value.trim_matches('"').to_owned()
}

/// A Digest client, computing its answer independently of the module's code.
#[derive(Clone, Copy)]
struct Client {
    user: &'static str,
    password: &'static str,
    /// As sent, e.g. `SHA-256-sess`.
    algorithm: &'static str,
    method: &'static str,
    uri: &'static str,
    cnonce: &'static str,
}

const CLIENT: Client = Client {
    user: "twilio",
    password: "s3cret",
    algorithm: "SHA-256",
    method: "POST",
    uri: TARGET,
    cnonce: "f2/wE4q74E6zIJEtWaHK",
};

fn h(algorithm: &str, data: &str) -> String {
    if algorithm.to_ascii_uppercase().starts_with("MD5") {
        format!("{:x}", Md5::digest(data))
    } else {
        format!("{:x}", Sha256::digest(data))
    }
}

impl Client {
    /// The answer to the first challenge `auth` sends at `T0`, with nc 1.
    fn first_answer(self, auth: &HttpAuth) -> Creds {
        self.answer(&challenges(auth, T0)[0], 1)
    }

    fn answer(self, challenge: &str, nc: u32) -> Creds {
        let (realm, nonce, opaque) = (
            param(challenge, "realm"),
            param(challenge, "nonce"),
            param(challenge, "opaque"),
        );
        let alg = self.algorithm;
        let mut ha1 = h(alg, &format!("{}:{realm}:{}", self.user, self.password));
        if alg.to_ascii_lowercase().ends_with("-sess") {
            ha1 = h(alg, &format!("{ha1}:{nonce}:{}", self.cnonce));
        }
        let ha2 = h(alg, &format!("{}:{}", self.method, self.uri));
        let nc = format!("{nc:08x}");
        let response = h(
            alg,
            &format!("{ha1}:{nonce}:{nc}:{}:auth:{ha2}", self.cnonce),
        );
        Creds(vec![
            ("username", self.user.to_owned()),
            ("realm", realm),
            ("nonce", nonce),
            ("uri", self.uri.to_owned()),
            ("cnonce", self.cnonce.to_owned()),
            ("nc", nc),
            ("qop", "auth".to_owned()),
            ("response", response),
            ("opaque", opaque),
            ("algorithm", alg.to_owned()),
        ])
    }
}

/// Digest credentials as a list of parameters, to be tampered with.
#[derive(Clone)]
struct Creds(Vec<(&'static str, String)>);

impl Creds {
    fn set(mut self, name: &'static str, value: &str) -> Self {
        match self.0.iter_mut().find(|(n, _)| *n == name) {
            Some((_, v)) => *v = value.to_owned(),
            None => self.0.push((name, value.to_owned())),
        }
        self
    }

    fn without(mut self, name: &str) -> Self {
        self.0.retain(|(n, _)| *n != name);
        self
    }

    fn header(&self, quote: impl Fn(&str) -> bool) -> Vec<u8> {
        let params: Vec<String> = self
            .0
            .iter()
            .map(|(n, v)| {
                if quote(n) {
                    format!("{n}=\"{}\"", v.replace('\\', "\\\\").replace('"', "\\\""))
                } else {
                    format!("{n}={v}")
                }
            })
            .collect();
        format!("Digest {}", params.join(", ")).into_bytes()
    }

    /// As curl sends them: `algorithm`, `nc`, `qop` and `userhash` unquoted.
    fn curl(&self) -> Vec<u8> {
        self.header(|n| !matches!(n, "algorithm" | "nc" | "qop" | "userhash" | "username*"))
    }

    /// As python-requests sends them: everything quoted but `nc`.
    fn requests(&self) -> Vec<u8> {
        self.header(|n| n != "nc")
    }

    fn unquoted(&self) -> Vec<u8> {
        self.header(|_| false)
    }
}

// --- Challenges ---

#[test]
fn unauthenticated_request_gets_digest_challenges_in_order_then_basic() {
    let auth = HttpAuth::builder()
        .basic_auth("twilio", "s3cret")
        .digest_auth("twilio", "s3cret")
        .nonce_secret(KEY)
        .build();
    let values = challenges(&auth, T0);
    assert_eq!(values.len(), 3);
    assert_eq!(param(&values[0], "algorithm"), "SHA-256");
    assert_eq!(param(&values[1], "algorithm"), "MD5");
    assert_eq!(
        values[2],
        r#"Basic realm="Twilio webhook", charset="UTF-8""#
    );
    assert_eq!(param(&values[0], "nonce"), param(&values[1], "nonce"));
}

#[test]
fn digest_challenge_names_everything_rfc7616_asks_for() {
    let value = &challenges(&digest_auth(), T0)[0];
    let nonce = param(value, "nonce");
    let opaque = param(value, "opaque");
    assert_eq!(
        value,
        &format!(
            r#"Digest realm="Twilio webhook", qop="auth", algorithm=SHA-256, nonce="{nonce}", opaque="{opaque}", charset=UTF-8, userhash=true"#
        )
    );
    assert!(value.bytes().all(|b| (b' '..=b'~').contains(&b)));
}

#[test]
fn algorithms_can_be_reordered_or_restricted() {
    let auth = HttpAuth::builder()
        .digest_auth("twilio", "s3cret")
        .digest_algorithms([DigestAlgorithm::Md5])
        .build();
    let values = challenges(&auth, T0);
    assert_eq!(values.len(), 1);
    assert_eq!(param(&values[0], "algorithm"), "MD5");
}

#[test]
fn realm_is_configurable() {
    let auth = HttpAuth::builder()
        .basic_auth("twilio", "s3cret")
        .realm("calls")
        .build();
    assert_eq!(
        challenges(&auth, T0),
        [r#"Basic realm="calls", charset="UTF-8""#]
    );
}

// --- Digest round trips ---

#[test]
fn digest_answer_like_curl_passes() {
    let auth = digest_auth();
    let header = CLIENT.first_answer(&auth).curl();
    let user = check(&auth, &header, T0 + 1).unwrap();
    assert_eq!(
        user,
        Authenticated {
            user: "twilio".into(),
            scheme: AuthScheme::Digest
        }
    );
}

#[test]
fn digest_answer_like_python_requests_with_md5_passes() {
    let auth = digest_auth();
    let client = Client {
        algorithm: "MD5",
        ..CLIENT
    };
    let header = client.answer(&challenges(&auth, T0)[1], 1).requests();
    assert!(check(&auth, &header, T0 + 1).is_ok());
}

#[test]
fn unquoted_parameters_pass() {
    let auth = HttpAuth::builder()
        .digest_auth("twilio", "s3cret")
        .realm("webhooks")
        .build();
    let header = CLIENT.first_answer(&auth).unquoted();
    assert!(check(&auth, &header, T0).is_ok());
}

#[test]
fn scheme_and_parameter_names_are_case_insensitive() {
    let auth = digest_auth();
    let header = String::from_utf8(CLIENT.first_answer(&auth).curl()).unwrap();
    let header = header
        .replacen("Digest", "dIGEST", 1)
        .replace("username=", "UserName=")
        .replace("nc=", "NC=");
    assert!(check(&auth, header.as_bytes(), T0).is_ok());
}

#[test]
fn rising_nc_passes_for_the_rest_of_the_call() {
    let auth = digest_auth();
    let challenge = &challenges(&auth, T0)[0];
    for (nc, minutes) in [(1, 0), (2, 1), (3, 30), (7, 120), (8, 239)] {
        let header = CLIENT.answer(challenge, nc).curl();
        assert!(check(&auth, &header, T0 + minutes * 60).is_ok(), "nc {nc}");
    }
}

#[test]
fn repeated_nc_is_refused_as_a_replay_with_stale() {
    let auth = digest_auth();
    let header = CLIENT.first_answer(&auth).curl();
    assert!(check(&auth, &header, T0).is_ok());
    let refused = check(&auth, &header, T0 + 1).unwrap_err();
    assert_eq!(refused.reason(), AuthFailure::ReplayedNonceCount);
    assert!(refused.www_authenticate()[0].ends_with(", stale=true"));
}

#[test]
fn lower_nc_is_refused_as_a_replay() {
    let auth = digest_auth();
    let challenge = &challenges(&auth, T0)[0];
    assert!(check(&auth, &CLIENT.answer(challenge, 2).curl(), T0).is_ok());
    assert_eq!(
        reason(check(&auth, &CLIENT.answer(challenge, 1).curl(), T0)),
        AuthFailure::ReplayedNonceCount
    );
}

#[test]
fn another_cnonce_on_the_same_nonce_counts_separately() {
    let auth = digest_auth();
    let challenge = &challenges(&auth, T0)[0];
    assert!(check(&auth, &CLIENT.answer(challenge, 1).curl(), T0).is_ok());
    let other = Client {
        cnonce: "another-cnonce",
        ..CLIENT
    };
    assert!(check(&auth, &other.answer(challenge, 1).curl(), T0).is_ok());
}

#[test]
fn wrong_password_fails_without_stale() {
    let auth = digest_auth();
    let client = Client {
        password: "s3creT",
        ..CLIENT
    };
    let refused = check(&auth, &client.first_answer(&auth).curl(), T0).unwrap_err();
    assert_eq!(refused.reason(), AuthFailure::WrongCredentials);
    assert!(!refused.www_authenticate()[0].contains("stale"));
}

#[test]
fn wrong_user_fails() {
    let auth = digest_auth();
    let client = Client {
        user: "twilio2",
        ..CLIENT
    };
    assert_eq!(
        reason(check(&auth, &client.first_answer(&auth).curl(), T0)),
        AuthFailure::WrongCredentials
    );
}

#[test]
fn wrong_method_fails() {
    let auth = digest_auth();
    let client = Client {
        method: "GET",
        ..CLIENT
    };
    assert_eq!(
        reason(check(&auth, &client.first_answer(&auth).curl(), T0)),
        AuthFailure::WrongCredentials
    );
}

#[test]
fn expired_nonce_with_the_right_response_is_stale_and_a_fresh_one_passes() {
    let auth = digest_auth();
    let header = CLIENT.first_answer(&auth).curl();
    let later = T0 + DEFAULT_NONCE_LIFETIME.as_secs();
    let refused = check(&auth, &header, later).unwrap_err();
    assert_eq!(refused.reason(), AuthFailure::StaleNonce);
    assert!(refused
        .www_authenticate()
        .iter()
        .all(|v| v.ends_with(", stale=true")));
    let header = CLIENT.answer(&refused.www_authenticate()[0], 1).curl();
    assert!(check(&auth, &header, later).is_ok());
}

#[test]
fn expired_nonce_with_a_wrong_response_is_not_stale() {
    let auth = digest_auth();
    let client = Client {
        password: "guess",
        ..CLIENT
    };
    let header = client.first_answer(&auth).curl();
    let refused = check(&auth, &header, T0 + DEFAULT_NONCE_LIFETIME.as_secs()).unwrap_err();
    assert_eq!(refused.reason(), AuthFailure::WrongCredentials);
    assert!(!refused.www_authenticate()[0].contains("stale"));
}

#[test]
fn nonce_lifetime_is_configurable() {
    let auth = HttpAuth::builder()
        .digest_auth("twilio", "s3cret")
        .nonce_lifetime(Duration::from_secs(60))
        .build();
    let header = CLIENT.first_answer(&auth).curl();
    assert_eq!(
        reason(check(&auth, &header, T0 + 60)),
        AuthFailure::StaleNonce
    );
}

#[test]
fn tampered_nonce_fails_without_stale() {
    let auth = digest_auth();
    let challenge = challenges(&auth, T0)[0].clone();
    let nonce = param(&challenge, "nonce");
    let tampered = format!(
        "{}{}",
        if nonce.starts_with('A') { "B" } else { "A" },
        &nonce[1..]
    );
    let header = CLIENT
        .answer(&challenge.replace(&nonce, &tampered), 1)
        .curl();
    let refused = check(&auth, &header, T0).unwrap_err();
    assert_eq!(refused.reason(), AuthFailure::InvalidNonce);
    assert!(!refused.www_authenticate()[0].contains("stale"));
}

#[test]
fn nonce_from_a_peer_sharing_the_secret_passes_and_others_fail() {
    let issuer = digest_auth();
    let header = CLIENT.answer(&challenges(&issuer, T0)[0], 1).curl();
    assert!(check(&digest_auth(), &header, T0).is_ok());
    let stranger = HttpAuth::builder()
        .digest_auth("twilio", "s3cret")
        .nonce_secret("a different secret of 32 bytes!!")
        .build();
    // Its opaque differs too, so use the stranger's opaque to reach the nonce check.
    let opaque = param(&challenges(&stranger, T0)[0], "opaque");
    let header = CLIENT
        .answer(&challenges(&issuer, T0)[0], 1)
        .set("opaque", &opaque)
        .curl();
    assert_eq!(
        reason(check(&stranger, &header, T0)),
        AuthFailure::InvalidNonce
    );
}

#[test]
fn default_nonce_secret_is_shared_within_the_process() {
    let build = || HttpAuth::builder().digest_auth("twilio", "s3cret").build();
    let header = CLIENT.answer(&challenges(&build(), T0)[0], 1).curl();
    assert!(check(&build(), &header, T0).is_ok());
}

#[test]
fn uri_other_than_the_request_target_fails() {
    let auth = digest_auth();
    let challenge = &challenges(&auth, T0)[0];
    for uri in [
        "/voice",
        "/voice?From=%2b14158675309",
        "https://example.com/voice?From=%2B14158675309",
    ] {
        let client = Client { uri, ..CLIENT };
        assert_eq!(
            reason(check(&auth, &client.answer(challenge, 1).curl(), T0)),
            AuthFailure::UriMismatch,
            "{uri}"
        );
    }
}

#[test]
fn wrong_realm_fails() {
    let auth = digest_auth();
    let header = CLIENT.first_answer(&auth).set("realm", "elsewhere").curl();
    assert_eq!(
        reason(check(&auth, &header, T0)),
        AuthFailure::RealmMismatch
    );
}

#[test]
fn wrong_opaque_fails() {
    let auth = digest_auth();
    let header = CLIENT
        .first_answer(&auth)
        .set("opaque", "bm90LW91cnM")
        .curl();
    assert_eq!(
        reason(check(&auth, &header, T0)),
        AuthFailure::OpaqueMismatch
    );
}

#[test]
fn algorithm_not_offered_or_unknown_fails() {
    let auth = HttpAuth::builder()
        .digest_auth("twilio", "s3cret")
        .digest_algorithms([DigestAlgorithm::Sha256])
        .build();
    let challenge = &challenges(&auth, T0)[0];
    for algorithm in ["MD5", "MD5-sess", "SHA-512-256", "SHA256"] {
        let client = Client {
            algorithm,
            ..CLIENT
        };
        assert_eq!(
            reason(check(&auth, &client.answer(challenge, 1).curl(), T0)),
            AuthFailure::UnsupportedAlgorithm
        );
    }
    // No `algorithm` means MD5, which is not offered here.
    let client = Client {
        algorithm: "MD5",
        ..CLIENT
    };
    let header = client.answer(challenge, 1).without("algorithm").curl();
    assert_eq!(
        reason(check(&auth, &header, T0)),
        AuthFailure::UnsupportedAlgorithm
    );
}

#[test]
fn missing_algorithm_means_md5() {
    let auth = digest_auth();
    let client = Client {
        algorithm: "MD5",
        ..CLIENT
    };
    let header = client
        .answer(&challenges(&auth, T0)[1], 1)
        .without("algorithm")
        .curl();
    assert!(check(&auth, &header, T0).is_ok());
}

#[test]
fn response_computed_with_another_algorithm_than_named_fails() {
    let auth = digest_auth();
    let challenge = &challenges(&auth, T0)[0];
    let md5 = Client {
        algorithm: "MD5",
        ..CLIENT
    }
    .answer(challenge, 1)
    .set("algorithm", "SHA-256")
    .curl();
    assert_eq!(
        reason(check(&auth, &md5, T0)),
        AuthFailure::WrongCredentials
    );
    let sha = CLIENT.answer(challenge, 1).set("algorithm", "MD5").curl();
    assert_eq!(
        reason(check(&auth, &sha, T0)),
        AuthFailure::WrongCredentials
    );
}

#[test]
fn sess_variants_pass_when_their_algorithm_is_offered() {
    let auth = digest_auth();
    for (algorithm, i) in [("SHA-256-sess", 0), ("MD5-sess", 1)] {
        let client = Client {
            algorithm,
            ..CLIENT
        };
        let now = T0 + i as u64;
        let header = client.answer(&challenges(&auth, now)[i], 1).curl();
        assert!(check(&auth, &header, now).is_ok(), "{algorithm}");
    }
}

#[test]
fn userhash_username_passes() {
    let auth = digest_auth();
    let hashed = h("SHA-256", "twilio:Twilio webhook");
    let header = CLIENT
        .first_answer(&auth)
        .set("username", &hashed)
        .set("userhash", "true")
        .curl();
    assert!(check(&auth, &header, T0).is_ok());
    let upper = CLIENT
        .answer(&challenges(&auth, T0)[0], 2)
        .set("username", &hashed.to_ascii_uppercase())
        .set("userhash", "true")
        .curl();
    assert!(check(&auth, &upper, T0).is_ok());
}

#[test]
fn userhash_of_another_user_or_without_the_flag_fails() {
    let auth = digest_auth();
    let challenge = &challenges(&auth, T0)[0];
    let other = h("SHA-256", "other:Twilio webhook");
    let header = CLIENT
        .answer(challenge, 1)
        .set("username", &other)
        .set("userhash", "true")
        .curl();
    assert_eq!(
        reason(check(&auth, &header, T0)),
        AuthFailure::WrongCredentials
    );
    let hashed = h("SHA-256", "twilio:Twilio webhook");
    let header = CLIENT.answer(challenge, 2).set("username", &hashed).curl();
    assert_eq!(
        reason(check(&auth, &header, T0)),
        AuthFailure::WrongCredentials
    );
}

#[test]
fn username_star_passes() {
    let auth = HttpAuth::builder()
        .digest_auth("Jäsøn Doe", "s3cret")
        .nonce_secret(KEY)
        .build();
    let client = Client {
        user: "Jäsøn Doe",
        ..CLIENT
    };
    let header = client
        .first_answer(&auth)
        .without("username")
        .set("username*", "UTF-8''J%C3%A4s%C3%B8n%20Doe")
        .curl();
    assert_eq!(check(&auth, &header, T0).unwrap().user, "Jäsøn Doe");
}

#[test]
fn username_with_username_star_or_userhash_with_username_star_is_malformed() {
    let auth = digest_auth();
    let creds = CLIENT.first_answer(&auth).set("username*", "UTF-8''twilio");
    assert_eq!(
        reason(check(&auth, &creds.curl(), T0)),
        AuthFailure::MalformedAuthorization
    );
    let hashed = creds.without("username").set("userhash", "true");
    assert_eq!(
        reason(check(&auth, &hashed.curl(), T0)),
        AuthFailure::MalformedAuthorization
    );
}

#[test]
fn quoted_pair_escapes_in_the_username_pass() {
    let auth = HttpAuth::builder()
        .digest_auth(r#"tw"il\io"#, "s3cret")
        .nonce_secret(KEY)
        .build();
    let client = Client {
        user: r#"tw"il\io"#,
        ..CLIENT
    };
    let header = client.first_answer(&auth).curl();
    assert!(String::from_utf8_lossy(&header).contains(r#"username="tw\"il\\io""#));
    assert!(check(&auth, &header, T0).is_ok());
}

#[test]
fn duplicated_parameters_are_malformed() {
    let auth = digest_auth();
    let header = String::from_utf8(CLIENT.first_answer(&auth).curl()).unwrap();
    for extra in [
        ", nc=00000001",
        ", NONCE=\"x\"",
        ", Response=\"00\"",
        ", username=\"twilio\"",
    ] {
        let duplicated = format!("{header}{extra}");
        assert_eq!(
            reason(check(&auth, duplicated.as_bytes(), T0)),
            AuthFailure::MalformedAuthorization,
            "{extra}"
        );
    }
}

#[test]
fn each_missing_required_parameter_is_reported() {
    let auth = digest_auth();
    let creds = CLIENT.first_answer(&auth);
    for name in [
        "username", "realm", "nonce", "uri", "response", "qop", "nc", "cnonce", "opaque",
    ] {
        let header = creds.clone().without(name).curl();
        assert_eq!(
            reason(check(&auth, &header, T0)),
            AuthFailure::MissingParameter { name },
            "{name}"
        );
    }
}

#[test]
fn rfc2069_credentials_without_qop_are_refused() {
    let auth = digest_auth();
    let challenge = &challenges(&auth, T0)[0];
    let (realm, nonce) = (param(challenge, "realm"), param(challenge, "nonce"));
    let ha1 = h("SHA-256", &format!("twilio:{realm}:s3cret"));
    let ha2 = h("SHA-256", &format!("POST:{TARGET}"));
    let response = h("SHA-256", &format!("{ha1}:{nonce}:{ha2}"));
    let header = CLIENT
        .answer(challenge, 1)
        .without("qop")
        .without("nc")
        .without("cnonce")
        .set("response", &response)
        .curl();
    assert_eq!(
        reason(check(&auth, &header, T0)),
        AuthFailure::MissingParameter { name: "qop" }
    );
}

#[test]
fn auth_int_is_refused() {
    let auth = digest_auth();
    let header = CLIENT.first_answer(&auth).set("qop", "auth-int").curl();
    assert_eq!(
        reason(check(&auth, &header, T0)),
        AuthFailure::UnsupportedQop
    );
}

#[test]
fn malformed_nc_userhash_or_response_is_malformed() {
    let auth = digest_auth();
    let creds = CLIENT.first_answer(&auth);
    for (name, value) in [
        ("nc", "1"),
        ("nc", "00000000"),
        ("userhash", "maybe"),
        ("response", "not hex"),
    ] {
        let header = creds.clone().set(name, value).curl();
        assert_eq!(
            reason(check(&auth, &header, T0)),
            AuthFailure::MalformedAuthorization,
            "{name}={value}"
        );
    }
}

#[test]
fn huge_authorization_header_is_refused_unread() {
    let auth = digest_auth();
    let mut header = CLIENT.first_answer(&auth).curl();
    header.extend(", x=\"y\"".repeat(200_000).bytes());
    assert_eq!(
        reason(check(&auth, &header, T0)),
        AuthFailure::MalformedAuthorization
    );
}

#[test]
fn long_header_within_the_limit_is_read() {
    let auth = digest_auth();
    let mut header = CLIENT.first_answer(&auth).curl();
    while header.len() < MAX_AUTHORIZATION_LEN - 10 {
        header.extend(b", x=y");
    }
    assert!(check(&auth, &header, T0).is_ok());
}

#[test]
fn non_utf8_header_is_malformed() {
    let auth = digest_auth();
    assert_eq!(
        reason(check(&auth, b"Digest username=\"\xff\"", T0)),
        AuthFailure::MalformedAuthorization
    );
}

#[test]
fn ha1_credential_passes() {
    let ha1 = h("SHA-256", "twilio:Twilio webhook:s3cret").to_ascii_uppercase();
    let auth = HttpAuth::builder()
        .digest_auth_ha1("twilio", DigestAlgorithm::Sha256, ha1)
        .nonce_secret(KEY)
        .build();
    let values = challenges(&auth, T0);
    assert_eq!(
        values.len(),
        1,
        "only the algorithm with a stored HA1 is offered"
    );
    assert!(check(&auth, &CLIENT.answer(&values[0], 1).curl(), T0).is_ok());
    let sess = Client {
        algorithm: "SHA-256-sess",
        ..CLIENT
    };
    assert!(check(&auth, &sess.answer(&values[0], 2).curl(), T0).is_ok());
}

#[test]
fn ha1_credentials_for_both_algorithms_pass() {
    let auth = HttpAuth::builder()
        .digest_auth_ha1(
            "twilio",
            DigestAlgorithm::Md5,
            h("MD5", "twilio:Twilio webhook:s3cret"),
        )
        .digest_auth_ha1(
            "twilio",
            DigestAlgorithm::Sha256,
            h("SHA-256", "twilio:Twilio webhook:s3cret"),
        )
        .build();
    let values = challenges(&auth, T0);
    assert_eq!(param(&values[0], "algorithm"), "SHA-256");
    assert_eq!(param(&values[1], "algorithm"), "MD5");
    let md5 = Client {
        algorithm: "MD5",
        ..CLIENT
    };
    assert!(check(&auth, &md5.answer(&values[1], 1).curl(), T0).is_ok());
}

#[test]
fn replay_cache_stays_within_its_cap_after_many_distinct_nonces() {
    let auth = HttpAuth::builder()
        .digest_auth("twilio", "s3cret")
        .replay_cache_capacity(50)
        .build();
    for i in 0..500 {
        let header = CLIENT.answer(&challenges(&auth, T0 + i)[0], 1).curl();
        assert!(check(&auth, &header, T0 + i).is_ok());
    }
    assert_eq!(auth.inner.digest.as_ref().unwrap().replay_len(), 50);
}

#[test]
fn concurrent_clients_all_pass() {
    let auth = digest_auth();
    let challenge = challenges(&auth, T0)[0].clone();
    let cnonces: Vec<&'static str> = (0..100)
        .map(|i| &*Box::leak(format!("cnonce-{i}").into_boxed_str()))
        .collect();
    std::thread::scope(|scope| {
        for cnonce in cnonces {
            let (auth, challenge) = (auth.clone(), &challenge);
            scope.spawn(move || {
                let client = Client { cnonce, ..CLIENT };
                for nc in 1..=3 {
                    assert!(check(&auth, &client.answer(challenge, nc).curl(), T0).is_ok());
                }
                assert!(check(&auth, &client.answer(challenge, 3).curl(), T0).is_err());
            });
        }
    });
}

// --- Basic, and both schemes ---

fn basic_header(raw: &str) -> Vec<u8> {
    format!("Basic {}", STANDARD.encode(raw)).into_bytes()
}

#[test]
fn basic_round_trip_passes() {
    let auth = HttpAuth::builder().basic_auth("twilio", "pässwörd").build();
    let user = check(&auth, &basic_header("twilio:pässwörd"), T0).unwrap();
    assert_eq!(
        user,
        Authenticated {
            user: "twilio".into(),
            scheme: AuthScheme::Basic
        }
    );
    let header = basic_header("twilio:pässwörd");
    assert!(check(&auth, &[&b"basic"[..], &header[5..]].concat(), T0).is_ok());
}

#[test]
fn basic_wrong_or_malformed_credentials_fail() {
    let auth = HttpAuth::builder().basic_auth("twilio", "s3cret").build();
    assert_eq!(
        reason(check(&auth, &basic_header("twilio:wrong"), T0)),
        AuthFailure::WrongCredentials
    );
    assert_eq!(
        reason(check(&auth, &basic_header("twilios3cret"), T0)),
        AuthFailure::MalformedAuthorization
    );
    for bad in [
        &b"Basic"[..],
        b"Basic !!!",
        b"Basic dHdp bGlv",
        b"Basic\xff",
    ] {
        assert_eq!(
            reason(check(&auth, bad, T0)),
            AuthFailure::MalformedAuthorization
        );
    }
}

#[test]
fn either_credential_passes_when_both_are_configured() {
    let auth = HttpAuth::builder()
        .basic_auth("basic-user", "basic-pass")
        .digest_auth("twilio", "s3cret")
        .nonce_secret(KEY)
        .build();
    assert_eq!(
        check(&auth, &basic_header("basic-user:basic-pass"), T0)
            .unwrap()
            .scheme,
        AuthScheme::Basic
    );
    let header = CLIENT.first_answer(&auth).curl();
    assert_eq!(
        check(&auth, &header, T0).unwrap().scheme,
        AuthScheme::Digest
    );
    let refused = check(&auth, &basic_header("basic-user:nope"), T0).unwrap_err();
    assert_eq!(refused.www_authenticate().len(), 3);
}

#[test]
fn a_scheme_that_is_not_configured_is_unsupported() {
    let auth = digest_auth();
    assert_eq!(
        reason(check(&auth, &basic_header("twilio:s3cret"), T0)),
        AuthFailure::UnsupportedScheme
    );
    assert_eq!(
        reason(check(&auth, b"Bearer abc", T0)),
        AuthFailure::UnsupportedScheme
    );
    assert_eq!(
        reason(check(&auth, b"", T0)),
        AuthFailure::UnsupportedScheme
    );
    assert_eq!(
        reason(check(&auth, b"Digest", T0)),
        AuthFailure::MissingParameter { name: "username" }
    );
}

// --- Configuration ---

#[test]
fn invalid_configurations_are_refused_at_build_time() {
    let digest = || HttpAuth::builder().digest_auth("twilio", "s3cret");
    let cases = [
        (HttpAuth::builder(), Invalid::NoCredentials),
        (
            HttpAuth::builder().basic_auth("twi:lio", "pw"),
            Invalid::BasicUser,
        ),
        (
            HttpAuth::builder().basic_auth("twilio\n", "pw"),
            Invalid::BasicUser,
        ),
        (
            HttpAuth::builder().basic_auth("twilio", "p\rw"),
            Invalid::BasicPassword,
        ),
        (
            HttpAuth::builder().basic_auth("twilio", ""),
            Invalid::EmptyPassword,
        ),
        (
            HttpAuth::builder().digest_auth("twilio", ""),
            Invalid::EmptyPassword,
        ),
        (digest().realm("say \"hi\""), Invalid::Realm),
        (digest().realm("línea"), Invalid::Realm),
        (digest().digest_algorithms([]), Invalid::DigestAlgorithms),
        (
            digest().digest_algorithms([DigestAlgorithm::Md5, DigestAlgorithm::Md5]),
            Invalid::DigestAlgorithms,
        ),
        (digest().nonce_secret("short"), Invalid::NonceSecretTooShort),
        (
            digest().nonce_lifetime(Duration::from_millis(999)),
            Invalid::NonceLifetime,
        ),
        (
            digest().replay_cache_capacity(0),
            Invalid::ReplayCacheCapacity,
        ),
        (
            HttpAuth::builder().digest_auth_ha1("twilio", DigestAlgorithm::Md5, "abc"),
            Invalid::Ha1 {
                algorithm: DigestAlgorithm::Md5,
            },
        ),
        (
            HttpAuth::builder().digest_auth_ha1("twilio", DigestAlgorithm::Md5, "0".repeat(64)),
            Invalid::Ha1 {
                algorithm: DigestAlgorithm::Md5,
            },
        ),
        (
            HttpAuth::builder()
                .digest_auth_ha1("twilio", DigestAlgorithm::Md5, "0".repeat(32))
                .digest_algorithms(DEFAULT_DIGEST_ALGORITHMS),
            Invalid::MissingHa1 {
                algorithm: DigestAlgorithm::Sha256,
            },
        ),
    ];
    for (builder, expected) in cases {
        assert_eq!(builder.check().unwrap_err(), expected);
    }
}

#[test]
#[should_panic(expected = "Basic user must not contain ':'")]
fn build_panics_with_a_clear_message() {
    let _ = HttpAuth::builder().basic_auth("twi:lio", "pw").build();
}

#[test]
fn debug_redacts_passwords_ha1_and_the_nonce_secret() {
    let ha1 = h("MD5", "twilio:Twilio webhook:s3cret");
    let builder = HttpAuth::builder()
        .basic_auth("twilio", "basic-password")
        .digest_auth_ha1("twilio", DigestAlgorithm::Md5, ha1.as_str())
        .nonce_secret(KEY);
    let sha_ha1 = h("SHA-256", "twilio:Twilio webhook:digest-password");
    let with_password = HttpAuth::builder()
        .digest_auth("twilio", "digest-password")
        .build();
    for debug in [
        format!("{builder:?}"),
        format!("{:?}", builder.clone().build()),
        format!("{with_password:?}"),
    ] {
        for secret in [
            "basic-password",
            "digest-password",
            ha1.as_str(),
            sha_ha1.as_str(),
            KEY,
        ] {
            assert!(!debug.contains(secret), "{secret} in {debug}");
        }
        assert!(debug.contains("twilio"));
    }
}

#[test]
fn failure_names_are_stable_snake_case() {
    let all = [
        AuthFailure::MissingCredentials,
        AuthFailure::UnsupportedScheme,
        AuthFailure::MalformedAuthorization,
        AuthFailure::MissingParameter { name: "nonce" },
        AuthFailure::UnsupportedQop,
        AuthFailure::UnsupportedAlgorithm,
        AuthFailure::RealmMismatch,
        AuthFailure::OpaqueMismatch,
        AuthFailure::InvalidNonce,
        AuthFailure::UriMismatch,
        AuthFailure::WrongCredentials,
        AuthFailure::StaleNonce,
        AuthFailure::ReplayedNonceCount,
    ];
    for failure in all {
        assert!(failure
            .as_str()
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b == b'_'));
        assert!(!failure.to_string().is_empty());
    }
    assert_eq!(
        AuthFailure::ReplayedNonceCount.as_str(),
        "replayed_nonce_count"
    );
    assert_eq!(
        AuthFailure::MissingParameter { name: "nonce" }.to_string(),
        "the Digest credentials lack the `nonce` parameter"
    );
}

#[test]
fn http_auth_is_send_sync_and_cheap_to_clone() {
    fn assert_send_sync_clone<T: Send + Sync + Clone + 'static>() {}
    assert_send_sync_clone::<HttpAuth>();
    assert_send_sync_clone::<HttpAuthBuilder>();
    assert_send_sync_clone::<AuthChallenge>();
}
