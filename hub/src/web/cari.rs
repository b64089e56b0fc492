//! `GET /cari?q=...` (viewer and up): the resident search of the district dashboard. By NIK or
//! by name ([`crate::statistik::cari::Cari`]), over the read model's `stat_penduduk`: every
//! application of that resident in every office of the district, newest first, with its
//! office, nagari, SOP status, dates and the district's dedup outcome, linked to its case page.
//! Exports as the other pages (`format=csv|xlsx`, NIK as a text cell).
//!
//! Every search with results or without is audited (`web.cari`: the kind of search and the
//! applications shown), so the district knows who looked at whom. A bad search box answers 400
//! with a JSON body naming the field `q`.

use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use maud::{Markup, html};
use rekam_shared::workflow::Status;
use serde::Deserialize;

use super::WebState;
use super::ekspor::{self, Format, Sel, Tabel};
use super::kasus::{nama_kecamatan, waktu};
use super::sesi::{self, Masuk, RequireRole, Viewer, blocking, json_error};
use super::tampilan::{self, Teks};
use crate::statistik::cari::{BATAS, Cari, HasilCari};

/// The query string of `/cari`.
#[derive(Debug, Deserialize)]
pub struct Permintaan {
    /// The search box: a NIK or a name.
    pub q: Option<String>,
    /// `csv` or `xlsx` for an export.
    pub format: Option<String>,
    /// Which table to export as CSV.
    pub tabel: Option<String>,
}

/// The page's words, in both languages.
struct TeksCari {
    judul: &'static str,
    petunjuk: &'static str,
    tombol: &'static str,
    hasil: &'static str,
    kolom: [&'static str; 9],
    tidak_ada: &'static str,
    terpotong: &'static str,
}

const ID: TeksCari = TeksCari {
    judul: "Cari penduduk",
    petunjuk: "NIK (16 angka) atau nama (paling sedikit 3 huruf). Setiap pencarian dicatat.",
    tombol: "Cari",
    hasil: "Permohonan",
    kolom: [
        "NIK",
        "Nama",
        "Kecamatan",
        "Nagari",
        "Status",
        "Dibuka",
        "Direkam",
        "Dedup",
        "Permohonan",
    ],
    tidak_ada: "Tidak ada permohonan untuk pencarian ini.",
    terpotong: "Hanya 100 permohonan terbaru yang ditampilkan: persempit pencarian.",
};

const EN: TeksCari = TeksCari {
    judul: "Resident search",
    petunjuk: "NIK (16 digits) or name (at least 3 letters). Every search is logged.",
    tombol: "Search",
    hasil: "Applications",
    kolom: [
        "NIK",
        "Name",
        "Kecamatan",
        "Nagari",
        "Status",
        "Opened",
        "Recorded",
        "Dedup",
        "Application",
    ],
    tidak_ada: "No application for this search.",
    terpotong: "Only the 100 newest applications are shown: narrow the search.",
};

fn teks(t: &Teks) -> &'static TeksCari {
    if t.kode == "en" { &EN } else { &ID }
}

fn tanggal(rfc3339: Option<&str>) -> Sel {
    match rfc3339.and_then(|s| chrono::DateTime::parse_from_rfc3339(s).ok()) {
        Some(t) => Sel::teks(waktu(&t.with_timezone(&chrono::Utc))),
        None => Sel::Kosong,
    }
}

/// The results as the page's (and the exports') table.
fn tabel(c: &TeksCari, hasil: &[HasilCari]) -> Tabel {
    let mut tb = Tabel::baru("permohonan", c.hasil, &c.kolom);
    for h in hasil {
        tb.baris.push(vec![
            Sel::teks(&h.nik),
            Sel::teks(&h.nama),
            Sel::teks(nama_kecamatan(&h.kecamatan)),
            h.nagari.clone().map_or(Sel::Kosong, Sel::Teks),
            Sel::teks(Status::label_nama(&h.status).unwrap_or(&h.status)),
            tanggal(h.dibuka.as_deref()),
            tanggal(h.direkam.as_deref()),
            h.dedup.clone().map_or(Sel::Kosong, Sel::Teks),
            Sel::Tautan(
                h.permohonan_id.clone(),
                format!("/kasus/{}", h.permohonan_id),
            ),
        ]);
        if h.dedup.as_deref() == Some("duplikat") {
            tb.sorot.push(tb.baris.len() - 1);
        }
    }
    tb
}

fn halaman(t: &Teks, m: &Masuk, q: &str, hasil: Option<&[HasilCari]>) -> Markup {
    let c = teks(t);
    let query: String = form_urlencoded::Serializer::new(String::new())
        .append_pair("q", q)
        .finish();
    let isi = html! {
        h1 { (c.judul) }
        form.cari method="get" action="/cari" {
            input type="search" name="q" value=(q) autofocus required;
            button type="submit" { (c.tombol) }
        }
        p.petunjuk { (c.petunjuk) }
        @if let Some(hasil) = hasil {
            @if hasil.len() >= BATAS { p.peringatan { (c.terpotong) } }
            (ekspor::html_tabel(&tabel(c, hasil), &query, c.tidak_ada))
        }
    };
    tampilan::halaman(t, Some(m), c.judul, isi)
}

/// `GET /cari`.
pub async fn tampil(
    State(st): State<WebState>,
    headers: HeaderMap,
    RequireRole(m, _): RequireRole<Viewer>,
    Query(p): Query<Permintaan>,
) -> Response {
    let t = Teks::dari(&headers);
    let format = match Format::dari(p.format.as_deref()) {
        Ok(f) => f,
        Err(e) => return e.into_response(),
    };
    let q = p.q.unwrap_or_default();
    if q.trim().is_empty() && format == Format::Html {
        return tampilan::html_response(StatusCode::OK, halaman(t, &m, "", None));
    }
    let cari = match Cari::baca(&q) {
        Ok(c) => c,
        Err(e) => return json_error(StatusCode::BAD_REQUEST, &e.to_string(), "q"),
    };
    let storage = st.storage.clone();
    let c2 = cari.clone();
    let hasil = match blocking(move || storage.statistik().cari_penduduk(&c2, BATAS)).await {
        Ok(h) => h,
        Err(r) => return r,
    };
    let dilihat: Vec<&str> = hasil.iter().map(|h| h.permohonan_id.as_str()).collect();
    let detail = format!(
        "{} {}: {} hasil{}{}",
        cari.jenis(),
        match format {
            Format::Html => "halaman",
            Format::Csv => "csv",
            Format::Xlsx => "xlsx",
        },
        hasil.len(),
        if dilihat.is_empty() { "" } else { ": " },
        dilihat.join(",")
    );
    if let Err(r) = sesi::audit(&st, &m.nama, "web.cari", None, detail).await {
        return r;
    }
    if format != Format::Html {
        return ekspor::jawab(
            "cari",
            format,
            p.tabel.as_deref(),
            &[tabel(teks(t), &hasil)],
        );
    }
    tampilan::html_response(StatusCode::OK, halaman(t, &m, &q, Some(&hasil)))
}
