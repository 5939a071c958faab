use std::borrow::Cow;
use std::future::Future;
use std::pin::Pin;

use http::header::CONTENT_TYPE;
use http::request::Parts;

use crate::fields::FormFields;
use crate::rejection::Rejection;
use crate::validator::{is_form, RequestValidator};

/// The future a [`KeyResolver`] returns.
pub type ResolveFuture = Pin<Box<dyn Future<Output = Option<RequestValidator>> + Send>>;

/// Finds the keys of the account a webhook is for, for apps that serve many
/// Twilio accounts or subaccounts (each signs with its own Auth Token).
///
/// The layer reads every `AccountSid` of the form fields (of a form POST)
/// and of the query, and asks the resolver for a [`RequestValidator`]
/// holding that account's token(s) and shared keys. A request whose
/// `AccountSid` values are not all the same is refused with `403`
/// (`account_mismatch`), so that no handler, nor axum's `Form` or `Query`,
/// can read another account than the one whose keys validated it; a request
/// without `AccountSid`, or for which the resolver answers `None`, with
/// `403` (`unknown_account`). The handler finds the account in
/// [`ValidatedWebhook::account_sid`](crate::ValidatedWebhook::account_sid).
///
/// The resolver is called once per request that passed the header checks
/// and names one account, before its signature is checked, so make it cheap: keep validators in memory (a `HashMap` behind an
/// `RwLock`, or a cache with a time to live in front of your database) and
/// clone them out; a `RequestValidator` is an `Arc` inside. To rotate an
/// account's token, return `RequestValidator::new(new).secondary_token(old)`
/// until the old one is retired.
///
/// Any `Fn(String) -> impl Future<Output = Option<RequestValidator>>` that is
/// `Send + Sync + 'static` is a resolver:
///
/// ```
/// use std::collections::HashMap;
/// use std::sync::Arc;
/// use tower_twilio::{RequestValidator, TwilioValidateLayer};
///
/// let tokens: Arc<HashMap<String, RequestValidator>> = Arc::new(HashMap::from([
///     ("AC0001".to_string(), RequestValidator::new("token-of-AC0001")),
///     ("AC0002".to_string(), RequestValidator::new("token-of-AC0002")),
/// ]));
/// let layer = TwilioValidateLayer::with_resolver(move |account_sid: String| {
///     let tokens = tokens.clone();
///     async move { tokens.get(&account_sid).cloned() }
/// });
/// ```
pub trait KeyResolver: Send + Sync + 'static {
    /// The validator for `account_sid`, or `None` for an account you do not serve.
    fn resolve(&self, account_sid: &str) -> ResolveFuture;
}

impl<F, Fut> KeyResolver for F
where
    F: Fn(String) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = Option<RequestValidator>> + Send + 'static,
{
    fn resolve(&self, account_sid: &str) -> ResolveFuture {
        Box::pin(self(account_sid.to_owned()))
    }
}

/// The account a request is for, with a resolver: the value of every
/// `AccountSid` in the form fields (of a form POST) and in the query, which
/// must all be the same.
///
/// The body is decoded as the signature check decodes it (and so a body that
/// is not a form Twilio sends is `malformed_body`); the query as
/// `form_urlencoded`, and so axum's `Query`, reads it.
pub(crate) fn account_sid(parts: &Parts, body: &[u8]) -> Result<String, Rejection> {
    const ACCOUNT_SID: &str = "AccountSid";
    let content_type = parts.headers.get(CONTENT_TYPE).map(|v| v.as_bytes());
    let fields = if is_form(&parts.method, content_type) {
        FormFields::parse(body).map_err(|_| Rejection::MalformedBody)?
    } else {
        FormFields::default()
    };
    let in_fields = fields
        .iter()
        .filter(|(name, _)| *name == ACCOUNT_SID)
        .map(|(_, value)| Cow::Borrowed(value));
    let in_query = parts
        .uri
        .query()
        .map(|query| form_urlencoded::parse(query.as_bytes()))
        .into_iter()
        .flatten()
        .filter(|(name, _)| name == ACCOUNT_SID)
        .map(|(_, value)| value);
    let mut account: Option<Cow<'_, str>> = None;
    for sid in in_fields.chain(in_query) {
        match &account {
            None => account = Some(sid),
            Some(first) if *first == sid => {}
            Some(_) => return Err(Rejection::AccountMismatch),
        }
    }
    account
        .map(Cow::into_owned)
        .ok_or(Rejection::UnknownAccount)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn account(
        method: &str,
        uri: &str,
        content_type: &str,
        body: &str,
    ) -> Result<String, Rejection> {
        let (parts, ()) = http::Request::builder()
            .method(method)
            .uri(uri)
            .header(CONTENT_TYPE, content_type)
            .body(())
            .unwrap()
            .into_parts();
        account_sid(&parts, body.as_bytes())
    }

    const FORM: &str = "application/x-www-form-urlencoded";

    #[test]
    fn the_account_is_read_from_the_form_or_the_query() {
        assert_eq!(
            account("POST", "/sms", FORM, "AccountSid=AC1&Body=hi"),
            Ok("AC1".into())
        );
        assert_eq!(
            account("GET", "/s?AccountSid=AC1&x=1", "", ""),
            Ok("AC1".into())
        );
        // Decoded, as the handler reads it.
        assert_eq!(
            account(
                "POST",
                "/sms?Account%53id=AC%31",
                FORM,
                "Account%53id=A%431"
            ),
            Ok("AC1".into())
        );
    }

    #[test]
    fn accounts_that_differ_are_a_mismatch() {
        let mismatch = Err(Rejection::AccountMismatch);
        assert_eq!(
            account("POST", "/sms?AccountSid=AC2", FORM, "AccountSid=AC1"),
            mismatch
        );
        assert_eq!(
            account("POST", "/sms", FORM, "AccountSid=AC1&AccountSid=AC2"),
            mismatch
        );
        assert_eq!(
            account("GET", "/s?AccountSid=AC1&AccountSid=AC2", "", ""),
            mismatch
        );
        assert_eq!(
            account("POST", "/sms?AccountSid=", FORM, "AccountSid=AC1"),
            mismatch
        );
    }

    #[test]
    fn the_body_of_another_content_type_names_no_account() {
        assert_eq!(
            account(
                "POST",
                "/sms?AccountSid=AC1",
                "application/json",
                "AccountSid=AC2"
            ),
            Ok("AC1".into())
        );
        assert_eq!(
            account("POST", "/sms", "application/json", "AccountSid=AC2"),
            Err(Rejection::UnknownAccount)
        );
    }

    #[test]
    fn no_account_is_unknown_and_a_malformed_form_is_malformed() {
        assert_eq!(
            account("POST", "/sms", FORM, "Body=hi"),
            Err(Rejection::UnknownAccount)
        );
        assert_eq!(
            account("POST", "/sms?AccountSid=AC1", FORM, "AccountSid=AC1&&x=1"),
            Err(Rejection::MalformedBody)
        );
    }
}
