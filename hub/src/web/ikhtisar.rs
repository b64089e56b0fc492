//! The overview (ikhtisar) page `GET /ikhtisar`, the landing page after login: every
//! kecamatan side by side for a range (applications, recorded: unique / awaiting dedup /
//! duplicate, returned by reason, failed recordings, coverage against the target with its
//! rating), a coverage bar chart and a per-day trend. Data: [`crate::statistik::kueri::ikhtisar`]
//! (the read model only). Exports: `?format=csv&tabel=ikhtisar|tren`, `?format=xlsx`.

use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use maud::{Markup, html};

use super::WebState;
use super::ekspor::{self, Format, Sel, Tabel};
use super::grafik::{self, Batang, Seri};
use super::rentang::{self, Pilihan};
use super::sesi::{Masuk, RequireRole, Viewer, blocking};
use super::tampilan::{self, Teks};
use crate::statistik::kueri::{self, Ikhtisar, SumberTarget};
use crate::statistik::target::Peringkat;

/// Return reasons with their own column; every other reason is counted under "lainnya".
pub const ALASAN_KOLOM: [&str; 3] = [
    "berkas_tidak_lengkap",
    "belum_memenuhi_syarat",
    "sudah_rekam",
];

/// A kecamatan's label: its name, or its code.
pub fn label_kecamatan(kode: &str, nama: Option<&str>) -> String {
    nama.map_or_else(|| kode.to_owned(), str::to_owned)
}

/// The overview's tables: `ikhtisar` (one row per kecamatan, then the district total) and
/// `tren` (one row per day).
pub fn tabel(t: &Teks, ik: &Ikhtisar) -> Vec<Tabel> {
    let d = t.dasbor;
    let mut a = Tabel::baru(
        "ikhtisar",
        d.per_kecamatan,
        &[
            d.kode,
            t.kecamatan,
            d.permohonan,
            d.terekam,
            d.unik,
            d.menunggu_dedup,
            t.duplikat,
            d.kembali_tidak_lengkap,
            d.kembali_belum_syarat,
            d.kembali_sudah_rekam,
            d.kembali_lainnya,
            d.gagal_rekam,
            d.target,
            d.cakupan,
            d.peringkat,
            d.sumber_target,
        ],
    );
    let mut total = [0u64; 11];
    for k in &ik.kecamatan {
        let kolom: Vec<u64> = ALASAN_KOLOM
            .iter()
            .map(|a| k.dikembalikan.get(*a).copied().unwrap_or(0))
            .collect();
        let lain: u64 = k
            .dikembalikan
            .iter()
            .filter(|(a, _)| !ALASAN_KOLOM.contains(&a.as_str()))
            .map(|(_, n)| n)
            .sum();
        let n = [
            k.permohonan,
            k.terekam.jumlah,
            k.terekam.unik,
            k.terekam.menunggu_dedup,
            k.terekam.duplikat,
            kolom[0],
            kolom[1],
            kolom[2],
            lain,
            k.gagal,
            k.target.unwrap_or(0),
        ];
        for (t, v) in total.iter_mut().zip(n) {
            *t += v;
        }
        let mut row = vec![
            Sel::teks(&k.kecamatan),
            Sel::teks(label_kecamatan(&k.kecamatan, k.nama.as_deref())),
        ];
        row.extend(n[..10].iter().map(|v| Sel::Bulat(*v)));
        row.push(k.target.map_or(Sel::Kosong, Sel::Bulat));
        row.push(k.cakupan_persen.map_or(Sel::Kosong, Sel::Desimal));
        row.push(k.peringkat.clone().map_or(Sel::Kosong, Sel::Teks));
        row.push(match k.sumber_target {
            Some(SumberTarget::Register) => Sel::teks(d.sumber_register),
            Some(SumberTarget::Csv) => Sel::teks(d.sumber_csv),
            None => Sel::Kosong,
        });
        a.baris.push(row);
    }
    let mut row = vec![Sel::teks(""), Sel::teks(d.kabupaten)];
    row.extend(total[..10].iter().map(|v| Sel::Bulat(*v)));
    row.push(Sel::Bulat(total[10]));
    row.push(Sel::Kosong);
    row.push(Sel::Kosong);
    row.push(Sel::Kosong);
    a.sorot.push(a.baris.len());
    a.baris.push(row);

    let mut tren = Tabel::baru("tren", d.tren, &[d.tanggal, d.permohonan, d.terekam]);
    for h in &ik.tren {
        tren.baris.push(vec![
            Sel::teks(&h.tanggal),
            Sel::Bulat(h.permohonan.values().sum()),
            Sel::Bulat(h.terekam.values().sum()),
        ]);
    }
    vec![a, tren]
}

