//! The whole benchmark suite: codec, core, stdio and HTTP, each against its
//! floor, in one run on this machine. Prints the tables (Markdown) and
//! writes every figure as JSON.
//!
//! ```text
//! ./scripts/bench                 # builds, then runs this
//! mcp-bench [--quick] [--out FILE] [--only codec,core,stdio,http]
//! ```
//!
//! - codec: a response frame in, its typed result out (the core's receive
//!   path plus the caller's decode), against
//!   `serde_json::from_slice::<IgnoredAny>` on the same bytes.
//! - core: request/response round trips in memory, no I/O.
//! - stdio: `mcp-bench-client` on both adapters against `mcp-bench-floor`,
//!   W1 to W4, pinned to one CPU (`taskset -c 0`) and unpinned, both eras.
//! - http: both adapters, sequential (W1) and 64 in flight (W2) on
//!   127.0.0.1 against `mcp-bench-server --http`.

use std::hint::black_box;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use mcp_bench::cli::base64_len;
use mcp_proto::methods::{CallTool, ListTools, Method, ReadResource};
use mcp_proto::model::{
    CallToolRequestParams, CallToolResult, ListToolsResult, PaginatedRequestParams,
    ReadResourceRequestParams, ReadResourceResult,
};
use mcp_proto::{Client, Config, EraPreference, Event, Limits, Output, RequestOptions};
use serde::de::{DeserializeOwned, IgnoredAny};
use serde_json::{json, Value};

struct Opts {
    quick: bool,
    out: PathBuf,
    only: Vec<String>,
}

fn main() {
    let mut opts = Opts {
        quick: false,
        out: PathBuf::from("target/bench/results.json"),
        only: Vec::new(),
    };
    let mut argv = std::env::args().skip(1);
    while let Some(a) = argv.next() {
        match a.as_str() {
            "--quick" => opts.quick = true,
            "--out" => opts.out = argv.next().map(PathBuf::from).unwrap_or(opts.out),
            "--only" => {
                opts.only = argv
                    .next()
                    .unwrap_or_default()
                    .split(',')
                    .map(String::from)
                    .collect()
            }
            _ => {
                eprintln!("usage: mcp-bench [--quick] [--out FILE] [--only codec,core,stdio,http]");
                std::process::exit(2);
            }
        }
    }
    let want = |s: &str| opts.only.is_empty() || opts.only.iter().any(|o| o == s);
    let mut all = serde_json::Map::new();
    all.insert("machine".into(), machine());
    println!("# mcp-rs benchmarks\n\n{}\n", describe(&all["machine"]));
    if want("codec") {
        all.insert("codec".into(), codec(&opts));
    }
    if want("core") {
        all.insert("core".into(), core(&opts));
    }
    if want("stdio") {
        all.insert("stdio".into(), stdio(&opts));
    }
    if want("http") {
        all.insert("http".into(), http(&opts));
    }
    if let Some(dir) = opts.out.parent() {
        let _ = std::fs::create_dir_all(dir);
    }
    match std::fs::write(
        &opts.out,
        serde_json::to_vec_pretty(&Value::Object(all)).unwrap_or_default(),
    ) {
        Ok(()) => println!("\nAll figures: {}", opts.out.display()),
        Err(e) => {
            eprintln!("mcp-bench: cannot write {}: {e}", opts.out.display());
            std::process::exit(1);
        }
    }
}

fn machine() -> Value {
    let cpu = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|s| {
            s.lines().find_map(|l| {
                l.strip_prefix("model name")
                    .map(|v| v.trim_start_matches([' ', '\t', ':']).to_string())
            })
        })
        .unwrap_or_else(|| "unknown CPU".into());
    let cores = std::thread::available_parallelism().map_or(0, |n| n.get());
    let kernel = std::fs::read_to_string("/proc/sys/kernel/osrelease").unwrap_or_default();
    json!({"cpu": cpu, "cores": cores, "kernel": kernel.trim()})
}

fn describe(m: &Value) -> String {
    format!(
        "Machine: {}, {} cores, Linux {}.",
        m["cpu"].as_str().unwrap_or(""),
        m["cores"],
        m["kernel"].as_str().unwrap_or("")
    )
}

