//! Against a real OceanBase kernel: seekdb, started by `scripts/test.sh`
//! (`OBBACKUP_SEEKDB_DSN`). Client tests check obbackup's own sqlx path on it;
//! differential tests send the probes of `fixtures/probes.json` to seekdb and to
//! obsim and compare what must agree. There is no skip: without seekdb these
//! tests fail and say how to run them.

use obbackup::db::Session;
use obbackup_planner::live;
use obbackup_planner::secret::Secret;
use obbackup_tests::{Invocation, assert_contains, root};
use sqlx::mysql::{MySqlConnectOptions, MySqlDatabaseError};
use sqlx::{Column, ConnectOptions, Executor, TypeInfo};
use std::str::FromStr;
use std::time::Duration;

fn seekdb_dsn() -> String {
    std::env::var("OBBACKUP_SEEKDB_DSN").unwrap_or_else(|_| {
        panic!("OBBACKUP_SEEKDB_DSN is not set: run the tests with `bash scripts/test.sh cargo test --workspace`, which starts seekdb")
    })
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime")
}

#[test]
fn plan_against_seekdb_names_the_missing_backup_subsystem() {
    let dsn = seekdb_dsn();
    println!(
        "seekdb: {}",
        std::env::var("OBBACKUP_SEEKDB_VERSION").unwrap_or_default()
    );
    let out = Invocation::new(&["plan", "examples/basic-4.2.hcl", "--dsn", &dsn]).run();
    assert_eq!(out.code, 1, "{}", out.all());
    assert_contains(&out.stderr, "seekdb");
    assert_contains(&out.stderr, "no backup subsystem");
    assert!(
        !out.stderr.contains("1146") && !out.stderr.contains("1305"),
        "a raw SQL error leaked: {}",
        out.stderr
    );
}

#[test]
fn parameters_decode_through_the_same_code_as_for_oceanbase() {
    let dsn = Secret::new(seekdb_dsn());
    runtime().block_on(async {
        let mut session = Session::connect(&dsn, Duration::from_secs(30)).await.expect("connects through obbackup's sqlx path");
        let shown = session.query("SHOW PARAMETERS LIKE 'log_disk_size'").await.expect("SHOW PARAMETERS");
        let from_show = live::parameter_values(&shown, "SHOW PARAMETERS", "log_disk_size").expect("decodes");
        let view = session
            .query("SELECT NAME AS name, VALUE AS value FROM oceanbase.V$OB_PARAMETERS WHERE NAME = 'log_disk_size'")
            .await
            .expect("V$OB_PARAMETERS");
        let from_view = live::parameter_values(&view, "V$OB_PARAMETERS", "log_disk_size").expect("decodes");
        // scripts/test.sh starts seekdb with log_disk_size=2G.
        assert_eq!(from_show.values().collect::<Vec<_>>(), ["2G"]);
        assert_eq!(from_view.values().collect::<Vec<_>>(), ["2G"]);
        session.close().await;
    });
}

#[test]
fn server_errors_get_obbackups_own_words() {
    let dsn = Secret::new(seekdb_dsn());
    runtime().block_on(async {
        let mut session = Session::connect(&dsn, Duration::from_secs(30))
            .await
            .expect("connects");
        let cases = [
            (
                "ALTER SYSTEM SET unknown_param = 1",
                5099,
                "does not know this parameter",
            ),
            (
                "ALTER SYSTEM SET log_disk_utilization_threshold = 1000",
                4147,
                "rejected the value",
            ),
            (
                "ALTER SYSTEM ARCHIVELOG",
                1064,
                "did not understand the statement",
            ),
        ];
        for (sql, number, words) in cases {
            let e = session
                .execute(
                    &obbackup_planner::sql::SqlText::plain(sql.into()),
                    Duration::from_secs(30),
                )
                .await
                .expect_err(sql);
            assert_eq!(e.number(), Some(number), "{sql}: {e}");
            assert!(
                obbackup::executor::advice(obbackup_planner::dialect::Dialect::Ob4, &e)
                    .contains(words),
                "{sql}: {}",
                obbackup::executor::advice(obbackup_planner::dialect::Dialect::Ob4, &e)
            );
        }
        session.close().await;
    });
}

/// What one server answered to a probe.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Answer {
    Connected,
    Columns(Vec<(String, String)>),
    Error {
        number: u16,
        sqlstate: String,
        message: String,
    },
    RowsAffected(u64),
}

