//! The node mesh against a loopback API server (tests/support): the sessions a node asks
//! for follow the cluster's Nodes and their route-reflector label.

mod support;

use std::time::Duration;

use futures_util::StreamExt;
use k8s_routes::{MeshEvent, NodeMesh};
use support::{mesh_node, FakeApiServer};

const RR: (&str, &str) = ("bgp.example.org/route-reflector", "true");

async fn next(mesh: &mut NodeMesh) -> MeshEvent {
    match tokio::time::timeout(Duration::from_secs(10), mesh.next()).await {
        Ok(Some(Ok(e))) => e,
        other => panic!("no mesh event: {other:?}"),
    }
}

fn peer(n: u8, client: bool) -> MeshEvent {
    MeshEvent::Peer {
        node: format!("node{n}"),
        addr: format!("192.0.2.{n}").parse().unwrap(),
        client,
    }
}

fn unpeer(n: u8) -> MeshEvent {
    MeshEvent::Unpeer { node: format!("node{n}"), addr: format!("192.0.2.{n}").parse().unwrap() }
}

#[tokio::test]
async fn the_mesh_follows_nodes_and_the_reflector_label() {
    let server = FakeApiServer::start().await;
    server.apply_node(mesh_node("node1", "192.0.2.1", &[RR]));
    for n in 2..=3 {
        server.apply_node(mesh_node(&format!("node{n}"), &format!("192.0.2.{n}"), &[]));
    }
    let selector = Some(RR.0.parse().unwrap());
    let mut client2 = NodeMesh::new(server.client(), "node2", selector.clone(), None);
    let mut reflector = NodeMesh::new(server.client(), "node1", selector, None);
    // node2 peers with the reflector alone; node1 takes both as clients.
    assert_eq!(next(&mut client2).await, peer(1, false));
    assert_eq!(next(&mut client2).await, MeshEvent::Synced);
    assert_eq!(next(&mut reflector).await, peer(2, true));
    assert_eq!(next(&mut reflector).await, peer(3, true));
    assert_eq!(next(&mut reflector).await, MeshEvent::Synced);
    assert!(reflector.mesh().is_reflector());

    // A fourth node joins: a client of node1, nothing for node2.
    server.apply_node(mesh_node("node4", "192.0.2.4", &[]));
    assert_eq!(next(&mut reflector).await, peer(4, true));
    // node1 loses its label: a full mesh.
    server.apply_node(mesh_node("node1", "192.0.2.1", &[]));
    for want in [peer(3, false), peer(4, false)] {
        assert_eq!(next(&mut client2).await, want);
    }
    let got: Vec<MeshEvent> = [
        next(&mut reflector).await,
        next(&mut reflector).await,
        next(&mut reflector).await,
        next(&mut reflector).await,
        next(&mut reflector).await,
        next(&mut reflector).await,
    ]
    .into();
    assert_eq!(
        got,
        [unpeer(2), unpeer(3), unpeer(4), peer(2, false), peer(3, false), peer(4, false)]
    );
    // A node deleted in the API is unpeered.
    server.delete_node("node3");
    assert_eq!(next(&mut client2).await, unpeer(3));
}
