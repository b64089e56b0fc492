//! Page timings for `rekam-statistik-bench` (figures in `docs/dashboard-data.md`): the
//! overview and time-standards PAGES as a request builds them, query plus maud render to a
//! string, over the same ranges as the query timings of [`crate::statistik::bench`].

use chrono::NaiveDate;

use super::tampilan::Teks;
use crate::statistik::bench::{Waktu, rentang_ukur, ukur};
use crate::statistik::kueri;
use crate::statistik::target::Peringkat;
use crate::storage::Storage;

/// Times rendering `/ikhtisar` and `/waktu` (query + HTML) for ranges ending `akhir`.
pub fn ukur_halaman(s: &dyn Storage, akhir: NaiveDate, runs: usize) -> anyhow::Result<Vec<Waktu>> {
    let p = Peringkat::default();
    let t = &Teks::ID;
    let mut out = Vec::new();
    for (nama, r) in rentang_ukur(akhir) {
        out.push(ukur(&format!("halaman ikhtisar {nama}"), runs, || {
            let ik = kueri::ikhtisar(s, &r, &p)?;
            Ok(super::ikhtisar::halaman(t, None, &ik).into_string().len())
        })?);
        out.push(ukur(&format!("halaman waktu {nama}"), runs, || {
            let sw = kueri::standar_waktu(s, &r)?;
            Ok(super::waktu::halaman(t, None, &sw).into_string().len())
        })?);
    }
    Ok(out)
}
