#!/bin/bash
# tests/deploy/run.sh: scripts/check-deploy.py passes deploy/kubernetes/
# and catches each mistake it is there for: a copy of the manifests with
# one change (a sed expression on one file) must fail, with a FAIL line
# naming the check, and no traceback. Needs python3-yaml. Last line: "N passed, N failed,
# N skipped".
set -u
cd "$(dirname "$0")/../.."
. tests/lib.sh
CHECK=scripts/check-deploy.py
SRC=deploy/kubernetes
if ! python3 -c 'import yaml' 2>/dev/null; then
    skip "deploy manifests (no python3-yaml: scripts/setup.sh)"
    summary
    exit
fi
T=$(mktemp -d /tmp/wasmbox-deploy-test.XXXXXX)
trap 'rm -rf "$T"' EXIT

python3 "$CHECK" "$SRC" > "$T/out" 2>&1
rc=$?
if [ "$rc" = 0 ] && tail -n 1 "$T/out" | grep -q ' 0 failed$'; then
    pass "deploy/kubernetes passes ($(tail -n 1 "$T/out"))"
else
    fail "deploy/kubernetes: exit $rc"; grep '^FAIL' "$T/out"
fi

# broken NAME FILE SED-EXPR EXPECT: FILE changed by SED-EXPR fails with a
# FAIL line holding EXPECT (and the change must have changed something)
broken() {
    local name=$1 file=$2 expr=$3 want=$4 rc
    rm -rf "$T/k" && cp -r "$SRC" "$T/k"
    sed -i -e "$expr" "$T/k/$file"
    if cmp -s "$SRC/$file" "$T/k/$file"; then
        fail "$name: the sed expression changed nothing (test out of date)"
        return
    fi
    python3 "$CHECK" "$T/k" > "$T/out" 2>&1
    rc=$?
    if grep -q Traceback "$T/out"; then
        fail "$name: the checker crashed:"; tail -3 "$T/out"
    elif [ "$rc" = 1 ] && grep '^FAIL' "$T/out" | grep -qF -- "$want"; then
        pass "$name: refused ($want)"
    else
        fail "$name: exit $rc, want 1 and a FAIL line with '$want':"
        grep '^FAIL\|Traceback\|Error' "$T/out" | head -5
    fi
}

D=deployment.yaml
broken "pod labels differ from the selector" $D \
    '/template:/,/spec:/s/component: serve/component: api/' "selector matches the pod labels"
broken "Service selects nothing" service.yaml 's/component: serve/component: web/' \
    "Service/wasmbox: selector matches the pods"
broken "PDB selects nothing" pdb.yaml 's/component: serve/component: other/' \
    "PodDisruptionBudget/wasmbox: selector matches"
broken "PDB maxUnavailable 0" pdb.yaml 's/maxUnavailable: 1/maxUnavailable: 0/' "maxUnavailable is not 0"
broken "PDB minAvailable = HPA minReplicas" pdb.yaml 's/maxUnavailable: 1/minAvailable: 2/' \
    "minAvailable 2 < the HPA's minReplicas"
broken "a claim that is not declared" $D 's/claimName: wasmbox-state/claimName: wasmbox-stat/' \
    "PersistentVolumeClaim wasmbox-stat is declared"
broken "a ReadWriteOnce state claim" pvc-state.yaml 's/ReadWriteMany/ReadWriteOnce/' \
    "is on a ReadWriteMany claim"
broken "a ConfigMap that is not declared" $D 's/name: wasmbox-policy/name: policy/' \
    "ConfigMap policy is declared"
broken "--policy names a key the ConfigMap lacks" $D 's|policy/policy.yaml|policy/policy.yml|' \
    "is key 'policy.yml' of a mounted ConfigMap"
broken "--api-keys outside the Secret's volume" $D 's|--api-keys=/etc/wasmbox/keys/api-keys|--api-keys=/etc/keys|' \
    "--api-keys /etc/keys is key"
broken "a Secret example with a usable key" secret-api-keys.example.yaml \
    's/team-a:REPLACE-ME/team-a:0123456789abcdef0123/' "only placeholders the server refuses"
