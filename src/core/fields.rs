//! The decoded fields of an `application/x-www-form-urlencoded` body, kept in
//! one buffer.
//!
//! Decoding is `form_urlencoded::parse`'s, field for field: pairs are split
//! on `&`, name and value on the first `=`, `+` is a space, valid `%XX`
//! escapes are decoded and others kept. What `form_urlencoded` repairs is
//! refused here instead ([`MalformedForm`]): an empty pair (`a=1&&b=2`, a
//! leading or trailing `&`), an empty name (`=x`), and bytes that are not
//! UTF-8 once decoded (which it would turn into U+FFFD, so that the handler
//! would read other bytes than were signed). Twilio never sends any of them.
//!
//! The body is copied once and decoded in that copy, separators left where
//! they are, so a request costs a fixed number of allocations however many
//! fields it has, and the handler gets the same buffer without a copy.

use std::fmt;
use std::ops::Range;

/// Decoded form fields, in the order received.
#[derive(Clone, Default, PartialEq, Eq)]
pub(crate) struct FormFields {
    /// The body, decoded: `+` as a space and `%XX` escapes decoded, with the
    /// `&` and `=` separators still in it.
    text: String,
    /// Where each field's name and value are in `text`.
    fields: Vec<(Range<usize>, Range<usize>)>,
}

/// Why a form body was refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum MalformedForm {
    /// `&&`, or a `&` at either end.
    EmptyPair,
    /// A pair that starts with `=`.
    EmptyName,
    /// Bytes that are not UTF-8 once decoded.
    NotUtf8,
}

impl FormFields {
    /// Decodes a form body, refusing what Twilio would never send.
    pub(crate) fn parse(body: &[u8]) -> Result<Self, MalformedForm> {
        let mut text = body.to_vec();
        for byte in &mut text {
            // A select rather than a branch, so that it is vectorized.
            *byte = if *byte == b'+' { b' ' } else { *byte };
        }
        let mut fields = Vec::with_capacity(memchr::memchr_iter(b'&', body).count() + 1);
        // Each escape decoded shortens the text by two bytes: `removed` is
        // how many so far, so a byte at `at` in the body is at
        // `at - removed` in the text once moved. The bytes from `unmoved` on
        // have not been moved yet; they are, a run at a time, at each escape.
        let (mut removed, mut unmoved) = (0, 0);
        let (mut field_start, mut name_end) = (0, None);
        for at in separators(body).chain([body.len()]) {
            if at < unmoved {
                continue; // the digits of an escape
            }
            let to = at - removed;
            match body.get(at) {
                Some(b'%') => {
                    if let Some(&[hi, lo]) = body.get(at + 1..at + 3) {
                        if hi.is_ascii_hexdigit() && lo.is_ascii_hexdigit() {
                            text.copy_within(unmoved..at, unmoved - removed);
                            text[to] = hex(hi) << 4 | hex(lo);
                            removed += 2;
                            unmoved = at + 3;
                        }
                    } // otherwise the `%` is kept as it is
                }
                Some(b'=') => {
                    name_end.get_or_insert(to);
                }
                _ => {
                    // `&` or the end of the body: the end of a field.
                    if to == field_start {
                        if body.is_empty() {
                            break;
                        }
                        return Err(MalformedForm::EmptyPair);
                    }
                    let name_len = name_end.take().unwrap_or(to);
                    if name_len == field_start {
                        return Err(MalformedForm::EmptyName);
                    }
                    let value_start = (name_len + 1).min(to);
                    fields.push((field_start..name_len, value_start..to));
                    field_start = to + 1;
                }
            }
        }
        if removed > 0 {
            text.copy_within(unmoved.., unmoved - removed);
            text.truncate(body.len() - removed);
        }
        // The separators are ASCII, so when the whole text is UTF-8, so is
        // every field: a character cut in two by a field's end would have a
        // separator in its middle.
        match String::from_utf8(text) {
            Ok(text) => Ok(Self { text, fields }),
            Err(_) => Err(MalformedForm::NotUtf8),
        }
    }

