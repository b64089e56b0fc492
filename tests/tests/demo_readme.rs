//! The README's run command as a new user runs it: `deploy/demo.sh` starts the hub and three
//! offices, writes their demo history and residents, and prints the dashboard's URL and
//! logins. The test reads those from the script's output (nothing is taken from the script's
//! source), logs in to the dashboard, finds the three offices with synced history there and
//! the planted duplicate (Rahmat Hidayat, recorded in every office) among the open cases, then
//! stops the demo the way the README says (Ctrl-C, here SIGINT) and checks it stopped cleanly.
//!
//! Differences from a user's run, all through the script's own switches: debug binaries of
//! this build (`REKAM_HUB_BIN`, `REKAM_AGENT_BIN`, `REKAM_DEMO_BUILD=0`), a data folder in a
//! temporary directory, and 5 days of history instead of 90 (`REKAM_DEMO_HARI`). The demo's
//! ports are its fixed ones (8443, 8444, 8081-8083).

use std::io::{BufRead as _, BufReader};
use std::os::unix::process::CommandExt as _;
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use rekam_tests::dashboard::Client;
use rekam_tests::harness::{Pki, agent_exe, hub_applications, hub_exe};

/// The demo script's process, in its own process group (as a terminal would run it), stopped
/// when dropped: Ctrl-C (SIGINT to the group), then SIGKILL to the group if it has not stopped
/// within 30 s, so a failed test leaves nothing running on the demo's ports.
struct Demo(std::process::Child);

impl Demo {
    /// What Ctrl-C does in the terminal: SIGINT to the whole foreground process group.
    fn interrupt(&self) {
        let _ = Command::new("kill")
            .args(["-INT", "--", &format!("-{}", self.0.id())])
            .status();
    }
}

impl Drop for Demo {
    fn drop(&mut self) {
        self.interrupt();
        let t = Instant::now();
        while t.elapsed() < Duration::from_secs(30) {
            if let Ok(Some(_)) = self.0.try_wait() {
                break;
            }
            std::thread::sleep(Duration::from_millis(200));
        }
        let _ = Command::new("kill")
            .args(["-KILL", "--", &format!("-{}", self.0.id())])
            .status();
        let _ = self.0.wait();
    }
}

/// The first URL printed on a line that names `label`.
fn url_of<'a>(out: &'a str, label: &str) -> Option<&'a str> {
    out.lines()
        .filter(|l| l.contains(label))
        .find_map(|l| l.split_whitespace().find(|w| w.starts_with("https://")))
}