broken "readiness on /livez" $D '/readinessProbe:/,/port:/s|/healthz|/livez|' "readinessProbe is /healthz"
broken "liveness on /healthz" $D '/livenessProbe:/,/port:/s|/livez|/healthz|' "livenessProbe is not /healthz"
broken "a probe on no route" $D '/livenessProbe:/,/port:/s|/livez|/alive|' \
    "livenessProbe path /alive is a route that needs no key"
broken "a probe on a route that needs a key" $D '/startupProbe:/,/port:/s|/livez|/metrics|' \
    "startupProbe path /metrics is a route that needs no key"
broken "a probe on a port the container lacks" $D '/livenessProbe:/,/port:/s|port: http|port: 9090|' \
    "livenessProbe port 9090 is a container port"
broken "a Service targetPort the container lacks" service.yaml 's/targetPort: http/targetPort: web/' \
    "targetPort is a container port"
broken "listening on loopback" $D 's/--listen=0.0.0.0:8080/--listen=127.0.0.1:8080/' "is not loopback"
broken "a grace period shorter than a drain" $D 's/terminationGracePeriodSeconds: 105/terminationGracePeriodSeconds: 60/' \
    "terminationGracePeriodSeconds 60 >= 105"
broken "a longer step timeout without a longer grace period" configmap-policy.yaml 's/timeout: 30s/timeout: 2m/' \
    "terminationGracePeriodSeconds 105 >= 195"
broken "no step timeout" configmap-policy.yaml 's/timeout: 30s/timeout: 0/' "budget.timeout is not 0"
broken "a longer drain delay" $D 's/--drain-delay=5s/--drain-delay=1m/' "terminationGracePeriodSeconds 105 >= 160"
broken "a memory limit below the budget" $D '/limits:/,/memory:/s/memory: 1536Mi/memory: 512Mi/' \
    "memory limit 512Mi >= 1366 MiB"
broken "more memory per step" configmap-policy.yaml 's/memory: 256M/memory: 1G/' "memory limit 1536Mi >= 2902 MiB"
broken "requests over limits" $D '/requests:/,/memory:/s/memory: 1536Mi/memory: 2Gi/' "requests <= limits"
broken "more workers than CPUs" $D 's/--workers=2 /--workers=4 /' "--workers 4 = the CPUs requested"
broken "/dev/shm smaller than the one-shot workspaces" $D 's/sizeLimit: 128Mi/sizeLimit: 64Mi/' \
    "/dev/shm (64Mi) holds --workers x budget.disk"
broken "a writable root filesystem" $D 's/readOnlyRootFilesystem: true/readOnlyRootFilesystem: false/' \
    "read-only root filesystem"
broken "/tmp not mounted" $D 's|mountPath: /tmp|mountPath: /scratch|' "/tmp is a writable volume"
broken "root" $D 's/runAsUser: 10001/runAsUser: 0/' "runAsUser is a non-zero uid"
broken "runAsNonRoot off" $D 's/runAsNonRoot: true/runAsNonRoot: false/' "runAsNonRoot"
broken "privilege escalation" $D 's/allowPrivilegeEscalation: false/allowPrivilegeEscalation: true/' \
    "allowPrivilegeEscalation false"
broken "capabilities kept" $D 's/drop: \[ALL\]/drop: [NET_RAW]/' "capabilities: drop ALL"
broken "a capability added" $D 's/drop: \[ALL\]/drop: [ALL]\n              add: [SYS_ADMIN]/' "capabilities: drop ALL, add none"
broken "privileged" $D 's/privileged: false/privileged: true/' "not privileged"
broken "no seccomp filter" $D 's/type: RuntimeDefault/type: Unconfined/' "seccomp profile RuntimeDefault or Localhost"
broken "an HPA on a metric the server does not export" optional/hpa-runs-in-flight.yaml \
    's/name: wasmbox_runs_in_flight/name: wasmbox_runs_running/' "metric wasmbox_runs_running is exported"
broken "an HPA on another Deployment" hpa.yaml '/scaleTargetRef/,/name:/s/name: wasmbox/name: other/' \
    "targets Deployment/wasmbox"
