//! The application page: the resident's data, the running step with its timer, the step-2
//! check and the district's decision, every action the operator's role may take now as a form
//! (steps 1-4), at step 3 the capture table (quality score, low-quality flag, exceptions) and
//! the exception form, and the event history in Indonesian.

use axum::extract::{Path, State};
use axum::response::Response;
use maud::{Markup, html};
use rekam_shared::eligibility::{AlasanLayak, Kelayakan};
use serde::Deserialize;

use super::layout::{galat, galat_page, idem_field, input, page, respond, select};
use super::see_other;
use crate::auth::Operator;
use crate::desk::input::{ALASAN_GAGAL, ALASAN_PENOLAKAN, ALASAN_TERLAMBAT, BERKAS, label_alasan};
use crate::desk::perekaman::{GagalInput, PanggilInput, PengecualianInput};
use crate::desk::registrasi::{BerkasInput, TerlambatInput, TolakInput};
use crate::desk::{self, Ctx, PermohonanView, di_perekaman, di_registrasi, perekaman, registrasi};
use crate::device::protocol::{Modality, position_label};
use crate::web::AppState;
use crate::web::api::modality;
use crate::web::error::ApiError;
use crate::web::form::{Formulir, idem};
use crate::web::session::SesiHalaman;

/// The body of every action form (each action reads the fields it needs).
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct AksiForm {
    idempotency_key: String,
    /// The checked documents (repeated key).
    berkas: Vec<String>,
    alasan: String,
    keterangan: String,
    alasan_terlambat: String,
    keterangan_terlambat: String,
    loket: String,
    /// Of an exception: the position.
    posisi: String,
}

impl AksiForm {
    /// The idempotency key as sent.
    pub fn idempotency_key(&self) -> &str {
        &self.idempotency_key
    }
    /// The counter of a call.
    pub fn loket(&self) -> &str {
        &self.loket
    }
    fn terlambat(&self) -> TerlambatInput {
        TerlambatInput {
            alasan_terlambat: self.alasan_terlambat.clone(),
            keterangan_terlambat: self.keterangan_terlambat.clone(),
        }
    }
}

/// The reasons an operator may give for a modality that cannot be captured.
pub const ALASAN_PENGECUALIAN: &[(&str, &str)] = &[
    ("amputasi", "Amputasi"),
    ("cacat_luka", "Cacat/luka"),
    ("diperban", "Diperban"),
    ("buta_mata_palsu", "Buta/mata palsu"),
    ("lainnya", "Lainnya (isi keterangan)"),
];

fn terlambat_fields(v: &PermohonanView) -> Markup {
    let late = v.langkah.as_ref().is_some_and(|l| l.terlambat);
    let mut opts: Vec<(&str, &str)> = vec![("", "- tidak terlambat -")];
    opts.extend_from_slice(ALASAN_TERLAMBAT);
    html! {
        div class="alasan-terlambat" data-sembunyi[!late] {
            (select("alasan_terlambat", "Alasan terlambat (wajib bila langkah melebihi standar waktu)", &opts, ""))
            (input("keterangan_terlambat", "Keterangan terlambat", "", "text"))
        }
    }
}

fn checklist(v: &PermohonanView) -> Markup {
    html! {
        div class="cek" {
            b { "Berkas persyaratan" }
            @for (k, l) in BERKAS {
                label {
                    input type="checkbox" name="berkas" value=(k) id={ "berkas_" (k) }
                        checked[v.berkas.iter().any(|b| b == k)];
                    " " (l)
                }
            }
        }
    }
}

