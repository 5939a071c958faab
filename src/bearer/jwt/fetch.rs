//! Fetching a JWKS document through the user's own HTTP client, bounded in
//! size and time, and refetched on an unknown `kid` at most once per
//! interval, one fetch at a time.

use std::fmt;
use std::future::{poll_fn, Future};
use std::marker::PhantomData;
use std::pin::Pin;
use std::sync::{Arc, Mutex, RwLock};
use std::time::{Duration, Instant};

use bytes::{Buf, Bytes};
use http::header::ACCEPT;
use http::{HeaderValue, Request, Response, Uri};
use http_body::Body;
use tower_service::Service;

use super::keys::Jwks;
use crate::bearer::BearerError;
use crate::core::error::ConfigError;
use crate::BoxError;

/// The largest JWKS document read: 1 MiB.
pub const MAX_JWKS_BYTES: usize = 1024 * 1024;

/// How long a JWKS fetch may take, answer and body: 10 seconds.
pub const DEFAULT_JWKS_TIMEOUT: Duration = Duration::from_secs(10);

/// The shortest time between two fetches of the JWKS: 30 seconds. A token
/// whose `kid` is unknown fetches the key set again only when the last fetch
/// is older; so a flood of tokens with made-up `kid`s costs at most one fetch
/// per interval.
pub const DEFAULT_MIN_REFETCH_INTERVAL: Duration = Duration::from_secs(30);

type FetchFuture = Pin<Box<dyn Future<Output = Result<Bytes, FetchError>> + Send>>;

/// Fetches a JWKS document from a URL with your own HTTP client, a Tower
/// service (hyper-util's `Client`, or one with TLS, retries and a proxy of
/// your choosing): this crate brings no HTTP client or TLS of its own.
///
/// The keys are fetched on the first token, and again when a token names a
/// `kid` the key set lacks (the authorization server rotated its keys), at
/// most once per [`min_refetch_interval`](Self::min_refetch_interval):
/// concurrent requests share one fetch. A fetch is bounded to
/// [`MAX_JWKS_BYTES`] (or [`max_bytes`](Self::max_bytes)) and
/// [`timeout`](Self::timeout); a failed one keeps the keys fetched before
/// for the tokens they verify, and is tried again after the interval too.
/// Meanwhile a token whose `kid` those keys lack is not judged (`503`, so
/// that Twilio tries again) rather than refused: it may be signed with a
/// key the server has just published. With no keys yet, every token is
/// answered `503`. The fetch runs on the Tokio runtime, so that a
/// request dropped meanwhile does not cancel it.
/// Give it to [`JwtVerifier::with_fetcher`](super::JwtVerifier::with_fetcher).
///
/// ```
/// use hyper_util::client::legacy::{connect::HttpConnector, Client};
/// use hyper_util::rt::TokioExecutor;
/// use tower_twilio::bearer::jwt::JwksFetcher;
///
/// // Use an HTTPS connector (hyper-rustls, hyper-tls) for a real IdP.
/// let client: Client<HttpConnector, String> =
///     Client::builder(TokioExecutor::new()).build_http();
/// let fetcher = JwksFetcher::new(client, "http://127.0.0.1:8080/.well-known/jwks.json");
/// ```
pub struct JwksFetcher {
    fetch: Arc<dyn Fetch>,
    url: Uri,
    max_bytes: usize,
    timeout: Duration,
    min_refetch_interval: Duration,
}

impl fmt::Debug for JwksFetcher {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("JwksFetcher")
            .field("url", &Shown(&self.url))
            .field("max_bytes", &self.max_bytes)
            .field("timeout", &self.timeout)
            .field("min_refetch_interval", &self.min_refetch_interval)
            .finish_non_exhaustive()
    }
}

impl JwksFetcher {
    /// Fetches `url` with `client`, a service taking `http::Request<ReqBody>`
    /// (an empty `GET`, `ReqBody::default()`) and answering
    /// `http::Response` with any body.
    ///
    /// # Panics
    /// When `url` is not an absolute `http` or `https` URL; see
    /// [`try_new`](Self::try_new).
    #[track_caller]
    pub fn new<C, ReqBody, ResBody>(client: C, url: &str) -> Self
    where
        C: Service<Request<ReqBody>, Response = Response<ResBody>> + Clone + Send + 'static,
        C::Future: Send + 'static,
        C::Error: Into<BoxError>,
        ReqBody: Default + Send + 'static,
        ResBody: Body + Send + 'static,
        ResBody::Data: Send,
        ResBody::Error: Into<BoxError>,
    {
        match Self::try_new(client, url) {
            Ok(fetcher) => fetcher,
            Err(e) => panic!("{e}"),
        }
    }

