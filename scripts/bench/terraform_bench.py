#!/usr/bin/env python3
"""The Terraform benchmark behind scripts/bench-terraform.sh (figures, no pass/fail).

For each size it measures, in the same run, Terraform's floor (the same for_each shape with the
builtin terraform_data, no provider) and this provider against oci-identity-mock: apply
(create), apply (update description), no-op plan (refresh) and destroy. It prints absolute
seconds, provider minus floor, the ratio, the API requests the mock counted (/_mock/stats) and
the provider's peak RSS (VmHWM of Terraform's provider child processes, sampled). A second pass
sets the mock's rate limit so that about a third of the requests are refused, and reports the
429s, failed resources, orphaned tokens (left after destroy) and duplicates (tokens beyond the
resources in state). Exits non-zero only if a command failed or tokens were orphaned.
"""

import argparse
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
COMMANDS = ["create", "update", "plan", "destroy"]
LABELS = {
    "create": "apply (create)",
    "update": "apply (update)",
    "plan": "no-op plan",
    "destroy": "destroy",
}


def shape(size):
    """(users, tokens per user) for a size: 1 = 1 x 1, otherwise size/2 users x 2."""
    return (1, 1) if size == 1 else (size // 2, 2)


class Mock:
    def __init__(self, binary, work, users, latency_ms):
        self.data = os.path.join(work, "mock")
        self.log = open(os.path.join(work, "mock.log"), "w")
        self.proc = subprocess.Popen(
            [binary, "--data-dir", self.data, "--users", str(users), "--token-limit", "0",
             "--latency-ms", str(latency_ms), "--log-level", "warn"],
            stdout=subprocess.PIPE, stderr=self.log, text=True)
        line = self.proc.stdout.readline()
        if not line:
            raise SystemExit("oci-identity-mock did not start; see " + self.log.name)
        self.ready = json.loads(line)
        self.endpoint = self.ready["endpoint"]

    def _call(self, method, path, body=None):
        data = None if body is None else json.dumps(body).encode()
        req = urllib.request.Request(self.endpoint + path, data=data, method=method,
                                     headers={"content-type": "application/json"})
        with urllib.request.urlopen(req) as r:
            text = r.read()
            return json.loads(text) if text else None

    def stats(self):
        return self._call("GET", "/_mock/stats")

    def reset(self):
        self._call("POST", "/_mock/reset-stats", {})

    def rate_limit(self, n):
        self._call("POST", "/_mock/faults", {"rate_limit": int(n)})

    def stop(self):
        self.proc.terminate()
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()


def request_counts(stats):
    """Requests by operation (non-zero only), their total, and the refused ones."""
    ops = {op: v["total"] for op, v in stats["requests"].items() if v["total"]}
    return ops, sum(ops.values()), stats.get("rate_limited", 0)


class RssSampler(threading.Thread):
    """Peak VmHWM (kB) over the provider processes among a process's children."""

    def __init__(self, pid, name):
        super().__init__(daemon=True)
        self.pid, self.name, self.peak, self.done = pid, name, 0, False

    def children(self):
        out = []
        try:
            for tid in os.listdir(f"/proc/{self.pid}/task"):
                with open(f"/proc/{self.pid}/task/{tid}/children") as f:
                    out += f.read().split()
        except OSError:
            pass
        return out

    def run(self):
        while not self.done:
            for child in self.children():
                try:
                    with open(f"/proc/{child}/comm") as f:
                        # comm is the name cut to 15 bytes ("terraform" itself must not match).
                        if f.read().strip() != self.name[:15]:
                            continue
                    with open(f"/proc/{child}/status") as f:
                        for line in f:
                            if line.startswith("VmHWM:"):
                                self.peak = max(self.peak, int(line.split()[1]))
                except OSError:
                    pass
            time.sleep(0.02)


def run_tf(tf, cwd, env, args, sample_rss):
    """Runs terraform; (seconds, exit code, peak provider RSS kB, output tail)."""
    log = os.path.join(cwd, "last.log")
    with open(log, "w") as out:
        t = time.monotonic()
        p = subprocess.Popen([tf] + args, cwd=cwd, env=env, stdout=out, stderr=subprocess.STDOUT)
        sampler = None
        if sample_rss:
            sampler = RssSampler(p.pid, "terraform-provider-oci")
            sampler.start()
        rc = p.wait()
        secs = time.monotonic() - t
        if sampler:
            sampler.done = True
            sampler.join()
    with open(log) as f:
        tail = f.read()[-3000:]
    return secs, rc, (sampler.peak if sampler else 0), tail


def write_configs(work, size, users):
    nusers, per_user = shape(size)
    keys = ", ".join(f'"u{u}-t{t}" = {u}' for u in range(nusers) for t in range(per_user))
    users_hcl = ", ".join(json.dumps(u) for u in users[:nusers])
    common = f"""
variable "desc" {{
  type = string
}}

locals {{
  users  = [{users_hcl}]
  tokens = {{ {keys} }}
}}
"""
    floor = os.path.join(work, f"floor-{size}")
    prov = os.path.join(work, f"provider-{size}")
    os.makedirs(floor)
    os.makedirs(prov)
    with open(os.path.join(floor, "main.tf"), "w") as f:
        f.write(common + """
resource "terraform_data" "t" {
  for_each = local.tokens
  input    = "bench ${each.key} ${var.desc} ${local.users[each.value]}"
}
""")
    with open(os.path.join(prov, "main.tf"), "w") as f:
        f.write("""terraform {
  required_providers {
    oci = {
      source = "oracle/oci"
    }
  }
}

provider "oci" {}
""" + common + """
resource "oci_identity_auth_token" "t" {
  for_each    = local.tokens
  user_id     = local.users[each.value]
  description = "bench ${each.key} ${var.desc}"
}
""")
    return floor, prov


def tf_args(cmd, parallelism):
    p = f"-parallelism={parallelism}"
    return {
        "create": ["apply", "-auto-approve", "-input=false", "-no-color", p, "-var", "desc=a"],
        "update": ["apply", "-auto-approve", "-input=false", "-no-color", p, "-var", "desc=b"],
        "plan": ["plan", "-detailed-exitcode", "-input=false", "-no-color", p, "-var", "desc=b"],
        "destroy": ["destroy", "-auto-approve", "-input=false", "-no-color", p, "-var", "desc=b"],
    }[cmd]


def state_count(tf, cwd, env):
    r = subprocess.run([tf, "state", "list"], cwd=cwd, env=env, capture_output=True, text=True)
    return len([l for l in r.stdout.splitlines() if l.strip()]) if r.returncode == 0 else 0


def fmt_ops(ops):
    short = {"CreateAuthToken": "C", "ListAuthTokens": "L", "UpdateAuthToken": "U",
             "DeleteAuthToken": "D"}
    return " ".join(f"{short.get(k, k)}={v}" for k, v in sorted(ops.items())) or "-"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--terraform", required=True)
    ap.add_argument("--mock", required=True)
    ap.add_argument("--provider-dir", required=True)
    ap.add_argument("--sizes", default="1,50")
    ap.add_argument("--latency-ms", type=int, default=20)
    ap.add_argument("--parallelism", type=int, default=10)
    ap.add_argument("--rate-limit", type=int, default=0,
                    help="fixed requests/s for the rate-limited pass (default: 2/3 of the "
                         "unlimited pass's request rate, per command)")
    ap.add_argument("--no-rate-limit-pass", action="store_true")
    ap.add_argument("--keep", action="store_true", help="keep the work directory")
    a = ap.parse_args()
    sizes = [int(s) for s in a.sizes.split(",") if s]
    max_users = max(shape(s)[0] for s in sizes)

    work = tempfile.mkdtemp(prefix="bench-terraform-")
    cli = os.path.join(work, "cli.tfrc")
    with open(cli, "w") as f:
        f.write('provider_installation {\n  dev_overrides {\n'
                f'    "registry.terraform.io/oracle/oci" = "{a.provider_dir}"\n'
                '  }\n  direct {}\n}\n')
    print(f"==> starting oci-identity-mock ({max_users} users, latency {a.latency_ms} ms)",
          file=sys.stderr)
    mock = Mock(a.mock, work, max_users, a.latency_ms)
    env = {k: v for k, v in os.environ.items()
           if not k.startswith("TF_") and not k.startswith("OCI_")}
    env.update({
        "TF_CLI_CONFIG_FILE": cli, "CHECKPOINT_DISABLE": "1", "TF_IN_AUTOMATION": "1",
        "OCI_CONFIG_FILE": mock.ready["config_file"],
        "CLIENT_HOST_OVERRIDES": f"oci_identity.IdentityClient={mock.endpoint}",
    })
    tf = a.terraform
    version = subprocess.run([tf, "version"], capture_output=True, text=True, env=env).stdout
    print(f"Terraform: {version.splitlines()[0] if version else '?'}; mock latency "
          f"{a.latency_ms} ms; parallelism {a.parallelism}; {os.cpu_count()} CPUs")
    failed_commands = []
    orphans_total = 0
    try:
        for size in sizes:
            nusers, per_user = shape(size)
            floor, prov = write_configs(work, size, mock.ready["user_ocids"])
            for d in (floor, prov):
                secs, rc, _, tail = run_tf(tf, d, env, ["init", "-input=false", "-no-color"], False)
                if rc != 0:
                    raise SystemExit(f"terraform init failed in {d}:\n{tail}")
            # Warm-up (unmeasured): the first Terraform command of a directory is slower.
            for d in (floor, prov):
                run_tf(tf, d, env, ["validate", "-no-color"], False)
            minimum = {"create": size, "update": size, "plan": nusers, "destroy": size}
            # The floor and the unlimited pass.
            floor_s, unl = {}, {}
            for cmd in COMMANDS:
                secs, rc, _, tail = run_tf(tf, floor, env, tf_args(cmd, a.parallelism), False)
                if rc not in (0,):
                    failed_commands.append(f"floor {size} {cmd}")
                    print(tail, file=sys.stderr)
                floor_s[cmd] = secs
            passes = [("no rate limit", None)]
            if not a.no_rate_limit_pass:
                passes.append(("rate limited", "auto"))
            for name, limited in passes:
                rows = {}
                base_live = mock.stats()["live_tokens"]
                extra = {"failed": 0, "duplicates": 0, "orphans": 0, "diff": False}
                for cmd in COMMANDS:
                    limit = 0
                    if limited:
                        if a.rate_limit:
                            limit = a.rate_limit
                        else:
                            r = unl[cmd]
                            limit = max(1, round(r["requests"] / max(r["secs"], 0.001) * 2 / 3))
                    mock.rate_limit(limit)
                    mock.reset()
                    secs, rc, rss, tail = run_tf(tf, prov, env, tf_args(cmd, a.parallelism), True)
                    mock.rate_limit(0)
                    st = mock.stats()
                    ops, total, refused = request_counts(st)
                    ok = rc == 0 or (cmd == "plan" and rc == 2)
                    if not ok:
                        failed_commands.append(f"{name} {size} {cmd}")
                        print(f"--- {name} {size} {cmd} failed (exit {rc}):\n{tail}",
                              file=sys.stderr)
                    if cmd == "plan" and rc == 2:
                        extra["diff"] = True
                    if cmd == "create":
                        in_state = state_count(tf, prov, env)
                        extra["failed"] = size - in_state
                        extra["duplicates"] = max(0, st["live_tokens"] - base_live - in_state)
                    if cmd == "destroy":
                        extra["orphans"] = st["live_tokens"] - base_live
                    rows[cmd] = {"secs": secs, "rc": rc, "ops": ops, "requests": total,
                                 "refused": refused, "rss": rss, "limit": limit}
                if not limited:
                    unl = rows
                # Clean up whatever is left (a failed destroy), without the limit.
                if state_count(tf, prov, env):
                    run_tf(tf, prov, env, tf_args("destroy", a.parallelism), False)
                orphans_total += max(0, extra["orphans"])
                print_table(size, nusers, per_user, name, floor_s, rows, minimum, extra)
    finally:
        mock.stop()
        if a.keep:
            print(f"work directory kept: {work}", file=sys.stderr)
        else:
            shutil.rmtree(work, ignore_errors=True)
    if failed_commands:
        print("FAILED commands: " + ", ".join(failed_commands))
    if orphans_total:
        print(f"ORPHANED tokens: {orphans_total}")
    return 1 if failed_commands or orphans_total else 0


def print_table(size, nusers, per_user, name, floor_s, rows, minimum, extra):
    print()
    print(f"## {size} resource(s) ({nusers} user(s) x {per_user}), {name}")
    hdr = (f"{'command':<15} {'floor s':>8} {'provider s':>10} {'minus floor':>11} {'ratio':>6} "
           f"{'requests':>8} {'minimum':>7} {'429':>5} {'limit/s':>7} {'peak RSS MB':>11}  by operation")
    print(hdr)
    print("-" * len(hdr))
    for cmd in COMMANDS:
        r = rows[cmd]
        f = floor_s[cmd]
        status = "" if r["rc"] == 0 or (cmd == "plan" and r["rc"] == 2) else f"  FAILED (exit {r['rc']})"
        if cmd == "plan" and r["rc"] == 2:
            status = "  DIFF (plan not empty)"
        print(f"{LABELS[cmd]:<15} {f:>8.2f} {r['secs']:>10.2f} {r['secs'] - f:>+11.2f} "
              f"{r['secs'] / max(f, 0.001):>5.1f}x {r['requests']:>8} {minimum[cmd]:>7} "
              f"{r['refused']:>5} {r['limit'] or '-':>7} {r['rss'] / 1024:>11.1f}  "
              f"{fmt_ops(r['ops'])}{status}")
    total = sum(r["requests"] for r in rows.values())
    refused = sum(r["refused"] for r in rows.values())
    share = f" ({100 * refused / total:.0f}% of {total})" if total else ""
    print(f"429 refused: {refused}{share}; failed resources: {extra['failed']}; "
          f"orphans: {extra['orphans']}; duplicates: {extra['duplicates']}"
          + ("; no-op plan NOT empty" if extra["diff"] else ""))


def _terminated(signum, _frame):
    # Let the `finally` blocks stop the mock and remove the work directory.
    raise SystemExit(128 + signum)


if __name__ == "__main__":
    signal.signal(signal.SIGTERM, _terminated)
    sys.exit(main())
