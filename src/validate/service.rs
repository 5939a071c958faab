use std::sync::Arc;
use std::task::{Context, Poll};

use http::{Request, Response};
use http_body::Body;
use tower_service::Service;

use super::body::{ResponseBody, ValidatedBody};
use super::config::Config;
use super::future::ResponseFuture;
use super::verdict::{precheck, Prechecked};
use crate::BoxError;

/// Middleware that validates Twilio's signature; made by [`TwilioValidateLayer`].
///
/// It takes requests with any body (`B: http_body::Body`, as axum, hyper
/// and tower-http's layers give) and calls the inner service with the
/// buffered [`ValidatedBody`].
///
/// # Readiness
///
/// [`poll_ready`](Service::poll_ready) is ready at once and never touches
/// the inner service: it applies no back-pressure from the inner service
/// before a request's body is read. Each call takes its own clone of the
/// inner service; the request's body is read and its signature checked,
/// and only then is that clone driven to readiness and called. So the inner
/// service's back-pressure (a `ConcurrencyLimit`, a `Buffer`, a rate limit)
/// applies to validated requests only, a client that trickles or stalls its
/// body holds none of the inner service's capacity meanwhile (the layer's
/// own bounds on it are the body limit and the read timeout), and a
/// refused request never asks the inner service to be ready.
///
/// Layers outside this one see it as always ready: a `LoadShed` outside
/// never sheds. Put such layers inside, where they see validated requests,
/// and bound the number of connections at the server.
///
/// [`TwilioValidateLayer`]: super::TwilioValidateLayer
#[derive(Clone)]
pub struct TwilioValidate<S> {
    inner: S,
    config: Arc<Config>,
}

impl<S> std::fmt::Debug for TwilioValidate<S> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TwilioValidate")
            .field("config", &self.config)
            .finish_non_exhaustive()
    }
}

impl<S> TwilioValidate<S> {
    pub(crate) fn new(inner: S, config: Arc<Config>) -> Self {
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

impl<S, B, ResBody> Service<Request<B>> for TwilioValidate<S>
where
    S: Service<Request<ValidatedBody>, Response = Response<ResBody>> + Clone,
    B: Body,
    B::Error: Into<BoxError>,
{
    type Response = Response<ResponseBody<ResBody>>;
    type Error = S::Error;
    type Future = ResponseFuture<S, B>;

    /// Always ready; the inner service's readiness is awaited per request,
    /// once its body is read and its signature checked (see
    /// [Readiness](TwilioValidate#readiness)).
    fn poll_ready(&mut self, _: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, req: Request<B>) -> Self::Future {
        let (mut parts, body) = req.into_parts();
        let config = self.config.clone();
        match precheck(&config, &mut parts, &body) {
            Err(refusal) => ResponseFuture::rejected(refusal, &config),
            // A clone of the inner service goes into the future, which
            // drives it to readiness once the request is validated.
            Ok(Prechecked {
                url,
                asking,
                limit,
                shape,
            }) => {
                let inner = self.inner.clone();
                let pending = (url, limit, shape, inner);
                match asking {
                    Some(future) => {
                        ResponseFuture::authenticating(future, parts, body, pending, config)
                    }
                    None => ResponseFuture::buffering(parts, body, pending, config),
                }
            }
        }
    }
}
