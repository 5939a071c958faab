use std::future::Future;
use std::pin::Pin;

use crate::core::validator::RequestValidator;

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
/// [`ValidatedWebhook::account_sid`](crate::ValidatedWebhook::account_sid);
/// a handler of JSON webhooks must take it from there, never from the JSON
/// body, whose fields are not compared.
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
