//! The manifests in deploy/: each document parses as its Kubernetes type with no field
//! the type does not know, and the DaemonSet keeps the security settings it promises.

use std::{
    collections::{BTreeMap, BTreeSet},
    path::{Path, PathBuf},
};

use k8s_openapi::{
    api::{
        apps::v1::DaemonSet,
        core::v1::{ConfigMap, Container, ServiceAccount},
        rbac::v1::{ClusterRole, ClusterRoleBinding},
    },
    apimachinery::pkg::util::intstr::IntOrString,
};
use serde::{de::DeserializeOwned, Serialize};
use serde_json::Value;

fn deploy_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../deploy")
}

/// Every YAML document under deploy/, with the file it came from.
fn documents() -> Vec<(String, Value)> {
    let dir = deploy_dir();
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "yaml" || x == "yml"))
        .collect();
    files.sort();
    assert!(!files.is_empty(), "no manifests in {}", dir.display());
    let mut out = Vec::new();
    for path in files {
        let text = std::fs::read_to_string(&path).unwrap();
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        let docs: Vec<Value> =
            serde_saphyr::from_multiple(&text).unwrap_or_else(|e| panic!("{name}: not YAML: {e}"));
        out.extend(docs.into_iter().filter(|d| !d.is_null()).map(|d| (name.clone(), d)));
    }
    out
}

/// `doc` as `T`, and back to the same JSON: a misspelt or misplaced field (which
/// `k8s_openapi` would skip) fails here.
fn strict<T: DeserializeOwned + Serialize>(file: &str, doc: &Value) -> T {
    let typed: T = serde_json::from_value(doc.clone())
        .unwrap_or_else(|e| panic!("{file}: {}: {e}", doc["kind"]));
    let back = serde_json::to_value(&typed).unwrap();
    assert_eq!(&back, doc, "{file}: {} has fields its type does not know", doc["kind"]);
    typed
}

#[derive(Default)]
struct Manifests {
    daemonsets: Vec<DaemonSet>,
    service_accounts: Vec<ServiceAccount>,
    cluster_roles: Vec<ClusterRole>,
    bindings: Vec<ClusterRoleBinding>,
    config_maps: Vec<ConfigMap>,
    kustomization: Option<Value>,
}

fn manifests() -> Manifests {
    let mut m = Manifests::default();
    for (file, doc) in documents() {
        match (doc["apiVersion"].as_str(), doc["kind"].as_str()) {
            (Some("apps/v1"), Some("DaemonSet")) => m.daemonsets.push(strict(&file, &doc)),
            (Some("v1"), Some("ServiceAccount")) => m.service_accounts.push(strict(&file, &doc)),
            (Some("v1"), Some("ConfigMap")) => m.config_maps.push(strict(&file, &doc)),
            (Some("rbac.authorization.k8s.io/v1"), Some("ClusterRole")) => {
                m.cluster_roles.push(strict(&file, &doc))
            }
            (Some("rbac.authorization.k8s.io/v1"), Some("ClusterRoleBinding")) => {
                m.bindings.push(strict(&file, &doc))
            }
            (Some("kustomize.config.k8s.io/v1beta1"), Some("Kustomization")) => {
                assert!(m.kustomization.replace(doc).is_none(), "two kustomizations")
            }
            (api, kind) => panic!("{file}: unexpected {api:?} {kind:?}"),
        }
    }
    m
}

fn strings(v: &Value) -> Vec<String> {
    v.as_array().into_iter().flatten().map(|s| s.as_str().unwrap().to_owned()).collect()
}

/// The ConfigMap names the manifests provide: literal ones and kustomize's generated ones.
fn config_map_names(m: &Manifests) -> BTreeMap<String, Vec<String>> {
    let mut out = BTreeMap::new();
    for cm in &m.config_maps {
        out.insert(cm.metadata.name.clone().unwrap(), Vec::new());
    }
    if let Some(k) = &m.kustomization {
        for generator in k["configMapGenerator"].as_array().into_iter().flatten() {
            out.insert(
                generator["name"].as_str().unwrap().to_owned(),
                strings(&generator["files"]),
            );
        }
    }
    out
}

