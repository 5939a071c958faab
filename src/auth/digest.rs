//! Digest access authentication (RFC 7616, compatible with RFC 2617 clients).
//!
//! Supported: `algorithm` `SHA-256`, `MD5` and their `-sess` variants (the base
//! algorithm must be offered), `qop=auth`, `userhash=true` and `username*`.
//! Refused: `qop=auth-int` and credentials without `qop` (RFC 2069 style),
//! because without `nc` and `cnonce` a captured request could be replayed for
//! the nonce's whole lifetime. Every client we know of sends `qop=auth` when
//! the challenge offers it.

use std::time::SystemTime;

use md5::Md5;
use sha2::Sha256;
use subtle::{Choice, ConstantTimeEq};

use super::nonce::Nonces;
use super::params::{self, DigestParams};
use super::replay::ReplayCache;
use super::shared::{NonceCount, SharedCounts};
use super::{eq_hashed, AuthFailure};
use crate::core::secret::Secret;

/// A hash algorithm for Digest authentication.
///
/// A client may also ask for the `-sess` variant of an offered algorithm
/// (`SHA-256-sess`, `MD5-sess`); it is accepted.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum DigestAlgorithm {
    /// `SHA-256` (RFC 7616), the preferred one.
    Sha256,
    /// `MD5` (RFC 2617), for clients that know nothing else.
    Md5,
}

impl DigestAlgorithm {
    /// The name in the `algorithm` parameter: `SHA-256` or `MD5`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Sha256 => "SHA-256",
            Self::Md5 => "MD5",
        }
    }

    /// Hex digits of one hash: 64 for SHA-256, 32 for MD5.
    pub(super) fn hex_len(self) -> usize {
        match self {
            Self::Sha256 => 64,
            Self::Md5 => 32,
        }
    }

    /// Parses an `algorithm` value (case-insensitive) into the algorithm and
    /// whether it is the `-sess` variant.
    fn parse(name: &str) -> Option<(Self, bool)> {
        let split = name.len().checked_sub("-sess".len());
        let (base, sess) = match split.and_then(|i| Some((name.get(..i)?, name.get(i..)?))) {
            Some((base, tail)) if tail.eq_ignore_ascii_case("-sess") => (base, true),
            _ => (name, false),
        };
        [Self::Sha256, Self::Md5]
            .into_iter()
            .find(|alg| base.eq_ignore_ascii_case(alg.as_str()))
            .map(|alg| (alg, sess))
    }

    /// `H(part1 ":" part2 ":" ...)`.
    fn hash(self, parts: &[&[u8]]) -> Vec<u8> {
        match self {
            Self::Sha256 => hash_joined::<Sha256>(parts),
            Self::Md5 => hash_joined::<Md5>(parts),
        }
    }
}

fn hash_joined<D: sha2::Digest>(parts: &[&[u8]]) -> Vec<u8> {
    let mut hasher = D::new();
    for (i, part) in parts.iter().enumerate() {
        if i > 0 {
            hasher.update(b":");
        }
        hasher.update(part);
    }
    hasher.finalize().to_vec()
}

/// `HA1 = H(username ":" realm ":" password)` as lowercase hex.
pub(super) fn ha1(alg: DigestAlgorithm, user: &str, realm: &str, password: &[u8]) -> Secret {
    Secret::new(hex(&alg.hash(&[
        user.as_bytes(),
        realm.as_bytes(),
        password,
    ])))
}

/// What the client chose for one request.
pub(super) struct Request<'a> {
    pub(super) method: &'a str,
    pub(super) uri: &'a str,
    pub(super) nonce: &'a str,
    pub(super) nc: &'a str,
    pub(super) cnonce: &'a str,
    pub(super) qop: &'a str,
}

/// `response = H(HA1 ":" nonce ":" nc ":" cnonce ":" qop ":" H(method ":" uri))`,
/// with `HA1 = H(HA1 ":" nonce ":" cnonce)` for a `-sess` algorithm (RFC 7616 §3.4.1–3.4.3).
/// `ha1_hex` is `HA1` as lowercase hex. The result is the raw hash, not hex.
pub(super) fn response(
    alg: DigestAlgorithm,
    sess: bool,
    ha1_hex: &[u8],
    r: &Request<'_>,
) -> Vec<u8> {
    let sess_ha1;
    let ha1_hex = if sess {
        sess_ha1 = Secret::new(hex(&alg.hash(&[
            ha1_hex,
            r.nonce.as_bytes(),
            r.cnonce.as_bytes(),
        ])));
        sess_ha1.expose()
    } else {
        ha1_hex
    };
    let ha2 = hex(&alg.hash(&[r.method.as_bytes(), r.uri.as_bytes()]));
    alg.hash(&[
        ha1_hex,
        r.nonce.as_bytes(),
        r.nc.as_bytes(),
        r.cnonce.as_bytes(),
        r.qop.as_bytes(),
        ha2.as_bytes(),
    ])
}

