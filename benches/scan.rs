//! Throughput of the hot path: the row finder, the TLS line parser, and a
//! whole scan of a generated 64 MB log. Each benchmark checks its answer
//! inside the timed loop, so a broken fast path cannot look fast.

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use exlog::parse::{Row, fields, tls};
use exlog::scan::{FileCtx, count_candidates, scan_range};
use exlog::tally::Tally;
use std::hint::black_box;

/// About 64 MB of generated logs (one server's receive and send files,
/// concatenated: `#` header lines mid-buffer are valid input).
fn corpus() -> (Vec<u8>, u64) {
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
    let mut data = Vec::new();
    for f in files {
        data.extend(std::fs::read(f).unwrap());
    }
    let json = truth.to_json();
    let rows: u64 = json["connector"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["total"].as_u64().unwrap())
        .sum();
    (data, rows)
}

fn benches(c: &mut Criterion) {
    let (data, tls_rows) = corpus();
    let mut g = c.benchmark_group("scan");
    g.throughput(Throughput::Bytes(data.len() as u64));
    g.sample_size(20);
    g.bench_function("row_finder_64MB", |b| {
        b.iter(|| assert_eq!(count_candidates(black_box(&data)) as u64, tls_rows))
    });
    g.bench_function("count_lines_64MB", |b| {
        b.iter(|| bytecount::count(black_box(&data), b'\n'))
    });
    g.bench_function("split_every_row_64MB", |b| {
        b.iter(|| {
            let mut n = 0u64;
            let mut start = 0;
            for end in memchr::memchr_iter(b'\n', &data) {
                if Row::parse(&data[start..end]).is_ok() {
                    n += 1;
                }
                start = end + 1;
            }
            n
        })
    });
    g.bench_function("scan_range_64MB", |b| {
        b.iter(|| {
            let mut t = Tally::default();
            let ctx = FileCtx::new(0, None);
            scan_range(black_box(&data), 0, data.len(), ctx, &mut t);
            assert_eq!(t.files[&0].tls_rows, tls_rows);
            t
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
