//! How fast alert emails leave: the delivery worker against a loopback SMTP sink,
//! next to what the same messages cost over one hand-written SMTP connection and
//! with a new lettre connection per message. All figures come from one run on the
//! same sink, so machine noise hits every scenario alike; only the ratios count.
//!
//!     cargo bench --bench smtp
//!
//! BENCH_ALERTS (default 2000, rounded up to a multiple of 10) sets N, how many
//! alerts the worker delivers: one case, N/10 confirmed subscribers that follow its
//! country, and 10 events logged on it. The raw client then replays the same N
//! messages, byte for byte, over one connection (its sub-second runs, and those of
//! one variant, alternate over a few rounds and report their median). Scenarios
//! that open a connection per message, and the step that commits a transaction per
//! message, take N/4 of them; those that wait on TCP delayed ACKs take N/40. Rates
//! are per second all the same.
//!
//! After the worker's run, its three steps (compose from the database, send through
//! the pooled mailer, record the outcome in a write transaction) are timed one at a
//! time over the same alerts, to show which one bounds the worker. Variants of the
//! raw client show where the sending time goes: the final dot in a separate write
//! (as lettre does), with and without TCP_NODELAY.

#[path = "../tests/api/smtp.rs"]
mod smtp;

use case_tracker::alerts::mail::{Composed, Composer, Mailer};
use case_tracker::alerts::store as alert_store;
use case_tracker::alerts::worker::{Pass, Worker};
use case_tracker::alerts::Alert;
use case_tracker::configuration::{get_configuration, AlertSettings, SmtpSecurity};
use case_tracker::db::{write_transaction, ConnectionManager, DatabaseUrl, Db, DbConnection};
use case_tracker::error::{ApiError, ApiResult};
use case_tracker::subscriptions::{store as subscription_store, Target};
use case_tracker::vocabulary::{AlertStatus, Delivery};
use diesel::connection::SimpleConnection;
use lettre::address::{Address, Envelope};
use lettre::transport::smtp::PoolConfig;
use lettre::{SmtpTransport, Transport};
use serde_json::json;
use smtp::{MailSink, Received};
use std::collections::HashSet;
use std::io::{BufRead, BufReader, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

const EVENTS: usize = 10;
const BATCH_SIZE: i64 = 50;
/// Rounds of the sub-second raw scenarios; each reports its median.
const ROUNDS: usize = 5;

fn env_usize(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// Parses a request body the way the API does.
fn input<T: serde::de::DeserializeOwned + validator::Validate>(
    body: serde_json::Value,
) -> ApiResult<T> {
    case_tracker::http::parse_body(body).map_err(ApiError::Validation)
}

/// One public case in Kazakhstan, `subscribers` confirmed addresses that follow the
/// country, and `EVENTS` events on the case: `subscribers × EVENTS` pending alerts
/// (plus one confirmation alert per address, which the worker cancels).
fn seed(db: &Db, settings: &AlertSettings, subscribers: usize) -> ApiResult<()> {
    let mut conn = db.get()?;
    write_transaction(&mut conn, |conn| {
        let (case, change) = case_tracker::cases::store::insert(
            conn,
            input::<case_tracker::cases::CreateCase>(json!({
                "title": "Trial of land-reform protest leaders",
                "country": "KZ",
                "summary": "Two civil-society activists are tried for their role in peaceful protests.",
                "opened_on": "2016-05-17"
            }))?
            .into_new()?,
        )?;
        case_tracker::effects::record(conn, "bench", change)?;
        for i in 0..subscribers {
            let subscriber = subscription_store::find_or_create_subscriber(
                conn,
                &input(json!({
                    "name": format!("Partner {i}"),
                    "organisation": "Partner NGO",
                    "email": format!("partner{i}@partners.example"),
                }))?,
            )?;
            let (_, confirm) = subscription_store::create(
                conn,
                &subscriber,
                &Target::Country("KZ".into()),
                Delivery::Immediate,
                "bench",
                settings.confirmation_valid_hours,
            )?;
            if confirm {
                case_tracker::effects::confirmation_requested(conn, &subscriber.id)?;
            }
            let token = subscription_store::subscriber(conn, &subscriber.id)?
                .confirmation_token
                .expect("a new subscription asks an unconfirmed address to confirm");
            subscription_store::confirm(conn, &token)?;
        }
        for n in 0..EVENTS {
            let new = case_tracker::events::store::log(
                conn,
                &case.id,
                "bench",
                input(json!({
                    "kind": "note",
                    "occurred_on": "2016-11-23",
                    "title": format!("Trial observation report {n}"),
                    "description": "Observers reported procedural violations at the hearing: \
                        the defence was not given time to study the case file, and relatives \
                        were kept out of the courtroom. The next hearing is expected next week.",
                }))?,
            )?;
            case_tracker::effects::logged(conn, &new)?;
        }
        Ok(())
    })
}

/// Every alert with `status`, oldest first.
fn alerts_with(db: &Db, status: AlertStatus) -> ApiResult<Vec<Alert>> {
    let mut conn = db.get()?;
    let filter = alert_store::Filter {
        status: Some(status),
        ..Default::default()
    };
    let mut all: Vec<Alert> = Vec::new();
    loop {
        let after = all.last().map(|a| a.id.clone());
        let page = alert_store::list(&mut conn, &filter, after.as_deref(), 500)?;
        if page.is_empty() {
            return Ok(all);
        }
        all.extend(page);
    }
}

/// Calls `pass` until a pass finds nothing to do; returns the totals.
fn drain(worker: &Worker) -> anyhow::Result<Pass> {
    let mut total = Pass::default();
    loop {
        let pass = worker.pass()?;
        if pass == Pass::default() {
            return Ok(total);
        }
        total.sent += pass.sent;
        total.retried += pass.retried;
        total.failed += pass.failed;
        total.skipped += pass.skipped;
    }
}

/// How the raw client puts a message's body on the wire.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Writes {
    /// Body and final dot in one write.
    One,
    /// The body, then CRLF.CRLF in a second write, as lettre writes them.
    Two,
}

/// A minimal SMTP client on one connection: EHLO once, then one transaction per
/// message, each waiting for the server's answers as a real client must.
struct RawClient {
    reader: BufReader<TcpStream>,
    writer: TcpStream,
    writes: Writes,
    line: String,
    buffer: Vec<u8>,
}

impl RawClient {
    fn connect(port: u16, writes: Writes, nodelay: bool) -> std::io::Result<Self> {
        let stream = TcpStream::connect(("127.0.0.1", port))?;
        stream.set_read_timeout(Some(Duration::from_secs(10)))?;
        stream.set_nodelay(nodelay)?;
        let writer = stream.try_clone()?;
        let mut client = Self {
            reader: BufReader::new(stream),
            writer,
            writes,
            line: String::new(),
            buffer: Vec::new(),
        };
        client.expect("220")?;
        client.command("EHLO bench.test\r\n", "250")?;
        Ok(client)
    }

    /// Reads a reply (every line of a multi-line one) and checks its code.
    fn expect(&mut self, code: &str) -> std::io::Result<()> {
        loop {
            self.line.clear();
            if self.reader.read_line(&mut self.line)? == 0 {
                return Err(std::io::Error::new(
                    std::io::ErrorKind::UnexpectedEof,
                    format!("connection closed while waiting for {code}"),
                ));
            }
            if !self.line.starts_with(code) {
                return Err(std::io::Error::other(format!(
                    "expected {code}, got {:?}",
                    self.line.trim_end()
                )));
            }
            if self.line.as_bytes().get(3) != Some(&b'-') {
                return Ok(());
            }
        }
    }

    fn command(&mut self, command: &str, code: &str) -> std::io::Result<()> {
        self.writer.write_all(command.as_bytes())?;
        self.expect(code)
    }

    /// Sends `message.data` (lines ending in CRLF, as the sink stored them).
    fn send(&mut self, message: &Received) -> std::io::Result<()> {
        let body = if message.data.is_ascii() {
            ""
        } else {
            " BODY=8BITMIME"
        };
        self.command(&format!("MAIL FROM:<{}>{body}\r\n", message.from), "250")?;
        for to in &message.to {
            self.command(&format!("RCPT TO:<{to}>\r\n"), "250")?;
        }
        self.command("DATA\r\n", "354")?;
        self.buffer.clear();
        for line in message.data.split_inclusive(|&b| b == b'\n') {
            if line.first() == Some(&b'.') {
                self.buffer.push(b'.');
            }
            self.buffer.extend_from_slice(line);
        }
        if !self.buffer.ends_with(b"\r\n") {
            self.buffer.extend_from_slice(b"\r\n");
        }
        match self.writes {
            Writes::One => {
                self.buffer.extend_from_slice(b".\r\n");
                self.writer.write_all(&self.buffer)?;
            }
            Writes::Two => {
                let body = &self.buffer[..self.buffer.len() - 2];
                self.writer.write_all(body)?;
                self.writer.write_all(b"\r\n.\r\n")?;
            }
        }
        self.expect("250")
    }

    fn quit(mut self) -> std::io::Result<()> {
        self.command("QUIT\r\n", "221")
    }
}

/// Sends `messages` over one raw connection.
fn raw_one_connection(port: u16, messages: &[Received], writes: Writes, nodelay: bool) {
    let mut client = RawClient::connect(port, writes, nodelay).expect("connect to the sink");
    for message in messages {
        client.send(message).expect("raw SMTP transaction");
    }
    client.quit().expect("QUIT");
}

fn envelope(message: &Received) -> Envelope {
    let from: Address = message.from.parse().expect("the sender is an address");
    let to = message
        .to
        .iter()
        .map(|t| t.parse().expect("a recipient is an address"))
        .collect();
    Envelope::new(Some(from), to).expect("an envelope with recipients")
}

/// What lettre puts on the wire is its argument plus CRLF.CRLF, and the sink keeps
/// the CRLF: take it off again so every scenario sends the same bytes.
fn lettre_body(message: &Received) -> &[u8] {
    message.data.strip_suffix(b"\r\n").unwrap_or(&message.data)
}

/// Waits (briefly) until the sink holds `n` messages: its session thread records a
/// message before answering 250, so this returns at once unless something is wrong.
fn sink_holds(sink: &MailSink, n: usize, label: &str) -> Vec<Received> {
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        let messages = sink.messages();
        if messages.len() == n {
            return messages;
        }
        assert!(
            messages.len() < n && Instant::now() < deadline,
            "{label}: the sink holds {} messages, expected {n}",
            messages.len()
        );
        std::thread::sleep(Duration::from_millis(5));
    }
}

