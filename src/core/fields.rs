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
//! The body is copied once and decoded in that copy, its separators
//! dropped, so a request costs a fixed number of allocations however many
//! fields it has, and the handler gets the same buffer without a copy.
//! Names and values follow each other in that buffer with nothing between
//! them: for fields that arrive sorted, the buffer is the parameter part
//! of the signed string as it is ([`FormFields::text`]).

use std::fmt;
use std::ops::Range;

/// Decoded form fields, in the order received.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct FormFields {
    /// Every name and value, decoded (`+` as a space and `%XX` escapes
    /// decoded), in the order received, with nothing between them.
    text: String,
    /// Where each field's name and value are in `text`.
    fields: Vec<(Range<usize>, Range<usize>)>,
}

/// Why a form body was refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MalformedForm {
    /// `&&`, or a `&` at either end.
    EmptyPair,
    /// A pair that starts with `=`.
    EmptyName,
    /// Bytes that are not UTF-8 once decoded.
    NotUtf8,
}

impl FormFields {
    /// Decodes a form body, refusing what Twilio would never send.
    pub fn parse(body: &[u8]) -> Result<Self, MalformedForm> {
        if body.is_empty() {
            return Ok(Self::default());
        }
        let mut decoder = Decoder::new(body);
        let mut blocks = body.chunks_exact(BLOCK);
        for (i, block) in blocks.by_ref().enumerate() {
            decoder.block(i * BLOCK, separator_mask(block))?;
        }
        let tail = blocks.remainder();
        if !tail.is_empty() {
            let mut padded = [0; BLOCK];
            padded[..tail.len()].copy_from_slice(tail);
            decoder.block(body.len() - tail.len(), separator_mask(&padded))?;
        }
        decoder.finish()
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

    /// Every name and value in the order received, with nothing between
    /// them: `iter()`'s names and values concatenated.
    pub fn text(&self) -> &str {
        &self.text
    }

    /// Whether the fields are sorted by name, then value, in byte order,
    /// with no two alike: the order of the signed string.
    pub(crate) fn strictly_sorted(&self) -> bool {
        let text = self.text.as_bytes();
        let mut fields = self.fields.iter();
        let Some(mut before) = fields.next() else {
            return true;
        };
        let mut before_prefix = sort_prefix(text, before.0.clone());
        for field in fields {
            // Most names differ in their first eight bytes: one compare.
            let field_prefix = sort_prefix(text, field.0.clone());
            let order = before_prefix
                .cmp(&field_prefix)
                .then_with(|| text[before.0.clone()].cmp(&text[field.0.clone()]))
                .then_with(|| text[before.1.clone()].cmp(&text[field.1.clone()]));
            if order.is_ge() {
                return false;
            }
            (before, before_prefix) = (field, field_prefix);
        }
        true
    }

    /// The fields as `(name, value)`, in the order received.
    pub fn iter(&self) -> impl ExactSizeIterator<Item = (&str, &str)> + '_ {
        self.fields
            .iter()
            .map(|(name, value)| (&self.text[name.clone()], &self.text[value.clone()]))
    }
}

/// Bytes looked at per separator mask.
const BLOCK: usize = 32;

/// A body being decoded in place, separator by separator.
///
/// `text` starts as the body with `+` as a space (a select rather than a
/// branch, so that it is vectorized). Each decoded escape and each dropped
/// separator shortens it: `text[..written]` is decoded, and the body's
/// bytes from `unmoved` on have not been moved yet (they are still at
/// `unmoved` in `text`); they are moved a run at a time, at each separator.
struct Decoder<'b> {
    body: &'b [u8],
    text: Vec<u8>,
    fields: Vec<(Range<usize>, Range<usize>)>,
    written: usize,
    unmoved: usize,
    /// Where the current pair starts in the body, and its name in `text`.
    pair_start: usize,
    field_start: usize,
    /// Where the current name ends in `text`, once its `=` is seen.
    name_end: Option<usize>,
}

impl<'b> Decoder<'b> {
    fn new(body: &'b [u8]) -> Self {
        let text = body
            .iter()
            .map(|&b| if b == b'+' { b' ' } else { b })
            .collect();
        Self {
            body,
            text,
            fields: Vec::with_capacity(memchr::memchr_iter(b'&', body).count() + 1),
            written: 0,
            unmoved: 0,
            pair_start: 0,
            field_start: 0,
            name_end: None,
        }
    }

    /// Reads off the separators of the block at `base`, one bit each.
    fn block(&mut self, base: usize, mut mask: u32) -> Result<(), MalformedForm> {
        while mask != 0 {
            let at = base + mask.trailing_zeros() as usize;
            mask &= mask - 1;
            self.separator(at)?;
        }
        Ok(())
    }

