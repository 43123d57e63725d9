//! Reading a JSON value into a request type, with failures that say as data what went
//! wrong: an unknown field, a missing one, a value outside a list (with the list), or
//! another refusal with its message. The 422s are built from that structure, never by
//! reading the wording of serde's or serde_json's messages.

use serde::de::{
    self, value::BorrowedStrDeserializer, DeserializeSeed, Deserializer, IntoDeserializer,
    Unexpected, Visitor,
};
use serde_json::Value;
use std::fmt;

#[derive(Debug)]
pub enum Fault {
    UnknownField(String),
    MissingField(&'static str),
    /// A text that is not one of the accepted values.
    UnknownVariant {
        given: String,
        expected: &'static [&'static str],
    },
    /// A value of the wrong type or out of range, or a rule of the field's own parser.
    Refused(String),
}

impl fmt::Display for Fault {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Fault::UnknownField(name) => write!(f, "unknown field `{name}`"),
            Fault::MissingField(name) => write!(f, "missing field `{name}`"),
            Fault::UnknownVariant { given, expected } => {
                let list: Vec<String> = expected.iter().map(|v| format!("`{v}`")).collect();
                write!(
                    f,
                    "unknown variant `{given}`, expected one of {}",
                    list.join(", ")
                )
            }
            Fault::Refused(message) => f.write_str(message),
        }
    }
}

impl std::error::Error for Fault {}

impl de::Error for Fault {
    fn custom<T: fmt::Display>(message: T) -> Self {
        Fault::Refused(message.to_string())
    }

    fn unknown_field(field: &str, _expected: &'static [&'static str]) -> Self {
        Fault::UnknownField(field.to_string())
    }

    fn missing_field(field: &'static str) -> Self {
        Fault::MissingField(field)
    }

    fn unknown_variant(variant: &str, expected: &'static [&'static str]) -> Self {
        Fault::UnknownVariant {
            given: variant.to_string(),
            expected,
        }
    }
}

/// A borrowed JSON value as a `Deserializer` whose errors are `Fault`s.
pub struct ValueDeserializer<'de>(pub &'de Value);

fn unexpected(value: &Value) -> Unexpected<'_> {
    match value {
        Value::Null => Unexpected::Unit,
        Value::Bool(b) => Unexpected::Bool(*b),
        Value::Number(n) => match (n.as_u64(), n.as_i64(), n.as_f64()) {
            (Some(u), _, _) => Unexpected::Unsigned(u),
            (_, Some(i), _) => Unexpected::Signed(i),
            (_, _, Some(f)) => Unexpected::Float(f),
            _ => Unexpected::Other("number"),
        },
        Value::String(s) => Unexpected::Str(s),
        Value::Array(_) => Unexpected::Seq,
        Value::Object(_) => Unexpected::Map,
    }
}

impl<'de> Deserializer<'de> for ValueDeserializer<'de> {
    type Error = Fault;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Fault> {
        match self.0 {
            Value::Null => visitor.visit_unit(),
            Value::Bool(b) => visitor.visit_bool(*b),
            Value::Number(n) => match (n.as_u64(), n.as_i64(), n.as_f64()) {
                (Some(u), _, _) => visitor.visit_u64(u),
                (_, Some(i), _) => visitor.visit_i64(i),
                (_, _, Some(f)) => visitor.visit_f64(f),
                _ => Err(de::Error::invalid_type(unexpected(self.0), &visitor)),
            },
            Value::String(s) => visitor.visit_borrowed_str(s),
            Value::Array(items) => visitor.visit_seq(Items(items.iter())),
            Value::Object(map) => visitor.visit_map(Entries {
                entries: map.iter(),
                value: None,
            }),
        }
    }

    fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Fault> {
        match self.0 {
            Value::Null => visitor.visit_none(),
            _ => visitor.visit_some(self),
        }
    }

    fn deserialize_enum<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _variants: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, Fault> {
        match self.0 {
            Value::String(s) => visitor.visit_enum(s.as_str().into_deserializer()),
            other => Err(de::Error::invalid_type(unexpected(other), &visitor)),
        }
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        visitor: V,
    ) -> Result<V::Value, Fault> {
        visitor.visit_newtype_struct(self)
    }

    fn deserialize_ignored_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Fault> {
        visitor.visit_unit()
    }

    serde::forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string bytes
        byte_buf unit unit_struct seq tuple tuple_struct map struct identifier
    }
}

