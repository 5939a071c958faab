//! The XML under every TwiML document: escaping, names, and the element
//! tree the typed builders fill. Nothing here knows Twilio's vocabulary.

use std::borrow::Cow;
use std::fmt;

/// `text` made safe for the text of an element or an attribute value:
///
/// - `&`, `<`, `>`, `"` and `'` are escaped (`&amp;` and so on);
/// - tab, newline and carriage return are written as character references
///   (`&#9;`, `&#10;`, `&#13;`), so that an attribute value keeps them (an
///   XML parser turns a literal one into a space) and a carriage return in
///   text is not turned into a newline;
/// - the characters XML 1.0 forbids in a document (U+0000 to U+0008,
///   U+000B, U+000C, U+000E to U+001F, U+FFFE and U+FFFF) are replaced with
///   U+FFFD, the replacement character: no parser would accept the
///   document with them, and Twilio would drop the answer (error 12100).
///
/// Borrowed when there is nothing to change.
pub fn escape(text: &str) -> Cow<'_, str> {
    let Some(first) = text.find(needs_escape) else {
        return Cow::Borrowed(text);
    };
    let mut out = String::with_capacity(text.len() + 16);
    out.push_str(&text[..first]);
    escape_into(&mut out, &text[first..]);
    Cow::Owned(out)
}

fn needs_escape(c: char) -> bool {
    matches!(c, '&' | '<' | '>' | '"' | '\'') || is_control(c) || c == '\u{FFFE}' || c == '\u{FFFF}'
}

fn is_control(c: char) -> bool {
    c < ' '
}

/// Appends `text` to `out`, escaped as [`escape`] says.
pub(crate) fn escape_into(out: &mut String, text: &str) {
    let mut rest = text;
    while let Some(at) = rest.find(needs_escape) {
        out.push_str(&rest[..at]);
        let c = rest[at..].chars().next().expect("found at a char boundary");
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            '\t' => out.push_str("&#9;"),
            '\n' => out.push_str("&#10;"),
            '\r' => out.push_str("&#13;"),
            // The rest of U+0000-U+001F, U+FFFE and U+FFFF: not XML 1.0 characters.
            _ => out.push('\u{FFFD}'),
        }
        rest = &rest[at + c.len_utf8()..];
    }
    out.push_str(rest);
}

/// An element or attribute name refused by [`Element::try_new`] and
/// [`Element::try_attr`]: not an XML 1.0 `Name` (the production of section
/// 2.3), or one with a namespace prefix other than `xml:` (`xml:lang`).
/// A prefix would need a declaration that TwiML does not have, and a
/// namespace-aware parser refuses the document without one.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InvalidName(String);

impl InvalidName {
    /// The name refused.
    pub fn name(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for InvalidName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:?} is not an XML name", self.0)
    }
}

impl std::error::Error for InvalidName {}

fn is_name_start(c: char) -> bool {
    matches!(c,
        ':' | 'A'..='Z' | '_' | 'a'..='z'
        | '\u{C0}'..='\u{D6}' | '\u{D8}'..='\u{F6}' | '\u{F8}'..='\u{2FF}'
        | '\u{370}'..='\u{37D}' | '\u{37F}'..='\u{1FFF}' | '\u{200C}'..='\u{200D}'
        | '\u{2070}'..='\u{218F}' | '\u{2C00}'..='\u{2FEF}' | '\u{3001}'..='\u{D7FF}'
        | '\u{F900}'..='\u{FDCF}' | '\u{FDF0}'..='\u{FFFD}' | '\u{10000}'..='\u{EFFFF}')
}

fn is_name_char(c: char) -> bool {
    is_name_start(c)
        || matches!(c, '-' | '.' | '0'..='9' | '\u{B7}' | '\u{300}'..='\u{36F}' | '\u{203F}'..='\u{2040}')
}

/// Whether `name` is an XML 1.0 `Name` without a colon (an `NCName` of
/// Namespaces in XML 1.0).
fn is_ncname(name: &str) -> bool {
    let mut chars = name.chars();
    chars.next().is_some_and(|c| c != ':' && is_name_start(c))
        && chars.all(|c| c != ':' && is_name_char(c))
}

