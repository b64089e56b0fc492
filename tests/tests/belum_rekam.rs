//! Belum rekam at the district, end to end (docs/population-register.md §4): the real
//! `rekam-hub` with its dashboard, a register imported with `rekam-hub penduduk import`, a real
//! office (130101) recording a resident whose address is in ANOTHER kecamatan (130102); the page
//! `/belum-rekam` and its CSV/XLSX exports over HTTPS must equal the lists computed here from
//! the imported file alone (ages by plain date arithmetic, not by `rekam_shared::eligibility`).
//! Only an adjudicator or admin may see it (a viewer gets 403); every look is audited; no NIK
//! in the hub's log.

use std::io::Read as _;
use std::net::SocketAddr;
use std::path::Path;
use std::time::{Duration, Instant};

use chrono::{Datelike, NaiveDate};
use rekam_shared::nik::Nik;
use rekam_shared::penduduk::JenisKelamin;
use rekam_shared::region::KodeKecamatan;
use rekam_tests::dashboard::{self, Client, PASSWORD};
use rekam_tests::harness::{Office, Pki, free_port, hub_applications, resident, run};

const JUDUL: &str = "NIK,NO_KK,NAMA_LGKP,TMPT_LHR,TGL_LHR,JENIS_KLMIN,STAT_KWN,AGAMA,JENIS_PKRJN,ALAMAT,NO_RT,NO_RW,NAMA_KEL,KODE_KEC,STATUS";

/// One row of the extract as the test writes it.
struct Baris {
    nik: String,
    lahir: NaiveDate,
    kawin: bool,
    nagari: &'static str,
    status: &'static str,
}

impl Baris {
    fn csv(&self, no_kk: &str, nama: &str) -> String {
        format!(
            "{},{no_kk},{nama},PAINAN,{},LAKI-LAKI,{},ISLAM,PETANI/PEKEBUN,JL. RAYA NO. 1,001,001,{},13.01.02,{}",
            self.nik,
            self.lahir.format("%d-%m-%Y"),
            if self.kawin { "KAWIN" } else { "BELUM KAWIN" },
            self.nagari,
            self.status
        )
    }
}

fn nik(lahir: NaiveDate, urut: u16) -> String {
    let k = KodeKecamatan::new(13, 1, 2).unwrap();
    Nik::from_parts(k, lahir, JenisKelamin::LakiLaki, urut)
        .unwrap()
        .to_string()
}

/// Years between two dates, counted by the calendar (the test's own arithmetic).
fn umur(lahir: NaiveDate, pada: NaiveDate) -> i32 {
    let mut u = pada.year() - lahir.year();
    if (pada.month(), pada.day()) < (lahir.month(), lahir.day()) {
        u -= 1;
    }
    u
}

fn zip_entry(bytes: &[u8], name: &str) -> String {
    let mut z = zip::ZipArchive::new(std::io::Cursor::new(bytes)).unwrap();
    let mut s = String::new();
    z.by_name(name).unwrap().read_to_string(&mut s).unwrap();
    s
}

fn csv_rows(body: &str) -> Vec<Vec<String>> {
    body.lines()
        .skip(1)
        .map(|l| l.split(',').map(str::to_owned).collect())
        .collect()
}

