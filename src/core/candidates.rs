//! The URLs a signature is checked against, and under which library's rules.
//!
//! Twilio signs the URL exactly as it was configured, but what a server sees
//! can differ in ways Twilio's own libraries forgive. A request is accepted
//! when twilio-python 9 or twilio-node 6.2 would accept it, no more:
//!
//! - [`Rules::Python`]: `urlparse(url).geturl()` with any port removed and
//!   with the default port added (`:443` for `https`, `:80` otherwise), the
//!   fields in code-point (byte) order, HMAC-SHA1 or HMAC-SHA256. Python's
//!   quirks are kept: an empty query is dropped, a port that is not a number
//!   makes it refuse, and removing a port cuts the authority at its first `:`.
//! - [`Rules::Node`]: the URL as received with any port removed and with the
//!   default port added; then, only when those failed, the WHATWG
//!   serialization (`new URL(url)`) without and with port, and each of those
//!   with its query re-encoded by Node's legacy `querystring`. The fields in
//!   UTF-16 code-unit order (JavaScript's sort), HMAC-SHA1 only.
//! - [`Rules::PythonAndNode`]: a URL both of the above try, offered once
//!   (the usual one: a URL without port that `geturl()` prints as it is,
//!   and it with the default port), under the union of their rules.
//! - [`Rules::WebSocket`], for handshakes, which neither library checks: the
//!   `wss://` (or `ws://`) URL without and with its default port (`:443` for
//!   `wss`), each with its trailing slash toggled as Twilio's docs advise for
//!   Media Streams, then the normalized forms likewise; both field orders
//!   and both algorithms.

use std::borrow::Cow;
use std::ops::{ControlFlow, Range};

use crate::core::{querystring, whatwg};

/// Whose rules a candidate URL is checked under.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Rules {
    /// twilio-python's: fields in byte order, SHA-1 or SHA-256.
    Python,
    /// twilio-node's: fields in UTF-16 order, SHA-1 only.
    Node,
    /// A URL both libraries try: either's fields, either's algorithms.
    PythonAndNode,
    /// A WebSocket handshake: either order, either algorithm.
    WebSocket,
}

/// A URL to check the signature against, and the rules that apply to it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Candidate<'a> {
    /// The URL, as it is fed to the HMAC.
    pub url: Cow<'a, str>,
    /// Whose rules apply.
    pub rules: Rules,
}

/// Builds the candidate URLs for one public URL. Internal: the order and
/// the set are the crate's to change, within the rules above.
#[derive(Clone, Copy, Debug)]
pub struct UrlCandidates<'a> {
    url: &'a str,
    websocket: bool,
}

impl<'a> UrlCandidates<'a> {
    /// Candidates for `url`; `websocket` marks a WebSocket handshake.
    pub fn new(url: &'a str, websocket: bool) -> Self {
        Self { url, websocket }
    }

