//! Differential fuzz target of the real pipeline: any bytes, cut into up
//! to three files in two folders (`exlog::fuzzing::files`), go through
//! planning, sniffing, the parallel scan and stitching. Whatever the chunk
//! size and thread count, every report in every format (CSV, table, JSON,
//! HTML, xlsx) must equal the whole-file, one-thread run, in both scan
//! modes, also when the counts are kept per server (the knob's lowest
//! bit), when they must also give the same reports written as a partial
//! result and merged back; and nothing may panic.
//! Run: `cargo +nightly fuzz run scan` (see CONTRIBUTING.md, "Fuzzing").

#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let (&knob, rest) = data.split_first().unwrap_or((&0, data));
    let chunk = 1 + usize::from(knob) % 97;
    let threads = 2 + usize::from(knob >> 6) % 3;
    let per_server = knob & 1 == 1;
    let files = exlog::fuzzing::files(rest);
    for sessions in [false, true] {
        let whole = exlog::fuzzing::reports(&files, usize::MAX, 1, sessions, false);
        let parts = exlog::fuzzing::reports(&files, chunk, threads, sessions, per_server);
        assert_eq!(
            whole, parts,
            "chunk {chunk}, threads {threads}, sessions {sessions}, per server {per_server}"
        );
    }
});
