use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{ready, Context, Poll};
use std::time::Duration;

use bytes::{Buf, Bytes, BytesMut};
use http::request::Parts;
use http::{Request, Response};
use http_body::Body;
use pin_project_lite::pin_project;
use tokio::time::{sleep, Sleep};
use tower_service::Service;

use super::bearer::accept;
use super::body::{ResponseBody, ValidatedBody};
use super::config::{Config, Keys};
use super::diagnosis::{diagnose, diagnose_unknown_shared_key};
#[cfg(feature = "http-auth")]
use super::http_auth::counted;
use super::resolver::ResolveFuture;
use super::response::{rejection_response, Refusal};
use super::verdict::{account_sid, check, signed_fields, Asking, ReadLimit, Shape};
use crate::bearer::BearerError;
use crate::core::fields::FormFields;
use crate::core::validator::RequestValidator;
use crate::validate::rejection::Rejection;
use crate::BoxError;

/// The most reserved for a body before its bytes arrive: Twilio's form
/// webhooks are a few KiB, and a larger body grows the buffer as it comes.
const INITIAL_CAPACITY: usize = 64 * 1024;

pin_project! {
    /// Response future of [`TwilioValidate`](super::TwilioValidate).
    pub struct ResponseFuture<S, B>
    where
        S: Service<Request<ValidatedBody>>,
    {
        #[pin]
        state: State<S, B>,
    }
}

pin_project! {
    #[project = StateProj]
    enum State<S, B>
    where
        S: Service<Request<ValidatedBody>>,
    {
        // Asking the `BearerVerifier` about the token, within the bearer
        // timeout; the body is not read before it is accepted.
        Authenticating {
            future: Asking,
            // Armed the first time the verifier is not ready, as the body's.
            deadline: Option<Pin<Box<Sleep>>>,
            pending: Option<(Pending<S>, B)>,
        },
        // Reading the body, within the limit and the read timeout.
        Buffering {
            #[pin]
            body: B,
            pending: Option<Pending<S>>,
            buf: BytesMut,
            // Armed the first time the body is not ready, so a body that is
            // already buffered costs no timer.
            deadline: Option<Pin<Box<Sleep>>>,
        },
        // Asking the `KeyResolver` for the account's keys.
        Resolving {
            future: ResolveFuture,
            pending: Option<(Pending<S>, Read)>,
        },
        // Validated: driving the request's clone of the inner service to
        // readiness, which it was not asked for before.
        NotReady {
            inner: S,
            request: Option<Request<ValidatedBody>>,
        },
        Calling {
            #[pin]
            future: S::Future,
        },
        Rejected {
            response: Option<Response<Bytes>>,
        },
    }
}

/// A body read, and its form fields decoded once.
struct Read {
    bytes: Bytes,
    fields: FormFields,
}

/// What a request carries from one state to the next.
struct Pending<S> {
    parts: Parts,
    url: String,
    /// The most of the body read, and what a longer one is.
    limit: ReadLimit,
    shape: Shape,
    inner: S,
    config: Arc<Config>,
    /// The account whose keys the resolver is asked for.
    account_sid: Option<String>,
}

impl<S, B> ResponseFuture<S, B>
where
    S: Service<Request<ValidatedBody>>,
{
    pub(crate) fn rejected(refusal: Refusal, config: &Config) -> Self {
        Self {
            state: State::Rejected {
                response: Some(rejection_response(refusal, config)),
            },
        }
    }

    /// `(url, limit, shape, inner)`: the URL the signature is checked
    /// against, the most of the body read, what the rules ask of the
    /// method and headers, the request's clone of the inner service.
    pub(crate) fn authenticating(
        future: Asking,
        parts: Parts,
        body: B,
        pending: (String, ReadLimit, Shape, S),
        config: Arc<Config>,
    ) -> Self {
        Self {
            state: State::Authenticating {
                future,
                deadline: None,
                pending: Some((Pending::new(parts, pending, config), body)),
            },
        }
    }

    /// As [`authenticating`](Self::authenticating), with no token to verify.
    pub(crate) fn buffering(
        parts: Parts,
        body: B,
        pending: (String, ReadLimit, Shape, S),
        config: Arc<Config>,
    ) -> Self
    where
        B: Body,
    {
        Self {
            state: State::buffering(Pending::new(parts, pending, config), body),
        }
    }
}

