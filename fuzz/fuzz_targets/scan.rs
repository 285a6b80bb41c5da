//! Differential fuzz target: any bytes, read as a log file, must not panic,
//! and scanning it in small chunks (both the TLS-only scan and the session
//! scan with stitching) must give exactly the reports of one whole pass.
//! Run: `cargo +nightly fuzz run scan` (see README, "Fuzzing").

#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let chunk = 1 + usize::from(data.first().copied().unwrap_or(0)) % 97;
    for sessions in [false, true] {
        let whole = exlog::fuzzing::reports(data, usize::MAX, sessions);
        let parts = exlog::fuzzing::reports(data, chunk, sessions);
        assert_eq!(whole, parts, "chunk {chunk}, sessions {sessions}");
    }
});
