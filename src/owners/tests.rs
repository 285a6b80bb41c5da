use super::*;
use std::net::IpAddr;

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data/owners")
        .join(name)
}

fn parse(text: &str) -> Result<Owners, Error> {
    Owners::from_bytes(Path::new("owners.csv"), text.as_bytes())
}

fn owners(text: &str) -> Owners {
    parse(text).unwrap()
}

/// The owner of a remote with one EHLO (or none) and some senders.
fn owner(o: &Owners, ip: &str, ehlo: Option<&str>, senders: &[&str]) -> Option<String> {
    let ehlos = ehlo.map(str::as_bytes);
    let senders = senders.iter().map(|s| s.as_bytes());
    o.owner_of(ip.as_bytes(), ehlos, senders)
        .map(|r| r.owner.clone())
}

/// (line, match, owner, contact) of each row.
fn table(o: &Owners) -> Vec<(u64, &str, &str, &str)> {
    o.rows()
        .iter()
        .map(|r| (r.line, &*r.text, &*r.owner, &*r.contact))
        .collect()
}

/// The six rows of make_owners.py, each on the line given.
fn expected(lines: [u64; 6]) -> Vec<(u64, &'static str, &'static str, &'static str)> {
    let jm = "\"Jörg Müller\" <jm@contoso.example>";
    vec![
        (
            lines[0],
            "10.20.0.15",
            "Print room",
            "helpdesk@contoso.example",
        ),
        (lines[1], "10.20.0.0/16", "Facilities, 3rd floor", jm),
        (
            lines[2],
            "*.partner.example",
            "Partner IT",
            "+49 30 1234567",
        ),
        (lines[3], "SCAN-*", "Facilities", ""),
        (
            lines[4],
            "@fabrikam.example",
            "Fabrikam; mail team",
            "ops@fabrikam.example",
        ),
        (lines[5], "2001:db8::/32", "Lab", ""),
    ]
}

#[test]
fn excel_csv_utf8_with_commas_and_with_semicolons() {
    // Header on line 1, rows on 2-4, Excel's empty row `,,,` on 5, rows on
    // 6-8; the `notes` column is ignored.
    for name in ["excel-utf8.csv", "excel-utf8-semicolon.csv"] {
        let o = Owners::read(&fixture(name)).unwrap();
        assert_eq!(table(&o), expected([2, 3, 4, 6, 7, 8]), "{name}");
        assert_eq!(o.warnings(), &[], "{name}");
    }
}

#[test]
fn powershell_exports_51_unicode_and_7() {
    // 5.1: #TYPE on line 1, header on 2, rows on 3-8 (UTF-16 LE, columns
    // Owner,Match,Contact). 7: header on 1, rows on 2-7 (UTF-8, no BOM).
    let o = Owners::read(&fixture("powershell51-unicode.csv")).unwrap();
    assert_eq!(table(&o), expected([3, 4, 5, 6, 7, 8]));
    let o = Owners::read(&fixture("powershell7.csv")).unwrap();
    assert_eq!(table(&o), expected([2, 3, 4, 5, 6, 7]));
    assert_eq!(o.warnings(), &[]);
}

#[test]
fn utf16_big_endian_and_lf_line_ends_read_the_same() {
    let text = "match,owner,contact\n10.0.0.1,Jörg,\n";
    let mut be = vec![0xFE, 0xFF];
    be.extend(text.encode_utf16().flat_map(u16::to_be_bytes));
    let o = Owners::from_bytes(Path::new("be.csv"), &be).unwrap();
    assert_eq!(table(&o), vec![(2, "10.0.0.1", "Jörg", "")]);
}

#[test]
fn excel_unicode_text_is_tab_separated_utf16() {
    // Excel's "Unicode Text": UTF-16 LE with a BOM, tabs, CRLF; a comma
    // or a semicolon inside a value is no separator there.
    let text = "owner\tmatch\tcontact\r\nLab, 2nd; floor\t10.0.0.0/8\tx\r\n";
    let mut bytes = vec![0xFF, 0xFE];
    bytes.extend(text.encode_utf16().flat_map(u16::to_le_bytes));
    let o = Owners::from_bytes(Path::new("unicode.txt"), &bytes).unwrap();
    assert_eq!(table(&o), [(2, "10.0.0.0/8", "Lab, 2nd; floor", "x")]);
}