    /// The candidates tried first: the URL as received, without and with port.
    pub fn as_received(&self) -> Vec<Candidate<'a>> {
        let mut out = Vec::with_capacity(4);
        let received = Received::new(self.url);
        let _ = self.each_as_received(&received, &mut |c| {
            if received.same_request(&c) {
                push_unique(&mut out, c);
            }
            ControlFlow::<()>::Continue(())
        });
        out
    }

    /// The candidates tried only when those failed: normalized forms that
    /// were not already tried.
    pub fn normalized(&self) -> Vec<Candidate<'a>> {
        let tried = self.as_received();
        let received = Received::new(self.url);
        let mut out = Vec::new();
        let _ = self.each_normalized(&mut |c| {
            if !tried.contains(&c) && received.same_request(&c) {
                push_unique(&mut out, c);
            }
            ControlFlow::<()>::Continue(())
        });
        out
    }

    /// Every candidate, in the order tried.
    pub fn all(&self) -> Vec<Candidate<'a>> {
        let mut out = self.as_received();
        out.extend(self.normalized());
        out
    }

    /// Offers each candidate to `f` in the order tried, built only when it
    /// is its turn, until `f` breaks. The normalized ones are computed only
    /// once every candidate as received was refused. The same URL can be
    /// offered more than once (under other rules, or again as normalized):
    /// a caller that hashes skips what it already hashed.
    /// Only candidates that denote the same request as the URL received are
    /// offered (see [`Received::same_request`]).
    pub(crate) fn find<R>(
        &self,
        mut f: impl FnMut(Candidate<'a>) -> ControlFlow<R>,
    ) -> ControlFlow<R> {
        let received = Received::new(self.url);
        let mut sound = |c: Candidate<'a>| {
            if received.same_request(&c) {
                f(c)
            } else {
                ControlFlow::Continue(())
            }
        };
        self.each_as_received(&received, &mut sound)?;
        self.each_normalized(&mut sound)
    }

    fn each_as_received<R>(
        &self,
        received: &Received<'a>,
        f: &mut impl FnMut(Candidate<'a>) -> ControlFlow<R>,
    ) -> ControlFlow<R> {
        let url = self.url;
        // Cut once; a string that is not a URL is tried as it is.
        let split = &received.split;
        let without_port = || {
            split
                .as_ref()
                .map_or(Cow::Borrowed(url), Split::remove_port)
        };
        let with_port = |rules| {
            split
                .as_ref()
                .map_or(Cow::Borrowed(url), |s| s.add_port(rules))
        };
        if self.websocket {
            with_slash_variants(without_port(), f)?;
            return with_slash_variants(with_port(Rules::WebSocket), f);
        }
        if let Some(python) = split.as_ref().and_then(PythonUrls::parse) {
            let without = python.without_port();
            // The usual URL: one Python prints as it is and without port.
            // Node's two are then the same strings, built and offered once.
            if matches!(without, Cow::Borrowed(_))
                && split.as_ref().is_some_and(|s| s.port.is_empty())
            {
                f(Candidate::new(without, Rules::PythonAndNode))?;
                return f(Candidate::new(python.with_port(), Rules::PythonAndNode));
            }
            f(Candidate::new(without, Rules::Python))?;
            f(Candidate::new(python.with_port(), Rules::Python))?;
        }
        f(Candidate::new(without_port(), Rules::Node))?;
        f(Candidate::new(with_port(Rules::Node), Rules::Node))
    }

    fn each_normalized<R>(
        &self,
        f: &mut impl FnMut(Candidate<'a>) -> ControlFlow<R>,
    ) -> ControlFlow<R> {
        self.each_normalized_by(whatwg::serialize, f)
    }

    /// The normalized candidates, with `serialize` standing for Node's
    /// `new URL(url).toString()` (`None`: no candidate).
    pub fn each_normalized_by<R>(
        &self,
        serialize: impl Fn(&str) -> Option<Cow<'_, str>>,
        f: &mut impl FnMut(Candidate<'a>) -> ControlFlow<R>,
    ) -> ControlFlow<R> {
        // The query re-encoded by Node's legacy `querystring`, once: ports
        // and queries do not overlap, so it is the same for every port.
        let legacy = reencoded(self.url);
        // The usual case, settled without serializing.
        if legacy.is_none() && plainly_whatwg(self.url) {
            return ControlFlow::Continue(());
        }
        let Some(whatwg) = serialize(self.url) else {
            return ControlFlow::Continue(());
        };
        let websocket = self.websocket;
        let rules = if websocket {
            Rules::WebSocket
        } else {
            Rules::Node
        };
        let mut offer = |url: Cow<'a, str>| {
            if websocket {
                with_slash_variants(url, f)
            } else {
                f(Candidate::new(url, rules))
            }
        };
        // A URL already in WHATWG form gives back, without and with port,
        // the URLs tried as received: only its re-encoded query can be new.
        let whatwg: &str = &whatwg;
        let legacy = if whatwg == self.url {
            legacy
        } else {
            offer(Cow::Owned(remove_port(whatwg).into_owned()))?;
            offer(Cow::Owned(add_port(whatwg, rules).into_owned()))?;
            reencoded(whatwg)
        };
        if let Some(legacy) = legacy {
            offer(Cow::Owned(remove_port(&legacy).into_owned()))?;
            offer(Cow::Owned(add_port(&legacy, rules).into_owned()))?;
        }
        ControlFlow::Continue(())
    }
}

impl<'a> Candidate<'a> {
    fn new(url: Cow<'a, str>, rules: Rules) -> Self {
        Self { url, rules }
    }
}

/// The URL a request was received at, cut once, against which every
/// candidate is held by the soundness rule.
///
/// A signature authorizes exactly the request it was made for, so a
/// candidate may differ from the received URL only where the application
/// cannot tell the difference when it routes and reads the request:
///
/// - the scheme, and the host, only in ASCII case;
/// - the port: a candidate without one, or, when none was received, with
///   the scheme's default one (Twilio signs the URL as configured, and a
///   proxy or the server may add or drop it);
/// - the path: none. A router matches its bytes as received: axum routes
///   `/admin/%2e%2e/voice` to `/admin/{*path}`, not to `/voice`, and a raw
///   `/café` not to `/caf%C3%A9`. So no dot segment is resolved, no `\`
///   becomes `/`, no `;` is dropped, nothing is percent-encoded (Twilio sends
///   paths percent-encoded, as it signs them), except that a WebSocket
///   handshake may differ by a trailing slash (below);
/// - the query: an empty one is no query; then the parameters as
///   `form_urlencoded` (and so axum's `Query`) reads them, but decoded to
///   bytes: for every name the same values in the same order, and no name
///   more or less. Pairs of distinct names may be reordered and escapes
///   written differently (`+` or `%20`); nothing may be dropped, added,
///   merged or decoded lossily (Node's re-encoding keeps only 1000 pairs
///   and turns bad UTF-8 into U+FFFD: such candidates are not tried).
///
/// A candidate that is not a URL must be the received string itself.
pub struct Received<'a> {
    url: &'a str,
    /// The URL cut once, for the candidates and for the rule.
    split: Option<Split<'a>>,
    /// Cut further the first time a candidate is neither the received
    /// string itself nor it with the default port added.
    parts: std::cell::OnceCell<Option<UrlParts<'a>>>,
    /// The received query's parameters, decoded and grouped by name: built
    /// the first time a candidate's query differs from it byte for byte.
    query: std::cell::OnceCell<QueryParameters>,
}