    /// Like [`new`](Self::new), with an error for a URL that is not an
    /// absolute `http` or `https` one.
    pub fn try_new<C, ReqBody, ResBody>(client: C, url: &str) -> Result<Self, ConfigError>
    where
        C: Service<Request<ReqBody>, Response = Response<ResBody>> + Clone + Send + 'static,
        C::Future: Send + 'static,
        C::Error: Into<BoxError>,
        ReqBody: Default + Send + 'static,
        ResBody: Body + Send + 'static,
        ResBody::Data: Send,
        ResBody::Error: Into<BoxError>,
    {
        let url: Uri = url
            .parse()
            .map_err(|_| ConfigError::new("JWKS URL", "is not a URL"))?;
        if !matches!(url.scheme_str(), Some("http" | "https")) || url.authority().is_none() {
            return Err(ConfigError::new("JWKS URL", "must be http(s)://host/path"));
        }
        Ok(Self {
            fetch: Arc::new(ServiceFetch {
                client: Mutex::new(client),
                body: PhantomData,
            }),
            url,
            max_bytes: MAX_JWKS_BYTES,
            timeout: DEFAULT_JWKS_TIMEOUT,
            min_refetch_interval: DEFAULT_MIN_REFETCH_INTERVAL,
        })
    }

    /// The largest document read (default [`MAX_JWKS_BYTES`]).
    #[must_use]
    pub fn max_bytes(mut self, limit: usize) -> Self {
        self.max_bytes = limit;
        self
    }

    /// How long a fetch may take (default [`DEFAULT_JWKS_TIMEOUT`]). Needs a
    /// Tokio runtime with time enabled, as axum has.
    #[must_use]
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// The shortest time between two fetches (default
    /// [`DEFAULT_MIN_REFETCH_INTERVAL`]). `Duration::ZERO` fetches again on
    /// every unknown `kid`, still one fetch at a time: for tests only.
    #[must_use]
    pub fn min_refetch_interval(mut self, interval: Duration) -> Self {
        self.min_refetch_interval = interval;
        self
    }

    /// One fetch, bounded in time and size, parsed.
    async fn fetch(&self) -> Result<Jwks, FetchError> {
        let fetch = self.fetch.fetch(self.url.clone(), self.max_bytes);
        let bytes = tokio::time::timeout(self.timeout, fetch)
            .await
            .map_err(|_| FetchError::Timeout)??;
        Jwks::from_json(&bytes).map_err(|_| FetchError::NotJwks)
    }
}

/// The keys of a [`JwksFetcher`], as last fetched.
pub(super) struct RemoteKeys {
    shared: Arc<Shared>,
}

struct Shared {
    fetcher: JwksFetcher,
    /// The keys and how many fetches have stored keys.
    keys: RwLock<(Option<Jwks>, u64)>,
    /// The last fetch; held across it, so fetches are one at a time and
    /// the requests waiting share its result.
    last_fetch: Arc<tokio::sync::Mutex<Option<LastFetch>>>,
}

struct LastFetch {
    started: Instant,
    failed: bool,
}

impl fmt::Debug for RemoteKeys {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RemoteKeys")
            .field("fetcher", &self.shared.fetcher)
            .field("keys", &self.shared.snapshot().0)
            .finish_non_exhaustive()
    }
}

impl RemoteKeys {
    pub(super) fn new(fetcher: JwksFetcher) -> Self {
        Self {
            shared: Arc::new(Shared {
                fetcher,
                keys: RwLock::new((None, 0)),
                last_fetch: Arc::new(tokio::sync::Mutex::new(None)),
            }),
        }
    }

    /// A key set to look the token's key up in: the one held if `has_key`
    /// finds it there, else the one fetched since (by this request or, while
    /// it waited, another), else the one held.
    ///
    /// The fetch runs on the Tokio runtime, holding the lock: a request
    /// dropped while it waits (its client gone) does not cancel the fetch
    /// that the others wait for, nor leave the interval spent on nothing.
    pub(super) async fn jwks(&self, has_key: impl Fn(&Jwks) -> bool) -> Result<Jwks, BearerError> {
        let shared = &self.shared;
        let (held, generation) = shared.snapshot();
        if let Some(jwks) = held.as_ref().filter(|jwks| has_key(jwks)) {
            return Ok(jwks.clone());
        }
        let mut last_fetch = shared.last_fetch.clone().lock_owned().await;
        let (now_held, now_generation) = shared.snapshot();
        let fetched_meanwhile = now_generation != generation;
        let interval = shared.fetcher.min_refetch_interval;
        let too_soon = last_fetch
            .as_ref()
            .filter(|last| last.started.elapsed() < interval);
        match too_soon {
            _ if fetched_meanwhile => return now_held.ok_or(BearerError::JwksUnavailable),
            // The key source is failing: a key it may hold by now cannot be
            // ruled out, so the token is not judged (503), not refused.
            Some(last) if last.failed => return Err(BearerError::JwksUnavailable),
            Some(_) => return now_held.ok_or(BearerError::JwksUnavailable),
            None => {}
        }
        *last_fetch = Some(LastFetch {
            started: Instant::now(),
            failed: false,
        });
        let task = tokio::spawn({
            let shared = shared.clone();
            async move {
                let stored = shared.fetch_and_store().await;
                if let Some(last) = last_fetch.as_mut() {
                    last.failed = stored.is_none();
                }
                drop(last_fetch);
                stored
            }
        });
        match task.await {
            Ok(Some(jwks)) => Ok(jwks),
            // Failed (or the client panicked): the keys held before do not
            // have the token's key, and the ones now published could not
            // be had.
            Ok(None) | Err(_) => Err(BearerError::JwksUnavailable),
        }
    }
}

