//! Structured generation of near-valid inputs: take a real, valid JSON text, change its shape
//! (field names, value types, ranges, nesting, array lengths) through serde_json's `Value`, and
//! sometimes damage the resulting bytes too; or produce plain random bytes. Numbers JSON allows
//! but `Value` cannot hold (`1e999`, 2^64, long digit runs) are spliced in as text.

use crate::rng::Rng;
use serde_json::{Map, Number, Value};

/// Number spellings that stress integer and float conversions. Spliced in as raw text.
const NUMBER_TEXTS: &[&str] = &[
    "0",
    "-0",
    "1",
    "-1",
    "0.5",
    "-0.5",
    "1.0",
    "0.999999999",
    "1.000001",
    "1e-7",
    "-1e-7",
    "255",
    "256",
    "65535",
    "65536",
    "2147483647",
    "2147483648",
    "-2147483648",
    "-2147483649",
    "4294967295",
    "4294967296",
    "9007199254740993",
    "9223372036854775807",
    "-9223372036854775808",
    "18446744073709551615",
    "18446744073709551616",
    "123456789012345678901234567890",
    "1e308",
    "1e309",
    "-1e309",
    "1.7976931348623157e308",
    "5e-324",
    "1E2",
    "0.0000000000000000000000000001",
];

/// Text fragments that break JSON in interesting places.
const TEXT_TOKENS: &[&str] = &[
    "{",
    "}",
    "[",
    "]",
    "\"",
    ",",
    ":",
    "null",
    "true",
    "\\",
    "\\u0000",
    "\\ud800",
    "\\uDFFF",
    "\u{0}",
    "\u{feff}",
    "\u{1F600}",
    "1e999",
    "-",
    ".",
    "\n",
    "[[[[[[[[",
    "{\"\":",
];

/// Strings that stress name and enum handling.
const STRING_VALUES: &[&str] = &[
    "",
    " ",
    "Vibrate",
    "vibrate",
    "VIBRATE",
    "Rotate",
    "Oscillate",
    "Constrict",
    "Inflate",
    "Position",
    "HwPositionWithDuration",
    "Battery",
    "RSSI",
    "Button",
    "Pressure",
    "Read",
    "Subscribe",
    "Unsubscribe",
    "tx",
    "rx",
    "generic255",
    "generic256",
    "btle",
    "serial",
    "hid",
    "usb",
    "websocket",
    "lovense_connect",
    "LVS-Z36",
    "Z:11:0;",
    "\u{0}",
    "\u{1F600}\u{1F600}",
    "ÿÿ",
    "10",
    "-1",
    "null",
    "*",
    "LVS-*",
];

/// What a mutation may use: the keys the seed corpus contains (so objects get plausible but
/// misplaced fields).
#[derive(Debug, Clone, Default)]
pub struct Vocabulary {
    /// Every object key found in the seeds.
    pub keys: Vec<String>,
}

impl Vocabulary {
    /// Collects the keys of every seed that parses.
    pub fn from_seeds<'a>(seeds: impl IntoIterator<Item = &'a str>) -> Vocabulary {
        let mut keys = Vec::new();
        for seed in seeds {
            if let Ok(value) = serde_json::from_str::<Value>(seed) {
                collect_keys(&value, &mut keys);
            }
        }
        keys.sort();
        keys.dedup();
        Vocabulary { keys }
    }
}

fn collect_keys(value: &Value, keys: &mut Vec<String>) {
    match value {
        Value::Object(map) => {
            for (key, child) in map {
                keys.push(key.clone());
                collect_keys(child, keys);
            }
        }
        Value::Array(items) => items.iter().for_each(|item| collect_keys(item, keys)),
        _ => {}
    }
}

/// One generated input from the seeds: mostly structural mutations of a seed, sometimes with
/// byte damage on top, sometimes bytes only, sometimes random bytes.
pub fn generate(rng: &mut Rng, seeds: &[String], vocabulary: &Vocabulary) -> String {
    let Some(seed) = rng.pick(seeds) else {
        return random_text(rng);
    };
    match rng.below(100) {
        0..=3 => random_text(rng),
        4..=7 => seed.clone(),
        8..=15 => damage_bytes(rng, seed),
        16..=19 => splice(rng, seed, seeds),
        20..=23 => deep_nesting(rng, seed),
        24..=33 => {
            let mutated = mutate_structure(rng, seed, vocabulary);
            damage_bytes(rng, &mutated)
        }
        34..=64 => mutate_values(rng, seed),
        _ => mutate_structure(rng, seed, vocabulary),
    }
}