/// A URL cut into what the soundness rule compares.
struct UrlParts<'a> {
    scheme: &'a str,
    userinfo: &'a str,
    host: &'a str,
    port: &'a str,
    path: &'a str,
    /// After `?`; `None` without `?`.
    query: Option<&'a str>,
    /// After `#`; `None` without `#`.
    fragment: Option<&'a str>,
}

impl<'a> UrlParts<'a> {
    fn new(split: &Split<'a>) -> Self {
        let (rest, fragment) = match split_ascii(split.rest, b'#') {
            Some((rest, fragment)) => (rest, Some(fragment)),
            None => (split.rest, None),
        };
        let (path, query) = match split_ascii(rest, b'?') {
            Some((path, query)) => (path, Some(query)),
            None => (rest, None),
        };
        Self {
            scheme: split.scheme,
            userinfo: split.userinfo,
            host: split.host,
            port: split.port,
            // An empty path is `/`, as every parser reads it.
            path: if path.is_empty() { "/" } else { path },
            // An empty query is no query.
            query: query.filter(|q| !q.is_empty()),
            fragment,
        }
    }

    fn default_port(&self) -> &'static str {
        default_port(self.scheme)
    }
}

impl<'a> Received<'a> {
    /// The request's URL, cut into the parts a candidate is compared on.
    pub fn new(url: &'a str) -> Self {
        Self {
            url,
            split: split_url(url),
            parts: std::cell::OnceCell::new(),
            query: std::cell::OnceCell::new(),
        }
    }

    /// Whether `candidate` denotes the same request as the URL received,
    /// under the rule above. Linear in the lengths of both.
    pub fn same_request(&self, candidate: &Candidate<'_>) -> bool {
        let websocket = candidate.rules == Rules::WebSocket;
        let candidate: &str = &candidate.url;
        // The usual accepted candidate, and the same request by definition.
        if candidate == self.url {
            return true;
        }
        // The usual refused one: the URL received with its scheme's default
        // port added, which twilio-python and twilio-node both try. The
        // rule below says the same of it, after cutting it in parts: this
        // shortcut saves 1,464 of a forged webhook's 54,097 instructions
        // (callgrind, `bench/profile.rs reject`).
        self.with_default_port(candidate) || self.same_parts(candidate, websocket)
    }

    /// [`same_request`](Self::same_request) part by part.
    fn same_parts(&self, candidate: &str, websocket: bool) -> bool {
        let parts = self
            .parts
            .get_or_init(|| self.split.as_ref().map(UrlParts::new));
        let (Some(r), Some(c)) = (parts, split_url(candidate).as_ref().map(UrlParts::new)) else {
            return false;
        };
        let port_ok = c.port == r.port
            || c.port.is_empty()
            || (r.port.is_empty() && c.port == r.default_port());
        r.scheme.eq_ignore_ascii_case(c.scheme)
            && r.userinfo == c.userinfo
            && r.host.eq_ignore_ascii_case(c.host)
            && port_ok
            && r.fragment == c.fragment
            && (r.path == c.path || (websocket && without_slash(r.path) == without_slash(c.path)))
            && match (r.query, c.query) {
                (None, None) => true,
                (Some(rq), Some(cq)) if rq == cq => true,
                (Some(rq), Some(cq)) => {
                    *self.query.get_or_init(|| query_parameters(rq)) == query_parameters(cq)
                }
                _ => false,
            }
    }

    /// Whether `candidate` is the received URL, which has no port, with
    /// its scheme's default one written after the host, and not one byte
    /// else changed.
    fn with_default_port(&self, candidate: &str) -> bool {
        let Some(r) = &self.split else {
            return false;
        };
        // `r`'s pieces are consecutive slices of the URL received.
        let host_end = r.scheme.len() + r.userinfo.len() + r.host.len();
        let port = default_port(r.scheme).as_bytes();
        let c = candidate.as_bytes();
        r.port.is_empty()
            && c.len() == self.url.len() + port.len()
            && c.starts_with(&self.url.as_bytes()[..host_end])
            && c[host_end..].starts_with(port)
            && c.ends_with(r.rest.as_bytes())
    }
}

