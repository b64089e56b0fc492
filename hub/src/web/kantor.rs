//! The offices (kantor) page `GET /kantor`: each office's last contact with the hub, sync
//! requests, documents stored at the hub, applications waiting for dedup and since when, the
//! serial of its certificate, and the district index version the hub is at. An office silent
//! for longer than `rekam-hub serve --kantor-diam-menit N` (default 120), or never seen, is
//! highlighted. What the hub does not store (documents and bytes still waiting at the office,
//! its software version, its certificate's expiry, the index version it holds) shows "—".
//! Data: [`crate::statistik::kueri::kantor`]. Exports: `?format=csv`, `?format=xlsx`.

use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Utc};
use maud::{Markup, html};

use super::WebState;
use super::ekspor::{self, Format, Sel, Tabel};
use super::ikhtisar::label_kecamatan;
use super::rentang::Pilihan;
use super::sesi::{Masuk, RequireRole, Viewer, blocking};
use super::tampilan::{self, Teks};
use crate::statistik::kueri::{self, Kantor};

fn wib(t: &DateTime<Utc>) -> String {
    t.with_timezone(&crate::statistik::baris::zona())
        .format("%Y-%m-%d %H:%M WIB")
        .to_string()
}

fn waktu(s: Option<&str>) -> Sel {
    match s.map(DateTime::parse_from_rfc3339) {
        Some(Ok(t)) => Sel::Teks(wib(&t.with_timezone(&Utc))),
        Some(Err(_)) => Sel::teks(s.unwrap_or_default()),
        None => Sel::Kosong,
    }
}

/// Minutes since the office's last contact at `now` (`None`: never, or unreadable).
pub fn menit_diam(k: &Kantor, now: DateTime<Utc>) -> Option<i64> {
    let t = DateTime::parse_from_rfc3339(k.terakhir_kontak.as_deref()?).ok()?;
    Some((now - t.with_timezone(&Utc)).num_minutes().max(0))
}

/// The offices table; offices silent for more than `diam_menit` minutes (or never seen) are
/// highlighted.
pub fn tabel(t: &Teks, kantor: &[Kantor], now: DateTime<Utc>, diam_menit: u64) -> Vec<Tabel> {
    let d = t.dasbor;
    let mut a = Tabel::baru(
        "kantor",
        d.menu_kantor,
        &[
            d.kode,
            t.kecamatan,
            d.kontak_terakhir,
            d.diam_menit,
            d.permintaan_sync,
            d.dokumen_hub,
            d.menunggu_dedup,
            d.menunggu_sejak,
            d.serial_sertifikat,
            d.menunggu_kirim,
            d.versi_perangkat,
            d.sertifikat_berlaku,
            d.versi_indeks_kantor,
        ],
    );
    for (i, k) in kantor.iter().enumerate() {
        let diam = menit_diam(k, now);
        if diam.is_none_or(|m| m > diam_menit as i64) {
            a.sorot.push(i);
        }
        a.baris.push(vec![
            Sel::teks(&k.kecamatan),
            Sel::teks(label_kecamatan(&k.kecamatan, k.nama.as_deref())),
            waktu(k.terakhir_kontak.as_deref()),
            diam.map_or(Sel::Kosong, |m| Sel::Bulat(m as u64)),
            Sel::Bulat(k.permintaan),
            Sel::Bulat(k.dokumen),
            Sel::Bulat(k.menunggu_dedup),
            waktu(k.menunggu_sejak.as_deref()),
            k.serial_sertifikat.clone().map_or(Sel::Kosong, Sel::Teks),
            Sel::Kosong,
            Sel::Kosong,
            Sel::Kosong,
            Sel::Kosong,
        ]);
    }
    vec![a]
}

/// The page's body.
pub fn isi(
    t: &Teks,
    kantor: &[Kantor],
    indeks: u64,
    now: DateTime<Utc>,
    diam_menit: u64,
) -> Markup {
    let d = t.dasbor;
    let tabel = tabel(t, kantor, now, diam_menit);
    html! {
        h1 { (d.menu_kantor) }
        p { (d.versi_indeks_hub) ": " strong #versi-indeks { (indeks) } }
        p.catatan { (d.kantor_diam_catatan) " " (diam_menit) " " (d.menit) "." }
        p.catatan { (d.kantor_tidak_disimpan) }
        @for tb in &tabel { (ekspor::html_tabel(tb, "", t.tidak_ada)) }
    }
}

/// The whole page.
pub fn halaman(
    t: &Teks,
    m: Option<&Masuk>,
    kantor: &[Kantor],
    indeks: u64,
    diam_menit: u64,
) -> Markup {
    tampilan::halaman(
        t,
        m,
        t.dasbor.menu_kantor,
        isi(t, kantor, indeks, Utc::now(), diam_menit),
    )
}

/// `GET /kantor` (viewer).
pub async fn tampil(
    State(st): State<WebState>,
    headers: HeaderMap,
    RequireRole(m, _): RequireRole<Viewer>,
    Query(p): Query<Pilihan>,
) -> Response {
    let t = Teks::dari(&headers);
    let format = match p.format() {
        Ok(f) => f,
        Err(e) => return e.into_response(),
    };
    let storage = st.storage.clone();
    let (kantor, indeks) = match blocking(move || {
        let mut head = 0;
        storage.transaction(&mut |tx| {
            head = tx.index_head()?;
            Ok(())
        })?;
        Ok((kueri::kantor(storage.as_ref())?, head))
    })
    .await
    {
        Ok(x) => x,
        Err(e) => return e,
    };
    let diam = st.config.kantor_diam_menit;
    if format != Format::Html {
        return ekspor::jawab(
            "kantor",
            format,
            p.tabel.as_deref(),
            &tabel(t, &kantor, Utc::now(), diam),
        );
    }
    tampilan::html_response(StatusCode::OK, halaman(t, Some(&m), &kantor, indeks, diam))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn k(kontak: Option<&str>) -> Kantor {
        Kantor {
            kecamatan: "130101".into(),
            nama: None,
            terakhir_kontak: kontak.map(String::from),
            serial_sertifikat: None,
            permintaan: 0,
            dokumen: 0,
            menunggu_dedup: 0,
            menunggu_sejak: None,
        }
    }

    #[test]
    fn silent_offices_are_highlighted() {
        let now: DateTime<Utc> = "2026-12-02T10:00:00Z".parse().unwrap();
        let rows = [
            k(Some("2026-12-02T09:00:00Z")),
            k(Some("2026-12-02T07:59:00Z")),
            k(None),
        ];
        let t = &tabel(&Teks::ID, &rows, now, 120)[0];
        assert_eq!(t.sorot, vec![1, 2]);
        assert_eq!(t.baris[0][3], Sel::Bulat(60));
        assert_eq!(t.baris[0][2], Sel::teks("2026-12-02 16:00 WIB"));
    }
}
