//! [`Fields`]: a cursor over one message's JSON fields, in the manner of mini-redis's `Parse`.
//! Each family parser takes the fields it knows one by one and then calls [`Fields::finish`],
//! which rejects whatever is left, so an extra field is an error that names it. Every error
//! says where it happened (`VibrateCmd.Speeds[1]`) and what was wrong.
//!
//! Number rules (protocol.md §9.4): integer fields reject floats (`10.0`) and negatives, and
//! must fit their Rust type; float fields accept integers. `null` is never "absent".

use crate::error::MessageError;
use serde_json::{Map, Value};
use std::borrow::Cow;
use std::fmt;

/// Where a field sits, for error texts: `VibrateCmd`, `VibrateCmd.Speeds[1]`, `OutputCmd.Command`.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Place {
    /// The message name.
    message: &'static str,
    /// The field holding a nested object or list, if this is one.
    field: Option<&'static str>,
    /// The position in that list, if the nested object is a list item.
    index: Option<usize>,
}

impl fmt::Display for Place {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.message)?;
        if let Some(field) = self.field {
            write!(f, ".{field}")?;
        }
        if let Some(index) = self.index {
            write!(f, "[{index}]")?;
        }
        Ok(())
    }
}

/// The fields of one message object (or one nested object), not yet taken.
#[derive(Debug)]
pub(crate) struct Fields {
    /// Where this object is, for error texts.
    place: Place,
    /// The fields not taken yet; `finish` requires it to be empty.
    map: Map<String, Value>,
}

impl Fields {
    /// The fields of message `message`, whose body is `body`.
    ///
    /// # Errors
    /// `MessageSerializationError` when the body is not a JSON object.
    pub(crate) fn new(message: &'static str, body: Value) -> Result<Self, MessageError> {
        let place = Place {
            message,
            field: None,
            index: None,
        };
        Self::at(place, body)
    }

    fn at(place: Place, body: Value) -> Result<Self, MessageError> {
        match body {
            Value::Object(map) => Ok(Fields { place, map }),
            other => Err(MessageError::MessageSerializationError(format!(
                "{place}: expected an object of fields, got {}",
                describe(&other)
            ))),
        }
    }

    /// An `InvalidMessageContents` error at this place.
    pub(crate) fn invalid(&self, text: impl fmt::Display) -> MessageError {
        MessageError::InvalidMessageContents(format!("{}: {text}", self.place))
    }

    /// A `MessageSerializationError` at this place.
    pub(crate) fn malformed(&self, text: impl fmt::Display) -> MessageError {
        MessageError::MessageSerializationError(format!("{}: {text}", self.place))
    }

    fn wrong_type(&self, name: &str, expected: &str, got: &Value) -> MessageError {
        MessageError::MessageSerializationError(format!(
            "{}: {name} must be {expected}, got {}",
            self.place,
            describe(got)
        ))
    }

    fn take(&mut self, name: &'static str) -> Result<Value, MessageError> {
        self.map.remove(name).ok_or_else(|| {
            MessageError::MessageSerializationError(format!("{}: missing field {name}", self.place))
        })
    }

    /// `Id`: a client message Id, 1 to 4294967295 (0 is reserved for the server, §1.3).
    ///
    /// # Errors
    /// Missing or not a u32: `MessageSerializationError`; 0: `InvalidMessageContents`.
    pub(crate) fn id(&mut self) -> Result<u32, MessageError> {
        let id = self.u32("Id")?;
        if id == 0 {
            return Err(self.invalid("Id 0 is reserved for server messages; use 1 or more"));
        }
        Ok(id)
    }

    /// A required u32 field.
    ///
    /// # Errors
    /// `MessageSerializationError` when missing or not an integer in u32 range.
    pub(crate) fn u32(&mut self, name: &'static str) -> Result<u32, MessageError> {
        let value = self.take(name)?;
        self.to_u32(name, &value)
    }

    /// An optional u32 field.
    ///
    /// # Errors
    /// `MessageSerializationError` when present but not an integer in u32 range.
    pub(crate) fn opt_u32(&mut self, name: &'static str) -> Result<Option<u32>, MessageError> {
        match self.map.remove(name) {
            Some(value) => self.to_u32(name, &value).map(Some),
            None => Ok(None),
        }
    }

    /// An optional u64 field (spec version numbers).
    ///
    /// # Errors
    /// `MessageSerializationError` when present but not a non-negative integer.
    pub(crate) fn opt_u64(&mut self, name: &'static str) -> Result<Option<u64>, MessageError> {
        match self.map.remove(name) {
            Some(value) => match value.as_u64() {
                Some(number) => Ok(Some(number)),
                None => Err(self.wrong_type(name, "an unsigned integer", &value)),
            },
            None => Ok(None),
        }
    }