// ---------------------------------------------------------------- codec --

/// A core past its handshake with a server offering tools and resources.
fn ready_core(modern: bool, now: Instant) -> Client {
    let cfg = Config {
        era: if modern {
            EraPreference::Modern
        } else {
            EraPreference::Legacy
        },
        limits: Limits {
            max_pending_calls: 1 << 20,
            max_frame_size: usize::MAX,
            ..Limits::default()
        },
        cache: false,
        ..Config::default()
    };
    let mut c = Client::new(cfg, now);
    while c.poll_output().is_some() {}
    let caps = json!({"tools": {}, "resources": {}});
    let answer = if modern {
        json!({"jsonrpc":"2.0","id":1,"result":{"resultType":"complete","supportedVersions":["2026-07-28"],"capabilities":caps,"ttlMs":0,"cacheScope":"public"}})
    } else {
        json!({"jsonrpc":"2.0","id":1,"result":{"protocolVersion":"2025-11-25","capabilities":caps,"serverInfo":{"name":"bench","version":"1"}}})
    };
    let mut line = serde_json::to_vec(&answer).unwrap_or_default();
    line.push(b'\n');
    let _ = c.handle_bytes(now, &line);
    while c.poll_output().is_some() {}
    assert!(c.is_ready(), "the in-memory handshake failed");
    c
}

struct Shape {
    name: &'static str,
    /// The result as JSON text, its members in the order servers write
    /// them: the official SDKs put a content block's `type` first.
    result: String,
    run: fn(&mut Client, Instant, &[Vec<u8>], usize) -> Duration,
    issue: fn(&mut Client, Instant) -> Value,
}

fn issue_call(c: &mut Client, now: Instant) -> Value {
    issue::<CallTool>(c, now, &CallToolRequestParams::new("echo"))
}
fn issue_list(c: &mut Client, now: Instant) -> Value {
    let opts = RequestOptions::default().first_page_only();
    issue_with::<ListTools>(c, now, &PaginatedRequestParams::default(), opts)
}
fn issue_read(c: &mut Client, now: Instant) -> Value {
    let p = ReadResourceRequestParams {
        uri: "file:///bench.txt".into(),
        ..serde_json::from_value(json!({"uri": ""})).expect("params")
    };
    issue::<ReadResource>(c, now, &p)
}
fn issue<M: Method>(c: &mut Client, now: Instant, p: &M::Params) -> Value {
    issue_with::<M>(c, now, p, RequestOptions::default())
}
fn issue_with<M: Method>(c: &mut Client, now: Instant, p: &M::Params, o: RequestOptions) -> Value {
    c.request::<M>(now, p, o).expect("request");
    while let Some(out) = c.poll_output() {
        if let Output::Transmit(bytes) = out {
            let req: Value = serde_json::from_slice(&bytes).expect("a frame");
            return req["id"].clone();
        }
    }
    panic!("no frame sent");
}

/// Feeds `frames` and decodes each result into `T`; returns the time.
fn receive<T: DeserializeOwned>(
    c: &mut Client,
    now: Instant,
    frames: &[Vec<u8>],
    _: usize,
) -> Duration {
    let t = Instant::now();
    let mut done = 0;
    for f in frames {
        let _ = c.handle_bytes(now, black_box(f));
        while let Some(out) = c.poll_output() {
            if let Output::Event(Event::Response {
                result: Ok(reply), ..
            }) = out
            {
                black_box(reply.decode::<T>().expect("a typed result"));
                done += 1;
            }
        }
    }
    let took = t.elapsed();
    assert_eq!(done, frames.len(), "every frame answered its call");
    took
}

