//! hushd's TOML configuration on arbitrary text: no panic; accepted
//! settings are valid.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        if let Ok(settings) = hushd::config::Settings::from_toml_str(text) {
            assert!(settings.store_config().is_ok());
            assert!(settings.max_sessions > 0);
        }
    }
});
