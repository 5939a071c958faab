//! Basic authentication (RFC 7617).

use base64::alphabet;
use base64::engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig};
use base64::Engine as _;
use zeroize::Zeroizing;

use super::{eq_hashed, AuthFailure};
use crate::core::secret::Secret;

/// Standard base64, with or without the trailing `=`.
const LENIENT_BASE64: GeneralPurpose = GeneralPurpose::new(
    &alphabet::STANDARD,
    GeneralPurposeConfig::new().with_decode_padding_mode(DecodePaddingMode::Indifferent),
);

/// The Basic side of an [`super::HttpAuth`]: one user, one password.
#[derive(Debug)]
pub(super) struct Basic {
    user: String,
    password: Secret,
    challenge: String,
}

impl Basic {
    /// `user` must not contain `:`; the builder checks that.
    pub(super) fn new(user: String, password: Secret, realm: &str) -> Self {
        let challenge = format!("Basic realm=\"{realm}\", charset=\"UTF-8\"");
        Self {
            user,
            password,
            challenge,
        }
    }

    pub(super) fn user(&self) -> &str {
        &self.user
    }

    /// The `WWW-Authenticate` value.
    pub(super) fn challenge(&self) -> &str {
        &self.challenge
    }

    /// Checks the credentials (the text after `Basic`): base64 of
    /// `user ":" password` in UTF-8, split at the first `:`. User and password
    /// are both compared, in constant time and whatever their lengths.
    pub(super) fn check(&self, credentials: &str) -> Result<(), AuthFailure> {
        let decoded = Zeroizing::new(
            LENIENT_BASE64
                .decode(credentials.trim_matches([' ', '\t']))
                .map_err(|_| AuthFailure::MalformedAuthorization)?,
        );
        let colon = decoded
            .iter()
            .position(|&b| b == b':')
            .ok_or(AuthFailure::MalformedAuthorization)?;
        let (user, password) = (&decoded[..colon], &decoded[colon + 1..]);
        let ok =
            eq_hashed(user, self.user.as_bytes()) & eq_hashed(password, self.password.expose());
        if bool::from(ok) {
            Ok(())
        } else {
            Err(AuthFailure::WrongCredentials)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn basic(user: &str, password: &str) -> Basic {
        Basic::new(user.into(), Secret::from(password), "Twilio webhook")
    }

    fn encode(raw: &str) -> String {
        base64::engine::general_purpose::STANDARD.encode(raw)
    }

    #[test]
    fn challenge_names_realm_and_charset() {
        assert_eq!(
            basic("twilio", "pw").challenge(),
            r#"Basic realm="Twilio webhook", charset="UTF-8""#
        );
    }

    #[test]
    fn accepts_the_right_user_and_password() {
        assert_eq!(
            basic("twilio", "s3cret").check(&encode("twilio:s3cret")),
            Ok(())
        );
    }

    #[test]
    fn accepts_base64_without_padding() {
        let unpadded = encode("twilio:s3cret").trim_end_matches('=').to_owned();
        assert_eq!(basic("twilio", "s3cret").check(&unpadded), Ok(()));
    }

    #[test]
    fn splits_at_the_first_colon_so_the_password_may_contain_colons() {
        assert_eq!(
            basic("twilio", "a:b:c").check(&encode("twilio:a:b:c")),
            Ok(())
        );
    }

    #[test]
    fn accepts_a_utf8_password() {
        assert_eq!(
            basic("jürgen", "pässwörd✓").check(&encode("jürgen:pässwörd✓")),
            Ok(())
        );
    }

    #[test]
    fn rejects_a_wrong_password_or_user() {
        let b = basic("twilio", "s3cret");
        for raw in [
            "twilio:s3creT",
            "twilio:s3cret ",
            "twilio:",
            "Twilio:s3cret",
            ":s3cret",
            "twilio:s3cret\0",
        ] {
            assert_eq!(
                b.check(&encode(raw)),
                Err(AuthFailure::WrongCredentials),
                "{raw:?}"
            );
        }
    }

    #[test]
    fn rejects_credentials_without_a_colon() {
        assert_eq!(
            basic("twilio", "s3cret").check(&encode("twilios3cret")),
            Err(AuthFailure::MalformedAuthorization)
        );
    }

    #[test]
    fn rejects_malformed_base64() {
        let b = basic("twilio", "s3cret");
        for bad in [
            "",
            "!!!!",
            "dHdp bGlv",
            "dHdpbGlvOnMzY3JldA===",
            "dHdpbGlvOnMzY3JldA=x",
            "ü",
        ] {
            assert_eq!(
                b.check(bad),
                Err(AuthFailure::MalformedAuthorization),
                "{bad:?}"
            );
        }
    }
}
