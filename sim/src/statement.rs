//! The statements the simulator understands, parsed from SQL text.
//!
//! `SELECT` text goes to the SQL engine (see `views`); the OceanBase commands are
//! parsed here by a small tokenizer after OceanBase's grammar
//! (`src/sql/parser/sql_parser_mysql_mode.y` [S4.2.2], summarised in
//! `shared/reference/oceanbase-backup.md` §0.4 and §2.3). Anything else is a
//! 1064 parse error naming the text near the problem, never a silent OK.

use crate::error::ObError;

/// One token of statement text.
#[derive(Debug, Clone, PartialEq)]
pub enum Token {
    /// A bare word; `upper` is its upper-case form for keyword matching.
    Word {
        /// The text as written.
        text: String,
        /// The text in upper case, for keyword matching.
        upper: String,
    },
    /// A quoted string literal, unescaped.
    Str(String),
    /// A number as written.
    Number(String),
    /// One punctuation character.
    Punct(char),
}

/// A token with the byte offset where it starts (for "near '…'" messages).
#[derive(Debug, Clone, PartialEq)]
struct Spanned {
    token: Token,
    at: usize,
}

fn tokenize(sql: &str) -> Result<Vec<Spanned>, ObError> {
    let bytes = sql.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        let c = bytes[i];
        if c.is_ascii_whitespace() {
            i += 1;
        } else if c == b'\'' || c == b'"' {
            let quote = c;
            let start = i;
            i += 1;
            let mut text = Vec::new();
            loop {
                let Some(&b) = bytes.get(i) else {
                    return Err(ObError::parse(&sql[start..]));
                };
                if b == b'\\' {
                    let Some(&next) = bytes.get(i + 1) else {
                        return Err(ObError::parse(&sql[start..]));
                    };
                    // MySQL's escapes in string literals (MySQL 5.7 reference,
                    // "String Literals", table of special character escapes).
                    text.push(match next {
                        b'n' => b'\n',
                        b't' => b'\t',
                        b'r' => b'\r',
                        b'b' => 0x08,
                        b'Z' => 0x1a,
                        b'0' => 0,
                        other => other,
                    });
                    i += 2;
                } else if b == quote {
                    if bytes.get(i + 1) == Some(&quote) {
                        text.push(quote);
                        i += 2;
                    } else {
                        i += 1;
                        break;
                    }
                } else {
                    text.push(b);
                    i += 1;
                }
            }
            out.push(Spanned {
                token: Token::Str(String::from_utf8_lossy(&text).into_owned()),
                at: start,
            });
        } else if c == b'`' {
            let start = i;
            let end = sql[i + 1..]
                .find('`')
                .ok_or_else(|| ObError::parse(&sql[start..]))?;
            let text = sql[i + 1..i + 1 + end].to_string();
            out.push(Spanned {
                token: Token::Word {
                    upper: text.to_uppercase(),
                    text,
                },
                at: start,
            });
            i += end + 2;
        } else if c.is_ascii_digit() {
            let start = i;
            while i < bytes.len() && (bytes[i].is_ascii_alphanumeric() || bytes[i] == b'.') {
                i += 1;
            }
            out.push(Spanned {
                token: Token::Number(sql[start..i].to_string()),
                at: start,
            });
        } else if c.is_ascii_alphabetic() || c == b'_' || c == b'@' || c == b'$' {
            let start = i;
            while i < bytes.len()
                && (bytes[i].is_ascii_alphanumeric()
                    || matches!(bytes[i], b'_' | b'@' | b'$' | b'.'))
            {
                i += 1;
            }
            let text = sql[start..i].to_string();
            out.push(Spanned {
                token: Token::Word {
                    upper: text.to_uppercase(),
                    text,
                },
                at: start,
            });
        } else {
            out.push(Spanned {
                token: Token::Punct(c as char),
                at: i,
            });
            i += 1;
        }
    }
    Ok(out)
}

/// The value side of `ALTER SYSTEM SET name = value`.
#[derive(Debug, Clone, PartialEq)]
pub enum SetValue {
    /// `'text'`
    Str(String),
    /// A number or bare word as written (`10`, `True`).
    Bare(String),
}

