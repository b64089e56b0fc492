//! `rekam-agent device-sim`: a device service speaking the [`super::protocol`] with realistic
//! data, so the desks, the demo and the tests work without hardware.
//!
//! It serves real FVC2002 DB1_B ISO/IEC 19794-2 templates (10 fingers x 4 impressions,
//! embedded from `agent/fixtures/fingerprints/`), synthetic iris templates from
//! `rekam_shared::bio::synth`, a small JPEG photo and a PNG signature.
//!
//! The "resident at the scanner" is a number (`subjek`), set with `POST /sim/subjek
//! {"subjek": N}`: subject N's finger at position p is FVC finger `101 + (N + p) % 10`, so up to ten
//! subjects have pairwise different fingers at every position; their irises are synthetic with
//! seed N. Each capture takes the next of the four impressions, so two captures of the same
//! subject are genuine (not byte-identical) samples. Subject 0 means "automatic": each
//! application (the transactionId's first 36 characters, the permohonan id) is a different
//! person, with synthetic irises and synthetic minutiae fingers (a seeded master set of minutiae
//! per finger, jittered, thinned and shifted per capture), so demos and load tests can record
//! thousands of distinct persons. `POST /sim/mode {"mode": ...}` injects
//! faults: `normal`, `lambat` (answers after 60 s), `sampah` (invalid JSON), `rusak` (valid JSON,
//! corrupt template), `tidak-siap` (device reports not ready). `POST /sim/kualitas
//! {"kualitas": N}` makes every following capture report quality N (1-100; 0 returns to the
//! samples' own scores), so the desk's re-capture and low-quality rules can be exercised.

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU32, AtomicU64, Ordering};

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use base64::Engine;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::protocol::{
    Capture, CaptureRequest, CaptureResponse, DeviceErrorBody, DeviceInfo, DeviceStatus, Modality,
};

/// FVC2002 DB1_B templates: `FINGERS[finger - 101][impression - 1]`.
pub const FINGER_TEMPLATES: [[&[u8]; 4]; 10] = [
    [
        include_bytes!("../../fixtures/fingerprints/101_1.iso"),
        include_bytes!("../../fixtures/fingerprints/101_2.iso"),
        include_bytes!("../../fixtures/fingerprints/101_3.iso"),
        include_bytes!("../../fixtures/fingerprints/101_4.iso"),
    ],
    [
        include_bytes!("../../fixtures/fingerprints/102_1.iso"),
        include_bytes!("../../fixtures/fingerprints/102_2.iso"),
        include_bytes!("../../fixtures/fingerprints/102_3.iso"),
        include_bytes!("../../fixtures/fingerprints/102_4.iso"),
    ],
    [
        include_bytes!("../../fixtures/fingerprints/103_1.iso"),
        include_bytes!("../../fixtures/fingerprints/103_2.iso"),
        include_bytes!("../../fixtures/fingerprints/103_3.iso"),
        include_bytes!("../../fixtures/fingerprints/103_4.iso"),
    ],
    [
        include_bytes!("../../fixtures/fingerprints/104_1.iso"),
        include_bytes!("../../fixtures/fingerprints/104_2.iso"),
        include_bytes!("../../fixtures/fingerprints/104_3.iso"),
        include_bytes!("../../fixtures/fingerprints/104_4.iso"),
    ],
    [
        include_bytes!("../../fixtures/fingerprints/105_1.iso"),
        include_bytes!("../../fixtures/fingerprints/105_2.iso"),
        include_bytes!("../../fixtures/fingerprints/105_3.iso"),
        include_bytes!("../../fixtures/fingerprints/105_4.iso"),
    ],
    [
        include_bytes!("../../fixtures/fingerprints/106_1.iso"),
        include_bytes!("../../fixtures/fingerprints/106_2.iso"),
        include_bytes!("../../fixtures/fingerprints/106_3.iso"),
        include_bytes!("../../fixtures/fingerprints/106_4.iso"),
    ],
    [
        include_bytes!("../../fixtures/fingerprints/107_1.iso"),
        include_bytes!("../../fixtures/fingerprints/107_2.iso"),
        include_bytes!("../../fixtures/fingerprints/107_3.iso"),
        include_bytes!("../../fixtures/fingerprints/107_4.iso"),
    ],
    [
        include_bytes!("../../fixtures/fingerprints/108_1.iso"),
        include_bytes!("../../fixtures/fingerprints/108_2.iso"),
        include_bytes!("../../fixtures/fingerprints/108_3.iso"),
        include_bytes!("../../fixtures/fingerprints/108_4.iso"),
    ],
    [
        include_bytes!("../../fixtures/fingerprints/109_1.iso"),
        include_bytes!("../../fixtures/fingerprints/109_2.iso"),
        include_bytes!("../../fixtures/fingerprints/109_3.iso"),
        include_bytes!("../../fixtures/fingerprints/109_4.iso"),
    ],
    [
        include_bytes!("../../fixtures/fingerprints/110_1.iso"),
        include_bytes!("../../fixtures/fingerprints/110_2.iso"),
        include_bytes!("../../fixtures/fingerprints/110_3.iso"),
        include_bytes!("../../fixtures/fingerprints/110_4.iso"),
    ],
];

