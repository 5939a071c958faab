//! The request target as a router reads it, and the base URL as it is
//! configured: shared by the layer and [`Signer`](crate::Signer).

use std::borrow::Cow;
use std::str::FromStr;

use http::uri::Authority;

use crate::core::error::ConfigError;

/// The request target in origin form, as a router reads it: the path, then
/// `?` and the query if there is one. `None` for a target that is not a
/// path (`*`, `host:port`), which Twilio never requests. An absolute-form
/// target without a path (`http://host?x=1`) is `/?x=1`, as routed.
pub(crate) fn origin_form(uri: &http::Uri) -> Option<Cow<'_, str>> {
    let path = uri.path();
    if !path.starts_with('/') {
        return None;
    }
    match uri.path_and_query() {
        Some(pq) if pq.as_str().starts_with('/') => Some(Cow::Borrowed(pq.as_str())),
        _ => Some(match uri.query() {
            Some(query) => Cow::Owned(format!("{path}?{query}")),
            None => Cow::Borrowed(path),
        }),
    }
}

/// A base URL, scheme, host or prefix that cannot be used.
const fn invalid(problem: &'static str) -> ConfigError {
    ConfigError::new("base URL", problem)
}

/// The parts of `scheme://[userinfo@]host[:port][/prefix]`, userinfo dropped.
pub(crate) fn parse_base_url(url: &str) -> Result<(String, String, String), ConfigError> {
    let (scheme, rest) = url
        .split_once("://")
        .ok_or(invalid("must be scheme://host[:port][/prefix]"))?;
    let scheme = parse_scheme(scheme)?;
    let authority_end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let (authority, path) = rest.split_at(authority_end);
    let host = authority
        .rsplit_once('@')
        .map_or(authority, |(_, host)| host);
    let host = parse_host(host)?;
    let prefix = parse_prefix(path)?;
    Ok((scheme, host, prefix))
}

pub(crate) fn parse_scheme(scheme: &str) -> Result<String, ConfigError> {
    let scheme = scheme.to_ascii_lowercase();
    match scheme.as_str() {
        "http" | "https" => Ok(scheme),
        _ => Err(invalid("must have the scheme http or https")),
    }
}

pub(crate) fn parse_host(host: &str) -> Result<String, ConfigError> {
    match Authority::from_str(host) {
        Ok(a) if !a.host().is_empty() && !host.contains('@') => {
            // A port, if written, must be one (`http` keeps `:99999` but
            // gives no number for it).
            let port_written = host.len() > a.host().len();
            if port_written && a.port_u16().is_none() {
                return Err(invalid("must have a port from 0 to 65535"));
            }
            Ok(host.to_owned())
        }
        _ => Err(invalid("must have a host[:port]")),
    }
}

pub(crate) fn parse_prefix(prefix: &str) -> Result<String, ConfigError> {
    if prefix.contains(['?', '#']) {
        return Err(invalid("must not have a query or fragment"));
    }
    if !prefix.is_empty() && !prefix.starts_with('/') {
        return Err(invalid("must have a path prefix that starts with /"));
    }
    if prefix.bytes().any(|b| b.is_ascii_control() || b == b' ') {
        return Err(invalid("must not contain spaces or control characters"));
    }
    Ok(prefix.trim_end_matches('/').to_owned())
}
