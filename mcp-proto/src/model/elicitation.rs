//! Elicitation: `elicitation/create`, asking the user through a form or by
//! sending them to a URL.

use std::collections::BTreeMap;

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::{Number, Value};

use super::common::{JsonObject, Meta};
use super::macros::{open_enum, wire_tag};
use super::serde_util::{decode, object, str_field};
use super::TaskMetadata;

wire_tag! {
    /// The `"mode": "form"` of [`ElicitRequestFormParams`].
    pub struct FormModeTag = "form";
}
wire_tag! {
    /// The `"mode": "url"` of [`ElicitRequestUrlParams`].
    pub struct UrlModeTag = "url";
}
wire_tag! {
    /// `"type": "object"`, the root of a [`RequestedSchema`].
    pub struct ObjectTypeTag = "object";
}
wire_tag! {
    /// `"type": "string"` of a string or single-select schema.
    pub struct StringTypeTag = "string";
}
wire_tag! {
    /// `"type": "boolean"` of a [`BooleanSchema`].
    pub struct BooleanTypeTag = "boolean";
}
wire_tag! {
    /// `"type": "array"` of a multi-select schema.
    pub struct ArrayTypeTag = "array";
}

/// Params of `elicitation/create`: a form or (2025-11-25+) a URL.
#[derive(Debug, Clone, PartialEq)]
pub enum ElicitRequestParams {
    /// `mode` absent or `"form"`: ask through a form.
    Form(ElicitRequestFormParams),
    /// `mode: "url"`: send the user to a URL.
    Url(ElicitRequestUrlParams),
    /// A mode this crate does not know, kept verbatim. A client should
    /// decline it.
    Unknown(JsonObject),
}

impl ElicitRequestParams {
    /// The message to show the user, whatever the mode.
    pub fn message(&self) -> Option<&str> {
        match self {
            ElicitRequestParams::Form(p) => Some(&p.message),
            ElicitRequestParams::Url(p) => Some(&p.message),
            ElicitRequestParams::Unknown(m) => str_field(m, "message"),
        }
    }
}

impl From<ElicitRequestFormParams> for ElicitRequestParams {
    fn from(p: ElicitRequestFormParams) -> Self {
        ElicitRequestParams::Form(p)
    }
}

impl From<ElicitRequestUrlParams> for ElicitRequestParams {
    fn from(p: ElicitRequestUrlParams) -> Self {
        ElicitRequestParams::Url(p)
    }
}

impl Serialize for ElicitRequestParams {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            ElicitRequestParams::Form(p) => p.serialize(s),
            ElicitRequestParams::Url(p) => p.serialize(s),
            ElicitRequestParams::Unknown(m) => m.serialize(s),
        }
    }
}

impl<'de> Deserialize<'de> for ElicitRequestParams {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let obj = object(d, "elicitation params")?;
        // 2025-06-18 has no `mode` at all, and later revisions keep it
        // optional for forms.
        Ok(match obj.get("mode") {
            None => ElicitRequestParams::Form(decode(obj)?),
            Some(Value::String(m)) if m == FormModeTag::VALUE => {
                ElicitRequestParams::Form(decode(obj)?)
            }
            Some(Value::String(m)) if m == UrlModeTag::VALUE => {
                ElicitRequestParams::Url(decode(obj)?)
            }
            Some(_) => ElicitRequestParams::Unknown(obj),
        })
    }
}

/// Params of a form-mode elicitation.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ElicitRequestFormParams {
    /// `Some` when the server wrote `"mode": "form"` (2025-11-25+), `None`
    /// when it left the mode out.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mode: Option<FormModeTag>,
    /// What is being asked, for the user.
    pub message: String,
    /// The fields of the form.
    pub requested_schema: RequestedSchema,
    /// Run as a task on the client (2025-11-25 only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub task: Option<TaskMetadata>,
    /// Protocol metadata (2025-11-25 and earlier).
    #[serde(rename = "_meta", default, skip_serializing_if = "Option::is_none")]
    pub meta: Option<Meta>,
    /// Fields this crate does not know, kept for round trips.
    #[serde(flatten)]
    pub extra: JsonObject,
}

