//! The printed slips: the receipt of the application with its queue number (bukti tanda
//! terima) and the proof of recording (tanda bukti perekaman), under the office's letterhead.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use maud::{Markup, html};
use rekam_shared::workflow::JenisAksi;

use super::layout::{galat_page, respond, slip};
use crate::desk;
use crate::web::AppState;
use crate::web::error::ApiError;
use crate::web::session::SesiHalaman;

/// The office's letterhead.
pub fn kop(state: &AppState) -> Markup {
    let nama = state
        .config
        .kecamatan
        .parse()
        .ok()
        .and_then(rekam_shared::region::kecamatan_pesisir_selatan)
        .map(|k| k.nama.to_string())
        .unwrap_or_else(|| state.config.kecamatan.clone());
    html! {
        div class="kop" {
            b { "PEMERINTAH KABUPATEN PESISIR SELATAN" } br;
            "DINAS KEPENDUDUKAN DAN PENCATATAN SIPIL" br;
            "UKL Disdukcapil Kecamatan " (nama)
        }
    }
}

fn alamat(p: &rekam_shared::penduduk::Penduduk) -> String {
    format!("{}, RT {:03}/RW {:03}, {}", p.alamat, p.rt, p.rw, p.nagari)
}

/// `GET /permohonan/{id}/tanda-terima`
pub async fn tanda_terima(
    State(state): State<AppState>,
    SesiHalaman(sesi): SesiHalaman,
    Path(id): Path<String>,
) -> Response {
    let v = match desk::view(&state, &id).await {
        Ok(v) => v,
        Err(e) => return galat_page("Galat", Some(&sesi.operator), &e),
    };
    let Some(n) = v.nomor_antrian else {
        let e = ApiError::conflict(Some("nomor_antrian"), "belum ada nomor antrian");
        return galat_page("Galat", Some(&sesi.operator), &e);
    };
    let tz = state.config.offset();
    let diberi = v
        .peristiwa
        .iter()
        .rev()
        .find(|e| e.aksi.jenis() == JenisAksi::NomorAntrianDiberikan);
    let body = html! {
        div class="slip" id="tanda-terima" {
            (kop(&state))
            h1 { "BUKTI TANDA TERIMA PERMOHONAN" }
            p style="text-align:center" { "Perekaman Data KTP Elektronik" }
            div class="nomor" id="slip-nomor" { (format!("{n:03}")) }
            p style="text-align:center" { "Nomor antrian perekaman" }
            div class="grid2" {
                span { "NIK" } b { (v.penduduk.nik.to_string()) }
                span { "Nama" } b { (v.penduduk.nama) }
                span { "Alamat" } span { (alamat(&v.penduduk)) }
                span { "Diterima" } span {
                    (diberi.map(|e| e.waktu.with_timezone(&tz).format("%d-%m-%Y %H:%M").to_string()).unwrap_or_default())
                    " WIB"
                }
                span { "Nomor permohonan" } span style="font-size:.75rem" { (v.id) }
            }
            p style="font-size:.8rem" {
                "Tunggu nomor Anda dipanggil di loket perekaman. Berkas persyaratan diteruskan ke operator perekaman."
            }
            div class="ttd" {
                span { "Penduduk" }
                span { "Operator registrasi" br; br; (diberi.map(|e| e.operator.as_str()).unwrap_or("")) }
            }
        }
    };
    respond(StatusCode::OK, slip("Bukti tanda terima permohonan", body))
}

/// `GET /permohonan/{id}/bukti`
pub async fn bukti(
    State(state): State<AppState>,
    SesiHalaman(sesi): SesiHalaman,
    Path(id): Path<String>,
) -> Response {
    let v = match desk::view(&state, &id).await {
        Ok(v) => v,
        Err(e) => return galat_page("Galat", Some(&sesi.operator), &e),
    };
    let Some(nomor) = v.nomor_bukti.clone() else {
        let e = ApiError::conflict(Some("nomor_bukti"), "belum terekam");
        return galat_page("Galat", Some(&sesi.operator), &e);
    };
    let tz = state.config.offset();
    let rekam = v
        .peristiwa
        .iter()
        .find(|e| e.aksi.jenis() == JenisAksi::PerekamanBerhasil);
    let jari = v
        .biometrik
        .iter()
        .filter(|c| c.modality == "finger")
        .count();
    let iris = v.biometrik.iter().filter(|c| c.modality == "iris").count();
    let p = &v.penduduk;
    let body = html! {
        div class="slip" id="bukti-perekaman" {
            (kop(&state))
            h1 { "TANDA BUKTI PEREKAMAN" }
            p style="text-align:center" { "KTP Elektronik" }
            div class="grid2" {
                span { "Nomor bukti" } b id="slip-bukti" { (nomor) }
                span { "NIK" } b { (p.nik.to_string()) }
                span { "Nama" } b { (p.nama) }
                span { "Tempat/tgl lahir" } span { (p.tempat_lahir) ", " (p.tanggal_lahir.format("%d-%m-%Y").to_string()) }
                span { "Alamat" } span { (alamat(p)) }
                span { "Direkam" } span {
                    (rekam.map(|e| e.waktu.with_timezone(&tz).format("%d-%m-%Y %H:%M").to_string()).unwrap_or_default())
                    " WIB"
                }
                span { "Data direkam" } span { (jari) " sidik jari, " (iris) " iris, foto, tanda tangan" }
            }
            p style="font-size:.8rem" { "Simpan tanda bukti ini. Tanda bukti ini bukan pengganti KTP-el." }
            div class="ttd" {
                span { "Penduduk" }
                span { "Operator perekaman" br; br; (rekam.map(|e| e.operator.as_str()).unwrap_or("")) }
            }
        }
    };
    respond(StatusCode::OK, slip("Tanda bukti perekaman", body))
}
