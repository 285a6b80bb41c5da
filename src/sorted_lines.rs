//! The session report's CSV lines, put in report order in bounded memory.
//!
//! A busy server logs a few hundred thousand sessions a day, and the
//! session report lists every one, sorted by start time: held in memory, a
//! month of logs would need gigabytes. Each worker keeps its lines until
//! they pass a size, then sorts them and writes them to an anonymous
//! temporary file (deleted by the OS when closed, also if exlog is killed);
//! the report is a merge of those sorted runs and what is left in memory.
//! Lines are ordered by (start, line bytes), a total order, so the output
//! is the same bytes whether anything went to disk or not.

use crate::parse::Stamp;
use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::fs::File;
use std::io::{self, BufReader, BufWriter, Read, Seek, Write};

/// Bytes of lines a worker holds before it writes them to disk.
pub(crate) const SPILL_AT: usize = 8 << 20;

/// Runs a worker keeps open before it merges them into one: a bound on
/// open files and on the read buffers of the final merge.
const MAX_RUNS: usize = 32;

/// What one line costs in memory beside its text: the tuple and the
/// allocator's header.
const OVERHEAD: usize = std::mem::size_of::<(Stamp, Box<[u8]>)>() + 16;

/// A line of the report with the start time it is sorted by.
type Line = (Stamp, Box<[u8]>);

#[derive(Debug, Default)]
pub struct SortedLines {
    memory: Vec<Line>,
    /// What `memory` holds, about, in bytes.
    held: usize,
    /// Sorted runs written to disk.
    runs: Vec<File>,
    /// Why the last run could not be written (the lines stayed in memory).
    spill_error: Option<String>,
}

impl SortedLines {
    /// Keeps `line`; past `spill_at` bytes held, the lines go to disk as
    /// one sorted run.
    pub fn push(&mut self, start: Stamp, line: Box<[u8]>, spill_at: usize) {
        self.held += line.len() + OVERHEAD;
        self.memory.push((start, line));
        if self.held >= spill_at && self.spill_error.is_none() {
            self.spill();
        }
    }

    fn spill(&mut self) {
        self.memory.sort_unstable();
        match write_run(&self.memory) {
            Ok(file) => {
                self.runs.push(file);
                self.memory.clear();
                self.held = 0;
            }
            // No room on disk, or no temporary folder: keep them here.
            Err(e) => {
                self.spill_error = Some(format!("{e}"));
                return;
            }
        }
        if self.runs.len() >= MAX_RUNS {
            // If the merged run cannot be written, the runs stay as they
            // are: more files open, nothing lost.
            if let Ok(one) = merge_runs(&self.runs) {
                self.runs = vec![one];
            }
        }
    }

    /// Takes in another worker's lines and runs.
    pub fn append(&mut self, other: SortedLines) {
        self.memory.extend(other.memory);
        self.held += other.held;
        self.runs.extend(other.runs);
        self.spill_error = self.spill_error.take().or(other.spill_error);
    }

    /// Sorts the lines held in memory (on the calling rayon pool).
    pub fn sort(&mut self) {
        use rayon::slice::ParallelSliceMut;
        self.memory.par_sort_unstable();
    }

    /// Why lines could not be written to disk (they stayed in memory): a
    /// note for the user.
    pub fn spill_error(&self) -> Option<&str> {
        self.spill_error.as_deref()
    }

    /// Writes every line in order (after [`SortedLines::sort`]).
    pub fn write_to(&self, out: &mut dyn Write) -> io::Result<()> {
        if self.runs.is_empty() {
            for (_, line) in &self.memory {
                out.write_all(line)?;
            }
            return Ok(());
        }
        merge(&self.runs, &self.memory, |(_, line)| out.write_all(line))
    }
}

/// Calls `emit` with every line of the sorted `runs` and `memory`, in
/// order.
fn merge(
    runs: &[File],
    memory: &[Line],
    mut emit: impl FnMut(&Line) -> io::Result<()>,
) -> io::Result<()> {
    let mut readers = Vec::with_capacity(runs.len());
    for mut file in runs {
        file.rewind()?;
        readers.push(BufReader::with_capacity(1 << 16, file));
    }
    let mut memory = memory.iter();
    // The next line of each source (the runs, then memory), smallest
    // first.
    let mut heap = BinaryHeap::with_capacity(readers.len() + 1);
    for (i, r) in readers.iter_mut().enumerate() {
        if let Some(line) = read_line(r)? {
            heap.push(Reverse((line, i)));
        }
    }
    let from_memory = readers.len();
    if let Some(line) = memory.next() {
        heap.push(Reverse((line.clone(), from_memory)));
    }
    while let Some(Reverse((line, i))) = heap.pop() {
        emit(&line)?;
        let next = match readers.get_mut(i) {
            Some(r) => read_line(r)?,
            None => memory.next().cloned(),
        };
        if let Some(line) = next {
            heap.push(Reverse((line, i)));
        }
    }
    Ok(())
}

