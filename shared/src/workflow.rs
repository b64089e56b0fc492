//! The SOP workflow as one state machine. (to be written)
