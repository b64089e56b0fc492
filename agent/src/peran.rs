//! Operator roles (peran) as the agent stores and parses them.
//!
//! TEMPORARY until `rekam_shared::workflow::Peran` lands: then this module re-exports it and
//! keeps only the CLI/DB spelling (`operator-registrasi`, `operator-perekaman`, `kepala-ukl`).

use serde::Serialize;

/// The office roles of the SOP.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Peran {
    /// Operator Registrasi: front desk, steps 1-2.
    OperatorRegistrasi,
    /// Operator Perekaman: recording desk, step 3.
    OperatorPerekaman,
    /// Kepala UKL: the unit's supervisor.
    KepalaUkl,
}

impl Peran {
    /// The CLI/DB spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            Peran::OperatorRegistrasi => "operator-registrasi",
            Peran::OperatorPerekaman => "operator-perekaman",
            Peran::KepalaUkl => "kepala-ukl",
        }
    }
}

impl std::str::FromStr for Peran {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "operator-registrasi" => Ok(Peran::OperatorRegistrasi),
            "operator-perekaman" => Ok(Peran::OperatorPerekaman),
            "kepala-ukl" => Ok(Peran::KepalaUkl),
            other => Err(format!(
                "unknown role {other:?}; use operator-registrasi, operator-perekaman or kepala-ukl"
            )),
        }
    }
}