fn shapes() -> Vec<Shape> {
    let tools: Vec<Value> = (0..100)
        .map(|i| {
            json!({"name": format!("tool_{i:03}"), "description": format!("Tool number {i}: does one thing well, with a description of typical length for a real server."),
                "inputSchema": {"type":"object","properties":{"path":{"type":"string","description":"A file path"},"limit":{"type":"integer","minimum":1}},"required":["path"]},
                "annotations": {"readOnlyHint": true}})
        })
        .collect();
    let text: String = (0..(1 << 20) / 64)
        .map(|i| format!("{i:08} the quick brown fox jumps over the lazy dog, line ...\n"))
        .collect();
    vec![
        Shape {
            name: "small tools/call result",
            result: r#"{"content":[{"type":"text","text":"hello"}]}"#.into(),
            run: receive::<CallToolResult>,
            issue: issue_call,
        },
        Shape {
            name: "tools/list, 100 tools",
            result: json!({"tools": tools}).to_string(),
            run: receive::<ListToolsResult>,
            issue: issue_list,
        },
        Shape {
            name: "1 MiB text resource",
            result: json!({"contents":[{"uri":"file:///bench.txt","mimeType":"text/plain","text":text}]}).to_string(),
            run: receive::<ReadResourceResult>,
            issue: issue_read,
        },
        Shape {
            name: "16 MiB base64 blob",
            result: format!(
                r#"{{"content":[{{"type":"image","mimeType":"image/png","data":"{}"}}]}}"#,
                "QUJD".repeat((16 << 20) / 3)
            ),
            run: receive::<CallToolResult>,
            issue: issue_call,
        },
    ]
}

