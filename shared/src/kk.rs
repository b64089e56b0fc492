//! No. KK (Nomor Kartu Keluarga): the 16-digit family card number. (to be written)
