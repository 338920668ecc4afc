//! Content blocks: what tools return, prompts contain and sampling exchanges.
//!
//! Both unions ([`ContentBlock`], [`SamplingContent`]) keep a block with a
//! `type` this crate does not know in an `Unknown` variant instead of failing,
//! because one new content type from a newer server must not make a whole
//! tool result unreadable.

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::Value;

use super::common::{Annotations, Icon, JsonObject, Meta};
use super::macros::{decode_open, tagged_union, wire_tag};
use super::serde_util::{decode, object, present, str_field};

wire_tag! {
    /// The `"type": "text"` tag of [`TextContent`].
    pub struct TextTag = "text";
}
wire_tag! {
    /// The `"type": "image"` tag of [`ImageContent`].
    pub struct ImageTag = "image";
}
wire_tag! {
    /// The `"type": "audio"` tag of [`AudioContent`].
    pub struct AudioTag = "audio";
}
wire_tag! {
    /// The `"type": "resource_link"` tag of [`ResourceLink`].
    pub struct ResourceLinkTag = "resource_link";
}
wire_tag! {
    /// The `"type": "resource"` tag of [`EmbeddedResource`].
    pub struct EmbeddedResourceTag = "resource";
}
wire_tag! {
    /// The `"type": "tool_use"` tag of [`ToolUseContent`].
    pub struct ToolUseTag = "tool_use";
}
wire_tag! {
    /// The `"type": "tool_result"` tag of [`ToolResultContent`].
    pub struct ToolResultTag = "tool_result";
}

/// Text provided to or from a language model.
#[derive(Debug, Clone, PartialEq, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct TextContent {
    /// Always `"text"`.
    #[serde(rename = "type")]
    pub kind: TextTag,
    /// The text.
    pub text: String,
    /// Display and audience hints.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub annotations: Option<Annotations>,
    /// Protocol metadata (2025-06-18+).
    #[serde(rename = "_meta", default, skip_serializing_if = "Option::is_none")]
    pub meta: Option<Meta>,
    /// Fields this crate does not know, kept for round trips.
    #[serde(flatten)]
    pub extra: JsonObject,
}

decode_open!(TextContent {
    kind: "type" required,
    text: "text" required,
    annotations: "annotations" default,
    meta: "_meta" default,
} extra);

impl TextContent {
    /// A text block with no annotations.
    pub fn new(text: impl Into<String>) -> Self {
        TextContent {
            text: text.into(),
            ..Default::default()
        }
    }
}

/// An image provided to or from a language model.
#[derive(Debug, Clone, PartialEq, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ImageContent {
    /// Always `"image"`.
    #[serde(rename = "type")]
    pub kind: ImageTag,
    /// Base64-encoded image data.
    pub data: String,
    /// MIME type of the image, such as `image/png`.
    pub mime_type: String,
    /// Display and audience hints.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub annotations: Option<Annotations>,
    /// Protocol metadata (2025-06-18+).
    #[serde(rename = "_meta", default, skip_serializing_if = "Option::is_none")]
    pub meta: Option<Meta>,
    /// Fields this crate does not know, kept for round trips.
    #[serde(flatten)]
    pub extra: JsonObject,
}

decode_open!(ImageContent {
    kind: "type" required,
    data: "data" required,
    mime_type: "mimeType" required,
    annotations: "annotations" default,
    meta: "_meta" default,
} extra);

/// Audio provided to or from a language model (2025-03-26+).
#[derive(Debug, Clone, PartialEq, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AudioContent {
    /// Always `"audio"`.
    #[serde(rename = "type")]
    pub kind: AudioTag,
    /// Base64-encoded audio data.
    pub data: String,
    /// MIME type of the audio, such as `audio/wav`.
    pub mime_type: String,
    /// Display and audience hints.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub annotations: Option<Annotations>,
    /// Protocol metadata (2025-06-18+).
    #[serde(rename = "_meta", default, skip_serializing_if = "Option::is_none")]
    pub meta: Option<Meta>,
    /// Fields this crate does not know, kept for round trips.
    #[serde(flatten)]
    pub extra: JsonObject,
}

decode_open!(AudioContent {
    kind: "type" required,
    data: "data" required,
    mime_type: "mimeType" required,
    annotations: "annotations" default,
    meta: "_meta" default,
} extra);

