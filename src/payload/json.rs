//! What the WebSocket message types share: objects read field by field
//! with any field optional and any unknown one skipped, values read as
//! leniently as Twilio's examples need (`"sequenceNumber": "1"` is a
//! string, `"sampleRate": 8000` a number), and maps written back.
//!
//! Written out against `serde`'s traits rather than derived or read
//! through `serde_json::Value`: the types cost no crate (no
//! `serde_derive`, no `serde_json` in the library), and work with any
//! self-describing format; the application parses a frame with the
//! `serde_json` it already has (`serde_json::from_str`).

use std::collections::BTreeMap;
use std::fmt;
use std::marker::PhantomData;

use serde::de::{self, Deserializer, MapAccess, Visitor};
use serde::ser::{SerializeMap, Serializer};
use serde::Serialize;

/// A value read from JSON as Twilio may send it.
pub(crate) trait FromJson: Sized {
    fn from_json<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error>;
}

/// The adapter that lets `MapAccess::next_value` read a [`FromJson`].
pub(crate) struct Json<T>(pub(crate) T);

impl<'de, T: FromJson> de::Deserialize<'de> for Json<T> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        T::from_json(deserializer).map(Json)
    }
}

/// A string, a number or a boolean, as text: Twilio sends
/// `sequenceNumber`, `chunk` and `timestamp` as strings of digits, and
/// might send them as numbers.
impl FromJson for String {
    fn from_json<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Text;
        impl Visitor<'_> for Text {
            type Value = String;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a string or a number")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<String, E> {
                Ok(v.to_owned())
            }
            fn visit_string<E: de::Error>(self, v: String) -> Result<String, E> {
                Ok(v)
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<String, E> {
                Ok(v.to_string())
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<String, E> {
                Ok(v.to_string())
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<String, E> {
                Ok(v.to_string())
            }
            fn visit_bool<E: de::Error>(self, v: bool) -> Result<String, E> {
                Ok(v.to_string())
            }
            fn visit_unit<E: de::Error>(self) -> Result<String, E> {
                Ok(String::new())
            }
        }
        deserializer.deserialize_any(Text)
    }
}

/// A number, or a string of one (`"460"`).
impl FromJson for u64 {
    fn from_json<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::from_json(deserializer)?;
        text.parse()
            .map_err(|_| de::Error::custom("expected an unsigned integer"))
    }
}

/// `true`/`false`, or their strings.
impl FromJson for bool {
    fn from_json<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        match String::from_json(deserializer)?.as_str() {
            "true" => Ok(true),
            "false" => Ok(false),
            _ => Err(de::Error::custom("expected true or false")),
        }
    }
}

/// `null` is `None`.
impl<T: FromJson> FromJson for Option<T> {
    fn from_json<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Maybe<T>(PhantomData<T>);
        impl<'de, T: FromJson> Visitor<'de> for Maybe<T> {
            type Value = Option<T>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a value or null")
            }
            fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
                Ok(None)
            }
            fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
                Ok(None)
            }
            fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
                T::from_json(d).map(Some)
            }
        }
        deserializer.deserialize_option(Maybe(PhantomData))
    }
}

/// An array of strings (`tracks`).
impl FromJson for Vec<String> {
    fn from_json<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct List;
        impl<'de> Visitor<'de> for List {
            type Value = Vec<String>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an array of strings")
            }
            fn visit_seq<A: de::SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
                let mut out = Vec::new();
                while let Some(Json(item)) = seq.next_element::<Json<String>>()? {
                    out.push(item);
                }
                Ok(out)
            }
        }
        deserializer.deserialize_seq(List)
    }
}

