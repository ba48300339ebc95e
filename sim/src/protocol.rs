//! MySQL client/server protocol pieces the simulator needs: packet framing, the
//! HandshakeV10 greeting, HandshakeResponse41 parsing, `mysql_native_password`
//! verification, and the OK / ERR / result-set packets of the text protocol.
//!
//! Source: MySQL client/server protocol documentation (protocol 4.1, "Connection
//! Phase", "Text Protocol"); `shared/reference/rust-stack.md` "Serving the MySQL
//! protocol". OceanBase speaks the same protocol on its MySQL port.
//!
//! Written by hand because the maintained server crates (opensrv-mysql, msql-srv)
//! cannot send OceanBase's own error numbers (4147, 5099, 9036, …): their error
//! kind is a closed enum of MySQL numbers 1000–1885.

use sha1::{Digest, Sha1};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// Client capability flags used here (MySQL `CLIENT_*` constants).
pub mod capability {
    /// `CLIENT_LONG_PASSWORD`.
    pub const LONG_PASSWORD: u32 = 0x0000_0001;
    /// `CLIENT_FOUND_ROWS`.
    pub const FOUND_ROWS: u32 = 0x0000_0002;
    /// `CLIENT_LONG_FLAG`.
    pub const LONG_FLAG: u32 = 0x0000_0004;
    /// `CLIENT_CONNECT_WITH_DB`.
    pub const CONNECT_WITH_DB: u32 = 0x0000_0008;
    /// `CLIENT_PROTOCOL_41`.
    pub const PROTOCOL_41: u32 = 0x0000_0200;
    /// `CLIENT_SSL`: the server offers TLS; in a client's SSLRequest, the
    /// client switches to TLS before its HandshakeResponse.
    pub const SSL: u32 = 0x0000_0800;
    /// `CLIENT_TRANSACTIONS`.
    pub const TRANSACTIONS: u32 = 0x0000_2000;
    /// `CLIENT_SECURE_CONNECTION`.
    pub const SECURE_CONNECTION: u32 = 0x0000_8000;
    /// `CLIENT_MULTI_RESULTS`.
    pub const MULTI_RESULTS: u32 = 0x0002_0000;
    /// `CLIENT_PLUGIN_AUTH`.
    pub const PLUGIN_AUTH: u32 = 0x0008_0000;
    /// `CLIENT_CONNECT_ATTRS`.
    pub const CONNECT_ATTRS: u32 = 0x0010_0000;
    /// `CLIENT_PLUGIN_AUTH_LENENC_DATA`.
    pub const PLUGIN_AUTH_LENENC_DATA: u32 = 0x0020_0000;
    /// `CLIENT_DEPRECATE_EOF`.
    pub const DEPRECATE_EOF: u32 = 0x0100_0000;
}

/// The capabilities the simulator offers, `CLIENT_SSL` added when it serves
/// TLS ([`handshake`]). Without it, clients in `ssl-mode=preferred` go on in
/// plaintext and `required` fails.
pub const SERVER_CAPABILITIES: u32 = capability::LONG_PASSWORD
    | capability::FOUND_ROWS
    | capability::LONG_FLAG
    | capability::CONNECT_WITH_DB
    | capability::PROTOCOL_41
    | capability::TRANSACTIONS
    | capability::SECURE_CONNECTION
    | capability::MULTI_RESULTS
    | capability::PLUGIN_AUTH
    | capability::CONNECT_ATTRS
    | capability::PLUGIN_AUTH_LENENC_DATA
    | capability::DEPRECATE_EOF;

/// `SERVER_STATUS_AUTOCOMMIT`.
const STATUS_AUTOCOMMIT: u16 = 0x0002;
/// utf8mb4_general_ci, the collation OceanBase reports by default.
pub const CHARSET_UTF8MB4: u8 = 45;
const CHARSET_BINARY: u16 = 63;
/// The only authentication plugin the simulator implements.
pub const NATIVE_PASSWORD: &str = "mysql_native_password";

/// Framed packet I/O over a byte stream, tracking the sequence id.
pub struct PacketStream<S> {
    stream: S,
    /// Sequence id of the next packet to send.
    pub sequence: u8,
}

impl<S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin> PacketStream<S> {
    /// Wraps a connected stream.
    pub fn new(stream: S) -> Self {
        Self {
            stream,
            sequence: 0,
        }
    }

    /// The stream, to wrap in TLS after an SSLRequest (the sequence id goes on).
    pub fn into_inner(self) -> S {
        self.stream
    }

