//! The belum-rekam page `GET /belum-rekam` (adjudicator or admin: it lists residents by name and
//! NIK): who the population register says must hold a KTP-el and has no recording in the
//! district ([`crate::penduduk::belum_rekam`]), counted per kecamatan and nagari with the
//! district total, the list a page at a time, and the residents turning 17 within 30 days.
//! Filters `?kecamatan=CODE&nagari=NAME&pada=YYYY-MM-DD&halaman=N` (400 naming the field when
//! bad). Exports `?format=csv&tabel=per_nagari|daftar|segera_17` and `?format=xlsx` (the whole
//! list, not one page; NIK and No. KK as text cells). Every answer is audited
//! (`penduduk.belum_rekam`: who, which filter, how many; never a NIK).

use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use chrono::NaiveDate;
use maud::{Markup, html};
use serde::Deserialize;

use super::WebState;
use super::ekspor::{self, Format, Sel, Tabel};
use super::rentang::{self, Tolak};
use super::sesi::{self, Masuk, Pengadjudikasi, RequireRole, blocking};
use super::tampilan::{self, Teks};
use crate::penduduk::belum_rekam::{self, BelumRekam, Saring};
use rekam_shared::register::{KABUPATEN, PendudukTerdaftar};

/// The page's strings in one language.
#[derive(Debug)]
pub struct TeksBelumRekam {
    /// Menu and heading.
    pub judul: &'static str,
    /// Explanation under the heading.
    pub keterangan: &'static str,
    /// Heading: counts per nagari.
    pub per_nagari: &'static str,
    /// Heading: the list.
    pub daftar: &'static str,
    /// Heading: turning 17 soon.
    pub segera_17: &'static str,
    /// Column: must hold a KTP-el.
    pub wajib: &'static str,
    /// Column: recorded.
    pub terekam: &'static str,
    /// Column: not recorded.
    pub belum: &'static str,
    /// Column: turning 17 within 30 days.
    pub segera: &'static str,
    /// Column: No. KK.
    pub no_kk: &'static str,
    /// Column: sex.
    pub jenis_kelamin: &'static str,
    /// Column: date of birth.
    pub tanggal_lahir: &'static str,
    /// Column: age.
    pub umur: &'static str,
    /// Column: marital status.
    pub status_kawin: &'static str,
    /// Column: address.
    pub alamat: &'static str,
    /// Column: the day of the 17th birthday.
    pub tanggal_17: &'static str,
    /// Field: the date judged on.
    pub pada: &'static str,
    /// Option: every kecamatan / nagari.
    pub semua: &'static str,
    /// Filter button.
    pub tampilkan: &'static str,
    /// Paging: page X of Y.
    pub halaman: &'static str,
    /// Paging: previous.
    pub sebelumnya: &'static str,
    /// Paging: next.
    pub berikutnya: &'static str,
    /// No register loaded.
    pub belum_ada_register: &'static str,
}

impl TeksBelumRekam {
    /// Indonesian.
    pub const ID: TeksBelumRekam = TeksBelumRekam {
        judul: "Belum rekam",
        keterangan: "Penduduk yang menurut database kependudukan wajib memiliki KTP-el (berumur 17 tahun atau lebih, atau sudah/pernah kawin), berstatus aktif, dan belum pernah berhasil direkam di kecamatan mana pun di kabupaten.",
        per_nagari: "Jumlah per nagari",
        daftar: "Daftar penduduk belum rekam",
        segera_17: "Berumur 17 tahun dalam 30 hari ke depan",
        wajib: "Wajib KTP-el",
        terekam: "Sudah rekam",
        belum: "Belum rekam",
        segera: "17 tahun dalam 30 hari",
        no_kk: "No. KK",
        jenis_kelamin: "Jenis kelamin",
        tanggal_lahir: "Tanggal lahir",
        umur: "Umur",
        status_kawin: "Status perkawinan",
        alamat: "Alamat",
        tanggal_17: "Berumur 17 pada",
        pada: "Per tanggal",
        semua: "Semua",
        tampilkan: "Tampilkan",
        halaman: "Halaman",
        sebelumnya: "Sebelumnya",
        berikutnya: "Berikutnya",
        belum_ada_register: "Database kependudukan belum diimpor (rekam-hub penduduk import).",
    };

    /// English.
    pub const EN: TeksBelumRekam = TeksBelumRekam {
        judul: "Not yet recorded",
        keterangan: "Residents the population register says must hold a KTP-el (aged 17 or over, or ever married), active, and with no successful recording in any kecamatan of the district.",
        per_nagari: "Counts per nagari",
        daftar: "Residents not yet recorded",
        segera_17: "Turning 17 within the next 30 days",
        wajib: "Must hold a KTP-el",
        terekam: "Recorded",
        belum: "Not recorded",
        segera: "17 within 30 days",
        no_kk: "Family card no.",
        jenis_kelamin: "Sex",
        tanggal_lahir: "Date of birth",
        umur: "Age",
        status_kawin: "Marital status",
        alamat: "Address",
        tanggal_17: "Turns 17 on",
        pada: "As of",
        semua: "All",
        tampilkan: "Show",
        halaman: "Page",
        sebelumnya: "Previous",
        berikutnya: "Next",
        belum_ada_register: "No population register imported yet (rekam-hub penduduk import).",
    };