/// Checks that `sent` arrived unchanged after the first `before` messages.
fn check_replayed(sink: &MailSink, before: usize, sent: &[Received], label: &str) {
    let all = sink_holds(sink, before + sent.len(), label);
    for (got, want) in all[before..].iter().zip(sent) {
        assert!(
            got.from == want.from && got.to == want.to && got.data == want.data,
            "{label}: the sink received a message that differs from the one sent"
        );
    }
}

struct Row {
    label: &'static str,
    messages: usize,
    seconds: f64,
}

impl Row {
    fn per_second(&self) -> f64 {
        self.messages as f64 / self.seconds
    }

    fn per_message(&self) -> f64 {
        self.seconds / self.messages as f64
    }

    fn print(&self) {
        println!(
            "{:<58} {:>8} {:>9.3} {:>10.1}",
            self.label,
            self.messages,
            self.seconds,
            self.per_second()
        );
    }
}

fn timed(label: &'static str, messages: usize, f: impl FnOnce()) -> Row {
    let started = Instant::now();
    f();
    Row {
        label,
        messages,
        seconds: started.elapsed().as_secs_f64(),
    }
}

/// Times `send` over `messages` and checks that the sink received them unchanged.
fn replayed(
    sink: &MailSink,
    label: &'static str,
    messages: &[Received],
    send: impl FnOnce(&[Received]),
) -> Row {
    let before = sink.messages().len();
    let row = timed(label, messages.len(), || send(messages));
    check_replayed(sink, before, messages, label);
    row
}