fn audit(data: &Path) -> Vec<(String, String)> {
    let c = rusqlite::Connection::open(data.join("rekam-hub.db")).unwrap();
    let mut st = c
        .prepare(
            "SELECT actor, detail FROM audit_log WHERE action = 'penduduk.belum_rekam' ORDER BY id",
        )
        .unwrap();
    st.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_district_page_lists_who_must_record_as_computed_from_the_imported_file() {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let root = tempfile::tempdir().unwrap();
    let pki = Pki::init(&root.path().join("pki")).unwrap();
    dashboard::issue_dashboard(&pki).unwrap();
    let data = root.path().join("hub");
    dashboard::add_user(&data, "adj1", "pengadjudikasi", PASSWORD).unwrap();
    dashboard::add_user(&data, "pemantau", "viewer", PASSWORD).unwrap();

    // The resident the office records: NIK of 130101, living in 130102 by the register.
    let r = resident("130101", 1);
    let s = |k: &str| r[k].as_str().unwrap().to_owned();
    let lahir_r = NaiveDate::parse_from_str(&s("tanggal_lahir"), "%Y-%m-%d").unwrap();
    let hari = chrono::Utc::now()
        .with_timezone(&chrono::FixedOffset::east_opt(7 * 3600).unwrap())
        .date_naive();
    let tahun_lalu = |y: i32, tambah: i64| {
        NaiveDate::from_ymd_opt(hari.year() - y, hari.month(), hari.day().min(28)).unwrap()
            + chrono::TimeDelta::days(tambah)
    };
    let baris = [
        // Recorded at the office of 130101: not listed.
        Baris {
            nik: s("nik"),
            lahir: lahir_r,
            kawin: false,
            nagari: "SURANTIH",
            status: "AKTIF",
        },
        Baris {
            nik: nik(tahun_lalu(40, 0), 1),
            lahir: tahun_lalu(40, 0),
            kawin: true,
            nagari: "SURANTIH",
            status: "AKTIF",
        },
        Baris {
            nik: nik(tahun_lalu(50, 0), 2),
            lahir: tahun_lalu(50, 0),
            kawin: true,
            nagari: "SURANTIH",
            status: "MENINGGAL",
        },
        Baris {
            nik: nik(tahun_lalu(30, 0), 3),
            lahir: tahun_lalu(30, 0),
            kawin: false,
            nagari: "AMPIANG PARAK",
            status: "PINDAH",
        },
        // Turns 17 within the month (day 28 at most, so "today" may be a few days past it).
        Baris {
            nik: nik(tahun_lalu(17, 10), 4),
            lahir: tahun_lalu(17, 10),
            kawin: false,
            nagari: "AMPIANG PARAK",
            status: "AKTIF",
        },
        Baris {
            nik: nik(tahun_lalu(10, 0), 5),
            lahir: tahun_lalu(10, 0),
            kawin: false,
            nagari: "AMPIANG PARAK",
            status: "AKTIF",
        },
        Baris {
            nik: nik(tahun_lalu(15, 0), 6),
            lahir: tahun_lalu(15, 0),
            kawin: true,
            nagari: "AMPIANG PARAK",
            status: "AKTIF",
        },
    ];
    let mut teks = String::from(JUDUL);
    for (i, b) in baris.iter().enumerate() {
        let no_kk = if i == 0 {
            s("no_kk")
        } else {
            format!("130102011020{:04}", i + 1)
        };
        teks.push('\n');
        teks.push_str(&b.csv(&no_kk, &format!("PENDUDUK {i}")));
    }
    teks.push('\n');
    let berkas = root.path().join("ekstrak.csv");
    std::fs::write(&berkas, &teks).unwrap();
    let mut cmd = std::process::Command::new(rekam_tests::harness::hub_exe());
    cmd.args(["penduduk", "import"])
        .arg(&berkas)
        .arg("--data")
        .arg(&data);
    run(&mut cmd, None).unwrap();

    // Expected, from the file alone.
    let sel = |b: &Baris| b.status == "AKTIF" && (umur(b.lahir, hari) >= 17 || b.kawin);
    let mut belum: Vec<String> = baris[1..]
        .iter()
        .filter(|b| sel(b))
        .map(|b| b.nik.clone())
        .collect();
    belum.sort();
    let segera: Vec<String> = baris
        .iter()
        .filter(|b| {
            b.status == "AKTIF"
                && !sel(b)
                && umur(b.lahir, hari + chrono::TimeDelta::days(30)) >= 17
        })
        .map(|b| b.nik.clone())
        .collect();

    let hub = dashboard::start(
        &data,
        &pki,
        SocketAddr::from(([127, 0, 0, 1], free_port())),
        &[],
    )
    .unwrap();
    let office = Office::create(root.path(), &pki, "130101", &hub.sync_url())
        .await
        .unwrap();
    let (reg, rek) = (
        office.login("reg").await.unwrap(),
        office.login("rek").await.unwrap(),
    );
    office.record(&reg, &rek, 1).await.unwrap();
    let deadline = Instant::now() + Duration::from_secs(180);
    while !hub_applications(&data)
        .unwrap()
        .iter()
        .any(|a| a.status == "terekam")
    {
        assert!(Instant::now() < deadline, "not synced\n{}", hub.proc.log());
        tokio::time::sleep(Duration::from_millis(300)).await;
    }

    // Roles: no session -> login; a viewer -> 403; an adjudicator -> the page.
    let mut anon = Client::new(&pki, &hub.url()).unwrap();
    assert_eq!(anon.get("/belum-rekam").await.unwrap().status, 303);
    let mut viewer = Client::new(&pki, &hub.url()).unwrap();
    viewer.login("pemantau", PASSWORD).await.unwrap();
    let a = viewer.get("/belum-rekam").await.unwrap();
    assert_eq!(a.status, 403, "{}", a.body);
    assert!(!a.body.contains(&belum[0]));
    let mut adj = Client::new(&pki, &hub.url()).unwrap();
    adj.login("adj1", PASSWORD).await.unwrap();
    let a = adj.get("/belum-rekam").await.unwrap();
    assert_eq!(a.status, 200, "{}", a.body);
    for n in &belum {
        assert!(a.body.contains(n.as_str()), "{n} missing");
    }
    assert!(
        !a.body.contains(&baris[0].nik),
        "the recorded resident is listed"
    );

    // CSV of the list, of the soon-17 list, and of the counts.
    let a = adj
        .get("/belum-rekam?format=csv&tabel=daftar")
        .await
        .unwrap();
    assert_eq!(a.status, 200);
    let mut got: Vec<String> = csv_rows(&a.body)
        .into_iter()
        .map(|r| r[0].clone())
        .collect();
    got.sort();
    assert_eq!(got, belum);
    let a = adj
        .get("/belum-rekam?format=csv&tabel=segera_17")
        .await
        .unwrap();
    let got: Vec<String> = csv_rows(&a.body)
        .into_iter()
        .map(|r| r[0].clone())
        .collect();
    assert_eq!(got, segera);
    let a = adj
        .get("/belum-rekam?kecamatan=130102&format=csv&tabel=per_nagari")
        .await
        .unwrap();
    let rows = csv_rows(&a.body);
    let per = |nagari: &str| -> Vec<u64> {
        let r = rows.iter().find(|r| r[2] == nagari).unwrap();
        r[3..7].iter().map(|v| v.parse().unwrap()).collect()
    };
    let hitung = |nagari: &str| -> Vec<u64> {
        let di = |b: &&Baris| b.nagari == nagari;
        let wajib = baris.iter().filter(di).filter(|b| sel(b)).count() as u64;
        let terekam = u64::from(nagari == "SURANTIH");
        let s17 = baris
            .iter()
            .filter(di)
            .filter(|b| segera.contains(&b.nik))
            .count() as u64;
        vec![wajib, terekam, wajib - terekam, s17]
    };
    assert_eq!(per("SURANTIH"), hitung("SURANTIH"));
    assert_eq!(per("AMPIANG PARAK"), hitung("AMPIANG PARAK"));
    let total: Vec<u64> = rows.last().unwrap()[3..7]
        .iter()
        .map(|v| v.parse().unwrap())
        .collect();
    let sum: Vec<u64> = (0..4)
        .map(|i| hitung("SURANTIH")[i] + hitung("AMPIANG PARAK")[i])
        .collect();
    assert_eq!(total, sum);
    // Nagari filter; a bad filter names its field.
    let a = adj
        .get("/belum-rekam?kecamatan=130102&nagari=SURANTIH&format=csv&tabel=daftar")
        .await
        .unwrap();
    assert_eq!(csv_rows(&a.body).len(), 1);
    let a = adj.get("/belum-rekam?kecamatan=137101").await.unwrap();
    assert_eq!(a.status, 400);
    assert!(a.body.contains("\"field\":\"kecamatan\""), "{}", a.body);

    // XLSX: the NIK and No. KK are text cells (shared strings), never numbers.
    let a = adj.get("/belum-rekam?format=xlsx").await.unwrap();
    assert_eq!(&a.bytes[..2], b"PK");
    let sheet = zip_entry(&a.bytes, "xl/worksheets/sheet2.xml");
    for c in ["A2", "B2"] {
        let at = sheet
            .find(&format!("<c r=\"{c}\""))
            .unwrap_or_else(|| panic!("{c}: {sheet}"));
        let el = &sheet[at..at + sheet[at..].find('>').unwrap()];
        assert!(el.contains("t=\"s\""), "{c} is not a text cell: {el}");
    }
    let shared = zip_entry(&a.bytes, "xl/sharedStrings.xml");
    assert!(shared.contains(&belum[0]));

    // Audited, with who looked; never a NIK in the audit or the log.
    let au = audit(&data);
    assert!(au.len() >= 6, "{au:?}");
    assert!(au.iter().all(|(who, _)| who == "adj1"), "{au:?}");
    let log = hub.proc.log();
    for b in &baris {
        assert!(!log.contains(&b.nik), "NIK in the hub log");
        assert!(
            au.iter().all(|(_, d)| !d.contains(&b.nik)),
            "NIK in the audit"
        );
    }
}
