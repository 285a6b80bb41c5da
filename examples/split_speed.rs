use std::time::Instant;
fn main() {
    let dir = std::env::args().nth(1).unwrap();
    let mut files: Vec<_> = walkdir::WalkDir::new(&dir)
        .into_iter()
        .filter_map(|e| e.ok())
        .filter(|e| e.file_type().is_file() && e.path().extension().is_some_and(|x| x == "LOG"))
        .map(|e| std::fs::read(e.path()).unwrap())
        .collect();
    let total: usize = files.iter().map(|f| f.len()).sum();
    for _ in 0..3 {
        let t = Instant::now();
        let mut n = 0u64;
        let mut ok = 0u64;
        for f in &files {
            exlog::parse::lines::for_each_line(f, |l| {
                n += 1;
                if l.row().is_ok() {
                    ok += 1
                }
            });
        }
        let e = t.elapsed().as_secs_f64();
        println!(
            "split+row: {n} lines {ok} ok {:.3}s {:.2} GB/s",
            e,
            total as f64 / 1e9 / e
        );
        let t = Instant::now();
        let mut n = 0u64;
        for f in &files {
            exlog::parse::lines::for_each_line(f, |l| n += l.text.len() as u64);
        }
        let e = t.elapsed().as_secs_f64();
        println!(
            "split only: {n} {:.3}s {:.2} GB/s",
            e,
            total as f64 / 1e9 / e
        );
        let t = Instant::now();
        let mut n = 0u64;
        for f in &files {
            n += bytecount::count(f, b'\n') as u64;
        }
        let e = t.elapsed().as_secs_f64();
        println!(
            "bytecount: {n} {:.3}s {:.2} GB/s",
            e,
            total as f64 / 1e9 / e
        );
    }
    files.clear();
}
