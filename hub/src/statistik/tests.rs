//! Read-model tests against a real SQLite hub fed by [`crate::sync::process`]: a random
//! sequence of syncs from several offices (applications at random SOP points, hub decisions,
//! re-syncs); the incrementally kept read model must equal the one `reindex` rebuilds, and the
//! dashboard's figures must equal counts made here INDEPENDENTLY, by decoding every stored
//! document and walking its events with a table of this file's own.

use std::collections::BTreeMap;

use automerge::sync::{Message, State, SyncDoc as _};
use chrono::{DateTime, Datelike, NaiveDate, TimeDelta, TimeZone, Utc};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde_json::json;

use rekam_shared::document::{HasilDedup, JenisTemuan, Keputusan, PermohonanDoc};
use rekam_shared::wire::{DocMessage, SyncRequest, SyncResponse};
use rekam_shared::workflow::{
    Aksi, AlasanGagal, AlasanPengecualian, AlasanPenolakan, AlasanTerlambat, Keadaan, Kelengkapan,
    Langkah, Modalitas, NomorAntrian, Peran, Peristiwa, Perolehan, WorkflowError, apply,
};

use super::kueri::{self, EMBER_DETIK, Rentang};
use super::target::Peringkat;
use crate::pki::PeerIdentity;
use crate::storage::Storage;
use crate::storage::sqlite::SqliteStorage;

const REG: Peran = Peran::OperatorRegistrasi;
const REK: Peran = Peran::OperatorPerekaman;
const KECAMATAN: [&str; 3] = ["130101", "130102", "130103"];

/// A whole visit built event by event; a step that closes over its standard gets a late reason
/// (asked of the state machine, as the desk would be told).
struct Kunjungan {
    events: Vec<Peristiwa>,
    keadaan: Keadaan,
    t: DateTime<Utc>,
}

impl Kunjungan {
    fn go(&mut self, rng: &mut StdRng, menit: i64, op: &str, peran: Peran, aksi: Aksi) {
        self.t += TimeDelta::seconds(menit * 60 + rng.gen_range(0..60));
        let mut e = Peristiwa::new(self.t, op, peran, aksi);
        if matches!(e.aksi, Aksi::PerekamanBerhasil { .. }) {
            let mut k = Kelengkapan::semua_terekam(rng.gen_range(40..100));
            if rng.gen_bool(0.2) {
                k.dikecualikan(
                    Modalitas::dari_nama("left-iris").unwrap(),
                    AlasanPengecualian::ButaMataPalsu,
                );
            }
            if rng.gen_bool(0.2) {
                k.terekam(Modalitas::dari_nama("right-thumb").unwrap(), 20, true);
            }
            e = e.dengan_kelengkapan(k);
        }
        if let Err(WorkflowError::AlasanTerlambatWajib { .. }) = apply(&self.keadaan, &e) {
            e = e.terlambat(match rng.gen_range(0..3) {
                0 => AlasanTerlambat::AntrianPanjang,
                1 => AlasanTerlambat::GangguanTeknis,
                _ => AlasanTerlambat::Lainnya("listrik padam".into()),
            });
        }
        self.keadaan = apply(&self.keadaan, &e).expect("the generated visit follows the SOP");
        self.events.push(e);
    }
}

