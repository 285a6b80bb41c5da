//! Which server each file is counted under, on folder layouts as they are
//! found on Exchange servers.

use crate::util::{exlog, root, write};
use std::path::Path;

/// The first `n` lines of a file of `sample-logs/EX01`, as bytes.
fn head_of(log: &str, n: usize) -> Vec<u8> {
    let path = root()
        .join("sample-logs/EX01/TransportRoles/Logs")
        .join(log);
    let text = std::fs::read_to_string(path).unwrap();
    text.split_inclusive('\n')
        .take(n)
        .collect::<String>()
        .into_bytes()
}

/// `V15/TransportRoles/Logs/{FrontEnd,Hub}/ProtocolLog/{SmtpReceive,SmtpSend}`
/// under `base`, as Exchange lays it out, from EX01's sample logs: every
/// receive row's connector-id is `EX01\Default Frontend EX01` (or, in Hub,
/// `EX01\Default EX01`); send rows name `Outbound to Internet`, no server.
fn install_tree(base: &Path) -> std::path::PathBuf {
    let v15 = base.join("Exchange Server/V15");
    let logs = v15.join("TransportRoles/Logs");
    let recv = head_of("FrontEnd/ProtocolLog/SmtpReceive/RECV2024030810-1.LOG", 30);
    let send = head_of("Hub/ProtocolLog/SmtpSend/SEND2024030810-1.LOG", 30);
    let hub_recv = String::from_utf8(recv.clone())
        .unwrap()
        .replace(r"EX01\Default Frontend EX01", r"EX01\Default EX01");
    let files: [(&str, &[u8]); 4] = [
        (
            "FrontEnd/ProtocolLog/SmtpReceive/RECV2024030810-1.LOG",
            &recv,
        ),
        ("FrontEnd/ProtocolLog/SmtpSend/SEND2024030810-1.LOG", &send),
        (
            "Hub/ProtocolLog/SmtpReceive/RECV2024030810-1.LOG",
            hub_recv.as_bytes(),
        ),
        ("Hub/ProtocolLog/SmtpSend/SEND2024030810-1.LOG", &send),
    ];
    for (path, bytes) in files {
        write(&logs.join(path), bytes);
    }
    v15
}

/// `direction,server` of each row of the `--by server` report.
fn servers_of(paths: &[&Path]) -> Vec<String> {
    let mut args: Vec<String> = paths.iter().map(|p| p.display().to_string()).collect();
    args.extend(["--by", "server", "--format", "csv", "-q"].map(String::from));
    let run = exlog(&args);
    assert_eq!(run.code, 0, "{}{}", run.stdout, run.stderr);
    run.stdout
        .lines()
        .skip(1)
        .map(|l| l.splitn(3, ',').take(2).collect::<Vec<_>>().join(","))
        .collect()
}

/// Exchange's own log folder on the server itself (the README's Windows
/// recipe, `$env:ExchangeInstallPath\TransportRoles\Logs`): FrontEnd and
/// Hub are folders, not servers; the receive connectors all say EX01, and
/// the send logs of the same tree are EX01's too. Given at `…\Logs`, with
/// a trailing separator, at `V15`, and as its two role folders.
#[test]
fn exchange_install_tree_is_the_server_its_connectors_name() {
    let dir = tempfile::tempdir().unwrap();
    let v15 = install_tree(dir.path());
    let logs = v15.join("TransportRoles/Logs");
    let trailing = format!("{}/", logs.display());
    let (front, hub) = (logs.join("FrontEnd"), logs.join("Hub"));
    let forms: [Vec<&Path>; 4] = [
        vec![&logs],
        vec![Path::new(&trailing)],
        vec![&v15],
        vec![&front, &hub],
    ];
    for paths in forms {
        // One receive row and one send row, both EX01's.
        assert_eq!(
            servers_of(&paths),
            ["receive,EX01", "send,EX01"],
            "{paths:?}"
        );
    }
}