fn codec(opts: &Opts) -> Value {
    let budget = if opts.quick {
        Duration::from_millis(200)
    } else {
        Duration::from_secs(2)
    };
    println!("## codec: a response frame in, its typed result out\n");
    println!("Against `serde_json::from_slice::<IgnoredAny>` on the same bytes (ratio = floor time / our time; target >= 0.6). For scale, the last column is `serde_json::from_slice::<Value>` on the same bytes, what a client that decodes into a generic tree pays before it has a typed result.\n");
    println!(
        "| frame | era | bytes | ours frames/s | ours MB/s | floor frames/s | floor MB/s | ratio | Value frames/s (ratio) |"
    );
    println!("| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |");
    let mut rows = Vec::new();
    let start = Instant::now();
    for shape in shapes() {
        for modern in [false, true] {
            let mut c = ready_core(modern, start);
            let mut body = shape.result.clone().into_bytes();
            if modern {
                let fields: &[u8] = if shape.name.starts_with("tools/list") {
                    br#""resultType":"complete","ttlMs":0,"cacheScope":"public","#
                } else {
                    br#""resultType":"complete","#
                };
                body.splice(1..1, fields.iter().copied());
            }
            let batch = ((32 << 20) / body.len().max(1)).clamp(1, 1000);
            let (mut ours, mut floor, mut tree) = (Duration::ZERO, Duration::ZERO, Duration::ZERO);
            let (mut frames, mut bytes) = (0usize, 0usize);
            while ours + floor < budget || frames < 8 {
                let ids: Vec<Value> = (0..batch).map(|_| (shape.issue)(&mut c, start)).collect();
                let batch_frames: Vec<Vec<u8>> = ids
                    .iter()
                    .map(|id| {
                        let mut f = br#"{"jsonrpc":"2.0","id":"#.to_vec();
                        f.extend_from_slice(id.to_string().as_bytes());
                        f.extend_from_slice(br#","result":"#);
                        f.extend_from_slice(&body);
                        f.extend_from_slice(b"}\n");
                        f
                    })
                    .collect();
                let t = Instant::now();
                for f in &batch_frames {
                    black_box(
                        serde_json::from_slice::<IgnoredAny>(black_box(f)).expect("valid JSON"),
                    );
                }
                floor += t.elapsed();
                let t = Instant::now();
                for f in &batch_frames {
                    black_box(serde_json::from_slice::<Value>(black_box(f)).expect("valid JSON"));
                }
                tree += t.elapsed();
                ours += (shape.run)(&mut c, start, &batch_frames, batch);
                frames += batch_frames.len();
                bytes += batch_frames.iter().map(Vec::len).sum::<usize>();
            }
            let era = if modern { "modern" } else { "legacy" };
            let per = |d: Duration| frames as f64 / d.as_secs_f64();
            let mbs = |d: Duration| bytes as f64 / d.as_secs_f64() / 1e6;
            let ratio = floor.as_secs_f64() / ours.as_secs_f64();
            let tree_ratio = floor.as_secs_f64() / tree.as_secs_f64();
            println!(
                "| {} | {era} | {} | {:.0} | {:.0} | {:.0} | {:.0} | {:.2} | {:.0} ({:.2}) |",
                shape.name,
                bytes / frames,
                per(ours),
                mbs(ours),
                per(floor),
                mbs(floor),
                ratio,
                per(tree),
                tree_ratio
            );
            rows.push(
                json!({"frame": shape.name, "era": era, "bytes": bytes / frames,
                "ours_frames_per_sec": per(ours), "ours_mb_per_sec": mbs(ours),
                "floor_frames_per_sec": per(floor), "floor_mb_per_sec": mbs(floor), "ratio": ratio,
                "value_frames_per_sec": per(tree), "value_ratio": tree_ratio}),
            );
        }
    }
    println!();
    Value::Array(rows)
}

// ----------------------------------------------------------------- core --

fn core(opts: &Opts) -> Value {
    let budget = if opts.quick {
        Duration::from_millis(200)
    } else {
        Duration::from_secs(2)
    };
    println!("## core: round trips in memory, no I/O\n");
    println!("`request::<CallTool>`, the frame taken, the answer fed back, the typed result decoded and checked.\n");
    println!("| era | round trips/s | ns per round trip |");
    println!("| --- | ---: | ---: |");
    let mut rows = Vec::new();
    for modern in [false, true] {
        let start = Instant::now();
        let mut c = ready_core(modern, start);
        let mut params = CallToolRequestParams::new("echo");
        params.arguments = json!({"text": "hello"}).as_object().cloned();
        let tail: &[u8] = if modern {
            br#","result":{"content":[{"type":"text","text":"hello"}],"resultType":"complete"}}
"#
        } else {
            br#","result":{"content":[{"type":"text","text":"hello"}]}}
"#
        };
        let mut frame = Vec::with_capacity(256);
        let mut n = 0u64;
        let t = Instant::now();
        while t.elapsed() < budget {
            for _ in 0..1000 {
                let call = c
                    .request::<CallTool>(start, &params, RequestOptions::default())
                    .expect("request");
                let mut id = None;
                while let Some(out) = c.poll_output() {
                    if let Output::Transmit(bytes) = out {
                        // The request id is the client's; read it back the cheap way.
                        id = find_id(&bytes);
                    }
                }
                frame.clear();
                frame.extend_from_slice(br#"{"jsonrpc":"2.0","id":"#);
                frame.extend_from_slice(id.expect("an id").as_bytes());
                frame.extend_from_slice(tail);
                let _ = c.handle_bytes(start, &frame);
                let mut ok = false;
                while let Some(out) = c.poll_output() {
                    if let Output::Event(Event::Response {
                        call: done,
                        result: Ok(reply),
                    }) = out
                    {
                        let r: CallToolResult = reply.decode().expect("decodes");
                        ok = done == call && !r.content.is_empty();
                    }
                }
                assert!(ok, "the round trip finished its call");
                n += 1;
            }
        }
        let secs = t.elapsed().as_secs_f64();
        let era = if modern { "modern" } else { "legacy" };
        println!(
            "| {era} | {:.0} | {:.0} |",
            n as f64 / secs,
            secs * 1e9 / n as f64
        );
        rows.push(json!({"era": era, "round_trips_per_sec": n as f64 / secs}));
    }
    println!();
    Value::Array(rows)
}

fn find_id(frame: &[u8]) -> Option<String> {
    let at = memchr::memmem::find(frame, br#""id":"#)? + 5;
    let end = at + frame[at..].iter().position(|b| !b.is_ascii_digit())?;
    Some(String::from_utf8_lossy(&frame[at..end]).into_owned())
}

// ---------------------------------------------------------------- stdio --

fn bin(name: &str) -> PathBuf {
    let here = std::env::current_exe().ok();
    let dir = here
        .as_deref()
        .and_then(Path::parent)
        .map(Path::to_path_buf)
        .unwrap_or_default();
    dir.join(name)
}

/// Runs one driver and returns its JSON line.
fn drive(pinned: bool, program: &str, args: &[String]) -> Value {
    let mut cmd = if pinned {
        let mut c = Command::new("taskset");
        c.arg("-c").arg("0").arg(bin(program));
        c
    } else {
        Command::new(bin(program))
    };
    cmd.args(args).stderr(Stdio::inherit());
    match cmd.output() {
        Ok(out) => {
            let line = String::from_utf8_lossy(&out.stdout);
            serde_json::from_str(line.trim())
                .unwrap_or_else(|_| json!({"error": format!("no result line: {line:?}")}))
        }
        Err(e) => json!({"error": format!("cannot run {program}: {e}")}),
    }
}

struct Run<'a> {
    workload: &'a str,
    era: &'a str,
    n: u64,
    blob: Option<usize>,
}

impl Run<'_> {
    fn args(&self, adapter: &str, server: &[String]) -> Vec<String> {
        let mut a: Vec<String> = vec![
            "--adapter".into(),
            adapter.into(),
            "--workload".into(),
            self.workload.into(),
            "--n".into(),
            self.n.to_string(),
            "--era".into(),
            self.era.into(),
        ];
        if let Some(b) = self.blob {
            a.extend([
                "--lift-line-cap".into(),
                "--blob-bytes".into(),
                b.to_string(),
            ]);
        }
        a.push("--".into());
        a.extend(server.iter().cloned());
        a
    }
}

fn num(v: &Value, key: &str) -> f64 {
    v.get(key).and_then(Value::as_f64).unwrap_or(f64::NAN)
}

fn stdio(opts: &Opts) -> Value {
    let server = vec![bin("mcp-bench-server").display().to_string()];
    let q = opts.quick;
    println!("## stdio: against the raw pipe floor\n");
    println!("Calls per second (W4: spawn-to-close cycles per second), ratio to the floor in parentheses; W1 and W2 targets: >= 0.8 and >= 0.7 pinned; W4: time <= 1.1 x the floor's.\n");
    println!("| cpu | era | workload | n | floor | mcp-blocking | mcp-smol |");
    println!("| --- | --- | --- | ---: | ---: | ---: | ---: |");
    let mut rows = Vec::new();
    for pinned in [true, false] {
        for era in ["legacy", "modern"] {
            for (workload, n, blob) in [
                (
                    "W1",
                    if q {
                        5_000
                    } else if pinned {
                        100_000
                    } else {
                        30_000
                    },
                    None,
                ),
                ("W2", if q { 20_000 } else { 300_000 }, None),
                ("W3", if q { 2 } else { 10 }, Some(16 << 20)),
                ("W4", if q { 20 } else { 300 }, None),
            ] {
                let run = Run {
                    workload,
                    era,
                    n,
                    blob,
                };
                let floor = drive(pinned, "mcp-bench-floor", &run.args("blocking", &server));
                let mut cells = Vec::new();
                let mut row = json!({"pinned": pinned, "era": era, "workload": workload, "n": n, "floor": floor});
                for adapter in ["blocking", "smol"] {
                    let ours = drive(pinned, "mcp-bench-client", &run.args(adapter, &server));
                    let ratio = if workload == "W4" {
                        num(&ours, "secs") / num(&floor, "secs")
                    } else {
                        num(&ours, "ops_per_sec") / num(&floor, "ops_per_sec")
                    };
                    cells.push(cell(&ours, ratio));
                    row[adapter] = ours;
                    row[format!("{adapter}_ratio")] = json!(ratio);
                }
                println!(
                    "| {} | {era} | {workload} | {n} | {} | {} | {} |",
                    if pinned { "pinned" } else { "any" },
                    cell(&floor, f64::NAN),
                    cells[0],
                    cells[1]
                );
                rows.push(row);
            }
        }
    }
    println!();
    let memory = w3_memory(opts, &server);
    json!({"runs": rows, "w3_memory": memory})
}

fn cell(v: &Value, ratio: f64) -> String {
    if let Some(e) = v.get("error") {
        return format!("error: {}", e.as_str().unwrap_or(""));
    }
    let ops = num(v, "ops_per_sec");
    let ops = if ops >= 100.0 {
        format!("{ops:.0}")
    } else {
        format!("{ops:.1}")
    };
    if ratio.is_nan() {
        ops
    } else {
        format!("{ops} ({ratio:.2})")
    }
}

fn w3_memory(opts: &Opts, server: &[String]) -> Value {
    println!("## W3 memory: peak RSS by blob size\n");
    println!("Pinned, legacy era, `--lift-line-cap`. The frame is the whole response line (base64 is 4/3 of the blob). Target: peak <= 2 x payload + 32 MiB, linear in the size.\n");
    println!("| blob | frame | floor peak | mcp-blocking peak | mcp-smol peak | bound 2 x frame + 32 MiB |");
    println!("| ---: | ---: | ---: | ---: | ---: | ---: |");
    let sizes: &[usize] = if opts.quick {
        &[1 << 20, 16 << 20]
    } else {
        &[1 << 20, 4 << 20, 16 << 20, 64 << 20]
    };
    let mut rows = Vec::new();
    for &size in sizes {
        let run = Run {
            workload: "W3",
            era: "legacy",
            n: if opts.quick { 1 } else { 3 },
            blob: Some(size),
        };
        let floor = drive(true, "mcp-bench-floor", &run.args("blocking", server));
        let blocking = drive(true, "mcp-bench-client", &run.args("blocking", server));
        let smol = drive(true, "mcp-bench-client", &run.args("smol", server));
        let frame = base64_len(size) + 120;
        let mib = |v: &Value| match v.get("peak_rss_kib").and_then(Value::as_f64) {
            Some(k) => format!("{:.1} MiB", k / 1024.0),
            None => format!(
                "error: {}",
                v.get("error").and_then(Value::as_str).unwrap_or("")
            ),
        };
        let bound = (2 * frame + (32 << 20)) as f64 / (1 << 20) as f64;
        println!(
            "| {} MiB | {:.1} MiB | {} | {} | {} | {bound:.1} MiB |",
            size >> 20,
            frame as f64 / (1 << 20) as f64,
            mib(&floor),
            mib(&blocking),
            mib(&smol)
        );
        rows.push(json!({"blob_bytes": size, "frame_bytes": frame, "floor": floor, "blocking": blocking, "smol": smol, "bound_mib": bound}));
    }
    println!();
    Value::Array(rows)
}

// ----------------------------------------------------------------- http --

fn http(opts: &Opts) -> Value {
    println!("## HTTP on 127.0.0.1\n");
    println!("Streamable HTTP, one JSON body per POST, against `mcp-bench-server --http` (not pinned).\n");
    println!("| era | workload | n | mcp-blocking calls/s | mcp-smol calls/s |");
    println!("| --- | --- | ---: | ---: | ---: |");
    let mut child = match Command::new(bin("mcp-bench-server"))
        .args(["--http", "127.0.0.1:0"])
        .stdout(Stdio::piped())
        .spawn()
    {
        Ok(c) => c,
        Err(e) => {
            println!("(cannot start the HTTP server: {e})\n");
            return json!({"error": e.to_string()});
        }
    };
    let mut url = String::new();
    if let Some(out) = child.stdout.take() {
        let _ = BufReader::new(out).read_line(&mut url);
    }
    let url = url.trim().to_string();
    let mut rows = Vec::new();
    for era in ["legacy", "modern"] {
        for workload in ["W1", "W2"] {
            let n: u64 = if opts.quick { 500 } else { 5_000 };
            let mut row = json!({"era": era, "workload": workload, "n": n});
            let mut cells = Vec::new();
            for adapter in ["blocking", "smol"] {
                let args: Vec<String> = [
                    "--adapter",
                    adapter,
                    "--workload",
                    workload,
                    "--n",
                    &n.to_string(),
                    "--era",
                    era,
                    "--url",
                    &url,
                ]
                .iter()
                .map(|s| s.to_string())
                .collect();
                let v = drive(false, "mcp-bench-client", &args);
                cells.push(cell(&v, f64::NAN));
                row[adapter] = v;
            }
            println!("| {era} | {workload} | {n} | {} | {} |", cells[0], cells[1]);
            rows.push(row);
        }
    }
    let _ = child.kill();
    let _ = child.wait();
    println!();
    Value::Array(rows)
}
