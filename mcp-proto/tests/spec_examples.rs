//! Every example message the spec ships decodes into the type its folder
//! names and encodes back to the same JSON.
//!
//! The walk is driven by the filesystem, not by the mapping: a folder that a
//! new spec revision adds fails the test until it is mapped below or listed
//! in `LEFT_OUT` with a reason, and a revision without examples must be
//! listed in `REVISIONS_WITHOUT_EXAMPLES`.

use std::collections::BTreeSet;
use std::fs;
use std::path::{Path, PathBuf};

use mcp_proto::model::*;
use serde::de::DeserializeOwned;
use serde::Serialize;
use serde_json::Value;

/// The spec's schemas and examples, vendored at the workspace root (see
/// `spec/README.md`), so the test runs the same on any clone.
const SPEC_DIR: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../spec");

/// Revisions that ship no `schema/examples` folder. Checked against the
/// filesystem both ways, so adding examples to one of them, or a new
/// revision without examples, fails the test.
const REVISIONS_WITHOUT_EXAMPLES: &[&str] =
    &["2024-11-05", "2025-03-26", "2025-06-18", "2025-11-25"];

/// Example folders deliberately not checked, with the reason. Every entry
/// must name a folder that exists.
const LEFT_OUT: &[(&str, &str)] = &[];

/// The 2026-07-28 examples have 88 folders; far fewer means the walk is
/// looking in the wrong place.
const MIN_FOLDERS: usize = 88;

type Check = Result<(), String>;

/// Decodes `text` as `T`, encodes it back and compares the two as JSON
/// values. Returns the decoded value for further assertions.
fn rt<T: Serialize + DeserializeOwned>(text: &str) -> Result<T, String> {
    let want: Value = serde_json::from_str(text).map_err(|e| format!("not JSON: {e}"))?;
    let typed: T = serde_json::from_str(text)
        .map_err(|e| format!("decode as {}: {e}", std::any::type_name::<T>()))?;
    let got = serde_json::to_value(&typed)
        .map_err(|e| format!("encode {}: {e}", std::any::type_name::<T>()))?;
    if got != want {
        return Err(format!(
            "{} does not round-trip\n  want: {}\n  got:  {}",
            std::any::type_name::<T>(),
            want,
            got
        ));
    }
    Ok(typed)
}

/// Round-trips as `T` and checks a property of the decoded value.
fn is<T: Serialize + DeserializeOwned>(text: &str, what: &str, pred: impl Fn(&T) -> bool) -> Check {
    let t = rt::<T>(text)?;
    if pred(&t) {
        Ok(())
    } else {
        Err(format!(
            "{} decoded, but is not {what}",
            std::any::type_name::<T>()
        ))
    }
}

/// Round-trips as `T` only.
fn ok<T: Serialize + DeserializeOwned>(text: &str) -> Check {
    rt::<T>(text).map(drop)
}