    fn to_u32(&self, name: &'static str, value: &Value) -> Result<u32, MessageError> {
        match value.as_u64() {
            Some(number) => u32::try_from(number).map_err(|_| {
                MessageError::MessageSerializationError(format!(
                    "{}: {name} {number} does not fit in an unsigned 32-bit integer",
                    self.place
                ))
            }),
            None => Err(self.wrong_type(name, "an unsigned integer", value)),
        }
    }

    /// A required i32 field.
    ///
    /// # Errors
    /// `MessageSerializationError` when missing or not an integer in i32 range.
    pub(crate) fn i32(&mut self, name: &'static str) -> Result<i32, MessageError> {
        let value = self.take(name)?;
        match value.as_i64() {
            Some(number) => i32::try_from(number).map_err(|_| {
                MessageError::MessageSerializationError(format!(
                    "{}: {name} {number} does not fit in a signed 32-bit integer",
                    self.place
                ))
            }),
            None => Err(self.wrong_type(name, "an integer", &value)),
        }
    }

    /// A required number (f64); integers are accepted.
    ///
    /// # Errors
    /// `MessageSerializationError` when missing or not a number.
    pub(crate) fn f64(&mut self, name: &'static str) -> Result<f64, MessageError> {
        let value = self.take(name)?;
        value
            .as_f64()
            .ok_or_else(|| self.wrong_type(name, "a number", &value))
    }

    /// A required number between 0 and 1 inclusive (legacy speeds and positions, §7.1).
    ///
    /// # Errors
    /// `MessageSerializationError` when missing or not a number; `InvalidMessageContents` when
    /// outside 0–1.
    pub(crate) fn unit_interval(&mut self, name: &'static str) -> Result<f64, MessageError> {
        let number = self.f64(name)?;
        if !(0.0..=1.0).contains(&number) {
            return Err(self.invalid(format_args!("{name} {number} is outside 0.0 to 1.0")));
        }
        Ok(number)
    }

    /// A required boolean.
    ///
    /// # Errors
    /// `MessageSerializationError` when missing or not a boolean.
    pub(crate) fn bool(&mut self, name: &'static str) -> Result<bool, MessageError> {
        let value = self.take(name)?;
        value
            .as_bool()
            .ok_or_else(|| self.wrong_type(name, "a boolean", &value))
    }

    /// An optional boolean.
    ///
    /// # Errors
    /// `MessageSerializationError` when present but not a boolean.
    pub(crate) fn opt_bool(&mut self, name: &'static str) -> Result<Option<bool>, MessageError> {
        match self.map.remove(name) {
            Some(Value::Bool(flag)) => Ok(Some(flag)),
            Some(other) => Err(self.wrong_type(name, "a boolean", &other)),
            None => Ok(None),
        }
    }

    /// A required string, moved out of the frame without copying.
    ///
    /// # Errors
    /// `MessageSerializationError` when missing or not a string.
    pub(crate) fn string(&mut self, name: &'static str) -> Result<String, MessageError> {
        match self.take(name)? {
            Value::String(text) => Ok(text),
            other => Err(self.wrong_type(name, "a string", &other)),
        }
    }

    /// A required list of objects, as [`Fields`] one per item; `min_items` as in the schema.
    ///
    /// # Errors
    /// `MessageSerializationError` when missing, not an array, or shorter than `min_items`.
    pub(crate) fn list(
        &mut self,
        name: &'static str,
        min_items: usize,
    ) -> Result<Items, MessageError> {
        let items = match self.take(name)? {
            Value::Array(items) => items,
            other => return Err(self.wrong_type(name, "an array", &other)),
        };
        if items.len() < min_items {
            return Err(MessageError::MessageSerializationError(format!(
                "{}: {name} needs at least {min_items} item(s), got {}",
                self.place,
                items.len()
            )));
        }
        Ok(Items {
            place: Place {
                field: Some(name),
                ..self.place
            },
            items: items.into_iter().enumerate(),
        })
    }

    /// A required array of raw values (for byte lists).
    ///
    /// # Errors
    /// `MessageSerializationError` when missing or not an array.
    pub(crate) fn array(&mut self, name: &'static str) -> Result<Vec<Value>, MessageError> {
        match self.take(name)? {
            Value::Array(items) => Ok(items),
            other => Err(self.wrong_type(name, "an array", &other)),
        }
    }

    /// A required object with exactly one key (OutputCmd's `Command`): the key and the
    /// [`Fields`] of its value.
    ///
    /// # Errors
    /// `MessageSerializationError` when missing, not an object, or not exactly one key.
    pub(crate) fn single_key_object(
        &mut self,
        name: &'static str,
    ) -> Result<(String, Fields), MessageError> {
        let map = match self.take(name)? {
            Value::Object(map) => map,
            other => return Err(self.wrong_type(name, "an object", &other)),
        };
        if map.len() != 1 {
            return Err(MessageError::MessageSerializationError(format!(
                "{}: {name} must have exactly one key, got {}",
                self.place,
                map.len()
            )));
        }
        let place = Place {
            field: Some(name),
            ..self.place
        };
        match map.into_iter().next() {
            Some((key, value)) => Ok((key, Fields::at(place, value)?)),
            None => Err(MessageError::MessageSerializationError(format!(
                "{place}: empty object"
            ))),
        }
    }