struct Items<'de>(std::slice::Iter<'de, Value>);

impl<'de> de::SeqAccess<'de> for Items<'de> {
    type Error = Fault;

    fn next_element_seed<T: DeserializeSeed<'de>>(
        &mut self,
        seed: T,
    ) -> Result<Option<T::Value>, Fault> {
        self.0
            .next()
            .map(|item| seed.deserialize(ValueDeserializer(item)))
            .transpose()
    }

    fn size_hint(&self) -> Option<usize> {
        Some(self.0.len())
    }
}

struct Entries<'de> {
    entries: serde_json::map::Iter<'de>,
    value: Option<&'de Value>,
}

impl<'de> de::MapAccess<'de> for Entries<'de> {
    type Error = Fault;

    fn next_key_seed<K: DeserializeSeed<'de>>(
        &mut self,
        seed: K,
    ) -> Result<Option<K::Value>, Fault> {
        match self.entries.next() {
            Some((key, value)) => {
                self.value = Some(value);
                seed.deserialize(BorrowedStrDeserializer::new(key))
                    .map(Some)
            }
            None => Ok(None),
        }
    }

    fn next_value_seed<V: DeserializeSeed<'de>>(&mut self, seed: V) -> Result<V::Value, Fault> {
        match self.value.take() {
            Some(value) => seed.deserialize(ValueDeserializer(value)),
            None => Err(de::Error::custom("a value was asked for before its key")),
        }
    }

    fn size_hint(&self) -> Option<usize> {
        Some(self.entries.len())
    }
}

#[cfg(test)]
mod tests {
    use crate::http::deserialize_collecting;
    use crate::vocabulary::ChargeStatus;
    use serde_json::json;

    #[derive(Debug, serde::Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Probe {
        status: ChargeStatus,
        count: i32,
        name: String,
        tags: Vec<String>,
        note: Option<String>,
    }

    #[test]
    fn every_bad_field_is_named_from_the_fault_itself() {
        let body = json!({"status": "bogus", "count": "many", "tags": ["a", 2], "extra": 1});
        // What parses holds stand-ins for the bad fields: only the errors count.
        let (_, errors) = deserialize_collecting::<Probe>(body);
        let named: Vec<(&str, &str)> = errors
            .iter()
            .map(|e| (e.field.as_str(), e.message.as_str()))
            .collect();
        let field = |name: &str| {
            named
                .iter()
                .find(|(f, _)| *f == name)
                .map(|(_, m)| m.to_string())
                .unwrap_or_else(|| panic!("{name} not named in {named:?}"))
        };
        assert!(field("status").contains("`pending`"), "{named:?}");
        assert!(field("count").contains("expected i32"), "{named:?}");
        assert_eq!(
            field("extra"),
            "is not a field of this resource, or may not be set"
        );
        assert_eq!(field("name"), "is required");
        assert!(field("tags[1]").contains("expected a string"), "{named:?}");
        assert_eq!(named.len(), 5, "{named:?}");
    }

    #[test]
    fn a_good_body_parses_with_nulls_and_borrowed_texts() {
        let body = json!({"status": "dropped", "count": 3, "name": "x", "tags": [], "note": null});
        let (parsed, errors) = deserialize_collecting::<Probe>(body);
        assert!(errors.is_empty(), "{errors:?}");
        let probe = parsed.unwrap();
        assert_eq!(probe.status, ChargeStatus::Dropped);
        assert_eq!((probe.count, probe.note), (3, None));
    }
}
