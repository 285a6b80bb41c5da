//! CSV: a header row with the contract's column names, then one record per
//! row. Quoting is the csv crate's (only where a field needs it).

use super::{Cell, Table};

/// Writes `table` as CSV bytes.
pub fn write(table: &Table) -> Vec<u8> {
    let mut w = ::csv::Writer::from_writer(Vec::new());
    // Writing into a Vec cannot fail.
    w.write_record(&table.columns).expect("in-memory write");
    let mut record = Vec::with_capacity(table.columns.len());
    for row in &table.rows {
        record.clear();
        record.extend(row.iter().map(cell));
        w.write_record(&record).expect("in-memory write");
    }
    w.into_inner().expect("in-memory write")
}

fn cell(c: &Cell) -> String {
    match c {
        Cell::Text(s) => s.clone(),
        Cell::Count(n) => n.to_string(),
        Cell::Bits(Some(n)) => n.to_string(),
        Cell::Bits(None) => String::new(),
        Cell::Flag(b) => b.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::Kind;

    #[test]
    fn quotes_only_where_needed() {
        let t = Table {
            kind: Kind::Failure,
            columns: vec!["direction", "connector", "sessions"],
            rows: vec![vec![
                Cell::Text("send".into()),
                Cell::Text("Relay, \"old\"".into()),
                Cell::Count(3),
            ]],
        };
        assert_eq!(
            String::from_utf8(write(&t)).unwrap(),
            "direction,connector,sessions\nsend,\"Relay, \"\"old\"\"\",3\n"
        );
    }
}
