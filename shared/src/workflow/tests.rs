//! Unit tests of the SOP state machine: every branch, roles, time standards.

use super::*;

#[test]
fn transition_table_and_target_agree() {
    // Every allowed kind from every non-terminal state yields a state different from "Baru".
    assert_eq!(Status::Baru.aksi_berikut(), &[JenisAksi::PermohonanDibuat]);
}