/// A path without its trailing slash. Twilio's docs for Media Streams and
/// ConversationRelay say to try the handshake URL with its trailing slash
/// toggled: Twilio may sign `/stream/` for a request to `/stream`. A
/// handshake has no body, and this is the one path difference accepted.
fn without_slash(path: &str) -> &str {
    match path.strip_suffix('/') {
        Some(p) if !p.is_empty() => p,
        _ => path,
    }
}

/// A query's parameters as `form_urlencoded` splits them (empty pairs
/// skipped, `+` a space), each decoded to bytes, sorted by name with each
/// name's values in the order received. All in one buffer: two
/// allocations however many pairs.
#[derive(Debug)]
struct QueryParameters {
    bytes: Vec<u8>,
    pairs: Vec<(Range<usize>, Range<usize>)>,
}

impl PartialEq for QueryParameters {
    fn eq(&self, other: &Self) -> bool {
        self.pairs.len() == other.pairs.len()
            && self.pairs.iter().zip(&other.pairs).all(|(a, b)| {
                self.bytes[a.0.clone()] == other.bytes[b.0.clone()]
                    && self.bytes[a.1.clone()] == other.bytes[b.1.clone()]
            })
    }
}

fn query_parameters(query: &str) -> QueryParameters {
    let mut bytes = Vec::with_capacity(query.len());
    let mut pairs = Vec::new();
    for pair in query.split('&').filter(|pair| !pair.is_empty()) {
        let (name, value) = pair.split_once('=').unwrap_or((pair, ""));
        let start = bytes.len();
        decode_into(name, &mut bytes);
        let middle = bytes.len();
        decode_into(value, &mut bytes);
        pairs.push((start..middle, middle..bytes.len()));
    }
    // Stable: a name's values keep their order.
    pairs.sort_by(|a, b| bytes[a.0.clone()].cmp(&bytes[b.0.clone()]));
    QueryParameters { bytes, pairs }
}

/// `+` as a space, valid `%XX` escapes decoded, anything else as it is.
fn decode_into(text: &str, out: &mut Vec<u8>) {
    let text = text.as_bytes();
    let hex = |b: u8| (b as char).to_digit(16);
    let mut i = 0;
    while i < text.len() {
        let escaped = match text.get(i..i + 3) {
            Some(&[b'%', hi, lo]) => hex(hi).zip(hex(lo)),
            _ => None,
        };
        match (escaped, text[i]) {
            (Some((hi, lo)), _) => {
                out.push((hi << 4 | lo) as u8);
                i += 3;
                continue;
            }
            (None, b'+') => out.push(b' '),
            (None, b) => out.push(b),
        }
        i += 1;
    }
}

/// Whether `url` is certainly its own WHATWG serialization: an `http` or
/// `https` URL of plain ASCII, lowercase host that is not a number, a port
/// only if not the default one and written as the parser writes it, a path
/// without dot segments or escapes, and a query of characters the parser
/// keeps. False says nothing: the parser decides then.
///
/// Measured with callgrind against the `url` crate's parser, before the
/// serialization was written by hand (a forged form POST, one token, 1,000 requests):
/// a reject costs 28,042 instructions with this check and 30,062 without
/// for `https://hooks.example.com/voice`, 38,500 and 40,653 with the query
/// `?foo=bar&x=1`: it saved the WHATWG parse, 5 to 7% of a reject. A URL
/// it cannot settle (`/a%20b?q=%27x`: 58,224 and 57,956) costs it 0.5%.
/// Against the hand-written serialization (`whatwg.rs`) it still pays:
/// a forged 28-field webhook through the layer (`bench/profile.rs reject`)
/// costs 62,872 instructions with it and 65,761 without, 4.4% less.
pub fn plainly_whatwg(url: &str) -> bool {
    let Some((scheme, rest)) = ["https://", "http://"]
        .into_iter()
        .find_map(|scheme| Some((scheme, url.strip_prefix(scheme)?)))
    else {
        return false;
    };
    let authority_end = rest
        .bytes()
        .position(|b| matches!(b, b'/' | b'?' | b'#'))
        .unwrap_or(rest.len());
    let (authority, rest) = rest.split_at(authority_end);
    let (host, port) = split_ascii(authority, b':').unwrap_or((authority, ""));
    let labels = host.strip_suffix('.').unwrap_or(host);
    let last_label = rsplit_ascii(labels, b'.').map_or(labels, |(_, last)| last);
    let host_ok = host
        .bytes()
        .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'.' || b == b'-')
        && last_label
            .bytes()
            .next()
            .is_some_and(|b| b.is_ascii_lowercase())
        && !host.as_bytes().windows(4).any(|w| w == b"xn--");
    let port_ok = authority.len() == host.len()
        || (!port.starts_with('0')
            && port.len() <= 5
            && port.bytes().all(|b| b.is_ascii_digit())
            && port.parse::<u32>().is_ok_and(|p| p <= 65535)
            && port != &default_port(scheme)[1..]);
    let (path, query) = split_ascii(rest, b'?').unwrap_or((rest, ""));
    // Unreserved and sub-delimiters, `:`, `@` and `/` (no `'`, which the
    // parser escapes in the query of a special URL).
    let plain = |b: u8| {
        b.is_ascii_alphanumeric()
            || matches!(
                b,
                b'-' | b'.'
                    | b'_'
                    | b'~'
                    | b'!'
                    | b'$'
                    | b'&'
                    | b'('
                    | b')'
                    | b'*'
                    | b'+'
                    | b','
                    | b';'
                    | b'='
                    | b':'
                    | b'@'
                    | b'/'
            )
    };
    let path_ok = path.starts_with('/')
        && path.bytes().all(plain)
        && path
            .as_bytes()
            .split(|&b| b == b'/')
            .all(|segment| segment != b"." && segment != b"..");
    let query_ok = query.bytes().all(|b| plain(b) || b == b'?' || b == b'%');
    host_ok && port_ok && path_ok && query_ok
}

