//! A JWKS document's verification keys, each with the one algorithm it
//! verifies: the algorithm comes from the key, never from the token.

use std::fmt;
use std::sync::Arc;

use jsonwebtoken::jwk::{
    AlgorithmParameters, EllipticCurve, Jwk, KeyAlgorithm, KeyOperations, PublicKeyUse,
};
use jsonwebtoken::{Algorithm, DecodingKey};

use crate::bearer::BearerError;
use crate::core::error::ConfigError;

/// One key of a key set.
pub(super) struct Key {
    pub(super) kid: Option<String>,
    pub(super) alg: Algorithm,
    pub(super) key: DecodingKey,
}

/// The verification keys of a JWKS document (RFC 7517), as the
/// authorization server publishes them at its `jwks_uri`; cheap to clone.
///
/// Each key verifies one algorithm: its `alg` if it names one, else RS256
/// for an RSA key, ES256 for a P-256 key, ES384 for a P-384 key and EdDSA
/// for an Ed25519 key. Symmetric (`oct`) keys, keys for encryption
/// (`"use": "enc"`, or `key_ops` without `verify`), other curves and keys that do not parse are left out,
/// so no token can be checked as an HMAC with a public key as its secret.
///
/// Its `Debug` lists the key ids and algorithms.
#[derive(Clone)]
pub struct Jwks {
    keys: Arc<[Key]>,
}

impl Jwks {
    /// The usable keys of a JWKS document, `{"keys": [...]}`.
    ///
    /// # Errors
    /// When it is not JSON with a `keys` array, or none of its keys is usable.
    pub fn from_json(json: &[u8]) -> Result<Self, ConfigError> {
        let document: serde_json::Value =
            serde_json::from_slice(json).map_err(|_| ConfigError::new("JWKS", "is not JSON"))?;
        let keys = document
            .get("keys")
            .and_then(serde_json::Value::as_array)
            .ok_or(ConfigError::new("JWKS", "has no `keys` array"))?;
        let keys: Arc<[Key]> = keys.iter().filter_map(usable).collect();
        if keys.is_empty() {
            return Err(ConfigError::new("JWKS", "has no usable signature key"));
        }
        Ok(Self { keys })
    }

    /// How many usable keys it holds.
    pub fn len(&self) -> usize {
        self.keys.len()
    }

    /// Whether it holds no key (never, once built).
    pub fn is_empty(&self) -> bool {
        self.keys.is_empty()
    }

    /// The keys to try for a token's `kid` and `alg`: every key with that
    /// `kid` and for `alg`, in the document's order. RFC 7517 §4.5 asks that
    /// keys of a set have distinct `kid`s but allows keys of different
    /// types to share one, and an IdP rotating a key under its old `kid`
    /// publishes both for a while: trying only the first would refuse every
    /// token of the other. The set is the IdP's (and bounded in size where
    /// it is fetched), so a token cannot make the list longer. Without a
    /// `kid`, the one key for `alg`, if there is one only. A `kid` whose
    /// keys are all for another algorithm is `AlgorithmNotAllowed`; no key
    /// at all, `UnknownKey`.
    pub(super) fn select(
        &self,
        kid: Option<&str>,
        alg: Algorithm,
    ) -> Result<Vec<&Key>, BearerError> {
        let named: Vec<&Key> = self
            .keys
            .iter()
            .filter(|key| kid.is_none() || key.kid.as_deref() == kid)
            .collect();
        if named.is_empty() {
            return Err(BearerError::UnknownKey);
        }
        let for_alg: Vec<&Key> = named.into_iter().filter(|key| key.alg == alg).collect();
        match (for_alg.len(), kid) {
            (0, _) => Err(BearerError::AlgorithmNotAllowed),
            (1, None) | (_, Some(_)) => Ok(for_alg),
            (_, None) => Err(BearerError::UnknownKey),
        }
    }
}