broken "an HPA minReplicas over maxReplicas" hpa.yaml 's/minReplicas: 2/minReplicas: 20/' "minReplicas <= maxReplicas"
broken "an old HPA apiVersion" hpa.yaml 's|autoscaling/v2|autoscaling/v2beta2|' "apiVersion autoscaling/v2beta2"
broken "an old PDB apiVersion" pdb.yaml 's|policy/v1|policy/v1beta1|' "apiVersion policy/v1beta1"
broken "a bad name" service.yaml '0,/name: wasmbox/s/name: wasmbox/name: Wasmbox_API/' "DNS-1123"
broken "a Deployment without containers" $D 's/containers:/initContainers:/' "missing spec.template.spec.containers"
broken "a manifest left out of kustomization.yaml" kustomization.yaml '/networkpolicy.yaml/d' \
    "lists every manifest (not: networkpolicy.yaml)"
broken "kustomization.yaml names a missing file" kustomization.yaml 's/pdb.yaml/pdbs.yaml/' \
    "every resource exists (not: pdbs.yaml)"
broken "YAML that does not parse" service.yaml 's/^spec:/spec: [/' "service.yaml:"
broken "a PDB without spec" pdb.yaml '/^spec:/,$d' "missing spec.selector.matchLabels"
broken "a list where a mapping belongs" $D 's/^  template:/  template: []\n  xtemplate:/' "a container runs"
broken "a pod spec that is a string" $D 's/^    spec:/    spec: nothing\n    xspec:/' "the manifests' shape"
broken "a policy that does not parse" configmap-policy.yaml 's/^    budget: /    budget: [/' "the policy in the ConfigMap does not parse"
broken "a policy without a budget" configmap-policy.yaml 's/^    budget:/    xbudget:/' "sizes:"
broken "a size that does not parse" $D '/limits:/,/memory:/s/memory: 1536Mi/memory: lots/' "sizes: bad size"

broken "an option serve does not know" $D 's/--max-sessions=32/--max-session=32/' \
    "every option is one \`wasmbox serve\` knows (not: --max-session)"

# With a server that has --shared-state (issue 21's leases), replicas
# must turn it on: the checker reads the options from a copy of the tree
# whose serve.c has it.
mkdir -p "$T/tree/scripts" "$T/tree/src/cli" "$T/tree/src/server"
cp "$CHECK" "$T/tree/scripts/"
cp src/server/*.c "$T/tree/src/server/"
sed 's/{ "tier", required_argument/{ "shared-state", no_argument, NULL, 0 },\n    &/' \
    src/cli/serve.c > "$T/tree/src/cli/serve.c"
python3 "$T/tree/scripts/check-deploy.py" "$SRC" > "$T/out" 2>&1
rc=$?
if grep -q -- '^ *- --shared-state' "$SRC/$D"; then
    skip "a server with --shared-state: the Deployment already passes it"
elif [ "$rc" = 1 ] && grep -q '^FAIL.*replicas share the state directory: --shared-state' "$T/out"; then
    pass "a server with --shared-state: replicas without it are refused"
else
    fail "a server with --shared-state: exit $rc:"; grep '^FAIL' "$T/out" | head -3
fi

# Debian's kubectl (package kubernetes-client, 1.20) cannot validate
# without a server, but it builds the kustomization offline; another
# kubectl on the machine is not used. $KUBECTL names one to use instead.
K=${KUBECTL:-}
if [ -z "$K" ] && dpkg-query -W -f='${Status}' kubernetes-client 2>/dev/null |
        grep -q 'install ok installed'; then
    K=$(dpkg-query -L kubernetes-client | grep '/bin/kubectl$' | head -1)
fi
if [ -z "$K" ]; then
    skip "kubectl kustomize (no Debian kubernetes-client)"
else
    want=$(python3 -c 'import yaml, sys
print(len(yaml.safe_load(open(sys.argv[1]))["resources"]))' "$SRC/kustomization.yaml")
    if env -u KUBECONFIG HOME="$T" "$K" kustomize "$SRC" > "$T/kz.yaml" 2>"$T/kz.err"; then
        got=$(grep -c '^kind:' "$T/kz.yaml")
        if [ "$got" = "$want" ]; then pass "kubectl kustomize builds the $got objects"
        else fail "kubectl kustomize: $got objects, want $want"; fi
    else
        fail "kubectl kustomize: $(head -2 "$T/kz.err")"
    fi
fi

python3 "$CHECK" "$T/none" > "$T/out" 2>&1
rc=$?
if [ "$rc" = 2 ] && [ "$(wc -l < "$T/out")" = 1 ]; then pass "a missing directory: exit 2, one line"
else fail "a missing directory: exit $rc: $(head -3 "$T/out")"; fi
summary
