//! Biometrics: fingerprint and iris templates, matchers and score fusion. (to be written)
