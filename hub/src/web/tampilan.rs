//! The look of the web app: the page layout (maud, which escapes every value), the embedded
//! CSS served from `/static/rekam.css`, and the strings of each language in one table per
//! language ([`Teks::ID`], [`Teks::EN`]), picked by the `bahasa` cookie (`/bahasa/en`,
//! `/bahasa/id`).

use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use maud::{DOCTYPE, Markup, html};

use super::sesi::Masuk;
use super::teks_dasbor::TeksDasbor;

/// The stylesheet, embedded in the binary.
pub const CSS: &str = include_str!("static/rekam.css");

/// The strings of the pages in one language.
#[derive(Debug)]
pub struct Teks {
    /// `lang` attribute.
    pub kode: &'static str,
    /// Product title.
    pub judul: &'static str,
    /// Login heading.
    pub masuk: &'static str,
    /// Field: user name.
    pub nama_pengguna: &'static str,
    /// Field: password.
    pub kata_sandi: &'static str,
    /// Logout button.
    pub keluar: &'static str,
    /// Wrong login.
    pub masuk_gagal: &'static str,
    /// Throttled login.
    pub masuk_terkunci: &'static str,
    /// Menu: dedup cases.
    pub menu_kasus: &'static str,
    /// Heading of open cases.
    pub kasus_terbuka: &'static str,
    /// Heading of decided cases.
    pub kasus_diputuskan: &'static str,
    /// No cases.
    pub tidak_ada: &'static str,
    /// Column: application.
    pub permohonan: &'static str,
    /// Column: kind of finding.
    pub jenis: &'static str,
    /// Column: outcome.
    pub hasil: &'static str,
    /// Column: decided by.
    pub oleh: &'static str,
    /// Column: when.
    pub waktu: &'static str,
    /// Column: note.
    pub catatan: &'static str,
    /// Field: name.
    pub nama: &'static str,
    /// Field: NIK.
    pub nik: &'static str,
    /// Field: place and date of birth.
    pub lahir: &'static str,
    /// Field: kecamatan.
    pub kecamatan: &'static str,
    /// Field: nagari.
    pub nagari: &'static str,
    /// Field: recorded by, at.
    pub direkam: &'static str,
    /// Photo.
    pub foto: &'static str,
    /// Signature.
    pub tanda_tangan: &'static str,
    /// Scores heading.
    pub skor: &'static str,
    /// Fused score.
    pub skor_gabungan: &'static str,
    /// Decision heading.
    pub putuskan: &'static str,
    /// Duplicate.
    pub duplikat: &'static str,
    /// Not a duplicate.
    pub bukan_duplikat: &'static str,
    /// Reason field.
    pub alasan: &'static str,
    /// Submit decision.
    pub simpan: &'static str,
    /// Case application (subject).
    pub yang_diperiksa: &'static str,
    /// Counterpart.
    pub pembanding: &'static str,
    /// Role too low.
    pub dilarang: &'static str,
    /// Not found.
    pub tidak_ditemukan: &'static str,
    /// Already decided: no form.
    pub sudah_diputuskan: &'static str,
    /// Missing.
    pub kosong: &'static str,
    /// Language switch label.
    pub bahasa_lain: &'static str,
    /// Its target code.
    pub bahasa_lain_kode: &'static str,
    /// The statistics pages' strings.
    pub dasbor: &'static TeksDasbor,
}

impl Teks {
    /// Bahasa Indonesia (the default).
    pub const ID: Teks = Teks {
        kode: "id",
        judul: "Rekam: Dinas Kependudukan dan Pencatatan Sipil",
        masuk: "Masuk",
        nama_pengguna: "Nama pengguna",
        kata_sandi: "Kata sandi",
        keluar: "Keluar",
        masuk_gagal: "Nama pengguna atau kata sandi salah.",
        masuk_terkunci: "Terlalu banyak percobaan gagal. Coba lagi 15 menit lagi.",
        menu_kasus: "Kasus deduplikasi",
        kasus_terbuka: "Perlu adjudikasi",
        kasus_diputuskan: "Sudah diputuskan",
        tidak_ada: "Tidak ada.",
        permohonan: "Permohonan",
        jenis: "Jenis temuan",
        hasil: "Hasil",
        oleh: "Oleh",
        waktu: "Waktu",
        catatan: "Catatan",
        nama: "Nama",
        nik: "NIK",
        lahir: "Tempat, tanggal lahir",
        kecamatan: "Kecamatan",
        nagari: "Nagari",
        direkam: "Direkam oleh, pada",
        foto: "Foto",
        tanda_tangan: "Tanda tangan",
        skor: "Skor per jari dan per mata",
        skor_gabungan: "Skor gabungan",
        putuskan: "Keputusan",
        duplikat: "Duplikat",
        bukan_duplikat: "Bukan duplikat",
        alasan: "Alasan (wajib)",
        simpan: "Simpan keputusan",
        yang_diperiksa: "Permohonan yang diperiksa",
        pembanding: "Pembanding",
        dilarang: "Peran Anda tidak mengizinkan tindakan ini.",
        tidak_ditemukan: "Tidak ditemukan.",
        sudah_diputuskan: "Kasus ini sudah diputuskan.",
        kosong: "-",
        bahasa_lain: "English",
        bahasa_lain_kode: "en",
        dasbor: &TeksDasbor::ID,
    };

