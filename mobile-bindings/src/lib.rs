//! Tigr mobile SDK (uniffi).
uniffi::setup_scaffolding!();
