//! Eligibility for e-KTP recording: age 17+, or married / ever married. (to be written)
