//! `--events`: every counted session as a row of a Parquet file (zstd), for
//! DuckDB, Spark or Trino past one machine.
//!
//! Rows are written while the logs are scanned: each worker turns a
//! session into a row of its Arrow columns the moment it is counted, and
//! hands the columns over in batches; a writer thread writes the batches
//! in one fixed order (work unit, then batch), so the file is the same
//! bytes for any thread count. Row groups are flushed as they fill
//! ([`ROW_GROUP`] rows), so memory stays bounded.
//!
//! One row per session. Its TLS columns describe the session's first TLS
//! line (`tls_time` is that line's time); each further TLS line of the
//! session (rare) adds a row of class `tls_line` with the session's other
//! columns, so that counting rows by `tls_version` and `error` counts
//! negotiations as exlog's reports do.

use crate::parse::stamp::DayCache;
use crate::parse::tls::Version;
use crate::pipeline::{Order, SessionBatch, SessionSink, SinkContext};
use crate::report::suite;
use crate::servers::ServerId;
use crate::smtp::session::{Session, TlsEvent};
use arrow_array::builder::{
    BooleanBuilder, Int32Builder, Int64Builder, StringBuilder, TimestampMillisecondBuilder,
};
use arrow_array::{ArrayRef, RecordBatch};
use arrow_schema::{DataType, Field, Schema, SchemaRef, TimeUnit};
use parquet::arrow::ArrowWriter;
use parquet::basic::{Compression, ZstdLevel};
use parquet::file::properties::{EnabledStatistics, WriterProperties};
use std::collections::BTreeMap;
use std::fs::File;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// Rows per row group: a group is held in memory until it is written.
pub(crate) const ROW_GROUP: usize = 32_768;

/// The columns, in order: `(name, type)`.
fn schema() -> SchemaRef {
    let time = || DataType::Timestamp(TimeUnit::Millisecond, Some("UTC".into()));
    let text = |name: &str| Field::new(name, DataType::Utf8, true);
    // Never null: no definition levels to write.
    let always = |name: &str| Field::new(name, DataType::Utf8, false);
    let int = |name: &str| Field::new(name, DataType::Int32, true);
    Arc::new(Schema::new(vec![
        Field::new("start", time(), true),
        Field::new("end", time(), true),
        always("server"),
        always("log_folder"),
        always("direction"),
        always("connector"),
        always("session_id"),
        always("remote_ip"),
        int("local_port"),
        always("class"),
        Field::new("tls_time", time(), true),
        text("tls_version"),
        text("cipher"),
        int("cipher_bits"),
        text("hash"),
        int("hash_bits"),
        text("key_exchange"),
        int("key_exchange_bits"),
        text("error"),
        text("ehlo"),
        text("auth_user"),
        text("client_ip"),
        Field::new("internal", DataType::Boolean, false),
        Field::new("messages", DataType::Int64, false),
        Field::new("incomplete", DataType::Boolean, false),
    ]))
}

/// Column builders for one batch.
#[derive(Default)]
struct Columns {
    start: TimestampMillisecondBuilder,
    end: TimestampMillisecondBuilder,
    server: StringBuilder,
    log_folder: StringBuilder,
    direction: StringBuilder,
    connector: StringBuilder,
    session_id: StringBuilder,
    remote_ip: StringBuilder,
    local_port: Int32Builder,
    class: StringBuilder,
    tls_time: TimestampMillisecondBuilder,
    tls_version: StringBuilder,
    cipher: StringBuilder,
    cipher_bits: Int32Builder,
    hash: StringBuilder,
    hash_bits: Int32Builder,
    key_exchange: StringBuilder,
    key_exchange_bits: Int32Builder,
    error: StringBuilder,
    ehlo: StringBuilder,
    auth_user: StringBuilder,
    client_ip: StringBuilder,
    internal: BooleanBuilder,
    messages: Int64Builder,
    incomplete: BooleanBuilder,
    /// Nearly all times of a batch are of a day or two.
    days: DayCache,
}

/// Log bytes as text (invalid UTF-8 replaced); valid text, nearly all of
/// it, is checked by the fast validator and borrowed.
fn lossy(b: &[u8]) -> std::borrow::Cow<'_, str> {
    match std::str::from_utf8(b) {
        Ok(text) => std::borrow::Cow::Borrowed(text),
        Err(_) => String::from_utf8_lossy(b),
    }
}

