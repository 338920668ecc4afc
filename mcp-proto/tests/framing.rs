//! Property tests for the newline deframer: chunking never changes the
//! result, the result matches a naive model, the oversized-line scanner agrees
//! with serde_json, and no input makes it panic.

use mcp_proto::framing::{Frame, LineDeframer, OversizedFrame};
use mcp_proto::model::RequestId;
use proptest::prelude::*;
use serde_json::Value;

/// Pushes `input` cut into chunks of the given sizes (cycled), pulling frames
/// after a chunk when the matching `pulls` entry is true, and drains at the
/// end (including `finish`).
fn run(max: usize, input: &[u8], sizes: &[usize], pulls: &[bool]) -> Vec<Frame> {
    let mut d = LineDeframer::new(max);
    let bound = input.len() + 1;
    let mut frames = Vec::new();
    let mut pos = 0;
    let mut i = 0;
    while pos < input.len() {
        let size = sizes[i % sizes.len()];
        let end = (pos + size).min(input.len());
        d.push(&input[pos..end]);
        pos = end;
        if pulls.is_empty() || pulls[i % pulls.len()] {
            frames.extend(drain(&mut d, bound));
        }
        i += 1;
    }
    frames.extend(drain(&mut d, bound));
    frames.extend(d.finish());
    frames.extend(drain(&mut d, bound));
    assert_eq!(d.buffered_len(), 0);
    assert!(!d.has_frame());
    frames
}

/// Takes every ready frame; fails if `next_frame` does not run dry within
/// `bound` calls (there are never more frames than input bytes).
fn drain(d: &mut LineDeframer, bound: usize) -> Vec<Frame> {
    let mut out = Vec::new();
    let ready = d.has_frame();
    for _ in 0..bound {
        match d.next_frame() {
            Some(frame) => out.push(frame),
            None => {
                assert!(!d.has_frame());
                assert_eq!(ready, !out.is_empty());
                return out;
            }
        }
    }
    match d.next_frame() {
        None => out,
        Some(frame) => panic!("next_frame did not run dry: {frame:?}"),
    }
}

/// What a frame should be, according to a naive line splitter.
#[derive(Debug, PartialEq)]
enum Expected {
    Line(Vec<u8>),
    Oversized(usize),
}

fn summary(frame: &Frame) -> Expected {
    match frame {
        Frame::Line(bytes) => Expected::Line(bytes.clone()),
        Frame::Oversized(o) => Expected::Oversized(o.len),
    }
}

fn model(max: usize, input: &[u8]) -> Vec<Expected> {
    let mut out = Vec::new();
    let mut lines: Vec<&[u8]> = input.split(|&b| b == b'\n').collect();
    if lines.last().is_some_and(|l| l.is_empty()) {
        lines.pop();
    }
    for line in lines {
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        if line.iter().all(|b| matches!(b, b' ' | b'\t' | b'\r')) {
            continue;
        }
        if line.len() > max {
            out.push(Expected::Oversized(line.len()));
        } else {
            out.push(Expected::Line(line.to_vec()));
        }
    }
    out
}

/// One line of test input, without its newline.
fn line_strategy() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        // Arbitrary bytes (no newline).
        10 =>
        prop::collection::vec(any::<u8>().prop_map(|b| if b == b'\n' { b'N' } else { b }), 0..40),
        // Blank lines.
        5 => prop::collection::vec(prop::sample::select(vec![b' ', b'\t', b'\r']), 0..6),
        // Lines big enough to be handed out by moving the buffer.
        1 => (16_000usize..40_000).prop_map(|n| vec![b'a'; n]),
        // JSON-ish lines.
        10 => prop::collection::vec(
            prop::sample::select(b"{}[]\":,\\ \rid01x".to_vec()),
            0..60
        ),
    ]
}

/// Lines joined by "\n" or "\r\n", the last one possibly unterminated.
fn input_strategy() -> impl Strategy<Value = Vec<u8>> {
    (
        prop::collection::vec((line_strategy(), any::<bool>()), 0..20),
        any::<bool>(),
    )
        .prop_map(|(lines, terminate_last)| {
            let mut out = Vec::new();
            let n = lines.len();
            for (i, (line, crlf)) in lines.into_iter().enumerate() {
                out.extend_from_slice(&line);
                if i + 1 < n || terminate_last {
                    out.extend_from_slice(if crlf { b"\r\n" } else { b"\n" });
                }
            }
            out
        })
}

fn sizes_strategy() -> impl Strategy<Value = Vec<usize>> {
    prop::collection::vec(prop_oneof![0usize..50, 1000usize..10_000], 1..12)
        .prop_filter("some chunk must be non-empty", |s| s.iter().any(|&n| n > 0))
}

fn max_strategy() -> impl Strategy<Value = usize> {
    prop_oneof![0usize..48, Just(30_000), Just(usize::MAX)]
}

