//! District index figures (docs/district-index.md): bytes per person and for the whole
//! district, download time through a 256 kbit/s link (computed from the bytes), recall of the
//! compact key against the full-template search on the synthetic district, the step-2 check
//! against a large district index plus a local gallery (p50/p99), and the agent's start time
//! loading the index from SQLite.
//!
//! `nice cargo run --release -p rekam-tests --bin rekam-index-bench -- --district 500000`

use std::time::Instant;

use clap::Parser;
use rekam_agent::cek::{CekRekam, IndeksKabupaten, Probe};
use rekam_shared::bio::gallery::{Gallery, Person};
use rekam_shared::bio::iris::{Eye, IrisShape};
use rekam_shared::bio::synth_district::{District, DistrictSpec};
use rekam_shared::index::{BagianIndeks, EntriIndeks, IsiIndeks, kunci_dari, ringkas};

#[derive(Parser)]
struct Args {
    /// Persons in the district index for the check timing.
    #[arg(long, default_value_t = 500_000)]
    district: u64,
    /// Persons in the local gallery for the check timing.
    #[arg(long, default_value_t = 20_000)]
    local: u64,
    /// Probes timed.
    #[arg(long, default_value_t = 40)]
    probes: usize,
    /// Persons of the synthetic district for the recall figure (1 % recorded twice).
    #[arg(long, default_value_t = 20_000)]
    recall_persons: u64,
    /// Persons loaded for the agent start time.
    #[arg(long, default_value_t = 350_000)]
    start_persons: usize,
    /// Recordings per day in the whole district, for the daily delta.
    #[arg(long, default_value_t = 600)]
    per_day: u64,
}

const SHAPE: IrisShape = IrisShape::OPEN_IRIS;

fn isi(kunci: Vec<u8>, n: u64) -> IsiIndeks {
    IsiIndeks {
        kecamatan: format!("1301{:02}", 1 + n % 15),
        tanggal_rekam: "2026-11-30T09:05:00Z".into(),
        nik: format!("1301{:012}", n),
        keputusan: Some("unik".into()),
        kunci,
    }
}

fn key_of(p: &Person) -> Vec<u8> {
    kunci_dari(p.iris(Eye::Right), p.iris(Eye::Left))
}

fn pct(v: &mut [f64], p: f64) -> f64 {
    v.sort_by(f64::total_cmp);
    v[((v.len() as f64 - 1.0) * p).round() as usize]
}