/// The URL with its query re-encoded by Node's legacy `querystring`, when
/// that changes it.
fn reencoded(url: &str) -> Option<String> {
    match querystring::reencode_url(url) {
        Cow::Owned(legacy) if legacy != url => Some(legacy),
        _ => None,
    }
}

/// The port `scheme` (with or without its `://`) implies: `:443` for
/// `https` and `wss`, `:80` for anything else.
fn default_port(scheme: &str) -> &'static str {
    let scheme = scheme.strip_suffix("://").unwrap_or(scheme);
    if scheme.eq_ignore_ascii_case("https") || scheme.eq_ignore_ascii_case("wss") {
        ":443"
    } else {
        ":80"
    }
}

/// Offers `url`, then `url` with its trailing slash toggled (WebSocket rules).
fn with_slash_variants<'a, R>(
    url: Cow<'a, str>,
    f: &mut impl FnMut(Candidate<'a>) -> ControlFlow<R>,
) -> ControlFlow<R> {
    let toggled = toggle_trailing_slash(&url);
    f(Candidate::new(url, Rules::WebSocket))?;
    match toggled {
        Some(toggled) => f(Candidate::new(Cow::Owned(toggled), Rules::WebSocket)),
        None => ControlFlow::Continue(()),
    }
}

fn push_unique<T: PartialEq>(out: &mut Vec<T>, item: T) {
    if !out.contains(&item) {
        out.push(item);
    }
}

/// A URL cut the way twilio-node's `splitUrl` cuts it, without normalizing.
struct Split<'a> {
    url: &'a str,
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
    // The scheme has no `:`, so its end is the first `:` or there is none.
    let colon = find_ascii(url, b':').filter(|&i| url[i..].starts_with("://"))?;
    let scheme = &url[..colon];
    let mut chars = scheme.chars();
    let first_ok = chars.next().is_some_and(|c| c.is_ascii_alphabetic());
    if !first_ok || !chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '.' | '-')) {
        return None;
    }
    let after = &url[colon + 3..];
    let authority_len = after
        .bytes()
        .position(|b| matches!(b, b'/' | b'?' | b'#'))
        .unwrap_or(after.len());
    let authority = &after[..authority_len];
    let host_start = rfind_ascii(authority, b'@').map_or(0, |i| i + 1);
    let host_and_port = &authority[host_start..];
    let search_from = rfind_ascii(host_and_port, b']').map_or(0, |i| i + 1);
    let port_start = find_ascii(&host_and_port[search_from..], b':')
        .map_or(host_and_port.len(), |i| search_from + i);
    Some(Split {
        url,
        scheme: &url[..colon + 3],
        userinfo: &authority[..host_start],
        host: &host_and_port[..port_start],
        port: &host_and_port[port_start..],
        rest: &after[authority_len..],
    })
}

impl<'a> Split<'a> {
    /// The URL without its port (`https://host:8443/x` -> `https://host/x`).
    fn remove_port(&self) -> Cow<'a, str> {
        if self.port.is_empty() {
            return Cow::Borrowed(self.url);
        }
        Cow::Owned([self.scheme, self.userinfo, self.host, self.rest].concat())
    }

    /// The URL with a default port added when it has none: `:443` for
    /// `https` (and, for a WebSocket, `wss`), `:80` for anything else, as
    /// twilio-node does.
    fn add_port(&self, rules: Rules) -> Cow<'a, str> {
        if !self.port.is_empty() {
            return Cow::Borrowed(self.url);
        }
        // twilio-node knows `https`'s default only, and adds `:80` to `wss`.
        let port = if rules != Rules::WebSocket && self.scheme.eq_ignore_ascii_case("wss://") {
            ":80"
        } else {
            default_port(self.scheme)
        };
        Cow::Owned([self.scheme, self.userinfo, self.host, port, self.rest].concat())
    }
}

