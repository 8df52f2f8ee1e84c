//! Wires hushd together: bind, start the enclave, serve gRPC (broker,
//! directory, blobs, rendezvous, attestation, health, reflection), the
//! published evidence over HTTP, the broker's TCP transport, and metrics; tick the clock, stop cleanly.

use crate::affinity::{self, CpuPlan};
use crate::attestation::AttestationService;
use crate::blobs::{BlobDir, BlobService, BlobStore, MAX_BLOB_MESSAGE};
use crate::broker::BrokerService;
use crate::config::Settings;
use crate::directory::DirectoryService;
use crate::enclave_thread::EnclaveThread;
use crate::rendezvous::RendezvousService;
use crate::rpc::{MAX_REQUEST_MESSAGE, MAX_RESPONSE_MESSAGE};
use crate::tokens::TokensService;
use crate::verification::{
    ByKind, CodeSender, DevFileSender, EnclaveTls, NoProvider, SmtpSender, WebhookSender,
};
use crate::{clock, shutdown, telemetry};
use anyhow::{Context, Result};
use hush_enclave::{EnclaveApi, InProcessEnclave};
use hush_wire::grpc::v1::FILE_DESCRIPTOR_SET;
use hush_wire::grpc::v1::attestation_server::AttestationServer;
use hush_wire::grpc::v1::blobs_server::BlobsServer;
use hush_wire::grpc::v1::broker_server::BrokerServer;
use hush_wire::grpc::v1::directory_server::DirectoryServer;
use hush_wire::grpc::v1::rendezvous_server::RendezvousServer;
use hush_wire::grpc::v1::tokens_server::TokensServer;
use std::sync::Arc;
use tokio::net::TcpListener;
use tokio::sync::watch;

/// How long in-flight requests get to finish after a stop signal.
const SHUTDOWN_GRACE: std::time::Duration = std::time::Duration::from_secs(1);

/// The blob store the settings name.
async fn blob_store(settings: &Settings) -> Result<Arc<dyn BlobStore>> {
    let quota = settings.blob_quota_mib.saturating_mul(1 << 20);
    match settings.blob_store.as_str() {
        "dir" => Ok(Arc::new(
            BlobDir::open(settings.blob_dir.clone(), quota).with_context(|| {
                format!(
                    "cannot use the blob directory {} (set --blob-dir)",
                    settings.blob_dir.display()
                )
            })?,
        )),
        #[cfg(feature = "s3")]
        "s3" => {
            let bucket = settings
                .s3_bucket
                .as_deref()
                .context("blob_store = \"s3\" needs s3_bucket (--s3-bucket)")?;
            let store = crate::blobs::object::ObjectBlobs::s3(
                bucket,
                settings.s3_endpoint.as_deref(),
                "hush-blobs",
                quota,
            )
            .await
            .with_context(|| format!("cannot use the S3 bucket {bucket}"))?;
            Ok(Arc::new(store))
        }
        #[cfg(not(feature = "s3"))]
        "s3" => anyhow::bail!(
            "blob_store = \"s3\" needs hushd built with the s3 feature: cargo build --release -p hushd --features s3"
        ),
        other => anyhow::bail!("unknown blob_store {other:?}: use \"dir\" or \"s3\""),
    }
}

