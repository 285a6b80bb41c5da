//! Compressed, archived and piped input: the same reports as the files
//! they hold, and each broken archive named with what broke.

use crate::oracle::generated;
use crate::util::{exlog_on, write};
use std::io::Write;
use std::path::Path;

/// Every file under `dir` (relative path, bytes), sorted.
fn files(dir: &Path) -> Vec<(String, Vec<u8>)> {
    let mut out: Vec<(String, Vec<u8>)> = walkdir::WalkDir::new(dir)
        .into_iter()
        .map(|e| e.unwrap())
        .filter(|e| e.file_type().is_file())
        .map(|e| {
            let rel = e.path().strip_prefix(dir).unwrap();
            let rel = rel.to_string_lossy().replace('\\', "/");
            (rel, std::fs::read(e.path()).unwrap())
        })
        .collect();
    out.sort();
    out
}

/// A zip archive of `entries` (deflated), or stored when `store`.
fn zip_of(path: &Path, entries: &[(String, Vec<u8>)], store: bool) {
    let mut z = zip::ZipWriter::new(std::fs::File::create(path).unwrap());
    let method = if store {
        zip::CompressionMethod::Stored
    } else {
        zip::CompressionMethod::Deflated
    };
    let options = zip::write::SimpleFileOptions::default().compression_method(method);
    for (name, data) in entries {
        z.start_file(name.as_str(), options).unwrap();
        z.write_all(data).unwrap();
    }
    z.finish().unwrap();
}

fn gzip(data: &[u8]) -> Vec<u8> {
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    e.write_all(data).unwrap();
    e.finish().unwrap()
}