fn kelayakan_box(v: &PermohonanView) -> Markup {
    match &v.kelayakan {
        Some(Kelayakan::Layak { umur, alasan }) => html! {
            div class="info" id="kelayakan" {
                "Memenuhi syarat perekaman: umur " (umur) " tahun"
                @if matches!(alasan, AlasanLayak::PernahKawin) {
                    ", belum 17 tahun tetapi sudah/pernah kawin (perlu buku nikah)"
                }
                "."
            }
        },
        Some(Kelayakan::BelumLayak { umur, layak_pada }) => html! {
            div class="galat" id="kelayakan" {
                "Belum memenuhi syarat: umur " (umur) " tahun dan belum pernah kawin. Dapat direkam mulai "
                (layak_pada.to_string()) "."
            }
        },
        None => html! {},
    }
}

fn aksi_form(
    id: &str,
    path: &str,
    inner: Markup,
    button: &str,
    class: &str,
    btn_id: &str,
) -> Markup {
    html! {
        form method="post" action={ "/permohonan/" (id) "/" (path) } {
            (idem_field())
            (inner)
            button class=(class) id=(btn_id) { (button) }
        }
    }
}

fn tolak_form(v: &PermohonanView, default: &str) -> Markup {
    let inner = html! {
        (select("alasan", "Alasan pengembalian berkas", ALASAN_PENOLAKAN, default))
        (input("keterangan", "Keterangan", "", "text"))
        (terlambat_fields(v))
    };
    aksi_form(
        &v.id,
        "tolak",
        inner,
        "Kembalikan berkas ke penduduk",
        "bahaya",
        "tolak",
    )
}

fn cetak_link(id: &str, path: &str, link_id: &str, label: &str) -> Markup {
    html! {
        p {
            a href={ "/permohonan/" (id) "/" (path) } target="_blank" id=(link_id) {
                button class="kedua" { (label) }
            }
        }
    }
}

fn actions(v: &PermohonanView, op: &Operator, tz: chrono::FixedOffset) -> Markup {
    let reg = di_registrasi(op.peran);
    let rek = di_perekaman(op.peran);
    let late = || terlambat_fields(v);
    let with_late = |m: Markup| html! { (m) (late()) };
    let s = match v.status {
        "penyerahan_berkas" if reg => html! {
            (aksi_form(&v.id, "terima-berkas", with_late(checklist(v)), "Berkas diterima", "", "terima"))
            (tolak_form(v, "berkas_tidak_lengkap"))
        },
        "berkas_diterima" if reg => html! {
            (kelayakan_box(v))
            (aksi_form(&v.id, "periksa-berkas", with_late(checklist(v)), "Periksa berkas", "", "periksa"))
            (tolak_form(v, "berkas_tidak_benar"))
        },
        "pengecekan_biometrik" if reg => html! {
            p { "Minta penduduk meletakkan jari dan melihat ke kamera iris." }
            (aksi_form(&v.id, "cek-biometrik", late(), "Cek iris & sidik jari (sudah rekam?)", "", "cek"))
        },
        "dikembalikan_ke_registrasi" if reg => html! {
            (aksi_form(&v.id, "antrian-ulang", late(), "Beri nomor antrian ulang", "", "antrian-ulang"))
            (tolak_form(v, "tidak_dapat_direkam"))
        },
        "menunggu_perekaman" => html! {
            (cetak_link(&v.id, "tanda-terima", "link-tanda-terima", "Cetak bukti tanda terima"))
            @if rek {
                (aksi_form(&v.id, "panggil", with_late(input("loket", "Loket", "1", "text")), "Panggil", "", "panggil"))
            }
        },
        "dipanggil" if rek => html! {
            (capture_table(v, tz))
            div class="kartu" {
                @for (m, label) in [
                    ("sidik-jari", "Ambil 10 sidik jari"),
                    ("iris", "Ambil 2 iris"),
                    ("foto", "Ambil foto"),
                    ("tanda-tangan", "Ambil tanda tangan"),
                ] {
                    (aksi_form(&v.id, &format!("rekam/{m}"), html! {}, label, "kedua", &format!("rekam-{m}")))
                }
            }
            (pengecualian_form(v))
            (aksi_form(&v.id, "berhasil", late(), "Perekaman berhasil: cetak tanda bukti", "", "berhasil"))
            (aksi_form(&v.id, "gagal", html! {
                (select("alasan", "Alasan gagal", ALASAN_GAGAL, "gangguan_teknis"))
                (input("keterangan", "Keterangan", "", "text"))
                (late())
            }, "Perekaman gagal: kembalikan ke registrasi", "bahaya", "gagal"))
        },
        "terekam" => html! {
            (cetak_link(&v.id, "bukti", "link-bukti", "Cetak tanda bukti perekaman"))
            @if rek {
                (aksi_form(&v.id, "serahkan", late(), "Berkas dan tanda bukti diterima penduduk", "", "serahkan"))
            }
        },
        "diserahkan" => cetak_link(
            &v.id,
            "bukti",
            "link-bukti",
            "Cetak ulang tanda bukti perekaman",
        ),
        _ => html! {},
    };
    if s.0.is_empty() {
        html! { p { "Tidak ada tindakan untuk peran Anda pada status ini." } }
    } else {
        s
    }
}

