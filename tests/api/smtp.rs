//! A small SMTP server on loopback that keeps what it receives, for tests and the
//! delivery benchmark. It can refuse chosen recipients (550) and be stopped and
//! started again on the same port, like a mail server that goes down.

#![allow(dead_code)]

use std::collections::HashSet;
use std::io::{BufRead, BufReader, ErrorKind, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

#[derive(Debug, Clone)]
pub struct Received {
    pub from: String,
    pub to: Vec<String>,
    pub data: Vec<u8>,
}

impl Received {
    pub fn parsed(&self) -> mail_parser::Message<'_> {
        mail_parser::MessageParser::default()
            .parse(&self.data)
            .expect("a parseable message")
    }

    /// The raw value of the first header called `name` (case-insensitive).
    pub fn header(&self, name: &str) -> Option<String> {
        self.parsed().header_raw(name).map(|v| v.trim().to_string())
    }

    pub fn subject(&self) -> String {
        self.parsed().subject().unwrap_or_default().to_string()
    }

    pub fn message_id(&self) -> String {
        self.parsed().message_id().unwrap_or_default().to_string()
    }

    pub fn text(&self) -> String {
        self.parsed()
            .body_text(0)
            .map(|t| t.to_string())
            .unwrap_or_default()
    }

    /// The HTML part with its character references decoded, for reading its text.
    pub fn html(&self) -> String {
        self.parsed()
            .body_html(0)
            .map(|t| {
                t.replace("&#x2f;", "/")
                    .replace("&quot;", "\"")
                    .replace("&#x27;", "'")
                    .replace("&lt;", "<")
                    .replace("&gt;", ">")
                    .replace("&amp;", "&")
            })
            .unwrap_or_default()
    }
}

#[derive(Default)]
struct Shared {
    messages: Mutex<Vec<Received>>,
    rejected: Mutex<HashSet<String>>,
}

struct Running {
    stop: Arc<AtomicBool>,
    thread: JoinHandle<()>,
}

pub struct MailSink {
    shared: Arc<Shared>,
    port: u16,
    running: Mutex<Option<Running>>,
}

impl MailSink {
    pub fn start() -> MailSink {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind the SMTP sink");
        let port = listener.local_addr().expect("address").port();
        let sink = MailSink {
            shared: Arc::new(Shared::default()),
            port,
            running: Mutex::new(None),
        };
        sink.serve(listener);
        sink
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    fn serve(&self, listener: TcpListener) {
        listener
            .set_nonblocking(true)
            .expect("non-blocking listener");
        let stop = Arc::new(AtomicBool::new(false));
        let (flag, shared) = (stop.clone(), self.shared.clone());
        let thread = std::thread::spawn(move || {
            let mut sessions = Vec::new();
            while !flag.load(Ordering::SeqCst) {
                match listener.accept() {
                    Ok((stream, _)) => {
                        let (flag, shared) = (flag.clone(), shared.clone());
                        sessions.push(std::thread::spawn(move || {
                            let _ = session(stream, &shared, &flag);
                        }));
                    }
                    Err(e) if e.kind() == ErrorKind::WouldBlock => {
                        std::thread::sleep(Duration::from_millis(2))
                    }
                    Err(_) => break,
                }
            }
            drop(listener);
            for s in sessions {
                let _ = s.join();
            }
        });
        *self.running.lock().expect("lock") = Some(Running { stop, thread });
    }

    /// Goes down: new connections are refused and open ones are closed.
    pub fn stop(&self) {
        if let Some(running) = self.running.lock().expect("lock").take() {
            running.stop.store(true, Ordering::SeqCst);
            let _ = running.thread.join();
        }
    }

    /// Comes back up on the same port.
    pub fn restart(&self) {
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            match TcpListener::bind(("127.0.0.1", self.port)) {
                Ok(listener) => return self.serve(listener),
                Err(e) if Instant::now() < deadline => {
                    let _ = e;
                    std::thread::sleep(Duration::from_millis(50))
                }
                Err(e) => panic!("cannot listen on port {} again: {e}", self.port),
            }
        }
    }

    /// Answers 550 (a permanent failure) to RCPT TO for `address`.
    pub fn reject(&self, address: &str) {
        self.shared
            .rejected
            .lock()
            .expect("lock")
            .insert(address.to_ascii_lowercase());
    }

    /// Accepts `address` again.
    pub fn accept(&self, address: &str) {
        self.shared
            .rejected
            .lock()
            .expect("lock")
            .remove(&address.to_ascii_lowercase());
    }

