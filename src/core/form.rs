//! Deserializing the fields the layer already decoded into a typed struct.
//!
//! Fields are grouped by name; a scalar field takes the first value, a
//! sequence (`Vec<T>`) takes every value in order, numbers and booleans are
//! parsed from the text, and an absent `Option` is `None`.

use std::collections::HashMap;

use serde::de::value::{Error, MapDeserializer, SeqDeserializer};
use serde::de::{self, DeserializeOwned, IntoDeserializer, Visitor};
use serde::forward_to_deserialize_any;

/// Deserializes `T` from decoded form fields, without parsing the body again.
pub(crate) fn from_pairs<'a, T: DeserializeOwned>(
    pairs: impl IntoIterator<Item = (&'a str, &'a str)>,
) -> Result<T, Error> {
    // Grouped in first-seen order; the index keeps this linear in the fields.
    let mut groups: Vec<(&str, Vec<&str>)> = Vec::new();
    let mut index: HashMap<&str, usize> = HashMap::new();
    for (k, v) in pairs {
        match index.get(k) {
            Some(&i) => groups[i].1.push(v),
            None => {
                index.insert(k, groups.len());
                groups.push((k, vec![v]));
            }
        }
    }
    let map = MapDeserializer::new(groups.into_iter().map(|(k, v)| (k, Values(v))));
    T::deserialize(Map(map))
}

struct Map<'a, I: Iterator<Item = (&'a str, Values<'a>)>>(MapDeserializer<'a, I, Error>);

impl<'a, I> de::Deserializer<'a> for Map<'a, I>
where
    I: Iterator<Item = (&'a str, Values<'a>)>,
{
    type Error = Error;

    fn deserialize_any<V: Visitor<'a>>(self, visitor: V) -> Result<V::Value, Error> {
        let mut map = self.0;
        let value = visitor.visit_map(&mut map)?;
        map.end()?;
        Ok(value)
    }

    forward_to_deserialize_any! {
        <W: Visitor<'a>>
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string
        bytes byte_buf option unit unit_struct newtype_struct seq tuple
        tuple_struct map struct enum identifier ignored_any
    }
}

/// Every value of one field.
struct Values<'a>(Vec<&'a str>);

impl<'a> IntoDeserializer<'a, Error> for Values<'a> {
    type Deserializer = Self;

    fn into_deserializer(self) -> Self {
        self
    }
}

impl<'a> Values<'a> {
    fn first(&self) -> &'a str {
        self.0.first().copied().unwrap_or("")
    }

    fn parse<T: std::str::FromStr>(&self, what: &str) -> Result<T, Error> {
        self.first()
            .parse()
            .map_err(|_| de::Error::custom(format_args!("expected {what}")))
    }
}

macro_rules! parse_scalar {
    ($($method:ident => $visit:ident: $ty:ty),* $(,)?) => {
        $(
            fn $method<V: Visitor<'a>>(self, visitor: V) -> Result<V::Value, Error> {
                visitor.$visit(self.parse::<$ty>(stringify!($ty))?)
            }
        )*
    };
}

impl<'a> de::Deserializer<'a> for Values<'a> {
    type Error = Error;

    fn deserialize_any<V: Visitor<'a>>(self, visitor: V) -> Result<V::Value, Error> {
        visitor.visit_str(self.first())
    }

    parse_scalar! {
        deserialize_bool => visit_bool: bool,
        deserialize_i8 => visit_i8: i8,
        deserialize_i16 => visit_i16: i16,
        deserialize_i32 => visit_i32: i32,
        deserialize_i64 => visit_i64: i64,
        deserialize_u8 => visit_u8: u8,
        deserialize_u16 => visit_u16: u16,
        deserialize_u32 => visit_u32: u32,
        deserialize_u64 => visit_u64: u64,
        deserialize_f32 => visit_f32: f32,
        deserialize_f64 => visit_f64: f64,
        deserialize_char => visit_char: char,
    }

    fn deserialize_option<V: Visitor<'a>>(self, visitor: V) -> Result<V::Value, Error> {
        visitor.visit_some(self)
    }

    fn deserialize_newtype_struct<V: Visitor<'a>>(
        self,
        _: &'static str,
        visitor: V,
    ) -> Result<V::Value, Error> {
        visitor.visit_newtype_struct(self)
    }

    fn deserialize_seq<V: Visitor<'a>>(self, visitor: V) -> Result<V::Value, Error> {
        let values = self.0.into_iter().map(|v| Values(vec![v]));
        let mut seq = SeqDeserializer::new(values);
        let value = visitor.visit_seq(&mut seq)?;
        seq.end()?;
        Ok(value)
    }

    fn deserialize_enum<V: Visitor<'a>>(
        self,
        _: &'static str,
        _: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, Error> {
        visitor.visit_enum(self.first().into_deserializer())
    }

    forward_to_deserialize_any! {
        <W: Visitor<'a>>
        i128 u128 str string bytes byte_buf unit unit_struct tuple
        tuple_struct map struct identifier ignored_any
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;

    fn pairs<'a>(p: &'a [(&'a str, &'a str)]) -> impl Iterator<Item = (&'a str, &'a str)> {
        p.iter().copied()
    }

    #[derive(Debug, Deserialize, PartialEq)]
    #[serde(rename_all = "PascalCase")]
    struct Sms {
        message_sid: String,
        body: String,
        num_media: u32,
        from_city: Option<String>,
        to_state: Option<String>,
        #[serde(default)]
        media_url: Vec<String>,
        status: Status,
    }

    #[derive(Debug, Deserialize, PartialEq)]
    #[serde(rename_all = "lowercase")]
    enum Status {
        Received,
    }

    #[test]
    fn typed_fields_numbers_options_sequences_and_enums() {
        let sms: Sms = from_pairs(pairs(&[
            ("MessageSid", "SM1"),
            ("Body", "hi & bye"),
            ("NumMedia", "2"),
            ("FromCity", ""),
            ("MediaUrl", "https://a"),
            ("MediaUrl", "https://b"),
            ("Status", "received"),
            ("Extra", "ignored"),
        ]))
        .unwrap();
        assert_eq!(
            sms,
            Sms {
                message_sid: "SM1".into(),
                body: "hi & bye".into(),
                num_media: 2,
                from_city: Some(String::new()),
                to_state: None,
                media_url: vec!["https://a".into(), "https://b".into()],
                status: Status::Received,
            }
        );
    }

    #[test]
    fn a_missing_field_or_a_bad_number_is_an_error() {
        let err = from_pairs::<Sms>(pairs(&[("MessageSid", "SM1")])).unwrap_err();
        assert!(err.to_string().contains("missing field"), "{err}");
        let err = from_pairs::<Sms>(pairs(&[
            ("MessageSid", "SM1"),
            ("Body", ""),
            ("NumMedia", "two"),
            ("Status", "received"),
        ]))
        .unwrap_err();
        assert!(err.to_string().contains("expected u32"), "{err}");
    }
}
