//! Node's legacy `querystring.parse` followed by `querystring.stringify`.
//!
//! twilio-node re-encodes the query of a normalized URL this way as its last
//! fallback, for back ends that signed an escaped form of a query value. The
//! rules reproduced here are Node's, including its quirks: at most 1000 pairs
//! are read, a key without `=` gets an empty value, repeated keys are grouped
//! at their first position, and keys that are array indices (`"0"`, `"42"`)
//! come first in ascending order, as JavaScript orders an object's keys.

use std::borrow::Cow;
use std::collections::HashMap;

use percent_encoding::{percent_decode_str, utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};

/// Node's `querystring.escape` leaves these unescaped, like `encodeURIComponent`.
const ESCAPE: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'_')
    .remove(b'.')
    .remove(b'!')
    .remove(b'~')
    .remove(b'*')
    .remove(b'\'')
    .remove(b'(')
    .remove(b')');

/// Node's default `maxKeys`.
const MAX_PAIRS: usize = 1000;

/// Re-encodes the query of `url`; a URL without a query, or with an empty
/// one, is returned unchanged.
pub(crate) fn reencode_url(url: &str) -> Cow<'_, str> {
    match url.split_once('?') {
        Some((head, query)) if !query.is_empty() => {
            Cow::Owned(format!("{head}?{}", stringify(&parse(query))))
        }
        _ => Cow::Borrowed(url),
    }
}

type Groups = Vec<(String, Vec<String>)>;

fn parse(query: &str) -> Groups {
    let mut groups: Groups = Vec::new();
    // Where each key's group is: one lookup per pair, so a query of many
    // distinct keys costs linear time, not quadratic.
    let mut index: HashMap<String, usize> = HashMap::new();
    let segments = query.split('&').take(MAX_PAIRS);
    for segment in segments.filter(|s| !s.is_empty()) {
        let (key, value) = segment.split_once('=').unwrap_or((segment, ""));
        let (key, value) = (decode(key), decode(value));
        match index.get(&key) {
            Some(&at) => groups[at].1.push(value),
            None => {
                index.insert(key.clone(), groups.len());
                groups.push((key, vec![value]));
            }
        }
    }
    // Array-index keys first, ascending; the others keep their order.
    groups.sort_by_key(|(k, _)| array_index(k).map_or((1, 0), |i| (0, i)));
    groups
}

fn stringify(groups: &Groups) -> String {
    let mut out = String::new();
    for (key, values) in groups {
        for value in values {
            if !out.is_empty() {
                out.push('&');
            }
            out.extend(utf8_percent_encode(key, ESCAPE));
            out.push('=');
            out.extend(utf8_percent_encode(value, ESCAPE));
        }
    }
    out
}

/// `+` is a space, valid `%XX` escapes are decoded, invalid ones are kept,
/// and bytes that are not UTF-8 become U+FFFD, as Node decodes them.
fn decode(s: &str) -> String {
    let spaced = s.replace('+', " ");
    percent_decode_str(&spaced).decode_utf8_lossy().into_owned()
}

/// A JavaScript array index: a canonical decimal below 2^32 - 1.
fn array_index(key: &str) -> Option<u32> {
    let canonical = key == "0" || (!key.starts_with('0') && !key.is_empty());
    if !canonical || !key.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    key.parse::<u32>().ok().filter(|&i| i != u32::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn roundtrip(q: &str) -> String {
        stringify(&parse(q))
    }

    #[test]
    fn spaces_become_percent_20_and_quotes_stay() {
        assert_eq!(roundtrip("Body=It%27s+amazing"), "Body=It's%20amazing");
    }

    #[test]
    fn repeated_keys_are_grouped_at_their_first_position() {
        assert_eq!(roundtrip("a=1&b=2&a=3"), "a=1&a=3&b=2");
    }

    #[test]
    fn keys_without_values_get_an_empty_value() {
        assert_eq!(roundtrip("a&b=&=c&&"), "a=&b=&=c");
    }

    #[test]
    fn array_index_keys_come_first() {
        assert_eq!(roundtrip("b=1&10=x&2=y&01=z"), "2=y&10=x&b=1&01=z");
    }

    #[test]
    fn invalid_escapes_are_kept_and_bad_utf8_is_replaced() {
        assert_eq!(roundtrip("a=%zz%41"), "a=%25zzA");
        assert_eq!(roundtrip("a=%FF"), "a=%EF%BF%BD");
    }

    #[test]
    fn reads_at_most_1000_pairs() {
        let q: Vec<String> = (0..1005).map(|i| format!("k{i}=v")).collect();
        assert_eq!(parse(&q.join("&")).len(), 1000);
    }

    #[test]
    fn urls_without_a_query_are_unchanged() {
        assert_eq!(reencode_url("https://h/a"), "https://h/a");
        assert_eq!(reencode_url("https://h/a?"), "https://h/a?");
        assert_eq!(reencode_url("https://h/a?x=%27"), "https://h/a?x='");
    }
}