async fn ask(dsn: &str, probe: &serde_json::Value, side: &str) -> Answer {
    let options = MySqlConnectOptions::from_str(dsn).expect("dsn");
    let mut conn = match options.connect().await {
        Ok(c) => c,
        Err(e) => return error_answer(e),
    };
    let compare = probe["compare"].as_str().unwrap_or("");
    if compare == "connect" {
        return Answer::Connected;
    }
    let sql = probe[format!("{side}_sql")]
        .as_str()
        .or(probe["sql"].as_str())
        .expect("sql")
        .to_string();
    if let Some(bind) = probe["bind"].as_str() {
        return match sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(bind.to_string())
            .fetch_all(&mut conn)
            .await
        {
            Ok(_) => Answer::Connected,
            Err(e) => error_answer(e),
        };
    }
    if compare == "rows_affected" {
        return match conn.execute(sqlx::raw_sql(sqlx::AssertSqlSafe(sql))).await {
            Ok(r) => Answer::RowsAffected(r.rows_affected()),
            Err(e) => error_answer(e),
        };
    }
    match sqlx::raw_sql(sqlx::AssertSqlSafe(sql))
        .fetch_all(&mut conn)
        .await
    {
        Ok(rows) => {
            use sqlx::Row;
            let columns = rows
                .first()
                .map(|r| {
                    r.columns()
                        .iter()
                        .map(|c| (c.name().to_string(), c.type_info().name().to_string()))
                        .collect()
                })
                .unwrap_or_default();
            Answer::Columns(columns)
        }
        Err(e) => error_answer(e),
    }
}

fn error_answer(e: sqlx::Error) -> Answer {
    match e.as_database_error() {
        Some(db) => Answer::Error {
            number: db
                .try_downcast_ref::<MySqlDatabaseError>()
                .map_or(0, MySqlDatabaseError::number),
            sqlstate: db.code().map(|c| c.to_string()).unwrap_or_default(),
            message: db.message().to_string(),
        },
        None => Answer::Error {
            number: 0,
            sqlstate: String::new(),
            message: e.to_string(),
        },
    }
}

/// Keeps the columns both sides have, in seekdb's order.
fn shared(seekdb: &Answer, obsim: &Answer) -> (Answer, Answer) {
    match (seekdb, obsim) {
        (Answer::Columns(a), Answer::Columns(b)) => {
            let names: Vec<&String> = a
                .iter()
                .map(|(n, _)| n)
                .filter(|n| b.iter().any(|(m, _)| m == *n))
                .collect();
            let keep = |cols: &Vec<(String, String)>| {
                Answer::Columns(
                    cols.iter()
                        .filter(|(n, _)| names.contains(&n))
                        .cloned()
                        .collect(),
                )
            };
            (keep(a), keep(b))
        }
        _ => (seekdb.clone(), obsim.clone()),
    }
}

#[test]
fn probes_agree_between_seekdb_and_obsim() {
    let seekdb = seekdb_dsn();
    // Probes go through a stock driver too, with its own statements.
    let sim = obbackup_tests::start_for_other_clients("empty-4.2.json");
    let obsim = sim.dsn("sys");
    let text = std::fs::read_to_string(root().join("fixtures/probes.json")).expect("probes");
    let probes: serde_json::Value = serde_json::from_str(&text).expect("JSON");
    let mut report = Vec::new();
    let mut disagreements = Vec::new();
    runtime().block_on(async {
        for probe in probes["probes"].as_array().expect("probes") {
            let name = probe["name"].as_str().unwrap_or("?");
            let a = ask(&seekdb, probe, "seekdb").await;
            let b = ask(&obsim, probe, "obsim").await;
            let (a, b) = if probe["compare"] == "shared_columns" {
                shared(&a, &b)
            } else {
                (a, b)
            };
            if a == b {
                report.push(format!("agree    {name}: {a:?}"));
            } else {
                disagreements.push(format!("{name}:\n  seekdb {a:?}\n  obsim  {b:?}"));
                report.push(format!("DIFFER   {name}"));
            }
            if let Answer::Columns(c) = &a {
                assert!(
                    !c.is_empty() || probe["compare"] == "connect",
                    "{name}: no column came back from seekdb"
                );
            }
        }
    });
    println!(
        "seekdb: {}\n{}",
        std::env::var("OBBACKUP_SEEKDB_VERSION").unwrap_or_default(),
        report.join("\n")
    );
    assert!(
        disagreements.is_empty(),
        "obsim differs from seekdb:\n{}",
        disagreements.join("\n")
    );
}
