//! Replays inputs the fuzzer found interesting (`tests/data/fuzz/`): each
//! must scan without panicking and give the same reports whole and in
//! chunks of every size from 1 to 97 bytes, in both scan modes.

use crate::util::root;

#[test]
fn fuzz_corpus_regressions() {
    let dir = root().join("tests/data/fuzz");
    let mut n = 0;
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        let data = std::fs::read(&path).unwrap();
        for sessions in [false, true] {
            let whole = exlog::fuzzing::reports(&data, usize::MAX, sessions);
            for chunk in [1, 2, 3, 7, 16, 46, 97] {
                let parts = exlog::fuzzing::reports(&data, chunk, sessions);
                assert!(
                    whole == parts,
                    "{}: chunk {chunk}, sessions {sessions}",
                    path.display()
                );
            }
        }
        n += 1;
    }
    assert!(n > 0, "no fuzz inputs in {}", dir.display());
}
