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
import resource
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
    def __init__(self, binary, work, users, latency_ms, data=None):
        self.data = data or os.path.join(work, "mock")
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

    def cpu(self):
        """CPU seconds (user + system) the mock has used so far."""
        with open(f"/proc/{self.proc.pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

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
    """Peak VmHWM (kB) over the provider processes among a process's children, and their CPU
    seconds (the last sample of each process: up to one interval of each is missed, and a
    process that lives less than one interval, like a schema or validate process, is missed
    whole — an undercount at small sizes; the profiled cycle's CPU column is exact)."""

    def __init__(self, pid, name):
        super().__init__(daemon=True)
        self.pid, self.name, self.peak, self.done = pid, name, 0, False
        self.ticks = {}

    def cpu(self):
        return sum(self.ticks.values()) / os.sysconf("SC_CLK_TCK")

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
                    with open(f"/proc/{child}/stat") as f:
                        fields = f.read().rsplit(")", 1)[1].split()
                        self.ticks[child] = int(fields[11]) + int(fields[12])
                except OSError:
                    pass
            # VmHWM is a high-water mark: it only has to be read before the process exits.
            time.sleep(0.05)


def run_tf(tf, cwd, env, args, sample_rss, mock=None):
    """Runs terraform; (seconds, exit code, peak provider RSS kB, output tail, CPU seconds of
    Terraform and its provider processes (with `sample_rss`: a pair, that and the provider
    processes' own), CPU seconds of the mock (if given) meanwhile).

    Output goes through a pipe, not a file: go-plugin fsyncs Terraform's stderr each time a
    provider process exits, which on a file costs a disk flush per provider process (tens of
    ms on a busy disk) that the floor, with no provider, never pays."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    mock_before = mock.cpu() if mock else 0.0
    t = time.monotonic()
    p = subprocess.Popen([tf] + args, cwd=cwd, env=env, stdout=subprocess.PIPE,
                         stderr=subprocess.STDOUT)
    sampler = None
    if sample_rss:
        sampler = RssSampler(p.pid, "terraform-provider-oci")
        sampler.start()
    out, _ = p.communicate()
    rc = p.returncode
    secs = time.monotonic() - t
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime)
    mock_cpu = (mock.cpu() - mock_before) if mock else 0.0
    if sampler:
        sampler.done = True
        sampler.join()
    with open(os.path.join(cwd, "last.log"), "wb") as f:
        f.write(out)
    tail = out[-3000:].decode(errors="replace")
    if sampler:
        cpu = (cpu, sampler.cpu())
    return secs, rc, (sampler.peak if sampler else 0), tail, cpu, mock_cpu


def write_cli_config(path, provider_dir):
    """A Terraform CLI configuration that takes oracle/oci from `provider_dir`."""
    with open(path, "w") as f:
        f.write('provider_installation {\n  dev_overrides {\n'
                f'    "registry.terraform.io/oracle/oci" = "{provider_dir}"\n'
                '  }\n  direct {}\n}\n')


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


def state_kb(cwd):
    """Size of a directory's state file in KB (Terraform's local backend rewrites all of it
    after each resource change, so its cost per change grows with it)."""
    try:
        return os.path.getsize(os.path.join(cwd, "terraform.tfstate")) / 1024
    except OSError:
        return 0.0


def state_count(tf, cwd, env):
    r = subprocess.run([tf, "state", "list"], cwd=cwd, env=env, capture_output=True, text=True)
    return len([l for l in r.stdout.splitlines() if l.strip()]) if r.returncode == 0 else 0


def fmt_ops(ops):
    short = {"CreateAuthToken": "C", "ListAuthTokens": "L", "UpdateAuthToken": "U",
             "DeleteAuthToken": "D"}
    return " ".join(f"{short.get(k, k)}={v}" for k, v in sorted(ops.items())) or "-"


def median(xs):
    xs = sorted(xs)
    n = len(xs)
    return xs[n // 2] if n % 2 else (xs[n // 2 - 1] + xs[n // 2]) / 2


def union_s(intervals):
    """Total length (s) of the union of (start, end) intervals."""
    total, end = 0.0, None
    for a, b in sorted(intervals):
        if end is None or a > end:
            total += b - a
            end = b
        elif b > end:
            total += b - end
            end = b
    return total


def parse_ts(line):
    """Seconds of the day of a Terraform log line (2026-12-01T20:35:46.327Z ...)."""
    try:
        hms = line[11:23]
        h, m, rest = hms.split(":")
        return int(h) * 3600 + int(m) * 60 + float(rest)
    except (ValueError, IndexError):
        return None


def kv(line, key):
    """A key=value field of a Terraform log line, as float (None if absent)."""
    i = line.find(" " + key + "=")
    if i < 0:
        return None
    v = line[i + len(key) + 2:].split(" ", 1)[0].strip('"')
    try:
        return float(v)
    except ValueError:
        return None


def profile_log(path):
    """Where a command's time went, from its TF_LOG_PROVIDER=debug log: provider processes
    started; their summed lifetime; Terraform's start-up of each (from its mTLS set-up to the
    handshake line: certificate, exec, our set-up); the wall time with at least one RPC being
    served, and with at least one API request in flight; limiter waits and retry back-off
    (summed); the provider's CPU time (summed over processes)."""
    procs, started, life, startup = 0, {}, 0.0, 0.0
    mtls_at = None
    rpcs, api = [], []
    waits_ms, cpu_ms, attempts, retries = 0.0, 0.0, 0, 0
    with open(path, errors="replace") as f:
        for line in f:
            ts = parse_ts(line)
            if ts is None:
                continue
            if "provider: configuring client automatic mTLS" in line:
                mtls_at = ts
            elif "provider: starting plugin:" in line:
                procs += 1
            elif "provider: plugin started:" in line:
                pid = line.rsplit("pid=", 1)[-1].strip()
                started[pid] = ts
            elif "provider: using plugin:" in line and mtls_at is not None:
                startup += ts - mtls_at
                mtls_at = None
            elif "provider: plugin process exited:" in line:
                pid = line.rsplit("id=", 1)[-1].strip()
                if pid in started:
                    life += ts - started.pop(pid)
            elif "RPC finished" in line:
                ms = kv(line, "elapsed_ms")
                if ms is not None:
                    rpcs.append((ts - ms / 1000, ts))
            elif "OCI request " in line:
                ms = kv(line, "attempt_ms")
                if ms is not None:
                    api.append((ts - ms / 1000, ts))
                    attempts += 1
                if "retrying" in line:
                    retries += 1
                    waits_ms += kv(line, "delay_ms") or 0
                elif "succeeded" in line or "failed" in line:
                    waits_ms += kv(line, "throttled_ms") or 0
            elif "provider process exiting" in line:
                cpu_ms += kv(line, "cpu_ms") or 0
    return {"procs": procs, "life": life, "startup": startup, "rpc": union_s(rpcs),
            "api": union_s(api), "waits": waits_ms / 1000, "cpu": cpu_ms / 1000,
            "attempts": attempts, "retries": retries}


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
    ap.add_argument("--repeat", type=int, default=3,
                    help="cycles (create, update, plan, destroy) per size below 1,000, floor "
                         "and provider alternating; the tables show medians (default 3)")
    ap.add_argument("--no-profile", action="store_true",
                    help="skip the profiled cycle (TF_LOG_PROVIDER=debug) of sizes below 1,000")
    ap.add_argument("--keep", action="store_true", help="keep the work directory")
    ap.add_argument("--mock-data", default=None,
                    help="the mock's data directory, kept between runs (its first start with "
                         "1,000 users spends minutes generating their RSA keys); default: one in "
                         "the work directory")
    ap.add_argument("--twin", default=None,
                    help="the twin provider binary (cargo build --release -p "
                         "terraform-provider-oci --example twin): this provider's schemas, no "
                         "API calls; measured beside the floor as Terraform's cost of a plugin "
                         "provider")
    a = ap.parse_args()
    # Commands run in their own directories: paths given relative to here must still work.
    for name in ("terraform", "mock", "provider_dir", "twin"):
        value = getattr(a, name)
        if value and os.sep in value:
            setattr(a, name, os.path.abspath(value))
    sizes = [int(s) for s in a.sizes.split(",") if s]
    max_users = max(shape(s)[0] for s in sizes)

    work = tempfile.mkdtemp(prefix="bench-terraform-")
    cli = os.path.join(work, "cli.tfrc")
    write_cli_config(cli, a.provider_dir)
    print(f"==> starting oci-identity-mock ({max_users} users, latency {a.latency_ms} ms)",
          file=sys.stderr)
    mock = Mock(a.mock, work, max_users, a.latency_ms,
                a.mock_data and os.path.abspath(a.mock_data))
    env = {k: v for k, v in os.environ.items()
           if not k.startswith("TF_") and not k.startswith("OCI_")}
    env.update({
        "TF_CLI_CONFIG_FILE": cli, "CHECKPOINT_DISABLE": "1", "TF_IN_AUTOMATION": "1",
        "OCI_CONFIG_FILE": mock.ready["config_file"],
        "CLIENT_HOST_OVERRIDES": f"oci_identity.IdentityClient={mock.endpoint}",
    })
    twin_env = None
    if a.twin:
        twin_dir = os.path.join(work, "twin-bin")
        os.makedirs(twin_dir)
        os.symlink(a.twin, os.path.join(twin_dir, "terraform-provider-oci"))
        twin_cli = os.path.join(work, "cli-twin.tfrc")
        write_cli_config(twin_cli, twin_dir)
        twin_env = dict(env, TF_CLI_CONFIG_FILE=twin_cli)
    tf = a.terraform
    version = subprocess.run([tf, "version"], capture_output=True, text=True, env=env).stdout
    print(f"Terraform: {version.splitlines()[0] if version else '?'}; mock latency "
          f"{a.latency_ms} ms; parallelism {a.parallelism}; {os.cpu_count()} CPUs; "
          f"provider {a.provider_dir}")
    failed_commands = []
    orphans_total = 0
    try:
        for size in sizes:
            nusers, per_user = shape(size)
            repeat = max(1, a.repeat) if size < 1000 else 1
            floor, prov = write_configs(work, size, mock.ready["user_ocids"])
            baselines = [("floor", floor, env)]
            if twin_env:
                twin = os.path.join(work, f"twin-{size}")
                shutil.copytree(prov, twin)
                baselines.append(("twin", twin, twin_env))
            dirs = [(d, d_env) for _, d, d_env in baselines] + [(prov, env)]
            for d, d_env in dirs:
                _, rc, _, tail, _, _ = run_tf(tf, d, d_env, ["init", "-input=false", "-no-color"],
                                              False)
                if rc != 0:
                    raise SystemExit(f"terraform init failed in {d}:\n{tail}")
            # Warm-up (unmeasured): the first Terraform command of a directory is slower.
            for d, d_env in dirs:
                run_tf(tf, d, d_env, ["validate", "-no-color"], False)
            # Terraform refreshes (one list per user) before an update and a destroy.
            minimum = {"create": size, "update": size + nusers, "plan": nusers,
                       "destroy": size + nusers}

            def provider_cycle(name, limits, log_dir=None):
                """One provider cycle; per command its figures, and extra checks."""
                rows = {}
                base_live = mock.stats()["live_tokens"]
                extra = {"failed": 0, "duplicates": 0, "orphans": 0, "diff": False}
                for cmd in COMMANDS:
                    limit = limits.get(cmd, 0)
                    mock.rate_limit(limit)
                    mock.reset()
                    run_env = env
                    if log_dir:
                        run_env = dict(env, TF_LOG_PROVIDER="debug",
                                       TF_LOG_PATH=os.path.join(log_dir, f"{cmd}.log"))
                    secs, rc, rss, tail, cpu, mock_cpu = run_tf(
                        tf, prov, run_env, tf_args(cmd, a.parallelism), True, mock)
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
                        extra["state_kb"] = state_kb(prov)
                        in_state = state_count(tf, prov, env)
                        extra["failed"] = size - in_state
                        extra["duplicates"] = max(0, st["live_tokens"] - base_live - in_state)
                    if cmd == "destroy":
                        extra["orphans"] = st["live_tokens"] - base_live
                    rows[cmd] = {"secs": secs, "rc": rc, "ops": ops, "requests": total,
                                 "refused": refused, "rss": rss, "limit": limit,
                                 "cpu": cpu[0], "provider_cpu": cpu[1], "mock_cpu": mock_cpu}
                    if log_dir:
                        rows[cmd]["profile"] = profile_log(os.path.join(log_dir, f"{cmd}.log"))
                # Clean up whatever is left (a failed destroy), without the limit.
                if state_count(tf, prov, env):
                    run_tf(tf, prov, env, tf_args("destroy", a.parallelism), False)
                return rows, extra

            # The baselines (floor, twin) and the unlimited pass, alternating, `repeat` times.
            # floor_s holds their medians: "<cmd>", "<cmd> cpu", "twin <cmd>", "twin <cmd> cpu".
            base_runs = {}
            unl_runs = []
            for _ in range(repeat):
                for name, d, d_env in baselines:
                    prefix = "" if name == "floor" else name + " "
                    for cmd in COMMANDS:
                        secs, rc, _, tail, cpu, _ = run_tf(tf, d, d_env,
                                                           tf_args(cmd, a.parallelism), False)
                        if rc != 0:
                            # Includes a baseline plan that is not empty (exit 2).
                            failed_commands.append(f"{name} {size} {cmd}")
                            print(tail, file=sys.stderr)
                        base_runs.setdefault(prefix + cmd, []).append(secs)
                        base_runs.setdefault(prefix + cmd + " cpu", []).append(cpu)
                        if cmd == "create":
                            base_runs.setdefault(prefix + "state kb", []).append(state_kb(d))
                unl_runs.append(provider_cycle("no rate limit", {}))
            floor_s = {k: median(v) for k, v in base_runs.items()}
            unl = merge_runs(unl_runs)
            extra = unl_runs[-1][1]
            for _, e in unl_runs:
                for k in ("failed", "duplicates", "orphans"):
                    extra[k] = max(extra[k], e[k])
                extra["diff"] = extra["diff"] or e["diff"]
                orphans_total += max(0, e["orphans"])
            print_table(size, nusers, per_user, f"no rate limit, median of {repeat}", floor_s,
                        unl, minimum, extra)
            if not a.no_rate_limit_pass:
                limits = {}
                for cmd in COMMANDS:
                    r = unl[cmd]
                    limits[cmd] = a.rate_limit or max(
                        1, round(r["requests"] / max(r["secs"], 0.001) * 2 / 3))
                rows, extra = provider_cycle("rate limited", limits)
                orphans_total += max(0, extra["orphans"])
                print_table(size, nusers, per_user, "rate limited", floor_s, rows, minimum,
                            extra, unlimited=unl)
            if not a.no_profile and size < 1000:
                log_dir = os.path.join(work, f"logs-{size}")
                os.makedirs(log_dir, exist_ok=True)
                rows, extra = provider_cycle("profiled", {}, log_dir)
                orphans_total += max(0, extra["orphans"])
                print_profile(size, floor_s, rows, a.latency_ms)
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


