//! The `rekam-agent` command line as an administrator uses it: operators (add, refuse bad
//! input, disable), a TOML config file, online backup while serving, restore refused while the
//! agent runs and working once it is stopped.

use std::path::Path;
use std::process::{Command, Stdio};

use rekam_tests::harness::{PASSWORD, Proc, add_user, agent_exe, run};
use serde_json::{Value, json};

fn fails(cmd: &mut Command) -> String {
    let out = cmd.stdin(Stdio::null()).output().expect("run rekam-agent");
    assert!(!out.status.success(), "{cmd:?} should fail");
    String::from_utf8_lossy(&out.stderr).into_owned()
}

async fn login(http: &reqwest::Client, base: &str, user: &str) -> reqwest::StatusCode {
    http.post(format!("{base}/api/login"))
        .json(&json!({"username": user, "password": PASSWORD}))
        .send()
        .await
        .expect("login")
        .status()
}

async fn open_application(http: &reqwest::Client, base: &str, n: u16) -> anyhow::Result<()> {
    let v: Value = http
        .post(format!("{base}/api/login"))
        .json(&json!({"username": "reg", "password": PASSWORD}))
        .send()
        .await?
        .json()
        .await?;
    let token = v["token"].as_str().unwrap_or_default();
    let r = http
        .post(format!("{base}/api/permohonan"))
        .bearer_auth(token)
        .json(&json!({"penduduk": rekam_tests::harness::resident("130101", n)}))
        .send()
        .await?;
    anyhow::ensure!(r.status().as_u16() == 201, "open: {}", r.text().await?);
    Ok(())
}

fn count(db: &Path) -> i64 {
    let c = rusqlite::Connection::open(db).expect("open");
    c.query_row("SELECT count(*) FROM permohonan", [], |r| r.get(0))
        .expect("count")
}

#[tokio::test]
async fn operators_config_backup_and_restore() -> anyhow::Result<()> {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let dir = tempfile::tempdir()?;
    let data = dir.path().join("data");

    // Operators: bad role, weak password and bad username are refused with the reason.
    let err = fails(
        Command::new(agent_exe())
            .args(["user", "add", "--data"])
            .arg(&data)
            .args(["--username", "x1", "--role", "lurah", "--password-stdin"]),
    );
    assert!(err.contains("peran tidak dikenal"), "{err}");
    let weak = add_user(&data, "reg", "operator-registrasi", "pendek").unwrap_err();
    assert!(weak.to_string().contains("at least 8"), "{weak}");
    let bad = add_user(&data, "Budi Santoso", "operator-registrasi", PASSWORD).unwrap_err();
    assert!(bad.to_string().contains("username"), "{bad}");
    add_user(&data, "reg", "operator-registrasi", PASSWORD)?;
    add_user(&data, "rek", "operator-perekaman", PASSWORD)?;
    let dup = add_user(&data, "reg", "kepala-ukl", PASSWORD).unwrap_err();
    assert!(dup.to_string().contains("already exists"), "{dup}");

    // A config file with an unknown key is refused, naming it.
    let bad_cfg = dir.path().join("salah.toml");
    std::fs::write(
        &bad_cfg,
        "kecamatan = \"130101\"\nlisten_addr = \"127.0.0.1:1\"\n",
    )?;
    let err = fails(
        Command::new(agent_exe())
            .args(["serve", "--config"])
            .arg(&bad_cfg),
    );
    assert!(err.contains("listen_addr"), "{err}");
    let err = fails(
        Command::new(agent_exe())
            .args(["serve", "--data"])
            .arg(&data)
            .args(["--kecamatan", "13010"]),
    );
    assert!(err.contains("kecamatan"), "{err}");

    // Serve from a config file.
    let cfg = dir.path().join("rekam-agent.toml");
    std::fs::write(
        &cfg,
        format!(
            "data = {:?}\nlisten = \"127.0.0.1:0\"\nkecamatan = \"130101\"\n",
            data.display().to_string()
        ),
    )?;
    let mut serve = Command::new(agent_exe());
    serve.args(["serve", "--config"]).arg(&cfg);
    let agent = Proc::spawn(serve, dir.path().join("agent.log"), "listening on ")?;
    let base = format!("http://{}", agent.addr);
    let http = reqwest::Client::builder().no_proxy().build()?;
    open_application(&http, &base, 1).await?;

    // Online backup while serving; then more work that the backup does not have.
    let bak = dir.path().join("cadangan.db");
    let out = run(
        Command::new(agent_exe())
            .args(["backup", "--data"])
            .arg(&data)
            .arg(&bak),
        None,
    )?;
    assert!(out.contains("cadangan selesai"));
    assert_eq!(count(&bak), 1);
    open_application(&http, &base, 2).await?;
    let err = fails(
        Command::new(agent_exe())
            .args(["backup", "--data"])
            .arg(&data)
            .arg(&bak),
    );
    assert!(err.contains("already exists"), "{err}");

    // Restore is refused while the agent runs.
    let err = fails(
        Command::new(agent_exe())
            .args(["restore", "--data"])
            .arg(&data)
            .arg(&bak),
    );
    assert!(err.contains("in use"), "{err}");

    // Disabling an operator ends their access.
    run(
        Command::new(agent_exe())
            .args(["user", "disable", "--data"])
            .arg(&data)
            .args(["--username", "rek"]),
        None,
    )?;
    assert_eq!(login(&http, &base, "rek").await.as_u16(), 401);
    assert_eq!(login(&http, &base, "reg").await.as_u16(), 200);

    // Stop, restore, restart: the office is back to the backup's state.
    agent.stop()?;
    let garbage = dir.path().join("bukan.db");
    std::fs::write(&garbage, b"bukan database")?;
    let err = fails(
        Command::new(agent_exe())
            .args(["restore", "--data"])
            .arg(&data)
            .arg(&garbage),
    );
    assert!(err.contains("not a usable"), "{err}");
    assert_eq!(count(&data.join("rekam-agent.db")), 2);
    run(
        Command::new(agent_exe())
            .args(["restore", "--data"])
            .arg(&data)
            .arg(&bak),
        None,
    )?;
    assert_eq!(count(&data.join("rekam-agent.db")), 1);
    let mut serve = Command::new(agent_exe());
    serve.args(["serve", "--config"]).arg(&cfg);
    let agent = Proc::spawn(serve, dir.path().join("agent2.log"), "listening on ")?;
    let base = format!("http://{}", agent.addr);
    // The backup predates the disable: rek can log in again.
    assert_eq!(login(&http, &base, "rek").await.as_u16(), 200);
    agent.stop()?;
    Ok(())
}
