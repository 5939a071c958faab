use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::task::{ready, Context, Poll};
use std::time::Duration;

use bytes::{Bytes, BytesMut};
use http::header::CONTENT_TYPE;
use http::request::Parts;
use http::{HeaderValue, Request, Response, StatusCode};
use http_body::Body;
use pin_project_lite::pin_project;
use tokio::time::{sleep, Sleep};
use tower_service::Service;

use super::body::GuardBody;
use super::config::GuardConfig;
use super::entry::{keepable, mark, Entry, Recorded, ReplayKey};
use super::store::{StoreError, StoreErrorKind, StoreFuture};
use super::verdict::ReplayVerdict;
use crate::validate::response::cut;

pin_project! {
    /// Response future of [`ReplayGuard`](super::ReplayGuard).
    pub struct ResponseFuture<S, ReqBody, ResBody>
    where
        S: Service<Request<ReqBody>, Response = Response<ResBody>>,
        ResBody: Body,
    {
        #[pin]
        state: State<S, ReqBody, ResBody>,
    }
}

type Answer<S, ReqBody, ResBody> =
    Result<Response<GuardBody<ResBody>>, <S as Service<Request<ReqBody>>>::Error>;

pin_project! {
    #[project = StateProj]
    enum State<S, ReqBody, ResBody>
    where
        S: Service<Request<ReqBody>, Response = Response<ResBody>>,
        ResBody: Body,
    {
        // Asking the store whether this signature was seen.
        Claiming {
            claim: Timed<Option<Bytes>>,
            guard: Option<Guard>,
            call: Option<(S, Request<ReqBody>)>,
        },
        // The handler runs; `guard` is `None` when the request is not guarded.
        Calling {
            #[pin]
            future: S::Future,
            guard: Option<Guard>,
        },
        // Reading a 2xx answer to record it.
        Collecting {
            body: Option<Pin<Box<ResBody>>>,
            parts: Option<http::response::Parts>,
            buf: BytesMut,
            guard: Option<Guard>,
        },
        // Recording the answer, or releasing the claim, before answering.
        Settling {
            future: Timed<()>,
            outcome: Option<Answer<S, ReqBody, ResBody>>,
            guard: Option<Guard>,
        },
        Answered {
            response: Option<Response<GuardBody<ResBody>>>,
        },
    }
}

/// What a guarded request carries: its key, its claim's mark, where it was
/// sent (for the log), and what the store must be told if the request's
/// future is dropped before it settled.
struct Guard {
    key: ReplayKey,
    mark: Bytes,
    url: String,
    config: Arc<GuardConfig>,
    on_drop: Option<Settle>,
}

/// How a claim ends.
#[derive(Clone)]
enum Settle {
    /// Forgotten: the handler did not answer with a 2xx, or never ran.
    Release,
    /// Recorded, with this value.
    Record(Bytes),
}

impl Guard {
    fn settle(&self, settle: &Settle) -> StoreFuture<()> {
        settle_in(&self.config, self.key, &self.mark, settle)
    }

    /// Nothing to tell the store any more.
    fn disarm(mut self) -> Self {
        self.on_drop = None;
        self
    }
}

fn settle_in(
    config: &GuardConfig,
    key: ReplayKey,
    mark: &Bytes,
    settle: &Settle,
) -> StoreFuture<()> {
    match settle {
        Settle::Release => config.store.release(key, mark.clone()),
        Settle::Record(value) => {
            config
                .store
                .complete(key, mark.clone(), value.clone(), config.ttl)
        }
    }
}

/// A future dropped before its claim settled (the client went away, an
/// outer timeout fired, the store did not answer) still settles it, on the
/// runtime it ran on: released if the handler never ran, recorded as
/// answered (copies get `409`) once it did, since its effects may have
/// happened. A `MemoryStore` settles at once; another store's call is
/// spawned; recording is tried again, 50 ms after a failure and twice as
/// long after each next one, for as long as the claim's `in_progress_ttl`
/// lasts (a mark that expired before the answer was recorded would let a
/// later copy through). A claim the store failed is released once too, in
/// case it landed after all. Without a runtime the claim lasts its
/// `in_progress_ttl`.
impl Drop for Guard {
    fn drop(&mut self) {
        let Some(settle) = self.on_drop.take() else {
            return;
        };
        let first = self.settle(&settle);
        let Ok(runtime) = tokio::runtime::Handle::try_current() else {
            return;
        };
        let (config, key, mark) = (self.config.clone(), self.key, self.mark.clone());
        runtime.spawn(async move {
            let give_up = tokio::time::Instant::now() + config.in_progress_ttl;
            let mut attempt = Timed::new(first, config.store_timeout);
            let mut pause = Duration::from_millis(50);
            loop {
                if std::future::poll_fn(|cx| attempt.poll(cx)).await.is_ok() {
                    return;
                }
                // A release is tried once: if it fails, the mark expires
                // with its in-progress ttl, and nothing ran twice.
                if matches!(settle, Settle::Release) {
                    return;
                }
                if tokio::time::Instant::now() + pause >= give_up {
                    tracing::warn!(
                        target: "tower_twilio",
                        key = %key,
                        "replay guard could not update its store within the in-progress ttl; \
                         a later copy of this request may reach the handler"
                    );
                    return;
                }
                sleep(pause).await;
                pause *= 2;
                attempt = Timed::new(
                    settle_in(&config, key, &mark, &settle),
                    config.store_timeout,
                );
            }
        });
    }
}