/// The form that marks a finger, an eye or the signature as not capturable (the camera takes
/// the exception photo when it is sent).
fn pengecualian_form(v: &PermohonanView) -> Markup {
    let mut posisi: Vec<(&str, &str)> = Vec::new();
    for m in [Modality::Finger, Modality::Iris, Modality::Signature] {
        for p in m.positions() {
            posisi.push((p, position_label(p)));
        }
    }
    html! {
        div class="kartu" id="pengecualian" {
            h2 { "Tidak dapat direkam (pengecualian)" }
            p { "Untuk jari, mata atau tanda tangan yang tidak dapat direkam. Kamera mengambil foto pengecualian saat disimpan." }
            (aksi_form(&v.id, "kecualikan", html! {
                (select("posisi", "Jari / mata / tanda tangan", &posisi, ""))
                label for="pengecualian-alasan" { "Alasan" }
                select id="pengecualian-alasan" name="alasan" {
                    @for (val, l) in ALASAN_PENGECUALIAN { option value=(val) { (l) } }
                }
                label for="pengecualian-catatan" { "Keterangan (wajib untuk alasan lainnya)" }
                input type="text" id="pengecualian-catatan" name="keterangan" value="";
            }, "Simpan pengecualian", "kedua", "kecualikan"))
            script src="/static/pengecualian.js" {}
        }
    }
}

fn capture_table(v: &PermohonanView, tz: chrono::FixedOffset) -> Markup {
    let waktu = |at: &str| {
        chrono::DateTime::parse_from_rfc3339(at)
            .map(|t| t.with_timezone(&tz).format("%H:%M:%S").to_string())
            .unwrap_or_default()
    };
    html! {
        table id="tabel-biometrik" {
            tr { th { "Sampel" } th { "Kualitas" } th { "Percobaan" } th { "Waktu" } }
            @for m in crate::desk::perekaman::MODALITAS {
                @for p in m.positions() {
                    @let found = v.biometrik.iter().find(|c| c.position == *p
                        && (c.modality == m.as_str() || c.modality == "pengecualian"));
                    tr id={ "sampel-" (p) } {
                        td { (position_label(p)) }
                        @match found {
                            Some(c) if c.modality == "pengecualian" => {
                                td class="dikecualikan" {
                                    "dikecualikan: "
                                    (c.alasan.as_deref().map(|a| rekam_shared::workflow::kelengkapan::AlasanPengecualian::dari_nama(a, c.keterangan.as_deref().unwrap_or("")).map(|x| x.label()).unwrap_or("?")).unwrap_or("?"))
                                    @if let Some(k) = c.keterangan.as_deref().filter(|k| !k.is_empty()) { " (" (k) ")" }
                                }
                                td {}
                                td { (waktu(&c.captured_at)) }
                            }
                            Some(c) => {
                                td {
                                    (c.quality)
                                    @if c.kualitas_rendah {
                                        " " span class="terlambat kualitas-rendah" { "kualitas rendah" }
                                    } @else if !c.diterima {
                                        " " span class="terlambat" { "ulangi" }
                                    }
                                }
                                td { (c.percobaan) }
                                td { (waktu(&c.captured_at)) }
                            }
                            None => { td { "belum" } td {} td {} }
                        }
                    }
                }
            }
        }
    }
}

