//! Rebuilding the public URL Twilio requested from configuration and the
//! request's parts.

use std::borrow::Cow;
use std::str::FromStr;

use http::header::{HeaderMap, HOST, UPGRADE};
use http::request::Parts;
use http::uri::Authority;
use http::{Method, Version};

use crate::core::target::{origin_form, parse_host, parse_prefix, parse_scheme};
use crate::validate::rejection::Rejection;

/// Where the public URL's scheme, host and prefix come from.
#[derive(Clone, Debug, Default)]
pub(crate) struct PublicOrigin {
    pub(crate) scheme: Option<String>,
    pub(crate) host: Option<String>,
    pub(crate) prefix: Option<String>,
    pub(crate) trust_forwarded: bool,
}

impl PublicOrigin {
    /// The full public URL for a request: scheme, host and prefix from the
    /// configuration (then trusted forwarded headers, then the request), and
    /// the path and query exactly as received; over `ws`/`wss` for a
    /// WebSocket handshake (`websocket`: [`is_websocket`], which the caller
    /// has read already).
    pub(crate) fn url(&self, parts: &Parts, websocket: bool) -> Result<String, Rejection> {
        let path_and_query =
            origin_form(original_uri(parts)).ok_or(Rejection::UnsupportedTarget)?;
        let headers = &parts.headers;
        let forwarded = self
            .trust_forwarded
            .then(|| Forwarded::from_headers(headers));
        let forwarded = forwarded.as_ref();

        let scheme = self
            .scheme
            .as_deref()
            .or_else(|| forwarded.and_then(|f| f.proto.as_deref()))
            .unwrap_or("https");
        let scheme = match (websocket, scheme) {
            (true, "http") => "ws",
            (true, _) => "wss",
            (false, s) => s,
        };

        let host: Cow<'_, str> = match &self.host {
            Some(host) => Cow::Borrowed(host),
            None => match forwarded.and_then(Forwarded::host) {
                Some(host) => Some(Cow::Owned(host)),
                None => request_host(parts)?.map(Cow::Borrowed),
            }
            .filter(|h| parse_host(h).is_ok())
            .ok_or(Rejection::MissingHost)?,
        };

        let prefix = self
            .prefix
            .as_deref()
            .or_else(|| forwarded.and_then(|f| f.prefix.as_deref()))
            .unwrap_or("");

        let mut url = String::with_capacity(
            scheme.len() + 3 + host.len() + prefix.len() + path_and_query.len(),
        );
        url.push_str(scheme);
        url.push_str("://");
        url.push_str(&host);
        url.push_str(prefix);
        url.push_str(&path_and_query);
        Ok(url)
    }
}

/// The host the request names: the target's authority (absolute-form, or
/// HTTP/2's `:authority`) or the `Host` header. When both are there they
/// must agree (in ASCII case): the application may read either, so the
/// URL checked must be the one it reads. Two `Host` headers are refused.
fn request_host(parts: &Parts) -> Result<Option<&str>, Rejection> {
    if parts.headers.get_all(HOST).iter().nth(1).is_some() {
        return Err(Rejection::MissingHost); // RFC 9112: a 400
    }
    let authority = parts.uri.authority().map(Authority::as_str);
    let header = header_str(&parts.headers, HOST.as_str());
    match (authority, header) {
        (Some(a), Some(h)) if !a.eq_ignore_ascii_case(h) => Err(Rejection::MissingHost),
        (a, h) => Ok(a.or(h)),
    }
}

/// The request target as received; under axum's `Router::nest`, the
/// original one rather than the part left for the nested router.
pub(crate) fn original_uri(parts: &Parts) -> &http::Uri {
    #[cfg(feature = "axum")]
    return parts
        .extensions
        .get::<axum::extract::OriginalUri>()
        .map_or(&parts.uri, |original| &original.0);
    #[cfg(not(feature = "axum"))]
    &parts.uri
}

/// An HTTP/1.1 `Upgrade: websocket` or an HTTP/2 extended CONNECT.
pub(crate) fn is_websocket(parts: &Parts) -> bool {
    let upgrade = parts.headers.get_all(UPGRADE).iter().any(|v| {
        v.to_str().is_ok_and(|v| {
            v.split(',')
                .any(|p| p.trim().eq_ignore_ascii_case("websocket"))
        })
    });
    upgrade || (parts.method == Method::CONNECT && parts.version == Version::HTTP_2)
}

fn header_str<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .map(str::trim)
}

/// The first hop's values from `Forwarded` (RFC 7239), falling back per
/// field to `X-Forwarded-Proto`, `-Host`, `-Port` and `-Prefix`.
#[derive(Debug, Default, PartialEq, Eq)]
struct Forwarded {
    proto: Option<String>,
    host: Option<String>,
    port: Option<String>,
    prefix: Option<String>,
}