/// Random bytes (sometimes printable ASCII), as text the way a WebSocket text frame would be
/// after UTF-8 validation.
pub fn random_text(rng: &mut Rng) -> String {
    let length = rng.below(200);
    let printable = rng.chance(1, 2);
    let bytes: Vec<u8> = (0..length)
        .map(|_| {
            if printable {
                b' ' + (rng.below(95) as u8)
            } else {
                rng.byte()
            }
        })
        .collect();
    String::from_utf8_lossy(&bytes).into_owned()
}

/// Random bytes of up to `max_length` (notification and reply payloads), often close to a
/// real one.
pub fn random_bytes(rng: &mut Rng, max_length: usize, like: &[&[u8]]) -> Vec<u8> {
    if let (true, Some(model)) = (rng.chance(1, 2), rng.pick(like)) {
        let mut bytes = model.to_vec();
        for _ in 0..rng.between(0, 3) {
            match rng.below(4) {
                0 if !bytes.is_empty() => {
                    let position = rng.below(bytes.len());
                    bytes[position] = rng.byte();
                }
                1 if !bytes.is_empty() => {
                    let length = rng.below(bytes.len() + 1);
                    bytes.truncate(length);
                }
                2 => {
                    let position = rng.below(bytes.len() + 1);
                    bytes.insert(position, *rng.pick(b":;,0123456789\xff\x00").unwrap_or(&0));
                }
                _ => bytes.push(rng.byte()),
            }
        }
        return bytes;
    }
    let length = match rng.below(4) {
        0 => 0,
        1 => rng.below(4),
        _ => rng.below(max_length + 1),
    };
    let filler = rng.pick(&[0x00u8, 0xff, 0x7f, 0x80]).copied();
    (0..length)
        .map(|_| match filler {
            Some(value) if rng.chance(1, 3) => value,
            _ => rng.byte(),
        })
        .collect()
}

/// Byte-level damage: flips, cuts, inserts, duplications and JSON tokens in random places.
pub fn damage_bytes(rng: &mut Rng, text: &str) -> String {
    let mut bytes = text.as_bytes().to_vec();
    for _ in 0..rng.between(1, 4) {
        let length = bytes.len();
        match rng.below(7) {
            0 if length > 0 => {
                let position = rng.below(length);
                bytes[position] ^= 1 << rng.below(8);
            }
            1 if length > 0 => {
                let start = rng.below(length);
                let end = (start + rng.below(16) + 1).min(length);
                bytes.drain(start..end);
            }
            2 => bytes.truncate(rng.below(length + 1)),
            3 if length > 0 => {
                let start = rng.below(length);
                let end = (start + rng.below(32) + 1).min(length);
                let copy = bytes[start..end].to_vec();
                let position = rng.below(length + 1);
                bytes.splice(position..position, copy);
            }
            4 => {
                let token = rng.pick(TEXT_TOKENS).copied().unwrap_or("{");
                let position = rng.below(length + 1);
                bytes.splice(position..position, token.bytes());
            }
            5 => {
                let number = rng.pick(NUMBER_TEXTS).copied().unwrap_or("0");
                let position = rng.below(length + 1);
                bytes.splice(position..position, number.bytes());
            }
            _ => {
                let position = rng.below(length + 1);
                bytes.insert(position, rng.byte());
            }
        }
    }
    String::from_utf8_lossy(&bytes).into_owned()
}

/// Two seeds cut and joined (one frame's head, another's tail).
fn splice(rng: &mut Rng, seed: &str, seeds: &[String]) -> String {
    let other = rng.pick(seeds).map(String::as_str).unwrap_or(seed);
    let head = seed.as_bytes();
    let tail = other.as_bytes();
    let mut bytes = head[..rng.below(head.len() + 1)].to_vec();
    bytes.extend_from_slice(&tail[rng.below(tail.len() + 1)..]);
    String::from_utf8_lossy(&bytes).into_owned()
}

/// The seed wrapped in many arrays or objects (recursion limits).
fn deep_nesting(rng: &mut Rng, seed: &str) -> String {
    let depth = match rng.below(3) {
        0 => rng.below(20),
        1 => 120 + rng.below(20),
        _ => rng.below(5000),
    };
    let (open, close) = if rng.chance(1, 2) {
        ("[", "]")
    } else {
        ("{\"a\":", "}")
    };
    let mut text = String::with_capacity(seed.len() + depth * 6);
    for _ in 0..depth {
        text.push_str(open);
    }
    text.push_str(seed);
    if rng.chance(3, 4) {
        for _ in 0..depth {
            text.push_str(close);
        }
    }
    text
}