/// A random visit opened at `mulai` in office `k`, along one of the SOP's paths.
fn kunjungan(rng: &mut StdRng, k: &str, mulai: DateTime<Utc>) -> Vec<Peristiwa> {
    let mut v = Kunjungan {
        events: Vec::new(),
        keadaan: Keadaan::awal(),
        t: mulai,
    };
    let reg = format!("reg{}-{k}", rng.gen_range(1..=2));
    let rek = format!("rek{}-{k}", rng.gen_range(1..=2));
    let m = |rng: &mut StdRng, max: i64| rng.gen_range(0..=max);
    v.go(rng, 0, &reg, REG, Aksi::PermohonanDibuat);
    let jalur = rng.gen_range(0..10);
    if jalur == 0 {
        let alasan = AlasanPenolakan::BerkasTidakLengkap;
        let d = m(rng, 8);
        v.go(rng, d, &reg, REG, Aksi::BerkasDitolak { alasan });
        return v.events;
    }
    let d = m(rng, 8);
    v.go(rng, d, &reg, REG, Aksi::BerkasDiterima);
    if jalur == 1 {
        let alasan = AlasanPenolakan::BelumMemenuhiSyarat;
        let d = m(rng, 12);
        v.go(rng, d, &reg, REG, Aksi::BerkasDitolak { alasan });
        return v.events;
    }
    let d = m(rng, 6);
    v.go(rng, d, &reg, REG, Aksi::BerkasBenar);
    if jalur == 2 {
        let keterangan = "sudah terekam".to_string();
        let d = m(rng, 6);
        v.go(rng, d, &reg, REG, Aksi::SudahPernahRekam { keterangan });
        return v.events;
    }
    let mut antrian = 1;
    loop {
        let nomor_antrian = NomorAntrian(antrian);
        let d = m(rng, 7);
        v.go(
            rng,
            d,
            &reg,
            REG,
            Aksi::NomorAntrianDiberikan { nomor_antrian },
        );
        let d = m(rng, 8);
        v.go(rng, d, &rek, REK, Aksi::Dipanggil);
        if antrian == 1 && jalur >= 7 {
            let alasan = if jalur == 7 {
                AlasanGagal::GangguanTeknis
            } else {
                AlasanGagal::KualitasBiometrikBuruk
            };
            let d = m(rng, 6);
            v.go(rng, d, &rek, REK, Aksi::PerekamanGagal { alasan });
            if jalur == 9 {
                let alasan = AlasanPenolakan::TidakDapatDirekam;
                let d = m(rng, 3);
                v.go(rng, d, &reg, REG, Aksi::BerkasDitolak { alasan });
                return v.events;
            }
            antrian += 1;
            continue;
        }
        break;
    }
    let nomor_bukti = format!("TBP-{}", rng.gen_range(1..10_000));
    let d = m(rng, 8);
    v.go(rng, d, &rek, REK, Aksi::PerekamanBerhasil { nomor_bukti });
    let d = m(rng, 7);
    v.go(rng, d, &rek, REK, Aksi::DiterimaPenduduk);
    v.events
}

/// An application an office holds: its document, its hub sync state, its full visit, and how
/// many events of it the document has so far.
struct Berkas {
    id: String,
    doc: PermohonanDoc,
    state: State,
    visit: Vec<Peristiwa>,
    ditulis: usize,
}

struct Kantor {
    peer: PeerIdentity,
    berkas: Vec<Berkas>,
    cursor: u64,
}

impl Kantor {
    fn sync(&mut self, hub: &dyn Storage) {
        for round in 0..10 {
            let mut req = SyncRequest {
                extensions: Vec::new(),
                cursor: self.cursor,
                listing: None,
                docs: Vec::new(),
            };
            for b in &mut self.berkas {
                if let Some(msg) = b.doc.automerge().sync().generate_sync_message(&mut b.state) {
                    req.docs.push(DocMessage {
                        id: b.id.clone(),
                        message: Some(msg.encode()),
                    });
                }
            }
            if req.docs.is_empty() && round > 0 {
                return;
            }
            let req = SyncRequest::decode(&req.encode()).unwrap();
            let (resp, _) = crate::sync::process(hub, &self.peer, &req).unwrap();
            let resp = SyncResponse::decode(&resp.encode()).unwrap();
            assert!(resp.refused.is_empty(), "refused: {:?}", resp.refused);
            self.cursor = resp.cursor;
            for m in resp.docs {
                let b = self.berkas.iter_mut().find(|b| b.id == m.id).unwrap();
                if let Some(bytes) = m.message {
                    b.doc
                        .automerge()
                        .sync()
                        .receive_sync_message(&mut b.state, Message::decode(&bytes).unwrap())
                        .unwrap();
                }
            }
        }
        panic!("sync did not converge");
    }
}

fn hari_pertama() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 11, 2).unwrap()
}

