//! The library's internals held against reference implementations and
//! random input (the `url` crate's WHATWG parser, `form_urlencoded`,
//! proptest), driven through the `fuzzing` internals so that the library's
//! own unit tests need none of these crates. The `url` crate's comparisons
//! need the package's `whatwg` feature (tests/Cargo.toml).

#[cfg(feature = "whatwg")]
mod candidates {
    use std::borrow::Cow;
    use std::ops::ControlFlow;

    use tower_twilio::fuzzing::{
        plainly_whatwg, whatwg_serialize, Candidate, Received, UrlCandidates,
    };

    fn push_unique<T: PartialEq>(out: &mut Vec<T>, item: T) {
        if !out.contains(&item) {
            out.push(item);
        }
    }

    /// A URL the shortcut calls plain is its own WHATWG serialization (or
    /// not a URL to the parser at all), so skipping the parser drops no
    /// candidate. Every combination of the pieces below, about 480 000 URLs.
    #[test]
    fn a_plain_url_is_its_own_whatwg_serialization() {
        let schemes = ["https://", "http://", "HTTPS://", "wss://", "https:/"];
        let hosts = [
            "example.com",
            "a.b-c",
            "example.com.",
            "a..b",
            "1.2.3.4",
            "a.1",
            "a.0x1f",
            "a.09",
            "Example.com",
            "xn--nxasmq6b.com",
            "xn--a.com",
            "u@x.com",
            "[::1]",
            "\u{e9}.com",
            "%41.com",
            "a_b.com",
            "",
        ];
        let ports = [
            "", ":", ":443", ":80", ":8443", ":0443", ":65536", ":1a", ":00",
        ];
        let paths = [
            "", "/", "/a", "//a", "/a/", "/.", "/./a", "/..", "/a/..", "/a/../b", "/%2e", "/%2E/a",
            "/%41", "/;", "/a=b+c~", "/\\", "/^", "/|", "/[", "/`", "/{", "/\"", "/'", "/<", "/ ",
            "/\u{e9}", "/:@", "/a.", "/..a", "a",
        ];
        let queries = [
            "", "?", "?a=1", "?a=1&b=2", "?%zz", "?%41", "?+", "?'", "?\"", "?<", "? ", "?`", "?{",
            "?^", "?|", "#f", "?a#f", "?\u{e9}", "?\\", "?/?", "?;=:@",
        ];
        let mut plain = 0;
        for scheme in schemes {
            for host in hosts {
                for port in ports {
                    for path in paths {
                        for query in queries {
                            let url = format!("{scheme}{host}{port}{path}{query}");
                            if !plainly_whatwg(&url) {
                                continue;
                            }
                            plain += 1;
                            if let Ok(parsed) = url::Url::parse(&url) {
                                assert_eq!(parsed.as_str(), url);
                            }
                        }
                    }
                }
            }
        }
        // The shortcut is taken often enough to matter.
        assert!(plain > 1000, "{plain}");
    }

