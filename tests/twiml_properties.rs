//! Properties of the TwiML builders, on generated documents: whatever text
//! and attribute values go in (any Unicode scalar values, the characters XML
//! forbids and its markup included), the document is XML 1.0 that a parser
//! accepts, and it reads back as what went in, the forbidden characters
//! replaced with U+FFFD.

use proptest::prelude::*;
use tower_twilio::twiml::voice::{
    Dial, DialTrim, Gather, GatherInput, Number, Say, SsmlProsody, SsmlSayAs,
};
use tower_twilio::twiml::{messaging, voice, Element, Twiml};

/// Any string of Unicode scalar values, with XML's special and forbidden
/// characters more often than chance would give them.
fn text() -> impl Strategy<Value = String> {
    let special = prop::sample::select(vec![
        '\0',
        '\u{1}',
        '\u{8}',
        '\t',
        '\n',
        '\u{B}',
        '\u{C}',
        '\r',
        '\u{1F}',
        '&',
        '<',
        '>',
        '"',
        '\'',
        ']',
        '\u{FFFE}',
        '\u{FFFF}',
        '\u{FFFD}',
        '\u{10FFFF}',
        '\u{85}',
    ]);
    prop::collection::vec(prop_oneof![any::<char>(), special], 0..24)
        .prop_map(|chars| chars.into_iter().collect())
}

/// What a parser reads back from `s`: the characters XML 1.0 forbids are
/// replaced with U+FFFD.
fn as_read(s: &str) -> String {
    s.chars()
        .map(|c| match c {
            '\t' | '\n' | '\r' => c,
            c if c < ' ' || c == '\u{FFFE}' || c == '\u{FFFF}' => '\u{FFFD}',
            c => c,
        })
        .collect()
}

/// One verb of a voice response, and the (element, attribute or text,
/// value) triples it should read back as.
#[derive(Clone, Debug)]
enum Verb {
    Say {
        text: String,
        voice: String,
        rate: String,
        say_as: String,
    },
    Gather {
        action: String,
        hints: String,
        other_input: String,
        say: String,
    },
    Dial {
        caller_id: String,
        number: String,
        digits: String,
        trim: String,
    },
    Custom {
        attribute: String,
        text: String,
    },
}

fn verb() -> impl Strategy<Value = Verb> {
    prop_oneof![
        (text(), text(), text(), text()).prop_map(|(text, voice, rate, say_as)| Verb::Say {
            text,
            voice,
            rate,
            say_as
        }),
        (text(), text(), text(), text()).prop_map(|(action, hints, other_input, say)| {
            Verb::Gather {
                action,
                hints,
                other_input,
                say,
            }
        }),
        (text(), text(), text(), text()).prop_map(|(caller_id, number, digits, trim)| {
            Verb::Dial {
                caller_id,
                number,
                digits,
                trim,
            }
        }),
        (text(), text()).prop_map(|(attribute, text)| Verb::Custom { attribute, text }),
    ]
}

fn build(verbs: &[Verb]) -> Twiml {
    let mut response = voice::VoiceResponse::new();
    for v in verbs.iter().cloned() {
        response = match v {
            Verb::Say {
                text,
                voice,
                rate,
                say_as,
            } => response.say(
                Say::new(text)
                    .voice(voice)
                    .prosody(SsmlProsody::new(say_as.clone()).rate(rate))
                    .say_as(SsmlSayAs::new(say_as)),
            ),
            Verb::Gather {
                action,
                hints,
                other_input,
                say,
            } => response.gather(
                Gather::new()
                    .action(action)
                    .hints(hints)
                    .input([GatherInput::Dtmf, GatherInput::Other(other_input)])
                    .say(Say::new(say)),
            ),
            Verb::Dial {
                caller_id,
                number,
                digits,
                trim,
            } => response.dial(
                Dial::new()
                    .caller_id(caller_id)
                    .trim(DialTrim::Other(trim))
                    .number(Number::new(number).send_digits(digits)),
            ),
            Verb::Custom { attribute, text } => response.child(
                Element::new("Custom")
                    .attr("value", attribute)
                    .text(text)
                    .child(Element::new("x-y")),
            ),
        };
    }
    response.into()
}

/// The document's content as (element, what, value) triples, in order.
fn read(xml: &str) -> Vec<(String, String, String)> {
    let doc = roxmltree::Document::parse(xml).unwrap_or_else(|e| panic!("{e}\n{xml:?}"));
    let mut out = Vec::new();
    for node in doc.root_element().descendants() {
        if node.is_element() {
            let name = node.tag_name().name().to_owned();
            for a in node.attributes() {
                out.push((name.clone(), a.name().to_owned(), a.value().to_owned()));
            }
            let text: String = node
                .children()
                .filter(|c| c.is_text())
                .filter_map(|c| c.text())
                .collect();
            if !text.is_empty() {
                out.push((name, "#text".to_owned(), text));
            }
        }
    }
    out
}

fn expected(verbs: &[Verb]) -> Vec<(String, String, String)> {
    let t = |e: &str, w: &str, v: &str| (e.to_owned(), w.to_owned(), as_read(v));
    let mut out = Vec::new();
    for v in verbs {
        let mut push = |e: &str, w: &str, v: &str| {
            if w != "#text" || !v.is_empty() {
                out.push(t(e, w, v));
            }
        };
        match v {
            Verb::Say {
                text,
                voice,
                rate,
                say_as,
            } => {
                push("Say", "voice", voice);
                push("Say", "#text", text);
                push("prosody", "rate", rate);
                push("prosody", "#text", say_as);
                push("say-as", "#text", say_as);
            }
            Verb::Gather {
                action,
                hints,
                other_input,
                say,
            } => {
                push("Gather", "action", action);
                push("Gather", "hints", hints);
                push("Gather", "input", &format!("dtmf {other_input}"));
                push("Say", "#text", say);
            }
            Verb::Dial {
                caller_id,
                number,
                digits,
                trim,
            } => {
                push("Dial", "callerId", caller_id);
                push("Dial", "trim", trim);
                push("Number", "sendDigits", digits);
                push("Number", "#text", number);
            }
            Verb::Custom { attribute, text } => {
                push("Custom", "value", attribute);
                push("Custom", "#text", text);
            }
        }
    }
    out
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn voice_documents_parse_and_read_back_as_built(verbs in prop::collection::vec(verb(), 0..6)) {
        let twiml = build(&verbs);
        prop_assert!(twiml.as_str().starts_with("<?xml version=\"1.0\" encoding=\"UTF-8\"?><Response"));
        prop_assert_eq!(read(twiml.as_str()), expected(&verbs));
    }

    #[test]
    fn messaging_documents_parse_and_read_back_as_built(body in text(), to in text(), media in text()) {
        let twiml: Twiml = messaging::MessagingResponse::new()
            .message(
                messaging::Message::new(body.clone())
                    .to(to.clone())
                    .media(messaging::Media::new(media.clone())),
            )
            .into();
        let mut want = vec![("Message".to_owned(), "to".to_owned(), as_read(&to))];
        if !body.is_empty() {
            want.push(("Message".to_owned(), "#text".to_owned(), as_read(&body)));
        }
        if !media.is_empty() {
            want.push(("Media".to_owned(), "#text".to_owned(), as_read(&media)));
        }
        prop_assert_eq!(read(twiml.as_str()), want);
    }
}