/// A link to a resource the server can read (2025-06-18+). The same fields as
/// [`crate::model::Resource`] plus the tag; the linked resource need not
/// appear in `resources/list`.
#[derive(Debug, Clone, PartialEq, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ResourceLink {
    /// Always `"resource_link"`.
    #[serde(rename = "type")]
    pub kind: ResourceLinkTag,
    /// URI of the resource.
    pub uri: String,
    /// Programmatic name.
    pub name: String,
    /// Display name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    /// What the resource is, as a hint to the model.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// MIME type, if known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mime_type: Option<String>,
    /// Display and audience hints.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub annotations: Option<Annotations>,
    /// Size of the raw content in bytes, if known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub size: Option<u64>,
    /// Icons (2025-11-25+).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub icons: Option<Vec<Icon>>,
    /// Protocol metadata.
    #[serde(rename = "_meta", default, skip_serializing_if = "Option::is_none")]
    pub meta: Option<Meta>,
    /// Fields this crate does not know, kept for round trips.
    #[serde(flatten)]
    pub extra: JsonObject,
}

decode_open!(ResourceLink {
    kind: "type" required,
    uri: "uri" required,
    name: "name" required,
    title: "title" default,
    description: "description" default,
    mime_type: "mimeType" default,
    annotations: "annotations" default,
    size: "size" default,
    icons: "icons" default,
    meta: "_meta" default,
} extra);

/// The contents of a resource embedded in a prompt or tool result.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct EmbeddedResource {
    /// Always `"resource"`.
    #[serde(rename = "type")]
    pub kind: EmbeddedResourceTag,
    /// The embedded contents.
    pub resource: ResourceContents,
    /// Display and audience hints.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub annotations: Option<Annotations>,
    /// Protocol metadata (2025-06-18+).
    #[serde(rename = "_meta", default, skip_serializing_if = "Option::is_none")]
    pub meta: Option<Meta>,
    /// Fields this crate does not know, kept for round trips.
    #[serde(flatten)]
    pub extra: JsonObject,
}

decode_open!(EmbeddedResource {
    kind: "type" required,
    resource: "resource" required,
    annotations: "annotations" default,
    meta: "_meta" default,
} extra);

/// Text contents of a resource.
#[derive(Debug, Clone, PartialEq, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct TextResourceContents {
    /// URI of the resource.
    pub uri: String,
    /// MIME type, if known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mime_type: Option<String>,
    /// The text.
    pub text: String,
    /// Protocol metadata (2025-06-18+).
    #[serde(rename = "_meta", default, skip_serializing_if = "Option::is_none")]
    pub meta: Option<Meta>,
    /// Fields this crate does not know, kept for round trips.
    #[serde(flatten)]
    pub extra: JsonObject,
}

decode_open!(TextResourceContents {
    uri: "uri" required,
    mime_type: "mimeType" default,
    text: "text" required,
    meta: "_meta" default,
} extra);

/// Binary contents of a resource.
#[derive(Debug, Clone, PartialEq, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct BlobResourceContents {
    /// URI of the resource.
    pub uri: String,
    /// MIME type, if known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mime_type: Option<String>,
    /// Base64-encoded bytes.
    pub blob: String,
    /// Protocol metadata (2025-06-18+).
    #[serde(rename = "_meta", default, skip_serializing_if = "Option::is_none")]
    pub meta: Option<Meta>,
    /// Fields this crate does not know, kept for round trips.
    #[serde(flatten)]
    pub extra: JsonObject,
}

decode_open!(BlobResourceContents {
    uri: "uri" required,
    mime_type: "mimeType" default,
    blob: "blob" required,
    meta: "_meta" default,
} extra);

/// Resource contents: text or binary, told apart by which of `text` and
/// `blob` is present (the schema has no tag).
#[derive(Debug, Clone, PartialEq)]
pub enum ResourceContents {
    /// Has `text`.
    Text(TextResourceContents),
    /// Has `blob`.
    Blob(BlobResourceContents),
    /// Has neither: some future kind of contents, kept verbatim.
    Unknown(JsonObject),
}

impl ResourceContents {
    /// The resource URI (`None` only for unknown contents without one).
    pub fn uri(&self) -> Option<&str> {
        match self {
            ResourceContents::Text(c) => Some(&c.uri),
            ResourceContents::Blob(c) => Some(&c.uri),
            ResourceContents::Unknown(m) => str_field(m, "uri"),
        }
    }

    /// The MIME type, if given.
    pub fn mime_type(&self) -> Option<&str> {
        match self {
            ResourceContents::Text(c) => c.mime_type.as_deref(),
            ResourceContents::Blob(c) => c.mime_type.as_deref(),
            ResourceContents::Unknown(m) => str_field(m, "mimeType"),
        }
    }