/// An object of strings (`customParameters`); a value that is a number or
/// a boolean is kept as its text.
impl FromJson for BTreeMap<String, String> {
    fn from_json<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Map;
        impl<'de> Visitor<'de> for Map {
            type Value = BTreeMap<String, String>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an object of strings")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
                let mut out = BTreeMap::new();
                while let Some(key) = map.next_key::<String>()? {
                    let Json(value) = map.next_value::<Json<String>>()?;
                    out.insert(key, value);
                }
                Ok(out)
            }
        }
        deserializer.deserialize_map(Map)
    }
}

/// Reads every field of a JSON object through `field`, which takes the
/// ones it knows (and returns `true`); the rest are skipped.
pub(crate) fn read_object<'de, A, F>(mut map: A, mut field: F) -> Result<(), A::Error>
where
    A: MapAccess<'de>,
    F: FnMut(&str, &mut A) -> Result<bool, A::Error>,
{
    while let Some(key) = map.next_key::<String>()? {
        if !field(&key, &mut map)? {
            map.next_value::<de::IgnoredAny>()?;
        }
    }
    Ok(())
}

/// A JSON object type with every field optional (absent is its
/// `Default`) and unknown fields skipped.
macro_rules! json_object {
    (
        $(#[$meta:meta])*
        pub struct $name:ident { $($(#[$fmeta:meta])* $field:ident: $ty:ty = $key:literal,)* }
    ) => {
        $(#[$meta])*
        #[derive(Clone, Debug, Default, PartialEq)]
        #[non_exhaustive]
        pub struct $name {
            $($(#[$fmeta])* pub $field: $ty,)*
        }

        impl $crate::payload::json::FromJson for $name {
            fn from_json<'de, D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                struct ObjectVisitor;
                impl<'de> serde::de::Visitor<'de> for ObjectVisitor {
                    type Value = $name;
                    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                        f.write_str(concat!("a ", stringify!($name), " object"))
                    }
                    fn visit_map<A: serde::de::MapAccess<'de>>(self, map: A) -> Result<$name, A::Error> {
                        let mut out = $name::default();
                        $crate::payload::json::read_object(map, |key, map| {
                            match key {
                                $($key => {
                                    out.$field = map
                                        .next_value::<$crate::payload::json::Json<$ty>>()?
                                        .0;
                                })*
                                _ => return Ok(false),
                            }
                            Ok(true)
                        })?;
                        Ok(out)
                    }
                }
                deserializer.deserialize_map(ObjectVisitor)
            }
        }

        impl<'de> serde::Deserialize<'de> for $name {
            fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                <$name as $crate::payload::json::FromJson>::from_json(deserializer)
            }
        }
    };
}

pub(crate) use json_object;

/// A JSON object written from its entries, in order; `None` values are
/// left out.
pub(crate) struct Object<'a>(pub(crate) &'a [(&'static str, Value<'a>)]);

/// One value of an [`Object`].
pub(crate) enum Value<'a> {
    Str(&'a str),
    OptStr(Option<&'a str>),
    Bool(bool),
    OptBool(Option<bool>),
    OptU64(Option<u64>),
    Object(Object<'a>),
}

impl Serialize for Object<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let present = |v: &Value<'_>| {
            !matches!(
                v,
                Value::OptStr(None) | Value::OptBool(None) | Value::OptU64(None)
            )
        };
        let len = self.0.iter().filter(|(_, v)| present(v)).count();
        let mut map = serializer.serialize_map(Some(len))?;
        for (key, value) in self.0.iter().filter(|(_, v)| present(v)) {
            map.serialize_entry(key, value)?;
        }
        map.end()
    }
}

impl Serialize for Value<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            Value::Str(s) | Value::OptStr(Some(s)) => serializer.serialize_str(s),
            Value::Bool(b) | Value::OptBool(Some(b)) => serializer.serialize_bool(*b),
            Value::OptU64(Some(n)) => serializer.serialize_u64(*n),
            Value::Object(object) => object.serialize(serializer),
            Value::OptStr(None) | Value::OptBool(None) | Value::OptU64(None) => {
                serializer.serialize_none()
            }
        }
    }
}