impl<S> Pending<S> {
    fn new(
        parts: Parts,
        (url, limit, shape, inner): (String, ReadLimit, Shape, S),
        config: Arc<Config>,
    ) -> Self {
        Self {
            parts,
            url,
            limit,
            shape,
            inner,
            config,
            account_sid: None,
        }
    }
}

impl<S, B> State<S, B>
where
    S: Service<Request<ValidatedBody>>,
{
    fn buffering(pending: Pending<S>, body: B) -> Self
    where
        B: Body,
    {
        // Reserve what the body announces, up to a first slice of the limit:
        // the rest only as it arrives, so a `Content-Length` alone holds
        // no more than `INITIAL_CAPACITY` per connection.
        let limit = pending.limit.bytes.min(INITIAL_CAPACITY) as u64;
        let capacity = body.size_hint().lower().min(limit) as usize;
        State::Buffering {
            body,
            buf: BytesMut::with_capacity(capacity),
            pending: Some(pending),
            deadline: None,
        }
    }
}

impl<S, B, ResBody> Future for ResponseFuture<S, B>
where
    S: Service<Request<ValidatedBody>, Response = Response<ResBody>>,
    B: Body,
    B::Error: Into<BoxError>,
{
    type Output = Result<Response<ResponseBody<ResBody>>, S::Error>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let mut state = self.project().state;
        loop {
            let next = match state.as_mut().project() {
                StateProj::Calling { future } => {
                    return future.poll(cx).map_ok(|res| res.map(ResponseBody::new));
                }
                StateProj::NotReady { inner, request } => {
                    ready!(inner.poll_ready(cx))?;
                    let request = request.take().expect("polled after completion");
                    State::Calling {
                        future: inner.call(request),
                    }
                }
                StateProj::Rejected { response } => {
                    let response = response.take().expect("polled after completion");
                    return Poll::Ready(Ok(response.map(ResponseBody::text)));
                }
                StateProj::Authenticating {
                    future,
                    deadline,
                    pending,
                } => {
                    let (pending_mut, _) = pending.as_mut().expect("polled after completion");
                    let verdict = ready!(poll_asking(future, deadline, pending_mut, cx));
                    let (pending, body) = pending.take().expect("polled after completion");
                    match verdict {
                        Ok(()) => State::buffering(pending, body),
                        Err(refusal) => reject(refusal, &pending.config),
                    }
                }
                StateProj::Buffering {
                    body,
                    pending,
                    buf,
                    deadline,
                } => {
                    let pending_ref = pending.as_ref().expect("polled after completion");
                    let (limit, timeout) =
                        (pending_ref.limit, pending_ref.config.body_read_timeout);
                    let read = ready!(poll_body(body, buf, deadline, limit, timeout, cx));
                    let pending = pending.take().expect("polled after completion");
                    // The buffer is handed on or dropped here, never kept.
                    let bytes = std::mem::take(buf).freeze();
                    match read {
                        Err(rejection) => refuse(pending, rejection),
                        Ok(()) if pending.config.skip_signature => unsigned(pending, bytes),
                        Ok(()) => fields_read(pending, bytes),
                    }
                }
                StateProj::Resolving { future, pending } => {
                    let resolved = ready!(future.as_mut().poll(cx));
                    let (pending, read) = pending.take().expect("polled after completion");
                    match resolved {
                        Some(validator) => finish(pending, read, Some(&validator)),
                        None => finish(pending, read, None),
                    }
                }
            };
            state.set(next);
        }
    }
}