/// Runs a random history of `langkah` operations with seed `seed`; returns the hub.
fn riwayat_acak(seed: u64, langkah: usize) -> (tempfile::TempDir, SqliteStorage) {
    let dir = tempfile::tempdir().unwrap();
    let hub = SqliteStorage::open(&dir.path().join("hub.db")).unwrap();
    let mut rng = StdRng::seed_from_u64(seed);
    let mut kantor: Vec<Kantor> = KECAMATAN
        .iter()
        .map(|k| Kantor {
            peer: PeerIdentity {
                kecamatan: (*k).into(),
                serial: "01".into(),
            },
            berkas: Vec::new(),
            cursor: 0,
        })
        .collect();
    let mut n = 0;
    for _ in 0..langkah {
        let o = rng.gen_range(0..kantor.len());
        match rng.gen_range(0..10) {
            // A new application, written up to a random point of its visit.
            0..=3 => {
                n += 1;
                let k = kantor[o].peer.kecamatan.clone();
                // 07:00-16:00 WIB on one of ten days (sometimes across midnight UTC+7).
                let hari = rng.gen_range(0..10);
                let mulai = Utc.with_ymd_and_hms(2026, 11, 2, 0, 0, 0).unwrap()
                    + TimeDelta::days(hari)
                    + TimeDelta::minutes(rng.gen_range(0..9 * 60))
                    + if rng.gen_bool(0.05) {
                        TimeDelta::hours(16) + TimeDelta::minutes(50)
                    } else {
                        TimeDelta::zero()
                    };
                let visit = kunjungan(&mut rng, &k, mulai);
                let id = format!("{k}-{n:04}");
                let mut doc = PermohonanDoc::new(&id, &k).unwrap();
                let nagari = ["Painan", "Salido", "Sago"][rng.gen_range(0..3)];
                doc.set_penduduk(&json!({"nik": "1301075208050003", "nagari": nagari}))
                    .unwrap();
                let ditulis = rng.gen_range(1..=visit.len());
                doc.append_peristiwa(&visit[..ditulis]).unwrap();
                kantor[o].berkas.push(Berkas {
                    id,
                    doc,
                    state: State::new(),
                    visit,
                    ditulis,
                });
            }
            // An application moves on.
            4..=5 => {
                let ob = &mut kantor[o].berkas;
                if ob.is_empty() {
                    continue;
                }
                let i = rng.gen_range(0..ob.len());
                let b = &mut ob[i];
                if b.ditulis < b.visit.len() {
                    let lagi = rng.gen_range(b.ditulis + 1..=b.visit.len());
                    b.doc.append_peristiwa(&b.visit[..lagi]).unwrap();
                    b.ditulis = lagi;
                }
            }
            // A sync (often with nothing new: a re-sync).
            6..=8 => kantor[o].sync(&hub),
            // The hub decides (or re-decides) a stored application.
            _ => {
                let ids = hub.doc_ids(None).unwrap();
                if ids.is_empty() {
                    continue;
                }
                let id = &ids[rng.gen_range(0..ids.len())];
                let hasil = [
                    HasilDedup::Unik,
                    HasilDedup::Duplikat,
                    HasilDedup::PerluAdjudikasi,
                ][rng.gen_range(0..3)];
                let k = Keputusan {
                    hasil,
                    oleh: "sistem".into(),
                    waktu: Utc.with_ymd_and_hms(2026, 11, 20, 0, 0, 0).unwrap(),
                    catatan: String::new(),
                    duplikat_dari: Vec::new(),
                    jenis: (hasil == HasilDedup::Duplikat).then_some(JenisTemuan::PerekamanUlang),
                    dasar: None,
                };
                crate::sync::decide(&hub, id, &k).unwrap();
            }
        }
    }
    // Everything reaches the hub in the end.
    for o in &mut kantor {
        for b in &mut o.berkas {
            if b.ditulis < b.visit.len() && rng.gen_bool(0.5) {
                b.doc.append_peristiwa(&b.visit).unwrap();
                b.ditulis = b.visit.len();
            }
        }
        o.sync(&hub);
    }
    (dir, hub)
}