impl Forwarded {
    fn from_headers(headers: &HeaderMap) -> Self {
        let mut out = header_str(headers, "forwarded")
            .map(parse_forwarded)
            .unwrap_or_default();
        let first = |name| {
            header_str(headers, name)
                .and_then(|v| v.split(',').next())
                .map(|v| v.trim().to_owned())
                .filter(|v| !v.is_empty())
        };
        out.proto = out.proto.or_else(|| first("x-forwarded-proto"));
        out.host = out.host.or_else(|| first("x-forwarded-host"));
        out.port = first("x-forwarded-port").filter(|p| p.bytes().all(|b| b.is_ascii_digit()));
        out.prefix = first("x-forwarded-prefix").and_then(|p| parse_prefix(&p).ok());
        out.proto = out.proto.and_then(|p| parse_scheme(&p).ok());
        out
    }

    /// The forwarded host, with `X-Forwarded-Port` when the host has none.
    fn host(&self) -> Option<String> {
        let host = self.host.as_deref().filter(|h| parse_host(h).is_ok())?;
        let has_port = Authority::from_str(host).is_ok_and(|a| a.port().is_some());
        Some(match (&self.port, has_port) {
            (Some(port), false) => format!("{host}:{port}"),
            _ => host.to_owned(),
        })
    }
}