    pub fn messages(&self) -> Vec<Received> {
        self.shared.messages.lock().expect("lock").clone()
    }

    /// The messages to `address`.
    pub fn messages_to(&self, address: &str) -> Vec<Received> {
        self.messages()
            .into_iter()
            .filter(|m| m.to.iter().any(|t| t.eq_ignore_ascii_case(address)))
            .collect()
    }

    /// Waits until at least `n` messages arrived; panics after `timeout`.
    pub async fn wait_for(&self, n: usize, timeout: Duration) -> Vec<Received> {
        let deadline = Instant::now() + timeout;
        loop {
            let messages = self.messages();
            if messages.len() >= n {
                return messages;
            }
            assert!(
                Instant::now() < deadline,
                "expected {n} messages, got {} after {timeout:?}",
                messages.len()
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
}

impl Drop for MailSink {
    fn drop(&mut self) {
        self.stop();
    }
}

fn session(stream: TcpStream, shared: &Shared, stop: &AtomicBool) -> std::io::Result<()> {
    stream.set_nonblocking(false)?;
    stream.set_read_timeout(Some(Duration::from_millis(50)))?;
    let mut writer = stream.try_clone()?;
    let mut reader = BufReader::new(stream);
    writer.write_all(b"220 sink.test ESMTP\r\n")?;
    let mut from = String::new();
    let mut to = Vec::new();
    let mut line = String::new();
    loop {
        line.clear();
        if !read_line(&mut reader, &mut line, stop)? {
            return Ok(());
        }
        let command = line.trim_end().to_string();
        let upper = command.to_ascii_uppercase();
        if upper.starts_with("EHLO") {
            writer.write_all(b"250-sink.test\r\n250-8BITMIME\r\n250 SMTPUTF8\r\n")?;
        } else if upper.starts_with("HELO") || upper.starts_with("NOOP") {
            writer.write_all(b"250 OK\r\n")?;
        } else if upper.starts_with("RSET") {
            from.clear();
            to.clear();
            writer.write_all(b"250 OK\r\n")?;
        } else if upper.starts_with("MAIL FROM:") {
            from = address(&command[10..]);
            to.clear();
            writer.write_all(b"250 OK\r\n")?;
        } else if upper.starts_with("RCPT TO:") {
            let rcpt = address(&command[8..]);
            if shared
                .rejected
                .lock()
                .expect("lock")
                .contains(&rcpt.to_ascii_lowercase())
            {
                writer.write_all(b"550 5.1.1 no such mailbox\r\n")?;
            } else {
                to.push(rcpt);
                writer.write_all(b"250 OK\r\n")?;
            }
        } else if upper == "DATA" {
            if to.is_empty() {
                writer.write_all(b"554 no valid recipients\r\n")?;
                continue;
            }
            writer.write_all(b"354 go ahead\r\n")?;
            let mut data = Vec::new();
            loop {
                line.clear();
                if !read_line(&mut reader, &mut line, stop)? {
                    return Ok(());
                }
                if line == ".\r\n" || line == ".\n" {
                    break;
                }
                let unstuffed = line.strip_prefix('.').unwrap_or(&line);
                data.extend_from_slice(unstuffed.as_bytes());
            }
            shared.messages.lock().expect("lock").push(Received {
                from: from.clone(),
                to: std::mem::take(&mut to),
                data,
            });
            writer.write_all(b"250 OK queued\r\n")?;
        } else if upper.starts_with("QUIT") {
            writer.write_all(b"221 bye\r\n")?;
            return Ok(());
        } else {
            writer.write_all(b"502 not implemented\r\n")?;
        }
    }
}

/// Reads one line, waking up to notice a stop; false when the connection is over.
fn read_line(
    reader: &mut BufReader<TcpStream>,
    line: &mut String,
    stop: &AtomicBool,
) -> std::io::Result<bool> {
    loop {
        if stop.load(Ordering::SeqCst) {
            return Ok(false);
        }
        match reader.read_line(line) {
            Ok(0) => return Ok(false),
            Ok(_) if line.ends_with('\n') => return Ok(true),
            Ok(_) => continue,
            Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => continue,
            Err(e) => return Err(e),
        }
    }
}

fn address(text: &str) -> String {
    let text = text.trim();
    let inner = text
        .split_once('<')
        .and_then(|(_, rest)| rest.split_once('>'))
        .map(|(a, _)| a)
        .unwrap_or(text);
    inner.to_string()
}
