//! Hostile and broken input: huge lines and fields, NUL bytes, symlink
//! loops, unreadable paths. exlog reports, continues and never panics.

use crate::util::{exlog_on, write};

const TLS_ROW: &str = "2024-01-01T00:00:00.000Z,EX\\Default Frontend EX,08DC000000000001,3,10.0.0.1:25,192.0.2.1:5000,*,,\"TLS protocol SP_PROT_TLS1_0_SERVER negotiation succeeded using bulk encryption algorithm CALG_AES_128 with strength 128 bits, MAC hash algorithm CALG_SHA1 with strength 160 bits and key exchange algorithm CALG_RSA_KEYX with strength 2048 bits\"\r\n";

fn header() -> String {
    "#Software: Microsoft Exchange Server\r\n#Log-type: SMTP Receive Protocol Log\r\n#Fields: date-time,connector-id,session-id,sequence-number,local-endpoint,remote-endpoint,event,data,context\r\n".into()
}

#[test]
fn ten_megabyte_field_and_million_comma_row() {
    let dir = tempfile::tempdir().unwrap();
    let mut log = header();
    // A valid row whose data field is 10 MB.
    log.push_str("2024-01-01T00:00:00.000Z,EX\\Default Frontend EX,08DC000000000001,0,10.0.0.1:25,192.0.2.1:5000,<,EHLO ");
    log.push_str(&"a".repeat(10 << 20));
    log.push_str(",\r\n");
    // A row of a million commas (and a TLS word, so both scans look at it).
    log.push_str("2024-01-01T00:00:00.000Z,negotiation");
    log.push_str(&",".repeat(1_000_000));
    log.push_str("\r\n");
    log.push_str(TLS_ROW);
    write(&dir.path().join("RECV2024010100-1.LOG"), log.as_bytes());
    for mode in [
        &["--by", "connector"][..],
        &["--by", "cipher"][..],
        &["--by", "session"][..],
    ] {
        let run = exlog_on(dir.path(), mode);
        assert_eq!(run.code, 2, "{mode:?}: {}", run.stderr);
        assert!(
            run.stderr
                .contains("skipped 1 malformed row; first at line 5: 1000002 fields instead of 9"),
            "{}",
            run.stderr
        );
        assert!(run.stdout.lines().count() >= 2, "{mode:?}");
    }
    let remote = exlog_on(dir.path(), &["--by", "remote"]);
    assert!(
        remote
            .stdout
            .contains("receive,192.0.2.1,0,0,1,0,0,0,0,0,1,"),
        "{}",
        remote.stdout
    );
}

#[test]
fn nul_bytes_in_data_do_not_make_a_file_binary() {
    let dir = tempfile::tempdir().unwrap();
    let mut log = header().into_bytes();
    log.extend_from_slice(b"2024-01-01T00:00:00.000Z,EX\\Default Frontend EX,08DC000000000001,0,10.0.0.1:25,192.0.2.1:5000,<,EHLO a\0b,\r\n");
    log.extend_from_slice(TLS_ROW.as_bytes());
    write(&dir.path().join("RECV2024010100-1.LOG"), &log);
    let run = exlog_on(dir.path(), &["--by", "remote"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(run.stdout.contains(",1,a\0b\n"), "{:?}", run.stdout);
}

#[cfg(unix)]
#[test]
fn symlink_loop_and_dangling_link_are_reported_not_fatal() {
    let dir = tempfile::tempdir().unwrap();
    let logs = dir.path().join("logs");
    std::fs::create_dir_all(&logs).unwrap();
    std::fs::copy(
        crate::util::root().join("tests/data/real/FrontEnd/SmtpReceive/RECV2023011116-1.LOG"),
        logs.join("RECV2023011116-1.LOG"),
    )
    .unwrap();
    std::os::unix::fs::symlink(&logs, logs.join("loop")).unwrap();
    std::os::unix::fs::symlink(logs.join("gone.LOG"), logs.join("RECV2099010100-1.LOG")).unwrap();
    let run = exlog_on(&logs, &["--by", "remote"]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(run.stderr.contains("symbolic link loop"), "{}", run.stderr);
    assert!(
        run.stderr.contains("RECV2099010100-1.LOG"),
        "{}",
        run.stderr
    );
    assert!(run.stdout.contains("95.10.20.33"));
}

#[test]
fn no_mmap_reads_the_same() {
    // Files big enough to be mapped by default: --no-mmap must read them
    // and give the same bytes.
    let dir = crate::oracle::generated("3MB", "17");
    let files: Vec<u64> = walkdir::WalkDir::new(dir.path())
        .into_iter()
        .filter_map(Result::ok)
        .filter(|e| e.file_name().to_string_lossy().ends_with(".LOG"))
        .map(|e| e.metadata().unwrap().len())
        .collect();
    assert!(
        files.iter().any(|&n| n >= exlog::reader::MMAP_MIN),
        "no file would be mapped: {files:?}"
    );
    for by in ["connector", "session", "cipher"] {
        let a = exlog_on(dir.path(), &["--by", by, "--format", "csv"]);
        let b = exlog_on(dir.path(), &["--by", by, "--format", "csv", "--no-mmap"]);
        assert_eq!(a.code, 0, "{}", a.stderr);
        assert!(a.stdout.lines().count() > 3, "{by}: {}", a.stdout);
        assert_eq!(a.stdout, b.stdout, "{by}");
    }
}

#[test]
fn a_growing_file_is_read_up_to_where_it_was() {
    // Exchange appends while exlog reads: what was there when the file was
    // opened is read, mapped or not, and nothing written after.
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("RECV2024010100-1.LOG");
    let mut log = header();
    while (log.len() as u64) < 2 * exlog::reader::MMAP_MIN {
        log.push_str(TLS_ROW);
    }
    let grown = format!("{log}{}{}", TLS_ROW.repeat(50), &TLS_ROW[..100]);
    for mmap in [true, false] {
        write(&path, log.as_bytes());
        let source = exlog::reader::Source::open(&path, mmap).unwrap();
        assert_eq!(matches!(source, exlog::reader::Source::Mmap(_)), mmap);
        // The file grows by more rows and half a row after it was opened.
        let mut file = std::fs::OpenOptions::new()
            .append(true)
            .open(&path)
            .unwrap();
        std::io::Write::write_all(&mut file, &grown.as_bytes()[log.len()..]).unwrap();
        drop(file);
        assert_eq!(std::fs::read(&path).unwrap(), grown.as_bytes());
        assert_eq!(&source[..], log.as_bytes(), "mmap {mmap}");
    }
    // Read now, the grown file's half row is counted as a line, not read.
    let run = exlog_on(&path, &["--format", "json"]);
    let v: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    let rows = (log.len() - header().len()) / TLS_ROW.len() + 50;
    assert_eq!(v["stats"]["negotiations"], rows as u64);
    assert_eq!(v["stats"]["unterminated_lines"], 1);
}