    /// Checks no field is left over.
    ///
    /// # Errors
    /// `MessageSerializationError` naming the first unexpected field.
    pub(crate) fn finish(self) -> Result<(), MessageError> {
        match self.map.keys().next() {
            None => Ok(()),
            Some(key) => Err(MessageError::MessageSerializationError(format!(
                "{}: unexpected field {}",
                self.place,
                shorten(key)
            ))),
        }
    }
}

/// The items of a list field, each as [`Fields`] (see [`Fields::list`]).
#[derive(Debug)]
pub(crate) struct Items {
    /// Where the list is; each item adds its index.
    place: Place,
    /// The items, numbered.
    items: std::iter::Enumerate<std::vec::IntoIter<Value>>,
}

impl Iterator for Items {
    type Item = Result<Fields, MessageError>;

    fn next(&mut self) -> Option<Self::Item> {
        let (index, value) = self.items.next()?;
        let place = Place {
            index: Some(index),
            ..self.place
        };
        Some(Fields::at(place, value))
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        self.items.size_hint()
    }
}

/// What a JSON value is, for "got …" in error texts (never the value itself, which may be huge).
pub(crate) fn describe(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
        Value::Number(number) if number.is_u64() => "an integer",
        Value::Number(number) if number.is_i64() => "a negative integer",
        Value::Number(_) => "a non-integer number",
    }
}

/// A client-supplied name cut to at most 64 characters, for error texts.
pub(crate) fn shorten(text: &str) -> Cow<'_, str> {
    const LIMIT: usize = 64;
    match text.char_indices().nth(LIMIT) {
        None => Cow::Borrowed(text),
        Some((end, _)) => Cow::Owned(format!("{}…", &text[..end])),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fields(json: &str) -> Fields {
        Fields::new("Test", serde_json::from_str(json).unwrap()).unwrap()
    }

    fn text(error: MessageError) -> String {
        match error {
            MessageError::MessageSerializationError(text)
            | MessageError::InvalidMessageContents(text) => text,
            other => format!("{other:?}"),
        }
    }

    #[test]
    fn integers_reject_floats_negatives_and_overflow() {
        for (json, expected) in [
            (
                r#"{"N":1.0}"#,
                "Test: N must be an unsigned integer, got a non-integer number",
            ),
            (
                r#"{"N":-1}"#,
                "Test: N must be an unsigned integer, got a negative integer",
            ),
            (
                r#"{"N":"1"}"#,
                "Test: N must be an unsigned integer, got a string",
            ),
            (
                r#"{"N":null}"#,
                "Test: N must be an unsigned integer, got null",
            ),
            (
                r#"{"N":4294967296}"#,
                "Test: N 4294967296 does not fit in an unsigned 32-bit integer",
            ),
            (r#"{}"#, "Test: missing field N"),
        ] {
            assert_eq!(text(fields(json).u32("N").unwrap_err()), expected, "{json}");
        }
        assert_eq!(fields(r#"{"N":4294967295}"#).u32("N"), Ok(u32::MAX));
    }

    #[test]
    fn floats_accept_integers_and_unit_interval_checks_bounds() {
        assert_eq!(fields(r#"{"S":1}"#).unit_interval("S"), Ok(1.0));
        assert_eq!(fields(r#"{"S":0}"#).unit_interval("S"), Ok(0.0));
        assert_eq!(
            text(fields(r#"{"S":1.5}"#).unit_interval("S").unwrap_err()),
            "Test: S 1.5 is outside 0.0 to 1.0"
        );
        assert!(matches!(
            fields(r#"{"S":-0.1}"#).unit_interval("S"),
            Err(MessageError::InvalidMessageContents(_))
        ));
    }

    #[test]
    fn finish_names_the_first_leftover_field() {
        let mut f = fields(r#"{"Id":1,"Extra":2}"#);
        assert_eq!(f.id(), Ok(1));
        assert_eq!(
            text(f.finish().unwrap_err()),
            "Test: unexpected field Extra"
        );
    }

    #[test]
    fn list_items_know_their_place() {
        let mut f = fields(r#"{"L":[{"A":1},{"B":2}]}"#);
        let mut items = f.list("L", 1).unwrap();
        assert!(items.next().unwrap().unwrap().u32("A").is_ok());
        let error = items.next().unwrap().unwrap().u32("A").unwrap_err();
        assert_eq!(text(error), "Test.L[1]: missing field A");
        let error = fields(r#"{"L":[]}"#).list("L", 1).unwrap_err();
        assert_eq!(text(error), "Test: L needs at least 1 item(s), got 0");
    }

    #[test]
    fn long_names_are_shortened() {
        let long = "x".repeat(100);
        assert_eq!(shorten(&long).chars().count(), 65);
        assert_eq!(shorten("short"), "short");
    }
}
