//! twilio-node's `new URL(url).toString()` (the WHATWG URL serializer), for
//! the URLs where it can matter: written by hand so that the crate does not
//! build a WHATWG parser with IDNA and ICU (about 23 crates, a third of the
//! library's build) for one candidate URL.
//!
//! It only has to be exact where its result could be accepted. Every
//! candidate is held against the URL received by the soundness rule
//! (`candidates::Received`): the scheme and host may differ in ASCII case,
//! the port by being absent or the default, the path not at all, the query
//! only in how it is escaped. So where WHATWG would change a path (dot
//! segments, `\`, escapes), a host beyond its case (IPv4 number forms,
//! IDNA, percent-decoding), or the userinfo, or would refuse the URL, its
//! result is refused anyway, and [`serialize`] answers `None`: no candidate,
//! the same verdict. Where it is not sure, it answers `None` too. The tests
//! hold it against the `url` crate (a dev-dependency), which follows the
//! standard.
//!
//! One deliberate difference: a label `xn--...` is taken as the ASCII label
//! it is on the wire, without checking that it is valid Punycode (which
//! needs IDNA's tables). A valid one serializes the same; for an invalid one
//! the parser refuses the whole URL, and Node would try no normalized URL,
//! where this gives the lowercased one. That is still sound: the rule
//! accepts it only with the received host, in another ASCII case at most.

use std::borrow::Cow;
use std::fmt::Write as _;
use std::net::Ipv6Addr;

/// The WHATWG serialization of an `http`, `https`, `ws` or `wss` URL, when
/// it can be accepted (above); `None` otherwise.
pub fn serialize(url: &str) -> Option<Cow<'_, str>> {
    let (scheme, rest) = url.split_once("://")?;
    let scheme = scheme.to_ascii_lowercase();
    let default_port = match scheme.as_str() {
        "http" | "ws" => "80",
        "https" | "wss" => "443",
        _ => return None,
    };
    // The parser removes tabs and newlines, and strips leading and trailing
    // controls and spaces: not followed here. Other controls and spaces are
    // escaped in the query and fragment, and refused elsewhere.
    let stripped = |c: char| c <= ' ';
    if url.bytes().any(|b| matches!(b, b'\t' | b'\n' | b'\r'))
        || url.starts_with(stripped)
        || url.ends_with(stripped)
    {
        return None;
    }
    let authority_end = rest
        .bytes()
        .position(|b| matches!(b, b'/' | b'\\' | b'?' | b'#'))
        .unwrap_or(rest.len());
    let (authority, rest) = rest.split_at(authority_end);
    let (userinfo, host_port) = match authority.rsplit_once('@') {
        Some((userinfo, host_port)) => (Some(userinfo), host_port),
        None => (None, authority),
    };
    if userinfo.is_some_and(|u| !kept_userinfo(u)) {
        return None;
    }
    let (host, port) = split_port(host_port)?;
    let host = kept_host(host)?;
    let port = match port {
        None | Some("") => None,
        Some(p) if p.bytes().all(|b| b.is_ascii_digit()) => {
            let digits = p.trim_start_matches('0');
            // Over 65535 the parser refuses the URL.
            let value: u32 = if digits.is_empty() {
                0
            } else {
                digits.parse().ok()?
            };
            if value > 65535 {
                return None;
            }
            let value = value.to_string();
            (value != default_port).then_some(value)
        }
        Some(_) => return None,
    };
    let (rest, fragment) = match rest.split_once('#') {
        Some((rest, fragment)) => (rest, Some(fragment)),
        None => (rest, None),
    };
    let (path, query) = match rest.split_once('?') {
        Some((path, query)) => (path, Some(query)),
        None => (rest, None),
    };
    // A missing path is `/`, for the parser and for the rule alike.
    let path = if path.is_empty() { "/" } else { path };
    if !kept_path(path) {
        return None;
    }
    let mut out = String::with_capacity(url.len() + 16);
    out.push_str(&scheme);
    out.push_str("://");
    if let Some(userinfo) = userinfo {
        out.push_str(userinfo);
        out.push('@');
    }
    out.push_str(&host);
    if let Some(port) = port {
        out.push(':');
        out.push_str(&port);
    }
    out.push_str(path);
    if let Some(query) = query {
        out.push('?');
        encode(query, b"\"#<>'", &mut out);
    }
    if let Some(fragment) = fragment {
        out.push('#');
        encode(fragment, b"\"<>`", &mut out);
    }
    Some(if out == url {
        Cow::Borrowed(url)
    } else {
        Cow::Owned(out)
    })
}

/// The host and the port after its `:` (an IPv6 literal has `:`s of its own).
fn split_port(host_port: &str) -> Option<(&str, Option<&str>)> {
    if host_port.starts_with('[') {
        let end = host_port.find(']')? + 1;
        let (host, rest) = host_port.split_at(end);
        return match rest.strip_prefix(':') {
            Some(port) => Some((host, Some(port))),
            None if rest.is_empty() => Some((host, None)),
            None => None,
        };
    }
    Some(match host_port.split_once(':') {
        Some((host, port)) => (host, Some(port)),
        None => (host_port, None),
    })
}

