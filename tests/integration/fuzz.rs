//! Replays inputs the fuzzer found interesting (`tests/data/fuzz/`): each
//! goes through the real pipeline without panicking and gives the same
//! reports whole on one thread as in chunks of many sizes on 2 and 3
//! threads, in both scan modes (every format, HTML and xlsx included),
//! and kept per server, written as a partial result and merged back.

use crate::util::root;

#[test]
fn fuzz_corpus_regressions() {
    let dir = root().join("tests/data/fuzz");
    let mut n = 0;
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        let data = std::fs::read(&path).unwrap();
        // As the fuzz target: the first byte is its knob, the rest the files.
        let files = exlog::fuzzing::files(data.get(1..).unwrap_or_default());
        for sessions in [false, true] {
            let whole = exlog::fuzzing::reports(&files, usize::MAX, 1, sessions, false);
            for (chunk, threads) in [(1, 2), (2, 3), (3, 2), (7, 3), (16, 2), (46, 2), (97, 3)] {
                // Kept per server and read back as a partial result, or not.
                let per_server = chunk % 2 == 1;
                let parts = exlog::fuzzing::reports(&files, chunk, threads, sessions, per_server);
                assert!(
                    whole == parts,
                    "{}: chunk {chunk}, threads {threads}, sessions {sessions}, per server {per_server}",
                    path.display()
                );
            }
        }
        n += 1;
    }
    assert!(n > 0, "no fuzz inputs in {}", dir.display());
}