/// Params of a URL-mode elicitation (2025-11-25+): the user completes an
/// interaction out of band, in a browser.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ElicitRequestUrlParams {
    /// Always `"url"`.
    pub mode: UrlModeTag,
    /// Why the interaction is needed, for the user.
    pub message: String,
    /// Identifies the elicitation in `notifications/elicitation/complete`
    /// (2025-11-25 only, where it is required; 2026-07-28 dropped it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub elicitation_id: Option<String>,
    /// The URL to open. Untrusted: show it to the user before opening.
    pub url: String,
    /// Run as a task on the client (2025-11-25 only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub task: Option<TaskMetadata>,
    /// Protocol metadata (2025-11-25).
    #[serde(rename = "_meta", default, skip_serializing_if = "Option::is_none")]
    pub meta: Option<Meta>,
    /// Fields this crate does not know, kept for round trips.
    #[serde(flatten)]
    pub extra: JsonObject,
}

/// The restricted JSON Schema of a form: a flat object of primitive fields.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct RequestedSchema {
    /// JSON Schema dialect (2025-11-25+).
    #[serde(rename = "$schema", default, skip_serializing_if = "Option::is_none")]
    pub schema: Option<String>,
    /// Always `"object"`.
    #[serde(rename = "type", default)]
    pub kind: ObjectTypeTag,
    /// The fields, by name. Sorted by name: JSON objects carry no order this
    /// crate keeps.
    #[serde(default)]
    pub properties: BTreeMap<String, PrimitiveSchemaDefinition>,
    /// Names of the fields the user must fill in.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub required: Option<Vec<String>>,
    /// Fields this crate does not know, kept for round trips.
    #[serde(flatten)]
    pub extra: JsonObject,
}

/// The schema of one form field. The schema's union has no tag; the variant
/// is chosen by `type` and by which of `enum`, `oneOf`, `enumNames` and
/// `items` are present.
#[derive(Debug, Clone, PartialEq)]
pub enum PrimitiveSchemaDefinition {
    /// A free-form string.
    String(StringSchema),
    /// A number or integer.
    Number(NumberSchema),
    /// A boolean.
    Boolean(BooleanSchema),
    /// One of a list of strings (2025-11-25+).
    UntitledSingleSelectEnum(UntitledSingleSelectEnumSchema),
    /// One of a list of strings with display titles (2025-11-25+).
    TitledSingleSelectEnum(TitledSingleSelectEnumSchema),
    /// Several of a list of strings (2025-11-25+).
    UntitledMultiSelectEnum(UntitledMultiSelectEnumSchema),
    /// Several of a list of strings with display titles (2025-11-25+).
    TitledMultiSelectEnum(TitledMultiSelectEnumSchema),
    /// `enum` with `enumNames` (2025-06-18's `EnumSchema`; deprecated).
    LegacyTitledEnum(LegacyTitledEnumSchema),
    /// A schema this crate does not recognise, kept verbatim.
    Unknown(JsonObject),
}

impl PrimitiveSchemaDefinition {
    /// The field's display title, if any.
    pub fn title(&self) -> Option<&str> {
        match self {
            PrimitiveSchemaDefinition::String(s) => s.title.as_deref(),
            PrimitiveSchemaDefinition::Number(s) => s.title.as_deref(),
            PrimitiveSchemaDefinition::Boolean(s) => s.title.as_deref(),
            PrimitiveSchemaDefinition::UntitledSingleSelectEnum(s) => s.title.as_deref(),
            PrimitiveSchemaDefinition::TitledSingleSelectEnum(s) => s.title.as_deref(),
            PrimitiveSchemaDefinition::UntitledMultiSelectEnum(s) => s.title.as_deref(),
            PrimitiveSchemaDefinition::TitledMultiSelectEnum(s) => s.title.as_deref(),
            PrimitiveSchemaDefinition::LegacyTitledEnum(s) => s.title.as_deref(),
            PrimitiveSchemaDefinition::Unknown(m) => str_field(m, "title"),
        }
    }
}

impl Serialize for PrimitiveSchemaDefinition {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            PrimitiveSchemaDefinition::String(x) => x.serialize(s),
            PrimitiveSchemaDefinition::Number(x) => x.serialize(s),
            PrimitiveSchemaDefinition::Boolean(x) => x.serialize(s),
            PrimitiveSchemaDefinition::UntitledSingleSelectEnum(x) => x.serialize(s),
            PrimitiveSchemaDefinition::TitledSingleSelectEnum(x) => x.serialize(s),
            PrimitiveSchemaDefinition::UntitledMultiSelectEnum(x) => x.serialize(s),
            PrimitiveSchemaDefinition::TitledMultiSelectEnum(x) => x.serialize(s),
            PrimitiveSchemaDefinition::LegacyTitledEnum(x) => x.serialize(s),
            PrimitiveSchemaDefinition::Unknown(m) => m.serialize(s),
        }
    }
}

