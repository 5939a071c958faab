use std::sync::Arc;
use std::task::{Context, Poll};

use bytes::Bytes;
use http::{Request, Response};
use http_body::Body;
use tower_service::Service;

use super::body::GuardBody;
use super::config::GuardConfig;
use super::entry::{Account, ReplayKey};
use super::future::ResponseFuture;
use crate::validate::public_url::is_websocket;
use crate::ValidatedWebhook;

/// Middleware that lets each signed webhook reach the inner service once;
/// made by [`ReplayGuardLayer`](super::ReplayGuardLayer).
///
/// Its readiness is the inner service's. Each call takes the service that
/// was made ready and leaves a clone in its place (tower's idiom), so a
/// copy answered from the store releases what the inner service reserved.
#[derive(Clone)]
pub struct ReplayGuard<S> {
    inner: S,
    config: Arc<GuardConfig>,
}

impl<S> ReplayGuard<S> {
    pub(crate) fn new(inner: S, config: Arc<GuardConfig>) -> Self {
        Self { inner, config }
    }

    /// The inner service.
    pub fn get_ref(&self) -> &S {
        &self.inner
    }

    /// The inner service, mutably.
    pub fn get_mut(&mut self) -> &mut S {
        &mut self.inner
    }

    /// The inner service, consuming this one.
    pub fn into_inner(self) -> S {
        self.inner
    }
}

impl<S> std::fmt::Debug for ReplayGuard<S> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ReplayGuard")
            .field("config", &self.config)
            .finish_non_exhaustive()
    }
}

impl<S, ReqBody, ResBody> Service<Request<ReqBody>> for ReplayGuard<S>
where
    S: Service<Request<ReqBody>, Response = Response<ResBody>> + Clone,
    ResBody: Body<Data = Bytes>,
{
    type Response = Response<GuardBody<ResBody>>;
    type Error = S::Error;
    type Future = ResponseFuture<S, ReqBody, ResBody>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, req: Request<ReqBody>) -> Self::Future {
        let clone = self.inner.clone();
        let mut inner = std::mem::replace(&mut self.inner, clone);
        let (parts, body) = req.into_parts();
        // A Media Streams or ConversationRelay handshake is signed over its
        // URL alone, the same for every call to it: each is a new stream.
        if is_websocket(&parts) {
            return ResponseFuture::unguarded(inner.call(Request::from_parts(parts, body)));
        }
        let Some(webhook) = parts.extensions.get::<ValidatedWebhook>() else {
            return ResponseFuture::missing_layer(&parts);
        };
        let key = ReplayKey::of_mac(webhook.mac(), Account::of(webhook));
        let url = webhook.url().to_owned();
        ResponseFuture::claiming(
            key,
            url,
            inner,
            Request::from_parts(parts, body),
            self.config.clone(),
        )
    }
}
