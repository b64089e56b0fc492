//! The SOP time standards page `GET /waktu`: per step (5 / 5-10 / 5-10 / 5 minutes) for the
//! district, per office and per operator: ended runs, the share within the standard, the
//! distribution of durations (a histogram chart per step and a table) and the late reasons
//! given. Data: [`crate::statistik::kueri::standar_waktu`] (the read model only).
//! Exports: `?format=csv&tabel=langkah|histogram|per_kantor|per_operator|alasan`, `?format=xlsx`.

use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use maud::{Markup, html};

use super::WebState;
use super::ekspor::{self, Format, Sel, Tabel};
use super::grafik::{self, Batang};
use super::ikhtisar::label_kecamatan;
use super::rentang::{self, Pilihan};
use super::sesi::{Masuk, RequireRole, Viewer, blocking};
use super::tampilan::{self, Teks};
use crate::statistik::kueri::{self, KelompokWaktu, StandarWaktu};

/// The labels of the histogram's buckets ("< 1 mnt", "1-2 mnt", ..., "> 60 mnt").
pub fn label_ember(ember_detik: &[i64]) -> Vec<String> {
    let mut out = Vec::with_capacity(ember_detik.len() + 1);
    let mut bawah = 0;
    for &b in ember_detik {
        out.push(if bawah == 0 {
            format!("< {} mnt", b / 60)
        } else {
            format!("{}-{} mnt", bawah / 60, b / 60)
        });
        bawah = b;
    }
    out.push(format!("> {} mnt", bawah / 60));
    out
}

fn persen(g: &KelompokWaktu) -> Sel {
    g.persen_sesuai.map_or(Sel::Kosong, Sel::Desimal)
}

fn nama_kec(kode: &str) -> String {
    let nama = kode
        .parse::<rekam_shared::region::KodeKecamatan>()
        .ok()
        .and_then(rekam_shared::region::kecamatan_pesisir_selatan)
        .map(|k| k.nama.to_string());
    label_kecamatan(kode, nama.as_deref())
}

/// The page's tables.
pub fn tabel(t: &Teks, sw: &StandarWaktu) -> Vec<Tabel> {
    let d = t.dasbor;
    let mut langkah = Tabel::baru(
        "langkah",
        d.per_langkah,
        &[
            d.langkah,
            d.standar_menit,
            d.selesai,
            d.sesuai_standar,
            d.persen_sesuai,
            d.terlambat,
        ],
    );
    for g in &sw.langkah {
        langkah.baris.push(vec![
            Sel::Bulat(u64::from(g.langkah)),
            Sel::Bulat(g.batas_menit as u64),
            Sel::Bulat(g.jumlah),
            Sel::Bulat(g.sesuai_standar),
            persen(g),
            Sel::Bulat(g.jumlah - g.sesuai_standar),
        ]);
    }
    let ember = label_ember(&sw.ember_detik);
    let mut kolom: Vec<&str> = vec![d.langkah];
    kolom.extend(ember.iter().map(String::as_str));
    let mut histogram = Tabel::baru("histogram", d.sebaran_durasi, &kolom);
    for g in &sw.langkah {
        let mut row = vec![Sel::Bulat(u64::from(g.langkah))];
        row.extend(g.histogram.iter().map(|n| Sel::Bulat(*n)));
        histogram.baris.push(row);
    }
    let mut per_kantor = Tabel::baru(
        "per_kantor",
        d.per_kantor,
        &[
            d.langkah,
            d.kode,
            t.kecamatan,
            d.selesai,
            d.sesuai_standar,
            d.persen_sesuai,
        ],
    );
    for g in &sw.per_kantor {
        let k = g.kecamatan.clone().unwrap_or_default();
        per_kantor.baris.push(vec![
            Sel::Bulat(u64::from(g.langkah)),
            Sel::teks(&k),
            Sel::teks(nama_kec(&k)),
            Sel::Bulat(g.jumlah),
            Sel::Bulat(g.sesuai_standar),
            persen(g),
        ]);
    }
    let mut per_operator = Tabel::baru(
        "per_operator",
        d.per_operator,
        &[
            d.langkah,
            d.kode,
            d.operator,
            d.selesai,
            d.sesuai_standar,
            d.persen_sesuai,
        ],
    );
    for g in &sw.per_operator {
        per_operator.baris.push(vec![
            Sel::Bulat(u64::from(g.langkah)),
            Sel::teks(g.kecamatan.clone().unwrap_or_default()),
            Sel::teks(g.operator.clone().unwrap_or_default()),
            Sel::Bulat(g.jumlah),
            Sel::Bulat(g.sesuai_standar),
            persen(g),
        ]);
    }
    let mut alasan = Tabel::baru(
        "alasan",
        d.alasan_terlambat,
        &[d.langkah, t.alasan, d.jumlah],
    );
    for g in &sw.langkah {
        for (a, n) in &g.alasan_terlambat {
            alasan.baris.push(vec![
                Sel::Bulat(u64::from(g.langkah)),
                Sel::teks(a),
                Sel::Bulat(*n),
            ]);
        }
    }
    vec![langkah, histogram, per_kantor, per_operator, alasan]
}

/// The page's body (query + this render is what the bench times).
pub fn isi(t: &Teks, sw: &StandarWaktu) -> Markup {
    let d = t.dasbor;
    let tabel = tabel(t, sw);
    let q = rentang::query(&sw.rentang);
    let ember = label_ember(&sw.ember_detik);
    html! {
        h1 { (d.menu_waktu) }
        (rentang::pemilih(d, "/waktu", &sw.rentang))
        div.grafik-empat {
            @for g in &sw.langkah {
                @let judul = format!("{} {} ({} {}): {}", d.langkah, g.langkah, d.standar_menit, g.batas_menit, d.sebaran_durasi);
                @let data: Vec<Batang> = if g.jumlah == 0 { Vec::new() } else {
                    ember.iter().zip(&g.histogram).map(|(l, n)| Batang { label: l.clone(), nilai: *n as f64 }).collect()
                };
                figure.histogram data-langkah=(g.langkah) {
                    (grafik::batang(&judul, &data, "", None, d.belum_ada_data))
                    figcaption { (judul) }
                }
            }
        }
        @for tb in &tabel { (ekspor::html_tabel(tb, &q, t.tidak_ada)) }
    }
}

/// The whole page.
pub fn halaman(t: &Teks, m: Option<&Masuk>, sw: &StandarWaktu) -> Markup {
    tampilan::halaman(t, m, t.dasbor.menu_waktu, isi(t, sw))
}

/// `GET /waktu` (viewer).
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
    let storage = st.storage.clone();
    let sw = match blocking(move || kueri::standar_waktu(storage.as_ref(), &r)).await {
        Ok(x) => x,
        Err(e) => return e,
    };
    if format != Format::Html {
        return ekspor::jawab("waktu", format, p.tabel.as_deref(), &tabel(t, &sw));
    }
    tampilan::html_response(StatusCode::OK, halaman(t, Some(&m), &sw))
}

#[cfg(test)]
mod tests {
    #[test]
    fn bucket_labels() {
        assert_eq!(
            super::label_ember(&crate::statistik::kueri::EMBER_DETIK),
            [
                "< 1 mnt",
                "1-2 mnt",
                "2-5 mnt",
                "5-10 mnt",
                "10-15 mnt",
                "15-30 mnt",
                "30-60 mnt",
                "> 60 mnt"
            ]
        );
    }
}
