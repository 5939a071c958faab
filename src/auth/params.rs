//! The auth-params of `Authorization: Digest ...` (RFC 7235 §2.1, RFC 7616 §3.4).
//!
//! One left-to-right pass, so the work is linear in the header's length whatever
//! it holds. Parameter names are case-insensitive; values are a quoted-string
//! (with `\` quoted-pairs) or unquoted. An unquoted value is read leniently up to
//! the next comma, whitespace or `"`, which accepts every RFC token and also the
//! base64 `/` and `=` some clients leave unquoted. A parameter this module knows
//! that appears twice makes the whole header malformed; unknown parameters are
//! checked for syntax and otherwise ignored, as RFC 7616 requires.

use std::borrow::Cow;

/// The parameters of Digest credentials that the server reads.
#[derive(Debug, Default)]
pub(super) struct DigestParams<'a> {
    pub(super) username: Option<Cow<'a, str>>,
    /// `username*`, an RFC 8187 ext-value, still encoded.
    pub(super) username_ext: Option<Cow<'a, str>>,
    pub(super) realm: Option<Cow<'a, str>>,
    pub(super) nonce: Option<Cow<'a, str>>,
    pub(super) uri: Option<Cow<'a, str>>,
    pub(super) response: Option<Cow<'a, str>>,
    pub(super) algorithm: Option<Cow<'a, str>>,
    pub(super) cnonce: Option<Cow<'a, str>>,
    pub(super) opaque: Option<Cow<'a, str>>,
    pub(super) qop: Option<Cow<'a, str>>,
    pub(super) nc: Option<Cow<'a, str>>,
    pub(super) userhash: Option<Cow<'a, str>>,
}

/// The credentials are not a valid, duplicate-free list of auth-params.
#[derive(Debug, PartialEq, Eq)]
pub(super) struct Malformed;

impl<'a> DigestParams<'a> {
    /// The slot for a known parameter name, or `None` for an unknown one.
    fn slot(&mut self, name: &str) -> Option<&mut Option<Cow<'a, str>>> {
        let slots = [
            ("username", &mut self.username),
            ("username*", &mut self.username_ext),
            ("realm", &mut self.realm),
            ("nonce", &mut self.nonce),
            ("uri", &mut self.uri),
            ("response", &mut self.response),
            ("algorithm", &mut self.algorithm),
            ("cnonce", &mut self.cnonce),
            ("opaque", &mut self.opaque),
            ("qop", &mut self.qop),
            ("nc", &mut self.nc),
            ("userhash", &mut self.userhash),
        ];
        slots
            .into_iter()
            .find(|(known, _)| name.eq_ignore_ascii_case(known))
            .map(|(_, slot)| slot)
    }
}

/// Parses the text after the `Digest` scheme name.
pub(super) fn parse(input: &str) -> Result<DigestParams<'_>, Malformed> {
    let bytes = input.as_bytes();
    let mut params = DigestParams::default();
    let mut i = 0;
    loop {
        // `#auth-param` allows empty list elements and whitespace around commas.
        while i < bytes.len() && matches!(bytes[i], b' ' | b'\t' | b',') {
            i += 1;
        }
        if i == bytes.len() {
            return Ok(params);
        }
        let name_start = i;
        while i < bytes.len() && is_tchar(bytes[i]) {
            i += 1;
        }
        if i == name_start {
            return Err(Malformed);
        }
        let name = &input[name_start..i];
        i = skip_whitespace(bytes, i);
        if bytes.get(i) != Some(&b'=') {
            return Err(Malformed);
        }
        i = skip_whitespace(bytes, i + 1);
        let (value, end) = if bytes.get(i) == Some(&b'"') {
            quoted_string(input, i + 1)?
        } else {
            unquoted(input, i)?
        };
        i = skip_whitespace(bytes, end);
        if i < bytes.len() && bytes[i] != b',' {
            return Err(Malformed);
        }
        if let Some(slot) = params.slot(name) {
            if slot.replace(value).is_some() {
                return Err(Malformed);
            }
        }
    }
}

/// Reads a quoted-string whose opening `"` is just before `start`; returns the
/// unescaped value and the index after the closing `"`.
fn quoted_string(input: &str, start: usize) -> Result<(Cow<'_, str>, usize), Malformed> {
    let bytes = input.as_bytes();
    let mut i = start;
    let mut escaped = false;
    loop {
        match bytes.get(i) {
            None => return Err(Malformed),
            Some(b'"') => break,
            Some(b'\\') => match bytes.get(i + 1) {
                Some(&next) if !is_ctl(next) => {
                    escaped = true;
                    i += 2;
                }
                _ => return Err(Malformed),
            },
            Some(&b) if is_ctl(b) => return Err(Malformed),
            Some(_) => i += 1,
        }
    }
    let raw = &input[start..i];
    let value = if escaped {
        let mut out = String::with_capacity(raw.len());
        let mut chars = raw.chars();
        while let Some(c) = chars.next() {
            match c {
                '\\' => out.extend(chars.next()),
                c => out.push(c),
            }
        }
        Cow::Owned(out)
    } else {
        Cow::Borrowed(raw)
    };
    Ok((value, i + 1))
}