/// Keeps the seed's shape and changes only its numbers: small steps, range edges, signs,
/// fractions, huge values. Most results still parse, so they reach range checks and
/// conversions rather than the parser's type errors.
pub fn mutate_values(rng: &mut Rng, seed: &str) -> String {
    let Ok(mut value) = serde_json::from_str::<Value>(seed) else {
        return damage_bytes(rng, seed);
    };
    let mut numbers = Vec::new();
    change_numbers(&mut value, rng, &mut numbers);
    let mut text = serde_json::to_string(&value).unwrap_or_default();
    for (placeholder, number) in numbers.iter().enumerate() {
        text = text.replacen(&format!("\"\\u0000N{placeholder}\""), number, 1);
    }
    text
}

fn change_numbers(value: &mut Value, rng: &mut Rng, numbers: &mut Vec<&'static str>) {
    match value {
        Value::Object(map) => map
            .values_mut()
            .for_each(|child| change_numbers(child, rng, numbers)),
        Value::Array(items) => items
            .iter_mut()
            .for_each(|child| change_numbers(child, rng, numbers)),
        Value::Number(number) if rng.chance(1, 2) => {
            *value = match rng.below(3) {
                0 => {
                    let text = rng.pick(NUMBER_TEXTS).copied().unwrap_or("0");
                    numbers.push(text);
                    Value::String(format!("\u{0}N{}", numbers.len() - 1))
                }
                1 => Value::from(rng.between(-2, 300)),
                _ => nudge_number(number, rng),
            }
        }
        _ => {}
    }
}

/// Parses the seed and changes 1–4 nodes: types, values, keys, array lengths, nesting.
pub fn mutate_structure(rng: &mut Rng, seed: &str, vocabulary: &Vocabulary) -> String {
    let Ok(mut value) = serde_json::from_str::<Value>(seed) else {
        return damage_bytes(rng, seed);
    };
    let mut numbers = Vec::new();
    for _ in 0..rng.between(1, 4) {
        let count = count_nodes(&value);
        let mut target = rng.below(count);
        mutate_node(&mut value, &mut target, rng, vocabulary, &mut numbers);
    }
    let mut text = if rng.chance(1, 8) {
        serde_json::to_string_pretty(&value).unwrap_or_default()
    } else {
        serde_json::to_string(&value).unwrap_or_default()
    };
    for (placeholder, number) in numbers.iter().enumerate() {
        text = text.replacen(&format!("\"\\u0000N{placeholder}\""), number, 1);
    }
    text
}

fn count_nodes(value: &Value) -> usize {
    1 + match value {
        Value::Object(map) => map.values().map(count_nodes).sum(),
        Value::Array(items) => items.iter().map(count_nodes).sum(),
        _ => 0,
    }
}

/// Walks the tree in pre-order; the node where `target` reaches 0 is changed.
fn mutate_node(
    value: &mut Value,
    target: &mut usize,
    rng: &mut Rng,
    vocabulary: &Vocabulary,
    numbers: &mut Vec<&'static str>,
) -> bool {
    if *target == 0 {
        change(value, rng, vocabulary, numbers);
        return true;
    }
    *target -= 1;
    match value {
        Value::Object(map) => {
            for child in map.values_mut() {
                if mutate_node(child, target, rng, vocabulary, numbers) {
                    return true;
                }
            }
            false
        }
        Value::Array(items) => {
            for child in items.iter_mut() {
                if mutate_node(child, target, rng, vocabulary, numbers) {
                    return true;
                }
            }
            false
        }
        _ => false,
    }
}

fn interesting_scalar(rng: &mut Rng, numbers: &mut Vec<&'static str>) -> Value {
    match rng.below(8) {
        0 => Value::Null,
        1 => Value::Bool(rng.chance(1, 2)),
        2 | 3 => {
            // A placeholder string replaced by the raw number text after serialisation.
            let number = rng.pick(NUMBER_TEXTS).copied().unwrap_or("0");
            numbers.push(number);
            Value::String(format!("\u{0}N{}", numbers.len() - 1))
        }
        4 => Value::from(rng.between(-1000, 1000)),
        5 => Value::from(rng.next_u64() as i64),
        6 => Value::String(rng.pick(STRING_VALUES).copied().unwrap_or("").to_string()),
        _ => Value::String("x".repeat(rng.below(300))),
    }
}