impl SetValue {
    /// The value as text.
    pub fn text(&self) -> &str {
        match self {
            SetValue::Str(s) | SetValue::Bare(s) => s,
        }
    }
}

/// `TENANT [=] …` on ALTER SYSTEM statements.
#[derive(Debug, Clone, PartialEq)]
pub enum TenantList {
    /// `all` (4.x: every user tenant).
    All,
    /// `all_user` (4.2.1+).
    AllUser,
    /// `all_meta` (4.2.1+).
    AllMeta,
    /// Named tenants, in the order written.
    Names(Vec<String>),
}

/// One `name = value [TENANT = t]` item of `ALTER SYSTEM SET`.
#[derive(Debug, Clone, PartialEq)]
pub struct SetItem {
    /// Parameter or backup-config name, lower-cased (the resolver lower-cases names).
    pub name: String,
    /// The value.
    pub value: SetValue,
    /// The TENANT clause, if given.
    pub tenant: Option<TenantList>,
}

/// A parsed statement.
#[derive(Debug, Clone, PartialEq)]
pub enum Statement {
    /// `SELECT …`: run on the SQL engine over the views.
    Select(String),
    /// `SHOW PARAMETERS [LIKE 'pattern'] [TENANT [=] t]`.
    ShowParameters {
        /// The LIKE pattern, if any.
        like: Option<String>,
        /// The tenant.
        tenant: Option<String>,
    },
    /// `ALTER SYSTEM SET item [, item …]`.
    AlterSystemSet(Vec<SetItem>),
    /// `ALTER SYSTEM ARCHIVELOG | NOARCHIVELOG [TENANT [=] …] [DESCRIPTION [=] '…']`.
    Archivelog {
        /// ARCHIVELOG (true) or NOARCHIVELOG (false).
        enable: bool,
        /// The TENANT clause, if any.
        tenants: Option<TenantList>,
    },
    /// `ALTER SYSTEM CANCEL BACKUP [TENANT [=] …]`.
    CancelBackup {
        /// The TENANT clause, if any.
        tenants: Option<TenantList>,
    },
    /// `SET var = value [, …]` or `SET NAMES …`: session variables; the names are lower-case.
    SetSession(Vec<String>),
    /// `SET ENCRYPTION ON IDENTIFIED BY 'password' ONLY` (reference §2.3).
    SetEncryption {
        /// The password (a session secret).
        password: String,
    },
    /// `ALTER SYSTEM MINOR FREEZE` (3.x: recommended before ARCHIVELOG, reference §1.5 A).
    MinorFreeze,
    /// `ALTER SYSTEM START BACKUP ARCHIVELOG` / `STOP BACKUP ARCHIVELOG` (3.x round mode, §1.3).
    BackupArchivelog {
        /// START (true) or STOP (false).
        start: bool,
    },
    /// `ALTER SYSTEM BACKUP BACKUPPIECE {ALL [NOT BACKED UP n TIMES] | [=] n} [WITH ACTIVE]
    /// [BACKUP_BACKUP_DEST [=] 'uri']` (3.x piece mode, §1.3).
    BackupBackupPiece {
        /// A piece id, or `None` for ALL.
        piece: Option<u64>,
        /// `NOT BACKED UP n TIMES`, if given.
        times: Option<u64>,
        /// `WITH ACTIVE` was given.
        with_active: bool,
        /// `BACKUP_BACKUP_DEST`, if given.
        dest: Option<String>,
    },
    /// `ALTER SYSTEM CANCEL BACKUP BACKUPPIECE` (3.x).
    CancelBackupBackupPiece,
    /// `ALTER SYSTEM BACKUP [INCREMENTAL] {DATABASE | TENANT [=] t1[, …]} [PLUS ARCHIVELOG]
    /// [TO [=] 'uri'] [DESCRIPTION [=] '…']` (reference §2.3).
    Backup {
        /// `INCREMENTAL` was given.
        incremental: bool,
        /// The TENANT clause, if any.
        tenants: Option<TenantList>,
        /// `PLUS ARCHIVELOG` was given.
        plus_archivelog: bool,
        /// `TO 'uri'` was given (refused).
        to: bool,
    },
    /// `ALTER SYSTEM ADD DELETE BACKUP POLICY [=] 'name' [RECOVERY_WINDOW [=] '…']
    /// [REDUNDANCY [=] n] [BACKUP_COPIES [=] n] [TENANT [=] …]` and `ALTER SYSTEM
    /// DROP DELETE BACKUP POLICY [=] 'name' [TENANT [=] …]` (4.x; options in
    /// this order only: v4.2.2_CE_BP1 `src/sql/parser/sql_parser_mysql_mode.y`,
    /// rules `policy_name`, `opt_recovery_window`, `opt_redundancy`, `opt_backup_copies`).
    DeletePolicy {
        /// ADD (true) or DROP (false).
        add: bool,
        /// The policy name as written.
        name: String,
        /// `RECOVERY_WINDOW`, if given.
        recovery_window: Option<String>,
        /// `REDUNDANCY`, if given.
        redundancy: Option<i64>,
        /// The TENANT clause, if any.
        tenants: Option<TenantList>,
    },
    /// An empty statement (`;` alone): MySQL answers OK.
    Empty,
}