#[test]
fn the_incremental_read_model_equals_the_rebuilt_one_after_random_syncs() {
    for seed in [1, 2, 3] {
        let (_d, hub) = riwayat_acak(seed, 300);
        let incremental = hub.statistik().statistik_isi().unwrap();
        assert_eq!(
            incremental.permohonan.len() as u64,
            hub.doc_count().unwrap(),
            "one row per stored document"
        );
        let statuses: std::collections::BTreeSet<&str> = incremental
            .permohonan
            .iter()
            .map(|p| p.status.as_str())
            .collect();
        assert!(statuses.len() >= 5, "a varied history: {statuses:?}");
        assert!(incremental.permohonan.iter().any(|p| p.dedup.is_some()));
        // The per-day summaries kept write by write (old rows out, new rows in) equal a fresh
        // GROUP BY of the application rows.
        assert!(incremental.ringkasan.len() > 10, "summaries kept");
        hub.statistik().statistik_ringkasan_ulang().unwrap();
        let regrouped = hub.statistik().statistik_isi().unwrap();
        assert_eq!(incremental.ringkasan, regrouped.ringkasan, "seed {seed}");
        let laporan = super::reindex(&hub).unwrap();
        assert_eq!(laporan.dokumen, hub.doc_count().unwrap());
        assert_eq!(laporan.langkah, incremental.langkah.len() as u64);
        let rebuilt = hub.statistik().statistik_isi().unwrap();
        assert_eq!(incremental.permohonan, rebuilt.permohonan, "seed {seed}");
        assert_eq!(incremental.langkah, rebuilt.langkah, "seed {seed}");
        assert_eq!(incremental.ringkasan, rebuilt.ringkasan, "seed {seed}");
    }
}

#[test]
fn a_store_without_per_day_summaries_gets_them_at_open() {
    let (dir, hub) = riwayat_acak(4, 120);
    let isi = hub.statistik().statistik_isi().unwrap();
    drop(hub);
    let path = dir.path().join("hub.db");
    {
        let c = rusqlite::Connection::open(&path).unwrap();
        c.execute_batch(
            "DELETE FROM stat_hari_buka; DELETE FROM stat_hari_rekam; DELETE FROM stat_hari_waktu;",
        )
        .unwrap();
    }
    let hub = SqliteStorage::open(&path).unwrap();
    assert_eq!(hub.statistik().statistik_isi().unwrap(), isi);
}

/// What this test counts for one kecamatan, straight from the documents.
#[derive(Debug, Default, PartialEq)]
struct Hitung {
    permohonan: u64,
    gagal: u64,
    terekam: u64,
    unik: u64,
    duplikat: u64,
    menunggu: u64,
    adjudikasi: u64,
    kembali: BTreeMap<String, u64>,
    pengecualian: u64,
    kualitas_rendah: u64,
}

/// A run of a step as this test reads it: (step, kecamatan, operator, seconds, late reason).
type Run = (u8, String, String, i64, Option<String>, NaiveDate);

fn wib(t: DateTime<Utc>) -> NaiveDate {
    t.with_timezone(&chrono::FixedOffset::east_opt(7 * 3600).unwrap())
        .date_naive()
}

fn tag<T: serde::Serialize>(v: &T) -> String {
    serde_json::to_value(v).unwrap()["type"]
        .as_str()
        .unwrap()
        .to_owned()
}