/// A store call bounded by the store timeout; the timer is armed only if
/// the store does not answer at once (a `MemoryStore` always does).
struct Timed<T> {
    future: StoreFuture<T>,
    deadline: Option<Pin<Box<Sleep>>>,
    after: Duration,
}

impl<T> Timed<T> {
    fn new(future: StoreFuture<T>, after: Duration) -> Self {
        Self {
            future,
            deadline: None,
            after,
        }
    }

    fn poll(&mut self, cx: &mut Context<'_>) -> Poll<Result<T, StoreError>> {
        if let Poll::Ready(result) = self.future.as_mut().poll(cx) {
            return Poll::Ready(result);
        }
        let after = self.after;
        let deadline = self.deadline.get_or_insert_with(|| Box::pin(sleep(after)));
        ready!(deadline.as_mut().poll(cx));
        Poll::Ready(Err(StoreError::timeout(after)))
    }
}

impl<S, ReqBody, ResBody> ResponseFuture<S, ReqBody, ResBody>
where
    S: Service<Request<ReqBody>, Response = Response<ResBody>>,
    ResBody: Body,
{
    pub(crate) fn unguarded(future: S::Future) -> Self {
        Self::from(State::Calling {
            future,
            guard: None,
        })
    }

    pub(crate) fn claiming(
        key: ReplayKey,
        url: String,
        inner: S,
        request: Request<ReqBody>,
        config: Arc<GuardConfig>,
    ) -> Self {
        let mark = mark();
        let claim = config
            .store
            .claim(key, mark.clone(), config.in_progress_ttl);
        Self::from(State::Claiming {
            claim: Timed::new(claim, config.store_timeout),
            guard: Some(Guard {
                key,
                mark,
                url,
                config,
                // The claim may land even if its answer never comes.
                on_drop: Some(Settle::Release),
            }),
            call: Some((inner, request)),
        })
    }

    /// A request that no `TwilioValidateLayer` validated: `500`, since the
    /// guard cannot tell one copy from another, and once per process a log
    /// of why.
    pub(crate) fn missing_layer(parts: &Parts) -> Self {
        static LOGGED: AtomicBool = AtomicBool::new(false);
        if !LOGGED.swap(true, Ordering::Relaxed) {
            tracing::error!(
                target: "tower_twilio",
                path = %cut(parts.uri.path()),
                "ReplayGuardLayer got a request that TwilioValidateLayer did not validate: \
                 place it inside a validate layer that checks the signature; answering 500 (logged once)"
            );
        }
        Self::from(State::Answered {
            response: Some(text(
                StatusCode::INTERNAL_SERVER_ERROR,
                "replay guard without TwilioValidateLayer in front\n",
            )),
        })
    }

    fn from(state: State<S, ReqBody, ResBody>) -> Self {
        Self { state }
    }
}