/// Parses one statement. Errors are OceanBase's 1064 with the text near the problem.
pub fn parse(sql: &str) -> Result<Statement, ObError> {
    let trimmed = sql.trim().trim_end_matches(';').trim();
    if trimmed.is_empty() {
        return Ok(Statement::Empty);
    }
    let tokens = tokenize(trimmed)?;
    if matches!(tokens.first().map(|t| &t.token), Some(Token::Word { upper, .. }) if upper == "SELECT")
    {
        return Ok(Statement::Select(trimmed.to_string()));
    }
    let mut p = Parser {
        sql: trimmed,
        tokens,
        pos: 0,
    };
    let statement = p.statement()?;
    if let Some(extra) = p.tokens.get(p.pos) {
        return Err(ObError::parse(&trimmed[extra.at..]));
    }
    Ok(statement)
}

struct Parser<'a> {
    sql: &'a str,
    tokens: Vec<Spanned>,
    pos: usize,
}

impl Parser<'_> {
    fn error_here(&self) -> ObError {
        match self.tokens.get(self.pos) {
            Some(t) => ObError::parse(&self.sql[t.at..]),
            None => ObError::parse(""),
        }
    }

    fn peek_word(&self) -> Option<&str> {
        match self.tokens.get(self.pos).map(|t| &t.token) {
            Some(Token::Word { upper, .. }) => Some(upper.as_str()),
            _ => None,
        }
    }

    fn eat_word(&mut self, keyword: &str) -> bool {
        if self.peek_word() == Some(keyword) {
            self.pos += 1;
            true
        } else {
            false
        }
    }

    fn expect_word(&mut self, keyword: &str) -> Result<(), ObError> {
        if self.eat_word(keyword) {
            Ok(())
        } else {
            Err(self.error_here())
        }
    }

    fn eat_punct(&mut self, c: char) -> bool {
        if matches!(self.tokens.get(self.pos).map(|t| &t.token), Some(Token::Punct(p)) if *p == c) {
            self.pos += 1;
            true
        } else {
            false
        }
    }

    fn next_token(&mut self) -> Option<Token> {
        let token = self.tokens.get(self.pos).map(|t| t.token.clone());
        if token.is_some() {
            self.pos += 1;
        }
        token
    }

    /// A name or a quoted string (`relation_name_or_string`).
    fn name_or_string(&mut self) -> Result<String, ObError> {
        match self.next_token() {
            Some(Token::Word { text, .. }) | Some(Token::Str(text)) => Ok(text),
            _ => {
                self.pos = self.pos.saturating_sub(1);
                Err(self.error_here())
            }
        }
    }

    fn statement(&mut self) -> Result<Statement, ObError> {
        match self.peek_word() {
            Some("SELECT") => Ok(Statement::Select(self.sql.to_string())),
            Some("SHOW") => {
                self.pos += 1;
                self.show()
            }
            Some("ALTER") => {
                self.pos += 1;
                self.expect_word("SYSTEM")?;
                self.alter_system()
            }
            Some("SET") => {
                self.pos += 1;
                self.set_session()
            }
            _ => Err(self.error_here()),
        }
    }

    fn show(&mut self) -> Result<Statement, ObError> {
        self.expect_word("PARAMETERS")?;
        let mut like = None;
        if self.eat_word("LIKE") {
            match self.next_token() {
                Some(Token::Str(s)) => like = Some(s),
                _ => {
                    self.pos = self.pos.saturating_sub(1);
                    return Err(self.error_here());
                }
            }
        }
        let mut tenant = None;
        if self.eat_word("TENANT") {
            self.eat_punct('=');
            tenant = Some(self.name_or_string()?);
        }
        Ok(Statement::ShowParameters { like, tenant })
    }

    fn tenant_list(&mut self) -> Result<Option<TenantList>, ObError> {
        if !self.eat_word("TENANT") {
            return Ok(None);
        }
        self.eat_punct('=');
        let mut names = vec![self.name_or_string()?];
        while self.eat_punct(',') {
            names.push(self.name_or_string()?);
        }
        if names.len() == 1 {
            match names[0].to_lowercase().as_str() {
                "all" => return Ok(Some(TenantList::All)),
                "all_user" => return Ok(Some(TenantList::AllUser)),
                "all_meta" => return Ok(Some(TenantList::AllMeta)),
                _ => {}
            }
        }
        Ok(Some(TenantList::Names(names)))
    }

    /// A string literal (`STRING_VALUE`), or 1064 here.
    fn string(&mut self) -> Result<String, ObError> {
        match self.tokens.get(self.pos).map(|t| &t.token) {
            Some(Token::Str(s)) => {
                let s = s.clone();
                self.pos += 1;
                Ok(s)
            }
            _ => Err(self.error_here()),
        }
    }

    /// An integer literal (`INTNUM`), or 1064 here.
    fn integer(&mut self) -> Result<i64, ObError> {
        match self.tokens.get(self.pos).map(|t| &t.token) {
            Some(Token::Number(n)) => {
                let value = n.parse().map_err(|_| self.error_here())?;
                self.pos += 1;
                Ok(value)
            }
            _ => Err(self.error_here()),
        }
    }

    fn description(&mut self) -> Result<(), ObError> {
        if self.eat_word("DESCRIPTION") {
            self.eat_punct('=');
            match self.next_token() {
                Some(Token::Str(_)) => {}
                _ => {
                    self.pos = self.pos.saturating_sub(1);
                    return Err(self.error_here());
                }
            }
        }
        Ok(())
    }

    fn alter_system(&mut self) -> Result<Statement, ObError> {
        match self.peek_word() {
            Some("SET") => {
                self.pos += 1;
                let mut items = vec![self.set_item()?];
                while self.eat_punct(',') {
                    items.push(self.set_item()?);
                }
                Ok(Statement::AlterSystemSet(items))
            }
            Some(word @ ("ARCHIVELOG" | "NOARCHIVELOG")) => {
                let enable = word == "ARCHIVELOG";
                self.pos += 1;
                let tenants = self.tenant_list()?;
                self.description()?;
                Ok(Statement::Archivelog { enable, tenants })
            }
            Some("CANCEL") => {
                self.pos += 1;
                self.expect_word("BACKUP")?;
                if self.eat_word("BACKUPPIECE") {
                    return Ok(Statement::CancelBackupBackupPiece);
                }
                let tenants = self.tenant_list()?;
                Ok(Statement::CancelBackup { tenants })
            }
            Some("MINOR") => {
                self.pos += 1;
                self.expect_word("FREEZE")?;
                Ok(Statement::MinorFreeze)
            }
            Some(word @ ("ADD" | "DROP")) => {
                let add = word == "ADD";
                self.pos += 1;
                self.expect_word("DELETE")?;
                self.expect_word("BACKUP")?;
                self.expect_word("POLICY")?;
                self.eat_punct('=');
                let name = self.string()?;
                let (mut recovery_window, mut redundancy) = (None, None);
                if add {
                    if self.eat_word("RECOVERY_WINDOW") {
                        self.eat_punct('=');
                        recovery_window = Some(self.string()?);
                    }
                    if self.eat_word("REDUNDANCY") {
                        self.eat_punct('=');
                        redundancy = Some(self.integer()?);
                    }
                    if self.eat_word("BACKUP_COPIES") {
                        self.eat_punct('=');
                        self.integer()?;
                    }
                }
                let tenants = self.tenant_list()?;
                Ok(Statement::DeletePolicy {
                    add,
                    name,
                    recovery_window,
                    redundancy,
                    tenants,
                })
            }
            Some(word @ ("START" | "STOP")) => {
                let start = word == "START";
                self.pos += 1;
                self.expect_word("BACKUP")?;
                self.expect_word("ARCHIVELOG")?;
                Ok(Statement::BackupArchivelog { start })
            }
            Some("BACKUP") if matches!(self.tokens.get(self.pos + 1).map(|t| &t.token), Some(Token::Word { upper, .. }) if upper == "BACKUPPIECE") =>
            {
                self.pos += 2;
                let (piece, times) = if self.eat_word("ALL") {
                    let times = if self.eat_word("NOT") {
                        self.expect_word("BACKED")?;
                        self.expect_word("UP")?;
                        let n = match self.next_token() {
                            Some(Token::Number(n)) => {
                                n.parse::<u64>().map_err(|_| self.error_here())?
                            }
                            _ => return Err(self.error_here()),
                        };
                        self.expect_word("TIMES")?;
                        Some(n)
                    } else {
                        None
                    };
                    (None, times)
                } else {
                    self.eat_punct('=');
                    match self.next_token() {
                        Some(Token::Number(n)) => {
                            (Some(n.parse::<u64>().map_err(|_| self.error_here())?), None)
                        }
                        _ => return Err(self.error_here()),
                    }
                };
                let with_active = if self.eat_word("WITH") {
                    self.expect_word("ACTIVE")?;
                    true
                } else {
                    false
                };
                let dest = if self.eat_word("BACKUP_BACKUP_DEST") {
                    self.eat_punct('=');
                    match self.next_token() {
                        Some(Token::Str(s)) => Some(s),
                        _ => return Err(self.error_here()),
                    }
                } else {
                    None
                };
                Ok(Statement::BackupBackupPiece {
                    piece,
                    times,
                    with_active,
                    dest,
                })
            }
            Some("BACKUP") => {
                self.pos += 1;
                let incremental = self.eat_word("INCREMENTAL");
                // The tenant list is optional: `ALTER SYSTEM BACKUP [INCREMENTAL]
                // opt_backup_tenant_list …` (v4.2.2_CE_BP1
                // src/sql/parser/sql_parser_mysql_mode.y); without one it backs
                // up every tenant, as DATABASE does.
                let tenants = if self.eat_word("DATABASE") {
                    None
                } else if self.peek_word() == Some("TENANT") {
                    self.tenant_list()?
                } else {
                    None
                };
                let plus_archivelog = if self.eat_word("PLUS") {
                    self.expect_word("ARCHIVELOG")?;
                    true
                } else {
                    false
                };
                let to = if self.eat_word("TO") {
                    self.eat_punct('=');
                    match self.next_token() {
                        Some(Token::Str(_)) => true,
                        _ => return Err(self.error_here()),
                    }
                } else {
                    false
                };
                self.description()?;
                Ok(Statement::Backup {
                    incremental,
                    tenants,
                    plus_archivelog,
                    to,
                })
            }
            _ => Err(self.error_here()),
        }
    }

    fn set_item(&mut self) -> Result<SetItem, ObError> {
        let name = match self.next_token() {
            Some(Token::Word { text, .. }) => text.to_lowercase(),
            _ => {
                self.pos = self.pos.saturating_sub(1);
                return Err(self.error_here());
            }
        };
        if !self.eat_punct('=') {
            return Err(self.error_here());
        }
        let value = match self.next_token() {
            Some(Token::Str(s)) => SetValue::Str(s),
            Some(Token::Number(n)) => SetValue::Bare(n),
            Some(Token::Word { text, .. }) => SetValue::Bare(text),
            Some(Token::Punct('-')) => match self.next_token() {
                Some(Token::Number(n)) => SetValue::Bare(format!("-{n}")),
                _ => return Err(self.error_here()),
            },
            _ => {
                self.pos = self.pos.saturating_sub(1);
                return Err(self.error_here());
            }
        };
        if self.eat_word("COMMENT") {
            match self.next_token() {
                Some(Token::Str(_)) => {}
                _ => return Err(self.error_here()),
            }
        }
        if self.eat_word("SCOPE") {
            self.eat_punct('=');
            if !(self.eat_word("MEMORY") || self.eat_word("SPFILE") || self.eat_word("BOTH")) {
                return Err(self.error_here());
            }
        }
        if self.eat_word("SERVER") || self.eat_word("ZONE") {
            self.eat_punct('=');
            self.name_or_string()?;
        }
        let tenant = if self.eat_word("TENANT") {
            self.eat_punct('=');
            let name = self.name_or_string()?;
            Some(match name.to_lowercase().as_str() {
                "all" => TenantList::All,
                "all_user" => TenantList::AllUser,
                "all_meta" => TenantList::AllMeta,
                _ => TenantList::Names(vec![name]),
            })
        } else {
            None
        };
        Ok(SetItem {
            name,
            value,
            tenant,
        })
    }

    /// `SET NAMES …` / `SET [SESSION|@@session.]var = expr, …`. The expression is
    /// skipped up to the next top-level comma (it may hold a sub-query, as sqlx's
    /// connect preamble does).
    fn set_session(&mut self) -> Result<Statement, ObError> {
        if self.eat_word("ENCRYPTION") {
            self.expect_word("ON")?;
            self.expect_word("IDENTIFIED")?;
            self.expect_word("BY")?;
            let password = match self.next_token() {
                Some(Token::Str(p)) => p,
                _ => return Err(self.error_here()),
            };
            self.expect_word("ONLY")?;
            return Ok(Statement::SetEncryption { password });
        }
        let mut names = Vec::new();
        loop {
            let name = match self.next_token() {
                Some(Token::Word { text, upper }) if upper == "NAMES" => {
                    names.push("names".to_string());
                    let _ = text;
                    self.skip_expression();
                    if self.eat_punct(',') {
                        continue;
                    }
                    break;
                }
                Some(Token::Word { upper, .. }) if upper == "SESSION" || upper == "LOCAL" => {
                    match self.next_token() {
                        Some(Token::Word { text, .. }) => text,
                        _ => return Err(self.error_here()),
                    }
                }
                Some(Token::Word { text, .. }) => text,
                _ => {
                    self.pos = self.pos.saturating_sub(1);
                    return Err(self.error_here());
                }
            };
            let bare = name.trim_start_matches("@@").to_lowercase();
            let bare = bare.strip_prefix("session.").unwrap_or(&bare).to_string();
            if !self.eat_punct('=') {
                return Err(self.error_here());
            }
            names.push(bare);
            // `=` needs a value.
            if matches!(
                self.tokens.get(self.pos).map(|t| &t.token),
                None | Some(Token::Punct(','))
            ) {
                return Err(self.error_here());
            }
            self.skip_expression();
            if !self.eat_punct(',') {
                break;
            }
        }
        Ok(Statement::SetSession(names))
    }

    fn skip_expression(&mut self) {
        let mut depth = 0i32;
        while let Some(t) = self.tokens.get(self.pos) {
            match t.token {
                Token::Punct('(') => depth += 1,
                Token::Punct(')') => depth -= 1,
                Token::Punct(',') if depth == 0 => return,
                _ => {}
            }
            self.pos += 1;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_tenant_set() {
        let s =
            parse("ALTER SYSTEM SET ha_low_thread_score = 10 TENANT = all_user").expect("parses");
        assert_eq!(
            s,
            Statement::AlterSystemSet(vec![SetItem {
                name: "ha_low_thread_score".into(),
                value: SetValue::Bare("10".into()),
                tenant: Some(TenantList::AllUser)
            }])
        );
    }

    #[test]
    fn parses_archive_dest_with_quoted_tenant() {
        let s = parse("ALTER SYSTEM SET LOG_ARCHIVE_DEST = 'LOCATION=file:///a BINDING=MANDATORY' TENANT = 'it''s'")
            .expect("parses");
        let Statement::AlterSystemSet(items) = s else {
            panic!("not a set")
        };
        assert_eq!(items[0].name, "log_archive_dest");
        assert_eq!(
            items[0].value.text(),
            "LOCATION=file:///a BINDING=MANDATORY"
        );
        assert_eq!(
            items[0].tenant,
            Some(TenantList::Names(vec!["it's".into()]))
        );
    }

    /// MySQL's escapes in string literals become the characters they name:
    /// `\r` a carriage return, `\Z` ^Z, `\b` a backspace (MySQL 5.7
    /// reference, "String Literals"), as OceanBase's lexer does.
    #[test]
    fn string_escapes_are_unescaped_as_mysql_does() {
        let s = parse(r"ALTER SYSTEM SET backup_dest = 'a\rb\Zc\bd\ne\qf'").expect("parses");
        let Statement::AlterSystemSet(items) = s else {
            panic!("not a set")
        };
        // An unknown escape is the character itself.
        assert_eq!(items[0].value.text(), "a\rb\u{1a}c\u{8}d\neqf");
    }

    #[test]
    fn sqlx_preamble_is_a_session_set() {
        let s = parse("SET sql_mode=(SELECT CONCAT(@@sql_mode, ',PIPES_AS_CONCAT,NO_ENGINE_SUBSTITUTION')),time_zone='+00:00',NAMES utf8mb4")
            .expect("parses");
        assert_eq!(
            s,
            Statement::SetSession(vec!["sql_mode".into(), "time_zone".into(), "names".into()])
        );
    }

    #[test]
    fn unknown_statement_is_1064_near_text() {
        let e = parse("ALTER SYSTEM FROB").expect_err("fails");
        assert_eq!(e.code, 1064);
        assert!(e.message.contains("near 'FROB'"), "{}", e.message);
    }

    #[test]
    fn backup_statements() {
        assert_eq!(
            parse("ALTER SYSTEM BACKUP INCREMENTAL TENANT = t1, t2 PLUS ARCHIVELOG")
                .expect("parses"),
            Statement::Backup {
                incremental: true,
                tenants: Some(TenantList::Names(vec!["t1".into(), "t2".into()])),
                plus_archivelog: true,
                to: false
            }
        );
        assert_eq!(
            parse("ALTER SYSTEM BACKUP DATABASE DESCRIPTION 'x'").expect("parses"),
            Statement::Backup {
                incremental: false,
                tenants: None,
                plus_archivelog: false,
                to: false
            }
        );
        assert_eq!(
            parse("SET ENCRYPTION ON IDENTIFIED BY 'p''w' ONLY").expect("parses"),
            Statement::SetEncryption {
                password: "p'w".into()
            }
        );
    }

    #[test]
    fn ob3_backup_backup_statements() {
        assert_eq!(
            parse("ALTER SYSTEM BACKUP BACKUPPIECE ALL NOT BACKED UP 1 TIMES BACKUP_BACKUP_DEST = 'file:///bb'").expect("parses"),
            Statement::BackupBackupPiece { piece: None, times: Some(1), with_active: false, dest: Some("file:///bb".into()) }
        );
        assert_eq!(
            parse("ALTER SYSTEM BACKUP BACKUPPIECE 3 WITH ACTIVE").expect("parses"),
            Statement::BackupBackupPiece {
                piece: Some(3),
                times: None,
                with_active: true,
                dest: None
            }
        );
        assert_eq!(
            parse("alter system minor freeze").expect("parses"),
            Statement::MinorFreeze
        );
        assert_eq!(
            parse("ALTER SYSTEM STOP BACKUP ARCHIVELOG").expect("parses"),
            Statement::BackupArchivelog { start: false }
        );
        // The doc form with a trailing `WITH ACTIVE BACKUPPIECE` does not parse (reference §1.3).
        assert_eq!(
            parse("ALTER SYSTEM BACKUP BACKUPPIECE ALL WITH ACTIVE BACKUPPIECE")
                .expect_err("1064")
                .code,
            1064
        );
    }

    #[test]
    fn archivelog_tenant_list() {
        let s =
            parse("ALTER SYSTEM NOARCHIVELOG TENANT = t1, t2 DESCRIPTION = 'x'").expect("parses");
        assert_eq!(
            s,
            Statement::Archivelog {
                enable: false,
                tenants: Some(TenantList::Names(vec!["t1".into(), "t2".into()]))
            }
        );
    }
}