fn agent(m: &Manifests) -> (&DaemonSet, &Container) {
    assert_eq!(m.daemonsets.len(), 1, "one DaemonSet");
    let ds = &m.daemonsets[0];
    let pod = ds.spec.template.spec.as_ref().unwrap();
    assert_eq!(pod.containers.len(), 1, "one container");
    (ds, &pod.containers[0])
}

#[test]
fn every_manifest_parses_and_the_kustomization_lists_them() {
    let m = manifests();
    let k = m.kustomization.as_ref().expect("deploy/kustomization.yaml");
    let listed: BTreeSet<String> = strings(&k["resources"]).into_iter().collect();
    let on_disk: BTreeSet<String> = documents()
        .into_iter()
        .map(|(file, _)| file)
        .filter(|f| f != "kustomization.yaml")
        .collect();
    assert_eq!(listed, on_disk, "kustomization resources vs files in deploy/");
    for files in config_map_names(&m).values() {
        for file in files {
            assert!(deploy_dir().join(file).is_file(), "configMapGenerator file {file} missing");
        }
    }
    assert_eq!(k["namespace"], "kube-system");
}

#[test]
fn daemonset_security_settings() {
    let m = manifests();
    let (ds, c) = agent(&m);
    let pod = ds.spec.template.spec.as_ref().unwrap();
    assert_eq!(pod.host_network, Some(true), "hostNetwork");
    assert_ne!(pod.host_pid, Some(true), "hostPID");
    assert_ne!(pod.host_ipc, Some(true), "hostIPC");
    for container in pod.containers.iter().chain(pod.init_containers.iter().flatten()) {
        let sc = container.security_context.as_ref().expect("securityContext");
        assert_ne!(sc.privileged, Some(true), "{}: privileged", container.name);
        assert_eq!(sc.allow_privilege_escalation, Some(false), "{}", container.name);
        let caps = sc.capabilities.as_ref().expect("capabilities");
        let add: BTreeSet<&str> = caps.add.iter().flatten().map(String::as_str).collect();
        assert_eq!(
            add,
            BTreeSet::from(["NET_ADMIN", "NET_RAW", "NET_BIND_SERVICE"]),
            "{}: added capabilities",
            container.name
        );
        assert!(caps.drop.iter().flatten().any(|d| d == "ALL"), "{}: drop ALL", container.name);
    }
    assert_eq!(c.security_context.as_ref().unwrap().read_only_root_filesystem, Some(true));
    // Nothing from the node's file system.
    for volume in pod.volumes.iter().flatten() {
        assert!(volume.host_path.is_none(), "hostPath volume {}", volume.name);
    }
}

#[test]
fn daemonset_probes_on_the_health_paths() {
    let m = manifests();
    let (_, c) = agent(&m);
    let port_of = |port: &IntOrString| match port {
        IntOrString::Int(n) => *n,
        IntOrString::String(name) => {
            c.ports
                .iter()
                .flatten()
                .find(|p| p.name.as_deref() == Some(name))
                .unwrap_or_else(|| panic!("no port named {name}"))
                .container_port
        }
    };
    let live =
        c.liveness_probe.as_ref().and_then(|p| p.http_get.as_ref()).expect("liveness httpGet");
    let ready =
        c.readiness_probe.as_ref().and_then(|p| p.http_get.as_ref()).expect("readiness httpGet");
    assert_eq!(live.path.as_deref(), Some("/healthz"));
    assert_eq!(ready.path.as_deref(), Some("/readyz"));
    assert_eq!(port_of(&live.port), 9179);
    assert_eq!(port_of(&ready.port), 9179);
}

