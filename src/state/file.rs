//! The state file: refused with a reason when it is not a whole state of
//! this exlog's format, and written whole or not at all.

use super::State;
use crate::partial::{Checked, Envelope, Pending, STATE_FORMAT, STATE_VERSION, as_written};
use std::io::{self, Write};
use std::path::Path;

/// What `--state FILE` held.
#[derive(Debug)]
pub(crate) enum Loaded {
    /// No such file yet: the first run.
    Fresh,
    /// `--rebuild`: the file is an exlog state, to be replaced.
    Rebuilt,
    State(Box<State>),
}

/// How a state file begins (what [`write`] writes first).
fn opening() -> String {
    format!("{{\"format\": \"{STATE_FORMAT}\"")
}

/// Reads the state at `path`. `rebuild`: a state that is there is not
/// read, only recognized. An error names the file, says what is wrong
/// and what to do; a file that is no state is never taken for one.
pub(crate) fn load(path: &Path, rebuild: bool) -> Result<Loaded, String> {
    let name = path.display();
    let bytes = match std::fs::read(path) {
        Ok(b) => b,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(Loaded::Fresh),
        Err(e) => return Err(format!("{name}: cannot read the state: {e}")),
    };
    if !bytes.starts_with(opening().as_bytes()) {
        return Err(format!(
            "{name}: not an exlog state (it does not begin as one): refused, and left as it is; \
             name another file for --state"
        ));
    }
    if rebuild {
        return Ok(Loaded::Rebuilt);
    }
    let again =
        "run with --rebuild to start the state afresh (every log still there is read again)";
    if let Some(body) = as_written(&bytes, STATE_FORMAT, STATE_VERSION) {
        // The layout exlog writes: the body is parsed once, not first
        // skipped over to find where it ends.
        return serde_json::from_slice(body)
            .map(|s| Loaded::State(Box::new(s)))
            .map_err(|e| format!("{name}: the state cannot be read ({e}): refused; {again}"));
    }
    let text = std::str::from_utf8(&bytes)
        .map_err(|_| format!("{name}: the state is damaged (not UTF-8): refused; {again}"))?;
    let env: Envelope = serde_json::from_str(text).map_err(|e| {
        if e.is_eof() {
            format!(
                "{name}: the state is cut short (a full disk, a copy broken off?): refused; {again}"
            )
        } else {
            format!("{name}: the state is damaged ({e}): refused; {again}")
        }
    })?;
    if env.format != STATE_FORMAT {
        return Err(format!(
            "{name}: not an exlog state ({:?}): refused",
            env.format
        ));
    }
    if env.version != STATE_VERSION {
        return Err(format!(
            "{name}: a state of format version {}; this exlog reads version {STATE_VERSION}: \
             refused; {again}, or use the exlog that wrote it",
            env.version
        ));
    }
    let crc = format!("{:08x}", crc32fast::hash(env.body.get().as_bytes()));
    if crc != env.crc32 {
        return Err(format!(
            "{name}: the state was altered or damaged after it was written (CRC-32 {crc}, \
             written {}): refused; {again}",
            env.crc32
        ));
    }
    serde_json::from_str(env.body.get())
        .map(|s| Loaded::State(Box::new(s)))
        .map_err(|e| format!("{name}: the state cannot be read ({e}): refused; {again}"))
}

/// Writes `state` to its file whole or not at all: to a temporary file
/// beside it, synced, then renamed over it (a crash, a full disk or
/// Ctrl-C leave the previous state as it was). Returns the bytes written.
pub(crate) fn write(path: &Path, state: &State) -> Result<u64, String> {
    let pending = Pending::create_for(path, "--state", "the state")?;
    let mut size = 0;
    pending.finish(|out| {
        let mut counted = Counted { out, n: 0 };
        write_to(&mut counted, state)?;
        size = counted.n + 1;
        Ok(())
    })?;
    Ok(size)
}

/// The envelope (as a partial result's) around the body, with its CRC-32.
fn write_to(out: &mut dyn Write, state: &State) -> io::Result<()> {
    write!(
        out,
        "{}, \"version\": {STATE_VERSION}, \"body\": ",
        opening()
    )?;
    let mut checked = io::BufWriter::with_capacity(
        1 << 16,
        Checked {
            out: &mut *out,
            crc: crc32fast::Hasher::new(),
        },
    );
    serde_json::to_writer(&mut checked, state)?;
    let crc = checked
        .into_inner()
        .map_err(|e| e.into_error())?
        .crc
        .finalize();
    write!(out, ", \"crc32\": \"{crc:08x}\"}}")
}

/// Counts the bytes written.
struct Counted<'w> {
    out: &'w mut dyn Write,
    n: u64,
}

impl Write for Counted<'_> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let n = self.out.write(buf)?;
        self.n += n as u64;
        Ok(n)
    }
    fn flush(&mut self) -> io::Result<()> {
        self.out.flush()
    }
}