#[test]
fn each_match_kind_matches_what_it_says() {
    let o = owners(
        "match,owner,contact\n\
         192.0.2.7,ip,\n\
         2001:DB8::1,ipv6,\n\
         10.20.0.0/16,cidr,\n\
         2001:db8:1::/48,cidr6,\n\
         *.Partner.Example,glob,\n\
         @Fabrikam.example,domain,\n",
    );
    assert_eq!(owner(&o, "192.0.2.7", None, &[]).as_deref(), Some("ip"));
    assert_eq!(owner(&o, "192.0.2.8", None, &[]), None);
    // IPv6 text forms compare as addresses.
    assert_eq!(
        owner(&o, "2001:db8:0:0::1", None, &[]).as_deref(),
        Some("ipv6")
    );
    // IPv4-mapped IPv6 matches IPv4 rows.
    assert_eq!(
        owner(&o, "::ffff:10.20.3.4", None, &[]).as_deref(),
        Some("cidr")
    );
    assert_eq!(owner(&o, "10.21.0.1", None, &[]), None);
    assert_eq!(
        owner(&o, "2001:db8:1:ff::9", None, &[]).as_deref(),
        Some("cidr6")
    );
    // The glob is any case, and `*` needs something before the dot.
    let glob = |ehlo| owner(&o, "203.0.113.1", Some(ehlo), &[]);
    assert_eq!(glob("MX1.partner.EXAMPLE").as_deref(), Some("glob"));
    assert_eq!(glob("partner.example"), None);
    assert_eq!(glob("mx1.partner.example.org"), None);
    // The domain is the part after the last @, any case, equal (no
    // subdomains).
    let domain = |s| owner(&o, "203.0.113.1", None, &[s]);
    assert_eq!(domain("Jane@FABRIKAM.example").as_deref(), Some("domain"));
    assert_eq!(
        domain("\"a@b\"@fabrikam.example").as_deref(),
        Some("domain")
    );
    assert_eq!(domain("jane@mail.fabrikam.example"), None);
    assert_eq!(domain("fabrikam.example"), None);
    // Not an IP: no IP row matches, the others still may.
    assert_eq!(
        owner(&o, "", Some("a.partner.example"), &[]).as_deref(),
        Some("glob")
    );
}

#[test]
fn ehlo_globs_of_each_shape_and_address_literals() {
    let o = owners(
        "match,owner,contact\n\
         Mail.Contoso.com,name,\n\
         [192.0.2.7],literal,\n\
         SCAN-*,prefix,\n\
         mx?.example,one char,\n\
         *,anything,\n",
    );
    let by = |ehlo| owner(&o, "203.0.113.1", Some(ehlo), &[]);
    assert_eq!(by("MAIL.contoso.COM").as_deref(), Some("name"));
    // The literal is the EHLO as written, not the remote's IP.
    assert_eq!(by("[192.0.2.7]").as_deref(), Some("literal"));
    assert_eq!(owner(&o, "192.0.2.7", None, &[]), None);
    assert_eq!(by("scan-3rdfloor").as_deref(), Some("prefix"));
    assert_eq!(by("MX1.example").as_deref(), Some("one char"));
    assert_eq!(by("mx12.example").as_deref(), Some("anything"));
    // `*` matches any EHLO, even an empty one, but a remote without EHLO
    // has none to match.
    assert_eq!(by("").as_deref(), Some("anything"));
    assert_eq!(owner(&o, "203.0.113.1", None, &[]), None);
}

