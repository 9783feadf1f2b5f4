//! Benchmark (prints figures; asserts nothing): time from process start to the handshake
//! line, and peak memory of an idle provider, each against a baseline measured in the same
//! run on the same machine.
//!
//! Run with `scripts/bench.sh` (or `cargo bench --bench startup`).

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const COOKIE: &str = "d602bf8f470bc67ca7faa0386276bbdd4330efaf76d1a219cb4d6991ca9872b2";
const RUNS: usize = 25;

fn client_cert_pem() -> String {
    let key = rcgen::KeyPair::generate_for(&rcgen::PKCS_ECDSA_P521_SHA512).unwrap();
    let mut params = rcgen::CertificateParams::new(vec!["localhost".into()]).unwrap();
    params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
    params.self_signed(&key).unwrap().pem()
}

/// Spawns `cmd`, returns the time until its first stdout line and the running child.
fn time_to_first_line(cmd: &mut Command) -> (Duration, std::process::Child) {
    let start = Instant::now();
    let mut child = cmd
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .stdin(Stdio::null())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    (start.elapsed(), child)
}

fn provider(tmp: &std::path::Path, cert: Option<&str>) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_terraform-provider-oci"));
    cmd.env_clear()
        .env("TF_PLUGIN_MAGIC_COOKIE", COOKIE)
        .env("PLUGIN_PROTOCOL_VERSIONS", "5,6")
        .env("TMPDIR", tmp);
    if let Some(c) = cert {
        cmd.env("PLUGIN_CLIENT_CERT", c);
    }
    cmd
}

fn median(mut xs: Vec<Duration>) -> Duration {
    xs.sort();
    xs[xs.len() / 2]
}

fn status_kib(pid: u32, key: &str) -> u64 {
    let s = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    s.lines()
        .find(|l| l.starts_with(key))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|v| v.parse().ok())
        .unwrap_or(0)
}

fn main() {
    let tmp = tempfile::tempdir().unwrap();
    let cert = client_cert_pem();

    let mut baseline = Vec::new();
    let mut plain = Vec::new();
    let mut tls = Vec::new();
    for _ in 0..RUNS {
        // Baseline: the cheapest process that prints a line.
        let (d, mut c) = time_to_first_line(Command::new("/bin/echo").arg("1|6|unix|/x|grpc|"));
        let _ = c.wait();
        baseline.push(d);
        let (d, mut c) = time_to_first_line(&mut provider(tmp.path(), None));
        c.kill().ok();
        let _ = c.wait();
        plain.push(d);
        let (d, mut c) = time_to_first_line(&mut provider(tmp.path(), Some(&cert)));
        c.kill().ok();
        let _ = c.wait();
        tls.push(d);
    }
    let (b, p, t) = (median(baseline), median(plain), median(tls));
    println!("startup to handshake line, median of {RUNS} runs:");
    println!(
        "  baseline (/bin/echo)        {:>8.2} ms",
        b.as_secs_f64() * 1e3
    );
    println!(
        "  provider, TLS disabled      {:>8.2} ms  ({:.1}x baseline)",
        p.as_secs_f64() * 1e3,
        p.as_secs_f64() / b.as_secs_f64()
    );
    println!(
        "  provider, auto-mTLS         {:>8.2} ms  ({:.1}x baseline)",
        t.as_secs_f64() * 1e3,
        t.as_secs_f64() / b.as_secs_f64()
    );

    // Idle memory: a provider that finished its handshake and waits for Terraform.
    let (_, mut idle) = time_to_first_line(&mut provider(tmp.path(), Some(&cert)));
    let mut sleeper = Command::new("sleep").arg("30").spawn().unwrap();
    std::thread::sleep(Duration::from_millis(500));
    let (hwm, rss) = (
        status_kib(idle.id(), "VmHWM:"),
        status_kib(idle.id(), "VmRSS:"),
    );
    let base_hwm = status_kib(sleeper.id(), "VmHWM:");
    println!("idle memory after handshake:");
    println!("  baseline (sleep) peak RSS   {:>8} KiB", base_hwm);
    println!(
        "  provider peak RSS           {:>8} KiB  ({:.1}x baseline; current RSS {} KiB)",
        hwm,
        hwm as f64 / base_hwm.max(1) as f64,
        rss
    );
    idle.kill().ok();
    let _ = idle.wait();
    sleeper.kill().ok();
    let _ = sleeper.wait();
}