    /// Reads one whole packet (joining 16 MiB continuation packets).
    /// Returns `None` on a clean end of stream.
    pub async fn read(&mut self) -> std::io::Result<Option<Vec<u8>>> {
        let mut payload = Vec::new();
        loop {
            let mut header = [0u8; 4];
            match self.stream.read_exact(&mut header).await {
                Ok(_) => {}
                Err(e) if e.kind() == std::io::ErrorKind::UnexpectedEof && payload.is_empty() => {
                    return Ok(None);
                }
                Err(e) => return Err(e),
            }
            let len =
                usize::from(header[0]) | usize::from(header[1]) << 8 | usize::from(header[2]) << 16;
            self.sequence = header[3].wrapping_add(1);
            let start = payload.len();
            payload.resize(start + len, 0);
            self.stream.read_exact(&mut payload[start..]).await?;
            if len < 0xFF_FFFF {
                return Ok(Some(payload));
            }
        }
    }

    /// Writes one packet with the current sequence id (splitting at 16 MiB).
    pub async fn write(&mut self, payload: &[u8]) -> std::io::Result<()> {
        let mut chunks = payload.chunks(0xFF_FFFF).peekable();
        if chunks.peek().is_none() {
            return self.write_frame(&[]).await;
        }
        let mut last_len = 0;
        for chunk in chunks {
            last_len = chunk.len();
            self.write_frame(chunk).await?;
        }
        if last_len == 0xFF_FFFF {
            self.write_frame(&[]).await?;
        }
        Ok(())
    }

    async fn write_frame(&mut self, chunk: &[u8]) -> std::io::Result<()> {
        let len = chunk.len();
        let header = [
            len as u8,
            (len >> 8) as u8,
            (len >> 16) as u8,
            self.sequence,
        ];
        self.sequence = self.sequence.wrapping_add(1);
        self.stream.write_all(&header).await?;
        self.stream.write_all(chunk).await
    }

    /// Flushes buffered bytes.
    pub async fn flush(&mut self) -> std::io::Result<()> {
        self.stream.flush().await
    }
}

/// Appends a length-encoded integer.
pub fn put_lenenc_int(out: &mut Vec<u8>, value: u64) {
    match value {
        0..=250 => out.push(value as u8),
        251..=0xFFFF => {
            out.push(0xFC);
            out.extend_from_slice(&(value as u16).to_le_bytes());
        }
        0x1_0000..=0xFF_FFFF => {
            out.push(0xFD);
            out.extend_from_slice(&(value as u32).to_le_bytes()[..3]);
        }
        _ => {
            out.push(0xFE);
            out.extend_from_slice(&value.to_le_bytes());
        }
    }
}

/// Appends a length-encoded string.
pub fn put_lenenc_str(out: &mut Vec<u8>, value: &[u8]) {
    put_lenenc_int(out, value.len() as u64);
    out.extend_from_slice(value);
}

/// Builds the HandshakeV10 greeting for `server_version` with a 20-byte `salt`.
pub fn handshake(server_version: &str, connection_id: u32, salt: &[u8; 20], tls: bool) -> Vec<u8> {
    let capabilities = SERVER_CAPABILITIES | if tls { capability::SSL } else { 0 };
    let mut out = vec![10u8];
    out.extend_from_slice(server_version.as_bytes());
    out.push(0);
    out.extend_from_slice(&connection_id.to_le_bytes());
    out.extend_from_slice(&salt[..8]);
    out.push(0);
    out.extend_from_slice(&(capabilities as u16).to_le_bytes());
    out.push(CHARSET_UTF8MB4);
    out.extend_from_slice(&STATUS_AUTOCOMMIT.to_le_bytes());
    out.extend_from_slice(&((capabilities >> 16) as u16).to_le_bytes());
    out.push(21);
    out.extend_from_slice(&[0u8; 10]);
    out.extend_from_slice(&salt[8..]);
    out.push(0);
    out.extend_from_slice(NATIVE_PASSWORD.as_bytes());
    out.push(0);
    out
}

/// The fields of a HandshakeResponse41 the simulator uses.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HandshakeResponse {
    /// Capabilities the client asked for.
    pub capabilities: u32,
    /// Login name as sent, e.g. `root@sys`.
    pub username: String,
    /// Scrambled password (20 bytes for `mysql_native_password`, empty for no password).
    pub auth_response: Vec<u8>,
    /// Default schema, if any.
    pub database: Option<String>,
    /// Authentication plugin the client used.
    pub plugin: Option<String>,
}

/// Whether `packet` is an SSLRequest: the 32 bytes of a HandshakeResponse41
/// up to its filler, with `CLIENT_SSL`, sent before the TLS handshake.
pub fn is_ssl_request(packet: &[u8]) -> bool {
    packet.len() == 32
        && packet
            .get(..4)
            .and_then(|b| b.try_into().ok())
            .is_some_and(|b: [u8; 4]| u32::from_le_bytes(b) & capability::SSL != 0)
}