/// Counts per kecamatan and step runs of every stored document, for days in `r`.
fn hitung_dari_dokumen(hub: &SqliteStorage, r: &Rentang) -> (BTreeMap<String, Hitung>, Vec<Run>) {
    let dalam = |d: NaiveDate| r.dari <= d && d <= r.sampai;
    let mut out: BTreeMap<String, Hitung> = BTreeMap::new();
    let mut runs = Vec::new();
    for id in hub.doc_ids(None).unwrap() {
        let stored = hub.load_doc(&id).unwrap().unwrap();
        let doc = PermohonanDoc::load(&stored.bytes).unwrap();
        let events: Vec<Peristiwa> = doc.peristiwa_as().unwrap();
        let k = stored.kecamatan.clone();
        let h = out.entry(k.clone()).or_default();
        let opened = wib(events[0].waktu);
        if dalam(opened) {
            h.permohonan += 1;
            h.gagal += events
                .iter()
                .filter(|e| matches!(e.aksi, Aksi::PerekamanGagal { .. }))
                .count() as u64;
            match &events.last().unwrap().aksi {
                Aksi::BerkasDitolak { alasan } => *h.kembali.entry(tag(alasan)).or_insert(0) += 1,
                Aksi::SudahPernahRekam { .. } => {
                    *h.kembali.entry("sudah_rekam".into()).or_insert(0) += 1
                }
                _ => {}
            }
        }
        if let Some(rekam) = events
            .iter()
            .rev()
            .find(|e| matches!(e.aksi, Aksi::PerekamanBerhasil { .. }))
            && dalam(wib(rekam.waktu))
        {
            h.terekam += 1;
            match doc.keputusan().unwrap().map(|k| k.hasil) {
                Some(HasilDedup::Unik) => h.unik += 1,
                Some(HasilDedup::Duplikat) => h.duplikat += 1,
                Some(HasilDedup::PerluAdjudikasi) => {
                    h.menunggu += 1;
                    h.adjudikasi += 1
                }
                None => h.menunggu += 1,
            }
            for p in rekam.kelengkapan.as_ref().unwrap().0.values() {
                match p {
                    Perolehan::Dikecualikan { .. } => h.pengecualian += 1,
                    Perolehan::Terekam {
                        kualitas_rendah, ..
                    } => h.kualitas_rendah += u64::from(*kualitas_rendah),
                }
            }
        }
        // Step runs, by this test's own table of which event closes and opens which step.
        let mut open: Option<(u8, DateTime<Utc>)> = None;
        for e in &events {
            let (closes, opens) = match e.aksi {
                Aksi::PermohonanDibuat => (false, Some(1)),
                Aksi::BerkasDiterima => (true, Some(2)),
                Aksi::BerkasDitolak { .. } | Aksi::SudahPernahRekam { .. } => (true, None),
                Aksi::BerkasBenar | Aksi::Dipanggil => (false, None),
                Aksi::NomorAntrianDiberikan { .. } => (true, Some(3)),
                Aksi::PerekamanBerhasil { .. } => (true, Some(4)),
                Aksi::PerekamanGagal { .. } => (true, Some(2)),
                Aksi::DiterimaPenduduk => (true, None),
            };
            if closes && let Some((step, mulai)) = open.take() {
                let alasan = e.alasan_terlambat.as_ref().map(tag);
                let detik = (e.waktu - mulai).num_seconds();
                if dalam(wib(mulai)) {
                    runs.push((
                        step,
                        k.clone(),
                        e.operator.clone(),
                        detik,
                        alasan,
                        wib(mulai),
                    ));
                }
            }
            if let Some(step) = opens {
                open = Some((step, e.waktu));
            }
        }
    }
    (out, runs)
}

fn batas_detik(step: u8) -> i64 {
    Langkah::SEMUA[usize::from(step - 1)].batas_menit() * 60
}

fn ember(detik: i64) -> usize {
    EMBER_DETIK
        .iter()
        .position(|&b| detik < b)
        .unwrap_or(EMBER_DETIK.len())
}