    /// The text, for text contents.
    pub fn text(&self) -> Option<&str> {
        match self {
            ResourceContents::Text(c) => Some(&c.text),
            _ => None,
        }
    }

    /// The base64 data, for binary contents.
    pub fn blob(&self) -> Option<&str> {
        match self {
            ResourceContents::Blob(c) => Some(&c.blob),
            _ => None,
        }
    }
}

impl Serialize for ResourceContents {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            ResourceContents::Text(c) => c.serialize(s),
            ResourceContents::Blob(c) => c.serialize(s),
            ResourceContents::Unknown(m) => m.serialize(s),
        }
    }
}

impl<'de> Deserialize<'de> for ResourceContents {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let obj = object(d, "resource contents")?;
        if obj.contains_key("text") {
            decode(obj).map(ResourceContents::Text)
        } else if obj.contains_key("blob") {
            decode(obj).map(ResourceContents::Blob)
        } else {
            Ok(ResourceContents::Unknown(obj))
        }
    }
}

/// A request from the model to call a tool, in sampling (2025-11-25+).
#[derive(Debug, Clone, PartialEq, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ToolUseContent {
    /// Always `"tool_use"`.
    #[serde(rename = "type")]
    pub kind: ToolUseTag,
    /// Identifier matching this call to its [`ToolResultContent`].
    pub id: String,
    /// Name of the tool.
    pub name: String,
    /// Arguments, conforming to the tool's input schema.
    #[serde(default)]
    pub input: JsonObject,
    /// Protocol metadata; clients should pass it back unchanged in later
    /// sampling requests (providers use it for caching).
    #[serde(rename = "_meta", default, skip_serializing_if = "Option::is_none")]
    pub meta: Option<Meta>,
    /// Fields this crate does not know, kept for round trips.
    #[serde(flatten)]
    pub extra: JsonObject,
}

decode_open!(ToolUseContent {
    kind: "type" required,
    id: "id" required,
    name: "name" required,
    input: "input" default,
    meta: "_meta" default,
} extra);

/// The result of a tool use, sent back to the model in sampling
/// (2025-11-25+).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ToolResultContent {
    /// Always `"tool_result"`.
    #[serde(rename = "type")]
    pub kind: ToolResultTag,
    /// The `id` of the [`ToolUseContent`] this answers.
    pub tool_use_id: String,
    /// Unstructured result, as in a tool call result.
    #[serde(default)]
    pub content: Vec<ContentBlock>,
    /// Structured result: an object in 2025-11-25, any JSON value (an
    /// explicit `null` included) in 2026-07-28.
    #[serde(
        default,
        deserialize_with = "present",
        skip_serializing_if = "Option::is_none"
    )]
    pub structured_content: Option<Value>,
    /// Whether the tool use failed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub is_error: Option<bool>,
    /// Protocol metadata; clients should pass it back unchanged.
    #[serde(rename = "_meta", default, skip_serializing_if = "Option::is_none")]
    pub meta: Option<Meta>,
    /// Fields this crate does not know, kept for round trips.
    #[serde(flatten)]
    pub extra: JsonObject,
}

/// A block of content in a tool result, prompt message or tool-use result.
#[derive(Debug, Clone, PartialEq)]
pub enum ContentBlock {
    /// `"type": "text"`.
    Text(TextContent),
    /// `"type": "image"`.
    Image(ImageContent),
    /// `"type": "audio"` (2025-03-26+).
    Audio(AudioContent),
    /// `"type": "resource_link"` (2025-06-18+).
    ResourceLink(ResourceLink),
    /// `"type": "resource"`.
    Resource(EmbeddedResource),
    /// A type this crate does not know, kept verbatim.
    Unknown(JsonObject),
}

impl ContentBlock {
    /// A text block.
    pub fn text(text: impl Into<String>) -> Self {
        ContentBlock::Text(TextContent::new(text))
    }

    /// The text, if this is a text block.
    pub fn as_text(&self) -> Option<&str> {
        match self {
            ContentBlock::Text(t) => Some(&t.text),
            _ => None,
        }
    }

    /// The wire `type` of this block.
    pub fn type_name(&self) -> &str {
        match self {
            ContentBlock::Text(_) => TextTag::VALUE,
            ContentBlock::Image(_) => ImageTag::VALUE,
            ContentBlock::Audio(_) => AudioTag::VALUE,
            ContentBlock::ResourceLink(_) => ResourceLinkTag::VALUE,
            ContentBlock::Resource(_) => EmbeddedResourceTag::VALUE,
            ContentBlock::Unknown(m) => str_field(m, "type").unwrap_or(""),
        }
    }
}