/// Parses a HandshakeResponse41. Errors name the field that was cut short.
pub fn parse_handshake_response(packet: &[u8]) -> Result<HandshakeResponse, String> {
    let mut reader = Reader::new(packet);
    let capabilities = reader.u32().ok_or("capabilities")?;
    if capabilities & capability::PROTOCOL_41 == 0 {
        return Err("client does not speak protocol 4.1".into());
    }
    reader.skip(4 + 1 + 23).ok_or("header")?;
    let username = reader.nul_str().ok_or("username")?;
    let auth_response = if capabilities & capability::PLUGIN_AUTH_LENENC_DATA != 0 {
        let len = reader.lenenc_int().ok_or("auth length")?;
        reader
            .bytes(usize::try_from(len).map_err(|_| "auth length")?)
            .ok_or("auth data")?
            .to_vec()
    } else {
        let len = reader.u8().ok_or("auth length")?;
        reader.bytes(usize::from(len)).ok_or("auth data")?.to_vec()
    };
    let database = if capabilities & capability::CONNECT_WITH_DB != 0 {
        reader.nul_str().filter(|s| !s.is_empty())
    } else {
        None
    };
    let plugin = if capabilities & capability::PLUGIN_AUTH != 0 {
        reader.nul_str()
    } else {
        None
    };
    Ok(HandshakeResponse {
        capabilities,
        username,
        auth_response,
        database,
        plugin,
    })
}

/// Checks a `mysql_native_password` response:
/// `SHA1(password) XOR SHA1(salt ++ SHA1(SHA1(password)))`; an empty password
/// expects an empty response.
pub fn verify_native_password(password: &str, salt: &[u8; 20], response: &[u8]) -> bool {
    if password.is_empty() {
        return response.is_empty();
    }
    let stage1 = Sha1::digest(password.as_bytes());
    let stage2 = Sha1::digest(stage1);
    let mut hasher = Sha1::new();
    hasher.update(salt);
    hasher.update(stage2);
    let mix = hasher.finalize();
    let expected: Vec<u8> = stage1.iter().zip(mix.iter()).map(|(a, b)| a ^ b).collect();
    expected == response
}

/// An AuthSwitchRequest asking the client to use `mysql_native_password`.
pub fn auth_switch(salt: &[u8; 20]) -> Vec<u8> {
    let mut out = vec![0xFE];
    out.extend_from_slice(NATIVE_PASSWORD.as_bytes());
    out.push(0);
    out.extend_from_slice(salt);
    out.push(0);
    out
}

/// An OK packet reporting `affected_rows`.
pub fn ok(affected_rows: u64) -> Vec<u8> {
    let mut out = vec![0x00];
    put_lenenc_int(&mut out, affected_rows);
    put_lenenc_int(&mut out, 0);
    out.extend_from_slice(&STATUS_AUTOCOMMIT.to_le_bytes());
    out.extend_from_slice(&0u16.to_le_bytes());
    out
}

/// The OK packet with header `0xFE` that ends a result set under `CLIENT_DEPRECATE_EOF`.
fn result_end_ok() -> Vec<u8> {
    let mut out = ok(0);
    out[0] = 0xFE;
    out
}

/// A classic EOF packet (clients without `CLIENT_DEPRECATE_EOF`).
fn eof() -> Vec<u8> {
    let mut out = vec![0xFE, 0, 0];
    out.extend_from_slice(&STATUS_AUTOCOMMIT.to_le_bytes());
    out
}

/// An ERR packet: `0xFF`, error number, `#`, five-character SQLSTATE, message.
pub fn err(code: u16, sqlstate: &str, message: &str) -> Vec<u8> {
    let mut out = vec![0xFF];
    out.extend_from_slice(&code.to_le_bytes());
    out.push(b'#');
    let mut state = sqlstate.as_bytes().to_vec();
    state.resize(5, b'0');
    out.extend_from_slice(&state);
    out.extend_from_slice(message.as_bytes());
    out
}

/// Column types the simulator reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ColumnType {
    /// `MYSQL_TYPE_LONGLONG` (BIGINT).
    BigInt,
    /// `MYSQL_TYPE_VAR_STRING` (VARCHAR), utf8mb4.
    Varchar,
    /// `MYSQL_TYPE_NEWDECIMAL`, sent as text.
    Decimal,
}

/// One column of a result set.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Column {
    /// Name as the client sees it (alias when one was given).
    pub name: String,
    /// Wire type.
    pub kind: ColumnType,
}