impl<'de> Deserialize<'de> for PrimitiveSchemaDefinition {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        use PrimitiveSchemaDefinition as P;
        let obj = object(d, "a form field schema")?;
        let items_has = |key: &str| {
            obj.get("items")
                .and_then(Value::as_object)
                .is_some_and(|i| i.contains_key(key))
        };
        Ok(match str_field(&obj, "type") {
            Some("string") if obj.contains_key("oneOf") => P::TitledSingleSelectEnum(decode(obj)?),
            Some("string") if obj.contains_key("enumNames") => P::LegacyTitledEnum(decode(obj)?),
            Some("string") if obj.contains_key("enum") => P::UntitledSingleSelectEnum(decode(obj)?),
            Some("string") => P::String(decode(obj)?),
            Some("number" | "integer") => P::Number(decode(obj)?),
            Some("boolean") => P::Boolean(decode(obj)?),
            Some("array") if items_has("anyOf") => P::TitledMultiSelectEnum(decode(obj)?),
            Some("array") if items_has("enum") => P::UntitledMultiSelectEnum(decode(obj)?),
            _ => P::Unknown(obj),
        })
    }
}

open_enum! {
    /// The `format` of a [`StringSchema`].
    pub enum StringFormat {
        /// An email address.
        Email = "email",
        /// A URI.
        Uri = "uri",
        /// A calendar date.
        Date = "date",
        /// A date and time.
        DateTime = "date-time",
    }
}

/// A free-form string field.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct StringSchema {
    /// Always `"string"`.
    #[serde(rename = "type")]
    pub kind: StringTypeTag,
    /// Display title.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    /// Description.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Minimum length.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min_length: Option<u64>,
    /// Maximum length.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_length: Option<u64>,
    /// Expected format.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub format: Option<StringFormat>,
    /// Default value (2025-11-25+).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub default: Option<String>,
    /// Fields this crate does not know, kept for round trips.
    #[serde(flatten)]
    pub extra: JsonObject,
}

open_enum! {
    /// The `type` of a [`NumberSchema`].
    pub enum NumberKind {
        /// Any number.
        Number = "number",
        /// A whole number.
        Integer = "integer",
    }
}

/// A number field.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NumberSchema {
    /// `"number"` or `"integer"`.
    #[serde(rename = "type")]
    pub kind: NumberKind,
    /// Display title.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    /// Description.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Minimum value.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub minimum: Option<Number>,
    /// Maximum value.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub maximum: Option<Number>,
    /// Default value (2025-11-25+).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub default: Option<Number>,
    /// Fields this crate does not know, kept for round trips.
    #[serde(flatten)]
    pub extra: JsonObject,
}

/// A boolean field.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct BooleanSchema {
    /// Always `"boolean"`.
    #[serde(rename = "type")]
    pub kind: BooleanTypeTag,
    /// Display title.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    /// Description.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Default value.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub default: Option<bool>,
    /// Fields this crate does not know, kept for round trips.
    #[serde(flatten)]
    pub extra: JsonObject,
}

/// A choice of one string from a list.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct UntitledSingleSelectEnumSchema {
    /// Always `"string"`.
    #[serde(rename = "type")]
    pub kind: StringTypeTag,
    /// Display title.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    /// Description.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// The values to choose from.
    #[serde(default)]
    pub r#enum: Vec<String>,
    /// Default value.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub default: Option<String>,
    /// Fields this crate does not know, kept for round trips.
    #[serde(flatten)]
    pub extra: JsonObject,
}

/// A value and its display title, an option of a titled enum.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct EnumOption {
    /// The value.
    pub r#const: String,
    /// Its display title.
    #[serde(default)]
    pub title: String,
    /// Fields this crate does not know, kept for round trips.
    #[serde(flatten)]
    pub extra: JsonObject,
}

/// A choice of one string from a list with display titles.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TitledSingleSelectEnumSchema {
    /// Always `"string"`.
    #[serde(rename = "type")]
    pub kind: StringTypeTag,
    /// Display title.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    /// Description.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// The options.
    #[serde(default)]
    pub one_of: Vec<EnumOption>,
    /// Default value.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub default: Option<String>,
    /// Fields this crate does not know, kept for round trips.
    #[serde(flatten)]
    pub extra: JsonObject,
}

/// The `items` of an [`UntitledMultiSelectEnumSchema`].
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct UntitledEnumItems {
    /// Always `"string"`.
    #[serde(rename = "type", default)]
    pub kind: StringTypeTag,
    /// The values to choose from.
    #[serde(default)]
    pub r#enum: Vec<String>,
    /// Fields this crate does not know, kept for round trips.
    #[serde(flatten)]
    pub extra: JsonObject,
}

