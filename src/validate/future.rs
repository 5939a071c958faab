use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{ready, Context, Poll};

use bytes::{Buf, Bytes, BytesMut};
use http::header::{HeaderValue, CONTENT_TYPE, WWW_AUTHENTICATE};
use http::request::Parts;
use http::{Request, Response, StatusCode};
use http_body::Body;
use pin_project_lite::pin_project;
use tokio::time::{sleep, Sleep};
use tower_service::Service;

use super::body::ResponseBody;
use super::layer::Config;
use super::service::{check, log_rejection, Refusal};
use crate::rejection::Rejection;

pin_project! {
    /// Response future of [`TwilioValidate`](super::TwilioValidate).
    pub struct ResponseFuture<S, B>
    where
        S: Service<Request<B>>,
    {
        #[pin]
        state: State<S, B>,
    }
}

pin_project! {
    #[project = StateProj]
    enum State<S, B>
    where
        S: Service<Request<B>>,
    {
        Buffering {
            #[pin]
            body: B,
            parts: Option<Parts>,
            url: String,
            buf: BytesMut,
            inner: Option<S>,
            config: Arc<Config>,
            // Armed the first time the body is not ready, so a body that is
            // already buffered costs no timer.
            deadline: Option<Pin<Box<Sleep>>>,
        },
        Calling {
            #[pin]
            future: S::Future,
        },
        Rejected {
            refusal: Option<Refusal>,
        },
    }
}

impl<S, B> ResponseFuture<S, B>
where
    S: Service<Request<B>>,
{
    pub(crate) fn rejected(refusal: Refusal) -> Self {
        Self {
            state: State::Rejected {
                refusal: Some(refusal),
            },
        }
    }

    pub(crate) fn buffering(
        parts: Parts,
        body: B,
        url: String,
        inner: S,
        config: Arc<Config>,
    ) -> Self
    where
        B: Body,
    {
        // Reserve what the body announces, never more than the limit.
        let capacity = body.size_hint().lower().min(config.max_body_bytes as u64) as usize;
        Self {
            state: State::Buffering {
                body,
                parts: Some(parts),
                url,
                buf: BytesMut::with_capacity(capacity),
                inner: Some(inner),
                config,
                deadline: None,
            },
        }
    }
}

impl<S, B, ResBody> Future for ResponseFuture<S, B>
where
    S: Service<Request<B>, Response = Response<ResBody>>,
    B: Body + From<Bytes>,
{
    type Output = Result<Response<ResponseBody<ResBody>>, S::Error>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let mut state = self.project().state;
        loop {
            let next = match state.as_mut().project() {
                StateProj::Calling { future } => {
                    return future.poll(cx).map_ok(|res| res.map(ResponseBody::new));
                }
                StateProj::Rejected { refusal } => {
                    let refusal = refusal.take().expect("polled after completion");
                    return Poll::Ready(Ok(rejection_response(refusal)));
                }
                StateProj::Buffering {
                    mut body,
                    parts,
                    url,
                    buf,
                    inner,
                    config,
                    deadline,
                } => {
                    let read = loop {
                        let frame = match body.as_mut().poll_frame(cx) {
                            Poll::Ready(frame) => frame,
                            Poll::Pending => {
                                let Some(timeout) = config.body_read_timeout else {
                                    return Poll::Pending;
                                };
                                let sleep =
                                    deadline.get_or_insert_with(|| Box::pin(sleep(timeout)));
                                ready!(sleep.as_mut().poll(cx));
                                break Err(Rejection::BodyTimeout);
                            }
                        };
                        match frame {
                            None => break Ok(()),
                            Some(Err(_)) => break Err(Rejection::BodyError),
                            Some(Ok(frame)) => {
                                let Ok(mut data) = frame.into_data() else {
                                    continue; // trailers are not signed
                                };
                                if buf.len() + data.remaining() > config.max_body_bytes {
                                    break Err(Rejection::BodyTooLarge);
                                }
                                while data.has_remaining() {
                                    let chunk = data.chunk();
                                    let n = chunk.len();
                                    buf.extend_from_slice(chunk);
                                    data.advance(n);
                                }
                            }
                        }
                    };
                    let parts = parts.take().expect("polled after completion");
                    let bytes = std::mem::take(buf).freeze();
                    let url = std::mem::take(url);
                    match read.and_then(|()| check(config, &parts, url, &bytes)) {
                        Ok(webhook) => {
                            let mut req = Request::from_parts(parts, B::from(bytes));
                            req.extensions_mut().insert(webhook);
                            let mut inner = inner.take().expect("polled after completion");
                            State::Calling {
                                future: inner.call(req),
                            }
                        }
                        Err(rejection) => {
                            let refusal = Refusal::from(rejection);
                            if matches!(
                                rejection,
                                Rejection::BodyError
                                    | Rejection::BodyTooLarge
                                    | Rejection::BodyTimeout
                            ) {
                                log_rejection(&refusal, None, false);
                            }
                            State::Rejected {
                                refusal: Some(refusal),
                            }
                        }
                    }
                }
            };
            state.set(next);
        }
    }
}

/// The status for a rejection: 413 for a body over the limit, 400 for a body
/// that could not be read or a request without a host, 408 for a body that
/// stalled, 401 for failed HTTP
/// authentication, 403 for everything about the signature.
pub(crate) fn status(rejection: Rejection) -> StatusCode {
    match rejection {
        Rejection::BodyTooLarge => StatusCode::PAYLOAD_TOO_LARGE,
        Rejection::BodyError | Rejection::MissingHost => StatusCode::BAD_REQUEST,
        Rejection::BodyTimeout => StatusCode::REQUEST_TIMEOUT,
        Rejection::Unauthenticated => StatusCode::UNAUTHORIZED,
        _ => StatusCode::FORBIDDEN,
    }
}

/// A short `text/plain` answer with the typed reason in its extensions, and
/// for a `401` the `WWW-Authenticate` challenges and the [`AuthFailure`].
///
/// [`AuthFailure`]: crate::auth::AuthFailure
fn rejection_response<B>(refusal: Refusal) -> Response<ResponseBody<B>> {
    let Refusal {
        rejection,
        challenge,
    } = refusal;
    let text = match &challenge {
        Some(challenge) => format!("{rejection}: {}\n", challenge.reason()),
        None => format!("{rejection}\n"),
    };
    let mut res = Response::new(ResponseBody::text(Bytes::from(text)));
    *res.status_mut() = status(rejection);
    let headers = res.headers_mut();
    headers.insert(
        CONTENT_TYPE,
        HeaderValue::from_static("text/plain; charset=utf-8"),
    );
    if let Some(challenge) = challenge {
        for value in challenge.www_authenticate() {
            if let Ok(value) = HeaderValue::from_str(value) {
                headers.append(WWW_AUTHENTICATE, value);
            }
        }
        res.extensions_mut().insert(challenge.reason());
    }
    res.extensions_mut().insert(rejection);
    res
}