#[test]
fn the_dashboard_figures_equal_counts_made_from_the_stored_documents() {
    let (_d, hub) = riwayat_acak(7, 400);
    let tanggal = [
        Rentang {
            dari: hari_pertama(),
            sampai: hari_pertama() + chrono::Days::new(12),
        },
        Rentang::hari_ini(hari_pertama() + chrono::Days::new(3)),
        Rentang::minggu_ini(hari_pertama() + chrono::Days::new(8)),
    ];
    for r in tanggal {
        let (hitung, runs) = hitung_dari_dokumen(&hub, &r);
        assert!(
            hitung.values().map(|h| h.permohonan).sum::<u64>() > 0,
            "{r:?} has data"
        );

        // The overview.
        let ik = kueri::ikhtisar(&hub, &r, &Peringkat::default()).unwrap();
        for e in &ik.kecamatan {
            let h = &hitung[&e.kecamatan];
            assert_eq!(e.permohonan, h.permohonan, "{} {r:?}", e.kecamatan);
            assert_eq!(e.gagal, h.gagal);
            assert_eq!(e.dikembalikan, h.kembali);
            assert_eq!(
                (
                    e.terekam.jumlah,
                    e.terekam.unik,
                    e.terekam.duplikat,
                    e.terekam.menunggu_dedup
                ),
                (h.terekam, h.unik, h.duplikat, h.menunggu)
            );
        }
        assert_eq!(ik.kecamatan.len(), hitung.len());
        let days = (r.sampai - r.dari).num_days() as usize + 1;
        assert_eq!(ik.tren.len(), days);
        let tren_buka: u64 = ik.tren.iter().flat_map(|t| t.permohonan.values()).sum();
        assert_eq!(
            tren_buka,
            hitung.values().map(|h| h.permohonan).sum::<u64>()
        );
        let tren_rekam: u64 = ik.tren.iter().flat_map(|t| t.terekam.values()).sum();
        assert_eq!(tren_rekam, hitung.values().map(|h| h.terekam).sum::<u64>());

        // The time standards: district, office, operator.
        let sw = kueri::standar_waktu(&hub, &r).unwrap();
        assert_eq!(sw.langkah.len(), 4);
        for g in sw
            .langkah
            .iter()
            .chain(&sw.per_kantor)
            .chain(&sw.per_operator)
        {
            let mine: Vec<&Run> = runs
                .iter()
                .filter(|x| {
                    x.0 == g.langkah
                        && g.kecamatan.as_ref().is_none_or(|k| *k == x.1)
                        && g.operator.as_ref().is_none_or(|o| *o == x.2)
                })
                .collect();
            assert_eq!(g.jumlah, mine.len() as u64, "{g:?}");
            let within = mine.iter().filter(|x| x.3 <= batas_detik(x.0)).count() as u64;
            assert_eq!(g.sesuai_standar, within, "{g:?}");
            let mut hist = vec![0u64; EMBER_DETIK.len() + 1];
            let mut alasan: BTreeMap<String, u64> = BTreeMap::new();
            for x in &mine {
                hist[ember(x.3)] += 1;
                if x.3 > batas_detik(x.0) {
                    let a = x.4.clone().unwrap_or_else(|| "tanpa_alasan".into());
                    *alasan.entry(a).or_insert(0) += 1;
                }
            }
            assert_eq!(g.histogram, hist, "{g:?}");
            assert_eq!(g.alasan_terlambat, alasan, "{g:?}");
        }
        let groups: std::collections::BTreeSet<(u8, &str, &str)> = runs
            .iter()
            .map(|x| (x.0, x.1.as_str(), x.2.as_str()))
            .collect();
        assert_eq!(sw.per_operator.len(), groups.len());
        assert!(
            runs.iter().any(|x| x.3 > batas_detik(x.0)),
            "some late runs"
        );

        // Deduplication per office.
        for d in kueri::dedup_per_kantor(&hub, &r).unwrap() {
            let h = &hitung[&d.kecamatan];
            assert_eq!(
                (
                    d.terekam.jumlah,
                    d.terekam.unik,
                    d.terekam.duplikat,
                    d.perlu_adjudikasi
                ),
                (h.terekam, h.unik, h.duplikat, h.adjudikasi)
            );
            assert_eq!(
                (d.pengecualian, d.kualitas_rendah),
                (h.pengecualian, h.kualitas_rendah)
            );
        }
    }

    // The offices: documents stored and the dedup backlog, per office.
    let queue = hub.dedup_queue(usize::MAX >> 1).unwrap();
    for k in kueri::kantor(&hub).unwrap() {
        let ids = hub.doc_ids(Some(&k.kecamatan)).unwrap();
        assert_eq!(k.dokumen, ids.len() as u64);
        let waiting: Vec<&(String, String)> =
            queue.iter().filter(|(id, _)| ids.contains(id)).collect();
        assert_eq!(k.menunggu_dedup, waiting.len() as u64);
        assert_eq!(
            k.menunggu_sejak.as_ref(),
            waiting.iter().map(|w| &w.1).min()
        );
        assert!(k.terakhir_kontak.is_some());
    }
}