impl<S, ReqBody, ResBody> Future for ResponseFuture<S, ReqBody, ResBody>
where
    S: Service<Request<ReqBody>, Response = Response<ResBody>>,
    ResBody: Body<Data = Bytes>,
{
    type Output = Answer<S, ReqBody, ResBody>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let mut state = self.project().state;
        loop {
            let next = match state.as_mut().project() {
                StateProj::Claiming { claim, guard, call } => {
                    let found = ready!(claim.poll(cx));
                    let guard = guard.take().expect("polled after completion");
                    let (mut inner, request) = call.take().expect("polled after completion");
                    let seen = found.and_then(|v| match v.as_deref().map(Entry::decode) {
                        None => Ok(None),
                        Some(Ok(entry)) => Ok(Some(entry)),
                        Some(Err(_)) => Err(StoreError::new("a value the guard did not write")),
                    });
                    match seen {
                        Ok(None) => {
                            let mut guard = guard;
                            guard.on_drop = Some(Settle::Record(Entry::NotKept.encode()));
                            State::Calling {
                                future: inner.call(request),
                                guard: Some(guard),
                            }
                        }
                        Ok(Some(entry)) => State::Answered {
                            response: Some(duplicate(&guard.disarm(), entry)),
                        },
                        // Refused for this account only, even when failing
                        // open: an unguarded pass is what a flood would buy.
                        Err(error) if error.kind() == StoreErrorKind::AccountOverBudget => {
                            let guard = guard.disarm();
                            refused(&guard, &error, ReplayVerdict::AccountOverBudget)
                        }
                        // A claim that timed out may still land (a paused
                        // Redis runs it when it resumes): dropped armed, the
                        // guard sends its release after it.
                        Err(error) if guard.config.fail_open => {
                            log_store_error(
                                &guard,
                                &error,
                                store_verdict(&error),
                                "letting the request through unguarded",
                            );
                            State::Calling {
                                future: inner.call(request),
                                guard: None,
                            }
                        }
                        Err(error) => {
                            let verdict = store_verdict(&error);
                            refused(&guard, &error, verdict)
                        }
                    }
                }
                StateProj::Calling { future, guard } => {
                    let result = ready!(future.poll(cx));
                    match (result, guard.take()) {
                        (Ok(res), None) => {
                            return Poll::Ready(Ok(
                                res.map(|b| GuardBody::streaming(Bytes::new(), Box::pin(b)))
                            ));
                        }
                        (Err(e), None) => return Poll::Ready(Err(e)),
                        (Ok(res), Some(guard)) if res.status().is_success() => {
                            let (parts, body) = res.into_parts();
                            State::Collecting {
                                body: Some(Box::pin(body)),
                                parts: Some(parts),
                                buf: BytesMut::new(),
                                guard: Some(guard),
                            }
                        }
                        // Not answered: Twilio's retry must reach the handler.
                        (outcome, Some(guard)) => settle(
                            guard,
                            Settle::Release,
                            outcome.map(|res| {
                                res.map(|b| GuardBody::streaming(Bytes::new(), Box::pin(b)))
                            }),
                        ),
                    }
                }
                StateProj::Collecting {
                    body,
                    parts,
                    buf,
                    guard,
                } => {
                    let frame = ready!(body
                        .as_mut()
                        .expect("polled after completion")
                        .as_mut()
                        .poll_frame(cx));
                    let max = guard
                        .as_ref()
                        .expect("polled after completion")
                        .config
                        .max_response_bytes;
                    match frame {
                        // Trailers are not recorded, and not sent.
                        Some(Ok(frame)) => {
                            if let Ok(data) = frame.into_data() {
                                buf.extend_from_slice(&data);
                            }
                            if buf.len() <= max {
                                continue;
                            }
                            let guard = guard.take().expect("polled after completion");
                            let parts = parts.take().expect("polled after completion");
                            let body = body.take().expect("polled after completion");
                            let prefix = std::mem::take(buf).freeze();
                            let response =
                                Response::from_parts(parts, GuardBody::streaming(prefix, body));
                            settle(guard, Settle::Record(Entry::NotKept.encode()), Ok(response))
                        }
                        // The handler ran and answered 2xx: its effects may
                        // have happened, so copies get `409`, as when the
                        // future is dropped.
                        Some(Err(error)) => {
                            let guard = guard.take().expect("polled after completion");
                            let parts = parts.take().expect("polled after completion");
                            let data = std::mem::take(buf).freeze();
                            let response =
                                Response::from_parts(parts, GuardBody::buffered(data, Some(error)));
                            settle(guard, Settle::Record(Entry::NotKept.encode()), Ok(response))
                        }
                        None => {
                            let guard = guard.take().expect("polled after completion");
                            let parts = parts.take().expect("polled after completion");
                            let data = std::mem::take(buf).freeze();
                            let content_type = parts.headers.get(CONTENT_TYPE).cloned();
                            let entry = if keepable(content_type.as_ref()) {
                                Entry::Answered(Recorded {
                                    status: parts.status,
                                    content_type,
                                    body: data.clone(),
                                })
                            } else {
                                Entry::NotKept
                            };
                            let response =
                                Response::from_parts(parts, GuardBody::buffered(data, None));
                            settle(guard, Settle::Record(entry.encode()), Ok(response))
                        }
                    }
                }
                StateProj::Settling {
                    future,
                    outcome,
                    guard,
                } => {
                    match ready!(future.poll(cx)) {
                        Ok(()) => drop(guard.take().map(Guard::disarm)),
                        // Dropped armed: the call is tried once more, spawned.
                        Err(error) => tracing::warn!(
                            target: "tower_twilio",
                            error = %error,
                            "replay guard could not update its store after answering; trying again"
                        ),
                    }
                    return Poll::Ready(outcome.take().expect("polled after completion"));
                }
                StateProj::Answered { response } => {
                    return Poll::Ready(Ok(response.take().expect("polled after completion")));
                }
            };
            state.set(next);
        }
    }
}