fn median(mut rows: Vec<Row>) -> Row {
    rows.sort_by(|a, b| a.seconds.total_cmp(&b.seconds));
    let middle = rows.len() / 2;
    rows.swap_remove(middle)
}

fn main() -> anyhow::Result<()> {
    let requested = env_usize("BENCH_ALERTS", 2000);
    let subscribers = requested.div_ceil(EVENTS).max(1);
    let n = subscribers * EVENTS;
    // Fewer messages where each costs a new connection or a commit, fewer still
    // where each is expected to wait for a delayed ACK.
    let few = (n / 4).max(1);
    let sample = (n / 40).max(1);
    let cores = std::thread::available_parallelism().map_or(1, |c| c.get());

    let sink = MailSink::start();
    let dir = tempfile::tempdir()?;
    let mut settings = get_configuration()?;
    settings.database.url = format!("sqlite://{}", dir.path().join("bench.db").display());
    let alerts = &mut settings.alerts;
    alerts.worker = false;
    alerts.batch_size = BATCH_SIZE;
    alerts.from = "Case Tracker <alerts@tracker.test>".into();
    alerts.smtp.host = "127.0.0.1".into();
    alerts.smtp.port = sink.port();
    alerts.smtp.security = SmtpSecurity::None;
    alerts.smtp.username.clear();
    alerts.smtp.password.clear();
    let alerts = settings.alerts.clone();
    let base_url = settings.application.base_url.clone();

    let db = case_tracker::startup::open_database(&settings.database)?;
    seed(&db, &alerts, subscribers)?;
    println!(
        "alert delivery to a loopback SMTP sink: N = {n} alerts ({subscribers} subscribers x {EVENTS} events), \
         {cores} cores (available_parallelism)"
    );
    println!(
        "SQLite (WAL, synchronous=FULL) in {}; worker batch_size {}, SMTP pool_size {}",
        dir.path().display(),
        alerts.batch_size,
        alerts.smtp.pool_size
    );

    // The confirmation alerts come first in the queue: one untimed pass cancels them
    // (the addresses are confirmed already), so the timed run delivers only events.
    let mut first = alerts.clone();
    first.batch_size = subscribers as i64;
    let confirmations = Worker::new(db.clone(), first, &base_url)?.pass()?;
    println!(
        "before timing: {} confirmation alerts cancelled by the worker, {} sent",
        confirmations.skipped, confirmations.sent
    );

    // 1. The real pipeline.
    let worker = Worker::new(db.clone(), alerts.clone(), &base_url)?;
    let mut totals = Pass::default();
    let pooled = timed("1  worker, pooled SMTP", n, || {
        totals = drain(&worker).expect("a worker pass failed");
    });
    drop(worker);
    let received = sink_holds(&sink, n, "worker");
    let ids: HashSet<String> = received.iter().map(|m| m.message_id()).collect();
    assert!(
        totals.sent == n && totals.retried + totals.failed + totals.skipped == 0,
        "the worker should send {n} alerts and nothing else, it did {totals:?}"
    );
    assert!(
        ids.len() == n && !ids.contains(""),
        "the sink holds {} messages with {} distinct Message-IDs, expected {n} of each",
        received.len(),
        ids.len()
    );
    let backlog = alert_store::backlog(&mut *db.get()?)?;
    assert!(
        backlog.pending == 0 && backlog.failed == 0,
        "alerts left over after the worker: {backlog:?}"
    );
    let bytes: usize = received.iter().map(|m| m.data.len()).sum();

    // The worker's three steps, one at a time over the same alerts.
    let sent = alerts_with(&db, AlertStatus::Sent)?;
    assert_eq!(sent.len(), n, "sent alerts in the database");
    let composer = Composer::new(&alerts, &base_url)?;
    let mut messages = Vec::with_capacity(n);
    let compose = timed("   step: compose (queries, templates)", n, || {
        for alert in &sent {
            let mut conn = db.get().expect("a connection");
            match composer.compose(&mut conn, alert).expect("compose") {
                Composed::Send { message, .. } => messages.push(message),
                Composed::Skip { reason, .. } => panic!("alert {} skipped: {reason}", alert.id),
            }
        }
    });
    let mailer = Mailer::from_settings(&alerts)?;
    let before = sink.messages().len();
    let send = timed("   step: send through the pooled mailer", sample, || {
        for message in &messages[..sample] {
            if let Err(e) = mailer.send(message) {
                panic!("the mailer failed: {}", e.message);
            }
        }
    });
    drop(mailer);
    sink_holds(&sink, before + sample, "mailer");
    let record = |conn: &mut DbConnection, alert: &Alert| {
        write_transaction(conn, |c| alert_store::mark_sent(c, alert, &[]))
            .expect("record an alert as sent");
    };
    let mark = timed("   step: record as sent, a transaction each", few, || {
        // The worker takes a pooled connection for each write; so does this.
        for alert in &sent[..few] {
            record(&mut db.get().expect("a connection"), alert);
        }
    });
    let mut relaxed = ConnectionManager::new(
        DatabaseUrl::parse(&settings.database.url).map_err(anyhow::Error::msg)?,
        settings.database.busy_timeout_ms,
    )
    .establish()?;
    if let DbConnection::Sqlite(c) = &mut relaxed {
        c.batch_execute("PRAGMA synchronous = NORMAL;")?;
    }
    let mark_normal = timed("   step: record as sent, synchronous=NORMAL", n, || {
        for alert in &sent {
            record(&mut relaxed, alert);
        }
    });
    drop(relaxed);

    // 3. The ceiling: the same bytes over one connection, no library. These runs
    // take well under a second, so they alternate with the variant that shows the
    // fix for lettre's stall, and each reports its median round.
    let originals = &received[..n];
    let port = sink.port();
    let (mut raw, mut raw_nodelay) = (Vec::new(), Vec::new());
    for _ in 0..ROUNDS {
        raw.push(replayed(
            &sink,
            "3  raw SMTP, one connection (median round)",
            originals,
            |m| raw_one_connection(port, m, Writes::One, false),
        ));
        raw_nodelay.push(replayed(
            &sink,
            "3b raw, one connection, 2nd write, TCP_NODELAY (median)",
            originals,
            |m| raw_one_connection(port, m, Writes::Two, true),
        ));
    }
    let (raw, raw_two_nodelay) = (median(raw), median(raw_nodelay));

    // Why lettre is slow: the final dot in a write of its own waits for an ACK.
    let raw_two = replayed(
        &sink,
        "3a raw SMTP, one connection, dot in a 2nd write",
        &originals[..sample],
        |m| raw_one_connection(port, m, Writes::Two, false),
    );

    // What a connection costs without a library.
    let raw_each = replayed(
        &sink,
        "3c raw SMTP, new connection per message",
        &originals[..few],
        |m| {
            for message in m {
                raw_one_connection(port, std::slice::from_ref(message), Writes::One, false);
            }
        },
    );

    // 4. What pooling saves: a new lettre transport (so a new connection) each time.
    let envelopes: Vec<Envelope> = originals[..sample].iter().map(envelope).collect();
    let lettre_each = replayed(
        &sink,
        "4  lettre, new connection per message",
        &originals[..sample],
        |m| {
            for (message, envelope) in m.iter().zip(&envelopes) {
                let transport = SmtpTransport::builder_dangerous("127.0.0.1")
                    .port(port)
                    .timeout(Some(Duration::from_millis(alerts.smtp.timeout_ms)))
                    .pool_config(PoolConfig::new().max_size(1))
                    .build();
                transport
                    .send_raw(envelope, lettre_body(message))
                    .expect("lettre send");
            }
        },
    );

    println!();
    println!(
        "{:<58} {:>8} {:>9} {:>10}",
        "scenario", "messages", "seconds", "msg/s"
    );
    for row in [
        &pooled,
        &compose,
        &send,
        &mark,
        &mark_normal,
        &raw,
        &raw_two,
        &raw_two_nodelay,
        &raw_each,
        &lettre_each,
    ] {
        row.print();
    }
    println!(
        "the worker's {n} messages: {n} distinct Message-IDs, {:.1} KiB each on average",
        bytes as f64 / n as f64 / 1024.0
    );
    let share = |row: &Row| 100.0 * row.per_message() / pooled.per_message();
    println!(
        "worker time per message, step by step: compose {:.1}%, send {:.1}%, record {:.1}%, rest (claims, passes, noise) {:.1}%",
        share(&compose),
        share(&send),
        share(&mark),
        100.0 - share(&compose) - share(&send) - share(&mark)
    );
    let unstalled =
        1.0 / (compose.per_message() + raw_two_nodelay.per_message() + mark.per_message());
    println!(
        "estimate with sending as fast as 3b: compose + 3b + record = {unstalled:.0} msg/s; \
         the record step alone allows {:.0} msg/s",
        mark.per_second()
    );
    let ratio = |a: &Row, b: &Row| a.per_second() / b.per_second();
    println!("throughput ratios (msg/s over msg/s):");
    for (label, a, b) in [
        ("worker pooled / raw one connection", &pooled, &raw),
        (
            "worker pooled / lettre new connection per message",
            &pooled,
            &lettre_each,
        ),
        ("pooled mailer alone / raw one connection", &send, &raw),
        (
            "raw, dot in a 2nd write / raw one connection",
            &raw_two,
            &raw,
        ),
        (
            "raw, 2nd write with TCP_NODELAY / raw one connection",
            &raw_two_nodelay,
            &raw,
        ),
        ("raw new connection / raw one connection", &raw_each, &raw),
        (
            "record synchronous=FULL / synchronous=NORMAL",
            &mark,
            &mark_normal,
        ),
    ] {
        println!("  {label:<56} {:.4}", ratio(a, b));
    }
    Ok(())
}