fn permohonan_page(
    v: &PermohonanView,
    op: &Operator,
    err: Option<&ApiError>,
    tz: chrono::FixedOffset,
) -> Markup {
    let p = &v.penduduk;
    let mungkin: Vec<String> = v
        .cek_biometrik
        .as_ref()
        .and_then(|c| c["cocok"].as_array())
        .map(|a| {
            a.iter()
                .filter(|c| c["kepastian"] == "mungkin")
                .map(|c| {
                    let asal = match c.get("asal") {
                        Some(a) => format!(
                            " (direkam di kecamatan {} pada {})",
                            a["nama_kecamatan"]
                                .as_str()
                                .or(a["kecamatan"].as_str())
                                .unwrap_or("?"),
                            a["tanggal"].as_str().unwrap_or("?")
                        ),
                        None => String::new(),
                    };
                    format!("NIK {}{asal}", c["nik"].as_str().unwrap_or("?"))
                })
                .collect()
        })
        .unwrap_or_default();
    let body = html! {
        h1 { "Permohonan " (v.id) " " span class="status" id="status" { (v.status) } }
        @if let Some(e) = err { (galat(e)) }
        @if let Some(l) = &v.langkah {
            div class="kartu" id="langkah" {
                "Langkah " (l.nomor) ": " (l.label) " · standar " (l.standar) " · berjalan "
                span id="timer" data-detik=(l.detik_berjalan) data-batas=(l.batas_menit)
                    class=(if l.terlambat { "terlambat" } else { "" }) {}
            }
        }
        @if let Some(c) = &v.cek_biometrik {
            div class="info" id="hasil-cek" {
                "Pengecekan biometrik: "
                @if c["sudah_rekam"].as_bool() == Some(true) { b { "SUDAH PERNAH DIREKAM" } "." }
                @else { "belum pernah direkam." }
                " Dicari: " (c["cakupan"].as_str().unwrap_or("")) " (" (c["milidetik"].as_u64().unwrap_or(0)) " ms)."
                @if !mungkin.is_empty() {
                    " Kemungkinan cocok (diputuskan oleh adjudikator distrik): " (mungkin.join(", ")) "."
                }
                @if let Some(w) = c["peringatan"].as_str() { " " b id="peringatan-indeks" { (w) } }
            }
        }
        @if let Some(a) = v.keadaan.get("alasan") {
            div class="galat" id="alasan" { "Alasan: " (label_alasan(a)) }
        } @else if let Some(k) = v.keadaan.get("keterangan").and_then(|k| k.as_str()) {
            div class="galat" id="alasan" { (k) }
        }
        (keputusan_box(v, tz))
        div class="kolom" {
            div class="kartu" {
                div class="grid2" {
                    span { "NIK" } b id="nik" { (p.nik.to_string()) }
                    span { "Nama" } b { (p.nama) }
                    span { "Tempat/tgl lahir" } span { (p.tempat_lahir) ", " (p.tanggal_lahir.to_string()) }
                    span { "Alamat" } span { (p.alamat) ", RT " (format!("{:03}", p.rt)) "/RW " (format!("{:03}", p.rw)) ", " (p.nagari) }
                    span { "Nomor antrian" } b id="nomor-antrian" { (v.nomor_antrian.map(|n| format!("{n:03}")).unwrap_or_else(|| "-".into())) }
                    span { "Nomor bukti" } b id="nomor-bukti" { (v.nomor_bukti.as_deref().unwrap_or("-")) }
                }
            }
            div class="kartu" { (actions(v, op, tz)) }
        }
        h2 { "Riwayat" }
        table id="riwayat" {
            tr { th { "Waktu" } th { "Peristiwa" } th { "Operator" } th { "Terlambat" } }
            @for e in &v.peristiwa {
                tr {
                    td { (e.waktu.with_timezone(&tz).format("%H:%M:%S").to_string()) }
                    td { (e.aksi.jenis().label()) }
                    td { (e.operator) }
                    td { (e.alasan_terlambat.as_ref().map(label_alasan).unwrap_or_default()) }
                }
            }
        }
        script src="/static/timer.js" {}
    };
    page("Permohonan", Some(op), body)
}