#[test]
fn the_first_row_in_file_order_wins() {
    // The remote matches rows 2 (domain), 3 (glob), 4 (CIDR) and 5 (IP):
    // whichever kind, the earliest row is taken.
    let o = owners(
        "match,owner,contact\n\
         @nomatch.example,none,\n\
         @partner.example,by domain,\n\
         *.partner.example,by glob,\n\
         192.0.2.0/24,by network,\n\
         192.0.2.7,by ip,\n",
    );
    let remote = |ehlo, senders: &[&str]| owner(&o, "192.0.2.7", Some(ehlo), senders);
    assert_eq!(
        remote("mx.partner.example", &["a@x.example", "b@partner.example"]).as_deref(),
        Some("by domain")
    );
    assert_eq!(
        remote("mx.partner.example", &[]).as_deref(),
        Some("by glob")
    );
    assert_eq!(
        remote("mx.other.example", &[]).as_deref(),
        Some("by network")
    );
}

#[test]
fn several_ehlo_names_are_all_tried() {
    let o = owners("match,owner,contact\nSCAN-*,scanners,\n");
    let ehlos: [&[u8]; 2] = [b"printer.local", b"scan-3rdfloor"];
    let row = o.owner_of(b"10.0.0.9", ehlos, std::iter::empty());
    assert_eq!(row.map(|r| r.line), Some(2));
}

#[test]
fn rows_that_filled_nothing_are_warned_of_once_each() {
    // Line 2 matches, line 3 never, line 4 only a remote line 2 took,
    // line 5 once took a remote and once was shadowed (no warning).
    let o = owners(
        "match,owner,contact\n\
         10.0.0.0/8,a,\n\
         SCAN-*,b,\n\
         10.0.0.1,c,\n\
         @x.example,d,\n",
    );
    assert_eq!(
        owner(&o, "10.0.0.1", None, &["m@x.example"]).as_deref(),
        Some("a")
    );
    assert_eq!(owner(&o, "10.0.0.1", None, &[]).as_deref(), Some("a"));
    assert_eq!(
        owner(&o, "192.0.2.1", None, &["m@X.example"]).as_deref(),
        Some("d")
    );
    let warnings: Vec<String> = o.unmatched().iter().map(|w| w.to_string()).collect();
    assert_eq!(
        warnings,
        [
            "owners.csv:3: owners row \"SCAN-*\" matched no remote",
            "owners.csv:4: owners row \"10.0.0.1\" matched only remotes that line 2 \
             matched first: it filled no owner",
        ]
    );
}

#[test]
fn the_shadowing_row_named_is_the_earliest_whatever_the_order_of_lookups() {
    // Line 4 matches both remotes; line 2 takes the first, line 3 the
    // second. In either order of lookups the warning names line 2.
    let text = "match,owner,contact\n10.0.0.1,a,\nSCAN-*,b,\n10.0.0.0/8,c,\n";
    let first = |o: &Owners| owner(o, "10.0.0.1", None, &[]);
    let second = |o: &Owners| owner(o, "10.9.9.9", Some("scan-1"), &[]);
    let (one, two) = (owners(text), owners(text));
    assert_eq!(
        (first(&one), second(&one)),
        (Some("a".into()), Some("b".into()))
    );
    assert_eq!(
        (second(&two), first(&two)),
        (Some("b".into()), Some("a".into()))
    );
    let message = "owners row \"10.0.0.0/8\" matched only remotes that line 2 matched first: \
                   it filled no owner";
    for o in [one, two] {
        let w = o.unmatched();
        assert_eq!((w.len(), w[0].line), (1, Some(4)));
        assert_eq!(w[0].message, message);
    }
}