/// The check for one example file, or `None` if `folder` is not mapped.
fn check(folder: &str, t: &str) -> Option<Check> {
    use ContentBlock as C;
    use PrimitiveSchemaDefinition as P;
    use SamplingContent as S;
    Some(match folder {
        // Content.
        "TextContent" => ok::<TextContent>(t)
            .and(is::<C>(t, "text", |c| matches!(c, C::Text(_))))
            .and(is::<S>(t, "text", |c| matches!(c, S::Text(_)))),
        "ImageContent" => ok::<ImageContent>(t)
            .and(is::<C>(t, "an image", |c| matches!(c, C::Image(_))))
            .and(is::<S>(t, "an image", |c| matches!(c, S::Image(_)))),
        "AudioContent" => ok::<AudioContent>(t)
            .and(is::<C>(t, "audio", |c| matches!(c, C::Audio(_))))
            .and(is::<S>(t, "audio", |c| matches!(c, S::Audio(_)))),
        "ResourceLink" => ok::<ResourceLink>(t).and(is::<C>(t, "a resource link", |c| {
            matches!(c, C::ResourceLink(_))
        })),
        "EmbeddedResource" => {
            ok::<EmbeddedResource>(t).and(is::<C>(t, "an embedded resource", |c| {
                matches!(c, C::Resource(_))
            }))
        }
        "ToolUseContent" => {
            ok::<ToolUseContent>(t).and(is::<S>(t, "a tool use", |c| matches!(c, S::ToolUse(_))))
        }
        "ToolResultContent" => ok::<ToolResultContent>(t).and(is::<S>(t, "a tool result", |c| {
            matches!(c, S::ToolResult(_))
        })),
        "TextResourceContents" => {
            ok::<TextResourceContents>(t).and(is::<ResourceContents>(t, "text contents", |c| {
                matches!(c, ResourceContents::Text(_))
            }))
        }
        "BlobResourceContents" => {
            ok::<BlobResourceContents>(t).and(is::<ResourceContents>(t, "blob contents", |c| {
                matches!(c, ResourceContents::Blob(_))
            }))
        }

        // Capabilities and discovery.
        "ClientCapabilities" => ok::<ClientCapabilities>(t),
        "ServerCapabilities" => ok::<ServerCapabilities>(t),
        "DiscoverRequest" => ok::<JsonRpcRequest<EmptyParams>>(t),
        "DiscoverResult" => {
            is::<DiscoverResult>(t, "with server info", |r| r.server_info().is_some())
        }
        "DiscoverResultResponse" => ok::<JsonRpcResultResponse<DiscoverResult>>(t),

        // Tools.
        "Tool" => ok::<Tool>(t),
        "ListToolsRequest" => ok::<JsonRpcRequest<PaginatedRequestParams>>(t),
        "ListToolsResult" => ok::<ListToolsResult>(t),
        "ListToolsResultResponse" => ok::<JsonRpcResultResponse<ListToolsResult>>(t),
        "CallToolRequest" => ok::<JsonRpcRequest<CallToolRequestParams>>(t),
        "CallToolRequestParams" => ok::<CallToolRequestParams>(t),
        "CallToolResult" => ok::<CallToolResult>(t).and(is::<MaybeInputRequired<CallToolResult>>(
            t,
            "complete",
            |r| !r.is_input_required(),
        )),
        "CallToolResultResponse" => {
            is::<JsonRpcResultResponse<MaybeInputRequired<CallToolResult>>>(t, "complete", |r| {
                !r.result.is_input_required()
            })
        }
        "ToolListChangedNotification" => ok::<JsonRpcNotification<EmptyParams>>(t),

        // Resources.
        "Resource" => ok::<Resource>(t),
        "ListResourcesRequest" => ok::<JsonRpcRequest<PaginatedRequestParams>>(t),
        "ListResourcesResult" => ok::<ListResourcesResult>(t),
        "ListResourcesResultResponse" => ok::<JsonRpcResultResponse<ListResourcesResult>>(t),
        "ListResourceTemplatesRequest" => ok::<JsonRpcRequest<PaginatedRequestParams>>(t),
        "ListResourceTemplatesResult" => ok::<ListResourceTemplatesResult>(t),
        "ListResourceTemplatesResultResponse" => {
            ok::<JsonRpcResultResponse<ListResourceTemplatesResult>>(t)
        }
        "ReadResourceRequest" => ok::<JsonRpcRequest<ReadResourceRequestParams>>(t),
        "ReadResourceResult" => ok::<ReadResourceResult>(t),
        "ReadResourceResultResponse" => {
            ok::<JsonRpcResultResponse<MaybeInputRequired<ReadResourceResult>>>(t)
        }
        "ResourceListChangedNotification" => ok::<JsonRpcNotification<EmptyParams>>(t),
        "ResourceUpdatedNotification" => {
            ok::<JsonRpcNotification<ResourceUpdatedNotificationParams>>(t)
        }
        "ResourceUpdatedNotificationParams" => ok::<ResourceUpdatedNotificationParams>(t),

        // Prompts.
        "ListPromptsRequest" => ok::<JsonRpcRequest<PaginatedRequestParams>>(t),
        "ListPromptsResult" => ok::<ListPromptsResult>(t),
        "ListPromptsResultResponse" => ok::<JsonRpcResultResponse<ListPromptsResult>>(t),
        "GetPromptRequest" => ok::<JsonRpcRequest<GetPromptRequestParams>>(t),
        "GetPromptRequestParams" => ok::<GetPromptRequestParams>(t),
        "GetPromptResult" => ok::<GetPromptResult>(t),
        "GetPromptResultResponse" => {
            ok::<JsonRpcResultResponse<MaybeInputRequired<GetPromptResult>>>(t)
        }
        "PromptListChangedNotification" => ok::<JsonRpcNotification<EmptyParams>>(t),

        // Completion.
        "CompleteRequest" => ok::<JsonRpcRequest<CompleteRequestParams>>(t),
        "CompleteRequestParams" => is::<CompleteRequestParams>(t, "a prompt reference", |p| {
            matches!(p.reference, Reference::Prompt(_))
        }),
        "CompleteResult" => ok::<CompleteResult>(t),
        "CompleteResultResponse" => ok::<JsonRpcResultResponse<CompleteResult>>(t),

        // Pagination, progress, cancellation, logging.
        "PaginatedRequestParams" => ok::<PaginatedRequestParams>(t),
        "ProgressNotification" => ok::<JsonRpcNotification<ProgressNotificationParams>>(t),
        "ProgressNotificationParams" => ok::<ProgressNotificationParams>(t),
        "CancelledNotification" => ok::<JsonRpcNotification<CancelledNotificationParams>>(t),
        "CancelledNotificationParams" => ok::<CancelledNotificationParams>(t),
        "LoggingMessageNotification" => {
            ok::<JsonRpcNotification<LoggingMessageNotificationParams>>(t)
        }
        "LoggingMessageNotificationParams" => ok::<LoggingMessageNotificationParams>(t),

        // Subscriptions.
        "SubscriptionsListenRequest" => ok::<JsonRpcRequest<SubscriptionsListenRequestParams>>(t),
        "SubscriptionsListenResult" => ok::<SubscriptionsListenResult>(t),
        "SubscriptionsListenResultResponse" => {
            ok::<JsonRpcResultResponse<SubscriptionsListenResult>>(t)
        }
        "SubscriptionsAcknowledgedNotification" => {
            ok::<JsonRpcNotification<SubscriptionsAcknowledgedNotificationParams>>(t)
        }

        // Multi round-trip requests.
        "InputRequests" => ok::<InputRequests>(t),
        "InputResponses" => ok::<InputResponses>(t),
        "InputRequiredResult" => {
            ok::<InputRequiredResult>(t).and(is::<MaybeInputRequired<CallToolResult>>(
                t,
                "input_required",
                |r| r.is_input_required(),
            ))
        }

        // Sampling.
        "CreateMessageRequest" => ok::<MethodCall<CreateMessageRequestParams>>(t),
        "CreateMessageRequestParams" => ok::<CreateMessageRequestParams>(t),
        "CreateMessageResult" => ok::<CreateMessageResult>(t),
        "SamplingMessage" => ok::<SamplingMessage>(t),
        "ModelPreferences" => ok::<ModelPreferences>(t),

        // Roots.
        "ListRootsRequest" => ok::<MethodCall<EmptyParams>>(t),
        "ListRootsResult" => ok::<ListRootsResult>(t),
        "Root" => ok::<Root>(t),

        // Elicitation.
        "ElicitRequest" => ok::<MethodCall<ElicitRequestParams>>(t),
        "ElicitRequestFormParams" => {
            ok::<ElicitRequestFormParams>(t).and(is::<ElicitRequestParams>(t, "form mode", |p| {
                matches!(p, ElicitRequestParams::Form(_))
            }))
        }
        "ElicitRequestURLParams" => {
            ok::<ElicitRequestUrlParams>(t).and(is::<ElicitRequestParams>(t, "URL mode", |p| {
                matches!(p, ElicitRequestParams::Url(_))
            }))
        }
        "ElicitResult" => ok::<ElicitResult>(t),
        "StringSchema" => {
            ok::<StringSchema>(t).and(is::<P>(t, "a string schema", |s| matches!(s, P::String(_))))
        }
        "NumberSchema" => {
            ok::<NumberSchema>(t).and(is::<P>(t, "a number schema", |s| matches!(s, P::Number(_))))
        }
        "BooleanSchema" => ok::<BooleanSchema>(t).and(is::<P>(t, "a boolean schema", |s| {
            matches!(s, P::Boolean(_))
        })),
        "UntitledSingleSelectEnumSchema" => ok::<UntitledSingleSelectEnumSchema>(t).and(is::<P>(
            t,
            "an untitled single select",
            |s| matches!(s, P::UntitledSingleSelectEnum(_)),
        )),
        "TitledSingleSelectEnumSchema" => {
            ok::<TitledSingleSelectEnumSchema>(t).and(is::<P>(t, "a titled single select", |s| {
                matches!(s, P::TitledSingleSelectEnum(_))
            }))
        }
        "UntitledMultiSelectEnumSchema" => ok::<UntitledMultiSelectEnumSchema>(t).and(is::<P>(
            t,
            "an untitled multi select",
            |s| matches!(s, P::UntitledMultiSelectEnum(_)),
        )),
        "TitledMultiSelectEnumSchema" => {
            ok::<TitledMultiSelectEnumSchema>(t).and(is::<P>(t, "a titled multi select", |s| {
                matches!(s, P::TitledMultiSelectEnum(_))
            }))
        }

        // Errors: bare error objects, and whole error responses.
        "ParseError" => code(t, codes::PARSE_ERROR),
        "InvalidParamsError" => code(t, codes::INVALID_PARAMS),
        "MethodNotFoundError" => code(t, codes::METHOD_NOT_FOUND),
        "InternalError" => code(t, codes::INTERNAL_ERROR),
        "HeaderMismatchError" => is::<JsonRpcErrorResponse>(t, "a header mismatch", |r| {
            r.error.code == codes::HEADER_MISMATCH && r.error.is_modern_error()
        }),
        "UnsupportedProtocolVersionError" => {
            is::<JsonRpcErrorResponse>(t, "an unsupported version with data", |r| {
                r.error
                    .unsupported_version()
                    .is_some_and(|d| !d.supported.is_empty())
            })
        }
        "MissingRequiredClientCapabilityError" => {
            is::<JsonRpcErrorResponse>(t, "a missing capability with data", |r| {
                r.error.code == codes::MISSING_REQUIRED_CLIENT_CAPABILITY
                    && r.error.data.clone().is_some_and(|d| {
                        serde_json::from_value::<MissingRequiredClientCapabilityData>(d).is_ok()
                    })
            })
        }

        _ => return None,
    })
}