proptest! {
    #[test]
    fn chunking_does_not_change_frames(
        input in input_strategy(),
        max in max_strategy(),
        sizes in sizes_strategy(),
        pulls in prop::collection::vec(any::<bool>(), 0..8),
    ) {
        let whole = run(max, &input, &[input.len().max(1)], &[]);
        let chunked = run(max, &input, &sizes, &pulls);
        prop_assert_eq!(&chunked, &whole);
        let expected = model(max, &input);
        prop_assert_eq!(whole.iter().map(summary).collect::<Vec<_>>(), expected);
        for frame in &whole {
            if let Frame::Line(bytes) = frame {
                prop_assert!(!bytes.is_empty());
                prop_assert!(bytes.len() <= max);
                prop_assert!(!bytes.contains(&b'\n'));
            }
        }
    }

    #[test]
    fn arbitrary_bytes_never_panic(
        input in prop::collection::vec(any::<u8>(), 0..400),
        max in max_strategy(),
        sizes in sizes_strategy(),
        pulls in prop::collection::vec(any::<bool>(), 0..8),
    ) {
        let frames = run(max, &input, &sizes, &pulls);
        prop_assert_eq!(frames.iter().map(summary).collect::<Vec<_>>(), model(max, &input));
    }

    #[test]
    fn json_ish_bytes_never_panic(
        input in prop::collection::vec(
            prop::sample::select(b"{}[]\":,\\ \r\nidmethodresulterror5".to_vec()),
            0..400,
        ),
        max in max_strategy(),
        sizes in sizes_strategy(),
        pulls in prop::collection::vec(any::<bool>(), 0..8),
    ) {
        let whole = run(max, &input, &[input.len().max(1)], &[]);
        let chunked = run(max, &input, &sizes, &pulls);
        prop_assert_eq!(&chunked, &whole);
        prop_assert_eq!(whole.iter().map(summary).collect::<Vec<_>>(), model(max, &input));
    }

    #[test]
    fn scanner_agrees_with_serde_json(
        msg in message_strategy(),
        sizes in sizes_strategy(),
    ) {
        let (text, expected) = msg;
        prop_assume!(!text.is_empty());
        let frames = run(0, text.as_bytes(), &sizes, &[true]);
        prop_assert_eq!(frames, vec![Frame::Oversized(expected)]);
    }
}

/// A JSON value with strings full of characters that matter to a scanner.
fn value_strategy() -> impl Strategy<Value = Value> {
    let tricky = "[a-z{}\\[\\]\",:\\\\ \u{e9}\u{1F600}]{0,12}";
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        any::<f64>()
            .prop_filter("finite", |f| f.is_finite())
            .prop_map(Value::from),
        tricky.prop_map(Value::String),
    ];
    leaf.prop_recursive(4, 32, 6, move |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..5).prop_map(Value::Array),
            prop::collection::vec((tricky, inner), 0..5)
                .prop_map(|kv| Value::Object(kv.into_iter().collect())),
        ]
    })
}

fn id_strategy() -> impl Strategy<Value = Value> {
    prop_oneof![
        any::<i64>().prop_map(Value::from),
        any::<u64>().prop_map(Value::from),
        "[a-z\"\\\\{}, ]{0,20}".prop_map(Value::String),
        "[a-z]{250,260}".prop_map(Value::String),
        Just(Value::Null),
        Just(serde_json::json!(1.0)),
        Just(serde_json::json!({"id": 1})),
    ]
}

fn method_strategy() -> impl Strategy<Value = Value> {
    prop_oneof![
        "[a-z/\"\\\\{}]{0,30}".prop_map(Value::String),
        "[a-z]{250,260}".prop_map(Value::String),
        any::<i64>().prop_map(Value::from),
    ]
}

/// The raw value text, as the scanner would capture it.
fn fits(raw: &str) -> bool {
    raw.len() <= 256
}

/// A one-line JSON object with top-level keys in random order and random
/// spacing, and what the scanner should report about it.
fn message_strategy() -> impl Strategy<Value = (String, OversizedFrame)> {
    let others = prop::collection::vec(
        (
            "[a-z\"\\\\]{0,8}".prop_filter("not a key of interest", |k| {
                !matches!(k.as_str(), "id" | "method" | "result" | "error")
            }),
            value_strategy(),
        ),
        0..4,
    );
    (
        prop::option::of(id_strategy()),
        prop::option::of(method_strategy()),
        prop::option::of(value_strategy()),
        prop::option::of(value_strategy()),
        others,
        any::<bool>(),
    )
        .prop_flat_map(|(id, method, result, error, others, spaced)| {
            let mut expected = OversizedFrame::default();
            let mut fields: Vec<(String, Value)> = Vec::new();
            if let Some(id) = id {
                let raw = id.to_string();
                if fits(&raw) {
                    expected.id = serde_json::from_value::<RequestId>(id.clone()).ok();
                }
                fields.push(("id".into(), id));
            }
            if let Some(method) = method {
                if fits(&method.to_string()) {
                    expected.method = method.as_str().map(str::to_owned);
                }
                fields.push(("method".into(), method));
            }
            if let Some(result) = result {
                expected.has_result = true;
                fields.push(("result".into(), result));
            }
            if let Some(error) = error {
                expected.has_error = true;
                fields.push(("error".into(), error));
            }
            let mut seen = std::collections::HashSet::new();
            for (k, v) in others {
                if seen.insert(k.clone()) {
                    fields.push((k, v));
                }
            }
            (Just(fields).prop_shuffle(), Just(expected), Just(spaced))
        })
        .prop_map(|(fields, mut expected, spaced)| {
            // Spacing goes before keys and values, where it is not
            // captured, so the cap applies to the value text alone.
            let sp = if spaced { " " } else { "" };
            let body: Vec<String> = fields
                .iter()
                .map(|(k, v)| format!("{sp}{}{sp}:{sp}{v}", Value::from(k.as_str())))
                .collect();
            let text = format!("{{{}}}", body.join(","));
            expected.len = text.len();
            (text, expected)
        })
}