/// The simulator's photo (64x80 grayscale JPEG).
pub const PHOTO_JPEG: &[u8] = include_bytes!("../../fixtures/foto.jpg");
/// The simulator's signature (96x32 1-bit PNG).
pub const SIGNATURE_PNG: &[u8] = include_bytes!("../../fixtures/tanda-tangan.png");

/// Fault modes of the simulator.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Mode {
    Normal,
    Lambat,
    Sampah,
    Rusak,
    TidakSiap,
}

/// Simulator state.
#[derive(Debug)]
pub struct Sim {
    subjek: AtomicU64,
    captures: AtomicU32,
    mode: Mutex<Mode>,
    /// Quality every capture reports (0: the sample's own score).
    kualitas: AtomicU32,
}

impl Default for Sim {
    fn default() -> Self {
        Sim {
            subjek: AtomicU64::new(1),
            captures: AtomicU32::new(0),
            mode: Mutex::new(Mode::Normal),
            kualitas: AtomicU32::new(0),
        }
    }
}

impl Sim {
    fn mode(&self) -> Mode {
        self.mode.lock().map(|m| *m).unwrap_or(Mode::Normal)
    }
}

/// Subject `subjek`'s fingerprint template at finger index `p` (0-9), impression `imp` (0-3).
pub fn finger_template(subjek: u64, p: usize, imp: usize) -> &'static [u8] {
    let finger = ((subjek as usize) + p) % 10;
    FINGER_TEMPLATES[finger][imp % 4]
}

fn iso_quality(t: &[u8]) -> u8 {
    let minutiae = t.get(27).copied().unwrap_or(0) as u32;
    (30 + 2 * minutiae).min(100) as u8
}

fn sample(modality: Modality, position: &str, data: Vec<u8>, quality: u8) -> Capture {
    Capture {
        modality,
        position: position.to_owned(),
        format: modality.format().to_owned(),
        quality,
        sha256: hex::encode(Sha256::digest(&data)),
        data: base64::engine::general_purpose::STANDARD.encode(&data),
    }
}

fn devices(status: DeviceStatus) -> Vec<DeviceInfo> {
    [
        (
            Modality::Finger,
            "SIM-FP-01",
            "Pemindai sidik jari 10 jari (simulasi)",
        ),
        (Modality::Iris, "SIM-IR-01", "Kamera iris ganda (simulasi)"),
        (Modality::Face, "SIM-CAM-01", "Kamera foto (simulasi)"),
        (
            Modality::Signature,
            "SIM-SIG-01",
            "Pad tanda tangan (simulasi)",
        ),
    ]
    .into_iter()
    .map(|(modality, id, model)| DeviceInfo {
        device_id: id.into(),
        modality,
        status,
        make: "Rekam".into(),
        model: model.into(),
        serial_no: format!("{id}-0001"),
        firmware: env!("CARGO_PKG_VERSION").into(),
        certification: "simulator".into(),
    })
    .collect()
}

fn status_of(mode: Mode) -> DeviceStatus {
    if mode == Mode::TidakSiap {
        DeviceStatus::NotReady
    } else {
        DeviceStatus::Ready
    }
}

async fn discover(State(sim): State<Arc<Sim>>) -> Json<Vec<DeviceInfo>> {
    Json(devices(status_of(sim.mode())))
}

async fn info(State(sim): State<Arc<Sim>>, Path(id): Path<String>) -> Response {
    match devices(status_of(sim.mode()))
        .into_iter()
        .find(|d| d.device_id == id)
    {
        Some(d) => Json(d).into_response(),
        None => (StatusCode::NOT_FOUND, "no such device").into_response(),
    }
}

/// The automatic subject of a transaction: a hash of the permohonan id it starts with.
pub fn auto_subjek(transaction_id: &str) -> u64 {
    let key = transaction_id.get(..36).unwrap_or(transaction_id);
    let mut h = 0xcbf2_9ce4_8422_2325u64;
    for b in key.bytes() {
        h = (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3);
    }
    1_000_000 + h % (1 << 40)
}