/// The host as serialized, if only its ASCII case changes: a domain of
/// ASCII letters, digits and the punctuation the standard does not forbid
/// in a domain (`-._!"$&'()*+,;=` and a backtick, `{}~`), whose last label is not a number, a dotted IPv4 address written
/// as the parser writes it, or an IPv6 literal in its canonical form.
fn kept_host(host: &str) -> Option<String> {
    let lower = host.to_ascii_lowercase();
    if let Some(v6) = lower.strip_prefix('[').and_then(|h| h.strip_suffix(']')) {
        let addr: Ipv6Addr = v6.parse().ok()?;
        let shown = addr.to_string();
        // Rust writes an IPv4-mapped address with a dotted tail, WHATWG in
        // hex: not compared.
        return (shown == v6 && !shown.contains('.')).then_some(lower);
    }
    if lower.is_empty()
        || !lower.bytes().all(|b| {
            b.is_ascii_lowercase() || b.is_ascii_digit() || b"-._!\"$&'()*+,;=`{}~".contains(&b)
        })
    {
        return None;
    }
    let last = lower.strip_suffix('.').unwrap_or(&lower);
    let last = last.rsplit('.').next().unwrap_or("");
    // The standard's "ends in a number": digits, or `0x` and hex digits.
    let number = !last.is_empty() && last.bytes().all(|b| b.is_ascii_digit())
        || last
            .strip_prefix("0x")
            .is_some_and(|hex| hex.bytes().all(|b| b.is_ascii_hexdigit()));
    if number {
        // The IPv4 parser's: kept only as four decimal numbers 0-255
        // without leading zeros and without a trailing dot.
        let canonical = lower.split('.').count() == 4
            && lower.split('.').all(|n| {
                !n.is_empty()
                    && n.bytes().all(|b| b.is_ascii_digit())
                    && (n == "0" || !n.starts_with('0'))
                    && n.parse::<u16>().is_ok_and(|v| v <= 255)
            });
        return canonical.then_some(lower);
    }
    Some(lower)
}

/// Whether the userinfo is serialized as written: `user` or `user:password`
/// of characters outside the userinfo percent-encode set, with a non-empty
/// password after a `:` (an empty one loses its `:`) and something in it.
fn kept_userinfo(userinfo: &str) -> bool {
    let kept = |s: &str| {
        s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-._~!$&'()*+,%".contains(&b))
    };
    match userinfo.split_once(':') {
        Some((user, password)) => !password.is_empty() && kept(user) && kept(password),
        None => !userinfo.is_empty() && kept(userinfo),
    }
}

/// Whether the path is serialized as written: it starts with `/`, has no
/// character the path percent-encode set or special schemes change, and no
/// dot segment, escaped or not.
fn kept_path(path: &str) -> bool {
    path.starts_with('/')
        && path
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-._~!$&'()*+,;=:@/%[]^|".contains(&b))
        && path.split('/').all(|segment| {
            let s = segment.to_ascii_lowercase();
            !matches!(s.as_str(), "." | ".." | "%2e" | ".%2e" | "%2e." | "%2e%2e")
        })
}

/// `text` with C0 controls, space, bytes above `~` and `also` escaped:
/// the special-query percent-encode set with `also` = `"#<>'`, the fragment
/// one with `"<>` and a backtick (`%` is kept as it is, as the parser keeps it).
fn encode(text: &str, also: &[u8], out: &mut String) {
    for &b in text.as_bytes() {
        if b <= b' ' || b > b'~' || also.contains(&b) {
            let _ = write!(out, "%{b:02X}");
        } else {
            out.push(b as char);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn serializes_what_the_layer_builds() {
        for (url, whatwg) in [
            (
                "https://hooks.example.com/voice",
                "https://hooks.example.com/voice",
            ),
            (
                "HTTPS://Hooks.Example.COM:443/v?a='b'",
                "https://hooks.example.com/v?a=%27b%27",
            ),
            (
                "http://127.0.0.1:3000/sms?x=\u{e9}",
                "http://127.0.0.1:3000/sms?x=%C3%A9",
            ),
            ("wss://[::1]:443/stream", "wss://[::1]/stream"),
            ("https://h.com?x=1", "https://h.com/?x=1"),
        ] {
            assert_eq!(serialize(url).as_deref(), Some(whatwg), "{url}");
        }
        for refused in [
            "https://h.com/a/../b",
            "https://0x7f.1/",
            "https://h.com:65536/",
            "ftp://h.com/",
            "https://h.com/caf\u{e9}",
        ] {
            assert_eq!(serialize(refused), None, "{refused}");
        }
    }
}
