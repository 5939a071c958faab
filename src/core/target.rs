//! The request target as a router reads it, shared by the layer and
//! [`Signer`](crate::Signer).

use std::borrow::Cow;

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
