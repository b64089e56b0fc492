//! The application document (one automerge document per permohonan) and its schema. (to be written)
