//! The simulator's MySQL protocol as a stock sqlx client sees it: the default
//! connect preamble, the text protocol, and prepared statements refused like
//! OceanBase refuses `?` in SHOW PARAMETERS (reference, seekdb observations).

use sqlx::mysql::{MySqlConnectOptions, MySqlDatabaseError};
use sqlx::{ConnectOptions, Row};
use std::str::FromStr;

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime")
}

#[test]
fn default_sqlx_options_connect_and_text_queries_work() {
    let sim = obbackup_tests::start_for_other_clients("empty-4.2.json");
    runtime().block_on(async {
        let options = MySqlConnectOptions::from_str(&sim.dsn("sys")).expect("dsn");
        let mut conn = options
            .connect()
            .await
            .expect("connects with sqlx's own preamble");
        let rows = sqlx::raw_sql("SELECT ob_version() AS v, effective_tenant_id() AS id")
            .fetch_all(&mut conn)
            .await
            .expect("query");
        assert_eq!(rows[0].get::<String, _>("v"), "4.2.2.1");
        assert_eq!(rows[0].get::<i64, _>("id"), 1);
        let preamble = sim.journal().into_iter().next().expect("journaled");
        assert!(preamble.sql.starts_with("SET sql_mode="), "{preamble:?}");
    });
}

#[test]
fn prepared_show_parameters_is_a_1064_and_wrong_passwords_are_refused() {
    let sim = obbackup_tests::start_for_other_clients("empty-4.2.json");
    runtime().block_on(async {
        let options = MySqlConnectOptions::from_str(&sim.dsn("sys")).expect("dsn");
        let mut conn = options.connect().await.expect("connects");
        let e = sqlx::query("SHOW PARAMETERS LIKE ?")
            .bind("x")
            .fetch_all(&mut conn)
            .await
            .expect_err("refused");
        let db = e.as_database_error().expect("a server error");
        assert_eq!(
            db.try_downcast_ref::<MySqlDatabaseError>()
                .map(MySqlDatabaseError::number),
            Some(1064)
        );
        let bad =
            MySqlConnectOptions::from_str(&format!("mysql://root%40sys:wrong@{}", sim.addr()))
                .expect("dsn");
        let e = bad.connect().await.expect_err("wrong password");
        let db = e.as_database_error().expect("a server error");
        assert_eq!(
            db.try_downcast_ref::<MySqlDatabaseError>()
                .map(MySqlDatabaseError::number),
            Some(1045)
        );
    });
}
