use std::convert::Infallible;
use std::pin::Pin;
use std::task::{Context, Poll};

use bytes::Bytes;
use http_body::{Body, Frame, SizeHint};
use pin_project_lite::pin_project;

/// Request body the inner service gets: the body the layer read and
/// validated, in one buffer. Its trailers, which no signature covers, are
/// not kept.
///
/// It is the inner service's body type whatever body the layer was given
/// (axum's, hyper's `Incoming`, tower-http's `Limited`...), so a stack's
/// inner services do not depend on what is outside the layer.
#[derive(Clone, Debug, Default)]
pub struct ValidatedBody {
    data: Option<Bytes>,
}

impl ValidatedBody {
    /// The body's bytes.
    pub fn bytes(&self) -> &Bytes {
        static EMPTY: Bytes = Bytes::new();
        self.data.as_ref().unwrap_or(&EMPTY)
    }
}

impl From<Bytes> for ValidatedBody {
    fn from(bytes: Bytes) -> Self {
        Self {
            data: (!bytes.is_empty()).then_some(bytes),
        }
    }
}

impl Body for ValidatedBody {
    type Data = Bytes;
    type Error = Infallible;

    fn poll_frame(
        self: Pin<&mut Self>,
        _: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Infallible>>> {
        Poll::Ready(self.get_mut().data.take().map(|d| Ok(Frame::data(d))))
    }

    fn is_end_stream(&self) -> bool {
        self.data.is_none()
    }

    fn size_hint(&self) -> SizeHint {
        SizeHint::with_exact(self.data.as_ref().map_or(0, |d| d.len() as u64))
    }
}

pin_project! {
    /// Response body of [`TwilioValidate`](super::TwilioValidate): the inner
    /// service's body, or the short text of a rejection.
    pub struct ResponseBody<B> {
        #[pin]
        inner: Inner<B>,
    }
}

pin_project! {
    #[project = InnerProj]
    enum Inner<B> {
        Body { #[pin] body: B },
        Text { text: Option<Bytes> },
    }
}

impl<B> ResponseBody<B> {
    pub(crate) fn new(body: B) -> Self {
        Self {
            inner: Inner::Body { body },
        }
    }

    pub(crate) fn text(text: Bytes) -> Self {
        Self {
            inner: Inner::Text {
                text: (!text.is_empty()).then_some(text),
            },
        }
    }
}

impl<B: Body<Data = Bytes>> Body for ResponseBody<B> {
    type Data = Bytes;
    type Error = B::Error;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Self::Error>>> {
        match self.project().inner.project() {
            InnerProj::Body { body } => body.poll_frame(cx),
            InnerProj::Text { text } => Poll::Ready(text.take().map(|t| Ok(Frame::data(t)))),
        }
    }

    fn is_end_stream(&self) -> bool {
        match &self.inner {
            Inner::Body { body } => body.is_end_stream(),
            Inner::Text { text } => text.is_none(),
        }
    }

    fn size_hint(&self) -> SizeHint {
        match &self.inner {
            Inner::Body { body } => body.size_hint(),
            Inner::Text { text } => {
                SizeHint::with_exact(text.as_ref().map_or(0, |t| t.len() as u64))
            }
        }
    }
}

/// An empty body, for layers outside that answer for themselves (such as
/// tower-http's `TimeoutLayer`).
impl<B> Default for ResponseBody<B> {
    fn default() -> Self {
        Self::text(Bytes::new())
    }
}

impl<B> std::fmt::Debug for ResponseBody<B> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ResponseBody").finish_non_exhaustive()
    }
}
