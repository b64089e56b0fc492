//! The registration desk (step 1): search a resident by NIK, open an application with the
//! resident's data, and today's applications still at registration.

use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use maud::{Markup, html};
use serde::Deserialize;

use super::daftar;
use super::layout::{galat, idem_field, input, page, respond, select};
use super::see_other;
use crate::auth::Operator;
use crate::desk::input::PendudukInput;
use crate::desk::registrasi::{self, BuatInput};
use crate::desk::{Ctx, store};
use crate::web::AppState;
use crate::web::error::ApiError;
use crate::web::form::{Formulir, idem};
use crate::web::session::SesiHalaman;

/// `?nik=` of the search.
#[derive(Deserialize)]
pub struct NikQuery {
    nik: Option<String>,
}

/// The registration form's body: the resident's data and the idempotency key.
#[derive(Deserialize, Default)]
#[serde(default)]
pub struct RegistrasiForm {
    idempotency_key: String,
    #[serde(flatten)]
    penduduk: PendudukInput,
}

fn penduduk_form(p: &PendudukInput) -> Markup {
    let jk = [("laki_laki", "Laki-laki"), ("perempuan", "Perempuan")];
    let sp = [
        ("belum_kawin", "Belum kawin"),
        ("kawin", "Kawin"),
        ("cerai_hidup", "Cerai hidup"),
        ("cerai_mati", "Cerai mati"),
    ];
    html! {
        div class="kolom" {
            div {
                (input("nik", "NIK (16 angka)", &p.nik, "text"))
                (input("no_kk", "Nomor KK", &p.no_kk, "text"))
                (input("nama", "Nama lengkap", &p.nama, "text"))
                (input("tempat_lahir", "Tempat lahir", &p.tempat_lahir, "text"))
                (input("tanggal_lahir", "Tanggal lahir", &p.tanggal_lahir, "date"))
                (select("jenis_kelamin", "Jenis kelamin", &jk, &p.jenis_kelamin))
            }
            div {
                (select("status_perkawinan", "Status perkawinan", &sp, &p.status_perkawinan))
                (input("alamat", "Alamat", &p.alamat, "text"))
                (input("rt", "RT", &p.rt, "text"))
                (input("rw", "RW", &p.rw, "text"))
                (input("nagari", "Nagari / kelurahan", &p.nagari, "text"))
                (input("kecamatan", "Kode kecamatan", &p.kecamatan, "text"))
            }
        }
    }
}

/// What the step-2 check covers beyond this office: the district index's size and age, or a
/// warning when it is stale or incomplete.
fn indeks_box(state: &AppState) -> Markup {
    let Some(i) = state.cek.info_distrik() else {
        return html! {};
    };
    match crate::cek::peringatan_indeks(&i) {
        Some(w) => html! { div class="galat" id="indeks-usang" { (w) } },
        None => html! {
            div class="info" id="indeks" {
                "Indeks kabupaten: " (crate::cek::ribuan(i.jumlah)) " orang, per "
                (i.per_teks.as_deref().unwrap_or("-")) "."
            }
        },
    }
}

const DI_REGISTRASI: &[&str] = &[
    "penyerahan_berkas",
    "berkas_diterima",
    "pengecekan_biometrik",
    "dikembalikan_ke_registrasi",
    "menunggu_perekaman",
];

fn registrasi_page(
    state: &AppState,
    op: &Operator,
    p: &PendudukInput,
    err: Option<&ApiError>,
    note: Option<&str>,
    rows: &[store::Row],
) -> Markup {
    let body = html! {
        h1 { "Meja registrasi: permohonan baru (langkah 1)" }
        @if let Some(e) = err { (galat(e)) }
        (indeks_box(state))
        @if let Some(n) = note { div class="info" { (n) } }
        div class="kartu tanpa-cetak" {
            form method="get" action="/registrasi" {
                label for="cari_nik" { "Cari penduduk menurut NIK" }
                input type="text" id="cari_nik" name="nik" value="";
                button class="kedua" id="cari" { "Cari" }
            }
        }
        div class="kartu" {
            form method="post" action="/registrasi" {
                (idem_field())
                div id="info-register" hidden {}
                (penduduk_form(p))
                p { "Penduduk hadir sendiri dengan berkas persyaratan. Kantor: kecamatan " (state.config.kecamatan) "." }
                button id="buat" { "Buka permohonan" }
            }
        }
        h2 { "Permohonan di meja registrasi hari ini" }
        (daftar::tabel(rows))
        (daftar::perangkat())
        script src="/static/penduduk.js" {}
    };
    page("Registrasi", Some(op), body)
}

/// `GET /registrasi[?nik=]`
pub async fn get_(
    State(state): State<AppState>,
    SesiHalaman(sesi): SesiHalaman,
    Query(q): Query<NikQuery>,
) -> Response {
    let mut p = PendudukInput {
        kecamatan: state.config.kecamatan.clone(),
        ..Default::default()
    };
    let mut note = None;
    if let Some(nik) = q.nik.filter(|n| !n.trim().is_empty()) {
        let n = nik.trim().to_owned();
        match state.db.read(move |c| store::penduduk(c, &n)).await {
            Ok(Some(found)) => {
                p = PendudukInput::from_penduduk(&found);
                note = Some("Data penduduk ditemukan; periksa dengan berkas.");
            }
            _ => {
                p.nik = nik.trim().to_owned();
                note = Some("NIK belum ada di kantor ini; isi data dari berkas.");
            }
        }
    }
    let rows = daftar::hari_ini(&state, DI_REGISTRASI).await;
    respond(
        StatusCode::OK,
        registrasi_page(&state, &sesi.operator, &p, None, note, &rows),
    )
}

/// `POST /registrasi`: opens an application.
pub async fn post_(
    State(state): State<AppState>,
    SesiHalaman(sesi): SesiHalaman,
    Formulir(form): Formulir<RegistrasiForm>,
) -> Response {
    let p = form.penduduk;
    let ctx = Ctx {
        state: &state,
        op: &sesi.operator,
        idem: idem(&form.idempotency_key),
    };
    match registrasi::buat(
        ctx,
        BuatInput {
            penduduk: p.clone(),
        },
    )
    .await
    {
        Ok(h) => see_other(&format!("/permohonan/{}", h.id)),
        Err(e) => {
            let rows = daftar::hari_ini(&state, DI_REGISTRASI).await;
            respond(
                e.status,
                registrasi_page(&state, &sesi.operator, &p, Some(&e), None, &rows),
            )
        }
    }
}
