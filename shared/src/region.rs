//! Region codes (Kemendagri): the Pesisir Selatan table and other regions. (to be written)
