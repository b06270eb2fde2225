//! Agreement with Sisimai's reason labels on a corpus of real bounces
//! (`$MXDOCTOR_TEST_DATA/bounces/labels.tsv`). Ignored by default: the corpus is not part
//! of the project. Run with
//! `MXDOCTOR_TEST_DATA=../shared/data cargo test --test integration bounce_accuracy -- --ignored --nocapture`.

use std::collections::BTreeMap;
use std::path::PathBuf;

use mxdoctor::assets::Assets;
use mxdoctor::bounce::Explainer;
use mxdoctor::render::Renderer;

/// The agreement the explainer must reach on the labelled corpus.
const REQUIRED_AGREEMENT: f64 = 0.90;

fn corpus_dir() -> PathBuf {
    let base = std::env::var_os("MXDOCTOR_TEST_DATA").unwrap_or_else(|| {
        panic!(
            "set MXDOCTOR_TEST_DATA to the shared data folder (the one holding bounces/labels.tsv), \
             e.g. MXDOCTOR_TEST_DATA=../shared/data"
        )
    });
    PathBuf::from(base).join("bounces")
}

#[test]
#[ignore = "needs the labelled bounce corpus in $MXDOCTOR_TEST_DATA"]
fn bounce_accuracy_on_the_labelled_corpus() {
    let dir = corpus_dir();
    let labels = std::fs::read_to_string(dir.join("labels.tsv"))
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", dir.join("labels.tsv").display()));
    let assets = Assets::default();
    let explainer = Explainer::new(&assets).expect("playbooks load");
    let renderer = Renderer::new(&assets, false).expect("templates load");

    let mut per_reason: BTreeMap<String, (usize, usize)> = BTreeMap::new();
    let mut misses = Vec::new();
    let (mut total, mut agreed) = (0usize, 0usize);
    for line in labels.lines().skip(1) {
        let cols: Vec<&str> = line.split('\t').collect();
        let (Some(file), Some(expected)) = (cols.first(), cols.get(1)) else {
            continue;
        };
        let bytes = std::fs::read(dir.join(file)).unwrap_or_else(|e| panic!("{file}: {e}"));
        let got = match explainer.explain(&bytes, &renderer) {
            Ok(report) => report
                .recipients
                .first()
                .map(|r| r.reason.clone())
                .unwrap_or_else(|| "(none)".into()),
            Err(e) => format!("(error: {e})"),
        };
        total += 1;
        let entry = per_reason.entry(expected.to_string()).or_default();
        entry.1 += 1;
        if got == *expected {
            agreed += 1;
            entry.0 += 1;
        } else {
            misses.push(format!("  {file}: expected {expected}, got {got}"));
        }
    }
    assert!(total > 0, "no labelled messages in {}", dir.display());
    let agreement = agreed as f64 / total as f64;
    println!(
        "bounce accuracy: {agreed}/{total} = {:.1}%",
        agreement * 100.0
    );
    println!("per reason (agreed/labelled):");
    for (reason, (ok, n)) in &per_reason {
        println!("  {reason:<16} {ok:>3}/{n:<3}");
    }
    if !misses.is_empty() {
        println!("disagreements:\n{}", misses.join("\n"));
    }
    assert!(
        agreement >= REQUIRED_AGREEMENT,
        "agreement {:.1}% is below {:.0}%",
        agreement * 100.0,
        REQUIRED_AGREEMENT * 100.0
    );
}