/// A choice of several strings from a list.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct UntitledMultiSelectEnumSchema {
    /// Always `"array"`.
    #[serde(rename = "type")]
    pub kind: ArrayTypeTag,
    /// Display title.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    /// Description.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Least number of choices.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min_items: Option<u64>,
    /// Most number of choices.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_items: Option<u64>,
    /// The values to choose from.
    pub items: UntitledEnumItems,
    /// Default choices.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub default: Option<Vec<String>>,
    /// Fields this crate does not know, kept for round trips.
    #[serde(flatten)]
    pub extra: JsonObject,
}

/// The `items` of a [`TitledMultiSelectEnumSchema`].
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TitledEnumItems {
    /// The options.
    #[serde(default)]
    pub any_of: Vec<EnumOption>,
    /// Fields this crate does not know, kept for round trips.
    #[serde(flatten)]
    pub extra: JsonObject,
}

/// A choice of several strings from a list with display titles.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TitledMultiSelectEnumSchema {
    /// Always `"array"`.
    #[serde(rename = "type")]
    pub kind: ArrayTypeTag,
    /// Display title.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    /// Description.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Least number of choices.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min_items: Option<u64>,
    /// Most number of choices.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_items: Option<u64>,
    /// The options.
    pub items: TitledEnumItems,
    /// Default choices.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub default: Option<Vec<String>>,
    /// Fields this crate does not know, kept for round trips.
    #[serde(flatten)]
    pub extra: JsonObject,
}

/// A choice of one string with display names in the non-standard
/// `enumNames` (2025-06-18's `EnumSchema`; deprecated since 2025-11-25).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LegacyTitledEnumSchema {
    /// Always `"string"`.
    #[serde(rename = "type")]
    pub kind: StringTypeTag,
    /// Display title.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    /// Description.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// The values to choose from.
    #[serde(default)]
    pub r#enum: Vec<String>,
    /// Display names, parallel to `enum`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub enum_names: Option<Vec<String>>,
    /// Default value (2025-11-25+).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub default: Option<String>,
    /// Fields this crate does not know, kept for round trips.
    #[serde(flatten)]
    pub extra: JsonObject,
}

open_enum! {
    /// What the user did with an elicitation.
    pub enum ElicitAction {
        /// Submitted the form or confirmed the interaction.
        Accept = "accept",
        /// Explicitly said no.
        Decline = "decline",
        /// Dismissed it without choosing.
        Cancel = "cancel",
    }
}

/// Result of `elicitation/create`, sent by the client.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ElicitResult {
    /// What the user did.
    pub action: ElicitAction,
    /// The submitted form (accepted form mode only). Values are strings,
    /// numbers, booleans or (2025-11-25+) arrays of strings.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub content: Option<JsonObject>,
    /// Protocol metadata (2025-11-25 and earlier).
    #[serde(rename = "_meta", default, skip_serializing_if = "Option::is_none")]
    pub meta: Option<Meta>,
    /// Fields this crate does not know, kept for round trips.
    #[serde(flatten)]
    pub extra: JsonObject,
}

impl ElicitResult {
    fn with_action(action: ElicitAction, content: Option<JsonObject>) -> Self {
        ElicitResult {
            action,
            content,
            meta: None,
            extra: JsonObject::new(),
        }
    }

    /// The user submitted the form with `content`.
    pub fn accept(content: JsonObject) -> Self {
        Self::with_action(ElicitAction::Accept, Some(content))
    }

    /// The user consented to a URL-mode elicitation (which has no content).
    pub fn accept_url() -> Self {
        Self::with_action(ElicitAction::Accept, None)
    }

    /// The user declined.
    pub fn decline() -> Self {
        Self::with_action(ElicitAction::Decline, None)
    }

    /// The user dismissed the request.
    pub fn cancel() -> Self {
        Self::with_action(ElicitAction::Cancel, None)
    }
}

/// Params of `notifications/elicitation/complete` (2025-11-25): a URL-mode
/// elicitation finished out of band.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ElicitationCompleteNotificationParams {
    /// The `elicitationId` of the finished elicitation.
    pub elicitation_id: String,
    /// Protocol metadata.
    #[serde(rename = "_meta", default, skip_serializing_if = "Option::is_none")]
    pub meta: Option<Meta>,
    /// Fields this crate does not know, kept for round trips.
    #[serde(flatten)]
    pub extra: JsonObject,
}