#[test]
fn malformed_rows_name_the_file_and_line() {
    let path = fixture("bad-cidr.csv");
    let e = Owners::read(&path).unwrap_err();
    assert_eq!((e.file.as_path(), e.line), (path.as_path(), Some(3)));
    assert!(e.message.contains("prefix length"), "{}", e.message);
    for (text, line, why) in [
        ("match,owner,contact\n10.0.0.1,a,\n,b,\n", 3, "empty match"),
        (
            "match,owner,contact\n10.0.0.1,,\n10.0.0.0/33,,\n",
            3,
            "prefix length",
        ),
        (
            "match,owner,contact\n10.0.0.1,a\n",
            2,
            "2 fields, where the header (line 1) has 3",
        ),
        ("match,contact\n10.0.0.1,a\n", 1, "no owner column"),
        ("owner,contact\n", 1, "no match column"),
        (
            "match,owner,contact,OWNER\n",
            1,
            "the header holds 2 owner columns",
        ),
        ("match,owner,contact\n\n\n10.20.*.*,a,\n", 4, "wildcards"),
        (
            "match,owner,contact\r\nuser@x.example,a,\r\n",
            2,
            "write @domain",
        ),
        (
            "#TYPE System.Management.Automation.PSCustomObject\r\n",
            2,
            "no header line",
        ),
        ("", 1, "no header line"),
    ] {
        let e = parse(text).unwrap_err();
        assert_eq!(e.file, Path::new("owners.csv"), "{text:?}");
        assert_eq!(e.line, Some(line), "{text:?}: {}", e.message);
        assert!(e.message.contains(why), "{text:?}: {}", e.message);
    }
}

#[test]
fn rows_without_owner_and_contact_are_left_out() {
    // Line 2 (a remote still to be filled in) does not take 10.0.0.1 from
    // line 4, nor is it warned of; line 3 has a contact only, and is kept.
    let o = owners(
        "match,owner,contact\n\
         10.0.0.1, ,\n\
         SCAN-*,,helpdesk@contoso.example\n\
         10.0.0.0/8,Network team,\n",
    );
    assert_eq!(
        table(&o),
        [
            (3, "SCAN-*", "", "helpdesk@contoso.example"),
            (4, "10.0.0.0/8", "Network team", "")
        ]
    );
    assert_eq!(
        owner(&o, "10.0.0.1", None, &[]).as_deref(),
        Some("Network team")
    );
    assert_eq!(
        owner(&o, "10.0.0.2", Some("scan-1"), &[]).as_deref(),
        Some("")
    );
    assert_eq!(o.unmatched(), []);
}

#[test]
fn a_cut_utf16_file_is_an_error_at_its_line() {
    let mut bytes = vec![0xFF, 0xFE];
    bytes.extend(
        "match,owner,contact\r\n10.0.0.1,a,b"
            .encode_utf16()
            .flat_map(u16::to_le_bytes),
    );
    bytes.push(b'x');
    let e = Owners::from_bytes(Path::new("cut.csv"), &bytes).unwrap_err();
    assert_eq!(e.line, Some(2));
    assert!(e.message.contains("odd number of bytes"), "{}", e.message);
}

#[test]
fn an_unreadable_file_is_an_error_naming_it() {
    let path = fixture("no-such-file.csv");
    let e = Owners::read(&path).unwrap_err();
    assert_eq!((e.file, e.line), (path, None));
    assert!(e.message.starts_with("cannot read: "), "{}", e.message);
}

#[test]
fn an_ansi_file_is_read_with_a_warning_at_its_first_bad_byte() {
    // 0xFC is "ü" in Windows-1252, on line 3.
    let bytes = b"match,owner,contact\r\n10.0.0.1,a,\r\n10.0.0.2,M\xFCller,\r\n";
    let o = Owners::from_bytes(Path::new("ansi.csv"), bytes).unwrap();
    assert_eq!(o.rows()[1].owner, "M\u{FFFD}ller");
    assert_eq!(o.warnings().len(), 1);
    assert_eq!(o.warnings()[0].line, Some(3));
    assert!(o.warnings()[0].message.contains("CSV UTF-8"));
}

#[test]
fn a_header_alone_is_read_with_a_warning() {
    let o = owners("Match,Owner,Contact\r\n");
    assert_eq!(o.rows(), &[]);
    assert_eq!(o.warnings().len(), 1);
    assert_eq!(owner(&o, "10.0.0.1", Some("x"), &["a@b.c"]), None);
}