impl From<TextContent> for ContentBlock {
    fn from(c: TextContent) -> Self {
        ContentBlock::Text(c)
    }
}

impl From<ImageContent> for ContentBlock {
    fn from(c: ImageContent) -> Self {
        ContentBlock::Image(c)
    }
}

impl From<AudioContent> for ContentBlock {
    fn from(c: AudioContent) -> Self {
        ContentBlock::Audio(c)
    }
}

impl From<ResourceLink> for ContentBlock {
    fn from(c: ResourceLink) -> Self {
        ContentBlock::ResourceLink(c)
    }
}

impl From<EmbeddedResource> for ContentBlock {
    fn from(c: EmbeddedResource) -> Self {
        ContentBlock::Resource(c)
    }
}

impl Serialize for ContentBlock {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            ContentBlock::Text(c) => c.serialize(s),
            ContentBlock::Image(c) => c.serialize(s),
            ContentBlock::Audio(c) => c.serialize(s),
            ContentBlock::ResourceLink(c) => c.serialize(s),
            ContentBlock::Resource(c) => c.serialize(s),
            ContentBlock::Unknown(m) => m.serialize(s),
        }
    }
}

tagged_union!(ContentBlock, "a content block", {
    TextTag => Text,
    ImageTag => Image,
    AudioTag => Audio,
    ResourceLinkTag => ResourceLink,
    EmbeddedResourceTag => Resource,
});

/// A block of content in a sampling message (the schema's
/// `SamplingMessageContentBlock`).
#[derive(Debug, Clone, PartialEq)]
pub enum SamplingContent {
    /// `"type": "text"`.
    Text(TextContent),
    /// `"type": "image"`.
    Image(ImageContent),
    /// `"type": "audio"` (2025-03-26+).
    Audio(AudioContent),
    /// `"type": "tool_use"` (2025-11-25+).
    ToolUse(ToolUseContent),
    /// `"type": "tool_result"` (2025-11-25+).
    ToolResult(ToolResultContent),
    /// A type this crate does not know, kept verbatim.
    Unknown(JsonObject),
}

/// The schema's name for [`SamplingContent`].
pub type SamplingMessageContentBlock = SamplingContent;

impl SamplingContent {
    /// A text block.
    pub fn text(text: impl Into<String>) -> Self {
        SamplingContent::Text(TextContent::new(text))
    }

    /// The text, if this is a text block.
    pub fn as_text(&self) -> Option<&str> {
        match self {
            SamplingContent::Text(t) => Some(&t.text),
            _ => None,
        }
    }

    /// The wire `type` of this block.
    pub fn type_name(&self) -> &str {
        match self {
            SamplingContent::Text(_) => TextTag::VALUE,
            SamplingContent::Image(_) => ImageTag::VALUE,
            SamplingContent::Audio(_) => AudioTag::VALUE,
            SamplingContent::ToolUse(_) => ToolUseTag::VALUE,
            SamplingContent::ToolResult(_) => ToolResultTag::VALUE,
            SamplingContent::Unknown(m) => str_field(m, "type").unwrap_or(""),
        }
    }
}

impl From<TextContent> for SamplingContent {
    fn from(c: TextContent) -> Self {
        SamplingContent::Text(c)
    }
}

impl From<ToolUseContent> for SamplingContent {
    fn from(c: ToolUseContent) -> Self {
        SamplingContent::ToolUse(c)
    }
}

impl From<ToolResultContent> for SamplingContent {
    fn from(c: ToolResultContent) -> Self {
        SamplingContent::ToolResult(c)
    }
}

impl Serialize for SamplingContent {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            SamplingContent::Text(c) => c.serialize(s),
            SamplingContent::Image(c) => c.serialize(s),
            SamplingContent::Audio(c) => c.serialize(s),
            SamplingContent::ToolUse(c) => c.serialize(s),
            SamplingContent::ToolResult(c) => c.serialize(s),
            SamplingContent::Unknown(m) => m.serialize(s),
        }
    }
}

tagged_union!(SamplingContent, "a sampling content block", {
    TextTag => Text,
    ImageTag => Image,
    AudioTag => Audio,
    ToolUseTag => ToolUse,
    ToolResultTag => ToolResult,
});
