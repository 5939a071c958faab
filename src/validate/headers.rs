//! A header that may appear at most once, as the verdict, HTTP
//! authentication and the bearer stage read `X-Twilio-Signature`, the
//! signature settings and `Authorization`: below all of them.

use http::{HeaderMap, HeaderName, HeaderValue};

/// A header that may appear at most once: `Err` when it is repeated.
pub(crate) fn single<'a>(
    headers: &'a HeaderMap,
    name: &HeaderName,
) -> Result<Option<&'a HeaderValue>, ()> {
    let mut values = headers.get_all(name).iter();
    let first = values.next();
    match values.next() {
        Some(_) => Err(()),
        None => Ok(first),
    }
}
