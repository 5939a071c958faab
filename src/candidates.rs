//! The URLs a signature is checked against, in the order they are tried.
//!
//! Twilio signs the URL exactly as it was configured, but what a server sees
//! can differ in ways Twilio's own libraries forgive. A signature is accepted
//! when it matches any of these candidates, which are the union of what
//! twilio-python 9 and twilio-node 6.2 try:
//!
//! 1. *As received*: the URL with any port removed, then with the scheme's
//!    default port added (`:443` for `https` and `wss`, `:80` otherwise), and
//!    the same two as Python's `urlparse(..).geturl()` prints them when that
//!    differs (an empty query `?` is dropped).
//! 2. *Normalized*, only tried when step 1 failed, and only the URLs it did
//!    not already try: the WHATWG serialization (Node's `new URL(url)`),
//!    without and with port, and each of those with its query re-encoded by
//!    Node's legacy `querystring` (`parse` then `stringify`).
//!
//! For a WebSocket handshake each candidate is also tried with its trailing
//! slash toggled, as Twilio's docs advise for Media Streams.

use std::borrow::Cow;

use crate::querystring;

/// Builds the candidate URLs for one public URL.
///
/// ```
/// use tower_twilio::UrlCandidates;
///
/// let candidates = UrlCandidates::new("https://example.com:8443/voice", false);
/// assert_eq!(
///     candidates.as_received(),
///     ["https://example.com/voice", "https://example.com:8443/voice"]
/// );
/// ```
#[derive(Clone, Copy, Debug)]
pub struct UrlCandidates<'a> {
    url: &'a str,
    websocket: bool,
}

impl<'a> UrlCandidates<'a> {
    /// Candidates for `url`; `websocket` adds the trailing-slash variants.
    pub fn new(url: &'a str, websocket: bool) -> Self {
        Self { url, websocket }
    }

    /// Step 1: the URL as received, without and with port.
    pub fn as_received(&self) -> Vec<Cow<'a, str>> {
        let mut out = Vec::with_capacity(4);
        for url in [remove_port(self.url), add_port(self.url)] {
            let python = python_geturl(&url);
            push_unique(&mut out, url);
            if let Some(python) = python {
                push_unique(&mut out, Cow::Owned(python));
            }
        }
        self.with_slash_variants(out)
    }

    /// Step 2: the normalized forms that step 1 did not already cover.
    pub fn normalized(&self) -> Vec<Cow<'a, str>> {
        let Ok(parsed) = url::Url::parse(self.url) else {
            return Vec::new();
        };
        let whatwg: &str = parsed.as_str();
        let without = remove_port(whatwg).into_owned();
        let with = add_port(whatwg).into_owned();
        let legacy_without = querystring::reencode_url(&without).into_owned();
        let legacy_with = querystring::reencode_url(&with).into_owned();

        let tried = self.as_received();
        let mut out = Vec::new();
        for url in [without, with, legacy_without, legacy_with] {
            push_unique(&mut out, Cow::Owned(url));
        }
        self.with_slash_variants(out)
            .into_iter()
            .filter(|c| !tried.contains(c))
            .collect()
    }

    /// Every candidate, step 1 then step 2.
    pub fn all(&self) -> Vec<Cow<'a, str>> {
        let mut out = self.as_received();
        out.extend(self.normalized());
        out
    }

    fn with_slash_variants(&self, urls: Vec<Cow<'a, str>>) -> Vec<Cow<'a, str>> {
        if !self.websocket {
            return urls;
        }
        let mut out = Vec::with_capacity(urls.len() * 2);
        for url in urls {
            let toggled = toggle_trailing_slash(&url);
            push_unique(&mut out, url);
            if let Some(toggled) = toggled {
                push_unique(&mut out, Cow::Owned(toggled));
            }
        }
        out
    }
}

fn push_unique<'a>(out: &mut Vec<Cow<'a, str>>, url: Cow<'a, str>) {
    if !out.contains(&url) {
        out.push(url);
    }
}

