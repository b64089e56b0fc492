//! Operator roles (peran): the SOP's roles as defined by the shared workflow, re-exported so
//! the agent has one name for them. Spelled `operator-registrasi`, `operator-perekaman`,
//! `kepala-ukl` on the command line and in the database.

pub use rekam_shared::workflow::Peran;