fn code(t: &str, want: i64) -> Check {
    is::<ErrorObject>(t, &format!("code {want}"), |e| e.code == want)
}

/// Whether a directory name looks like a revision (`YYYY-MM-DD`).
fn is_revision(name: &str) -> bool {
    name.len() == 10
        && name.bytes().enumerate().all(|(i, b)| {
            if i == 4 || i == 7 {
                b == b'-'
            } else {
                b.is_ascii_digit()
            }
        })
}

fn sorted_entries(dir: &Path) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("read {}: {e}", dir.display()))
        .map(|e| e.expect("directory entry").path())
        .collect();
    v.sort();
    v
}

fn name(p: &Path) -> String {
    p.file_name().unwrap().to_string_lossy().into_owned()
}

#[test]
fn the_vendored_spec_has_every_revision() {
    let dir = Path::new(SPEC_DIR)
        .canonicalize()
        .unwrap_or_else(|e| panic!("{SPEC_DIR}: {e}"));
    for rev in [
        "2024-11-05",
        "2025-03-26",
        "2025-06-18",
        "2025-11-25",
        "2026-07-28",
    ] {
        for file in ["schema.ts", "schema.json"] {
            let path = dir.join(rev).join("schema").join(file);
            assert!(path.is_file(), "missing {}", path.display());
        }
    }
}