    /// The hand-written serializer against the `url` crate: where it answers,
    /// it answers as WHATWG does; and over every URL of the grid, for HTTP
    /// and WebSocket rules, the normalized candidates the soundness rule
    /// accepts are the same whether the `url` crate or it serializes. About
    /// 2 million URLs: `.ci/run` runs it with `--release`.
    #[test]
    #[cfg_attr(debug_assertions, ignore = "2 million URLs: run it with --release")]
    fn hand_written_serialization_accepts_what_the_whatwg_parser_would() {
        let schemes = [
            "https://", "http://", "HTTPS://", "wss://", "WS://", "https:/",
        ];
        let hosts = [
            "example.com",
            "a.b-c",
            "example.com.",
            "a..b",
            "1.2.3.4",
            "1.2.3.4.",
            "01.2.3.4",
            "0x7f.1",
            "127.0.0.1",
            "256.1.1.1",
            "a.1",
            "a.0x1f",
            "a.09",
            "Example.COM",
            "xn--nxasmq6b.com",
            "xn--a.com",
            "u@x.com",
            "u:p@x.com",
            "u:@x.com",
            ":p@x.com",
            "@x.com",
            "[::1]",
            "[0::1]",
            "[::FFFF:1.2.3.4]",
            "[1:2:3:4:5:6:7:8]",
            "[::1",
            "\u{e9}.com",
            "%41.com",
            "a_b.com",
            "a{b}.com",
            "a|b",
            "a b",
            "",
        ];
        let ports = [
            "",
            ":",
            ":443",
            ":80",
            ":8443",
            ":0443",
            ":08443",
            ":65535",
            ":65536",
            ":1a",
            ":00",
            ":0000000000443",
        ];
        let paths = [
            "", "/", "/a", "//a", "/a/", "/.", "/./a", "/..", "/a/..", "/a/../b", "/%2e", "/%2E/a",
            "/.%2e/a", "/%41", "/;", "/a=b+c~", "/\\", "/^", "/|", "/[", "/]", "/`", "/{", "/}",
            "/\"", "/'", "/<", "/ ", "/\u{e9}", "/:@", "/a.", "/..a", "a", "/\t", "/%",
        ];
        let queries = [
            "", "?", "?a=1", "?a=1&b=2", "?%zz", "?%41", "?+", "?'", "?\"", "?<", "?>", "? ", "?`",
            "?{", "?^", "?|", "#f", "?a#f", "?\u{e9}", "?\\", "?/?", "?;=:@", "?a=%27", "?\u{7f}",
            "?a='b'&c", "?a b=1", "?a\u{1}b", "?a\tb", "?a=1#x y",
        ];
        fn by_url_crate(u: &str) -> Option<Cow<'_, str>> {
            url::Url::parse(u)
                .ok()
                .map(|p| Cow::Owned(p.as_str().to_owned()))
        }
        let accepted =
            |url: &str, c: &UrlCandidates<'_>, by: &dyn Fn(&str) -> Option<Cow<'_, str>>| {
                let received = Received::new(url);
                let mut out: Vec<String> = Vec::new();
                let _ = c.each_normalized_by(by, &mut |cand: Candidate<'_>| {
                    if received.same_request(&cand) {
                        push_unique(&mut out, cand.url.into_owned());
                    }
                    ControlFlow::<()>::Continue(())
                });
                out.sort();
                out
            };
        let mut answered = 0;
        for scheme in schemes {
            for host in hosts {
                for port in ports {
                    for path in paths {
                        for query in queries {
                            let url = format!("{scheme}{host}{port}{path}{query}");
                            // The one difference (module docs of `whatwg`):
                            // an `xn--` label the parser finds invalid.
                            let punycode = host.contains("xn--");
                            if let Some(ours) = whatwg_serialize(&url) {
                                answered += 1;
                                match by_url_crate(&url) {
                                    Some(theirs) => assert_eq!(ours, theirs, "{url}"),
                                    None => assert!(punycode, "{url}"),
                                }
                            }
                            for websocket in [false, true] {
                                let c = UrlCandidates::new(&url, websocket);
                                let ours = accepted(&url, &c, &whatwg_serialize);
                                let theirs = accepted(&url, &c, &by_url_crate);
                                if punycode {
                                    assert!(theirs.iter().all(|t| ours.contains(t)), "{url}");
                                } else {
                                    assert_eq!(ours, theirs, "{url} websocket: {websocket}");
                                }
                            }
                        }
                    }
                }
            }
        }
        assert!(answered > 100_000, "{answered}");
    }
}

#[cfg(feature = "whatwg")]
mod whatwg {
    use proptest::prelude::*;
    use tower_twilio::fuzzing::whatwg_serialize as serialize;

    proptest! {
        /// Random URLs of the characters that matter: where the serializer
        /// answers, the `url` crate gives the same (or, for an `xn--` label
        /// it finds invalid, refuses the URL).
        #[test]
        fn answers_as_the_whatwg_parser_does(
            scheme in "(https?|wss?|HTTPS|Ws)",
            host in r"[a-zA-Z0-9._\-\[\]:@%x]{0,12}",
            port in r"(:[0-9a]{0,6})?",
            path in r"[/a-z.%2eE\\ '`{}^|\x7f\u{e9}]{0,12}",
            query in r"(\?[a-z=&%'<>\x22 #\u{e9}]{0,10})?",
        ) {
            let url = format!("{scheme}://{host}{port}{path}{query}");
            if let Some(ours) = serialize(&url) {
                match url::Url::parse(&url) {
                    Ok(parsed) => prop_assert_eq!(ours.as_ref(), parsed.as_str()),
                    Err(_) => prop_assert!(url.contains("xn--"), "{}", url),
                }
            }
        }
    }
}

mod fields {
    use tower_twilio::fuzzing::{FormFields, MalformedForm};