/// A TLS line's suite, parsed once per distinct line in a batch (there
/// are few distinct ones).
type Suites = rustc_hash::FxHashMap<Box<[u8]>, Option<(Version, [String; 6])>>;

impl Columns {
    /// Adds a session's row, and a row per further TLS line.
    fn add(&mut self, s: &Session, server: &str, folder: &str, suites: &mut Suites) {
        // A row per TLS line, or one without TLS.
        let none = s.tls.is_empty().then_some(None);
        for (i, tls) in s.tls.iter().map(Some).chain(none).enumerate() {
            self.start
                .append_option(self.days.millis(s.start.as_bytes()));
            self.end.append_option(self.days.millis(s.end.as_bytes()));
            self.server.append_value(server);
            self.log_folder.append_value(folder);
            self.direction.append_value(s.direction.label());
            self.connector.append_value(lossy(&s.connector));
            self.session_id.append_value(lossy(&s.session_id));
            self.remote_ip.append_value(lossy(&s.remote_ip));
            self.local_port.append_option(s.local_port.map(i32::from));
            self.class.append_value(if i == 0 {
                s.class().label()
            } else {
                "tls_line"
            });
            self.tls(tls, suites);
            self.ehlo.append_option(s.ehlo.as_deref().map(lossy));
            self.auth_user
                .append_option(s.auth_user.as_deref().map(lossy));
            self.client_ip
                .append_option(s.client_ip.as_deref().map(lossy));
            self.internal.append_value(s.internal());
            self.messages
                .append_value(if i == 0 { i64::from(s.messages) } else { 0 });
            self.incomplete.append_value(s.incomplete());
        }
    }

    /// The TLS columns of one TLS line (all null for none).
    fn tls(&mut self, e: Option<&TlsEvent>, suites: &mut Suites) {
        self.tls_time
            .append_option(e.and_then(|e| self.days.millis(e.stamp().as_bytes())));
        let (success, error) = match e {
            Some(TlsEvent::Success { context, .. }) => {
                if !suites.contains_key(&context[..]) {
                    suites.insert(context.clone(), suite(context));
                }
                (suites[&context[..]].as_ref(), None)
            }
            Some(TlsEvent::Failure { error, .. }) => (None, Some(lossy(error))),
            None => (None, None),
        };
        let bits = |b: &str| b.parse::<i32>().ok();
        fn name(n: &str) -> Option<&str> {
            (!n.is_empty()).then_some(n)
        }
        match success {
            Some((version, [c, cb, h, hb, k, kb])) => {
                self.tls_version.append_value(version.label());
                self.cipher.append_option(name(c));
                self.cipher_bits.append_option(bits(cb));
                self.hash.append_option(name(h));
                self.hash_bits.append_option(bits(hb));
                self.key_exchange.append_option(name(k));
                self.key_exchange_bits.append_option(bits(kb));
            }
            None => {
                self.tls_version.append_null();
                self.cipher.append_null();
                self.cipher_bits.append_null();
                self.hash.append_null();
                self.hash_bits.append_null();
                self.key_exchange.append_null();
                self.key_exchange_bits.append_null();
            }
        }
        self.error.append_option(error);
    }

    fn finish(mut self, schema: &SchemaRef) -> RecordBatch {
        let utc = |b: &mut TimestampMillisecondBuilder| -> ArrayRef {
            Arc::new(b.finish().with_timezone("UTC"))
        };
        let columns: Vec<ArrayRef> = vec![
            utc(&mut self.start),
            utc(&mut self.end),
            Arc::new(self.server.finish()),
            Arc::new(self.log_folder.finish()),
            Arc::new(self.direction.finish()),
            Arc::new(self.connector.finish()),
            Arc::new(self.session_id.finish()),
            Arc::new(self.remote_ip.finish()),
            Arc::new(self.local_port.finish()),
            Arc::new(self.class.finish()),
            utc(&mut self.tls_time),
            Arc::new(self.tls_version.finish()),
            Arc::new(self.cipher.finish()),
            Arc::new(self.cipher_bits.finish()),
            Arc::new(self.hash.finish()),
            Arc::new(self.hash_bits.finish()),
            Arc::new(self.key_exchange.finish()),
            Arc::new(self.key_exchange_bits.finish()),
            Arc::new(self.error.finish()),
            Arc::new(self.ehlo.finish()),
            Arc::new(self.auth_user.finish()),
            Arc::new(self.client_ip.finish()),
            Arc::new(self.internal.finish()),
            Arc::new(self.messages.finish()),
            Arc::new(self.incomplete.finish()),
        ];
        RecordBatch::try_new(Arc::clone(schema), columns).expect("columns match the schema")
    }
}