    /// The strings of the page's language.
    pub fn dari(t: &Teks) -> &'static TeksBelumRekam {
        if t.kode == "en" { &Self::EN } else { &Self::ID }
    }
}

/// The query string (every field optional).
#[derive(Debug, Clone, Default, Deserialize)]
pub struct Pilihan {
    /// Kecamatan code (6 digits or dotted).
    pub kecamatan: Option<String>,
    /// Nagari name.
    pub nagari: Option<String>,
    /// The date judged on (`YYYY-MM-DD`, default today in WIB).
    pub pada: Option<String>,
    /// Page of the list.
    pub halaman: Option<String>,
    /// `csv` or `xlsx`.
    pub format: Option<String>,
    /// The table of a CSV export.
    pub tabel: Option<String>,
}

/// Longest nagari name accepted in the filter.
const MAKS_NAGARI: usize = 100;

fn tolak(pesan: &'static str, field: &'static str) -> Tolak {
    Tolak { pesan, field }
}

/// Checks the query: the filter, and the export format.
pub fn baca(p: &Pilihan, hari_ini: NaiveDate) -> Result<(Saring, Format), Tolak> {
    let isi = |v: &Option<String>| {
        v.as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_owned)
    };
    let kecamatan = match isi(&p.kecamatan) {
        None => None,
        Some(k) => {
            let kode = k
                .parse::<rekam_shared::region::KodeKecamatan>()
                .ok()
                .filter(|k| rekam_shared::register::di_kabupaten(*k))
                .ok_or(tolak(
                    "kecamatan harus kode kecamatan Kabupaten Pesisir Selatan",
                    "kecamatan",
                ))?;
            Some(kode.to_string())
        }
    };
    let nagari = isi(&p.nagari);
    if nagari
        .as_ref()
        .is_some_and(|n| n.chars().count() > MAKS_NAGARI || n.chars().any(char::is_control))
    {
        return Err(tolak("nagari paling panjang 100 karakter", "nagari"));
    }
    let pada = match isi(&p.pada) {
        None => hari_ini,
        Some(s) => NaiveDate::parse_from_str(&s, "%Y-%m-%d")
            .ok()
            .filter(|_| s.len() == 10)
            .filter(|d| *d >= NaiveDate::from_ymd_opt(1900, 1, 1).unwrap_or(NaiveDate::MIN))
            .filter(|d| *d <= NaiveDate::from_ymd_opt(2100, 12, 31).unwrap_or(NaiveDate::MAX))
            .ok_or(tolak("pada harus tanggal YYYY-MM-DD", "pada"))?,
    };
    let format = Format::dari(p.format.as_deref())?;
    let halaman = match isi(&p.halaman) {
        None => 1,
        Some(s) => s
            .parse::<usize>()
            .ok()
            .filter(|n| (1..=1_000_000).contains(n))
            .ok_or(tolak(
                "halaman harus bilangan bulat 1 atau lebih",
                "halaman",
            ))?,
    };
    Ok((
        Saring {
            pada,
            kecamatan,
            nagari,
            halaman: (format == Format::Html).then_some(halaman),
        },
        format,
    ))
}

fn nama_kecamatan(kode: &str) -> String {
    kode.parse::<rekam_shared::region::KodeKecamatan>()
        .ok()
        .and_then(|k| rekam_shared::region::builtin().kecamatan(k))
        .map_or_else(|| kode.to_owned(), |k| k.nama.to_string())
}

fn baris_penduduk(p: &PendudukTerdaftar, pada: NaiveDate) -> Vec<Sel> {
    let d = &p.penduduk;
    vec![
        Sel::teks(d.nik.to_string()),
        Sel::teks(d.no_kk.to_string()),
        Sel::teks(&d.nama),
        Sel::teks(d.jenis_kelamin.as_str()),
        Sel::teks(d.tanggal_lahir.to_string()),
        Sel::Bulat(u64::from(rekam_shared::eligibility::umur(
            d.tanggal_lahir,
            pada.max(d.tanggal_lahir),
        ))),
        Sel::teks(d.status_perkawinan.as_str()),
        Sel::teks(format!("{} RT {:03} RW {:03}", d.alamat, d.rt, d.rw)),
        Sel::teks(&d.nagari),
        Sel::teks(nama_kecamatan(&d.kecamatan.to_string())),
    ]
}