#[test]
fn every_spec_example_round_trips() {
    let spec = Path::new(SPEC_DIR);
    let mut failures = Vec::new();
    let mut folders = BTreeSet::new();
    let mut revisions = BTreeSet::new();
    let mut files_checked = 0usize;

    for rev_dir in sorted_entries(spec) {
        let rev = name(&rev_dir);
        if !rev_dir.is_dir() || !is_revision(&rev) {
            continue;
        }
        revisions.insert(rev.clone());
        let examples = rev_dir.join("schema/examples");
        let listed = REVISIONS_WITHOUT_EXAMPLES.contains(&rev.as_str());
        if !examples.is_dir() {
            if !listed {
                failures.push(format!(
                    "{rev}: no schema/examples folder; add it to REVISIONS_WITHOUT_EXAMPLES"
                ));
            }
            continue;
        }
        if listed {
            failures.push(format!(
                "{rev}: now has examples; remove it from REVISIONS_WITHOUT_EXAMPLES"
            ));
        }

        for folder_dir in sorted_entries(&examples) {
            let folder = name(&folder_dir);
            if !folder_dir.is_dir() {
                failures.push(format!("{rev}/{folder}: not a folder"));
                continue;
            }
            folders.insert(folder.clone());
            if LEFT_OUT.iter().any(|(f, _)| *f == folder) {
                continue;
            }
            let files = sorted_entries(&folder_dir);
            if files.is_empty() {
                failures.push(format!("{rev}/{folder}: empty folder"));
            }
            for file in files {
                let shown = format!("{rev}/{folder}/{}", name(&file));
                if file.extension().and_then(|e| e.to_str()) != Some("json") {
                    failures.push(format!("{shown}: not a .json file"));
                    continue;
                }
                let text = fs::read_to_string(&file)
                    .unwrap_or_else(|e| panic!("read {}: {e}", file.display()));
                match check(&folder, &text) {
                    None => {
                        failures.push(format!(
                            "{rev}/{folder}: not mapped to a type; map it in `check` or add it to LEFT_OUT"
                        ));
                        break;
                    }
                    Some(Err(e)) => failures.push(format!("{shown}: {e}")),
                    Some(Ok(())) => files_checked += 1,
                }
            }
        }
    }

    for rev in REVISIONS_WITHOUT_EXAMPLES {
        if !revisions.contains(*rev) {
            failures.push(format!(
                "REVISIONS_WITHOUT_EXAMPLES names {rev}, which is not in the spec"
            ));
        }
    }
    for (folder, _) in LEFT_OUT {
        if !folders.contains(*folder) {
            failures.push(format!("LEFT_OUT names {folder}, which no revision has"));
        }
    }
    if folders.len() < MIN_FOLDERS {
        failures.push(format!(
            "only {} example folders found under {SPEC_DIR}; expected at least {MIN_FOLDERS}",
            folders.len()
        ));
    }

    eprintln!(
        "{files_checked} example files in {} folders checked; {} left out",
        folders.len(),
        LEFT_OUT.len()
    );
    assert!(
        failures.is_empty(),
        "{} problem(s) ({files_checked} files passed):\n{}",
        failures.len(),
        failures.join("\n")
    );
}
