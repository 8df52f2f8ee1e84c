//! A fault-injecting TCP proxy for one direction of one peer link: node
//! A dials node B through it (A's `--peers` names the proxy for B). Cut,
//! it closes every connection it carries and refuses new ones at once, so
//! A's calls to B fail as they would across a partition that resets;
//! healed, it forwards again. Runs on its own thread.

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;

/// One proxied direction.
pub struct Link {
    /// Where A dials.
    pub addr: SocketAddr,
    cut: watch::Sender<bool>,
    is_cut: Arc<AtomicBool>,
}

impl Link {
    /// Starts a proxy on a free loopback port forwarding to `target`.
    pub fn start(target: SocketAddr) -> Self {
        let std_listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind a proxy");
        std_listener.set_nonblocking(true).unwrap();
        let addr = std_listener.local_addr().unwrap();
        let (cut, watch) = watch::channel(false);
        let is_cut = Arc::new(AtomicBool::new(false));
        let flag = is_cut.clone();
        std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap();
            rt.block_on(serve(std_listener, target, watch, flag));
        });
        Self { addr, cut, is_cut }
    }

    /// Cuts the link: open connections close, new ones are refused.
    pub fn cut(&self) {
        self.is_cut.store(true, Ordering::SeqCst);
        let _ = self.cut.send(true);
    }

    /// Heals the link.
    pub fn heal(&self) {
        self.is_cut.store(false, Ordering::SeqCst);
        let _ = self.cut.send(false);
    }

    /// Whether the link is cut.
    pub fn is_cut(&self) -> bool {
        self.is_cut.load(Ordering::SeqCst)
    }
}

async fn serve(
    listener: std::net::TcpListener,
    target: SocketAddr,
    watch: watch::Receiver<bool>,
    is_cut: Arc<AtomicBool>,
) {
    let listener = TcpListener::from_std(listener).unwrap();
    loop {
        let Ok((inbound, _)) = listener.accept().await else {
            continue;
        };
        if is_cut.load(Ordering::SeqCst) {
            drop(inbound);
            continue;
        }
        let mut watch = watch.clone();
        tokio::spawn(async move {
            let Ok(outbound) = TcpStream::connect(target).await else {
                return;
            };
            let _ = inbound.set_nodelay(true);
            let _ = outbound.set_nodelay(true);
            let (mut a, mut b) = (inbound, outbound);
            tokio::select! {
                _ = tokio::io::copy_bidirectional(&mut a, &mut b) => {}
                _ = watch.wait_for(|cut| *cut) => {}
            }
        });
    }
}