/// The Digest side of an [`super::HttpAuth`]: one user, one realm.
#[derive(Debug)]
pub(super) struct Digest {
    user: String,
    realm: String,
    /// `HA1` as lowercase hex for each offered algorithm, in the order offered.
    ha1: Vec<(DigestAlgorithm, Secret)>,
    nonces: Nonces,
    replay: ReplayCache,
    /// Where nonce counts are claimed across instances, if configured.
    shared: Option<SharedCounts>,
}

impl Digest {
    pub(super) fn new(
        user: String,
        realm: String,
        ha1: Vec<(DigestAlgorithm, Secret)>,
        nonces: Nonces,
        replay: ReplayCache,
        shared: Option<SharedCounts>,
    ) -> Self {
        Self {
            user,
            realm,
            ha1,
            nonces,
            replay,
            shared,
        }
    }

    /// The shared store of nonce counts, if configured.
    pub(super) fn shared(&self) -> Option<&SharedCounts> {
        self.shared.as_ref()
    }

    pub(super) fn user(&self) -> &str {
        &self.user
    }

    #[cfg(test)]
    pub(super) fn replay_len(&self) -> usize {
        self.replay.len()
    }

    /// One `WWW-Authenticate` value per offered algorithm, in order, sharing one
    /// nonce (clients that merge the challenges then still see one nonce).
    pub(super) fn challenges(&self, now: SystemTime, stale: bool, out: &mut Vec<String>) {
        let nonce = self.nonces.issue(now);
        let stale = if stale { ", stale=true" } else { "" };
        out.extend(self.ha1.iter().map(|(alg, _)| {
            format!(
                "Digest realm=\"{}\", qop=\"auth\", algorithm={}, nonce=\"{nonce}\", opaque=\"{}\", charset=UTF-8, userhash=true{stale}",
                self.realm,
                alg.as_str(),
                self.nonces.opaque(),
            )
        }));
    }

    /// Checks the credentials (the text after `Digest`) of a request.
    ///
    /// The nonce count is checked against this instance's replay cache,
    /// or, with `shared`, returned to be claimed in the shared store: the
    /// credentials are right, and the count is all that is left to decide.
    pub(super) fn check(
        &self,
        method: &str,
        request_target: &str,
        credentials: &str,
        now: SystemTime,
        shared: bool,
    ) -> Result<Option<NonceCount>, AuthFailure> {
        use AuthFailure::{
            InvalidNonce, MalformedAuthorization, MissingParameter, OpaqueMismatch, RealmMismatch,
            ReplayedNonceCount, StaleNonce, UnsupportedAlgorithm, UnsupportedQop, UriMismatch,
            WrongCredentials,
        };
        let p = params::parse(credentials).map_err(|_| MalformedAuthorization)?;
        if p.username.is_none() && p.username_ext.is_none() {
            return Err(MissingParameter { name: "username" });
        }
        let realm = required(&p.realm, "realm")?;
        let nonce = required(&p.nonce, "nonce")?;
        let uri = required(&p.uri, "uri")?;
        let response = required(&p.response, "response")?;
        let qop = required(&p.qop, "qop")?;
        let nc = required(&p.nc, "nc")?;
        let cnonce = required(&p.cnonce, "cnonce")?;
        let opaque = required(&p.opaque, "opaque")?;

        let nc_value = parse_nc(nc).ok_or(MalformedAuthorization)?;
        let userhash = match p.userhash.as_deref() {
            None => false,
            Some(v) if v.eq_ignore_ascii_case("true") => true,
            Some(v) if v.eq_ignore_ascii_case("false") => false,
            Some(_) => return Err(MalformedAuthorization),
        };
        let response = from_hex(response).ok_or(MalformedAuthorization)?;

        if !qop.eq_ignore_ascii_case("auth") {
            return Err(UnsupportedQop);
        }
        // RFC 7616 §3.4: an absent `algorithm` means MD5.
        let (alg, sess) = match p.algorithm.as_deref() {
            None => (DigestAlgorithm::Md5, false),
            Some(name) => DigestAlgorithm::parse(name).ok_or(UnsupportedAlgorithm)?,
        };
        let (_, ha1) = self
            .ha1
            .iter()
            .find(|(offered, _)| *offered == alg)
            .ok_or(UnsupportedAlgorithm)?;
        if realm != self.realm {
            return Err(RealmMismatch);
        }
        if opaque != self.nonces.opaque() {
            return Err(OpaqueMismatch);
        }
        let issued = self.nonces.verify(nonce).ok_or(InvalidNonce)?;
        if uri != request_target {
            return Err(UriMismatch);
        }

        let user_ok = self.username_matches(&p, alg, userhash)?;
        let request = Request {
            method,
            uri,
            nonce,
            nc,
            cnonce,
            qop,
        };
        let expected = self::response(alg, sess, ha1.expose(), &request);
        if !bool::from(user_ok & response.ct_eq(&expected)) {
            return Err(WrongCredentials);
        }
        if !self.nonces.is_fresh(issued, now) {
            return Err(StaleNonce);
        }
        if shared {
            let ttl = self.nonces.remaining(issued, now);
            return Ok(Some(NonceCount::new(
                &self.realm,
                nonce,
                cnonce,
                nc_value,
                ttl,
            )));
        }
        let expired = |t| !self.nonces.is_fresh(t, now);
        if !self.replay.accept(nonce, cnonce, issued, nc_value, expired) {
            return Err(ReplayedNonceCount);
        }
        Ok(None)
    }