/// A batch of rows for each file (`None`: the one file).
type Batches = Vec<(Option<String>, RecordBatch)>;

/// The writer thread's state: batches waiting for their turn, and the
/// files.
struct Ordered {
    target: PathBuf,
    schema: SchemaRef,
    /// The next batch to write.
    next: (usize, usize),
    /// Batches that came early, with their `last` flag.
    pending: BTreeMap<(usize, usize), (bool, Batches)>,
    writers: BTreeMap<Option<String>, ArrowWriter<File>>,
    /// The first write error (the scan goes on; it is reported at the end).
    error: Option<String>,
}

impl Ordered {
    /// Files a batch, then writes every batch whose turn has come.
    fn put(&mut self, at: Order, batches: Batches) {
        self.pending.insert((at.unit, at.batch), (at.last, batches));
        while let Some((last, batches)) = self.pending.remove(&self.next) {
            for (key, batch) in batches {
                if self.error.is_none()
                    && let Err(e) = self.write(key, &batch)
                {
                    self.error = Some(e);
                }
            }
            self.next = if last {
                (self.next.0 + 1, 0)
            } else {
                (self.next.0, self.next.1 + 1)
            };
        }
    }

    /// The file of a key: the target, or a server's file in it.
    fn path(&self, key: &Option<String>) -> PathBuf {
        match key {
            Some(name) => self.target.join(file_name(name)),
            None => self.target.clone(),
        }
    }

    fn write(&mut self, key: Option<String>, batch: &RecordBatch) -> Result<(), String> {
        let path = self.path(&key);
        if !self.writers.contains_key(&key) {
            let w = writer(&path, &self.schema)?;
            self.writers.insert(key.clone(), w);
        }
        let w = self.writers.get_mut(&key).expect("inserted above");
        w.write(batch)
            .map_err(|e| format!("{}: cannot write: {e}", path.display()))
    }

    /// Closes every file; returns them, or the first error.
    fn close(mut self) -> Result<Vec<PathBuf>, String> {
        if let Some(e) = self.error.take() {
            return Err(e);
        }
        let mut written = Vec::new();
        for (server, w) in std::mem::take(&mut self.writers) {
            let path = self.path(&server);
            w.close()
                .map_err(|e| format!("{}: cannot write: {e}", path.display()))?;
            written.push(path);
        }
        Ok(written)
    }
}

/// The `--events` writer: one file, or one per server in a folder. Rows
/// are turned into columns by the workers and written by a thread of its
/// own, so no worker waits for compression.
pub(crate) struct Events {
    target: PathBuf,
    per_server: bool,
    schema: SchemaRef,
    send: std::sync::mpsc::SyncSender<(Order, Batches)>,
    thread: std::thread::JoinHandle<Result<Vec<PathBuf>, String>>,
}

impl std::fmt::Debug for Events {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Events({})", self.target.display())
    }
}

/// A server's file name in an events folder: its name with anything but
/// letters, digits, `.`, `-` and `_` replaced.
pub(crate) fn file_name(server: &str) -> String {
    let safe: String = server
        .chars()
        .map(|c| match c {
            'a'..='z' | 'A'..='Z' | '0'..='9' | '.' | '-' | '_' => c,
            _ => '_',
        })
        .collect();
    format!("{}.parquet", safe.trim_start_matches('.'))
}

impl Events {
    /// Prepares the writer: `target` is a file, or a folder (one that
    /// exists, or a path ending in a separator) for one file per server.
    /// The folder is created, and a single file created, at once: a bad
    /// path fails before the scan.
    pub(crate) fn new(target: &Path) -> Result<Events, String> {
        let per_server = crate::output::is_dir_target(target);
        let mut writers = BTreeMap::new();
        let schema = schema();
        if per_server {
            std::fs::create_dir_all(target)
                .map_err(|e| format!("{}: cannot create this folder: {e}", target.display()))?;
        } else {
            writers.insert(None, writer(target, &schema)?);
        }
        let mut state = Ordered {
            target: target.to_path_buf(),
            schema: Arc::clone(&schema),
            next: (0, 0),
            pending: BTreeMap::new(),
            writers,
            error: None,
        };
        // A few batches in flight: a worker waits only when the writer is
        // that far behind.
        let (send, receive) = std::sync::mpsc::sync_channel::<(Order, Batches)>(4);
        let thread = std::thread::spawn(move || {
            for (at, batches) in receive {
                state.put(at, batches);
            }
            state.close()
        });
        Ok(Events {
            target: target.to_path_buf(),
            per_server,
            schema,
            send,
            thread,
        })
    }

