//! The decoded fields of an `application/x-www-form-urlencoded` body, kept in
//! one buffer.
//!
//! Decoding is `form_urlencoded::parse`'s, field for field: pairs are split
//! on `&` (empty ones skipped), name and value on the first `=`, `+` is a
//! space, valid `%XX` escapes are decoded and others kept, and bytes that are
//! not UTF-8 become U+FFFD. What differs is where the text goes: every name
//! and value is appended to one `String`, so a request costs a fixed number
//! of allocations however many fields it has, and the handler gets the same
//! buffer without a copy.

use std::fmt;
use std::ops::Range;

/// Decoded form fields, in the order received.
#[derive(Clone, Default, PartialEq, Eq)]
pub(crate) struct FormFields {
    /// Every name and value, decoded, one after the other.
    text: String,
    /// Where each field's name and value are in `text`.
    fields: Vec<(Range<usize>, Range<usize>)>,
}

impl FormFields {
    /// Decodes a form body.
    pub(crate) fn parse(body: &[u8]) -> Self {
        // Decoding never makes the text longer, except for U+FFFD standing in
        // for bytes that are not UTF-8; a field never needs more than one `&`.
        let pairs = body.iter().filter(|&&b| b == b'&').count() + 1;
        let mut out = Self {
            text: String::with_capacity(body.len()),
            fields: Vec::with_capacity(pairs),
        };
        // Where an escaped name or value is decoded before it is checked as
        // UTF-8; sized for the whole body the first time it is needed.
        let mut scratch = Vec::new();
        for pair in body.split(|&b| b == b'&').filter(|p| !p.is_empty()) {
            let (name, value) = match pair.iter().position(|&b| b == b'=') {
                Some(i) => (&pair[..i], &pair[i + 1..]),
                None => (pair, &[][..]),
            };
            if scratch.capacity() == 0 && pair.iter().any(|&b| b == b'+' || b == b'%') {
                scratch.reserve_exact(body.len());
            }
            let name = out.push_decoded(name, &mut scratch);
            let value = out.push_decoded(value, &mut scratch);
            out.fields.push((name, value));
        }
        out
    }

    /// Appends `raw` decoded; returns where it went.
    fn push_decoded(&mut self, raw: &[u8], scratch: &mut Vec<u8>) -> Range<usize> {
        let start = self.text.len();
        let escaped = raw.iter().any(|&b| b == b'+' || b == b'%');
        let bytes = if escaped {
            scratch.clear();
            let mut i = 0;
            while i < raw.len() {
                let byte = match raw[i] {
                    b'+' => b' ',
                    b'%' => match (raw.get(i + 1), raw.get(i + 2)) {
                        (Some(&hi), Some(&lo))
                            if hi.is_ascii_hexdigit() && lo.is_ascii_hexdigit() =>
                        {
                            i += 2;
                            hex(hi) << 4 | hex(lo)
                        }
                        _ => b'%',
                    },
                    other => other,
                };
                scratch.push(byte);
                i += 1;
            }
            &scratch[..]
        } else {
            raw
        };
        match std::str::from_utf8(bytes) {
            Ok(text) => self.text.push_str(text),
            Err(_) => self.text.push_str(&String::from_utf8_lossy(bytes)),
        }
        start..self.text.len()
    }

    /// The fields as `(name, value)`, in the order received.
    pub(crate) fn iter(&self) -> impl ExactSizeIterator<Item = (&str, &str)> + '_ {
        self.fields
            .iter()
            .map(|(name, value)| (&self.text[name.clone()], &self.text[value.clone()]))
    }
}

fn hex(digit: u8) -> u8 {
    match digit {
        b'0'..=b'9' => digit - b'0',
        b'a'..=b'f' => digit - b'a' + 10,
        _ => digit - b'A' + 10,
    }
}

impl fmt::Debug for FormFields {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list().entries(self.iter()).finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn decoded(body: &str) -> Vec<(String, String)> {
        FormFields::parse(body.as_bytes())
            .iter()
            .map(|(k, v)| (k.to_owned(), v.to_owned()))
            .collect()
    }

    fn reference(body: &[u8]) -> Vec<(String, String)> {
        form_urlencoded::parse(body).into_owned().collect()
    }

    #[test]
    fn decodes_exactly_as_form_urlencoded_does() {
        let bodies: [&[u8]; 16] = [
            b"",
            b"&&&",
            b"a",
            b"a=",
            b"=b",
            b"=",
            b"a=1&a=2&b",
            b"a=b=c&&d=e",
            b"From=%2B14158675309&Body=Hello+world%21",
            b"k=%zz%4&k2=%4G%41%",
            b"k=100%&k=%",
            b"emoji=%F0%9F%98%80&split=%F0%9F&lone=%80",
            b"raw=\xff\xfe&ok=1",
            b"name%3Dwith%26=v%3D1%262",
            b"plus%2B=%2B+%20",
            "caf\u{e9}=na\u{ef}ve&%C3%A9=%c3%A9".as_bytes(),
        ];
        for body in bodies {
            let fields = FormFields::parse(body);
            let ours: Vec<(String, String)> = fields
                .iter()
                .map(|(k, v)| (k.to_owned(), v.to_owned()))
                .collect();
            assert_eq!(ours, reference(body), "{}", String::from_utf8_lossy(body));
        }
    }

    #[test]
    fn keeps_the_order_received_and_repeated_names() {
        assert_eq!(
            decoded("b=2&a=1&b=3"),
            [("b", "2"), ("a", "1"), ("b", "3")].map(|(k, v)| (k.to_owned(), v.to_owned()))
        );
    }

    #[test]
    fn one_buffer_holds_every_field() {
        let body = "AccountSid=AC1&From=%2B14158675309&CallerCity=SAN+FRANCISCO";
        let fields = FormFields::parse(body.as_bytes());
        assert_eq!(fields.iter().len(), 3);
        assert_eq!(
            fields.text,
            "AccountSidAC1From+14158675309CallerCitySAN FRANCISCO"
        );
        assert!(fields.text.capacity() <= body.len());
    }
}