/// [`Split::remove_port`], for any string (one that is not a URL is kept).
pub(crate) fn remove_port(url: &str) -> Cow<'_, str> {
    split_url(url).map_or(Cow::Borrowed(url), |s| s.remove_port())
}

/// [`Split::add_port`], for any string (one that is not a URL is kept).
pub(crate) fn add_port(url: &str, rules: Rules) -> Cow<'_, str> {
    split_url(url).map_or(Cow::Borrowed(url), |s| s.add_port(rules))
}

/// twilio-python's two URLs: `remove_port` and `add_port` of `urlparse(url)`,
/// printed by `geturl()`, each built when asked for.
struct PythonUrls<'a> {
    url: &'a str,
    /// Lowercased, as `urlparse` does.
    scheme: Cow<'a, str>,
    netloc: &'a str,
    /// The netloc cut at its first `:` when it has a (non-zero) port.
    cut: Option<&'a str>,
    /// Path, query and fragment, as `urlunsplit` prints them.
    tail: [&'a str; 5],
}

impl<'a> PythonUrls<'a> {
    /// `None` where `urlparse(url).port` raises.
    fn parse(split: &Split<'a>) -> Option<Self> {
        let url = split.url;
        let scheme = if split.scheme.bytes().any(|b| b.is_ascii_uppercase()) {
            Cow::Owned(split.scheme.to_ascii_lowercase())
        } else {
            Cow::Borrowed(split.scheme)
        };
        let netloc = &url[split.scheme.len()..url.len() - split.rest.len()];
        let hostinfo = rsplit_ascii(netloc, b'@').map_or(netloc, |(_, h)| h);
        let port = match split_ascii(hostinfo, b'[') {
            Some((_, bracketed)) => split_ascii(bracketed, b']').map_or("", |(_, p)| p),
            None => hostinfo,
        };
        let port = split_ascii(port, b':').map_or("", |(_, p)| p);
        let port: Option<u32> = match port {
            "" => None,
            digits if digits.bytes().all(|b| b.is_ascii_digit()) && digits.len() <= 5 => {
                Some(digits.parse().ok().filter(|&p| p <= 65535)?)
            }
            _ => return None,
        };
        let cut = match port {
            Some(p) if p != 0 => Some(split_ascii(netloc, b':').map_or(netloc, |(h, _)| h)),
            _ => None,
        };
        let http = scheme == "http://" || scheme == "https://";
        Some(Self {
            url,
            scheme,
            netloc,
            cut,
            tail: python_tail(split.rest, http),
        })
    }

    fn without_port(&self) -> Cow<'a, str> {
        let netloc = self.cut.unwrap_or(self.netloc);
        self.geturl(netloc, "")
    }

    fn with_port(&self) -> Cow<'a, str> {
        let default = match self.cut {
            Some(_) => "",
            None if self.scheme == "https://" => ":443",
            None => ":80",
        };
        self.geturl(self.netloc, default)
    }

    /// What `urlunsplit` prints with `netloc` + `port`; borrowed from the
    /// URL when it prints the URL itself.
    fn geturl(&self, netloc: &str, port: &str) -> Cow<'a, str> {
        let [path, question, query, hash, fragment] = self.tail;
        join(
            self.url,
            &[
                &self.scheme,
                netloc,
                port,
                path,
                question,
                query,
                hash,
                fragment,
            ],
        )
    }
}

/// What Python's `urlunsplit` prints of `rest` (path, query and fragment),
/// in pieces: an empty query or fragment is dropped, and so is a `;` that
/// ends the last path segment of an http(s) URL (an empty `params` part).
fn python_tail(rest: &str, http: bool) -> [&str; 5] {
    let (rest, fragment) = split_ascii(rest, b'#').unwrap_or((rest, ""));
    let (path, query) = split_ascii(rest, b'?').unwrap_or((rest, ""));
    let last_segment = &path[rfind_ascii(path, b'/').unwrap_or(0)..];
    let path = match find_ascii(last_segment, b';') {
        Some(i) if http && i + 1 == last_segment.len() => &path[..path.len() - 1],
        _ => path,
    };
    let question = if query.is_empty() { "" } else { "?" };
    let hash = if fragment.is_empty() { "" } else { "#" };
    [path, question, query, hash, fragment]
}

// Searches for an ASCII delimiter, byte by byte (every index found is a char
// boundary): the strings cut here are a few dozen bytes, too short for the
// set-up of `str::find` to pay off, and this runs for every request.

fn find_ascii(s: &str, delimiter: u8) -> Option<usize> {
    s.bytes().position(|b| b == delimiter)
}

fn rfind_ascii(s: &str, delimiter: u8) -> Option<usize> {
    s.bytes().rposition(|b| b == delimiter)
}

/// `s` cut around its first `delimiter`.
fn split_ascii(s: &str, delimiter: u8) -> Option<(&str, &str)> {
    find_ascii(s, delimiter).map(|i| (&s[..i], &s[i + 1..]))
}