fn main() -> anyhow::Result<()> {
    let a = Args::parse();
    let district = |persons, dup| {
        District::new(DistrictSpec {
            persons,
            duplicate_share: dup,
            offices: 15,
            fingers: 0,
            irises: true,
            iris_shape: SHAPE,
            seed: 12,
        })
    };

    // 1. Size.
    let d = district(1_000, 0.0);
    let entri: Vec<EntriIndeks> = (0..128)
        .map(|i| EntriIndeks {
            seq: 1_000_000 + i,
            permohonan_id: format!("1301{:02}-{:016x}", 1 + i % 15, i * 7919),
            isi: Some(isi(key_of(&d.person(i, 0)), i)),
        })
        .collect();
    let key = entri[0].isi.as_ref().map_or(0, |i| i.kunci.len());
    let raw = BagianIndeks {
        head: 2_000_000,
        versi: 1_000_127,
        more: true,
        entri,
    }
    .encode();
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    std::io::Write::write_all(&mut gz, &raw)?;
    let gz = gz.finish()?;
    let per = raw.len() as f64 / 128.0;
    let per_gz = gz.len() as f64 / 128.0;
    let total = per_gz * 350_000.0;
    let secs = |bytes: f64| bytes * 8.0 / 256_000.0;
    println!("== size");
    println!("compact key {key} B; entry on the wire {per:.0} B raw, {per_gz:.0} B gzip");
    println!(
        "350,000 persons: {:.1} MB gzip; at 256 kbit/s {:.0} s = {:.1} h (computed from bytes)",
        total / 1e6,
        secs(total),
        secs(total) / 3600.0
    );
    let day = per_gz * a.per_day as f64;
    println!(
        "a day of {} recordings: {:.0} KB, {:.0} s at 256 kbit/s",
        a.per_day,
        day / 1e3,
        secs(day)
    );

    // 2. Recall against the full search.
    println!(
        "== recall ({} persons, 1 % recorded twice)",
        a.recall_persons
    );
    let d = district(a.recall_persons, 0.01);
    let (mut full, mut compact) = (Gallery::default(), Gallery::default());
    for p in 0..a.recall_persons {
        let person = d.person(p, 0);
        let mut small = Person::new();
        for eye in [Eye::Right, Eye::Left] {
            if let Some(t) = person.iris(eye) {
                small = small.with_iris(eye, ringkas(t));
            }
        }
        full.insert(p, person);
        compact.insert(p, small);
    }
    let (mut by_full, mut by_both, mut by_compact) = (0, 0, 0);
    use rekam_shared::bio::fusion::Verdict;
    for &p in d.duplicated() {
        let probe = d.person(p, 1);
        let mut small = Person::new();
        for eye in [Eye::Right, Eye::Left] {
            if let Some(t) = probe.iris(eye) {
                small = small.with_iris(eye, ringkas(t));
            }
        }
        let hit = |g: &Gallery<u64>, q: &Person| {
            g.search(q, 5)
                .iter()
                .any(|c| c.id == p && c.verdict == Verdict::Match)
        };
        let f = hit(&full, &probe);
        let c = hit(&compact, &small);
        by_full += usize::from(f);
        by_compact += usize::from(c);
        by_both += usize::from(f && c);
    }
    println!(
        "planted duplicates {}: full search finds {by_full}, compact finds {by_compact}, \
         recall {:.2} % ({by_both} of {by_full})",
        d.duplicated().len(),
        100.0 * by_both as f64 / by_full.max(1) as f64
    );
    // False matches of the compact key: persons not in the gallery.
    let mut false_matches = 0;
    for p in a.recall_persons..a.recall_persons + 500 {
        let q = d.person(p, 0);
        let mut small = Person::new();
        for eye in [Eye::Right, Eye::Left] {
            if let Some(t) = q.iris(eye) {
                small = small.with_iris(eye, ringkas(t));
            }
        }
        false_matches += compact
            .search(&small, 5)
            .iter()
            .filter(|c| c.verdict != Verdict::NoMatch)
            .count();
    }
    println!("500 persons not in it: {false_matches} match or possible-match candidates");
    drop((full, compact));

    // 3. The step-2 check.
    println!(
        "== step-2 check: {} district + {} local",
        a.district, a.local
    );
    let t = Instant::now();
    let d = district(a.district + a.local, 0.0);
    let offset = chrono::FixedOffset::east_opt(7 * 3600).unwrap();
    let indeks = std::sync::Arc::new(IndeksKabupaten::new(offset, chrono::TimeDelta::days(7)));
    let mut stored: Vec<EntriIndeks> = Vec::with_capacity(a.start_persons);
    let mut batch = Vec::with_capacity(10_000);
    for p in 0..a.district {
        let e = EntriIndeks {
            seq: p + 1,
            permohonan_id: format!("1301{:02}-{p:012}", 1 + p % 15),
            isi: Some(isi(key_of(&d.person(p, 0)), p)),
        };
        if stored.len() < a.start_persons {
            stored.push(e.clone());
        }
        batch.push(e);
        if batch.len() == batch.capacity() {
            indeks.terapkan(&batch, p + 1, Some(chrono::Utc::now()));
            batch.clear();
        }
    }
    indeks.terapkan(&batch, a.district, Some(chrono::Utc::now()));
    drop(batch);
    let text = |t: &rekam_shared::bio::iris::IrisTemplate| t.to_text().into_bytes();
    let probe_of = |p: &Person| Probe {
        jari: Vec::new(),
        iris: [("right-iris", Eye::Right), ("left-iris", Eye::Left)]
            .into_iter()
            .filter_map(|(n, e)| Some((n.to_owned(), text(p.iris(e)?))))
            .collect(),
    };
    let mut local = rekam_agent::bio::LocalGallery::default();
    for p in a.district..a.district + a.local {
        let person = d.person(p, 0);
        local.tambah(
            &format!("lokal-{p}"),
            "1301010000000000",
            &probe_of(&person),
        );
    }
    println!("built in {:.0} s", t.elapsed().as_secs_f64());
    let cek = CekRekam::new(local);
    cek.set_distrik(Some(indeks.clone()));
    let mut ms = Vec::new();
    let mut found = 0;
    for i in 0..a.probes {
        // Half the probes are persons of the district index (a new capture), half are not.
        let p = if i % 2 == 0 {
            (i as u64 * 104_729) % a.district
        } else {
            a.district + a.local + i as u64
        };
        // Persons past the built range exist in the generator but not in any gallery.
        let person = if p < a.district {
            d.person(p, 1)
        } else {
            d.person(p, 0)
        };
        let t = Instant::now();
        let h = cek.cek(&probe_of(&person));
        ms.push(t.elapsed().as_secs_f64() * 1e3);
        found += usize::from(h.sudah_rekam);
        if i == 0 {
            println!("answer: {}", h.cakupan);
        }
    }
    println!(
        "p50 {:.0} ms, p99 {:.0} ms over {} probes ({found} found already recorded, {} expected)",
        pct(&mut ms, 0.5),
        pct(&mut ms, 0.99),
        a.probes,
        a.probes.div_ceil(2)
    );
    drop(cek);
    drop(indeks);

    // 4. Agent start: loading the stored index from SQLite.
    println!("== agent start with {} persons", stored.len());
    let dir = tempfile::tempdir()?;
    let mut conn = rusqlite::Connection::open(dir.path().join("rekam-agent.db"))?;
    rekam_agent::db::migrations::apply(&mut conn)?;
    let tx = conn.transaction()?;
    for chunk in stored.chunks(5_000) {
        let b = BagianIndeks {
            head: stored.len() as u64,
            versi: chunk.last().map_or(0, |e| e.seq),
            more: true,
            entri: chunk.to_vec(),
        };
        rekam_agent::sync::indeks::simpan(&tx, &b, chrono::Utc::now())?;
    }
    tx.commit()?;
    drop(stored);
    let size = std::fs::metadata(dir.path().join("rekam-agent.db"))?.len();
    let indeks = IndeksKabupaten::new(offset, chrono::TimeDelta::days(7));
    let t = Instant::now();
    let n = rekam_agent::sync::indeks::muat(&conn, &indeks)?;
    println!(
        "loaded {n} persons in {:.1} s (database {:.0} MB)",
        t.elapsed().as_secs_f64(),
        size as f64 / 1e6
    );
    Ok(())
}