#[test]
fn coverage_is_recorded_not_duplicate_over_the_imported_target_and_may_exceed_100() {
    let (_d, hub) = riwayat_acak(11, 200);
    let r = Rentang::bulan_ini(hari_pertama());
    let (hitung, _) = hitung_dari_dokumen(&hub, &r);
    let h1 = &hitung["130101"];
    let h2 = &hitung["130102"];
    assert!(h1.terekam > h1.duplikat && h2.terekam > 0);
    // 130101: a whole-kecamatan target; 130102: from its nagari, set so coverage is over 100 %.
    let csv = format!(
        "tahun,kecamatan,nagari,wajib_ktp_el\n{y},130101,,400\n{y},130102,Painan,1\n",
        y = r.dari.year()
    );
    let targets = super::target::baca_csv(&csv).unwrap();
    hub.statistik().target_simpan(&targets).unwrap();
    let ik = kueri::ikhtisar(&hub, &r, &Peringkat::default()).unwrap();
    let e1 = ik
        .kecamatan
        .iter()
        .find(|e| e.kecamatan == "130101")
        .unwrap();
    assert_eq!(e1.target, Some(400));
    let expect = 100.0 * (h1.terekam - h1.duplikat) as f64 / 400.0;
    assert!((e1.cakupan_persen.unwrap() - expect).abs() < 1e-9);
    assert_eq!(
        e1.peringkat.as_deref(),
        Some(Peringkat::default().nilai(expect))
    );
    let e2 = ik
        .kecamatan
        .iter()
        .find(|e| e.kecamatan == "130102")
        .unwrap();
    assert_eq!(
        e2.cakupan_persen,
        Some(100.0 * (h2.terekam - h2.duplikat) as f64)
    );
    assert_eq!(e2.peringkat.as_deref(), Some("tercapai"));
    let e3 = ik
        .kecamatan
        .iter()
        .find(|e| e.kecamatan == "130103")
        .unwrap();
    assert_eq!((e3.target, e3.cakupan_persen), (None, None));
    assert_eq!(e1.sumber_target, Some(kueri::SumberTarget::Csv));
    // Another year has no target.
    let lain = Rentang::hari_ini(NaiveDate::from_ymd_opt(2025, 1, 1).unwrap());
    let ik = kueri::ikhtisar(&hub, &lain, &Peringkat::default()).unwrap();
    assert!(ik.kecamatan.iter().all(|e| e.target.is_none()));
}

#[test]
fn where_the_register_holds_a_kecamatan_its_wajib_count_is_the_target() {
    let (_d, hub) = riwayat_acak(11, 200);
    let r = Rentang::bulan_ini(hari_pertama());
    let (hitung, _) = hitung_dari_dokumen(&hub, &r);
    let h1 = &hitung["130101"];
    let csv = format!(
        "tahun,kecamatan,nagari,wajib_ktp_el\n{y},130101,,400\n{y},130102,,999\n",
        y = r.dari.year()
    );
    hub.statistik()
        .target_simpan(&super::target::baca_csv(&csv).unwrap())
        .unwrap();
    // The register holds 130101: two adults, a married 15-year-old, a child, a deceased adult.
    let lahir = |y: i32| chrono::NaiveDate::from_ymd_opt(y, 3, 4).unwrap();
    let kode = "130101".parse().unwrap();
    let orang = |urut: u16, tahun: i32, kawin: bool, status: &str| {
        let l = lahir(tahun);
        rekam_shared::register::PendudukTerdaftar {
            penduduk: rekam_shared::penduduk::Penduduk {
                nik: rekam_shared::nik::Nik::from_parts(
                    kode,
                    l,
                    rekam_shared::penduduk::JenisKelamin::LakiLaki,
                    urut,
                )
                .unwrap(),
                no_kk: "1301010203040001".parse().unwrap(),
                nama: "RAHMAT".into(),
                tempat_lahir: "PAINAN".into(),
                tanggal_lahir: l,
                jenis_kelamin: rekam_shared::penduduk::JenisKelamin::LakiLaki,
                status_perkawinan: if kawin {
                    rekam_shared::penduduk::StatusPerkawinan::Kawin
                } else {
                    rekam_shared::penduduk::StatusPerkawinan::BelumKawin
                },
                alamat: "JL. RAYA".into(),
                rt: 1,
                rw: 1,
                nagari: "PAINAN".into(),
                kecamatan: kode,
            },
            agama: rekam_shared::register::Agama::Islam,
            pekerjaan: "PETANI".into(),
            status: rekam_shared::register::StatusPenduduk::parse(status).unwrap(),
        }
    };
    let tahun = r.sampai.year();
    let rows = [
        orang(1, 1970, true, "aktif"),
        orang(2, 1990, false, "aktif"),
        orang(3, tahun - 15, true, "aktif"),
        orang(4, tahun - 10, false, "aktif"),
        orang(5, 1960, true, "meninggal"),
    ];
    crate::penduduk::terapkan(&hub, &rows, "uji", "uji.csv", &mut |_, _| {}).unwrap();
    let ik = kueri::ikhtisar(&hub, &r, &Peringkat::default()).unwrap();
    let e = |k: &str| ik.kecamatan.iter().find(|e| e.kecamatan == k).unwrap();
    assert_eq!(e("130101").target, Some(3));
    assert_eq!(
        e("130101").sumber_target,
        Some(kueri::SumberTarget::Register)
    );
    let expect = 100.0 * (h1.terekam - h1.duplikat) as f64 / 3.0;
    assert!((e("130101").cakupan_persen.unwrap() - expect).abs() < 1e-9);
    // A kecamatan the register does not hold keeps its targets-file figure.
    assert_eq!(e("130102").target, Some(999));
    assert_eq!(e("130102").sumber_target, Some(kueri::SumberTarget::Csv));

    // The dashboard's cache gives the same answer, and a new import (a newer register head)
    // is seen at once: one more adult makes the target 4.
    let cache = kueri::CacheTarget::default();
    let target = |cache: &kueri::CacheTarget| {
        let ik = kueri::ikhtisar_dengan(&hub, &r, &Peringkat::default(), cache).unwrap();
        ik.kecamatan
            .iter()
            .find(|e| e.kecamatan == "130101")
            .unwrap()
            .target
    };
    assert_eq!(target(&cache), Some(3));
    assert_eq!(target(&cache), Some(3));
    crate::penduduk::terapkan(
        &hub,
        &[orang(6, 1985, false, "aktif")],
        "uji",
        "uji2.csv",
        &mut |_, _| {},
    )
    .unwrap();
    assert_eq!(target(&cache), Some(4), "the cache kept a stale register");
}