/// What the authentication waited for: the bearer verifier's verdict,
/// within `bearer_timeout` (the claims of an accepted token go into the
/// request's extensions), or the shared store's claim of a Digest nonce
/// count, within the store's own timeout.
fn poll_asking<S>(
    asking: &mut Asking,
    deadline: &mut Option<Pin<Box<Sleep>>>,
    pending: &mut Pending<S>,
    cx: &mut Context<'_>,
) -> Poll<Result<(), Refusal>> {
    match asking {
        Asking::Bearer(future) => {
            let verdict = match future.as_mut().poll(cx) {
                Poll::Ready(verdict) => verdict,
                Poll::Pending => {
                    let timeout = pending.config.bearer_timeout;
                    let timer = deadline.get_or_insert_with(|| Box::pin(sleep(timeout)));
                    ready!(timer.as_mut().poll(cx));
                    Err(BearerError::VerifierTimeout)
                }
            };
            Poll::Ready(accept(verdict, &mut pending.parts))
        }
        #[cfg(feature = "http-auth")]
        Asking::NonceCount(claim) => {
            let claimed = ready!(claim.as_mut().poll(cx));
            let auth = pending
                .config
                .auth
                .as_ref()
                .expect("a claim needs http_auth");
            Poll::Ready(counted(claimed, auth))
        }
    }
}

/// The body is read: its fields decoded, then its signature checked, or
/// its account's keys asked for first.
fn fields_read<S, B>(pending: Pending<S>, bytes: Bytes) -> State<S, B>
where
    S: Service<Request<ValidatedBody>>,
{
    let fields = match signed_fields(&pending.parts, pending.shape, &bytes) {
        Ok(fields) => fields,
        Err(rejection) => return refuse(pending, rejection),
    };
    let read = Read { bytes, fields };
    match &pending.config.keys {
        Keys::Static(validator) => {
            let validator = validator.clone();
            finish(pending, read, Some(&validator))
        }
        Keys::Resolver(resolver) => match account_sid(&pending.parts, &read.fields) {
            Ok(sid) => {
                let future = resolver.resolve(&sid);
                let mut pending = pending;
                pending.account_sid = Some(sid);
                State::Resolving {
                    future,
                    pending: Some((pending, read)),
                }
            }
            Err(rejection) => refuse(pending, rejection),
        },
    }
}

/// With `dangerously_skip_signature_with_bearer_only`: the body is read
/// and the token was accepted; nothing signed the request, so it carries no
/// `ValidatedWebhook`.
fn unsigned<S, B>(pending: Pending<S>, bytes: Bytes) -> State<S, B>
where
    S: Service<Request<ValidatedBody>>,
{
    State::NotReady {
        inner: pending.inner,
        request: Some(Request::from_parts(
            pending.parts,
            ValidatedBody::from(bytes),
        )),
    }
}

/// Reads the body into `buf` until its end, `limit`, an error or the
/// read timeout.
fn poll_body<B>(
    mut body: Pin<&mut B>,
    buf: &mut BytesMut,
    deadline: &mut Option<Pin<Box<Sleep>>>,
    limit: ReadLimit,
    read_timeout: Option<Duration>,
    cx: &mut Context<'_>,
) -> Poll<Result<(), Rejection>>
where
    B: Body,
    B::Error: Into<BoxError>,
{
    loop {
        let frame = match body.as_mut().poll_frame(cx) {
            Poll::Ready(frame) => frame,
            Poll::Pending => {
                let Some(timeout) = read_timeout else {
                    return Poll::Pending;
                };
                let timer = deadline.get_or_insert_with(|| Box::pin(sleep(timeout)));
                ready!(timer.as_mut().poll(cx));
                return Poll::Ready(Err(Rejection::BodyTimeout));
            }
        };
        match frame {
            None => return Poll::Ready(Ok(())),
            Some(Err(e)) => {
                let error: BoxError = e.into();
                return Poll::Ready(Err(body_failure(&*error)));
            }
            Some(Ok(frame)) => {
                let Ok(mut data) = frame.into_data() else {
                    continue; // trailers are not signed
                };
                let needed = buf.len() + data.remaining();
                if needed > limit.bytes {
                    return Poll::Ready(Err(limit.past));
                }
                grow(buf, needed, limit.bytes);
                while data.has_remaining() {
                    let chunk = data.chunk();
                    let n = chunk.len();
                    buf.extend_from_slice(chunk);
                    data.advance(n);
                }
            }
        }
    }
}

