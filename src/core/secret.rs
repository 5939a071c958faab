//! Secret bytes that never reach `Debug` and are wiped on drop.

use std::fmt;

use zeroize::Zeroizing;

/// A secret (Auth Token, shared-key secret, password, nonce key).
///
/// Its `Debug` prints `Secret([redacted])`; it has no `Display`. The bytes are
/// overwritten with zeros when the last owner drops it. Copies made by the
/// hash functions while computing a MAC live on the stack for the duration of
/// one computation and are not wiped; that is documented, not hidden.
///
/// It has no `PartialEq`: comparing secrets with `==` would take a time
/// that depends on where they differ. The crate compares MACs, in constant
/// time.
#[derive(Clone)]
pub struct Secret(Zeroizing<Vec<u8>>);

impl Secret {
    /// Wraps secret bytes.
    pub fn new(bytes: impl Into<Vec<u8>>) -> Self {
        Self(Zeroizing::new(bytes.into()))
    }

    /// The secret bytes, for computing a MAC.
    pub fn expose(&self) -> &[u8] {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret([redacted])")
    }
}

impl From<&str> for Secret {
    fn from(s: &str) -> Self {
        Self::new(s.as_bytes())
    }
}

impl From<String> for Secret {
    fn from(s: String) -> Self {
        Self::new(s.into_bytes())
    }
}

impl From<&String> for Secret {
    fn from(s: &String) -> Self {
        Self::new(s.as_bytes())
    }
}

impl From<Vec<u8>> for Secret {
    fn from(v: Vec<u8>) -> Self {
        Self::new(v)
    }
}

impl From<&[u8]> for Secret {
    fn from(v: &[u8]) -> Self {
        Self::new(v)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_never_shows_the_secret() {
        let s = Secret::from("super-secret-token");
        assert_eq!(format!("{s:?}"), "Secret([redacted])");
    }
}