#[test]
fn ranges_today_week_and_month() {
    let d = NaiveDate::from_ymd_opt(2026, 12, 2).unwrap(); // a Wednesday
    assert_eq!(
        Rentang::hari_ini(d).teks(),
        ("2026-12-02".into(), "2026-12-02".into())
    );
    assert_eq!(
        Rentang::minggu_ini(d).teks(),
        ("2026-11-30".into(), "2026-12-06".into())
    );
    assert_eq!(
        Rentang::bulan_ini(d).teks(),
        ("2026-12-01".into(), "2026-12-31".into())
    );
    let feb = NaiveDate::from_ymd_opt(2028, 2, 10).unwrap();
    assert_eq!(Rentang::bulan_ini(feb).sampai.day(), 29);
}

#[test]
fn a_bad_targets_file_imports_nothing_and_names_line_and_field() {
    use super::cli::{TargetCommand, target};
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let good = dir.path().join("baik.csv");
    std::fs::write(
        &good,
        "tahun,kecamatan,nagari,wajib_ktp_el\n2026,130101,,1000\n",
    )
    .unwrap();
    target(TargetCommand::Import {
        file: good,
        data: data.clone(),
        oleh: "admin".into(),
    })
    .unwrap();
    let bad = dir.path().join("buruk.csv");
    std::fs::write(
        &bad,
        "tahun,kecamatan,nagari,wajib_ktp_el\n2026,130101,,2000\n2026,130102,,banyak\n",
    )
    .unwrap();
    let e = target(TargetCommand::Import {
        file: bad,
        data: data.clone(),
        oleh: "admin".into(),
    })
    .unwrap_err()
    .to_string();
    assert!(
        e.contains("baris 3, kolom wajib_ktp_el: 'banyak' bukan bilangan bulat"),
        "{e}"
    );
    let s = SqliteStorage::open(&data.join(crate::cli::DB_FILE)).unwrap();
    let stored = s.statistik().target_semua().unwrap();
    assert_eq!(stored.len(), 1);
    assert_eq!(
        stored[0].wajib_ktp_el, 1000,
        "the good row of the bad file was not stored"
    );
    let audit = s.audit_entries(10).unwrap();
    assert_eq!(
        audit.iter().filter(|a| a.action == "target.import").count(),
        1
    );
    let list = super::cli::daftar_target(&s, Some(2026), &Peringkat::default()).unwrap();
    assert!(list.contains("130101     (seluruh)"), "{list}");
}