/// Runs hushd until `stop` turns true, the broker's enclave thread on
/// `cpus.enclave` if any (the caller has already confined itself, and so
/// the runtime's workers, to `cpus.others`).
pub async fn run(settings: Settings, cpus: CpuPlan, stop: watch::Receiver<bool>) -> Result<()> {
    if let Some(path) = &settings.clock_offset_file {
        clock::set_offset_file(path.clone());
    }
    let listener = TcpListener::bind(settings.listen).await.with_context(|| {
        format!(
            "cannot listen on {} (is another hushd running? use --listen)",
            settings.listen
        )
    })?;
    let addr = listener.local_addr()?;
    let metrics_listener = match settings.metrics_listen {
        Some(a) => Some(telemetry::bind(a).await?),
        None => None,
    };
    let tcp_listener = match settings.tcp_listen {
        Some(a) => Some(TcpListener::bind(a).await.with_context(|| {
            format!("cannot listen on {a} for the TCP transport (use --tcp-listen ADDR, or off)")
        })?),
        None => None,
    };
    let metrics = telemetry::recorder()?;

    let enclave_config = settings.enclave_config()?;
    tracing::info!(capacity = settings.capacity, "starting the enclave");
    let enclave: Arc<dyn EnclaveApi> = Arc::new(
        tokio::task::spawn_blocking(move || {
            InProcessEnclave::start(enclave_config, clock::unix_now())
        })
        .await?
        .with_context(|| match settings.attestation.as_str() {
            "tsm" => format!(
                "cannot start the enclave with TSM attestation at {} (is this a TDX or SEV-SNP guest with configfs-tsm? is --attestation-collateral right? --attestation dev runs without a TEE)",
                settings.tsm_path.display()
            ),
            "gramine" => format!(
                "cannot start the enclave with Gramine attestation at {} (is hushd running under Gramine with DCAP? is --attestation-collateral right? --attestation dev runs without a TEE)",
                settings.gramine_path.display()
            ),
            _ => "cannot start the enclave".to_owned(),
        })?,
    );

    let (health, health_service) = tonic_health::server::health_reporter();
    health.set_serving::<BrokerServer<BrokerService>>().await;
    health
        .set_serving::<DirectoryServer<DirectoryService>>()
        .await;
    health.set_serving::<BlobsServer<BlobService>>().await;
    health
        .set_serving::<AttestationServer<AttestationService>>()
        .await;
    health
        .set_serving::<RendezvousServer<RendezvousService>>()
        .await;
    health.set_serving::<TokensServer<TokensService>>().await;
    // Reflection in both versions tools ask for (grpcurl and others still
    // use v1alpha), listing health too.
    let reflection_builder = || {
        tonic_reflection::server::Builder::configure()
            .register_encoded_file_descriptor_set(FILE_DESCRIPTOR_SET)
            .register_encoded_file_descriptor_set(tonic_health::pb::FILE_DESCRIPTOR_SET)
    };
    let reflection = reflection_builder().build_v1().context("gRPC reflection")?;
    let reflection_v1alpha = reflection_builder()
        .build_v1alpha()
        .context("gRPC reflection (v1alpha)")?;
    // In a cluster: found or join it (through the enclaves' attested
    // handshake), then run raft; requests then go through its log.
    let node = match (settings.node_id, &settings.peers) {
        (Some(id), Some(peers)) => {
            let peers = crate::cluster::Peers::parse(peers)?;
            println!(
                "hushd: node {id} of a cluster of {}; peers on {}",
                peers.0.len(),
                peers.0[&id]
            );
            let node = crate::cluster::start(
                id,
                peers,
                &settings.listen.to_string(),
                settings.snapshot_every,
                enclave.clone(),
                stop.clone(),
            )
            .await?;
            tokio::spawn(crate::cluster::tick_loop(node.clone(), stop.clone()));
            Some(node)
        }
        _ => None,
    };
    // One enclave thread per trusted service: the broker's also ticks.
    match cpus.enclave {
        Some(cpu) => tracing::info!(
            "the broker's enclave thread has CPU {cpu}; other threads run on {}",
            affinity::list(&cpus.others)
        ),
        None => tracing::info!("threads are not pinned (enclave_cpu, or fewer than 2 CPUs)"),
    }
    let broker_threads = settings.broker_threads(cpus.enclave.is_some());
    tracing::info!(broker_threads, "the broker's enclave threads");
    let thread = match broker_threads {
        1 => EnclaveThread::spawn_on(enclave.clone(), "enclave-broker", cpus.enclave),
        _ => EnclaveThread::spawn_staged(
            enclave.clone(),
            "enclave-broker",
            cpus.enclave,
            "enclave-slots",
        ),
    }
    .context("starting the broker's enclave threads")?
    .replicated(node.clone());
    let directory_thread = EnclaveThread::spawn(enclave.clone(), "enclave-directory")
        .context("starting the directory's enclave thread")?
        .replicated(node.clone());
    let rendezvous_thread = EnclaveThread::spawn(enclave.clone(), "enclave-rendezvous")
        .context("starting the rendezvous service's enclave thread")?
        .replicated(node.clone());
    let rendezvous_service = RendezvousService::new(rendezvous_thread);
    let rendezvous = RendezvousServer::new(rendezvous_service.clone())
        .max_decoding_message_size(MAX_REQUEST_MESSAGE)
        .max_encoding_message_size(MAX_RESPONSE_MESSAGE);
    let tokens_thread = EnclaveThread::spawn(enclave.clone(), "enclave-tokens")
        .context("starting the token service's enclave thread")?
        .replicated(node.clone());
    let tokens_service =
        TokensService::new(tokens_thread).with_record_limit(settings.token_records_per_minute);
    let tokens = TokensServer::new(tokens_service.clone())
        .max_decoding_message_size(MAX_REQUEST_MESSAGE)
        .max_encoding_message_size(MAX_RESPONSE_MESSAGE);
    let broker_service = BrokerService::new(enclave.clone(), thread.clone()).with_handshake_limit(
        crate::handshake_limit::HandshakeLimiter::new(settings.handshakes_per_minute),
    );
    let broker = BrokerServer::new(broker_service.clone())
        .max_decoding_message_size(MAX_REQUEST_MESSAGE)
        .max_encoding_message_size(MAX_RESPONSE_MESSAGE);
    let directory_service = DirectoryService::new(directory_thread);
    let directory = DirectoryServer::new(directory_service.clone())
        .max_decoding_message_size(MAX_REQUEST_MESSAGE)
        .max_encoding_message_size(MAX_RESPONSE_MESSAGE);
    let blob_store = blob_store(&settings).await?;
    let blob_service = BlobService::new(enclave.clone(), blob_store.clone());
    let mut http = crate::http::routes(crate::http::Services {
        broker: broker_service,
        directory: directory_service,
        rendezvous: rendezvous_service,
        tokens: tokens_service,
        blobs: blob_service.clone(),
        cluster: node.clone(),
    });
    if settings.demo_enabled() {
        http = http.merge(crate::demo::routes());
    }
    let blobs = BlobsServer::new(blob_service)
        .max_decoding_message_size(MAX_BLOB_MESSAGE)
        .max_encoding_message_size(MAX_BLOB_MESSAGE);
    let dev: Arc<dyn CodeSender> = Arc::new(DevFileSender::new(settings.verification_file.clone()));
    let sender: Arc<dyn CodeSender> = Arc::new(ByKind {
        // smtps:// and https:// providers get codes from the enclave over
        // its own TLS (delivery.rs); these host senders are for plain ones,
        // which hardware attestation refuses.
        email: match &settings.smtp_url {
            Some(url) if url.starts_with("smtps://") => {
                Arc::new(EnclaveTls(crate::config::redact_password(url)))
            }
            Some(url) => Arc::new(SmtpSender::new(url, &settings.mail_from)?),
            None if settings.attestation != "dev" => {
                Arc::new(NoProvider("email (set smtp_url = smtps://...)"))
            }
            None => dev.clone(),
        },
        phone: match &settings.sms_webhook {
            Some(url) if url.starts_with("https://") => {
                Arc::new(EnclaveTls(crate::config::redact_password(url)))
            }
            Some(url) => Arc::new(WebhookSender::new(url)?),
            None if settings.attestation != "dev" => {
                Arc::new(NoProvider("phone numbers (set sms_webhook = https://...)"))
            }
            None => dev,
        },
    });

    println!("hushd: oblivious message broker listening on http://{addr}");
    if let Some(l) = &metrics_listener {
        println!("hushd: metrics on http://{}/metrics", l.local_addr()?);
    }
    if let Some(l) = &tcp_listener {
        println!("hushd: broker query stream over TCP on {}", l.local_addr()?);
    }
    if settings.demo_enabled() {
        println!("hushd: browser demo on http://{addr}/demo/");
    }
    println!(
        "hushd: capacity {} messages, ttl {}, {} attestation{}",
        settings.capacity,
        humantime::format_duration(settings.ttl),
        settings.attestation,
        if settings.attestation == "dev" {
            " (for local development: proves nothing)"
        } else {
            ""
        },
    );
    println!(
        "hushd: directory of {} accounts; verification codes {}",
        settings.max_accounts,
        sender.describe()
    );
    println!("hushd: attachment blobs in {}", blob_store.describe());
    println!("hushd: HTTP/JSON API on the same port (http://{addr}/v1/openapi.json)");
    println!(
        "hushd: evidence published at http://{addr}{} (and hush.v1.Attestation); check it with: hush server verify",
        crate::attestation::EVIDENCE_PATH
    );
    println!(
        "hushd: {}",
        crate::attestation::self_check(&enclave.published_evidence(), clock::unix_now())
    );
    println!("hushd: in-memory: a restart loses every message and ends every session");
    println!("Try it from another terminal:");
    println!("  hush id new alice && hush id new bob");
    println!("  hush send --as alice --to bob \"hello bob\" --allow-dev-attestation");
    println!("  hush inbox --as bob --allow-dev-attestation");

    if let Some(l) = tcp_listener {
        tokio::spawn(crate::tcp::serve(l, thread.clone(), stop.clone()));
    }
    let clock_task = tokio::spawn(clock::run(
        thread,
        enclave.clone(),
        sender,
        blob_store.clone(),
        stop.clone(),
    ));
    tokio::spawn(crate::blobs::expire_loop(
        blob_store,
        settings.ttl,
        stop.clone(),
    ));
    tokio::spawn(telemetry::upkeep(metrics.clone(), stop.clone()));
    let metrics_task = metrics_listener.map(|l| {
        tokio::spawn(telemetry::serve_metrics(
            l,
            metrics,
            shutdown::wait(stop.clone()),
        ))
    });

    // Small request/response frames: disable Nagle or every reply waits
    // for the peer's delayed ACK (~40 ms).
    let incoming = tonic::transport::server::TcpIncoming::from(listener).with_nodelay(Some(true));
    let published = enclave.published_evidence();
    // HTTP/1.1 too, for the HTTP/JSON API (crate::http) and GET
    // /v1/evidence; gRPC is unchanged.
    let serve = tonic::transport::Server::builder()
        .accept_http1(true)
        .add_routes(tonic::service::Routes::from(crate::http::with_fallbacks(
            crate::attestation::http_route(published.clone()).merge(http),
        )))
        .add_service(AttestationServer::new(AttestationService::new(published)))
        .add_service(health_service)
        .add_service(reflection)
        .add_service(reflection_v1alpha)
        .add_service(broker)
        .add_service(directory)
        .add_service(blobs)
        .add_service(rendezvous)
        .add_service(tokens)
        .serve_with_incoming_shutdown(incoming, shutdown::wait(stop.clone()));
    // Graceful stop waits for clients to hang up; give in-flight requests
    // a grace period, then close the remaining connections.
    let grace = async {
        shutdown::wait(stop).await;
        tokio::time::sleep(SHUTDOWN_GRACE).await;
    };
    tokio::select! {
        r = serve => r.context("gRPC server")?,
        _ = grace => tracing::info!("closing connections still open after the grace period"),
    }
    tracing::info!("stopping");
    let _ = clock_task.await;
    if let Some(t) = metrics_task {
        t.await??;
    }
    Ok(())
}
