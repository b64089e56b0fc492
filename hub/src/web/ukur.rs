//! Page timings for `rekam-statistik-bench` (figures in `docs/dashboard-data.md`): the
//! overview and time-standards PAGES as a request builds them, query plus maud render to a
//! string, over the same ranges as the query timings of [`crate::statistik::bench`].

use std::time::Instant;

use chrono::{Days, NaiveDate};

use super::tampilan::Teks;
use crate::statistik::bench::Waktu;
use crate::statistik::kueri::{self, Rentang};
use crate::statistik::target::Peringkat;
use crate::storage::Storage;

fn ukur(
    nama: String,
    runs: usize,
    mut f: impl FnMut() -> anyhow::Result<usize>,
) -> anyhow::Result<Waktu> {
    let mut d = Vec::with_capacity(runs);
    for _ in 0..runs.max(1) {
        let t = Instant::now();
        let n = f()?;
        d.push(t.elapsed());
        std::hint::black_box(n);
    }
    d.sort();
    Ok(Waktu {
        kueri: nama,
        terbaik: d[0],
        median: d[d.len() / 2],
    })
}

/// Times rendering `/ikhtisar` and `/waktu` (query + HTML) for ranges ending `akhir`.
pub fn ukur_halaman(s: &dyn Storage, akhir: NaiveDate, runs: usize) -> anyhow::Result<Vec<Waktu>> {
    let p = Peringkat::default();
    let t = &Teks::ID;
    let rentang = [
        ("hari ini", Rentang::hari_ini(akhir)),
        ("minggu ini", Rentang::minggu_ini(akhir)),
        ("bulan ini", Rentang::bulan_ini(akhir)),
        (
            "setahun",
            Rentang {
                dari: akhir - Days::new(364),
                sampai: akhir,
            },
        ),
    ];
    let mut out = Vec::new();
    for (nama, r) in rentang {
        out.push(ukur(format!("halaman ikhtisar {nama}"), runs, || {
            let ik = kueri::ikhtisar(s, &r, &p)?;
            Ok(super::ikhtisar::halaman(t, None, &ik).into_string().len())
        })?);
        out.push(ukur(format!("halaman waktu {nama}"), runs, || {
            let sw = kueri::standar_waktu(s, &r)?;
            Ok(super::waktu::halaman(t, None, &sw).into_string().len())
        })?);
    }
    Ok(out)
}