#[test]
fn daemonset_node_name_config_and_resources() {
    let m = manifests();
    let (ds, c) = agent(&m);
    let pod = ds.spec.template.spec.as_ref().unwrap();

    let node_name = c.env.iter().flatten().find(|e| e.name == "NODE_NAME").expect("NODE_NAME");
    let field = node_name.value_from.as_ref().and_then(|v| v.field_ref.as_ref()).expect("fieldRef");
    assert_eq!(field.field_path, "spec.nodeName");

    let mount = c
        .volume_mounts
        .iter()
        .flatten()
        .find(|v| v.mount_path == "/etc/k8s-bgp-speaker" || v.mount_path == "/etc/k8s-bgp-speaker/")
        .expect("config mounted at /etc/k8s-bgp-speaker/");
    let volume = pod.volumes.iter().flatten().find(|v| v.name == mount.name).expect("its volume");
    let cm = volume.config_map.as_ref().expect("a ConfigMap volume");
    let names = config_map_names(&m);
    assert!(names.contains_key(&cm.name), "ConfigMap {} is not in deploy/ ({names:?})", cm.name);

    let resources = c.resources.as_ref().expect("resources");
    for (what, list) in [("requests", &resources.requests), ("limits", &resources.limits)] {
        let list = list.as_ref().unwrap_or_else(|| panic!("no {what}"));
        assert!(list.contains_key("cpu") && list.contains_key("memory"), "{what}: {list:?}");
    }
    let sa = pod.service_account_name.as_deref().expect("serviceAccountName");
    assert!(m.service_accounts.iter().any(|s| s.metadata.name.as_deref() == Some(sa)));
}

#[test]
fn rbac_reads_nodes_and_services_only() {
    let m = manifests();
    assert_eq!(m.cluster_roles.len(), 1);
    let role = &m.cluster_roles[0];
    let mut granted = BTreeSet::new();
    for rule in role.rules.iter().flatten() {
        assert_eq!(rule.api_groups.as_deref(), Some(&[String::new()][..]), "core group only");
        assert!(rule.resource_names.is_none() && rule.non_resource_urls.is_none());
        for resource in rule.resources.iter().flatten() {
            for verb in &rule.verbs {
                granted.insert((resource.as_str(), verb.as_str()));
            }
        }
    }
    let wanted: BTreeSet<(&str, &str)> = ["nodes", "services"]
        .into_iter()
        .flat_map(|r| ["get", "list", "watch"].map(move |v| (r, v)))
        .collect();
    assert_eq!(granted, wanted);

    assert_eq!(m.bindings.len(), 1);
    let binding = &m.bindings[0];
    assert_eq!(binding.role_ref.kind, "ClusterRole");
    assert_eq!(Some(&binding.role_ref.name), role.metadata.name.as_ref());
    let sa = &m.service_accounts[0];
    let subject = &binding.subjects.as_ref().expect("subjects")[0];
    assert_eq!(subject.kind, "ServiceAccount");
    assert_eq!(Some(&subject.name), sa.metadata.name.as_ref());
    assert_eq!(subject.namespace, sa.metadata.namespace);
}

/// The agent's own test loads the file (`k8s-bgp-speaker`'s `the_deployed_file_loads`);
/// here: it is the one the ConfigMap carries, and the DaemonSet runs the agent on it with
/// the environment `router-id = "auto"` and the pod CIDR need.
#[test]
fn the_config_map_carries_the_agents_file() {
    let m = manifests();
    let files: Vec<String> = config_map_names(&m).into_values().flatten().collect();
    assert_eq!(files, ["k8s-bgp-speaker.toml"]);
    let (_, c) = agent(&m);
    let args: Vec<&str> = c.args.iter().flatten().map(String::as_str).collect();
    assert_eq!(args, ["run", "/etc/k8s-bgp-speaker/k8s-bgp-speaker.toml"]);
    let env: BTreeSet<&str> = c.env.iter().flatten().map(|e| e.name.as_str()).collect();
    assert!(env.contains("NODE_IP") && env.contains("NODE_NAME"), "{env:?}");
    let text = std::fs::read_to_string(deploy_dir().join(&files[0])).unwrap();
    let config: toml::Table = text.parse().expect("TOML");
    assert_eq!(config["bgp"]["router-id"].as_str(), Some("auto"));
}

#[test]
fn dockerfile_is_multi_stage_with_the_binary_only() {
    let text = std::fs::read_to_string(deploy_dir().join("Dockerfile")).unwrap();
    let froms: Vec<&str> = text.lines().filter(|l| l.starts_with("FROM ")).collect();
    assert_eq!(froms.len(), 2, "{froms:?}");
    assert!(froms[0].contains(" AS builder"));
    assert!(text.contains("COPY --from=builder /usr/local/bin/k8s-bgp-speaker"));
    assert!(text.contains("ENTRYPOINT [\"/usr/local/bin/k8s-bgp-speaker\"]"));
}
