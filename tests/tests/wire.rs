//! Secrets on the wire: a plan whose statements carry secrets is refused,
//! before anything runs, on a connection that may be in clear (a server not
//! on this machine, a DSN that does not require TLS), unless
//! `--allow-plaintext-secrets`; plans without secrets and servers on
//! loopback are not affected; a DSN that requires TLS of a server without
//! it fails to connect, saying so.

use obbackup_tests::{Invocation, sent_alters, temp_config};

const ENCRYPTED: &str = r#"
tenant "*" {
  log_archive {
    enabled     = true
    destination = "file:///nfs/${tenant.name}/archive"
  }
  data_backup {
    destination = "file:///nfs/${tenant.name}/data"
    full { max_age = "7d" }
    encryption { password = env("OBB_PW") }
  }
}
"#;

const PLAIN: &str = r#"
tenant "*" {
  log_archive {
    enabled     = true
    destination = "file:///nfs/${tenant.name}/archive"
  }
}
"#;

/// This machine's address on its outbound interface (not loopback): a UDP
/// socket "connected" to a documentation address sends nothing but learns it.
fn own_address() -> std::net::IpAddr {
    let socket = std::net::UdpSocket::bind("0.0.0.0:0").expect("binds");
    socket
        .connect("192.0.2.1:9")
        .expect("this test needs a network interface besides loopback");
    let ip = socket.local_addr().expect("address").ip();
    assert!(!ip.is_loopback(), "{ip}");
    ip
}

/// A simulator listening on every interface, and a DSN through this
/// machine's own non-loopback address.
fn remote_simulator() -> (obbackup_tests::Sim, String) {
    let fixture = obbackup_tests::fast_fixture("empty-4.2.json");
    let sim = obbackup_tests::Sim(
        obsim::Simulator::start_in_thread_on(&fixture, "0.0.0.0:0").expect("starts"),
    );
    let dsn = format!("mysql://root%40sys@{}:{}", own_address(), sim.addr().port());
    (sim, dsn)
}

#[test]
fn secrets_are_refused_on_a_connection_that_may_be_in_clear() {
    let (sim, dsn) = remote_simulator();
    let env = [("OBB_PW", "Wire-pw-4411")];
    let config = temp_config("wire-encrypted.hcl", ENCRYPTED);
    let refused = Invocation::new(&["apply", &config])
        .dsn(&dsn)
        .envs(&env)
        .auto_approve()
        .fast()
        .run();
    assert_eq!(refused.code, 1, "{}", refused.all());
    assert!(
        refused.stderr.contains("is not required to use TLS")
            && refused.stderr.contains("ssl-mode=required"),
        "{}",
        refused.stderr
    );
    assert!(sent_alters(&sim).is_empty(), "{:#?}", sent_alters(&sim));

    let allowed = Invocation::new(&["apply", &config, "--allow-plaintext-secrets"])
        .dsn(&dsn)
        .envs(&env)
        .auto_approve()
        .wait()
        .fast()
        .run();
    assert_eq!(allowed.code, 0, "{}", allowed.all());
    assert!(!allowed.all().contains("Wire-pw-4411"));
}

#[test]
fn plans_without_secrets_and_servers_on_loopback_are_not_refused() {
    let (_sim, dsn) = remote_simulator();
    let plain = Invocation::new(&["apply", &temp_config("wire-plain.hcl", PLAIN)])
        .dsn(&dsn)
        .auto_approve()
        .fast()
        .run();
    assert_eq!(plain.code, 0, "{}", plain.all());

    let local = obbackup_tests::start("empty-4.2.json");
    let encrypted = Invocation::new(&["apply", &temp_config("wire-local.hcl", ENCRYPTED)])
        .dsn(&local.dsn("sys"))
        .envs(&[("OBB_PW", "Wire-pw-4412")])
        .auto_approve()
        .wait()
        .fast()
        .run();
    assert_eq!(encrypted.code, 0, "{}", encrypted.all());
}

#[test]
fn a_dsn_that_requires_tls_does_not_fall_back_to_clear() {
    let sim = obbackup_tests::start("empty-4.2.json");
    let dsn = format!("{}?ssl-mode=required", sim.dsn("sys"));
    let out = Invocation::new(&["plan", &temp_config("wire-required.hcl", PLAIN)])
        .dsn(&dsn)
        .run();
    assert_eq!(out.code, 1, "{}", out.all());
    assert!(
        out.stderr.contains("cannot connect") && out.stderr.contains("with TLS"),
        "{}",
        out.stderr
    );
    // Nothing but the handshake reached the server: no statement.
    assert!(obbackup_tests::sent(&sim).is_empty());
}

/// A self-signed certificate for this machine's address: (cert PEM, key PEM).
fn self_signed(ip: std::net::IpAddr) -> (String, String) {
    let certified =
        rcgen::generate_simple_self_signed(vec!["localhost".to_string(), ip.to_string()])
            .expect("certificate");
    (certified.cert.pem(), certified.key_pair.serialize_pem())
}

#[test]
fn with_tls_required_secrets_travel_and_a_wrong_ca_is_refused() {
    let ip = own_address();
    let (cert_pem, key_pem) = self_signed(ip);
    let fixture = obbackup_tests::fast_fixture("empty-4.2.json");
    let sim = obbackup_tests::Sim(
        obsim::Simulator::start_in_thread_with_tls(
            &fixture,
            "0.0.0.0:0",
            Some(obsim::TlsIdentity {
                cert_pem: cert_pem.clone(),
                key_pem,
            }),
        )
        .expect("starts"),
    );
    let base = format!("mysql://root%40sys@{ip}:{}", sim.addr().port());
    let env = [("OBB_PW", "Wire-pw-4413")];
    let config = temp_config("wire-tls.hcl", ENCRYPTED);

    // preferred takes TLS here, but promises nothing: still refused.
    let preferred = Invocation::new(&["apply", &config])
        .dsn(&base)
        .envs(&env)
        .auto_approve()
        .fast()
        .run();
    assert_eq!(preferred.code, 1, "{}", preferred.all());
    assert!(
        preferred.stderr.contains("not required to use TLS"),
        "{}",
        preferred.stderr
    );

    // A wrong CA: the certificate is not trusted, nothing is sent.
    let (other_ca, _) = self_signed(ip);
    let other = temp_config("wire-other-ca.pem", &other_ca);
    let wrong = Invocation::new(&["plan", &config])
        .dsn(&format!("{base}?ssl-mode=verify_ca&ssl-ca={other}"))
        .envs(&env)
        .run();
    assert_eq!(wrong.code, 1, "{}", wrong.all());
    assert!(wrong.stderr.contains("with TLS"), "{}", wrong.stderr);
    assert!(sent_alters(&sim).is_empty());

    // The right CA, and plain required: the secrets travel, the apply converges.
    let ca = temp_config("wire-ca.pem", &cert_pem);
    let verified = Invocation::new(&["plan", &config])
        .dsn(&format!("{base}?ssl-mode=verify_ca&ssl-ca={ca}"))
        .envs(&env)
        .run();
    assert_eq!(verified.code, 0, "{}", verified.all());
    let applied = Invocation::new(&["apply", &config])
        .dsn(&format!("{base}?ssl-mode=required"))
        .envs(&env)
        .auto_approve()
        .wait()
        .fast()
        .run();
    assert_eq!(applied.code, 0, "{}", applied.all());
    assert!(sent_alters(&sim).iter().any(|s| s.contains("ARCHIVELOG")));
}