/// A JWK this crate verifies with, and its algorithm; `None` for any other.
fn usable(value: &serde_json::Value) -> Option<Key> {
    let jwk: Jwk = serde_json::from_value(value.clone()).ok()?;
    if matches!(
        jwk.common.public_key_use,
        Some(PublicKeyUse::Encryption | PublicKeyUse::Other(_))
    ) {
        return None;
    }
    // RFC 7517 §4.3: with `key_ops`, a key is for the operations it lists.
    if jwk
        .common
        .key_operations
        .as_ref()
        .is_some_and(|ops| !ops.contains(&KeyOperations::Verify))
    {
        return None;
    }
    let declared = jwk.common.key_algorithm;
    let alg = match (&jwk.algorithm, declared) {
        (AlgorithmParameters::RSA(_), None | Some(KeyAlgorithm::RS256)) => Algorithm::RS256,
        (AlgorithmParameters::RSA(_), Some(KeyAlgorithm::RS384)) => Algorithm::RS384,
        (AlgorithmParameters::RSA(_), Some(KeyAlgorithm::RS512)) => Algorithm::RS512,
        (AlgorithmParameters::RSA(_), Some(KeyAlgorithm::PS256)) => Algorithm::PS256,
        (AlgorithmParameters::RSA(_), Some(KeyAlgorithm::PS384)) => Algorithm::PS384,
        (AlgorithmParameters::RSA(_), Some(KeyAlgorithm::PS512)) => Algorithm::PS512,
        (AlgorithmParameters::EllipticCurve(p), None | Some(KeyAlgorithm::ES256))
            if p.curve == EllipticCurve::P256 =>
        {
            Algorithm::ES256
        }
        (AlgorithmParameters::EllipticCurve(p), None | Some(KeyAlgorithm::ES384))
            if p.curve == EllipticCurve::P384 =>
        {
            Algorithm::ES384
        }
        (AlgorithmParameters::OctetKeyPair(p), None | Some(KeyAlgorithm::EdDSA))
            if p.curve == EllipticCurve::Ed25519 =>
        {
            Algorithm::EdDSA
        }
        // `oct` (HMAC) keys, other curves, an `alg` the key cannot be for.
        _ => return None,
    };
    let key = DecodingKey::from_jwk(&jwk).ok()?;
    Some(Key {
        kid: jwk.common.key_id,
        alg,
        key,
    })
}

impl fmt::Debug for Jwks {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list()
            .entries(
                self.keys
                    .iter()
                    .map(|k| (k.kid.as_deref().unwrap_or("-"), k.alg)),
            )
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ED: &str = r#"{"kty": "OKP", "crv": "Ed25519", "kid": "ed",
        "x": "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"}"#;

    fn jwks(keys: &[&str]) -> Result<Jwks, ConfigError> {
        Jwks::from_json(format!("{{\"keys\": [{}]}}", keys.join(",")).as_bytes())
    }

    #[test]
    fn the_algorithm_comes_from_the_key() {
        let set = jwks(&[ED]).unwrap();
        assert!(set.select(Some("ed"), Algorithm::EdDSA).is_ok());
        assert_eq!(
            set.select(Some("ed"), Algorithm::RS256).err(),
            Some(BearerError::AlgorithmNotAllowed)
        );
        assert_eq!(
            set.select(Some("other"), Algorithm::EdDSA).err(),
            Some(BearerError::UnknownKey)
        );
        // Without a kid: the only key for the algorithm.
        assert!(set.select(None, Algorithm::EdDSA).is_ok());
    }

    #[test]
    fn symmetric_encryption_and_mismatched_keys_are_left_out() {
        let oct = r#"{"kty": "oct", "kid": "h", "k": "c2VjcmV0"}"#;
        let enc = ED.replace("\"kid\"", "\"use\": \"enc\", \"kid\"");
        let wrong_alg = ED.replace("\"kid\"", "\"alg\": \"RS256\", \"kid\"");
        for key in [oct, enc.as_str(), wrong_alg.as_str()] {
            assert!(jwks(&[key]).is_err(), "{key}");
        }
        assert_eq!(jwks(&[oct, ED]).unwrap().len(), 1);
    }

    #[test]
    fn what_is_not_a_jwks_is_an_error_that_names_it() {
        for doc in [&b"nope"[..], b"{}", b"{\"keys\": {}}", b"{\"keys\": []}"] {
            let e = Jwks::from_json(doc).unwrap_err();
            assert_eq!(e.setting(), "JWKS");
        }
    }

    #[test]
    fn without_a_kid_several_keys_for_the_algorithm_are_ambiguous() {
        let other = ED.replace("\"ed\"", "\"ed2\"");
        let set = jwks(&[ED, &other]).unwrap();
        assert_eq!(
            set.select(None, Algorithm::EdDSA).err(),
            Some(BearerError::UnknownKey)
        );
    }
}