def merge_runs(runs):
    """Per command, the run of median time (its counts with it), and the largest RSS."""
    out = {}
    for cmd in COMMANDS:
        rs = sorted((rows[cmd] for rows, _ in runs), key=lambda r: r["secs"])
        row = dict(rs[len(rs) // 2])
        row["secs"] = median([r["secs"] for r in rs])
        row["rss"] = max(r["rss"] for r in rs)
        row["rc"] = max(rs, key=lambda r: r["rc"] not in (0, 2))["rc"]
        out[cmd] = row
    return out


def load():
    return "load average " + ", ".join(f"{x:.2f}" for x in os.getloadavg())


def print_table(size, nusers, per_user, name, floor_s, rows, minimum, extra, unlimited=None):
    print()
    print(f"## {size} resource(s) ({nusers} user(s) x {per_user}), {name} ({load()})")
    vs = f" {'vs unlim':>8} {'vs bound':>8}" if unlimited else ""
    twin = "twin create" in floor_s
    tw = f" {'twin s':>7} {'minus twin':>10}" if twin else ""
    hdr = (f"{'command':<15} {'floor s':>8}{tw} {'provider s':>10} {'minus floor':>11} {'ratio':>6}"
           f"{vs} {'requests':>8} {'minimum':>7} {'429':>5} {'<=1.2x+429':>10} {'limit/s':>7} "
           f"{'peak RSS MB':>11} {'CPU: floor':>10}{' twin' if twin else ''} {'total':>6} "
           f"{'provider':>8} {'mock':>5}  by operation")
    print(hdr)
    print("-" * len(hdr))
    for cmd in COMMANDS:
        r = rows[cmd]
        f = floor_s[cmd]
        status = "" if r["rc"] == 0 or (cmd == "plan" and r["rc"] == 2) else f"  FAILED (exit {r['rc']})"
        if cmd == "plan" and r["rc"] == 2:
            status = "  DIFF (plan not empty)"
        within = "yes" if r["requests"] <= 1.2 * minimum[cmd] + r["refused"] else "NO"
        vs = ""
        if unlimited:
            # No client beats the unlimited run, nor sending the minimum requests at the limit.
            bound = max(unlimited[cmd]["secs"], minimum[cmd] / max(r["limit"], 1))
            vs = (f" {r['secs'] / max(unlimited[cmd]['secs'], 0.001):>7.2f}x"
                  f" {r['secs'] / bound:>7.2f}x")
        tw = ""
        if twin:
            t = floor_s["twin " + cmd]
            tw = f" {t:>7.2f} {r['secs'] - t:>+10.2f}"
        print(f"{LABELS[cmd]:<15} {f:>8.2f}{tw} {r['secs']:>10.2f} {r['secs'] - f:>+11.2f} "
              f"{r['secs'] / max(f, 0.001):>5.1f}x{vs} {r['requests']:>8} {minimum[cmd]:>7} "
              f"{r['refused']:>5} {within:>10} {r['limit'] or '-':>7} {r['rss'] / 1024:>11.1f} "
              f"{floor_s[cmd + ' cpu']:>10.2f}"
              + (f" {floor_s['twin ' + cmd + ' cpu']:>4.1f}" if twin else "")
              + f" {r['cpu']:>6.2f} {r['provider_cpu']:>8.2f} "
              f"{r['mock_cpu']:>5.2f}  "
              f"{fmt_ops(r['ops'])}{status}")
    total = sum(r["requests"] for r in rows.values())
    refused = sum(r["refused"] for r in rows.values())
    share = f" ({100 * refused / total:.0f}% of {total})" if total else ""
    print(f"429 refused: {refused}{share}; failed resources: {extra['failed']}; "
          f"orphans: {extra['orphans']}; duplicates: {extra['duplicates']}"
          + ("; no-op plan NOT empty" if extra["diff"] else ""))
    if "state_kb" in extra:
        twin_kb = f", twin {floor_s['twin state kb']:.0f}" if twin else ""
        print(f"state file after create (KB): floor {floor_s['state kb']:.0f}{twin_kb}, "
              f"provider {extra['state_kb']:.0f} (Terraform rewrites it after each resource "
              "change)")
    if unlimited:
        print("vs bound: the time over the fastest a limit allows: the longer of the unlimited "
              "run and the minimum requests sent at the limit (1.5x the unlimited run when its "
              "requests were spread evenly)")
    if twin:
        print("twin: the same configuration against a provider with this one's schemas and no "
              "API calls (Terraform's own cost of a plugin provider); minus twin: the OCI work")
    print("CPU: seconds of user + system time of Terraform with its provider processes (floor; "
          "twin; total), of the provider processes alone (sampled), and of the mock during the "
          "command; 2 CPUs give 2 s per second")


def print_profile(size, floor_s, rows, latency_ms):
    print()
    print(f"## {size} resource(s), where the time goes (one more cycle with "
          f"TF_LOG_PROVIDER=debug; {load()})")
    hdr = (f"{'command':<15} {'floor s':>8} {'logged s':>8} {'procs':>5} {'tf start s':>10} "
           f"{'proc life s':>11} {'in RPCs s':>9} {'on API s':>8} {'waits s':>7} "
           f"{'CPU s':>6} {'API calls':>9} {'waves':>5}")
    print(hdr)
    print("-" * len(hdr))
    for cmd in COMMANDS:
        r, p = rows[cmd], rows[cmd]["profile"]
        waves = p["api"] / (latency_ms / 1000) if latency_ms else 0
        print(f"{LABELS[cmd]:<15} {floor_s[cmd]:>8.2f} {r['secs']:>8.2f} {p['procs']:>5} "
              f"{p['startup']:>10.3f} {p['life']:>11.3f} {p['rpc']:>9.3f} {p['api']:>8.3f} "
              f"{p['waits']:>7.3f} {p['cpu']:>6.3f} {p['attempts']:>9} {waves:>5.1f}")
    print("procs: provider processes Terraform started; tf start: summed, from Terraform's mTLS "
          "set-up to the provider's handshake line; proc life: summed lifetimes; in RPCs: wall "
          "time with an RPC being served; on API: wall time with a request in flight (waves = "
          "that / the mock's latency); waits: limiter and retry back-off, summed; CPU: the "
          "provider's, summed")


def _terminated(signum, _frame):
    # Let the `finally` blocks stop the mock and remove the work directory.
    raise SystemExit(128 + signum)


if __name__ == "__main__":
    signal.signal(signal.SIGTERM, _terminated)
    sys.exit(main())
