//! Penduduk (resident) data as captured at the registration desk. (to be written)
