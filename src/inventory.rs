//! STUB replaced by the inventory reader branch.
use std::path::{Path, PathBuf};

#[derive(Clone, Debug, Default)]
pub struct Inventory {
    pub receive: Vec<ReceiveConnector>,
    pub send: Vec<SendConnector>,
}
#[derive(Clone, Debug, Default)]
pub struct ReceiveConnector {
    pub identity: String,
    pub server: String,
    pub name: String,
    pub role: Option<String>,
    pub enabled: Option<bool>,
    pub bindings: Vec<String>,
    pub logging: Option<Logging>,
    pub require_tls: Option<bool>,
    pub auth: Option<String>,
    pub permission_groups: Option<String>,
    pub fqdn: Option<String>,
    pub file: PathBuf,
    pub line: u64,
}
#[derive(Clone, Debug, Default)]
pub struct SendConnector {
    pub identity: String,
    pub source_servers: Vec<String>,
    pub enabled: Option<bool>,
    pub require_tls: Option<bool>,
    pub tls_auth_level: Option<String>,
    pub address_spaces: Vec<String>,
    pub smart_hosts: Vec<String>,
    pub logging: Option<Logging>,
    pub fqdn: Option<String>,
    pub file: PathBuf,
    pub line: u64,
}
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Logging {
    None,
    Verbose,
}
#[derive(Clone, Debug)]
pub struct Warning {
    pub file: PathBuf,
    pub line: Option<u64>,
    pub message: String,
}
#[derive(Clone, Debug)]
pub struct Error {
    pub file: PathBuf,
    pub line: Option<u64>,
    pub message: String,
}
impl std::fmt::Display for Warning {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.file.display(), self.message)
    }
}
impl std::fmt::Display for Error {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.file.display(), self.message)
    }
}
pub fn is_inventory(_head: &[u8]) -> bool {
    false
}
pub fn read_file(
    _path: &Path,
    _bytes: &[u8],
    _inv: &mut Inventory,
    _warnings: &mut Vec<Warning>,
) -> Result<(), Error> {
    Ok(())
}
impl Inventory {
    pub fn receive_of<'a>(&'a self, server: &'a str) -> impl Iterator<Item = &'a ReceiveConnector> + 'a {
        self.receive.iter().filter(move |c| c.server.eq_ignore_ascii_case(server))
    }
    pub fn send_of<'a>(&'a self, server: &'a str) -> impl Iterator<Item = &'a SendConnector> + 'a {
        self.send
            .iter()
            .filter(move |c| c.source_servers.iter().any(|s| s.eq_ignore_ascii_case(server)))
    }
    pub fn servers(&self) -> Vec<String> {
        Vec::new()
    }
}
impl ReceiveConnector {
    pub fn ports(&self) -> Vec<u16> {
        Vec::new()
    }
}