    /// Waits for the writer and closes every file (a folder with no
    /// server gets none). Returns the files written, or the first error.
    pub(crate) fn finish(self) -> Result<Vec<PathBuf>, String> {
        drop(self.send);
        self.thread
            .join()
            .unwrap_or_else(|_| Err("the events writer failed".into()))
    }
}

fn writer(path: &Path, schema: &SchemaRef) -> Result<ArrowWriter<File>, String> {
    let file =
        File::create(path).map_err(|e| format!("{}: cannot write here: {e}", path.display()))?;
    let props = WriterProperties::builder()
        .set_compression(Compression::ZSTD(
            ZstdLevel::try_new(1).expect("a zstd level"),
        ))
        .set_max_row_group_row_count(Some(ROW_GROUP))
        // Nearly one value per row: a dictionary would only cost time.
        .set_column_dictionary_enabled("session_id".into(), false)
        .set_column_dictionary_enabled("start".into(), false)
        .set_column_dictionary_enabled("end".into(), false)
        .set_column_dictionary_enabled("tls_time".into(), false)
        .set_column_dictionary_enabled("remote_ip".into(), false)
        // Min and max per row group where a query may skip groups by
        // them: the times, the server and the folder (groups follow the
        // files). Elsewhere they cost time and prune nothing.
        .set_statistics_enabled(EnabledStatistics::None)
        .set_column_statistics_enabled("start".into(), EnabledStatistics::Chunk)
        .set_column_statistics_enabled("end".into(), EnabledStatistics::Chunk)
        .set_column_statistics_enabled("tls_time".into(), EnabledStatistics::Chunk)
        .set_column_statistics_enabled("server".into(), EnabledStatistics::Chunk)
        .set_column_statistics_enabled("log_folder".into(), EnabledStatistics::Chunk)
        .build();
    ArrowWriter::try_new(file, Arc::clone(schema), Some(props))
        .map_err(|e| format!("{}: cannot write: {e}", path.display()))
}

impl SessionSink for Events {
    fn batch(&self) -> Box<dyn SessionBatch> {
        Box::new(Batch {
            sessions: 0,
            files: BTreeMap::new(),
            folders: rustc_hash::FxHashMap::default(),
            suites: Suites::default(),
            per_server: self.per_server,
            schema: Arc::clone(&self.schema),
            send: self.send.clone(),
        })
    }
}

/// One worker's rows until it hands them over: built into Arrow columns
/// here, on the worker; the writer thread only writes.
struct Batch {
    sessions: usize,
    /// The rows of each file (by server with `--events DIR/`), and the
    /// file's key.
    files: BTreeMap<Option<ServerId>, (Option<String>, Columns)>,
    folders: rustc_hash::FxHashMap<usize, String>,
    suites: Suites,
    per_server: bool,
    schema: SchemaRef,
    send: std::sync::mpsc::SyncSender<(Order, Batches)>,
}

impl SessionBatch for Batch {
    fn add(&mut self, s: &Session, server: ServerId, folder: usize, ctx: &SinkContext) {
        let name = ctx.servers.name(server);
        let folder = self
            .folders
            .entry(folder)
            .or_insert_with(|| ctx.folders[folder].display().to_string());
        let per_server = self.per_server;
        let (_, columns) = self
            .files
            .entry(per_server.then_some(server))
            .or_insert_with(|| (per_server.then(|| name.to_string()), Columns::default()));
        columns.add(s, name, folder, &mut self.suites);
        self.sessions += 1;
    }

    fn sessions(&self) -> usize {
        self.sessions
    }

    fn hand_over(self: Box<Self>, at: Order) {
        let schema = &self.schema;
        let batches: Batches = self
            .files
            .into_values()
            .map(|(key, c)| (key, c.finish(schema)))
            .collect();
        // The writer ends only when `finish` drops the sender.
        let _ = self.send.send((at, batches));
    }
}
