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
        // Decoding never makes the text longer (U+FFFD for bytes that are
        // not UTF-8 aside), and a field never needs more than one `&`.
        let pairs = memchr::memchr_iter(b'&', body).count() + 1;
        let mut bytes = Vec::with_capacity(body.len());
        let mut fields = Vec::with_capacity(pairs);
        let ends = memchr::memchr_iter(b'&', body).chain([body.len()]);
        let mut start = 0;
        for end in ends {
            let pair = &body[start..end];
            start = end + 1;
            if pair.is_empty() {
                continue;
            }
            let (name, value) = match memchr::memchr(b'=', pair) {
                Some(i) => (&pair[..i], &pair[i + 1..]),
                None => (pair, &[][..]),
            };
            let name = decode_into(&mut bytes, name);
            let value = decode_into(&mut bytes, value);
            fields.push((name, value));
        }
        // ASCII text is UTF-8 field by field; other text is checked field by
        // field, since two halves of a character in two fields are each
        // replaced, not joined.
        let each_utf8 = bytes.is_ascii()
            || fields.iter().all(|(name, value)| {
                std::str::from_utf8(&bytes[name.clone()]).is_ok()
                    && std::str::from_utf8(&bytes[value.clone()]).is_ok()
            });
        match String::from_utf8(bytes) {
            Ok(text) if each_utf8 => Self { text, fields },
            Ok(text) => Self::replacing_invalid(text.as_bytes(), &fields),
            Err(not_utf8) => Self::replacing_invalid(not_utf8.as_bytes(), &fields),
        }
    }

    /// The slow path, for bytes that are not UTF-8: each field with its
    /// invalid sequences replaced by U+FFFD, as `form_urlencoded` does.
    fn replacing_invalid(bytes: &[u8], fields: &[(Range<usize>, Range<usize>)]) -> Self {
        let mut out = Self {
            text: String::with_capacity(bytes.len()),
            fields: Vec::with_capacity(fields.len()),
        };
        for (name, value) in fields {
            let mut push = |range: &Range<usize>| {
                let start = out.text.len();
                out.text
                    .push_str(&String::from_utf8_lossy(&bytes[range.clone()]));
                start..out.text.len()
            };
            let field = (push(name), push(value));
            out.fields.push(field);
        }
        out
    }

    /// The fields as `(name, value)`, in the order received.
    pub(crate) fn iter(&self) -> impl ExactSizeIterator<Item = (&str, &str)> + '_ {
        self.fields
            .iter()
            .map(|(name, value)| (&self.text[name.clone()], &self.text[value.clone()]))
    }
}

/// Appends `raw` to `out` with `+` as a space and `%XX` decoded (a `%`
/// that does not start two hex digits is kept); returns where it went.
fn decode_into(out: &mut Vec<u8>, raw: &[u8]) -> Range<usize> {
    let start = out.len();
    let mut rest = raw;
    while !rest.is_empty() {
        let run = memchr::memchr2(b'+', b'%', rest).unwrap_or(rest.len());
        out.extend_from_slice(&rest[..run]);
        rest = match &rest[run..] {
            [b'+', tail @ ..] => {
                out.push(b' ');
                tail
            }
            [b'%', hi, lo, tail @ ..] if hi.is_ascii_hexdigit() && lo.is_ascii_hexdigit() => {
                out.push(hex(*hi) << 4 | hex(*lo));
                tail
            }
            [b'%', tail @ ..] => {
                out.push(b'%');
                tail
            }
            _ => &[],
        };
    }
    start..out.len()
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
        let bodies: [&[u8]; 18] = [
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
            b"halves=%C3&of=%A9&one=%C3%A9",
            b"raw_halves=\xc3&b=\xa9",
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