/// The district's dedup decision, as the hub sent it; for a recorded application without one
/// yet, says that it is awaited.
fn keputusan_box(v: &PermohonanView, tz: chrono::FixedOffset) -> Markup {
    use rekam_shared::document::HasilDedup;
    let Some(k) = &v.keputusan else {
        return html! {
            @if v.nomor_bukti.is_some() {
                div class="info" id="keputusan" { "Keputusan kabupaten: belum ada (dikirim saat sinkronisasi dengan kabupaten)." }
            }
        };
    };
    let dari = k.duplikat_dari.join(", ");
    let class = if matches!(k.hasil, HasilDedup::Unik) {
        "info"
    } else {
        "galat"
    };
    html! {
        div class=(class) id="keputusan" {
            "Keputusan kabupaten: "
            @match k.hasil {
                HasilDedup::Unik => { b { "UNIK" } ": tidak ada perekaman lain atas penduduk ini" }
                HasilDedup::Duplikat => { b { "DUPLIKAT" } ": sudah direkam pada permohonan " (dari) }
                HasilDedup::PerluAdjudikasi => {
                    b { "PERLU ADJUDIKASI" } ": mungkin sama dengan permohonan " (dari)
                    "; menunggu keputusan petugas kabupaten"
                }
            }
            @if let Some(j) = k.jenis { " (" (j.label()) ")" }
            ". " (k.catatan) " · oleh " (k.oleh) " · " (k.waktu.with_timezone(&tz).format("%d-%m-%Y %H:%M").to_string())
        }
    }
}

/// `GET /permohonan/{id}`
pub async fn get_(
    State(state): State<AppState>,
    SesiHalaman(sesi): SesiHalaman,
    Path(id): Path<String>,
) -> Response {
    match desk::view(&state, &id).await {
        Ok(v) => respond(
            axum::http::StatusCode::OK,
            permohonan_page(&v, &sesi.operator, None, state.config.offset()),
        ),
        Err(e) => galat_page("Galat", Some(&sesi.operator), &e),
    }
}

/// `POST /permohonan/{id}/{aksi}`: one action of steps 1-4.
pub async fn post_(
    State(state): State<AppState>,
    SesiHalaman(sesi): SesiHalaman,
    Path((id, aksi)): Path<(String, String)>,
    Formulir(form): Formulir<AksiForm>,
) -> Response {
    let result = run_action(&state, &sesi.operator, &id, &aksi, None, &form).await;
    finish(&state, &sesi.operator, &id, result).await
}

/// `POST /permohonan/{id}/rekam/{modality}`: captures one modality from the devices.
pub async fn rekam_post(
    State(state): State<AppState>,
    SesiHalaman(sesi): SesiHalaman,
    Path((id, m)): Path<(String, String)>,
    Formulir(form): Formulir<AksiForm>,
) -> Response {
    let result = match modality(&m) {
        Ok(m) => run_action(&state, &sesi.operator, &id, "rekam", Some(m), &form).await,
        Err(e) => Err(e),
    };
    finish(&state, &sesi.operator, &id, result).await
}

