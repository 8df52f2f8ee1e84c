//! gRPC tools find everything: reflection answers in both versions tools
//! use (v1 and v1alpha) and lists every hush service and health.

mod common;

use common::Hushd;

const EXPECTED: [&str; 6] = [
    "hush.v1.Broker",
    "hush.v1.Directory",
    "hush.v1.Blobs",
    "hush.v1.Rendezvous",
    "hush.v1.Attestation",
    "grpc.health.v1.Health",
];

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reflection_v1_and_v1alpha_list_every_service() {
    let server = Hushd::start(&[]);

    use tonic_reflection::pb::v1::server_reflection_client::ServerReflectionClient as V1;
    use tonic_reflection::pb::v1::server_reflection_request::MessageRequest as R1;
    use tonic_reflection::pb::v1::server_reflection_response::MessageResponse as A1;
    let channel = tonic::transport::Endpoint::from_shared(server.url.clone())
        .unwrap()
        .connect()
        .await
        .unwrap();
    let mut c = V1::new(channel.clone());
    let req = tonic_reflection::pb::v1::ServerReflectionRequest {
        host: String::new(),
        message_request: Some(R1::ListServices(String::new())),
    };
    let mut answers = c
        .server_reflection_info(tokio_stream::iter([req]))
        .await
        .unwrap()
        .into_inner();
    let Some(A1::ListServicesResponse(list)) =
        answers.message().await.unwrap().unwrap().message_response
    else {
        panic!("v1: not a service list")
    };
    let v1: Vec<_> = list.service.into_iter().map(|s| s.name).collect();

    use tonic_reflection::pb::v1alpha::server_reflection_client::ServerReflectionClient as V1a;
    use tonic_reflection::pb::v1alpha::server_reflection_request::MessageRequest as Ra;
    use tonic_reflection::pb::v1alpha::server_reflection_response::MessageResponse as Aa;
    let mut c = V1a::new(channel);
    let req = tonic_reflection::pb::v1alpha::ServerReflectionRequest {
        host: String::new(),
        message_request: Some(Ra::ListServices(String::new())),
    };
    let mut answers = c
        .server_reflection_info(tokio_stream::iter([req]))
        .await
        .unwrap()
        .into_inner();
    let Some(Aa::ListServicesResponse(list)) =
        answers.message().await.unwrap().unwrap().message_response
    else {
        panic!("v1alpha: not a service list")
    };
    let v1alpha: Vec<_> = list.service.into_iter().map(|s| s.name).collect();

    assert!(
        v1.iter()
            .any(|s| s == "grpc.reflection.v1.ServerReflection")
    );
    assert!(
        v1alpha
            .iter()
            .any(|s| s == "grpc.reflection.v1alpha.ServerReflection")
    );
    for name in EXPECTED {
        assert!(v1.iter().any(|s| s == name), "v1 lacks {name}: {v1:?}");
        assert!(
            v1alpha.iter().any(|s| s == name),
            "v1alpha lacks {name}: {v1alpha:?}"
        );
    }
}