    fn decoded(body: &[u8]) -> Result<Vec<(String, String)>, MalformedForm> {
        FormFields::parse(body).map(|fields| {
            fields
                .iter()
                .map(|(k, v)| (k.to_owned(), v.to_owned()))
                .collect()
        })
    }

    /// What the decoder must answer: `form_urlencoded`'s fields, or the
    /// reason it refuses, judged piece by piece without its code.
    fn reference(body: &[u8]) -> Result<Vec<(String, String)>, MalformedForm> {
        if body.is_empty() {
            return Ok(Vec::new());
        }
        for piece in body.split(|&b| b == b'&') {
            if piece.is_empty() {
                return Err(MalformedForm::EmptyPair);
            }
            if piece[0] == b'=' {
                return Err(MalformedForm::EmptyName);
            }
        }
        let spaced: Vec<u8> = body
            .iter()
            .map(|&b| if b == b'+' { b' ' } else { b })
            .collect();
        for piece in spaced.split(|&b| b == b'&' || b == b'=') {
            let bytes: Vec<u8> = percent_encoding::percent_decode(piece).collect();
            if std::str::from_utf8(&bytes).is_err() {
                return Err(MalformedForm::NotUtf8);
            }
        }
        Ok(form_urlencoded::parse(body).into_owned().collect())
    }

    #[test]
    fn decodes_exactly_as_form_urlencoded_does() {
        let bodies: [&[u8]; 14] = [
            b"",
            b"a",
            b"a=",
            b"a=1&a=2&b",
            b"a=b=c&d=e",
            b"From=%2B14158675309&Body=Hello+world%21",
            b"k=%zz%4&k2=%4G%41%",
            b"k=100%&k=%",
            b"emoji=%F0%9F%98%80&split=%F0%9F%98%80",
            b"one=%C3%A9",
            b"name%3Dwith%26=v%3D1%262",
            b"plus%2B=%2B+%20",
            "caf\u{e9}=na\u{ef}ve&%C3%A9=%c3%A9".as_bytes(),
            b"%3D=x",
        ];
        for body in bodies {
            let ours = decoded(body);
            assert!(ours.is_ok(), "{}", String::from_utf8_lossy(body));
            assert_eq!(ours, reference(body), "{}", String::from_utf8_lossy(body));
        }
    }

    #[test]
    fn refuses_what_form_urlencoded_would_repair() {
        for (body, why) in [
            (&b"&&&"[..], MalformedForm::EmptyPair),
            (b"&", MalformedForm::EmptyPair),
            (b"a=1&&b=2", MalformedForm::EmptyPair),
            (b"a=1&", MalformedForm::EmptyPair),
            (b"&a=1", MalformedForm::EmptyPair),
            (b"=", MalformedForm::EmptyName),
            (b"=b", MalformedForm::EmptyName),
            (b"a=1&=b", MalformedForm::EmptyName),
            (b"Body=%FF", MalformedForm::NotUtf8),
            (b"raw=\xff\xfe&ok=1", MalformedForm::NotUtf8),
            (b"halves=%C3&of=%A9", MalformedForm::NotUtf8),
            (b"raw_halves=\xc3&b=\xa9", MalformedForm::NotUtf8),
            (b"lone=%80", MalformedForm::NotUtf8),
            // UTF-8 once the separators are gone, but not field by field.
            (b"a%C3=%A9", MalformedForm::NotUtf8),
            (b"a=%C3&%A9=b", MalformedForm::NotUtf8),
            (b"a=\xc3&\xa9", MalformedForm::NotUtf8),
        ] {
            assert_eq!(decoded(body), Err(why), "{}", String::from_utf8_lossy(body));
            assert_eq!(
                reference(body),
                Err(why),
                "{}",
                String::from_utf8_lossy(body)
            );
        }
    }

    #[test]
    fn keeps_the_order_received_and_repeated_names() {
        assert_eq!(
            decoded(b"b=2&a=1&b=3").unwrap(),
            [("b", "2"), ("a", "1"), ("b", "3")].map(|(k, v)| (k.to_owned(), v.to_owned()))
        );
    }