fn column_definition(column: &Column) -> Vec<u8> {
    let mut out = Vec::new();
    for part in ["def", "oceanbase", "", ""] {
        put_lenenc_str(&mut out, part.as_bytes());
    }
    put_lenenc_str(&mut out, column.name.as_bytes());
    put_lenenc_str(&mut out, column.name.as_bytes());
    out.push(0x0C);
    let (charset, length, type_byte, decimals): (u16, u32, u8, u8) = match column.kind {
        ColumnType::BigInt => (CHARSET_BINARY, 20, 0x08, 0),
        ColumnType::Varchar => (u16::from(CHARSET_UTF8MB4), 65535, 0xFD, 0x1F),
        ColumnType::Decimal => (CHARSET_BINARY, 40, 0xF6, 4),
    };
    out.extend_from_slice(&charset.to_le_bytes());
    out.extend_from_slice(&length.to_le_bytes());
    out.push(type_byte);
    out.extend_from_slice(&0u16.to_le_bytes());
    out.push(decimals);
    out.extend_from_slice(&[0, 0]);
    out
}

/// Encodes a text-protocol result set as a list of packets.
/// `None` cells are SQL NULL (`0xFB`).
pub fn result_set(
    columns: &[Column],
    rows: &[Vec<Option<String>>],
    deprecate_eof: bool,
) -> Vec<Vec<u8>> {
    let mut packets = Vec::with_capacity(rows.len() + columns.len() + 3);
    let mut count = Vec::new();
    put_lenenc_int(&mut count, columns.len() as u64);
    packets.push(count);
    packets.extend(columns.iter().map(column_definition));
    if !deprecate_eof {
        packets.push(eof());
    }
    for row in rows {
        let mut out = Vec::new();
        for cell in row {
            match cell {
                Some(text) => put_lenenc_str(&mut out, text.as_bytes()),
                None => out.push(0xFB),
            }
        }
        packets.push(out);
    }
    packets.push(if deprecate_eof {
        result_end_ok()
    } else {
        eof()
    });
    packets
}

/// A cursor over a packet payload.
struct Reader<'a> {
    data: &'a [u8],
    pos: usize,
}

impl<'a> Reader<'a> {
    fn new(data: &'a [u8]) -> Self {
        Self { data, pos: 0 }
    }
    fn bytes(&mut self, n: usize) -> Option<&'a [u8]> {
        let slice = self.data.get(self.pos..self.pos.checked_add(n)?)?;
        self.pos += n;
        Some(slice)
    }
    fn skip(&mut self, n: usize) -> Option<()> {
        self.bytes(n).map(|_| ())
    }
    fn u8(&mut self) -> Option<u8> {
        self.bytes(1).map(|b| b[0])
    }
    fn u32(&mut self) -> Option<u32> {
        self.bytes(4)
            .map(|b| u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
    }
    fn lenenc_int(&mut self) -> Option<u64> {
        match self.u8()? {
            0xFC => self
                .bytes(2)
                .map(|b| u64::from(u16::from_le_bytes([b[0], b[1]]))),
            0xFD => self
                .bytes(3)
                .map(|b| u64::from(b[0]) | u64::from(b[1]) << 8 | u64::from(b[2]) << 16),
            0xFE => self
                .bytes(8)
                .map(|b| u64::from_le_bytes([b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7]])),
            small => Some(u64::from(small)),
        }
    }
    fn nul_str(&mut self) -> Option<String> {
        let rest = self.data.get(self.pos..)?;
        let end = rest.iter().position(|&b| b == 0).unwrap_or(rest.len());
        let text = String::from_utf8_lossy(&rest[..end]).into_owned();
        self.pos += (end + 1).min(rest.len());
        Some(text)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lenenc_boundaries() {
        let mut out = Vec::new();
        put_lenenc_int(&mut out, 250);
        put_lenenc_int(&mut out, 251);
        put_lenenc_int(&mut out, 70_000);
        assert_eq!(out, vec![250, 0xFC, 251, 0, 0xFD, 0x70, 0x11, 0x01]);
    }

    #[test]
    fn native_password_round_trip() {
        let salt = [7u8; 20];
        let stage1 = Sha1::digest(b"secret");
        let stage2 = Sha1::digest(stage1);
        let mut hasher = Sha1::new();
        hasher.update(salt);
        hasher.update(stage2);
        let mix = hasher.finalize();
        let response: Vec<u8> = stage1.iter().zip(mix.iter()).map(|(a, b)| a ^ b).collect();
        assert!(verify_native_password("secret", &salt, &response));
        assert!(!verify_native_password("other", &salt, &response));
        assert!(verify_native_password("", &salt, &[]));
        assert!(!verify_native_password("", &salt, &response));
    }

    #[test]
    fn err_packet_layout() {
        let packet = err(5099, "42000", "System config unknown");
        assert_eq!(
            &packet[..9],
            &[0xFF, 0xEB, 0x13, b'#', b'4', b'2', b'0', b'0', b'0']
        );
        assert!(packet.ends_with(b"System config unknown"));
    }
}