    /// A query's parameters, decoded as `form_urlencoded` (and so axum's
    /// `Query`) decodes them, repairs included: a query is part of the
    /// signed URL, compared parameter by parameter, so these are the
    /// parameters that were signed, read as the handler reads them.
    pub(crate) fn from_query(query: &str) -> Self {
        let mut text = String::with_capacity(query.len());
        let fields = form_urlencoded::parse(query.as_bytes())
            .map(|(name, value)| {
                let name_start = text.len();
                text.push_str(&name);
                let value_start = text.len();
                text.push_str(&value);
                (name_start..value_start, value_start..text.len())
            })
            .collect();
        Self { text, fields }
    }

    /// The fields as `(name, value)`, in the order received.
    pub(crate) fn iter(&self) -> impl ExactSizeIterator<Item = (&str, &str)> + '_ {
        self.fields
            .iter()
            .map(|(name, value)| (&self.text[name.clone()], &self.text[value.clone()]))
    }
}

/// The positions of every `&`, `=` and `%` in `body`, in order.
///
/// Form bodies have one every few bytes, so rather than a search per
/// separator, each 32-byte block is turned into a bit mask at once (a
/// fixed-length loop that the compiler makes into vector compares) and the
/// bits are read off.
fn separators(body: &[u8]) -> impl Iterator<Item = usize> + '_ {
    const BLOCK: usize = 32;
    body.chunks(BLOCK).enumerate().flat_map(|(block, bytes)| {
        let mut padded = [0; BLOCK];
        padded[..bytes.len()].copy_from_slice(bytes);
        let mut mask = separator_mask(&padded);
        std::iter::from_fn(move || {
            let bit = mask.trailing_zeros();
            (bit < 32).then(|| {
                mask &= mask - 1;
                block * BLOCK + bit as usize
            })
        })
    })
}

