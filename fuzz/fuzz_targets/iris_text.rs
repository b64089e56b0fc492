//! Fuzzes the iris template text parsers on arbitrary UTF-8: `IrisTemplate::from_text` (the
//! two-line form of `rekam-hub bio iris-hd` files and the device protocol), `from_base64`, and
//! `IrisShape`'s `FromStr`. None may panic. The first byte picks the shape: `OPEN_IRIS`,
//! `OPEN_IRIS_200`, `DAUGMAN_2048`, or (4th choice) a shape parsed from the text's first line.
//! Every accepted template must round-trip through `to_text` and `to_base64`, and every
//! accepted shape through `Display`.
#![no_main]

use libfuzzer_sys::fuzz_target;
use rekam_shared::bio::iris::{IrisShape, IrisTemplate};

fn check_round_trip(template: &IrisTemplate) {
    let shape = template.shape();
    let text = template.to_text();
    let again = IrisTemplate::from_text(shape, &text).expect("to_text output must re-parse");
    assert!(
        again == *template,
        "template changed by to_text / from_text"
    );
    assert_eq!(again.to_text(), text, "to_text is not a fixed point");
    let (code, mask) = template.to_base64();
    let again = IrisTemplate::from_base64(shape, &code, &mask).expect("to_base64 must re-parse");
    assert!(
        again == *template,
        "template changed by to_base64 / from_base64"
    );
}

fuzz_target!(|data: &[u8]| {
    let Some((&selector, rest)) = data.split_first() else {
        return;
    };
    let Ok(text) = std::str::from_utf8(rest) else {
        return;
    };

    // The shape syntax, on the whole text and on its first line.
    let first_line = text.lines().next().unwrap_or("");
    let mut parsed_shape = None;
    for candidate in [text, first_line] {
        if let Ok(shape) = candidate.parse::<IrisShape>() {
            let again: IrisShape = shape.to_string().parse().expect("Display must re-parse");
            assert_eq!(again, shape);
            parsed_shape = Some(shape);
        }
    }

    let (shape, body) = match selector % 4 {
        0 => (IrisShape::OPEN_IRIS, text),
        1 => (IrisShape::OPEN_IRIS_200, text),
        2 => (IrisShape::DAUGMAN_2048, text),
        _ => match parsed_shape {
            // Bound the work: the shape's code must fit in the input (4 KiB by default).
            Some(shape) if shape.bits() <= 8 * 4096 => {
                (shape, text.split_once('\n').map_or("", |(_, b)| b))
            }
            _ => return,
        },
    };

    if let Ok(template) = IrisTemplate::from_text(shape, body) {
        assert_eq!(template.shape(), shape);
        check_round_trip(&template);
    }
    // from_base64 on the text split at its first '|' (code|mask), or in the middle.
    let (code, mask) = body.split_once('|').unwrap_or_else(|| {
        let mut mid = body.len() / 2;
        while !body.is_char_boundary(mid) {
            mid -= 1;
        }
        body.split_at(mid)
    });
    if let Ok(template) = IrisTemplate::from_base64(shape, code, mask) {
        check_round_trip(&template);
    }
});