/// Whether `name` can be written in a TwiML document: an `NCName`, or one
/// after the `xml:` prefix, which is declared in every document.
fn is_name(name: &str) -> bool {
    is_ncname(name.strip_prefix("xml:").unwrap_or(name))
}

fn checked(name: Cow<'static, str>) -> Result<Cow<'static, str>, InvalidName> {
    if is_name(&name) {
        Ok(name)
    } else {
        Err(InvalidName(name.into_owned()))
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
enum Node {
    Element(Element),
    Text(String),
}

/// An XML element: a name, attributes and children, written escaped.
///
/// The typed elements of [`voice`](super::voice) and
/// [`messaging`](super::messaging) are this with Twilio's names; use it
/// directly for what Twilio adds before this crate does, and add it with
/// the typed elements' `child`. Names are checked when they are given:
/// [`Element::new`] and [`Element::attr`] panic on a name that is not an
/// XML name (names are written in the program, as `HeaderName::from_static`
/// takes them), [`Element::try_new`] and [`Element::try_attr`] return an
/// error. An attribute set twice keeps its last value, so the output never
/// repeats one.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Element {
    name: Cow<'static, str>,
    attributes: Vec<(Cow<'static, str>, String)>,
    children: Vec<Node>,
}

impl Element {
    /// An element named `name`.
    ///
    /// # Panics
    ///
    /// If `name` is not an XML name.
    #[track_caller]
    pub fn new(name: impl Into<Cow<'static, str>>) -> Self {
        Self::try_new(name).unwrap_or_else(|e| panic!("Element::new: {e}"))
    }

    /// An element named `name`, or an error if it is not an XML name.
    pub fn try_new(name: impl Into<Cow<'static, str>>) -> Result<Self, InvalidName> {
        Ok(Self::known(checked(name.into())?))
    }

    /// An element whose name the vocabulary gives (a valid name).
    pub(crate) fn known(name: impl Into<Cow<'static, str>>) -> Self {
        Self {
            name: name.into(),
            attributes: Vec::new(),
            children: Vec::new(),
        }
    }

    /// The element's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// With the attribute `name` set to `value` (escaped when written).
    ///
    /// # Panics
    ///
    /// If `name` is not an XML name.
    #[track_caller]
    #[must_use]
    pub fn attr(self, name: impl Into<Cow<'static, str>>, value: impl Into<String>) -> Self {
        self.try_attr(name, value)
            .unwrap_or_else(|e| panic!("Element::attr: {e}"))
    }

    /// With the attribute `name` set to `value`, or an error if `name` is not
    /// an XML name.
    pub fn try_attr(
        mut self,
        name: impl Into<Cow<'static, str>>,
        value: impl Into<String>,
    ) -> Result<Self, InvalidName> {
        self.set(checked(name.into())?, value.into());
        Ok(self)
    }

    /// With `text` appended (escaped when written).
    #[must_use]
    pub fn text(mut self, text: impl Into<String>) -> Self {
        self.push_text(text.into());
        self
    }

    /// With `child` appended.
    #[must_use]
    pub fn child(mut self, child: impl Into<Element>) -> Self {
        self.push(child.into());
        self
    }

    pub(crate) fn set(&mut self, name: impl Into<Cow<'static, str>>, value: String) {
        let name = name.into();
        match self.attributes.iter_mut().find(|(n, _)| *n == name) {
            Some((_, v)) => *v = value,
            None => self.attributes.push((name, value)),
        }
    }

    pub(crate) fn push(&mut self, child: Element) {
        self.children.push(Node::Element(child));
    }

    pub(crate) fn push_text(&mut self, text: String) {
        if !text.is_empty() {
            self.children.push(Node::Text(text));
        }
    }

    /// Appends the element, escaped, to `out`.
    pub(crate) fn write(&self, out: &mut String) {
        out.push('<');
        out.push_str(&self.name);
        for (name, value) in &self.attributes {
            out.push(' ');
            out.push_str(name);
            out.push_str("=\"");
            escape_into(out, value);
            out.push('"');
        }
        if self.children.is_empty() {
            out.push_str("/>");
            return;
        }
        out.push('>');
        for child in &self.children {
            match child {
                Node::Element(e) => e.write(out),
                Node::Text(t) => escape_into(out, t),
            }
        }
        out.push_str("</");
        out.push_str(&self.name);
        out.push('>');
    }

    /// The document: the XML declaration and this element.
    pub(crate) fn to_document(&self) -> String {
        let mut out = String::from(DECLARATION);
        self.write(&mut out);
        out
    }
}

/// The XML declaration every built document opens with, as the official
/// libraries write it.
pub(crate) const DECLARATION: &str = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>";

/// An attribute value of a space-joined list (`input="dtmf speech"`).
pub(crate) fn join<I: IntoIterator<Item = T>, T: AsRef<str>>(items: I) -> String {
    let mut out = String::new();
    for item in items {
        if !out.is_empty() {
            out.push(' ');
        }
        out.push_str(item.as_ref());
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escape_replaces_the_five_xml_characters_and_keeps_the_rest() {
        assert_eq!(
            escape(r#"a&b<c>d"e'f é 😀"#),
            "a&amp;b&lt;c&gt;d&quot;e&apos;f é 😀"
        );
        assert!(matches!(escape("plain text, é"), Cow::Borrowed(_)));
        assert_eq!(escape(""), "");
        assert_eq!(escape("&amp;"), "&amp;amp;");
    }

    #[test]
    fn escape_writes_tab_newline_and_carriage_return_as_character_references() {
        assert_eq!(escape("a\tb\nc\rd"), "a&#9;b&#10;c&#13;d");
    }

    #[test]
    fn escape_replaces_the_characters_xml_forbids_with_the_replacement_character() {
        for c in ('\0'..='\u{8}')
            .chain(['\u{B}', '\u{C}'])
            .chain('\u{E}'..='\u{1F}')
        {
            assert_eq!(escape(&format!("a{c}b")), "a\u{FFFD}b", "{:?}", c);
        }
        assert_eq!(escape("\u{FFFE}\u{FFFF}"), "\u{FFFD}\u{FFFD}");
        // Allowed, if unusual: kept.
        assert_eq!(
            escape("\u{7F}\u{85}\u{FFFD}\u{10FFFF}"),
            "\u{7F}\u{85}\u{FFFD}\u{10FFFF}"
        );
    }

    #[test]
    fn names_follow_the_xml_name_production() {
        for good in ["Say", "xml:lang", "interpret-as", "_x", "é.1", "a·b"] {
            assert!(Element::try_new(good).is_ok(), "{good}");
        }
        for bad in [
            "", "1a", "-a", "a b", "a>", "a\"", "a=b", "<a", ".a", "x:y", ":a", "a:", "xml:",
        ] {
            assert_eq!(Element::try_new(bad), Err(InvalidName(bad.to_owned())));
            assert!(Element::known("X").try_attr(bad, "v").is_err(), "{bad}");
        }
    }

    #[test]
    #[should_panic(expected = "\"a b\" is not an XML name")]
    fn an_invalid_attribute_name_panics_with_the_name() {
        let _ = Element::new("Say").attr("a b", "v");
    }

    #[test]
    fn an_attribute_set_twice_is_written_once_with_its_last_value() {
        let e = Element::new("Pause")
            .attr("length", "1")
            .attr("length", "2");
        let mut out = String::new();
        e.write(&mut out);
        assert_eq!(out, r#"<Pause length="2"/>"#);
    }

    #[test]
    fn elements_write_escaped_attributes_text_and_children() {
        let e = Element::new("Say")
            .attr("voice", "a\"<b>\n")
            .text("1 < 2 & 3")
            .child(Element::new("break").attr("time", "1s"));
        assert_eq!(
            e.to_document(),
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\
             <Say voice=\"a&quot;&lt;b&gt;&#10;\">1 &lt; 2 &amp; 3<break time=\"1s\"/></Say>"
        );
    }
}