fn separator_mask(block: &[u8; 32]) -> u32 {
    // A 1 for each separator byte (compares the compiler vectorizes), then
    // each group of eight gathered into eight bits by one multiplication:
    // byte j of the word, times byte 7 - j of the constant, lands in bit
    // 56 + j, and no two products share a bit, so nothing carries.
    let hits = block.map(|b| u8::from((b == b'&') | (b == b'=') | (b == b'%')));
    let mut mask = 0;
    for (i, word) in hits.chunks_exact(8).enumerate() {
        let word = u64::from_le_bytes(word.try_into().expect("8 bytes"));
        mask |= ((word.wrapping_mul(0x0102_0408_1020_4080) >> 56) as u32) << (8 * i);
    }
    mask
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

    fn decoded(body: &[u8]) -> Result<Vec<(String, String)>, MalformedForm> {
        FormFields::parse(body).map(|fields| {
            fields
                .iter()
                .map(|(k, v)| (k.to_owned(), v.to_owned()))
                .collect()
        })
    }

    /// What the decoder must answer: `form_urlencoded`'s fields, or the
    /// reason it refuses, judged piece by piece without its code.
    fn reference(body: &[u8]) -> Result<Vec<(String, String)>, MalformedForm> {
        if body.is_empty() {
            return Ok(Vec::new());
        }
        for piece in body.split(|&b| b == b'&') {
            if piece.is_empty() {
                return Err(MalformedForm::EmptyPair);
            }
            if piece[0] == b'=' {
                return Err(MalformedForm::EmptyName);
            }
        }
        let spaced: Vec<u8> = body
            .iter()
            .map(|&b| if b == b'+' { b' ' } else { b })
            .collect();
        for piece in spaced.split(|&b| b == b'&' || b == b'=') {
            let bytes: Vec<u8> = percent_encoding::percent_decode(piece).collect();
            if std::str::from_utf8(&bytes).is_err() {
                return Err(MalformedForm::NotUtf8);
            }
        }
        Ok(form_urlencoded::parse(body).into_owned().collect())
    }

    #[test]
    fn decodes_exactly_as_form_urlencoded_does() {
        let bodies: [&[u8]; 14] = [
            b"",
            b"a",
            b"a=",
            b"a=1&a=2&b",
            b"a=b=c&d=e",
            b"From=%2B14158675309&Body=Hello+world%21",
            b"k=%zz%4&k2=%4G%41%",
            b"k=100%&k=%",
            b"emoji=%F0%9F%98%80&split=%F0%9F%98%80",
            b"one=%C3%A9",
            b"name%3Dwith%26=v%3D1%262",
            b"plus%2B=%2B+%20",
            "caf\u{e9}=na\u{ef}ve&%C3%A9=%c3%A9".as_bytes(),
            b"%3D=x",
        ];
        for body in bodies {
            let ours = decoded(body);
            assert!(ours.is_ok(), "{}", String::from_utf8_lossy(body));
            assert_eq!(ours, reference(body), "{}", String::from_utf8_lossy(body));
        }
    }

    #[test]
    fn refuses_what_form_urlencoded_would_repair() {
        for (body, why) in [
            (&b"&&&"[..], MalformedForm::EmptyPair),
            (b"&", MalformedForm::EmptyPair),
            (b"a=1&&b=2", MalformedForm::EmptyPair),
            (b"a=1&", MalformedForm::EmptyPair),
            (b"&a=1", MalformedForm::EmptyPair),
            (b"=", MalformedForm::EmptyName),
            (b"=b", MalformedForm::EmptyName),
            (b"a=1&=b", MalformedForm::EmptyName),
            (b"Body=%FF", MalformedForm::NotUtf8),
            (b"raw=\xff\xfe&ok=1", MalformedForm::NotUtf8),
            (b"halves=%C3&of=%A9", MalformedForm::NotUtf8),
            (b"raw_halves=\xc3&b=\xa9", MalformedForm::NotUtf8),
            (b"lone=%80", MalformedForm::NotUtf8),
        ] {
            assert_eq!(decoded(body), Err(why), "{}", String::from_utf8_lossy(body));
            assert_eq!(
                reference(body),
                Err(why),
                "{}",
                String::from_utf8_lossy(body)
            );
        }
    }

    #[test]
    fn keeps_the_order_received_and_repeated_names() {
        assert_eq!(
            decoded(b"b=2&a=1&b=3").unwrap(),
            [("b", "2"), ("a", "1"), ("b", "3")].map(|(k, v)| (k.to_owned(), v.to_owned()))
        );
    }

    #[test]
    fn one_buffer_holds_every_field() {
        let body = "AccountSid=AC1&From=%2B14158675309&CallerCity=SAN+FRANCISCO";
        let fields = FormFields::parse(body.as_bytes()).unwrap();
        assert_eq!(fields.iter().len(), 3);
        assert_eq!(
            fields.text,
            "AccountSid=AC1&From=+14158675309&CallerCity=SAN FRANCISCO"
        );
        assert!(fields.text.capacity() <= body.len());
    }

    #[test]
    fn the_separator_mask_has_a_bit_for_each_separator() {
        for seed in 0..2000u32 {
            let block: [u8; 32] = std::array::from_fn(|i| {
                let x = seed.wrapping_mul(2_654_435_761).rotate_left(i as u32 * 5) >> 24;
                [b'&', b'=', b'%', b'a', b'+', 0, 0xff, b'%' ^ 1][x as usize % 8]
            });
            let expected = (0..32).fold(0u32, |m, i| {
                m | u32::from(matches!(block[i], b'&' | b'=' | b'%')) << i
            });
            assert_eq!(separator_mask(&block), expected, "{block:?}");
        }
    }

    proptest::proptest! {
        /// Bodies made of separators, escapes (whole, cut short, not hex),
        /// `+`, and bytes that are or are not UTF-8, in any order: the
        /// decoder gives `form_urlencoded`'s fields or refuses, exactly as
        /// the reference says.
        #[test]
        fn decodes_any_body_as_the_reference_does(
            pieces in proptest::collection::vec(
                proptest::sample::select(&[
                    "a", "b", "=", "&", "+", "%", "%2", "%2B", "%3D", "%26", "%zz",
                    "%C3", "%A9", "%F0%9F%98%80", "\u{e9}", "\u{1F600}", "\u{FF01}",
                ][..]),
                0..24,
            ),
            raw in proptest::collection::vec(proptest::sample::select(&[0x80u8, 0xc3, 0xa9, 0xff][..]), 0..3),
            at in 0usize..24,
        ) {
            let mut body = pieces.concat().into_bytes();
            let at = at.min(body.len());
            body.splice(at..at, raw);
            proptest::prop_assert_eq!(decoded(&body), reference(&body));
        }
    }
}