/// A URL cut the way twilio-node's `splitUrl` cuts it, without normalizing.
struct Split<'a> {
    /// `scheme://`
    scheme: &'a str,
    /// `user:pass@` or empty
    userinfo: &'a str,
    host: &'a str,
    /// `:port` (possibly a lone `:`) or empty
    port: &'a str,
    /// path, query and fragment
    rest: &'a str,
}

fn split_url(url: &str) -> Option<Split<'_>> {
    let colon = url.find("://")?;
    let scheme = &url[..colon];
    let mut chars = scheme.chars();
    let first_ok = chars.next().is_some_and(|c| c.is_ascii_alphabetic());
    if !first_ok || !chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '.' | '-')) {
        return None;
    }
    let after = &url[colon + 3..];
    let authority_len = after.find(['/', '?', '#']).unwrap_or(after.len());
    let authority = &after[..authority_len];
    let host_start = authority.rfind('@').map_or(0, |i| i + 1);
    let host_and_port = &authority[host_start..];
    let search_from = host_and_port.rfind(']').map_or(0, |i| i + 1);
    let port_start = host_and_port[search_from..]
        .find(':')
        .map_or(host_and_port.len(), |i| search_from + i);
    Some(Split {
        scheme: &url[..colon + 3],
        userinfo: &authority[..host_start],
        host: &host_and_port[..port_start],
        port: &host_and_port[port_start..],
        rest: &after[authority_len..],
    })
}

/// The URL without its port (`https://host:8443/x` -> `https://host/x`).
pub(crate) fn remove_port(url: &str) -> Cow<'_, str> {
    match split_url(url) {
        Some(s) if !s.port.is_empty() => {
            Cow::Owned([s.scheme, s.userinfo, s.host, s.rest].concat())
        }
        _ => Cow::Borrowed(url),
    }
}

/// The URL with the scheme's default port added when it has none.
pub(crate) fn add_port(url: &str) -> Cow<'_, str> {
    match split_url(url) {
        Some(s) if s.port.is_empty() => {
            let secure = s.scheme.eq_ignore_ascii_case("https://")
                || s.scheme.eq_ignore_ascii_case("wss://");
            let port = if secure { ":443" } else { ":80" };
            Cow::Owned([s.scheme, s.userinfo, s.host, port, s.rest].concat())
        }
        _ => Cow::Borrowed(url),
    }
}

/// What Python's `urlparse(url).geturl()` prints, when it differs from `url`:
/// an empty query is dropped, and so is a `;` that ends the last path segment
/// of an http(s) URL (an empty `params` part).
fn python_geturl(url: &str) -> Option<String> {
    let query_start = url.find('?').unwrap_or(url.len());
    let (mut head, mut query) = url.split_at(query_start);
    if query == "?" {
        query = "";
    }
    let split = split_url(head)?;
    let http = split.scheme.eq_ignore_ascii_case("http://")
        || split.scheme.eq_ignore_ascii_case("https://");
    let last_segment = &split.rest[split.rest.rfind('/').unwrap_or(0)..];
    if http && last_segment.find(';') == Some(last_segment.len().wrapping_sub(1)) {
        head = &head[..head.len() - 1];
    }
    let out = [head, query].concat();
    (out != url).then_some(out)
}