/// `POST /permohonan/{id}/kecualikan`: marks a position as not capturable; the face camera
/// takes the exception photo.
pub async fn kecualikan_post(
    State(state): State<AppState>,
    SesiHalaman(sesi): SesiHalaman,
    Path(id): Path<String>,
    Formulir(form): Formulir<AksiForm>,
) -> Response {
    use base64::Engine as _;
    let result = async {
        // Only a desk that may record turns the camera on (the desk function checks again).
        if !di_perekaman(sesi.operator.peran) {
            return Err(ApiError::forbidden("mencatat pengecualian"));
        }
        let foto = state
            .devices
            .capture(Modality::Face, &uuid::Uuid::new_v4().to_string())
            .await
            .map_err(registrasi::device_error)?
            .into_iter()
            .next()
            .ok_or_else(|| ApiError::field("foto", "kamera tidak mengirim foto"))?;
        let ctx = Ctx {
            state: &state,
            op: &sesi.operator,
            idem: idem(&form.idempotency_key),
        };
        perekaman::kecualikan(
            ctx,
            &id,
            PengecualianInput {
                posisi: form.posisi.clone(),
                alasan: form.alasan.clone(),
                keterangan: form.keterangan.clone(),
                foto: base64::engine::general_purpose::STANDARD.encode(&foto.data),
            },
        )
        .await
    }
    .await;
    finish(&state, &sesi.operator, &id, result).await
}

async fn run_action(
    state: &AppState,
    op: &Operator,
    id: &str,
    aksi: &str,
    m: Option<Modality>,
    form: &AksiForm,
) -> Result<desk::Hasil, ApiError> {
    let ctx = Ctx {
        state,
        op,
        idem: idem(&form.idempotency_key),
    };
    let berkas = || BerkasInput {
        berkas: form.berkas.clone(),
        terlambat: form.terlambat(),
    };
    match (aksi, m) {
        ("terima-berkas", _) => registrasi::terima_berkas(ctx, id, berkas()).await,
        ("periksa-berkas", _) => registrasi::periksa_berkas(ctx, id, berkas()).await,
        ("tolak", _) => {
            registrasi::tolak(
                ctx,
                id,
                TolakInput {
                    alasan: form.alasan.clone(),
                    keterangan: form.keterangan.clone(),
                    terlambat: form.terlambat(),
                },
            )
            .await
        }
        ("cek-biometrik", _) => registrasi::cek_biometrik(ctx, id, form.terlambat()).await,
        ("antrian-ulang", _) => registrasi::antrian_ulang(ctx, id, form.terlambat()).await,
        ("panggil", _) => {
            perekaman::panggil(
                ctx,
                Some(id),
                PanggilInput {
                    loket: form.loket.clone(),
                    terlambat: form.terlambat(),
                },
            )
            .await
        }
        ("rekam", Some(m)) => perekaman::rekam(ctx, id, m).await,
        ("berhasil", _) => perekaman::berhasil(ctx, id, form.terlambat()).await,
        ("gagal", _) => {
            perekaman::gagal(
                ctx,
                id,
                GagalInput {
                    alasan: form.alasan.clone(),
                    keterangan: form.keterangan.clone(),
                    terlambat: form.terlambat(),
                },
            )
            .await
        }
        ("serahkan", _) => perekaman::serahkan(ctx, id, form.terlambat()).await,
        _ => Err(ApiError::not_found("tindakan")),
    }
}

/// After an action: back to the application page, or the page again with the error.
async fn finish(
    state: &AppState,
    op: &Operator,
    id: &str,
    r: Result<desk::Hasil, ApiError>,
) -> Response {
    match r {
        Ok(h) => see_other(&format!("/permohonan/{}", h.id)),
        Err(e) => match desk::view(state, id).await {
            Ok(v) => respond(
                e.status,
                permohonan_page(&v, op, Some(&e), state.config.offset()),
            ),
            Err(_) => galat_page("Galat", Some(op), &e),
        },
    }
}
