//! NIK (Nomor Induk Kependudukan): the 16-digit population identity number. (to be written)