/// Makes room in `buf` for `needed` bytes: at least double its capacity,
/// so that a body arriving in small frames is copied `O(log n)` times, but
/// never past `limit`, which `BytesMut`'s own doubling would pass (a
/// connection then holds at most `limit` bytes of body).
fn grow(buf: &mut BytesMut, needed: usize, limit: usize) {
    if needed <= buf.capacity() {
        return;
    }
    let capacity = needed.max(buf.capacity().saturating_mul(2)).min(limit);
    let mut grown = BytesMut::with_capacity(capacity);
    grown.extend_from_slice(buf);
    *buf = grown;
}

/// Why a body failed while it was read. A body cut short by a limit
/// outside the layer is too large (`413`), as it is here: http-body-util's
/// `LengthLimitError`, which tower-http's `RequestBodyLimitLayer` and
/// axum's `DefaultBodyLimit` end a body with. A body stopped by a timeout
/// outside did not arrive in time (`408`), as with the layer's own
/// `body_read_timeout`: tower-http's `TimeoutError`, which its
/// `RequestBodyTimeoutLayer` and (0.7) `RequestBodyDeadlineLayer` end a
/// body with. Any other error is `400`. A router between them (axum's)
/// wraps the error in its own, so the whole chain of sources is asked.
///
/// The errors are told by their `Display` rather than by their types,
/// which keeps http-body-util and tower-http out of the crate's
/// dependencies; `tests/it/compose.rs` and `tests/it/hyper.rs` hold this
/// to the real errors of tower-http 0.6 and 0.7.
fn body_failure(error: &(dyn std::error::Error + 'static)) -> Rejection {
    for e in std::iter::successors(Some(error), |e| e.source()) {
        // Only a body that failed gets here: the allocation is off the hot
        // path.
        match e.to_string().as_str() {
            "length limit exceeded" => return Rejection::BodyTooLarge,
            "data was not received within the designated timeout" => return Rejection::BodyTimeout,
            _ => {}
        }
    }
    Rejection::BodyError
}

/// Checks the signature; then waits for the inner service, or refuses.
fn finish<S, B>(
    pending: Pending<S>,
    read: Read,
    validator: Option<&RequestValidator>,
) -> State<S, B>
where
    S: Service<Request<ValidatedBody>>,
{
    let Pending {
        parts,
        url,
        limit: _,
        shape,
        inner,
        config,
        account_sid,
    } = pending;
    let Read { bytes, fields } = read;
    match check(validator, &parts, shape, &url, &bytes, fields) {
        Ok(webhook) => {
            let mut req = Request::from_parts(parts, ValidatedBody::from(bytes));
            req.extensions_mut()
                .insert(webhook.with_account_sid(account_sid));
            State::NotReady {
                inner,
                request: Some(req),
            }
        }
        Err(rejection) => {
            let hint = match validator {
                Some(validator) if rejection == Rejection::BadSignature => {
                    diagnose(&config, validator, &parts, shape, &url, &bytes)
                }
                Some(validator) if rejection == Rejection::UnknownSharedKey => {
                    diagnose_unknown_shared_key(&config, validator, &parts)
                }
                _ => None,
            };
            let mut refusal = Refusal::of(rejection, url, shape.websocket);
            refusal.hint = hint;
            reject(refusal, &config)
        }
    }
}

/// Refuses a request before its signature is checked: its body could not
/// be read or decoded, or it names no account, or accounts that disagree.
fn refuse<S, B>(pending: Pending<S>, rejection: Rejection) -> State<S, B>
where
    S: Service<Request<ValidatedBody>>,
{
    reject(
        Refusal::of(rejection, pending.url, pending.shape.websocket),
        &pending.config,
    )
}

fn reject<S, B>(refusal: Refusal, config: &Config) -> State<S, B>
where
    S: Service<Request<ValidatedBody>>,
{
    State::Rejected {
        response: Some(rejection_response(refusal, config)),
    }
}
