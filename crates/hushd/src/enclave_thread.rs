//! An enclave thread: one OS thread that makes every call of one trusted
//! service (and, for the broker's, every tick) into the enclave, one after
//! another, like a TEE's ecall thread. hushd runs one per service.
//!
//! Requests reach it through a channel and answers come back through a
//! oneshot, so async workers never block on the store. Running the ORAM on
//! one thread keeps its caches warm: measured, a store operation made from
//! whichever async worker happened to run it took about 40% longer.

use hush_enclave::EnclaveApi;
use std::sync::Arc;
use std::sync::mpsc;

type Job = Box<dyn FnOnce(&dyn EnclaveApi) + Send>;

/// Handle to the enclave thread (cheap to clone).
#[derive(Clone)]
pub struct EnclaveThread {
    tx: mpsc::Sender<Job>,
    /// In a cluster, requests go through the replicated log instead.
    cluster: Option<Arc<crate::cluster::Node>>,
}

impl EnclaveThread {
    /// Starts the thread; it ends when every handle is dropped.
    pub fn spawn(enclave: Arc<dyn EnclaveApi>, name: &str) -> std::io::Result<Self> {
        let (tx, rx) = mpsc::channel::<Job>();
        std::thread::Builder::new()
            .name(name.into())
            .spawn(move || {
                while let Ok(job) = rx.recv() {
                    job(&*enclave);
                }
            })?;
        Ok(Self { tx, cluster: None })
    }

    /// Sends this service's requests through `node`'s replicated log.
    pub fn replicated(mut self, node: Option<Arc<crate::cluster::Node>>) -> Self {
        self.cluster = node;
        self
    }

    /// The cluster node requests go through, if any.
    pub fn cluster(&self) -> Option<&Arc<crate::cluster::Node>> {
        self.cluster.as_ref()
    }

    /// Runs `f` on the enclave thread and returns its result.
    pub async fn run<T: Send + 'static>(
        &self,
        f: impl FnOnce(&dyn EnclaveApi) -> T + Send + 'static,
    ) -> Option<T> {
        let (tx, rx) = tokio::sync::oneshot::channel();
        let job: Job = Box::new(move |e| {
            let _ = tx.send(f(e));
        });
        self.tx.send(job).ok()?;
        rx.await.ok()
    }
}