/// Reads an unquoted value starting at `start`; returns it and the index after it.
fn unquoted(input: &str, start: usize) -> Result<(Cow<'_, str>, usize), Malformed> {
    let bytes = input.as_bytes();
    let mut i = start;
    while i < bytes.len() && !matches!(bytes[i], b' ' | b'\t' | b',' | b'"') && !is_ctl(bytes[i]) {
        i += 1;
    }
    if i == start {
        return Err(Malformed);
    }
    Ok((Cow::Borrowed(&input[start..i]), i))
}

fn skip_whitespace(bytes: &[u8], mut i: usize) -> usize {
    while i < bytes.len() && matches!(bytes[i], b' ' | b'\t') {
        i += 1;
    }
    i
}

/// `tchar` of RFC 9110 §5.6.2.
fn is_tchar(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b)
}

/// Control characters other than HTAB.
fn is_ctl(b: u8) -> bool {
    (b < 0x20 && b != b'\t') || b == 0x7f
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_quoted_and_unquoted_values_in_any_order() {
        let p =
            parse(r#"nc=00000001, Username="Mufasa", qop=auth, URI="/dir/index.html""#).unwrap();
        assert_eq!(p.username.as_deref(), Some("Mufasa"));
        assert_eq!(p.uri.as_deref(), Some("/dir/index.html"));
        assert_eq!(p.qop.as_deref(), Some("auth"));
        assert_eq!(p.nc.as_deref(), Some("00000001"));
    }

    #[test]
    fn unescapes_quoted_pairs() {
        let p = parse(r#"username="Mu\"fa\\sa\x""#).unwrap();
        assert_eq!(p.username.as_deref(), Some(r#"Mu"fa\sax"#));
    }

    #[test]
    fn keeps_utf8_inside_quoted_strings() {
        let p = parse(r#"username="J\äsøn""#).unwrap();
        assert_eq!(p.username.as_deref(), Some("Jäsøn"));
    }

    #[test]
    fn tolerates_whitespace_and_empty_list_elements() {
        let p = parse(" ,realm = \"r\" ,, nonce\t=\tn ,").unwrap();
        assert_eq!(p.realm.as_deref(), Some("r"));
        assert_eq!(p.nonce.as_deref(), Some("n"));
    }

    #[test]
    fn accepts_base64_characters_in_unquoted_values() {
        let p = parse("nonce=ab/cd+ef==, uri=/a?b=c").unwrap();
        assert_eq!(p.nonce.as_deref(), Some("ab/cd+ef=="));
        assert_eq!(p.uri.as_deref(), Some("/a?b=c"));
    }

    #[test]
    fn reads_username_star() {
        let p = parse("username*=UTF-8''J%C3%A4s%C3%B8n%20Doe").unwrap();
        assert_eq!(
            p.username_ext.as_deref(),
            Some("UTF-8''J%C3%A4s%C3%B8n%20Doe")
        );
        assert!(p.username.is_none());
    }

    #[test]
    fn rejects_a_known_parameter_given_twice_in_any_case() {
        assert_eq!(parse("nonce=a, nonce=a").unwrap_err(), Malformed);
        assert_eq!(parse(r#"nonce="a", NONCE="b""#).unwrap_err(), Malformed);
    }

    #[test]
    fn ignores_unknown_parameters_even_repeated() {
        let p = parse("x=1, x=2, realm=r").unwrap();
        assert_eq!(p.realm.as_deref(), Some("r"));
    }

    #[test]
    fn rejects_broken_syntax() {
        for input in [
            r#"realm="unterminated"#,
            r#"realm="ends in backslash\"#,
            "realm",
            "realm=",
            "=value",
            "realm=a nonce=b",
            r#"realm="a"nonce="b""#,
            r#"realm=a"b""#,
            "realm=\"a\nb\"",
            "re alm=a",
        ] {
            assert_eq!(parse(input).unwrap_err(), Malformed, "{input:?}");
        }
    }

    #[test]
    fn parses_an_enormous_header_in_one_pass() {
        let mut input = String::from("realm=r");
        for i in 0..200_000 {
            input.push_str(&format!(", x{i}=\"{}\"", "v".repeat(8)));
        }
        assert_eq!(parse(&input).unwrap().realm.as_deref(), Some("r"));
        let quotes = format!("realm=\"{}", "\\\"".repeat(1_000_000));
        assert_eq!(parse(&quotes).unwrap_err(), Malformed);
    }
}
