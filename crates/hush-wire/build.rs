//! Generates the gRPC types from `proto/hush/v1/*.proto` when the
//! `grpc` feature is on, with a vendored `protoc` (no system package).

fn main() -> Result<(), Box<dyn std::error::Error>> {
    println!("cargo:rerun-if-changed=proto/hush/v1/broker.proto");
    println!("cargo:rerun-if-changed=proto/hush/v1/directory.proto");
    println!("cargo:rerun-if-changed=proto/hush/v1/blobs.proto");
    println!("cargo:rerun-if-changed=proto/hush/v1/rendezvous.proto");
    println!("cargo:rerun-if-changed=proto/hush/v1/tokens.proto");
    println!("cargo:rerun-if-changed=proto/hush/v1/attestation.proto");
    println!("cargo:rerun-if-changed=proto/hush/v1/peer.proto");
    if std::env::var_os("CARGO_FEATURE_GRPC").is_none() {
        return Ok(());
    }
    let out = std::path::PathBuf::from(std::env::var("OUT_DIR")?);
    let mut config = prost_build::Config::new();
    config.protoc_executable(protoc_bin_vendored::protoc_bin_path()?);
    tonic_prost_build::configure()
        .file_descriptor_set_path(out.join("hush_v1_descriptor.bin"))
        .compile_with_config(
            config,
            &[
                "proto/hush/v1/broker.proto",
                "proto/hush/v1/directory.proto",
                "proto/hush/v1/blobs.proto",
                "proto/hush/v1/rendezvous.proto",
                "proto/hush/v1/tokens.proto",
                "proto/hush/v1/attestation.proto",
                "proto/hush/v1/peer.proto",
            ],
            &["proto"],
        )?;
    Ok(())
}