/// The overview page's body for `ik` (query + this render is what the bench times).
pub fn isi(t: &Teks, ik: &Ikhtisar) -> Markup {
    let d = t.dasbor;
    let tabel = tabel(t, ik);
    let q = rentang::query(&ik.rentang);
    let cakupan: Vec<Batang> = ik
        .kecamatan
        .iter()
        .filter_map(|k| {
            k.cakupan_persen.map(|p| Batang {
                label: label_kecamatan(&k.kecamatan, k.nama.as_deref()),
                nilai: p,
            })
        })
        .collect();
    let label: Vec<String> = ik.tren.iter().map(|h| h.tanggal[5..].to_owned()).collect();
    let seri = [
        Seri {
            nama: d.permohonan.to_owned(),
            nilai: ik
                .tren
                .iter()
                .map(|h| h.permohonan.values().sum::<u64>() as f64)
                .collect(),
        },
        Seri {
            nama: d.terekam.to_owned(),
            nilai: ik
                .tren
                .iter()
                .map(|h| h.terekam.values().sum::<u64>() as f64)
                .collect(),
        },
    ];
    html! {
        h1 { (d.menu_ikhtisar) }
        (rentang::pemilih(d, "/ikhtisar", &ik.rentang))
        div.grafik-dua {
            figure #grafik-cakupan {
                (grafik::batang(d.grafik_cakupan, &cakupan, "%", Some(100.0), d.belum_ada_target))
                figcaption { (d.grafik_cakupan) }
            }
            figure #grafik-tren {
                (grafik::garis(d.grafik_tren, &label, &seri, d.belum_ada_data))
                figcaption { (d.grafik_tren) }
            }
        }
        @for tb in &tabel { (ekspor::html_tabel(tb, &q, t.tidak_ada)) }
    }
}

/// The whole page.
pub fn halaman(t: &Teks, m: Option<&Masuk>, ik: &Ikhtisar) -> Markup {
    tampilan::halaman(t, m, t.dasbor.menu_ikhtisar, isi(t, ik))
}

/// `GET /ikhtisar` (viewer).
pub async fn tampil(
    State(st): State<WebState>,
    headers: HeaderMap,
    RequireRole(m, _): RequireRole<Viewer>,
    Query(p): Query<Pilihan>,
) -> Response {
    let t = Teks::dari(&headers);
    let (r, format) = match p.baca() {
        Ok(x) => x,
        Err(e) => return e.into_response(),
    };
    let peringkat = Peringkat::dari_env().unwrap_or_default();
    let (storage, cache) = (st.storage.clone(), st.cache_target.clone());
    let ik =
        match blocking(move || kueri::ikhtisar_dengan(storage.as_ref(), &r, &peringkat, &cache))
            .await
        {
            Ok(x) => x,
            Err(e) => return e,
        };
    if format != Format::Html {
        return ekspor::jawab("ikhtisar", format, p.tabel.as_deref(), &tabel(t, &ik));
    }
    tampilan::html_response(StatusCode::OK, halaman(t, Some(&m), &ik))
}