#[test]
fn hostile_owner_text_is_kept_but_for_surrounding_whitespace() {
    // Quoted, with a formula, an escape sequence, a tab and a line break
    // inside: all kept; the spaces around each value go.
    let o = owners(
        "match , owner,contact\n \
         10.0.0.1 ,\"  =HYPERLINK(\"\"http://x\"\")\x1b[31m\tA\r\nB \", <x@y> \n",
    );
    let row = &o.rows()[0];
    assert_eq!(row.text, "10.0.0.1");
    assert_eq!(row.owner, "=HYPERLINK(\"http://x\")\x1b[31m\tA\r\nB");
    assert_eq!(row.contact, "<x@y>");
    assert_eq!(row.kind(), Kind::Ip);
}

#[test]
fn a_hostile_match_is_escaped_in_its_warning() {
    let o = owners("match,owner,contact\n\"x\x1bc*\",a,\n");
    let w = o.unmatched();
    assert_eq!(w[0].message, "owners row \"x\\u{1b}c*\" matched no remote");
}

/// The project's PRNG (exlog-gen's), so every run sees the same rows.
type Rng = exlog_gen::Rng;

/// A row's match text of a random kind, from a small world of addresses
/// and names so that rows and remotes meet.
fn random_match(r: &mut Rng) -> String {
    let name = |r: &mut Rng| ["mx", "SCAN", "relay", "smtp"][r.below(4) as usize];
    match r.below(10) {
        0 | 9 => format!("10.{}.{}.{}", r.below(8), r.below(8), r.below(16)),
        1 => format!(
            "10.{}.{}.{}/{}",
            r.below(8),
            r.below(8),
            r.below(2) * 8,
            24 + 5 * r.below(2)
        ),
        2 => format!("2001:db8::{:x}/{}", r.below(256) << 4, 124 + 4 * r.below(2)),
        3 => format!("{}{}-{}*.example", name(r), r.below(3), r.below(10)),
        4 => format!("*-{}.example", r.below(100)),
        5 => format!("{}{}-{}*", name(r), r.below(3), r.below(10)),
        6 => format!("{}{}-{}.EXAMPLE", name(r), r.below(3), r.below(100)),
        7 => format!("{}?-{}.example", name(r), r.below(100)),
        8 => format!("@D{}.example", r.below(100)),
        _ => unreachable!(),
    }
}

/// The remotes' (ip, ehlo, senders).
fn random_remote(r: &mut Rng) -> (String, String, Vec<String>) {
    let ip = match r.below(2) {
        0 => format!("10.{}.{}.{}", r.below(8), r.below(8), r.below(16)),
        _ => format!("2001:db8::{:x}", r.below(4096)),
    };
    let ehlo = format!(
        "{}{}-{}.example",
        ["mx", "scan", "relay", "smtp"][r.below(4) as usize],
        r.below(3),
        r.below(100)
    );
    let senders = (0..r.below(3))
        .map(|_| format!("u@d{}.EXAMPLE", r.below(100)))
        .collect();
    (ip, ehlo, senders)
}

/// A row as a second, plain implementation reads it: an address and a
/// prefix length compared bit by bit, a glob of `*` and `?` matched by
/// recursion, a domain compared in lowercase.
enum Plain {
    Domain(String),
    Glob(String),
    Net(IpAddr, usize),
}

impl Plain {
    fn new(m: &str) -> Plain {
        if let Some(d) = m.strip_prefix('@') {
            return Plain::Domain(d.to_lowercase());
        }
        let (addr, bits) = m.split_once('/').unwrap_or((m, "128"));
        let Ok(addr) = addr.parse::<IpAddr>() else {
            return Plain::Glob(m.to_ascii_lowercase());
        };
        let width = if addr.is_ipv4() { 32 } else { 128 };
        Plain::Net(addr, bits.parse::<usize>().unwrap().min(width))
    }