/// `proto` and `host` of the first element of a `Forwarded` header.
fn parse_forwarded(value: &str) -> Forwarded {
    let mut out = Forwarded::default();
    let mut rest = value;
    loop {
        let rest_trimmed = rest.trim_start();
        let Some(eq) = rest_trimmed.find('=') else {
            break;
        };
        let name = rest_trimmed[..eq].trim().to_ascii_lowercase();
        let after = &rest_trimmed[eq + 1..];
        let (val, remainder) = if let Some(quoted) = after.strip_prefix('"') {
            match quoted.find('"') {
                Some(end) => (quoted[..end].to_owned(), &quoted[end + 1..]),
                None => break,
            }
        } else {
            let end = after.find([';', ',']).unwrap_or(after.len());
            (after[..end].trim().to_owned(), &after[end..])
        };
        match name.as_str() {
            "proto" if out.proto.is_none() => out.proto = Some(val),
            "host" if out.host.is_none() => out.host = Some(val),
            _ => {}
        }
        let remainder = remainder.trim_start();
        match remainder.chars().next() {
            Some(';') => rest = &remainder[1..],
            _ => break, // ',' ends the first element
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::target::parse_base_url;
    use http::Request;

    fn parts(uri: &str, headers: &[(&str, &str)]) -> Parts {
        let mut req = Request::builder().method("POST").uri(uri);
        for (k, v) in headers {
            req = req.header(*k, *v);
        }
        req.body(()).unwrap().into_parts().0
    }

    #[test]
    fn a_port_out_of_range_is_refused() {
        assert!(parse_base_url("https://hooks.example.com:99999").is_err());
        assert!(parse_base_url("https://hooks.example.com:").is_err());
        assert!(parse_base_url("https://hooks.example.com:8443/x").is_ok());
        assert!(parse_base_url("https://[::1]:8443").is_ok());
    }

    #[test]
    fn base_url_drops_userinfo_and_trailing_slash() {
        assert_eq!(
            parse_base_url("HTTPS://user:pass@Hooks.example.com:8443/twilio/").unwrap(),
            (
                "https".into(),
                "Hooks.example.com:8443".into(),
                "/twilio".into()
            )
        );
    }

    #[test]
    fn base_url_rejects_what_cannot_be_a_base() {
        for bad in [
            "hooks.example.com",
            "ftp://h",
            "https://",
            "https://h/x?y=1",
            "https://h/a b",
        ] {
            assert!(parse_base_url(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn invalid_base_url_error_does_not_echo_the_url() {
        let err = parse_base_url("ftp://user:hunter2@h").unwrap_err();
        assert!(!err.to_string().contains("hunter2"));
    }

    #[test]
    fn host_comes_from_the_host_header_with_https_by_default() {
        let p = parts("/voice?x=1", &[("host", "example.com:3000")]);
        assert_eq!(
            PublicOrigin::default().url(&p, is_websocket(&p)).unwrap(),
            "https://example.com:3000/voice?x=1"
        );
    }

    #[test]
    fn an_authority_and_a_host_header_must_agree() {
        // The application may read either: the URL checked must be the one
        // it reads.
        let p = parts("http://a.example/voice", &[("host", "b.example")]);
        assert_eq!(
            PublicOrigin::default().url(&p, is_websocket(&p)),
            Err(Rejection::MissingHost)
        );
        let p = parts("http://a.example/voice", &[("host", "A.example")]);
        assert_eq!(
            PublicOrigin::default().url(&p, is_websocket(&p)).unwrap(),
            "https://a.example/voice"
        );
        let p = parts("http://a.example/voice", &[]);
        assert_eq!(
            PublicOrigin::default().url(&p, is_websocket(&p)).unwrap(),
            "https://a.example/voice"
        );
    }

    #[test]
    fn the_target_is_read_in_origin_form_as_a_router_reads_it() {
        let host = [("host", "h.example")];
        let url = |target| {
            let p = parts(target, &host);
            PublicOrigin::default().url(&p, is_websocket(&p))
        };
        assert_eq!(
            url("http://h.example?x=1").unwrap(),
            "https://h.example/?x=1"
        );
        assert_eq!(url("/a?b=1").unwrap(), "https://h.example/a?b=1");
        assert_eq!(url("*"), Err(Rejection::UnsupportedTarget));
        assert_eq!(url("h.example:443"), Err(Rejection::UnsupportedTarget));
    }

    #[test]
    fn missing_or_invalid_host_is_rejected() {
        let p = parts("/voice", &[]);
        assert_eq!(
            PublicOrigin::default().url(&p, is_websocket(&p)),
            Err(Rejection::MissingHost)
        );
        let p = parts("/voice", &[("host", "a@b")]);
        assert_eq!(
            PublicOrigin::default().url(&p, is_websocket(&p)),
            Err(Rejection::MissingHost)
        );
    }

    #[test]
    fn forwarded_headers_are_ignored_unless_trusted() {
        let p = parts(
            "/voice",
            &[
                ("host", "internal:8080"),
                ("x-forwarded-host", "evil.example"),
                ("x-forwarded-proto", "http"),
            ],
        );
        assert_eq!(
            PublicOrigin::default().url(&p, is_websocket(&p)).unwrap(),
            "https://internal:8080/voice"
        );
    }

    #[test]
    fn trusted_x_forwarded_headers_build_the_url() {
        let origin = PublicOrigin {
            trust_forwarded: true,
            ..Default::default()
        };
        let p = parts(
            "/voice",
            &[
                ("host", "internal:8080"),
                ("x-forwarded-host", "hooks.example.com, proxy2"),
                ("x-forwarded-proto", "http"),
                ("x-forwarded-port", "8443"),
                ("x-forwarded-prefix", "/twilio/"),
            ],
        );
        assert_eq!(
            origin.url(&p, is_websocket(&p)).unwrap(),
            "http://hooks.example.com:8443/twilio/voice"
        );
    }

    #[test]
    fn rfc7239_forwarded_comes_before_x_forwarded() {
        let origin = PublicOrigin {
            trust_forwarded: true,
            ..Default::default()
        };
        let p = parts(
            "/voice",
            &[
                ("host", "internal"),
                (
                    "forwarded",
                    "for=1.2.3.4;proto=https;host=\"hooks.example.com\", for=5.6.7.8;host=proxy",
                ),
                ("x-forwarded-host", "other.example"),
                ("x-forwarded-proto", "http"),
            ],
        );
        assert_eq!(
            origin.url(&p, is_websocket(&p)).unwrap(),
            "https://hooks.example.com/voice"
        );
    }

    #[test]
    fn configured_values_win_over_headers() {
        let origin = PublicOrigin {
            scheme: Some("http".into()),
            host: Some("conf.example".into()),
            prefix: Some("/p".into()),
            trust_forwarded: true,
        };
        let p = parts(
            "/voice",
            &[
                ("host", "h"),
                ("x-forwarded-host", "x"),
                ("x-forwarded-proto", "https"),
                ("x-forwarded-prefix", "/q"),
            ],
        );
        assert_eq!(
            origin.url(&p, is_websocket(&p)).unwrap(),
            "http://conf.example/p/voice"
        );
    }

    #[test]
    fn websocket_handshakes_use_wss() {
        let p = parts(
            "/media",
            &[
                ("host", "h"),
                ("upgrade", "websocket"),
                ("connection", "upgrade"),
            ],
        );
        assert_eq!(
            PublicOrigin::default().url(&p, is_websocket(&p)).unwrap(),
            "wss://h/media"
        );
        let origin = PublicOrigin {
            scheme: Some("http".into()),
            ..Default::default()
        };
        assert_eq!(origin.url(&p, is_websocket(&p)).unwrap(), "ws://h/media");
    }

    #[test]
    fn raw_path_and_query_are_kept() {
        let p = parts("/a%20b/Espa%C3%B1a?x=It's+ok&y=%27", &[("host", "h")]);
        assert_eq!(
            PublicOrigin::default().url(&p, is_websocket(&p)).unwrap(),
            "https://h/a%20b/Espa%C3%B1a?x=It's+ok&y=%27"
        );
    }
}
