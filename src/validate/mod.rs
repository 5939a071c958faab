//! The Tower layer: buffer the body, rebuild the public URL, check the
//! signature, then call the inner service or answer 4xx.

mod body;
mod future;
mod layer;
mod public_url;
mod service;

pub use body::ResponseBody;
pub use future::ResponseFuture;
pub use layer::{TwilioValidateLayer, DEFAULT_MAX_BODY_BYTES};
pub use public_url::InvalidBaseUrl;
pub use service::{TwilioValidate, X_TWILIO_SIGNATURE, X_TWILIO_WEBHOOKS_SIGNATURE_SETTINGS};