/// `s` cut around its last `delimiter`.
fn rsplit_ascii(s: &str, delimiter: u8) -> Option<(&str, &str)> {
    rfind_ascii(s, delimiter).map(|i| (&s[..i], &s[i + 1..]))
}

/// `pieces` joined; borrowed from `url` when they spell `url` itself.
fn join<'a>(url: &'a str, pieces: &[&str]) -> Cow<'a, str> {
    let mut rest = url.as_bytes();
    for piece in pieces.iter().map(|p| p.as_bytes()) {
        match rest.get(..piece.len()) {
            // Byte by byte, for the same reason as the searches above.
            Some(head) if head.iter().zip(piece).all(|(a, b)| a == b) => {
                rest = &rest[piece.len()..];
            }
            _ => return Cow::Owned(pieces.concat()),
        }
    }
    if rest.is_empty() {
        Cow::Borrowed(url)
    } else {
        Cow::Owned(pieces.concat())
    }
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

    /// The URLs tried under `rules` (a URL both libraries try is tried
    /// under each one's).
    fn urls(v: Vec<Candidate<'_>>, rules: Rules) -> Vec<String> {
        v.into_iter()
            .filter(|c| {
                c.rules == rules
                    || (c.rules == Rules::PythonAndNode
                        && matches!(rules, Rules::Python | Rules::Node))
            })
            .map(|c| c.url.into_owned())
            .collect()
    }

    #[test]
    fn removes_and_adds_ports_without_normalizing() {
        assert_eq!(
            remove_port("https://h.com:1234/a?b=c'd"),
            "https://h.com/a?b=c'd"
        );
        assert_eq!(
            add_port("https://h.com/a", Rules::Node),
            "https://h.com:443/a"
        );
        assert_eq!(add_port("http://h.com/a", Rules::Node), "http://h.com:80/a");
        assert_eq!(
            add_port("https://h.com:1234/a", Rules::Node),
            "https://h.com:1234/a"
        );
        assert_eq!(
            add_port("https://h.com?x=1", Rules::Node),
            "https://h.com:443?x=1"
        );
    }

    /// The byte-level shortcut for "the URL received with its default
    /// port" accepts nothing the part-by-part rule refuses, and it does
    /// accept the variant it exists for.
    #[test]
    fn the_default_port_shortcut_agrees_with_the_rule() {
        let received = [
            "https://h.com/x",
            "https://h.com",
            "https://h.com?a=1",
            "http://h.com/x",
            "wss://h.com/s/",
            "https://u:p@h.com/x",
            "https://[::1]/x",
            "https://h.com:8443/x",
            "HTTPS://H.com/x#f",
        ];
        let ports = ["", ":443", ":80", ":444", ":", ":4430"];
        let tails = ["", "/x", "/y", "?a=1", "/x?a=1", "/s", "/s/", "/x#f"];
        let mut shortcut = 0;
        for url in received {
            let r = Received::new(url);
            let split = split_url(url).unwrap();
            let host_end = split.scheme.len() + split.userinfo.len() + split.host.len();
            for port in ports {
                for tail in tails {
                    let candidate = format!("{}{port}{tail}", &url[..host_end]);
                    if r.with_default_port(&candidate) {
                        shortcut += 1;
                        for websocket in [false, true] {
                            assert!(r.same_parts(&candidate, websocket), "{url} {candidate}");
                        }
                    }
                }
            }
        }
        // One per received URL without a port: each one's tail is in `tails`.
        assert_eq!(shortcut, 8);

        let yes = |url: &str, candidate: &str| Received::new(url).with_default_port(candidate);
        assert!(yes("https://h/x", "https://h:443/x"));
        assert!(yes("http://h/x?a=1", "http://h:80/x?a=1"));
        assert!(yes("https://u@h/x", "https://u@h:443/x"));
        assert!(!yes("https://h/x", "https://h:444/x"));
        assert!(!yes("https://h/x", "https://h:443/y"));
        assert!(!yes("http://h/x", "http://h:443/x"));
        assert!(!yes("https://h:443/x", "https://h:443:443/x"));
        assert!(!yes("https://u@h/x", "https://h:443/x"));
    }

    #[test]
    fn node_adds_port_80_to_wss_but_websocket_rules_use_443() {
        assert_eq!(add_port("wss://h.com/a", Rules::Node), "wss://h.com:80/a");
        assert_eq!(
            add_port("wss://h.com/a", Rules::WebSocket),
            "wss://h.com:443/a"
        );
        assert_eq!(
            add_port("ws://h.com/a", Rules::WebSocket),
            "ws://h.com:80/a"
        );
    }

    #[test]
    fn node_handles_ipv6_hosts_and_userinfo() {
        assert_eq!(remove_port("https://[::1]:8443/a"), "https://[::1]/a");
        assert_eq!(
            add_port("https://[::1]/a", Rules::Node),
            "https://[::1]:443/a"
        );
        assert_eq!(remove_port("https://u:p@h.com:99/a"), "https://u:p@h.com/a");
    }

    #[test]
    fn leaves_strings_that_are_not_urls_alone() {
        assert_eq!(add_port("not a url", Rules::Node), "not a url");
        assert_eq!(remove_port("1http://h:1/"), "1http://h:1/");
        // Node signs such a string as it is; Python's urlparse finds no URL.
        let c = UrlCandidates::new("not a url", false);
        assert!(urls(c.all(), Rules::Python).is_empty());
        assert_eq!(urls(c.all(), Rules::Node), ["not a url"]);
    }

    #[test]
    fn python_and_node_both_try_without_then_with_port() {
        let c = UrlCandidates::new("https://mycompany.com:1234/myapp.php?foo=1", false);
        let expected = [
            "https://mycompany.com/myapp.php?foo=1",
            "https://mycompany.com:1234/myapp.php?foo=1",
        ];
        assert_eq!(urls(c.as_received(), Rules::Python), expected);
        assert_eq!(urls(c.as_received(), Rules::Node), expected);
    }

    #[test]
    fn python_drops_an_empty_query_and_node_keeps_it() {
        let c = UrlCandidates::new("https://h.com/a?", false);
        assert_eq!(
            urls(c.as_received(), Rules::Python),
            ["https://h.com/a", "https://h.com:443/a"]
        );
        assert_eq!(
            urls(c.as_received(), Rules::Node),
            ["https://h.com/a?", "https://h.com:443/a?"]
        );
    }

    #[test]
    fn python_drops_an_empty_params_part_but_that_path_is_not_tried() {
        // `urlparse` drops the `;` of `/a;`, and a router would see `/a;`.
        let c = UrlCandidates::new("https://h.com/a;?x=1", false);
        assert!(!urls(c.all(), Rules::Python).contains(&"https://h.com/a?x=1".to_owned()));
        let c = UrlCandidates::new("https://h.com/a;b", false);
        assert_eq!(urls(c.as_received(), Rules::Python)[0], "https://h.com/a;b");
    }

    #[test]
    fn python_lowercases_the_scheme_and_its_port_80_for_wss_is_not_tried() {
        let c = UrlCandidates::new("HTTPS://h.com/a", false);
        assert_eq!(
            urls(c.as_received(), Rules::Python),
            ["https://h.com/a", "https://h.com:443/a"]
        );
        // Python adds `:80` to anything but https; wss's default is 443.
        let c = UrlCandidates::new("wss://h.com/a", false);
        assert_eq!(urls(c.as_received(), Rules::Python), ["wss://h.com/a"]);
    }

    #[test]
    fn python_refuses_a_port_that_is_not_a_number() {
        for url in [
            "https://h.com:x/a",
            "https://h.com:99999/a",
            "https://h.com:1:2/a",
        ] {
            assert!(urls(UrlCandidates::new(url, false).as_received(), Rules::Python).is_empty());
        }
    }

    #[test]
    fn python_cuts_an_ipv6_authority_at_its_first_colon_and_that_host_is_not_tried() {
        let c = UrlCandidates::new("https://[::1]:8443/a", false);
        assert_eq!(
            urls(c.as_received(), Rules::Python),
            ["https://[::1]:8443/a"]
        );
    }

    #[test]
    fn python_treats_port_zero_as_no_port_and_its_port_added_is_not_tried() {
        let c = UrlCandidates::new("https://h.com:0/a", false);
        assert_eq!(urls(c.as_received(), Rules::Python), ["https://h.com:0/a"]);
    }

    #[test]
    fn normalized_candidates_skip_what_node_already_tried() {
        let c = UrlCandidates::new("https://mycompany.com/myapp.php?foo=1&bar=2", false);
        assert!(c.normalized().is_empty());
    }

    #[test]
    fn normalized_candidates_encode_like_new_url_and_querystring() {
        let c = UrlCandidates::new("https://h.com/a?Body=It's+amazing", false);
        assert_eq!(
            urls(c.normalized(), Rules::Node),
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
        assert!(urls(c.normalized(), Rules::Node).contains(&"https://h.com/a".to_string()));
    }

    #[test]
    fn websocket_candidates_toggle_the_trailing_slash() {
        let c = UrlCandidates::new("wss://h.com/media-stream?x=1", true);
        assert_eq!(
            urls(c.as_received(), Rules::WebSocket),
            [
                "wss://h.com/media-stream?x=1",
                "wss://h.com/media-stream/?x=1",
                "wss://h.com:443/media-stream?x=1",
                "wss://h.com:443/media-stream/?x=1"
            ]
        );
        let root = UrlCandidates::new("wss://h.com/", true);
        assert_eq!(
            urls(root.as_received(), Rules::WebSocket),
            ["wss://h.com/", "wss://h.com:443/"]
        );
    }
}
