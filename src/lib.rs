//! Tower middleware that validates Twilio webhook signatures.
#![forbid(unsafe_code)]
#![warn(missing_docs)]


mod candidates;
mod querystring;
mod rejection;
mod secret;
mod settings;
mod signature;
mod validator;

pub use candidates::UrlCandidates;
pub use rejection::Rejection;
pub use secret::Secret;
pub use settings::SignatureSettings;
pub use signature::{body_sha256_hex, compute_signature, Algorithm, UnknownAlgorithm};
pub use validator::{MatchedKey, RequestValidator, SignedRequest, Validated};
pub mod validate;
mod webhook;

pub use validate::{TwilioValidate, TwilioValidateLayer};
pub use webhook::ValidatedWebhook;
#[cfg(feature = "axum")]
pub use webhook::MissingTwilioValidateLayer;
mod sign;
pub use sign::Signer;