impl Shared {
    fn snapshot(&self) -> (Option<Jwks>, u64) {
        self.keys.read().unwrap_or_else(|e| e.into_inner()).clone()
    }

    /// One fetch; its keys stored, or the failure logged.
    async fn fetch_and_store(&self) -> Option<Jwks> {
        match self.fetcher.fetch().await {
            Ok(jwks) => {
                let mut keys = self.keys.write().unwrap_or_else(|e| e.into_inner());
                *keys = (Some(jwks.clone()), keys.1 + 1);
                Some(jwks)
            }
            Err(error) => {
                tracing::warn!(
                    target: "tower_twilio",
                    url = %Shown(&self.fetcher.url),
                    %error,
                    "the JWKS could not be fetched; the keys fetched before are kept"
                );
                None
            }
        }
    }
}

/// A URL as logged: scheme, authority and path, not the query (which may
/// carry a key).
struct Shown<'a>(&'a Uri);

impl fmt::Display for Shown<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let uri = self.0;
        let scheme = uri.scheme_str().unwrap_or("");
        let authority = uri.authority().map_or("", |a| a.as_str());
        // Userinfo, if any, is not shown either.
        let host = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
        write!(f, "{scheme}://{host}{}", uri.path())
    }
}

impl fmt::Debug for Shown<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "\"{self}\"")
    }
}

/// Why a fetch failed, for the log.
#[derive(Debug)]
enum FetchError {
    Client(BoxError),
    Status(http::StatusCode),
    TooLarge,
    Body(BoxError),
    Timeout,
    NotJwks,
}

impl fmt::Display for FetchError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Client(e) => write!(f, "the HTTP client failed: {e}"),
            Self::Status(status) => write!(f, "the answer's status is {status}"),
            Self::TooLarge => f.write_str("the document is over the limit"),
            Self::Body(e) => write!(f, "the body could not be read: {e}"),
            Self::Timeout => f.write_str("the fetch timed out"),
            Self::NotJwks => f.write_str("the document is not a JWKS with a usable key"),
        }
    }
}

/// The client, with its types erased.
trait Fetch: Send + Sync {
    fn fetch(&self, url: Uri, max_bytes: usize) -> FetchFuture;
}

struct ServiceFetch<C, ReqBody> {
    // A mutex, so that the client need not be `Sync`: it is only cloned.
    client: Mutex<C>,
    body: PhantomData<fn() -> ReqBody>,
}

impl<C, ReqBody, ResBody> Fetch for ServiceFetch<C, ReqBody>
where
    C: Service<Request<ReqBody>, Response = Response<ResBody>> + Clone + Send + 'static,
    C::Future: Send + 'static,
    C::Error: Into<BoxError>,
    ReqBody: Default + Send + 'static,
    ResBody: Body + Send + 'static,
    ResBody::Data: Send,
    ResBody::Error: Into<BoxError>,
{
    fn fetch(&self, url: Uri, max_bytes: usize) -> FetchFuture {
        let mut client = self
            .client
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone();
        Box::pin(async move {
            let mut request = Request::new(ReqBody::default());
            *request.uri_mut() = url;
            request
                .headers_mut()
                .insert(ACCEPT, HeaderValue::from_static("application/json"));
            poll_fn(|cx| client.poll_ready(cx))
                .await
                .map_err(|e| FetchError::Client(e.into()))?;
            let response = client
                .call(request)
                .await
                .map_err(|e| FetchError::Client(e.into()))?;
            if !response.status().is_success() {
                return Err(FetchError::Status(response.status()));
            }
            read_bounded(response.into_body(), max_bytes).await
        })
    }
}

/// The body's bytes, up to `max_bytes`; more is an error, before it is read.
async fn read_bounded<B>(body: B, max_bytes: usize) -> Result<Bytes, FetchError>
where
    B: Body,
    B::Error: Into<BoxError>,
{
    if body.size_hint().lower() > max_bytes as u64 {
        return Err(FetchError::TooLarge);
    }
    let mut body = std::pin::pin!(body);
    let mut buf = Vec::new();
    while let Some(frame) = poll_fn(|cx| body.as_mut().poll_frame(cx)).await {
        let frame = frame.map_err(|e| FetchError::Body(e.into()))?;
        if let Ok(mut data) = frame.into_data() {
            if buf.len() + data.remaining() > max_bytes {
                return Err(FetchError::TooLarge);
            }
            while data.has_remaining() {
                let chunk = data.chunk();
                buf.extend_from_slice(chunk);
                let n = chunk.len();
                data.advance(n);
            }
        }
    }
    Ok(buf.into())
}