    /// Compares `username`, `username*` or the `userhash` in constant time.
    fn username_matches(
        &self,
        p: &DigestParams<'_>,
        alg: DigestAlgorithm,
        userhash: bool,
    ) -> Result<Choice, AuthFailure> {
        match (&p.username, &p.username_ext) {
            (Some(hashed), None) if userhash => {
                // RFC 7616 §3.4.4: username = H(user ":" realm), in hex.
                let expected = alg.hash(&[self.user.as_bytes(), self.realm.as_bytes()]);
                Ok(from_hex(hashed).map_or(Choice::from(0), |given| given.ct_eq(&expected)))
            }
            (Some(name), None) => Ok(eq_hashed(name.as_bytes(), self.user.as_bytes())),
            (None, Some(ext)) if !userhash => {
                let name = decode_ext_value(ext).ok_or(AuthFailure::MalformedAuthorization)?;
                Ok(eq_hashed(name.as_bytes(), self.user.as_bytes()))
            }
            // Both `username` and `username*`, or a hashed `username*` (RFC 7616 §3.4).
            _ => Err(AuthFailure::MalformedAuthorization),
        }
    }
}

fn required<'p>(
    value: &'p Option<std::borrow::Cow<'_, str>>,
    name: &'static str,
) -> Result<&'p str, AuthFailure> {
    value
        .as_deref()
        .ok_or(AuthFailure::MissingParameter { name })
}

/// `nc`: exactly 8 hex digits, not zero.
fn parse_nc(nc: &str) -> Option<u32> {
    if nc.len() != 8 || !nc.bytes().all(|b| b.is_ascii_hexdigit()) {
        return None;
    }
    u32::from_str_radix(nc, 16).ok().filter(|&n| n > 0)
}

/// Decodes an RFC 8187 ext-value `UTF-8'[language]'percent-encoded`.
fn decode_ext_value(value: &str) -> Option<String> {
    let mut parts = value.splitn(3, '\'');
    let (charset, _language, encoded) = (parts.next()?, parts.next()?, parts.next()?);
    if !charset.eq_ignore_ascii_case("UTF-8") {
        return None;
    }
    let mut bytes = Vec::with_capacity(encoded.len());
    let mut input = encoded.bytes();
    while let Some(b) = input.next() {
        match b {
            b'%' => bytes.push(hex_digit(input.next()?)? << 4 | hex_digit(input.next()?)?),
            b if b.is_ascii_alphanumeric() || b"!#$&+-.^_`|~".contains(&b) => bytes.push(b),
            _ => return None,
        }
    }
    String::from_utf8(bytes).ok()
}

/// Lowercase hex.
pub(super) fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    bytes
        .iter()
        .flat_map(|b| [DIGITS[usize::from(b >> 4)], DIGITS[usize::from(b & 0xf)]])
        .map(char::from)
        .collect()
}

/// Decodes hex of either case.
pub(super) fn from_hex(hex: &str) -> Option<Vec<u8>> {
    if hex.len() % 2 != 0 {
        return None;
    }
    hex.as_bytes()
        .chunks(2)
        .map(|pair| Some(hex_digit(pair[0])? << 4 | hex_digit(pair[1])?))
        .collect()
}

fn hex_digit(b: u8) -> Option<u8> {
    char::from(b).to_digit(16).map(|d| d as u8)
}

#[cfg(test)]
mod tests {
    use sha2::Digest as _;

    use super::*;