/// Ends the claim as `settle` says (recorded or released), then gives the
/// outcome.
fn settle<S, ReqBody, ResBody>(
    mut guard: Guard,
    settle: Settle,
    outcome: Answer<S, ReqBody, ResBody>,
) -> State<S, ReqBody, ResBody>
where
    S: Service<Request<ReqBody>, Response = Response<ResBody>>,
    ResBody: Body,
{
    let future = Timed::new(guard.settle(&settle), guard.config.store_timeout);
    // Armed until the store answers.
    guard.on_drop = Some(settle);
    State::Settling {
        future,
        outcome: Some(outcome),
        guard: Some(guard),
    }
}

/// The answer to a copy of a request seen before, and its one event.
fn duplicate<B: Body>(guard: &Guard, entry: Entry) -> Response<GuardBody<B>> {
    let (verdict, mut response) = match entry {
        Entry::Answered(Recorded {
            status,
            content_type,
            body,
        }) => {
            let mut response = Response::new(GuardBody::buffered(body, None));
            *response.status_mut() = status;
            if let Some(content_type) = content_type {
                response.headers_mut().insert(CONTENT_TYPE, content_type);
            }
            (ReplayVerdict::Replayed, response)
        }
        Entry::InProgress => (
            ReplayVerdict::InProgress,
            text(
                StatusCode::CONFLICT,
                "duplicate webhook: the first copy is still being handled\n",
            ),
        ),
        Entry::NotKept => (
            ReplayVerdict::AnswerNotKept,
            text(
                StatusCode::CONFLICT,
                "duplicate webhook: already answered\n",
            ),
        ),
    };
    if let Some(suppressed) = guard.config.events.admit(verdict) {
        tracing::info!(
            target: "tower_twilio",
            reason = verdict.code(),
            key = %guard.key,
            url = %cut(&guard.url),
            suppressed,
            "{verdict} (with `suppressed` more in the last second, not logged)"
        );
    }
    response.extensions_mut().insert(verdict);
    response
}

/// How the guard names a store's failure.
fn store_verdict(error: &StoreError) -> ReplayVerdict {
    match error.kind() {
        StoreErrorKind::Full => ReplayVerdict::StoreFull,
        StoreErrorKind::AccountOverBudget => ReplayVerdict::AccountOverBudget,
        _ => ReplayVerdict::StoreUnavailable,
    }
}

/// `503` for a request the store could not take, and its event.
fn refused<S, ReqBody, ResBody>(
    guard: &Guard,
    error: &StoreError,
    verdict: ReplayVerdict,
) -> State<S, ReqBody, ResBody>
where
    S: Service<Request<ReqBody>, Response = Response<ResBody>>,
    ResBody: Body,
{
    log_store_error(guard, error, verdict, "answering 503");
    let body = match verdict {
        ReplayVerdict::AccountOverBudget => {
            "replay guard: this account's share of the store is full\n"
        }
        ReplayVerdict::StoreFull => "replay guard: store full\n",
        _ => "replay guard: store unavailable\n",
    };
    let mut response = text(StatusCode::SERVICE_UNAVAILABLE, body);
    response.extensions_mut().insert(verdict);
    State::Answered {
        response: Some(response),
    }
}

fn log_store_error(guard: &Guard, error: &StoreError, verdict: ReplayVerdict, then: &str) {
    if let Some(suppressed) = guard.config.events.admit(verdict) {
        tracing::warn!(
            target: "tower_twilio",
            reason = verdict.code(),
            error = %error,
            url = %cut(&guard.url),
            suppressed,
            "{verdict}: {then} (with `suppressed` more in the last second, not logged)"
        );
    }
}

fn text<B: Body>(status: StatusCode, text: &'static str) -> Response<GuardBody<B>> {
    let mut response = Response::new(GuardBody::buffered(
        Bytes::from_static(text.as_bytes()),
        None,
    ));
    *response.status_mut() = status;
    response.headers_mut().insert(
        CONTENT_TYPE,
        HeaderValue::from_static("text/plain; charset=utf-8"),
    );
    response
}