/// A synthetic ISO/IEC 19794-2 record of `subjek`'s finger `p`, capture `n`: a seeded master
/// set of 30-45 minutiae, each capture shifted (up to 12 px), jittered (2 px, 3 angle units),
/// with about 10% of minutiae missed.
pub fn synth_finger(subjek: u64, p: usize, n: u64) -> Vec<u8> {
    use rekam_shared::bio::iso::{
        FingerPosition, FingerView, FingerprintRecord, Minutia, MinutiaKind, RecordFormat,
    };
    use rekam_shared::bio::synth::SplitMix64;
    let mut master = SplitMix64::new(subjek.wrapping_mul(31).wrapping_add(p as u64 + 1));
    let mut cap = SplitMix64::new(subjek ^ (n.wrapping_add(1) << 32) ^ (p as u64 + 7));
    let count = 30 + master.below(16) as usize;
    let (dx, dy) = (cap.below(25) as i32 - 12, cap.below(25) as i32 - 12);
    let mut minutiae = Vec::new();
    for _ in 0..count {
        let x = 40 + master.below(220) as i32;
        let y = 40 + master.below(320) as i32;
        let angle = master.below(256) as i32;
        let kind = if master.below(2) == 0 {
            MinutiaKind::RidgeEnding
        } else {
            MinutiaKind::Bifurcation
        };
        if cap.below(10) == 0 {
            continue;
        }
        let j = |r: &mut SplitMix64, k: u64| r.below(2 * k + 1) as i32 - k as i32;
        minutiae.push(Minutia {
            kind,
            x: (x + dx + j(&mut cap, 2)).clamp(0, 299) as u16,
            y: (y + dy + j(&mut cap, 2)).clamp(0, 399) as u16,
            angle: (angle + j(&mut cap, 3)).rem_euclid(256) as u8,
            quality: 60,
        });
    }
    let record = FingerprintRecord {
        format: RecordFormat::Iso2005,
        capture_equipment: 0,
        width: 300,
        height: 400,
        resolution_x: 197,
        resolution_y: 197,
        views: vec![FingerView {
            position: FingerPosition::from_code(p as u8 + 1).unwrap_or(FingerPosition::Unknown),
            view_number: 0,
            impression_type: 0,
            quality: 70,
            minutiae,
            extended_data: Vec::new(),
        }],
    };
    record.to_iso_bytes().unwrap_or_default()
}

/// Builds the samples of one capture for the current subject.
pub fn capture_samples(sim: &Sim, req: &CaptureRequest) -> Vec<Capture> {
    let set = sim.subjek.load(Ordering::SeqCst);
    let auto = set == 0;
    let subjek = if auto {
        auto_subjek(&req.transaction_id)
    } else {
        set
    };
    let imp = sim.captures.fetch_add(1, Ordering::SeqCst) as usize;
    let mut out = Vec::new();
    for pos in &req.positions {
        let c = match req.modality {
            Modality::Finger => {
                let Some(p) = super::protocol::FINGERS.iter().position(|f| f == pos) else {
                    continue;
                };
                if auto {
                    let t = synth_finger(subjek, p, imp as u64);
                    let q = iso_quality(&t);
                    sample(Modality::Finger, pos, t, q)
                } else {
                    let t = finger_template(subjek, p, imp);
                    sample(Modality::Finger, pos, t.to_vec(), iso_quality(t))
                }
            }
            Modality::Iris => {
                let eye = if pos == "left-iris" { 1 } else { 0 };
                let Some((bytes, quality)) = crate::bio::synth_iris(subjek, eye, imp as u64) else {
                    continue;
                };
                sample(Modality::Iris, pos, bytes, quality)
            }
            Modality::Face => sample(Modality::Face, pos, PHOTO_JPEG.to_vec(), 88),
            Modality::Signature => sample(Modality::Signature, pos, SIGNATURE_PNG.to_vec(), 95),
        };
        out.push(c);
    }
    let forced = sim.kualitas.load(Ordering::SeqCst);
    if forced > 0 {
        for c in &mut out {
            c.quality = forced.min(100) as u8;
        }
    }
    out
}

