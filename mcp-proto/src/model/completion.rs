//! Argument completion: `completion/complete`.

use std::collections::BTreeMap;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use super::common::{JsonObject, Meta};
use super::macros::wire_tag;
use super::serde_util::{decode, object, str_field};
use super::ResultType;

wire_tag! {
    /// The `"type": "ref/prompt"` tag of [`PromptReference`].
    pub struct PromptRefTag = "ref/prompt";
}
wire_tag! {
    /// The `"type": "ref/resource"` tag of [`ResourceTemplateReference`].
    pub struct ResourceRefTag = "ref/resource";
}

/// Params of `completion/complete`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CompleteRequestParams {
    /// What is being completed (the wire name is `ref`, a Rust keyword).
    #[serde(rename = "ref")]
    pub reference: Reference,
    /// The argument being completed.
    pub argument: CompleteArgument,
    /// Arguments already resolved (2025-06-18+).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub context: Option<CompleteContext>,
    /// Protocol metadata.
    #[serde(rename = "_meta", default, skip_serializing_if = "Option::is_none")]
    pub meta: Option<Meta>,
    /// Fields this crate does not know, kept for round trips.
    #[serde(flatten)]
    pub extra: JsonObject,
}

impl CompleteRequestParams {
    /// Completion of argument `name`, typed so far as `value`, of `reference`.
    pub fn new(
        reference: impl Into<Reference>,
        name: impl Into<String>,
        value: impl Into<String>,
    ) -> Self {
        CompleteRequestParams {
            reference: reference.into(),
            argument: CompleteArgument {
                name: name.into(),
                value: value.into(),
                extra: JsonObject::new(),
            },
            context: None,
            meta: None,
            extra: JsonObject::new(),
        }
    }
}

/// The argument being completed.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct CompleteArgument {
    /// Argument name.
    pub name: String,
    /// What the user has typed so far.
    pub value: String,
    /// Fields this crate does not know, kept for round trips.
    #[serde(flatten)]
    pub extra: JsonObject,
}

/// Context for a completion (2025-06-18+).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct CompleteContext {
    /// Previously resolved arguments of the prompt or URI template.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub arguments: Option<BTreeMap<String, String>>,
    /// Fields this crate does not know, kept for round trips.
    #[serde(flatten)]
    pub extra: JsonObject,
}

/// A reference to a prompt.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct PromptReference {
    /// Always `"ref/prompt"`.
    #[serde(rename = "type")]
    pub kind: PromptRefTag,
    /// Name of the prompt.
    pub name: String,
    /// Display name (2025-06-18+).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    /// Fields this crate does not know, kept for round trips.
    #[serde(flatten)]
    pub extra: JsonObject,
}

impl PromptReference {
    /// A reference to prompt `name`.
    pub fn new(name: impl Into<String>) -> Self {
        PromptReference {
            name: name.into(),
            ..Default::default()
        }
    }
}

/// A reference to a resource or resource template.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct ResourceTemplateReference {
    /// Always `"ref/resource"`.
    #[serde(rename = "type")]
    pub kind: ResourceRefTag,
    /// The URI or URI template.
    pub uri: String,
    /// Fields this crate does not know, kept for round trips.
    #[serde(flatten)]
    pub extra: JsonObject,
}

impl ResourceTemplateReference {
    /// A reference to the resource or template `uri`.
    pub fn new(uri: impl Into<String>) -> Self {
        ResourceTemplateReference {
            uri: uri.into(),
            ..Default::default()
        }
    }
}

/// The 2024-11-05 and 2025-03-26 name of [`ResourceTemplateReference`];
/// the wire shape is the same.
pub type ResourceReference = ResourceTemplateReference;

/// What a completion is for: a prompt or a resource template.
#[derive(Debug, Clone, PartialEq)]
pub enum Reference {
    /// `"type": "ref/prompt"`.
    Prompt(PromptReference),
    /// `"type": "ref/resource"`.
    Resource(ResourceTemplateReference),
    /// A reference type this crate does not know, kept verbatim.
    Unknown(JsonObject),
}

impl From<PromptReference> for Reference {
    fn from(r: PromptReference) -> Self {
        Reference::Prompt(r)
    }
}

impl From<ResourceTemplateReference> for Reference {
    fn from(r: ResourceTemplateReference) -> Self {
        Reference::Resource(r)
    }
}

impl Serialize for Reference {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            Reference::Prompt(r) => r.serialize(s),
            Reference::Resource(r) => r.serialize(s),
            Reference::Unknown(m) => m.serialize(s),
        }
    }
}

impl<'de> Deserialize<'de> for Reference {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let obj = object(d, "a completion reference")?;
        Ok(match str_field(&obj, "type") {
            Some(PromptRefTag::VALUE) => Reference::Prompt(decode(obj)?),
            Some(ResourceRefTag::VALUE) => Reference::Resource(decode(obj)?),
            _ => Reference::Unknown(obj),
        })
    }
}

/// Result of `completion/complete`.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CompleteResult {
    /// Result kind (2026-07-28); absent means `complete`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub result_type: Option<ResultType>,
    /// The suggestions.
    #[serde(default)]
    pub completion: Completion,
    /// Protocol metadata.
    #[serde(rename = "_meta", default, skip_serializing_if = "Option::is_none")]
    pub meta: Option<Meta>,
    /// Fields this crate does not know, kept for round trips.
    #[serde(flatten)]
    pub extra: JsonObject,
}

/// Completion suggestions.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Completion {
    /// Suggested values, at most 100.
    #[serde(default)]
    pub values: Vec<String>,
    /// How many suggestions exist in all, if known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub total: Option<u64>,
    /// Whether there are more than `values` holds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub has_more: Option<bool>,
    /// Fields this crate does not know, kept for round trips.
    #[serde(flatten)]
    pub extra: JsonObject,
}