    fn matches(&self, ip: &str, ehlo: &str, senders: &[String]) -> bool {
        match self {
            Plain::Domain(d) => senders
                .iter()
                .any(|s| s.rsplit('@').next().unwrap().to_lowercase() == *d),
            Plain::Glob(g) => star_match(g.as_bytes(), ehlo.to_ascii_lowercase().as_bytes()),
            Plain::Net(net, bits) => {
                let bit = |a: &[u8], i: usize| a[i / 8] >> (7 - i % 8) & 1;
                let (a, b) = match (net, ip.parse::<IpAddr>().unwrap()) {
                    (IpAddr::V4(n), IpAddr::V4(a)) => (n.octets().to_vec(), a.octets().to_vec()),
                    (IpAddr::V6(n), IpAddr::V6(a)) => (n.octets().to_vec(), a.octets().to_vec()),
                    _ => return false,
                };
                (0..*bits).all(|i| bit(&a, i) == bit(&b, i))
            }
        }
    }
}

/// `*` any run of bytes, `?` one (the text is ASCII), every other byte
/// itself.
fn star_match(glob: &[u8], text: &[u8]) -> bool {
    match glob.split_first() {
        None => text.is_empty(),
        Some((b'*', rest)) => (0..=text.len()).any(|i| star_match(rest, &text[i..])),
        Some((b'?', rest)) => !text.is_empty() && star_match(rest, &text[1..]),
        Some((c, rest)) => text.first() == Some(c) && star_match(rest, &text[1..]),
    }
}

#[test]
fn the_index_finds_what_trying_each_row_in_turn_finds() {
    let mut r = Rng::new(0x2545_F491_4F6C_DD1D, 0);
    let rows: Vec<String> = (0..300).map(|_| random_match(&mut r)).collect();
    let text = rows
        .iter()
        .fold("match,owner,contact\n".to_string(), |t, m| t + m + ",o,\n");
    let o = owners(&text);
    let plain: Vec<Plain> = rows.iter().map(|m| Plain::new(m)).collect();
    let mut kinds = Vec::new();
    for _ in 0..3000 {
        let (ip, ehlo, senders) = random_remote(&mut r);
        let senders_bytes = senders.iter().map(|s| s.as_bytes());
        let got = o.owner_of(ip.as_bytes(), [ehlo.as_bytes()], senders_bytes);
        let want = plain.iter().position(|p| p.matches(&ip, &ehlo, &senders));
        let context = format!("{ip} {ehlo} {senders:?}");
        assert_eq!(
            got.map(|row| row.line),
            want.map(|i| i as u64 + 2),
            "{context}"
        );
        kinds.push(got.map(Row::kind));
    }
    // Remotes with no owner, and owners found by each kind of row.
    for kind in [
        None,
        Some(Kind::Ip),
        Some(Kind::Cidr),
        Some(Kind::EhloGlob),
        Some(Kind::SenderDomain),
    ] {
        let n = kinds.iter().filter(|k| **k == kind).count();
        assert!(n >= 20, "{kind:?}: {n} of 3000");
    }
}

#[test]
fn the_guides_example_file_means_what_the_guide_says() {
    let guide = include_str!("../../docs/guide.md");
    let section = guide.split("## Owners: whom to call").nth(1).unwrap();
    let example = section.split("```\n").nth(1).unwrap();
    let o = owners(example);
    assert_eq!(o.rows().len(), 6);
    let by_ip = |ip| owner(&o, ip, None, &[]);
    assert_eq!(by_ip("10.20.0.15").as_deref(), Some("Print room"));
    assert_eq!(by_ip("10.20.7.7").as_deref(), Some("Facilities, 3rd floor"));
    assert_eq!(by_ip("192.0.2.1").as_deref(), Some("Network team"));
    // SCAN-* comes before 10.20.0.0/16; 0.0.0.0/0 is last, after the
    // domain.
    let scanner = owner(&o, "10.20.0.16", Some("scan-2"), &[]);
    assert_eq!(scanner.as_deref(), Some("Facilities"));
    let fabrikam = owner(&o, "192.0.2.1", None, &["a@FABRIKAM.example"]);
    assert_eq!(fabrikam.as_deref(), Some("Fabrikam mail team"));
    let partner = o.owner_of(b"192.0.2.1", [&b"MX.Partner.example"[..]], []);
    assert_eq!(
        partner.map(|r| &*r.contact),
        Some("Jane Roe <jane@partner.example>")
    );
}