/// The page's tables: `per_nagari` (with the district total), `daftar`, `segera_17`.
pub fn tabel(t: &Teks, b: &BelumRekam) -> Vec<Tabel> {
    let tb = TeksBelumRekam::dari(t);
    let d = t.dasbor;
    let mut a = Tabel::baru(
        "per_nagari",
        tb.per_nagari,
        &[
            d.kode,
            t.kecamatan,
            t.nagari,
            tb.wajib,
            tb.terekam,
            tb.belum,
            tb.segera,
            d.cakupan,
        ],
    );
    let cakupan = |terekam: u64, wajib: u64| {
        if wajib == 0 {
            Sel::Kosong
        } else {
            Sel::Desimal(100.0 * terekam as f64 / wajib as f64)
        }
    };
    for h in &b.per_nagari {
        a.baris.push(vec![
            Sel::teks(&h.kecamatan),
            Sel::teks(nama_kecamatan(&h.kecamatan)),
            Sel::teks(&h.nagari),
            Sel::Bulat(h.wajib),
            Sel::Bulat(h.terekam),
            Sel::Bulat(h.belum),
            Sel::Bulat(h.segera_17),
            cakupan(h.terekam, h.wajib),
        ]);
    }
    a.sorot.push(a.baris.len());
    a.baris.push(vec![
        Sel::teks(""),
        Sel::teks(d.kabupaten),
        Sel::teks(""),
        Sel::Bulat(b.total.wajib),
        Sel::Bulat(b.total.terekam),
        Sel::Bulat(b.total.belum),
        Sel::Bulat(b.total.segera_17),
        cakupan(b.total.terekam, b.total.wajib),
    ]);
    let kolom = [
        t.nik,
        tb.no_kk,
        t.nama,
        tb.jenis_kelamin,
        tb.tanggal_lahir,
        tb.umur,
        tb.status_kawin,
        tb.alamat,
        t.nagari,
        t.kecamatan,
    ];
    let mut l = Tabel::baru("daftar", tb.daftar, &kolom);
    for p in &b.daftar {
        l.baris.push(baris_penduduk(p, b.pada));
    }
    let mut kolom17 = kolom.to_vec();
    kolom17.push(tb.tanggal_17);
    let mut s = Tabel::baru("segera_17", tb.segera_17, &kolom17);
    for x in &b.segera_17 {
        let mut r = baris_penduduk(&x.penduduk, b.pada);
        r.push(Sel::teks(x.tanggal.to_string()));
        s.baris.push(r);
    }
    vec![a, l, s]
}

/// The query string of the filter (for the export and paging links).
fn query(s: &Saring) -> String {
    let mut q = format!("pada={}", s.pada);
    let enc = |v: &str| -> String {
        v.bytes()
            .map(|b| match b {
                b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' => {
                    (b as char).to_string()
                }
                _ => format!("%{b:02X}"),
            })
            .collect()
    };
    if let Some(k) = &s.kecamatan {
        q.push_str(&format!("&kecamatan={}", enc(k)));
    }
    if let Some(n) = &s.nagari {
        q.push_str(&format!("&nagari={}", enc(n)));
    }
    q
}

/// The page's body.
pub fn isi(t: &Teks, s: &Saring, b: &BelumRekam, nagari: &[(String, String)]) -> Markup {
    let tb = TeksBelumRekam::dari(t);
    let q = query(s);
    let tabel = tabel(t, b);
    let kecamatan = rekam_shared::region::builtin().kecamatan_of(KABUPATEN.0, KABUPATEN.1);
    let pilihan_nagari: Vec<&str> = nagari
        .iter()
        .filter(|(k, _)| s.kecamatan.as_ref().is_none_or(|x| x == k))
        .map(|(_, n)| n.as_str())
        .collect();
    html! {
        h1 { (tb.judul) }
        p { (tb.keterangan) }
        @if nagari.is_empty() { p.peringatan #belum-ada-register { (tb.belum_ada_register) } }
        form.saring method="get" action="/belum-rekam" {
            label for="kecamatan" { (t.kecamatan) }
            select #kecamatan name="kecamatan" {
                option value="" { (tb.semua) }
                @for k in &kecamatan {
                    @let kode = k.kode.to_string();
                    option value=(kode) selected[s.kecamatan.as_deref() == Some(kode.as_str())] {
                        (k.nama)
                    }
                }
            }
            label for="nagari" { (t.nagari) }
            select #nagari name="nagari" {
                option value="" { (tb.semua) }
                @for n in &pilihan_nagari {
                    option value=(n) selected[s.nagari.as_deref() == Some(*n)] { (n) }
                }
            }
            label for="pada" { (tb.pada) }
            input #pada type="date" name="pada" value=(s.pada.to_string());
            button #tampilkan type="submit" { (tb.tampilkan) }
        }
        (ekspor::html_tabel(&tabel[0], &q, t.tidak_ada))
        (ekspor::html_tabel(&tabel[1], &q, t.tidak_ada))
        nav.halaman #halaman {
            @if b.halaman > 1 {
                a href={ "?" (q) "&halaman=" (b.halaman - 1) } { (tb.sebelumnya) } " · "
            }
            (tb.halaman) " " (b.halaman) " / " (b.jumlah_halaman)
            @if b.halaman < b.jumlah_halaman {
                " · " a href={ "?" (q) "&halaman=" (b.halaman + 1) } { (tb.berikutnya) }
            }
        }
        (ekspor::html_tabel(&tabel[2], &q, t.tidak_ada))
    }
}

