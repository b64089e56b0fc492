//! The deduplication page `GET /dedup`: open cases first (suspected double identities at the
//! top, each linking to its adjudication page `/kasus/{id}`), then decided cases, then per
//! office the recordings by dedup outcome, the duplicate rate, capture quality and exceptions
//! ([`crate::statistik::kueri::dedup_per_kantor`], for the chosen range). The case lists are
//! [`super::kasus::cases`], the same as `/kasus`.
//! Exports: `?format=csv&tabel=terbuka|diputuskan|per_kantor`, `?format=xlsx`.

use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use maud::{Markup, html};
use rekam_shared::document::JenisTemuan;

use super::WebState;
use super::ekspor::{self, Format, Sel, Tabel};
use super::kasus::{self, Baris};
use super::rentang::{self, Pilihan};
use super::sesi::{Masuk, RequireRole, Viewer, blocking};
use super::tampilan::{self, Teks};
use crate::statistik::kueri::{self, DedupKantor, Rentang};

fn wib(t: &chrono::DateTime<chrono::Utc>) -> String {
    t.with_timezone(&crate::statistik::baris::zona())
        .format("%Y-%m-%d %H:%M WIB")
        .to_string()
}

fn kasus_tabel(t: &Teks, id: &'static str, judul: &str, rows: &[Baris], terbuka: bool) -> Tabel {
    let d = t.dasbor;
    let mut a = Tabel::baru(
        id,
        judul,
        &[t.permohonan, d.kode, t.jenis, t.hasil, t.oleh, t.waktu],
    );
    for (i, b) in rows.iter().enumerate() {
        if terbuka && b.keputusan.jenis == Some(JenisTemuan::IdentitasGanda) {
            a.sorot.push(i);
        }
        a.baris.push(vec![
            Sel::Tautan(b.id.clone(), format!("/kasus/{}", b.id)),
            Sel::teks(&b.kecamatan),
            Sel::teks(b.keputusan.jenis.map_or("-", JenisTemuan::label)),
            Sel::teks(b.keputusan.hasil.label()),
            Sel::teks(&b.keputusan.oleh),
            Sel::teks(wib(&b.keputusan.waktu)),
        ]);
    }
    a
}

/// The page's tables.
pub fn tabel(t: &Teks, terbuka: &[Baris], diputuskan: &[Baris], per: &[DedupKantor]) -> Vec<Tabel> {
    let d = t.dasbor;
    let mut p = Tabel::baru(
        "per_kantor",
        d.per_kantor,
        &[
            d.kode,
            d.terekam,
            d.unik,
            d.menunggu_dedup,
            d.perlu_adjudikasi,
            t.duplikat,
            d.persen_duplikat,
            d.kualitas_rata,
            d.kualitas_rendah,
            d.pengecualian,
            d.dengan_pengecualian,
        ],
    );
    for k in per {
        p.baris.push(vec![
            Sel::teks(&k.kecamatan),
            Sel::Bulat(k.terekam.jumlah),
            Sel::Bulat(k.terekam.unik),
            Sel::Bulat(k.terekam.menunggu_dedup),
            Sel::Bulat(k.perlu_adjudikasi),
            Sel::Bulat(k.terekam.duplikat),
            k.persen_duplikat.map_or(Sel::Kosong, Sel::Desimal),
            k.kualitas_rata.map_or(Sel::Kosong, Sel::Desimal),
            Sel::Bulat(k.kualitas_rendah),
            Sel::Bulat(k.pengecualian),
            Sel::Bulat(k.dengan_pengecualian),
        ]);
    }
    vec![
        kasus_tabel(t, "terbuka", t.kasus_terbuka, terbuka, true),
        kasus_tabel(t, "diputuskan", t.kasus_diputuskan, diputuskan, false),
        p,
    ]
}

/// The page's body.
pub fn isi(t: &Teks, r: &Rentang, tabel: &[Tabel]) -> Markup {
    let d = t.dasbor;
    let q = rentang::query(r);
    html! {
        h1 { (d.menu_dedup) }
        (rentang::pemilih(d, "/dedup", r))
        @for tb in tabel { (ekspor::html_tabel(tb, &q, t.tidak_ada)) }
    }
}

/// The whole page.
pub fn halaman(t: &Teks, m: Option<&Masuk>, r: &Rentang, tabel: &[Tabel]) -> Markup {
    tampilan::halaman(t, m, t.dasbor.menu_dedup, isi(t, r, tabel))
}

/// `GET /dedup` (viewer).
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
    let ((terbuka, diputuskan), per) = match blocking(move || {
        Ok((
            kasus::cases(storage.as_ref())?,
            kueri::dedup_per_kantor(storage.as_ref(), &r)?,
        ))
    })
    .await
    {
        Ok(x) => x,
        Err(e) => return e,
    };
    let tb = tabel(t, &terbuka, &diputuskan, &per);
    if format != Format::Html {
        return ekspor::jawab("dedup", format, p.tabel.as_deref(), &tb);
    }
    tampilan::html_response(StatusCode::OK, halaman(t, Some(&m), &r, &tb))
}
