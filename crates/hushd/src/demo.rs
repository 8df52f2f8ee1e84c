//! The browser demo at `/demo/`: a page with two panes, alice and bob,
//! running the WebAssembly client (`web/`, built from `crates/hush-web` by
//! `scripts/build-web.sh`) against this hushd's HTTP/JSON API. The files
//! are embedded in the binary. Served only when `demo` is on, which it is
//! by default with dev attestation and not otherwise.

use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Redirect};
use axum::routing::get;

/// The embedded files: (path under /demo/, content type, bytes).
const FILES: [(&str, &str, &[u8]); 6] = [
    (
        "",
        "text/html; charset=utf-8",
        include_bytes!("../../../web/index.html"),
    ),
    (
        "demo.js",
        "text/javascript",
        include_bytes!("../../../web/demo.js"),
    ),
    (
        "hush.js",
        "text/javascript",
        include_bytes!("../../../web/hush.js"),
    ),
    (
        "demo.css",
        "text/css",
        include_bytes!("../../../web/demo.css"),
    ),
    (
        "pkg/hush_web.js",
        "text/javascript",
        include_bytes!("../../../web/pkg/hush_web.js"),
    ),
    (
        "pkg/hush_web_bg.wasm",
        "application/wasm",
        include_bytes!("../../../web/pkg/hush_web_bg.wasm"),
    ),
];

/// The demo's routes, for the server to merge beside the API.
pub fn routes() -> axum::Router {
    let mut router =
        axum::Router::new().route("/demo", get(|| async { Redirect::permanent("/demo/") }));
    for (path, content_type, body) in FILES {
        router = router.route(
            &format!("/demo/{path}"),
            get(move || async move {
                (
                    StatusCode::OK,
                    [
                        (header::CONTENT_TYPE, content_type),
                        (header::CACHE_CONTROL, "no-cache"),
                    ],
                    body,
                )
                    .into_response()
            }),
        );
    }
    router
}