/// `GET /belum-rekam` (adjudicator or admin), audited.
pub async fn tampil(
    State(st): State<WebState>,
    headers: HeaderMap,
    RequireRole(m, _): RequireRole<Pengadjudikasi>,
    Query(p): Query<Pilihan>,
) -> Response {
    let t = Teks::dari(&headers);
    let (s, format) = match baca(&p, rentang::hari_ini()) {
        Ok(x) => x,
        Err(e) => return e.into_response(),
    };
    let storage = st.storage.clone();
    let saring = s.clone();
    let hasil = blocking(move || {
        let mut out = None;
        storage.transaction(&mut |tx| {
            out = Some((belum_rekam::hitung(tx, &saring)?, tx.register_nagari()?));
            Ok(())
        })?;
        out.ok_or_else(|| crate::storage::StorageError::Backend("belum rekam: no answer".into()))
    })
    .await;
    let (b, nagari) = match hasil {
        Ok(x) => x,
        Err(e) => return e,
    };
    let detail = format!(
        "kecamatan {} nagari '{}' pada {} {}: {} belum rekam, {} segera 17",
        s.kecamatan.as_deref().unwrap_or("semua"),
        s.nagari.as_deref().unwrap_or(""),
        s.pada,
        match format {
            Format::Html => format!("halaman {}", b.halaman),
            Format::Csv => format!("csv {}", p.tabel.as_deref().unwrap_or("per_nagari")),
            Format::Xlsx => "xlsx".to_owned(),
        },
        b.total.belum,
        b.total.segera_17
    );
    if let Err(e) = sesi::audit(&st, &m.nama, "penduduk.belum_rekam", None, detail).await {
        return e;
    }
    if format != Format::Html {
        return ekspor::jawab("belum-rekam", format, p.tabel.as_deref(), &tabel(t, &b));
    }
    let tb = TeksBelumRekam::dari(t);
    tampilan::html_response(
        StatusCode::OK,
        tampilan::halaman(t, Some(&m), tb.judul, isi(t, &s, &b, &nagari)),
    )
}

/// The whole page for `m` (the bench renders it).
pub fn halaman(
    t: &Teks,
    m: Option<&Masuk>,
    s: &Saring,
    b: &BelumRekam,
    nagari: &[(String, String)],
) -> Markup {
    tampilan::halaman(t, m, TeksBelumRekam::dari(t).judul, isi(t, s, b, nagari))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(kec: &str, nagari: &str, pada: &str, halaman: &str) -> Pilihan {
        Pilihan {
            kecamatan: Some(kec.into()),
            nagari: Some(nagari.into()),
            pada: Some(pada.into()),
            halaman: Some(halaman.into()),
            format: None,
            tabel: None,
        }
    }

    #[test]
    fn the_filter_names_the_bad_field() {
        let hari = NaiveDate::from_ymd_opt(2026, 11, 25).unwrap();
        let (s, f) = baca(&p("13.01.05", " PAINAN ", "", "2"), hari).unwrap();
        assert_eq!(f, Format::Html);
        assert_eq!(
            (
                s.kecamatan.as_deref(),
                s.nagari.as_deref(),
                s.pada,
                s.halaman
            ),
            (Some("130105"), Some("PAINAN"), hari, Some(2))
        );
        let field = |q: Pilihan| baca(&q, hari).unwrap_err().field;
        assert_eq!(field(p("137101", "", "", "")), "kecamatan");
        assert_eq!(field(p("abc", "", "", "")), "kecamatan");
        assert_eq!(field(p("", &"x".repeat(101), "", "")), "nagari");
        assert_eq!(field(p("", "", "2026-13-01", "")), "pada");
        assert_eq!(field(p("", "", "", "0")), "halaman");
        assert_eq!(field(p("", "", "", "-1")), "halaman");
        let mut q = p("", "", "", "");
        q.format = Some("pdf".into());
        assert_eq!(field(q), "format");
        // An export is the whole list.
        let mut q = p("", "", "", "3");
        q.format = Some("xlsx".into());
        assert_eq!(baca(&q, hari).unwrap().0.halaman, None);
    }
}
