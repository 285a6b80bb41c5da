//! Throughput of the hot paths: the row finder, the line pass, the TLS line
//! parser, and whole scans (TLS rows only, and sessions) of a generated
//! 64 MB log shaped like a busy server. Each benchmark checks its answer
//! against the generator's truth inside the timed loop, so a broken fast
//! path cannot look fast.

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use exlog::chunk::FileCtx;
use exlog::parse::{Row, fields, lines, tls};
use exlog::pipeline::{Plan, scan_slices};
use exlog::smtp::scan::{count_candidates, scan_range};
use exlog::tally::Tally;
use std::hint::black_box;
use std::path::Path;

/// About 64 MB of generated logs of one server: its files (relative path,
/// bytes), all of them concatenated (`#` header lines mid-buffer are valid
/// input), and the truth: TLS rows, lines, and sessions by class (tls,
/// failed, plaintext).
struct Corpus {
    files: Vec<(std::path::PathBuf, Vec<u8>)>,
    data: Vec<u8>,
    tls_rows: u64,
    lines: u64,
    classes: [u64; 3],
}

fn corpus() -> Corpus {
    let dir = tempfile::tempdir().unwrap();
    let mut cfg = exlog_gen::Config::new(dir.path(), 64_000_000);
    cfg.servers = 1;
    let truth = exlog_gen::generate(&cfg).unwrap();
    let mut files: Vec<_> = walkdir::WalkDir::new(dir.path())
        .into_iter()
        .map(|e| e.unwrap().into_path())
        .filter(|p| p.extension().is_some_and(|e| e == "LOG"))
        .collect();
    files.sort();
    let files: Vec<_> = files
        .into_iter()
        .map(|f| {
            let bytes = std::fs::read(&f).unwrap();
            (f.strip_prefix(dir.path()).unwrap().to_path_buf(), bytes)
        })
        .collect();
    let data = files.iter().flat_map(|(_, b)| b.iter().copied()).collect();
    let json = truth.to_json();
    let rows: u64 = json["connector"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["total"].as_u64().unwrap())
        .sum();
    let t = &json["totals"];
    let class = |k: &str| t[k].as_u64().unwrap();
    Corpus {
        files,
        data,
        tls_rows: rows,
        lines: class("lines"),
        classes: [
            class("sessions_tls"),
            class("sessions_failed"),
            class("sessions_plaintext"),
        ],
    }
}

fn benches(c: &mut Criterion) {
    let corpus = corpus();
    let (data, tls_rows, line_count) = (corpus.data.as_slice(), corpus.tls_rows, corpus.lines);
    // Header lines are not rows.
    let header_lines = data
        .split(|&b| b == b'\n')
        .filter(|l| l.starts_with(b"\xEF\xBB\xBF#") || l.starts_with(b"#"))
        .count() as u64;
    let mut g = c.benchmark_group("scan");
    g.throughput(Throughput::Bytes(data.len() as u64));
    g.sample_size(20);
    g.bench_function("row_finder_64MB", |b| {
        b.iter(|| assert_eq!(count_candidates(black_box(data)) as u64, tls_rows))
    });
    g.bench_function("count_lines_64MB", |b| {
        b.iter(|| assert_eq!(bytecount::count(black_box(data), b'\n') as u64, line_count))
    });
    g.bench_function("line_pass_and_split_every_row_64MB", |b| {
        b.iter(|| {
            let mut n = 0u64;
            lines::for_each_line(black_box(data), |l| n += u64::from(l.row().is_ok()));
            assert_eq!(n, line_count - header_lines);
        })
    });
    g.bench_function("split_every_row_with_row_parse_64MB", |b| {
        b.iter(|| {
            let mut n = 0u64;
            let mut start = 0;
            for end in memchr::memchr_iter(b'\n', data) {
                if Row::parse(&data[start..end]).is_ok() {
                    n += 1;
                }
                start = end + 1;
            }
            assert_eq!(n, line_count - header_lines);
        })
    });
    g.bench_function("scan_range_64MB", |b| {
        b.iter(|| {
            let mut t = Tally::default();
            let ctx = FileCtx::new(0, None);
            let stats = t.files.entry(0).or_default();
            scan_range(black_box(data), 0, data.len(), ctx, &mut t.smtp, stats);
            assert_eq!(t.files[&0].tls_rows, tls_rows);
            t
        })
    });
    // The default run's scan: every row of every file, joined into
    // sessions, through the real pipeline on two threads (4 MB chunks:
    // sessions cross chunks and files).
    g.bench_function("session_scan_64MB", |b| {
        let plan = Plan {
            chunk: 4 << 20,
            ..Plan::sessions()
        };
        let files: Vec<(&Path, &[u8])> = corpus
            .files
            .iter()
            .map(|(p, d)| (p.as_path(), d.as_slice()))
            .collect();
        b.iter(|| {
            let scanned = scan_slices(black_box(&files), &plan, 2);
            assert_eq!(scanned.tally.smtp.classes[..3], corpus.classes);
            scanned
        })
    });
    g.finish();

    let line: &[u8] = b"2023-01-11T16:00:01.010Z,SERVER-HOSTNAME\\Default Frontend SERVER-HOSTNAME,123453EC62278461,7,10.10.10.10:25,95.10.20.33:56026,*,,\"TLS protocol SP_PROT_TLS1_2_SERVER negotiation succeeded using bulk encryption algorithm CALG_AES_128 with strength 128 bits, MAC hash algorithm CALG_SHA_256 with strength 0 bits and key exchange algorithm CALG_ECDH_EPHEM with strength 256 bits\"";
    let mut g = c.benchmark_group("tls_line");
    g.throughput(Throughput::Bytes(line.len() as u64));
    g.bench_function("split_and_parse", |b| {
        b.iter(|| {
            let row = Row::parse(black_box(line)).unwrap();
            let neg = tls::parse_success(row.get(fields::CONTEXT)).unwrap();
            assert_eq!(tls::parse_protocol(neg.protocol).0, tls::Version::Tls12);
            neg.key_exchange_bits.len()
        })
    });
    g.finish();
}

criterion_group!(scan, benches);
criterion_main!(scan);
