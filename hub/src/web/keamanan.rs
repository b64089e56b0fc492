//! Security of the web app that is not about sessions: the headers every response carries, and
//! login throttling (too many failed logins for one user name or from one address).

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use axum::extract::Request;
use axum::http::{HeaderValue, header};
use axum::middleware::Next;
use axum::response::Response;

/// The Content-Security-Policy: everything from this origin only, no inline script or style,
/// no framing, forms post only here.
pub const CSP: &str = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

/// Adds the security headers to every response (pages hold personal data: never cached).
pub async fn headers(req: Request, next: Next) -> Response {
    let mut resp = next.run(req).await;
    let h = resp.headers_mut();
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    h.insert(header::PRAGMA, HeaderValue::from_static("no-cache"));
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(CSP),
    );
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    h.insert(
        header::STRICT_TRANSPORT_SECURITY,
        HeaderValue::from_static("max-age=31536000"),
    );
    resp
}

/// Failed logins in a row after which a user name is locked for [`KUNCI`].
pub const GAGAL_NAMA: u32 = 5;
/// Failed logins in a row from one address after which it is locked for [`KUNCI`].
pub const GAGAL_ALAMAT: u32 = 30;
/// How long a lock lasts.
pub const KUNCI: Duration = Duration::from_secs(15 * 60);

#[derive(Debug, Default, Clone, Copy)]
struct Hitungan {
    gagal: u32,
    sampai: Option<Instant>,
}

/// Failed-login counters by user name and by address (in memory: a restart forgets them).
#[derive(Debug, Default)]
pub struct Throttle {
    nama: Mutex<HashMap<String, Hitungan>>,
    alamat: Mutex<HashMap<IpAddr, Hitungan>>,
}

fn terkunci(c: Option<&Hitungan>, now: Instant) -> bool {
    c.and_then(|c| c.sampai).is_some_and(|t| t > now)
}

fn catat(c: &mut Hitungan, batas: u32, now: Instant) {
    if c.sampai.is_some_and(|t| t <= now) {
        *c = Hitungan::default();
    }
    c.gagal += 1;
    if c.gagal >= batas {
        c.sampai = Some(now + KUNCI);
    }
}

impl Throttle {
    /// Whether a login for `nama` from `ip` must be refused without checking the password.
    pub fn terkunci(&self, nama: &str, ip: IpAddr) -> bool {
        let now = Instant::now();
        let n = self.nama.lock().expect("throttle mutex");
        let a = self.alamat.lock().expect("throttle mutex");
        terkunci(n.get(nama), now) || terkunci(a.get(&ip), now)
    }

    /// Counts a failed login.
    pub fn gagal(&self, nama: &str, ip: IpAddr) {
        let now = Instant::now();
        let mut n = self.nama.lock().expect("throttle mutex");
        // Bound the memory an attacker can fill with invented names.
        if n.len() > 10_000 {
            n.retain(|_, c| terkunci(Some(c), now));
        }
        catat(n.entry(nama.to_owned()).or_default(), GAGAL_NAMA, now);
        drop(n);
        let mut a = self.alamat.lock().expect("throttle mutex");
        catat(a.entry(ip).or_default(), GAGAL_ALAMAT, now);
    }

    /// A successful login clears the counters of the name and the address.
    pub fn berhasil(&self, nama: &str, ip: IpAddr) {
        self.nama.lock().expect("throttle mutex").remove(nama);
        self.alamat.lock().expect("throttle mutex").remove(&ip);
    }
}