    fn rfc7616_request() -> Request<'static> {
        Request {
            method: "GET",
            uri: "/dir/index.html",
            nonce: "7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v",
            nc: "00000001",
            cnonce: "f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ",
            qop: "auth",
        }
    }

    fn answer(
        alg: DigestAlgorithm,
        user: &str,
        realm: &str,
        password: &str,
        r: &Request<'_>,
    ) -> String {
        let ha1 = ha1(alg, user, realm, password.as_bytes());
        hex(&response(alg, false, ha1.expose(), r))
    }

    #[test]
    fn rfc7616_md5_vector() {
        let r = rfc7616_request();
        let got = answer(
            DigestAlgorithm::Md5,
            "Mufasa",
            "http-auth@example.org",
            "Circle of Life",
            &r,
        );
        assert_eq!(got, "8ca523f5e9506fed4657c9700eebdbec");
    }

    #[test]
    fn rfc7616_sha256_vector() {
        let r = rfc7616_request();
        let got = answer(
            DigestAlgorithm::Sha256,
            "Mufasa",
            "http-auth@example.org",
            "Circle of Life",
            &r,
        );
        assert_eq!(
            got,
            "753927fa0e85d155564e2e272a28d1802ca10daf4496794697cf8db5856cb6c1"
        );
    }

    #[test]
    fn rfc2617_md5_vector() {
        let r = Request {
            method: "GET",
            uri: "/dir/index.html",
            nonce: "dcd98b7102dd2f0e8b11d0f600bfb0c093",
            nc: "00000001",
            cnonce: "0a4f113b",
            qop: "auth",
        };
        let got = answer(
            DigestAlgorithm::Md5,
            "Mufasa",
            "testrealm@host.com",
            "Circle Of Life",
            &r,
        );
        assert_eq!(got, "6629fae49393a05397450978507c4ef1");
    }

    #[test]
    fn sess_hashes_nonce_and_cnonce_into_ha1() {
        let r = rfc7616_request();
        let ha1 = ha1(
            DigestAlgorithm::Md5,
            "Mufasa",
            "http-auth@example.org",
            b"Circle of Life",
        );
        let sess_ha1 = format!(
            "{:x}",
            Md5::digest(format!(
                "{}:{}:{}",
                std::str::from_utf8(ha1.expose()).unwrap(),
                r.nonce,
                r.cnonce
            ))
        );
        let expected = response(DigestAlgorithm::Md5, false, sess_ha1.as_bytes(), &r);
        assert_eq!(
            response(DigestAlgorithm::Md5, true, ha1.expose(), &r),
            expected
        );
    }

    #[test]
    fn parses_algorithm_names_case_insensitively() {
        assert_eq!(
            DigestAlgorithm::parse("SHA-256"),
            Some((DigestAlgorithm::Sha256, false))
        );
        assert_eq!(
            DigestAlgorithm::parse("sha-256-SESS"),
            Some((DigestAlgorithm::Sha256, true))
        );
        assert_eq!(
            DigestAlgorithm::parse("md5"),
            Some((DigestAlgorithm::Md5, false))
        );
        assert_eq!(
            DigestAlgorithm::parse("MD5-sess"),
            Some((DigestAlgorithm::Md5, true))
        );
        for unknown in ["", "MD5-", "SHA-512-256", "SHA256", "MD5-sessx", "MD"] {
            assert_eq!(DigestAlgorithm::parse(unknown), None, "{unknown}");
        }
    }

    #[test]
    fn nc_is_eight_hex_digits_and_not_zero() {
        assert_eq!(parse_nc("00000001"), Some(1));
        assert_eq!(parse_nc("0000000A"), Some(10));
        assert_eq!(parse_nc("ffffffff"), Some(u32::MAX));
        for bad in ["00000000", "1", "000000001", "+0000001", "0000000g", ""] {
            assert_eq!(parse_nc(bad), None, "{bad}");
        }
    }

    #[test]
    fn decodes_rfc8187_ext_values() {
        assert_eq!(
            decode_ext_value("UTF-8''J%C3%A4s%C3%B8n%20Doe").as_deref(),
            Some("Jäsøn Doe")
        );
        assert_eq!(
            decode_ext_value("utf-8'en'Mufasa").as_deref(),
            Some("Mufasa")
        );
        for bad in [
            "ISO-8859-1''caf%E9",
            "UTF-8''%C3",
            "UTF-8''a%2",
            "UTF-8''a b",
            "Mufasa",
            "UTF-8'Mufasa",
        ] {
            assert_eq!(decode_ext_value(bad), None, "{bad}");
        }
    }

    #[test]
    fn hex_round_trips() {
        assert_eq!(hex(&[0x00, 0xab, 0xff]), "00abff");
        assert_eq!(from_hex("00ABff"), Some(vec![0x00, 0xab, 0xff]));
        assert_eq!(from_hex("abc"), None);
        assert_eq!(from_hex("zz"), None);
    }
}