    fn separator(&mut self, at: usize) -> Result<(), MalformedForm> {
        // Never inside an escape already decoded: hex digits are not
        // separators.
        debug_assert!(at >= self.unmoved);
        match self.body[at] {
            b'%' => {
                if let Some(&[hi, lo]) = self.body.get(at + 1..at + 3) {
                    if hi.is_ascii_hexdigit() && lo.is_ascii_hexdigit() {
                        self.move_to(at, 3);
                        self.text[self.written] = hex(hi) << 4 | hex(lo);
                        self.written += 1;
                    }
                } // otherwise the `%` is kept as it is
            }
            b'=' => {
                if self.name_end.is_none() {
                    self.move_to(at, 1);
                    self.name_end = Some(self.written);
                }
            }
            _ => self.end_field(at)?, // `&`
        }
        Ok(())
    }

    /// Moves the unmoved run up to `at` into place, and skips the `skip`
    /// bytes of the separator or escape found there.
    fn move_to(&mut self, at: usize, skip: usize) {
        // An escape right after a separator leaves nothing to move.
        if self.written != self.unmoved && at != self.unmoved {
            self.text.copy_within(self.unmoved..at, self.written);
        }
        self.written += at - self.unmoved;
        self.unmoved = at + skip;
    }

    /// Ends the pair at `at`, a `&` or the end of the body.
    fn end_field(&mut self, at: usize) -> Result<(), MalformedForm> {
        if at == self.pair_start {
            return Err(MalformedForm::EmptyPair);
        }
        self.move_to(at, 1);
        let end = self.written;
        let name_end = self.name_end.take().unwrap_or(end);
        if name_end == self.field_start {
            return Err(MalformedForm::EmptyName);
        }
        self.fields
            .push((self.field_start..name_end, name_end..end));
        self.field_start = end;
        self.pair_start = at + 1;
        Ok(())
    }

    fn finish(mut self) -> Result<FormFields, MalformedForm> {
        self.end_field(self.body.len())?;
        self.text.truncate(self.written);
        let text = String::from_utf8(self.text).map_err(|_| MalformedForm::NotUtf8)?;
        // Nothing separates the fields in `text`, so a text that is UTF-8
        // as a whole can still cut a character between a name and its
        // value, or between two fields (`a%C3=%A9`): each must be UTF-8.
        let cut = |(name, value): &(Range<usize>, Range<usize>)| {
            text.is_char_boundary(name.end) && text.is_char_boundary(value.end)
        };
        if self.fields.iter().all(cut) {
            Ok(FormFields {
                text,
                fields: self.fields,
            })
        } else {
            Err(MalformedForm::NotUtf8)
        }
    }
}

fn separator_mask(block: &[u8]) -> u32 {
    // A 1 for each separator byte (compares the compiler vectorizes), then
    // each group of eight gathered into eight bits by one multiplication:
    // byte j of the word, times byte 7 - j of the constant, lands in bit
    // 56 + j, and no two products share a bit, so nothing carries.
    let block: &[u8; BLOCK] = block.try_into().expect("a whole block");
    let hits = block.map(|b| u8::from((b == b'&') | (b == b'=') | (b == b'%')));
    let mut mask = 0;
    for (i, word) in hits.chunks_exact(8).enumerate() {
        let word = u64::from_le_bytes(word.try_into().expect("8 bytes"));
        mask |= ((word.wrapping_mul(0x0102_0408_1020_4080) >> 56) as u32) << (8 * i);
    }
    mask
}

/// The first eight bytes of `text[range]`, zero-padded, as a big-endian
/// number: two compare as their bytes do, or are equal when the bytes
/// differ only past the eighth or in a zero byte against the padding. The
/// sort key of a name, here and in the signed string's sort.
pub(crate) fn sort_prefix(text: &[u8], range: Range<usize>) -> u64 {
    let keep = (range.end - range.start).min(8);
    let mut word = [0; 8];
    match text.get(range.start..range.start + 8) {
        // Eight bytes at once, those past the range masked off.
        Some(eight) => word.copy_from_slice(eight),
        // Byte by byte: no `memcpy` call for a few bytes.
        None => {
            for (to, from) in word.iter_mut().zip(&text[range.start..range.start + keep]) {
                *to = *from;
            }
        }
    }
    let word = u64::from_be_bytes(word);
    word & !u64::MAX.checked_shr(8 * keep as u32).unwrap_or(0)
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

    #[test]
    fn one_buffer_holds_every_field() {
        let body = "AccountSid=AC1&From=%2B14158675309&CallerCity=SAN+FRANCISCO";
        let fields = FormFields::parse(body.as_bytes()).unwrap();
        assert_eq!(fields.iter().len(), 3);
        assert_eq!(
            fields.text(),
            "AccountSidAC1From+14158675309CallerCitySAN FRANCISCO"
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
}
