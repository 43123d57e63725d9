//! The crate's top-level modules depend on each other without a cycle: the data layer
//! (`store`, `changes`, the record kinds, their stores) below `effects`, which carries
//! out what a write sets off, below the HTTP handlers in `api`. A module that reaches
//! one that reaches back fails this test, which names the loop and where each step is.

use regex::Regex;
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).expect("read src") {
        let path = entry.expect("dir entry").path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// The source without its `#[cfg(test)]` items: tests may reach anywhere.
fn without_tests(source: &str) -> String {
    let mut out = String::new();
    let mut rest = source;
    while let Some(at) = rest.find("#[cfg(test)]") {
        out.push_str(&rest[..at]);
        let after = &rest[at..];
        let Some(open) = after.find('{') else {
            return out;
        };
        let mut depth = 0usize;
        let mut end = after.len();
        for (i, c) in after[open..].char_indices() {
            match c {
                '{' => depth += 1,
                '}' => {
                    depth -= 1;
                    if depth == 0 {
                        end = open + i + 1;
                        break;
                    }
                }
                _ => {}
            }
        }
        rest = &after[end..];
    }
    out.push_str(rest);
    out
}

/// Module -> the modules it names, with one place each is named.
fn dependencies(src: &Path) -> BTreeMap<String, BTreeMap<String, String>> {
    let mut files = Vec::new();
    rust_files(src, &mut files);
    let top = |path: &Path| -> String {
        let relative = path.strip_prefix(src).expect("under src");
        let first = relative.components().next().expect("a component");
        first
            .as_os_str()
            .to_string_lossy()
            .trim_end_matches(".rs")
            .to_string()
    };
    let modules: BTreeSet<String> = files
        .iter()
        .map(|f| top(f))
        .filter(|m| m != "lib" && m != "main")
        .collect();
    let path_use = Regex::new(r"crate::(\w+)").expect("regex");
    // A grouped import may span lines: `use crate::{\n    cases, events,\n};`.
    let group_use = Regex::new(r"(?s)crate::\{([^}]*)").expect("regex");
    let comment = Regex::new(r"(?m)^\s*//.*$").expect("regex");
    let mut graph: BTreeMap<String, BTreeMap<String, String>> = BTreeMap::new();
    for file in &files {
        let from = top(file);
        if !modules.contains(&from) {
            continue;
        }
        let source = without_tests(&std::fs::read_to_string(file).expect("read a source file"));
        let source = comment.replace_all(&source, "");
        let line_of = |at: usize| source[..at].matches('\n').count() + 1;
        let mut named: Vec<(String, usize)> = path_use
            .captures_iter(&source)
            .map(|c| (c[1].to_string(), line_of(c.get(0).expect("match").start())))
            .collect();
        for group in group_use.captures_iter(&source) {
            let line = line_of(group.get(0).expect("match").start());
            named.extend(group[1].split(',').map(|m| {
                let name = m.trim().split("::").next().unwrap_or_default();
                (name.to_string(), line)
            }));
        }
        for (to, line) in named {
            if to != from && modules.contains(&to) {
                let place = format!("{}:{line}", file.display());
                graph
                    .entry(from.clone())
                    .or_default()
                    .entry(to)
                    .or_insert(place);
            }
        }
    }
    graph
}

/// A cycle through `start`, if there is one, as the modules along it.
fn cycle_from(
    graph: &BTreeMap<String, BTreeMap<String, String>>,
    start: &str,
) -> Option<Vec<String>> {
    fn walk(
        graph: &BTreeMap<String, BTreeMap<String, String>>,
        start: &str,
        at: &str,
        path: &mut Vec<String>,
        seen: &mut BTreeSet<String>,
    ) -> bool {
        for next in graph.get(at).into_iter().flat_map(|m| m.keys()) {
            if next == start {
                return true;
            }
            if seen.insert(next.clone()) {
                path.push(next.clone());
                if walk(graph, start, next, path, seen) {
                    return true;
                }
                path.pop();
            }
        }
        false
    }
    let mut path = vec![start.to_string()];
    let mut seen = BTreeSet::new();
    walk(graph, start, start, &mut path, &mut seen).then_some(path)
}

#[test]
fn no_cycle_between_top_level_modules() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let graph = dependencies(&src);
    assert!(
        graph
            .get("api")
            .is_some_and(|deps| deps.contains_key("cases")),
        "the scan sees the handlers' use of the data layer"
    );
    for module in graph.keys() {
        if let Some(cycle) = cycle_from(&graph, module) {
            let steps: Vec<String> = cycle
                .iter()
                .zip(cycle.iter().skip(1).chain(std::iter::once(&cycle[0])))
                .map(|(a, b)| format!("{a} -> {b} ({})", graph[a][b]))
                .collect();
            panic!(
                "modules depend on each other in a loop:\n{}",
                steps.join("\n")
            );
        }
    }
}

#[test]
fn the_scan_finds_a_loop_when_there_is_one() {
    let mut graph: BTreeMap<String, BTreeMap<String, String>> = BTreeMap::new();
    let edge = |graph: &mut BTreeMap<String, BTreeMap<String, String>>, a: &str, b: &str| {
        graph
            .entry(a.into())
            .or_default()
            .insert(b.into(), "x.rs:1".into());
    };
    edge(&mut graph, "cases", "events");
    edge(&mut graph, "events", "alerts");
    assert_eq!(cycle_from(&graph, "cases"), None);
    edge(&mut graph, "alerts", "cases");
    assert_eq!(
        cycle_from(&graph, "cases"),
        Some(vec!["cases".into(), "events".into(), "alerts".into()])
    );
    assert_eq!(
        without_tests("a\n#[cfg(test)]\nmod tests { fn f() { crate::x(); } }\nb"),
        "a\n\nb"
    );
}