/// The sorted runs merged into one.
fn merge_runs(runs: &[File]) -> io::Result<File> {
    let mut out = BufWriter::with_capacity(1 << 16, tempfile::tempfile()?);
    merge(runs, &[], |line| write_record(&mut out, line))?;
    out.into_inner().map_err(|e| e.into_error())
}

/// One sorted run in an anonymous temporary file: per line, the start's
/// length (a byte) and text, then the line's length (4 bytes, little
/// endian) and bytes.
fn write_run(lines: &[Line]) -> io::Result<File> {
    let mut out = BufWriter::with_capacity(1 << 16, tempfile::tempfile()?);
    for line in lines {
        write_record(&mut out, line)?;
    }
    out.into_inner().map_err(|e| e.into_error())
}

fn write_record(out: &mut impl Write, (stamp, line): &Line) -> io::Result<()> {
    let start = stamp.as_bytes();
    out.write_all(&[start.len() as u8])?;
    out.write_all(start)?;
    let len = u32::try_from(line.len()).map_err(io::Error::other)?;
    out.write_all(&len.to_le_bytes())?;
    out.write_all(line)
}

/// The next line of a run, `None` at its end.
fn read_line(r: &mut impl Read) -> io::Result<Option<Line>> {
    let mut len = [0u8; 1];
    if r.read(&mut len)? == 0 {
        return Ok(None);
    }
    let mut start = [0u8; 255];
    let start = &mut start[..usize::from(len[0])];
    r.read_exact(start)?;
    let mut n = [0u8; 4];
    r.read_exact(&mut n)?;
    let mut line = vec![0u8; u32::from_le_bytes(n) as usize];
    r.read_exact(&mut line)?;
    Ok(Some((Stamp::new(start), line.into_boxed_slice())))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lines(seed: u64, n: usize) -> Vec<Line> {
        let mut rng = exlog_gen::Rng::new(seed, 0);
        let mut next = |m: u64| rng.below(m);
        (0..n)
            .map(|i| {
                // Few distinct starts, so many lines share one; now and
                // then a start of another length (a hand-edited log).
                let start = match next(10) {
                    0 => format!("2024-03-04T10:{:02}Z", next(3)),
                    _ => format!("2024-03-04T10:00:{:02}.000Z", next(4)),
                };
                let line = format!(
                    "receive,EX0{},{i},{}\r\n",
                    next(3),
                    "x".repeat(next(90) as usize)
                );
                (
                    Stamp::new(start.as_bytes()),
                    line.into_bytes().into_boxed_slice(),
                )
            })
            .collect()
    }

    fn written(lines: &SortedLines) -> Vec<u8> {
        let mut out = Vec::new();
        lines.write_to(&mut out).unwrap();
        out
    }

    /// Whatever goes to disk, and however the lines were split between
    /// workers, the bytes are those of one sort in memory.
    #[test]
    fn spilled_runs_merge_to_the_sorted_lines() {
        // (500, 1): a run per line, so runs are merged into one on the way.
        for (case, (n, spill_at)) in [(0, 100), (1, 1), (500, 1), (500, 2000), (3000, 30_000)]
            .into_iter()
            .enumerate()
        {
            let all = lines(case as u64, n);
            let mut want = all.clone();
            want.sort_unstable();
            let want: Vec<u8> = want.iter().flat_map(|(_, l)| l.iter().copied()).collect();

            let (mut a, mut b) = (SortedLines::default(), SortedLines::default());
            for (i, (stamp, line)) in all.into_iter().enumerate() {
                let worker = if i % 3 == 0 { &mut a } else { &mut b };
                worker.push(stamp, line, spill_at);
            }
            if n > 0 {
                let runs = a.runs.len() + b.runs.len();
                assert!(runs > 0, "case {case}: something went to disk");
                assert!(runs < 2 * MAX_RUNS, "case {case}: {runs} runs open");
            }
            a.append(b);
            a.sort();
            assert_eq!(written(&a), want, "case {case}");
            // Written twice: the runs are read from their start again.
            assert_eq!(written(&a), want, "case {case}, second time");
        }
    }

    /// Below the limit nothing is written to disk.
    #[test]
    fn small_reports_stay_in_memory() {
        let mut kept = SortedLines::default();
        for (stamp, line) in lines(9, 1000) {
            kept.push(stamp, line, SPILL_AT);
        }
        assert!(kept.runs.is_empty());
        assert_eq!(kept.memory.len(), 1000);
    }
}
