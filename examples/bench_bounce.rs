//! Throughput of the bounce explainer on one core: every file of a folder explained
//! repeatedly, playbooks and patterns loaded once. Run through `scripts/bench-bounce.sh`.
//!
//! Usage: bench_bounce DIR [SECONDS]

use std::time::{Duration, Instant};

use mxdoctor::assets::Assets;
use mxdoctor::bounce::Explainer;
use mxdoctor::render::Renderer;

fn main() {
    let mut args = std::env::args().skip(1);
    let dir = args
        .next()
        .unwrap_or_else(|| "tests/fixtures/bounces".into());
    let seconds: f64 = args.next().and_then(|s| s.parse().ok()).unwrap_or(5.0);

    let mut inputs: Vec<(String, Vec<u8>)> = Vec::new();
    let mut entries: Vec<_> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("cannot read {dir}: {e}"))
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.is_file())
        .collect();
    entries.sort();
    for path in entries {
        let name = path.display().to_string();
        if name.ends_with(".tsv") {
            // A table of pasted replies: one input per line.
            let table = std::fs::read_to_string(&path).unwrap_or_default();
            for line in table.lines().filter(|l| !l.starts_with('#')) {
                if let Some(text) = line.splitn(3, '\t').nth(2) {
                    inputs.push((name.clone(), text.replace("\\n", "\n").into_bytes()));
                }
            }
        } else if let Ok(bytes) = std::fs::read(&path) {
            inputs.push((name, bytes));
        }
    }
    assert!(!inputs.is_empty(), "no inputs in {dir}");

    let started = Instant::now();
    let assets = Assets::default();
    let explainer = Explainer::new(&assets).expect("playbooks load");
    let renderer = Renderer::new(&assets, false).expect("templates load");
    let setup = started.elapsed();

    // Warm up, and count what explains.
    let explained = inputs
        .iter()
        .filter(|(_, b)| explainer.explain(b, &renderer).is_ok())
        .count();

    let budget = Duration::from_secs_f64(seconds);
    let started = Instant::now();
    let mut done = 0usize;
    let mut bytes = 0usize;
    while started.elapsed() < budget {
        for (_, input) in &inputs {
            let report = explainer.explain(input, &renderer);
            std::hint::black_box(&report);
            done += 1;
            bytes += input.len();
        }
    }
    let elapsed = started.elapsed().as_secs_f64();
    println!(
        "inputs: {} ({} explained, {} refused), setup {:.1} ms",
        inputs.len(),
        explained,
        inputs.len() - explained,
        setup.as_secs_f64() * 1000.0
    );
    println!(
        "explained {done} inputs in {elapsed:.2} s: {:.0} messages/s, {:.1} MB/s, {:.1} µs each",
        done as f64 / elapsed,
        bytes as f64 / elapsed / 1e6,
        elapsed / done as f64 * 1e6
    );
}