    proptest::proptest! {
        /// Bodies made of separators, escapes (whole, cut short, not hex),
        /// `+`, and bytes that are or are not UTF-8, in any order: the
        /// decoder gives `form_urlencoded`'s fields or refuses, exactly as
        /// the reference says.
        #[test]
        fn decodes_any_body_as_the_reference_does(
            pieces in proptest::collection::vec(
                proptest::sample::select(&[
                    "a", "b", "=", "&", "+", "%", "%2", "%2B", "%3D", "%26", "%zz",
                    "%C3", "%A9", "%F0%9F%98%80", "\u{e9}", "\u{1F600}", "\u{FF01}",
                ][..]),
                0..24,
            ),
            raw in proptest::collection::vec(proptest::sample::select(&[0x80u8, 0xc3, 0xa9, 0xff][..]), 0..3),
            at in 0usize..24,
        ) {
            let mut body = pieces.concat().into_bytes();
            let at = at.min(body.len());
            body.splice(at..at, raw);
            proptest::prop_assert_eq!(decoded(&body), reference(&body));
            if let Ok(fields) = FormFields::parse(&body) {
                let joined: String = fields.iter().flat_map(|(n, v)| [n, v]).collect();
                proptest::prop_assert_eq!(fields.text(), joined);
            }
        }
    }
}

mod signature {
    use tower_twilio::fuzzing::{borrows_body, has_astral, FormFields, SignedParams};

    proptest::proptest! {
        /// Names that share their first eight bytes, are prefixes of each
        /// other, hold NUL bytes (the padding of the sort key) or non-ASCII
        /// text, in any order and repeated: the parameter string is the
        /// fields sorted by bytes, without repeats, concatenated.
        #[test]
        fn the_parameter_string_is_the_fields_sorted_by_bytes(
            fields in proptest::collection::vec(
                (
                    proptest::sample::select(&[
                        "", "a", "a\0", "a\0\0", "Called", "CalledCity", "CalledCountry",
                        "Caller", "CallerCity", "abcdefgh", "abcdefgh\0", "abcdefghi",
                        "abcdefgg\u{e9}", "\u{e9}", "\u{FF01}", "\u{1F600}",
                    ][..]),
                    proptest::sample::select(&["", "1", "10", "2", "\0", "\u{e9}", "\u{1F600}"][..]),
                ),
                0..16,
            ),
        ) {
            let mut expected = fields.clone();
            expected.sort_by(|a, b| a.0.as_bytes().cmp(b.0.as_bytes()).then(a.1.as_bytes().cmp(b.1.as_bytes())));
            expected.dedup();
            let expected: Vec<u8> = expected.iter().flat_map(|(k, v)| [k.as_bytes(), v.as_bytes()].concat()).collect();
            let signed = SignedParams::new(&fields);
            proptest::prop_assert_eq!(signed.byte_order(), &expected[..]);

            // The same fields as a form body the layer decodes (which
            // refuses empty names), whether they come sorted (borrowed as
            // received) or not (sorted here): the same strings.
            let mut named = fields;
            named.retain(|(k, _)| !k.is_empty());
            let mut sorted = named.clone();
            sorted.sort_unstable();
            let mut distinct = sorted.clone();
            distinct.dedup();
            let borrows = !distinct.iter().any(|(k, v)| has_astral(k.as_bytes()) || has_astral(v.as_bytes()));
            let fast = distinct.clone();
            for fields in [named, sorted, distinct] {
                let body = form_urlencoded::Serializer::new(String::new()).extend_pairs(&fields).finish();
                let decoded = FormFields::parse(body.as_bytes()).unwrap();
                let from_body = SignedParams::from_fields(&decoded);
                let from_pairs = SignedParams::new(&fields);
                proptest::prop_assert_eq!(from_body.byte_order(), from_pairs.byte_order());
                proptest::prop_assert_eq!(from_body.utf16_order(), from_pairs.utf16_order());
                if fields == fast {
                    proptest::prop_assert_eq!(borrows_body(&from_body), borrows);
                }
            }
        }
    }
}

#[cfg(feature = "jwt")]
mod jwt_header {
    use base64::engine::general_purpose::URL_SAFE_NO_PAD;
    use base64::Engine as _;
    use proptest::prelude::*;
    use tower_twilio::fuzzing::jwt_header_parses;

    proptest! {
        #[test]
        fn any_token_parses_or_is_refused_without_a_panic(token in "[A-Za-z0-9._~+/=-]{0,200}") {
            let _ = jwt_header_parses(&token);
        }

        #[test]
        fn any_header_json_parses_or_is_refused_without_a_panic(json in any::<Vec<u8>>()) {
            let _ = jwt_header_parses(&format!("{}.e30.AA", URL_SAFE_NO_PAD.encode(json)));
        }
    }
}