/// The applications of the cases list's rows that are suspected double identities found by
/// biometrics (their page link), open or decided.
fn duplikat(kasus: &str) -> Vec<String> {
    kasus
        .split("<tr")
        .filter(|row| row.contains("biometrik sama, NIK berbeda"))
        .filter_map(|row| {
            let at = row.find("href=\"/kasus/")? + "href=\"/kasus/".len();
            let id = &row[at..];
            Some(id[..id.find('"')?].to_owned())
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_readme_demo_runs_and_its_dashboard_shows_three_offices_and_the_planted_duplicate() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap();
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("rekam-demo");
    let mut child = Command::new("bash")
        .arg(root.join("deploy/demo.sh"))
        .current_dir(root)
        .env("REKAM_DEMO_DIR", &dir)
        .env("REKAM_DEMO_BUILD", "0")
        .env("REKAM_DEMO_PROFILE", "debug")
        .env("REKAM_DEMO_HARI", "5")
        .env("REKAM_HUB_BIN", hub_exe())
        .env("REKAM_AGENT_BIN", agent_exe())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .process_group(0)
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let demo = Demo(child);
    let (tx, rx) = mpsc::channel::<String>();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            if tx.send(line).is_err() {
                break;
            }
        }
    });

    // The script's output until it says it is running.
    let mut out = String::new();
    let start = Instant::now();
    loop {
        let left = Duration::from_secs(420).saturating_sub(start.elapsed());
        match rx.recv_timeout(left) {
            Ok(line) => {
                out.push_str(&line);
                out.push('\n');
                if line.contains("Ctrl-C stops everything") {
                    break;
                }
            }
            Err(e) => panic!("the demo did not come up ({e}); its output so far:\n{out}"),
        }
    }
    eprintln!("demo up in {:.0} s", start.elapsed().as_secs_f64());
    for k in ["130101", "130103", "130105"] {
        assert!(
            out.contains(&format!("kecamatan {k}")),
            "office {k} not printed:\n{out}"
        );
    }
    let url = url_of(&out, "dashboard").expect("dashboard URL printed");
    assert!(url.starts_with("https://127.0.0.1:"), "{url}");
    let logins = out
        .lines()
        .find(|l| l.contains("logins: admin"))
        .expect("dashboard logins printed");
    let password = logins
        .split('\'')
        .nth(1)
        .expect("the password between quotes");

    // The dashboard, trusting only the demo's CA, as the printed line says.
    let pki = Pki {
        dir: dir.join("pki"),
    };
    let mut web = Client::new(&pki, url).unwrap();
    let a = web.login("adjudikator", password).await.unwrap();
    assert_eq!(a.status, 303, "login as adjudikator: {}", a.body);

    // Every office syncs its history and residents; the hub deduplicates them. Wait until the
    // offices page shows all three and the cases list holds the planted duplicate.
    let deadline = Instant::now() + Duration::from_secs(300);
    let (kantor, kasus) = loop {
        let kantor = web.get("/kantor").await.unwrap();
        let kasus = web.get("/kasus").await.unwrap();
        assert_eq!(kantor.status, 200, "{}", kantor.body);
        assert_eq!(kasus.status, 200, "{}", kasus.body);
        let ok = ["130101", "130103", "130105"]
            .iter()
            .all(|k| kantor.body.contains(k))
            && duplikat(&kasus.body).len() >= 2;
        if ok || Instant::now() > deadline {
            break (kantor.body, kasus.body);
        }
        tokio::time::sleep(Duration::from_secs(2)).await;
    };
    for k in ["130101", "130103", "130105"] {
        assert!(
            kantor.contains(k),
            "office {k} missing on /kantor:\n{kantor}"
        );
    }
    // Rahmat Hidayat went to all three offices: the first recording to reach the hub is his,
    // the other two are suspected double identities (same biometrics, other NIKs), in two
    // other kecamatan, and each case's page shows him.
    let kasus_dup = duplikat(&kasus);
    assert_eq!(
        kasus_dup.len(),
        2,
        "planted duplicates among the cases:\n{kasus}"
    );
    assert_ne!(
        kasus_dup[0][..6],
        kasus_dup[1][..6],
        "two offices: {kasus_dup:?}"
    );
    for id in &kasus_dup {
        let halaman = web.get(&format!("/kasus/{id}")).await.unwrap();
        assert_eq!(halaman.status, 200, "{}", halaman.body);
        assert!(
            halaman.body.contains("Rahmat Hidayat"),
            "case {id} is not the planted resident:\n{}",
            halaman.body
        );
    }

    // Every application the script reported (history and hand-entered residents) reached
    // the hub, once each.
    let dibuat: usize = out
        .lines()
        .filter_map(|l| {
            let n = l.split_once("riwayat demo: ").map(|(_, r)| r).or_else(|| {
                l.contains("demo residents entered")
                    .then(|| l.trim_start().split_once(": ").map_or("", |(_, r)| r))
            })?;
            n.split_whitespace().next()?.parse::<usize>().ok()
        })
        .sum();
    assert!(
        dibuat > 21,
        "history and residents reported: {dibuat}\n{out}"
    );
    let data = dir.join("hub");
    let deadline = Instant::now() + Duration::from_secs(120);
    let mut di_hub = 0;
    while Instant::now() < deadline {
        di_hub = hub_applications(&data).map_or(0, |a| a.len());
        if di_hub >= dibuat {
            break;
        }
        tokio::time::sleep(Duration::from_secs(2)).await;
    }
    assert_eq!(
        di_hub, dibuat,
        "applications at the hub vs reported by the demo"
    );
    let ikhtisar = web.get("/ikhtisar").await.unwrap();
    assert_eq!(ikhtisar.status, 200, "{}", ikhtisar.body);

    // Ctrl-C: everything stops and the script says so.
    demo.interrupt();
    let mut rest = String::new();
    let t = Instant::now();
    while t.elapsed() < Duration::from_secs(30) {
        match rx.recv_timeout(Duration::from_secs(1)) {
            Ok(line) => {
                rest.push_str(&line);
                rest.push('\n');
            }
            Err(mpsc::RecvTimeoutError::Disconnected) => break,
            Err(mpsc::RecvTimeoutError::Timeout) => {}
        }
    }
    assert!(
        rest.contains("stopped; run again to resume"),
        "the demo did not stop cleanly:\n{rest}"
    );
}
