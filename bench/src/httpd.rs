//! The bench server over HTTP: Streamable HTTP in its simplest legal form
//! (every POST answered with one JSON body, no sessions, no SSE), one
//! thread per connection, keep-alive. Enough for a client's HTTP path to
//! be measured on 127.0.0.1; not a general HTTP server.

use std::io::{self, BufRead, BufReader, Write};
use std::net::{TcpListener, TcpStream};

use crate::server::BenchServer;

/// The largest request body read.
const MAX_BODY: usize = 16 << 20;

/// Serves `listener` until the process ends.
pub fn serve(listener: TcpListener) {
    for conn in listener.incoming() {
        let Ok(conn) = conn else { continue };
        std::thread::spawn(move || {
            let _ = connection(conn);
        });
    }
}

fn connection(conn: TcpStream) -> io::Result<()> {
    conn.set_nodelay(true)?;
    let mut reader = BufReader::with_capacity(1 << 16, conn.try_clone()?);
    let mut writer = conn;
    let mut server = BenchServer::new();
    let (mut line, mut body, mut out, mut reply) =
        (String::new(), Vec::new(), Vec::new(), Vec::new());
    loop {
        line.clear();
        if reader.read_line(&mut line)? == 0 {
            return Ok(());
        }
        let method = line.split(' ').next().unwrap_or("").to_string();
        let mut length = 0usize;
        let mut close = false;
        loop {
            line.clear();
            if reader.read_line(&mut line)? == 0 {
                return Ok(());
            }
            let header = line.trim_end();
            if header.is_empty() {
                break;
            }
            if let Some((name, value)) = header.split_once(':') {
                let value = value.trim();
                if name.eq_ignore_ascii_case("content-length") {
                    length = value.parse().map_err(|_| io::ErrorKind::InvalidData)?;
                } else if name.eq_ignore_ascii_case("connection")
                    && value.eq_ignore_ascii_case("close")
                {
                    close = true;
                }
            }
        }
        if length > MAX_BODY {
            return Err(io::ErrorKind::InvalidData.into());
        }
        body.resize(length, 0);
        io::Read::read_exact(&mut reader, &mut body)?;
        out.clear();
        reply.clear();
        if method == "POST" {
            server.handle(&body, &mut out);
            if out.is_empty() {
                reply.extend_from_slice(b"HTTP/1.1 202 Accepted\r\nContent-Length: 0\r\n\r\n");
            } else {
                let json = out.strip_suffix(b"\n").unwrap_or(&out);
                reply.extend_from_slice(
                    b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: ",
                );
                reply.extend_from_slice(itoa::Buffer::new().format(json.len()).as_bytes());
                reply.extend_from_slice(b"\r\n\r\n");
                reply.extend_from_slice(json);
            }
        } else {
            reply.extend_from_slice(
                b"HTTP/1.1 405 Method Not Allowed\r\nAllow: POST\r\nContent-Length: 0\r\n\r\n",
            );
        }
        writer.write_all(&reply)?;
        if close {
            return Ok(());
        }
    }
}