    /// English.
    pub const EN: Teks = Teks {
        kode: "en",
        judul: "Rekam: Population and Civil Registration Office",
        masuk: "Log in",
        nama_pengguna: "User name",
        kata_sandi: "Password",
        keluar: "Log out",
        masuk_gagal: "Wrong user name or password.",
        masuk_terkunci: "Too many failed attempts. Try again in 15 minutes.",
        menu_kasus: "Dedup cases",
        kasus_terbuka: "Awaiting adjudication",
        kasus_diputuskan: "Decided",
        tidak_ada: "None.",
        permohonan: "Application",
        jenis: "Kind of finding",
        hasil: "Outcome",
        oleh: "By",
        waktu: "When",
        catatan: "Note",
        nama: "Name",
        nik: "NIK",
        lahir: "Place, date of birth",
        kecamatan: "Kecamatan",
        nagari: "Nagari",
        direkam: "Recorded by, at",
        foto: "Photo",
        tanda_tangan: "Signature",
        skor: "Scores per finger and per eye",
        skor_gabungan: "Fused score",
        putuskan: "Decision",
        duplikat: "Duplicate",
        bukan_duplikat: "Not a duplicate",
        alasan: "Reason (required)",
        simpan: "Save decision",
        yang_diperiksa: "Application under review",
        pembanding: "Counterpart",
        dilarang: "Your role does not allow this.",
        tidak_ditemukan: "Not found.",
        sudah_diputuskan: "This case is decided.",
        kosong: "-",
        bahasa_lain: "Bahasa Indonesia",
        bahasa_lain_kode: "id",
        dasbor: &TeksDasbor::EN,
    };

    /// The table chosen by the request's `bahasa` cookie (Indonesian unless `en`).
    pub fn dari(headers: &HeaderMap) -> &'static Teks {
        match super::sesi::cookie(headers, BAHASA_COOKIE).as_deref() {
            Some("en") => &Teks::EN,
            _ => &Teks::ID,
        }
    }
}

/// Name of the language cookie.
pub const BAHASA_COOKIE: &str = "bahasa";

/// A whole page: header with the menu and the user (with the logout form) when logged in.
pub fn halaman(t: &Teks, masuk: Option<&Masuk>, judul: &str, isi: Markup) -> Markup {
    html! {
        (DOCTYPE)
        html lang=(t.kode) {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                title { (judul) " | Rekam" }
                link rel="stylesheet" href="/static/rekam.css";
            }
            body {
                header.atas {
                    span.merek { (t.judul) }
                    @if let Some(m) = masuk {
                        nav {
                            a href="/ikhtisar" { (t.dasbor.menu_ikhtisar) }
                            a href="/waktu" { (t.dasbor.menu_waktu) }
                            a href="/kantor" { (t.dasbor.menu_kantor) }
                            a href="/dedup" { (t.dasbor.menu_dedup) }
                            a href="/kasus" { (t.menu_kasus) }
                            @if m.peran == crate::pengguna::Peran::Admin {
                                a href="/target" { (t.dasbor.menu_target) }
                            }
                        }
                        span.pengguna { (m.nama) " (" (m.peran.as_str()) ")" }
                        form.keluar method="post" action="/keluar" {
                            input type="hidden" name="csrf" value=(m.csrf);
                            button type="submit" { (t.keluar) }
                        }
                    }
                    a.bahasa href={ "/bahasa/" (t.bahasa_lain_kode) } { (t.bahasa_lain) }
                }
                main { (isi) }
            }
        }
    }
}

/// An HTML response.
pub fn html_response(status: StatusCode, m: Markup) -> Response {
    (status, Html(m.into_string())).into_response()
}

/// A short page with a message and a status.
pub fn pesan(t: &Teks, masuk: Option<&Masuk>, status: StatusCode, teks: &str) -> Response {
    html_response(
        status,
        halaman(
            t,
            masuk,
            teks,
            html! { p.pesan data-status=(status.as_u16()) { (teks) } },
        ),
    )
}

/// `GET /static/rekam.css`.
pub async fn css() -> Response {
    (
        [(
            header::CONTENT_TYPE,
            HeaderValue::from_static("text/css; charset=utf-8"),
        )],
        CSS,
    )
        .into_response()
}

/// `GET /bahasa/{kode}`: sets the language cookie and goes back to the landing page.
pub async fn set_bahasa(axum::extract::Path(kode): axum::extract::Path<String>) -> Response {
    let kode = if kode == "en" { "en" } else { "id" };
    let cookie =
        format!("{BAHASA_COOKIE}={kode}; Path=/; Secure; SameSite=Strict; Max-Age=31536000");
    let mut r = axum::response::Redirect::to(super::BERANDA).into_response();
    if let Ok(v) = HeaderValue::from_str(&cookie) {
        r.headers_mut().insert(header::SET_COOKIE, v);
    }
    r
}