/// The JSON document without what may differ: timing, and warnings
/// (which name the files as they were reached).
fn reports(path: &Path) -> serde_json::Value {
    let run = exlog_on(path, &["--format", "json", "--chunk-size", "100000"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let mut v: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    let stats = v["stats"].as_object_mut().unwrap();
    stats.remove("elapsed_seconds");
    stats.remove("gb_per_s");
    v.as_object_mut().unwrap().remove("warnings");
    v
}

/// Three servers' folders as they are, zipped, and gzipped file by file:
/// byte-identical reports (sessions cross files, so entries are stitched
/// in their folders as files are).
#[test]
fn a_zip_or_gzip_of_the_folders_reports_what_the_folders_do() {
    let plain = generated("3MB", "31");
    // The archives hold the logs only: no connector inventory beside them.
    std::fs::remove_dir_all(plain.path().join("inventory")).unwrap();
    let want = reports(plain.path());
    let logs: Vec<(String, Vec<u8>)> = files(plain.path())
        .into_iter()
        .filter(|(n, _)| n.ends_with(".LOG"))
        .collect();
    assert!(logs.len() > 8, "{}", logs.len());
    let packed = tempfile::tempdir().unwrap();
    zip_of(&packed.path().join("servers.zip"), &logs, false);
    assert_eq!(reports(&packed.path().join("servers.zip")), want);
    // Found in a folder too.
    assert_eq!(reports(packed.path()), want);
    let gz = tempfile::tempdir().unwrap();
    for (name, data) in &logs {
        write(&gz.path().join(format!("{name}.gz")), &gzip(data));
    }
    assert_eq!(reports(gz.path()), want);
}

fn one_log() -> Vec<u8> {
    std::fs::read(
        crate::util::root().join(
            "sample-logs/EX01/TransportRoles/Logs/Hub/ProtocolLog/SmtpSend/SEND2024030810-1.LOG",
        ),
    )
    .unwrap()
}

fn run_stdin(input: &[u8], args: &[&str]) -> crate::util::Run {
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_exlog"))
        .args(args)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(input).unwrap();
    let out = child.wait_with_output().unwrap();
    crate::util::Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

/// `-` reads standard input, plain or gzip; its direction comes from the
/// `#Log-type:` header (the name `-` says nothing).
#[test]
fn standard_input_plain_or_gzip() {
    let log = one_log();
    // scripts/make_sample_logs.py: EX01 sends 1 TLS 1.0, 2 TLS 1.2 and 1
    // failure through Outbound to Internet.
    let want = "direction,connector,SSL2,SSL3,TLS1.0,TLS1.1,TLS1.2,TLS1.3,other,failed,total,plaintext\nsend,Outbound to Internet,0,0,1,0,2,0,0,1,4,0\n";
    for input in [log.clone(), gzip(&log)] {
        let run = run_stdin(&input, &["-", "--format", "csv"]);
        assert_eq!(run.code, 0, "{}", run.stderr);
        assert_eq!(run.stdout, want);
    }
}

/// Broken archives: each named with the entry and the problem, the rest
/// read, exit 2.
#[test]
fn broken_archives_are_named_and_the_rest_is_read() {
    let log = one_log();
    let dir = tempfile::tempdir().unwrap();
    let good = ("EX01/SEND2024030810-1.LOG".to_string(), log.clone());
    // A gzip file cut short: what came before its end is counted.
    let gz = gzip(&log);
    write(
        &dir.path().join("SEND2024030811-1.LOG.gz"),
        &gz[..gz.len() / 2],
    );
    // A zip entry whose stored bytes were damaged: a CRC mismatch.
    zip_of(
        &dir.path().join("crc.zip"),
        &[("X/SEND2024030812-1.LOG".into(), log.clone())],
        true,
    );
    let mut crc = std::fs::read(dir.path().join("crc.zip")).unwrap();
    let at = crc.windows(4).position(|w| w == b"TLS ").unwrap();
    crc[at] = b'X';
    std::fs::write(dir.path().join("crc.zip"), &crc).unwrap();
    // An entry marked encrypted (general purpose bit 0, in both headers).
    zip_of(
        &dir.path().join("locked.zip"),
        &[("Y/SEND2024030813-1.LOG".into(), log.clone())],
        true,
    );
    let mut locked = std::fs::read(dir.path().join("locked.zip")).unwrap();
    for (sig, flag_at) in [(b"PK\x03\x04", 6), (b"PK\x01\x02", 8)] {
        let p = locked.windows(4).position(|w| w == sig).unwrap();
        locked[p + flag_at] |= 1;
    }
    std::fs::write(dir.path().join("locked.zip"), &locked).unwrap();
    // A bomb: 20 MB of zeros declared in an entry of a few KB.
    zip_of(
        &dir.path().join("bomb.zip"),
        &[("Z/RECV2024030814-1.LOG".into(), vec![b'0'; 20 << 20])],
        false,
    );
    // And one good archive.
    zip_of(&dir.path().join("good.zip"), &[good], false);
    let run = exlog_on(dir.path(), &["--by", "connector", "--format", "csv"]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    let err = &run.stderr;
    assert!(err.contains("SEND2024030811-1.LOG.gz: "), "{err}");
    assert!(err.contains("crc.zip/X/SEND2024030812-1.LOG: "), "{err}");
    assert!(
        err.to_lowercase().contains("checksum") || err.contains("CRC"),
        "{err}"
    );
    assert!(err.contains("locked.zip/Y/SEND2024030813-1.LOG: "), "{err}");
    assert!(err.contains("bomb.zip/Z/RECV2024030814-1.LOG: "), "{err}");
    assert!(err.contains("zip bomb"), "{err}");
    // The good archive counts whole (1 TLS 1.0, 2 TLS 1.2, 1 failure), plus
    // what the cut gzip and the damaged entry gave before they broke.
    let row = run
        .stdout
        .lines()
        .find(|l| l.starts_with("send,Outbound to Internet,"))
        .unwrap();
    let tls12: u64 = row.split(',').nth(6).unwrap().parse().unwrap();
    assert!(tls12 >= 2, "{row}");
}

/// A gzip file cut short: the error says what was counted, and the cut
/// last line gets no "log still being written?" hint (a .gz is not
/// written to while Exchange logs).
#[test]
fn a_cut_gzip_gets_no_live_log_hint() {
    let gz = gzip(&one_log());
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("SEND2024030811-1.LOG.gz");
    write(&path, &gz[..gz.len() / 2]);
    let run = exlog_on(&path, &["--format", "csv"]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(
        run.stderr.contains(&format!(
            "{}: incomplete deflate stream; what was read before is counted",
            path.display()
        )),
        "{}",
        run.stderr
    );
    assert!(
        !run.stderr.contains("still being written"),
        "{}",
        run.stderr
    );
}

/// A receive log from tests/data/real whose connectors are
/// `SERVER-HOSTNAME\Default Frontend SERVER-HOSTNAME`.
fn receive_log() -> Vec<u8> {
    std::fs::read(
        crate::util::root().join("tests/data/real/FrontEnd/SmtpReceive/RECV2023011116-1.LOG"),
    )
    .unwrap()
}

/// The server column of `--by server` CSV output.
fn server_names(stdout: &str) -> Vec<&str> {
    stdout
        .lines()
        .skip(1)
        .map(|l| l.split(',').nth(1).unwrap())
        .collect()
}

/// Rule 3 (the receive connectors' `SERVER\` prefix) reads what a packed
/// log holds: a gzip file in a folder, a zip entry, and standard input
/// (the README: `zcat … | exlog -` takes the server from the connectors).
#[test]
fn packed_and_piped_logs_are_named_by_their_connectors() {
    let log = receive_log();
    let dir = tempfile::tempdir().unwrap();
    write(&dir.path().join("gz/RECV2023011116-1.LOG.gz"), &gzip(&log));
    std::fs::create_dir(dir.path().join("zip")).unwrap();
    zip_of(
        &dir.path().join("zip/logs.zip"),
        &[("SmtpReceive/RECV2023011116-1.LOG".into(), log.clone())],
        false,
    );
    for sub in ["gz", "zip"] {
        let run = exlog_on(
            &dir.path().join(sub),
            &["--by", "server", "--format", "csv"],
        );
        assert_eq!(run.code, 0, "{}", run.stderr);
        assert_eq!(server_names(&run.stdout), ["SERVER-HOSTNAME"], "{sub}");
    }
    for input in [log.clone(), gzip(&log)] {
        let run = run_stdin(&input, &["-", "--by", "server", "--format", "csv"]);
        assert_eq!(run.code, 0, "{}", run.stderr);
        assert_eq!(server_names(&run.stdout), ["SERVER-HOSTNAME"]);
    }
    // Without a connector prefix (a send log): `stdin`.
    let run = run_stdin(&one_log(), &["-", "--by", "server", "--format", "csv"]);
    assert_eq!(server_names(&run.stdout), ["stdin"]);
}