async fn capture(State(sim): State<Arc<Sim>>, Json(req): Json<CaptureRequest>) -> Response {
    let ok = DeviceErrorBody {
        error_code: "0".into(),
        error_info: "Success".into(),
    };
    match sim.mode() {
        Mode::Lambat => {
            tokio::time::sleep(std::time::Duration::from_secs(60)).await;
        }
        Mode::Sampah => {
            return (StatusCode::OK, "{\"biometrics\": [garbage").into_response();
        }
        Mode::TidakSiap => {
            return Json(CaptureResponse {
                transaction_id: req.transaction_id,
                biometrics: vec![],
                error: DeviceErrorBody {
                    error_code: "110".into(),
                    error_info: "Device not ready".into(),
                },
            })
            .into_response();
        }
        Mode::Rusak | Mode::Normal => {}
    }
    let mut biometrics = capture_samples(&sim, &req);
    if sim.mode() == Mode::Rusak {
        for c in &mut biometrics {
            // Truncate the payload but keep the hash honest: only the content check catches it.
            let mut data = base64::engine::general_purpose::STANDARD
                .decode(&c.data)
                .unwrap_or_default();
            data.truncate(data.len() / 2);
            c.sha256 = hex::encode(Sha256::digest(&data));
            c.data = base64::engine::general_purpose::STANDARD.encode(&data);
        }
    }
    Json(CaptureResponse {
        transaction_id: req.transaction_id,
        biometrics,
        error: ok,
    })
    .into_response()
}

#[derive(Deserialize)]
struct SetSubjek {
    subjek: u64,
}

#[derive(Deserialize)]
struct SetKualitas {
    kualitas: u32,
}

async fn set_kualitas(State(sim): State<Arc<Sim>>, Json(k): Json<SetKualitas>) -> StatusCode {
    if k.kualitas > 100 {
        return StatusCode::UNPROCESSABLE_ENTITY;
    }
    sim.kualitas.store(k.kualitas, Ordering::SeqCst);
    StatusCode::NO_CONTENT
}

#[derive(Deserialize)]
struct SetMode {
    mode: Mode,
}

async fn set_subjek(State(sim): State<Arc<Sim>>, Json(s): Json<SetSubjek>) -> StatusCode {
    sim.subjek.store(s.subjek, Ordering::SeqCst);
    StatusCode::NO_CONTENT
}

async fn set_mode(State(sim): State<Arc<Sim>>, Json(m): Json<SetMode>) -> StatusCode {
    if let Ok(mut mode) = sim.mode.lock() {
        *mode = m.mode;
    }
    StatusCode::NO_CONTENT
}

/// The simulator's routes.
pub fn router(sim: Arc<Sim>) -> Router {
    Router::new()
        .route("/sbi/discover", get(discover))
        .route("/sbi/info/{id}", get(info))
        .route("/sbi/capture", post(capture))
        .route("/sim/subjek", post(set_subjek))
        .route("/sim/mode", post(set_mode))
        .route("/sim/kualitas", post(set_kualitas))
        .with_state(sim)
}

/// Binds `listen` and serves in a background task; returns the bound address.
pub async fn spawn(
    listen: SocketAddr,
) -> anyhow::Result<(SocketAddr, tokio::task::JoinHandle<()>)> {
    let listener = tokio::net::TcpListener::bind(listen).await?;
    let addr = listener.local_addr()?;
    let app = router(Arc::new(Sim::default()));
    let task = tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    Ok((addr, task))
}

/// Serves the simulator until Ctrl-C.
pub async fn serve(listen: SocketAddr) -> anyhow::Result<()> {
    let (addr, task) = spawn(listen).await?;
    println!("rekam-agent device-sim listening on http://{addr}");
    tokio::signal::ctrl_c().await?;
    task.abort();
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cek::Probe;
    use crate::device::protocol::FINGERS;

    fn probe(subjek: u64, n: u64) -> Probe {
        let mut p = Probe::default();
        for (k, pos) in FINGERS.iter().enumerate() {
            p.jari.push((pos.to_string(), synth_finger(subjek, k, n)));
        }
        p
    }

    #[test]
    fn synthetic_fingers_match_their_person_only() {
        let mut g = crate::bio::LocalGallery::default();
        for s in 1..=20u64 {
            g.tambah(&format!("p{s}"), "nik", &probe(1_000_000 + s, 0));
        }
        let hit = g.cari(&probe(1_000_007, 1));
        assert_eq!(hit.len(), 1, "{hit:?}");
        assert_eq!(hit[0].permohonan_id, "p7");
        assert!(g.cari(&probe(2_000_000, 1)).is_empty());
        // Every record parses.
        crate::bio::parse_finger(&synth_finger(5, 3, 9)).unwrap();
    }

    #[test]
    fn auto_subject_follows_the_application() {
        let id = "01a21298-4fd6-7534-bcbb-2cf18c758e10";
        assert_eq!(auto_subjek(id), auto_subjek(&format!("{id}-finger")));
        assert_ne!(
            auto_subjek(id),
            auto_subjek("01a21298-4fd6-7534-bcbb-2cf18c758e11")
        );
    }
}
