//! What the form payload types share: the fields of a request taken by
//! name, numbers and booleans parsed from their text with errors that name
//! the field (never the value), and the enums of documented values with an
//! `Other` for the rest.

use std::collections::BTreeMap;
use std::str::FromStr;

use serde::de::{self, Deserialize, Deserializer};

/// The fields of one request, taken by name as a payload is built; what
/// is left is the payload's `extra`.
pub(super) struct Fields(pub(super) BTreeMap<String, String>);

impl Fields {
    pub(super) fn read<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        BTreeMap::<String, String>::deserialize(deserializer).map(Fields)
    }

    pub(super) fn required<E: de::Error>(&mut self, name: &'static str) -> Result<String, E> {
        self.0.remove(name).ok_or_else(|| E::missing_field(name))
    }

    pub(super) fn optional(&mut self, name: &str) -> Option<String> {
        self.0.remove(name)
    }

    /// `None` when absent or empty: for a field whose empty value means
    /// "not there" (a URL, a time).
    pub(super) fn optional_text(&mut self, name: &str) -> Option<String> {
        self.optional(name).filter(|v| !v.is_empty())
    }

    pub(super) fn required_number<T: Number, E: de::Error>(
        &mut self,
        name: &'static str,
    ) -> Result<T, E> {
        let value = self.required::<E>(name)?;
        parse(name, &value)
    }

    /// `None` when absent or empty.
    pub(super) fn optional_number<T: Number, E: de::Error>(
        &mut self,
        name: &str,
    ) -> Result<Option<T>, E> {
        match self.optional(name) {
            Some(value) if !value.is_empty() => parse(name, &value).map(Some),
            _ => Ok(None),
        }
    }

    /// `Forwarded=true`: `None` when absent or empty.
    pub(super) fn optional_bool<E: de::Error>(&mut self, name: &str) -> Result<Option<bool>, E> {
        match self.optional(name).as_deref() {
            None | Some("") => Ok(None),
            Some("true") => Ok(Some(true)),
            Some("false") => Ok(Some(false)),
            Some(_) => Err(E::custom(format_args!(
                "field `{name}`: expected true or false"
            ))),
        }
    }
}

/// A number Twilio sends as text, and how the error names it.
pub(super) trait Number: FromStr {
    const EXPECTED: &'static str;
}

impl Number for u32 {
    const EXPECTED: &'static str = "an unsigned integer";
}

impl Number for f64 {
    const EXPECTED: &'static str = "a number";
}

pub(super) fn parse<T: Number, E: de::Error>(name: &str, value: &str) -> Result<T, E> {
    value
        .parse()
        .map_err(|_| E::custom(format_args!("field `{name}`: expected {}", T::EXPECTED)))
}

/// An enum of the values Twilio documents, with `Other` for the rest.
macro_rules! twilio_enum {
    (
        $(#[$meta:meta])*
        pub enum $name:ident { $($(#[$vmeta:meta])* $variant:ident = $text:literal,)* }
    ) => {
        $(#[$meta])*
        #[derive(Clone, Debug, PartialEq, Eq, Hash)]
        #[non_exhaustive]
        pub enum $name {
            $($(#[$vmeta])* $variant,)*
            /// A value Twilio's documentation did not list when this
            /// version was written, as sent.
            Other(String),
        }

        impl $name {
            /// The value as Twilio sends it.
            pub fn as_str(&self) -> &str {
                match self {
                    $(Self::$variant => $text,)*
                    Self::Other(other) => other,
                }
            }
        }

        impl ::std::convert::From<&str> for $name {
            fn from(value: &str) -> Self {
                match value {
                    $($text => Self::$variant,)*
                    other => Self::Other(other.to_owned()),
                }
            }
        }

        impl ::std::str::FromStr for $name {
            type Err = std::convert::Infallible;

            fn from_str(value: &str) -> Result<Self, Self::Err> {
                Ok(Self::from(value))
            }
        }

        impl ::std::fmt::Display for $name {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl<'de> ::serde::Deserialize<'de> for $name {
            fn deserialize<D: ::serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                let value = <String as ::serde::Deserialize>::deserialize(deserializer)?;
                Ok(Self::from(value.as_str()))
            }
        }
    };
}

pub(super) use twilio_enum;