/// The URL with the trailing slash of its path added or removed.
fn toggle_trailing_slash(url: &str) -> Option<String> {
    let split = split_url(url)?;
    let path_len = split.rest.find(['?', '#']).unwrap_or(split.rest.len());
    let path_end = url.len() - split.rest.len() + path_len;
    let (head, tail) = url.split_at(path_end);
    let path = &split.rest[..path_len];
    match path.strip_suffix('/') {
        Some(stripped) if !stripped.is_empty() => Some([&head[..head.len() - 1], tail].concat()),
        Some(_) => None,
        None => Some([head, "/", tail].concat()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn strs(v: Vec<Cow<'_, str>>) -> Vec<String> {
        v.into_iter().map(Cow::into_owned).collect()
    }

    #[test]
    fn removes_and_adds_ports_without_normalizing() {
        assert_eq!(
            remove_port("https://h.com:1234/a?b=c'd"),
            "https://h.com/a?b=c'd"
        );
        assert_eq!(add_port("https://h.com/a"), "https://h.com:443/a");
        assert_eq!(add_port("http://h.com/a"), "http://h.com:80/a");
        assert_eq!(add_port("wss://h.com/a"), "wss://h.com:443/a");
        assert_eq!(add_port("ws://h.com/a"), "ws://h.com:80/a");
        assert_eq!(add_port("https://h.com:1234/a"), "https://h.com:1234/a");
        assert_eq!(add_port("https://h.com?x=1"), "https://h.com:443?x=1");
    }

    #[test]
    fn handles_ipv6_hosts_and_userinfo() {
        assert_eq!(remove_port("https://[::1]:8443/a"), "https://[::1]/a");
        assert_eq!(add_port("https://[::1]/a"), "https://[::1]:443/a");
        assert_eq!(remove_port("https://u:p@h.com:99/a"), "https://u:p@h.com/a");
    }

    #[test]
    fn leaves_strings_that_are_not_urls_alone() {
        assert_eq!(add_port("not a url"), "not a url");
        assert_eq!(remove_port("1http://h:1/"), "1http://h:1/");
    }

    #[test]
    fn as_received_tries_without_then_with_port() {
        let c = UrlCandidates::new("https://mycompany.com:1234/myapp.php?foo=1", false);
        assert_eq!(
            strs(c.as_received()),
            [
                "https://mycompany.com/myapp.php?foo=1",
                "https://mycompany.com:1234/myapp.php?foo=1"
            ]
        );
    }

    #[test]
    fn python_drops_an_empty_query() {
        let c = UrlCandidates::new("https://h.com/a?", false);
        assert_eq!(
            strs(c.as_received()),
            [
                "https://h.com/a?",
                "https://h.com/a",
                "https://h.com:443/a?",
                "https://h.com:443/a"
            ]
        );
    }

    #[test]
    fn python_drops_an_empty_params_part() {
        assert_eq!(
            python_geturl("https://h.com/a;").as_deref(),
            Some("https://h.com/a")
        );
        assert_eq!(
            python_geturl("https://h.com/a;?x=1").as_deref(),
            Some("https://h.com/a?x=1")
        );
        assert_eq!(python_geturl("https://h.com/a;b"), None);
        assert_eq!(python_geturl("wss://h.com/a;"), None);
    }

    #[test]
    fn normalized_candidates_skip_what_was_tried() {
        let c = UrlCandidates::new("https://mycompany.com/myapp.php?foo=1&bar=2", false);
        assert!(c.normalized().is_empty());
    }

    #[test]
    fn normalized_candidates_encode_like_new_url_and_querystring() {
        let c = UrlCandidates::new("https://h.com/a?Body=It's+amazing", false);
        assert_eq!(
            strs(c.normalized()),
            [
                "https://h.com/a?Body=It%27s+amazing",
                "https://h.com:443/a?Body=It%27s+amazing",
                "https://h.com/a?Body=It's%20amazing",
                "https://h.com:443/a?Body=It's%20amazing",
            ]
        );
    }

    #[test]
    fn normalized_candidates_drop_a_default_port() {
        let c = UrlCandidates::new("HTTPS://H.COM:443/a", false);
        assert!(strs(c.normalized()).contains(&"https://h.com/a".to_string()));
    }

    #[test]
    fn websocket_candidates_toggle_the_trailing_slash() {
        let c = UrlCandidates::new("wss://h.com/media-stream?x=1", true);
        assert_eq!(
            strs(c.as_received()),
            [
                "wss://h.com/media-stream?x=1",
                "wss://h.com/media-stream/?x=1",
                "wss://h.com:443/media-stream?x=1",
                "wss://h.com:443/media-stream/?x=1"
            ]
        );
        let root = UrlCandidates::new("wss://h.com/", true);
        assert_eq!(
            strs(root.as_received()),
            ["wss://h.com/", "wss://h.com:443/"]
        );
    }
}