fn change(
    value: &mut Value,
    rng: &mut Rng,
    vocabulary: &Vocabulary,
    numbers: &mut Vec<&'static str>,
) {
    match rng.below(10) {
        // Type confusion: any node becomes an interesting scalar.
        0..=2 => *value = interesting_scalar(rng, numbers),
        // Wrapped one level deeper, or replaced by an empty container.
        3 => {
            let inner = value.take();
            *value = if rng.chance(1, 2) {
                Value::Array(vec![inner])
            } else {
                let mut map = Map::new();
                let key = rng.pick(&vocabulary.keys).cloned().unwrap_or_default();
                map.insert(key, inner);
                Value::Object(map)
            };
        }
        4 => {
            *value = if rng.chance(1, 2) {
                Value::Array(Vec::new())
            } else {
                Value::Object(Map::new())
            }
        }
        // Shape-specific changes.
        _ => match value {
            Value::Object(map) => change_object(map, rng, vocabulary, numbers),
            Value::Array(items) => change_array(items, rng, numbers),
            Value::Number(number) => *value = nudge_number(number, rng),
            Value::String(text) => {
                *text = match rng.below(4) {
                    0 => text.to_lowercase(),
                    1 => text.to_uppercase(),
                    2 => format!("{text}{}", rng.pick(STRING_VALUES).copied().unwrap_or("")),
                    _ => rng.pick(STRING_VALUES).copied().unwrap_or("").to_string(),
                }
            }
            _ => *value = interesting_scalar(rng, numbers),
        },
    }
}

fn change_object(
    map: &mut Map<String, Value>,
    rng: &mut Rng,
    vocabulary: &Vocabulary,
    numbers: &mut Vec<&'static str>,
) {
    let keys: Vec<String> = map.keys().cloned().collect();
    match rng.below(5) {
        0 => {
            if let Some(key) = rng.pick(&keys) {
                map.remove(key);
            }
        }
        1 => {
            let key = rng.pick(&vocabulary.keys).cloned().unwrap_or_default();
            let value = interesting_scalar(rng, numbers);
            map.insert(key, value);
        }
        2 => {
            if let Some(key) = rng.pick(&keys).cloned() {
                if let Some(value) = map.remove(&key) {
                    let renamed = match rng.below(3) {
                        0 => key.to_lowercase(),
                        1 => format!("{key} "),
                        _ => rng.pick(&vocabulary.keys).cloned().unwrap_or_default(),
                    };
                    map.insert(renamed, value);
                }
            }
        }
        3 => {
            // A sibling's value under another key (same shapes in the wrong place).
            if let (Some(from), Some(to)) = (rng.pick(&keys).cloned(), rng.pick(&keys).cloned()) {
                if let Some(value) = map.get(&from).cloned() {
                    map.insert(to, value);
                }
            }
        }
        _ => map.clear(),
    }
}

fn change_array(items: &mut Vec<Value>, rng: &mut Rng, numbers: &mut Vec<&'static str>) {
    match rng.below(5) {
        0 if !items.is_empty() => {
            let position = rng.below(items.len());
            items.remove(position);
        }
        1 if !items.is_empty() => {
            let copies = rng.between(1, 40) as usize;
            let item = items[rng.below(items.len())].clone();
            for _ in 0..copies {
                items.push(item.clone());
            }
        }
        2 => items.clear(),
        3 => items.reverse(),
        _ => items.push(interesting_scalar(rng, numbers)),
    }
}

fn nudge_number(number: &Number, rng: &mut Rng) -> Value {
    if let Some(integer) = number.as_i64() {
        return match rng.below(6) {
            0 => Value::from(integer.wrapping_add(1)),
            1 => Value::from(integer.wrapping_sub(1)),
            2 => Value::from(integer.wrapping_neg()),
            3 => Value::from(integer.wrapping_mul(1000)),
            4 => Value::from(integer as f64 + 0.5),
            _ => Value::from(u64::MAX),
        };
    }
    let float = number.as_f64().unwrap_or(0.0);
    let changed = match rng.below(5) {
        0 => float + 1e-9,
        1 => -float,
        2 => float * 1e6,
        3 => float.floor(),
        _ => f64::MAX,
    };
    Number::from_f64(changed)
        .map(Value::Number)
        .unwrap_or(Value::Null)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn structural_mutations_of_a_seed_usually_stay_json() {
        let seeds = [r#"[{"Ping":{"Id":1}}]"#.to_string()];
        let vocabulary = Vocabulary::from_seeds(seeds.iter().map(String::as_str));
        let mut parsed = 0;
        for case in 0..200 {
            let mut rng = Rng::for_case(1, case);
            let text = mutate_structure(&mut rng, &seeds[0], &vocabulary);
            if serde_json::from_str::<Value>(&text).is_ok() {
                parsed += 1;
            }
        }
        assert!(parsed > 100, "only {parsed} of 200 mutations were JSON");
    }

    #[test]
    fn placeholders_become_raw_numbers() {
        let vocabulary = Vocabulary::default();
        let found = (0..500).any(|case| {
            let mut rng = Rng::for_case(3, case);
            let text = mutate_structure(&mut rng, r#"{"a":1}"#, &vocabulary);
            NUMBER_TEXTS
                .iter()
                .any(|number| text.contains(&format!(":{number}}}")))
        });
        assert!(found);
    }
}
