//! The server's layers, checked on its own sources (docs/ARCHITECTURE.md): no import circle
//! between modules, and dependencies pointing the allowed way only.
//!
//! Every `.rs` file under `server/src/` is parsed (with `syn`); every path it names that
//! starts with `crate::`, `super::` or `self::` (in `use` items, in code and in macro bodies)
//! is resolved to the module it points into. Two graphs are checked for circles:
//!
//! * between top-level modules (`http`, `login`, `admin`, `storage`, `config`, ...): an
//!   import from any file of one into any file of another is an edge;
//! * inside each module, between its children (`http::api` and `http::pages`,
//!   `admin::accounts` and `admin::phones`, `http::pages::text` and `http::pages::admin`):
//!   a parent and its own children may use each other (a `mod.rs` is the face of its
//!   folder), siblings may not go round in a circle.
//!
//! A circle fails the test, with the imports that make it.
//!
//! `TIGR_SOURCE_TREE=<dir>` checks another copy of `server/src` (e.g. an older commit's).

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use syn::visit::Visit;

/// A module: `["http"]`, `["http", "pages", "admin"]`.
type Node = Vec<String>;

/// One import: from a module to another, and where it was written.
#[derive(Debug, Clone)]
struct Import {
    from: Node,
    to: Node,
    at: String,
}

/// The modules that exist (from the files), to resolve paths to them.
#[derive(Debug, Default)]
struct Modules {
    known: BTreeSet<Node>,
}

impl Modules {
    /// The module a path points into: its longest prefix that is a module.
    fn node_of(&self, path: &[String]) -> Option<Node> {
        (1..=path.len())
            .rev()
            .find(|&n| self.known.contains(&path[..n]))
            .map(|n| path[..n].to_vec())
    }
}

/// The module path of a source file relative to `src/` (`http/pages/mod.rs` → `http::pages`).
fn module_of(relative: &Path) -> Option<Vec<String>> {
    let mut parts: Vec<String> = relative
        .iter()
        .map(|p| p.to_string_lossy().into_owned())
        .collect();
    let file = parts.pop()?;
    let stem = file.strip_suffix(".rs")?;
    match stem {
        // The crate root and the binary declare or use everything: they are not a layer.
        "lib" | "main" if parts.is_empty() => None,
        "mod" => Some(parts),
        _ => {
            parts.push(stem.to_owned());
            Some(parts)
        }
    }
}

/// Collects the crate-relative paths of one file.
struct PathCollector<'a> {
    modules: &'a Modules,
    file: String,
    /// The module whose code is being read (inline `mod tests { }` included).
    scope: Vec<String>,
    imports: Vec<Import>,
}

impl PathCollector<'_> {
    /// Resolves `segments` (starting with `crate`, `super` or `self`) from the current scope.
    fn record(&mut self, segments: &[String], line: usize) {
        let mut resolved = match segments.first().map(String::as_str) {
            Some("crate") => Vec::new(),
            Some("self") => self.scope.clone(),
            Some("super") => self.scope.clone(),
            _ => return,
        };
        let mut rest = segments;
        if rest[0] == "crate" || rest[0] == "self" {
            rest = &rest[1..];
        }
        while rest.first().is_some_and(|s| s == "super") {
            if resolved.pop().is_none() {
                return;
            }
            rest = &rest[1..];
        }
        resolved.extend(rest.iter().cloned());
        let (Some(from), Some(to)) = (
            self.modules.node_of(&self.scope),
            self.modules.node_of(&resolved),
        ) else {
            return;
        };
        self.imports.push(Import {
            from,
            to,
            at: format!("{}:{line}", self.file),
        });
    }

    fn scan_tokens(&mut self, tokens: proc_macro2::TokenStream) {
        use proc_macro2::TokenTree;
        let tokens: Vec<TokenTree> = tokens.into_iter().collect();
        let mut i = 0;
        while i < tokens.len() {
            match &tokens[i] {
                TokenTree::Group(group) => self.scan_tokens(group.stream()),
                TokenTree::Ident(ident)
                    if ["crate", "super", "self"].contains(&&*ident.to_string()) =>
                {
                    let line = ident.span().start().line;
                    let mut segments = vec![ident.to_string()];
                    // `ident :: ident :: ...`: a `::` is two `:` punctuations.
                    while let (
                        Some(TokenTree::Punct(a)),
                        Some(TokenTree::Punct(b)),
                        Some(TokenTree::Ident(next)),
                    ) = (tokens.get(i + 1), tokens.get(i + 2), tokens.get(i + 3))
                    {
                        if a.as_char() != ':' || b.as_char() != ':' {
                            break;
                        }
                        segments.push(next.to_string());
                        i += 3;
                    }
                    if segments.len() > 1 {
                        self.record(&segments, line);
                    }
                }
                _ => {}
            }
            i += 1;
        }
    }

    fn use_tree(&mut self, prefix: &mut Vec<String>, tree: &syn::UseTree, line: usize) {
        match tree {
            syn::UseTree::Path(p) => {
                prefix.push(p.ident.to_string());
                self.use_tree(prefix, &p.tree, line);
                prefix.pop();
            }
            syn::UseTree::Name(n) => {
                prefix.push(n.ident.to_string());
                let path = prefix.clone();
                self.record(&path, line);
                prefix.pop();
            }
            syn::UseTree::Rename(r) => {
                prefix.push(r.ident.to_string());
                let path = prefix.clone();
                self.record(&path, line);
                prefix.pop();
            }
            syn::UseTree::Glob(_) => {
                let path = prefix.clone();
                self.record(&path, line);
            }
            syn::UseTree::Group(g) => {
                for tree in &g.items {
                    self.use_tree(prefix, tree, line);
                }
            }
        }
    }
}

impl<'ast> Visit<'ast> for PathCollector<'_> {
    fn visit_item_use(&mut self, item: &'ast syn::ItemUse) {
        let line = item.use_token.span.start().line;
        self.use_tree(&mut Vec::new(), &item.tree, line);
    }

    fn visit_item_mod(&mut self, item: &'ast syn::ItemMod) {
        if item.content.is_some() {
            self.scope.push(item.ident.to_string());
            syn::visit::visit_item_mod(self, item);
            self.scope.pop();
        }
    }

    /// Macro bodies (`tokio::select!`, `format!`, ...) are not parsed by syn: their tokens
    /// are scanned for `crate::…`, `super::…` and `self::…` paths.
    fn visit_macro(&mut self, mac: &'ast syn::Macro) {
        self.scan_tokens(mac.tokens.clone());
        syn::visit::visit_macro(self, mac);
    }

    fn visit_path(&mut self, path: &'ast syn::Path) {
        let segments: Vec<String> = path.segments.iter().map(|s| s.ident.to_string()).collect();
        let line = path
            .segments
            .first()
            .map_or(0, |s| s.ident.span().start().line);
        self.record(&segments, line);
        syn::visit::visit_path(self, path);
    }
}

/// Every `.rs` file under `dir`, with its path relative to `root`.
fn rust_files(root: &Path, dir: &Path, out: &mut Vec<(PathBuf, String)>) {
    let mut entries: Vec<_> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.expect("directory entry").path())
        .collect();
    entries.sort();
    for path in entries {
        if path.is_dir() {
            rust_files(root, &path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            let text = std::fs::read_to_string(&path).expect("source file");
            out.push((
                path.strip_prefix(root).expect("under root").to_owned(),
                text,
            ));
        }
    }
}

/// The imports between modules of a source tree given as `(path under src/, text)`.
fn imports_of(files: &[(PathBuf, String)]) -> Vec<Import> {
    let mut modules = Modules::default();
    for (path, _) in files {
        if let Some(module) = module_of(path) {
            for depth in 1..=module.len() {
                modules.known.insert(module[..depth].to_vec());
            }
        }
    }
    let mut imports = Vec::new();
    for (path, text) in files {
        let Some(module) = module_of(path) else {
            continue;
        };
        let file = syn::parse_file(text)
            .unwrap_or_else(|e| panic!("{} does not parse: {e}", path.display()));
        let mut collector = PathCollector {
            modules: &modules,
            file: path.display().to_string(),
            scope: module,
            imports: Vec::new(),
        };
        collector.visit_file(&file);
        imports.extend(collector.imports);
    }
    imports
}

/// The edge an import makes: between the two children of the modules' closest common
/// ancestor that hold them (top-level modules when it crosses from one to another). None
/// between a module and its own ancestors or descendants, nor inside one module.
fn edge(import: &Import) -> Option<(Node, Node)> {
    let (from, to) = (&import.from, &import.to);
    let common = from.iter().zip(to).take_while(|(a, b)| a == b).count();
    (common < from.len() && common < to.len())
        .then(|| (from[..=common].to_vec(), to[..=common].to_vec()))
}

fn name(node: &Node) -> String {
    node.join("::")
}

/// The circles of the module graph (strongly connected components of two or more modules),
/// each with the imports that make it.
fn circles(imports: &[Import]) -> Vec<(Vec<Node>, Vec<Import>)> {
    let mut graph: BTreeMap<Node, BTreeSet<Node>> = BTreeMap::new();
    for (from, to) in imports.iter().filter_map(edge) {
        graph.entry(to.clone()).or_default();
        graph.entry(from).or_default().insert(to);
    }
    let reaches = |from: &Node| -> BTreeSet<Node> {
        let mut seen = BTreeSet::new();
        let mut stack = vec![from.clone()];
        while let Some(node) = stack.pop() {
            for next in &graph[&node] {
                if seen.insert(next.clone()) {
                    stack.push(next.clone());
                }
            }
        }
        seen
    };
    let reach: BTreeMap<Node, BTreeSet<Node>> =
        graph.keys().map(|n| (n.clone(), reaches(n))).collect();
    let mut done = BTreeSet::new();
    let mut out = Vec::new();
    for node in graph.keys() {
        if done.contains(node) || !reach[node].contains(node) {
            continue;
        }
        let component: Vec<Node> = graph
            .keys()
            .filter(|other| reach[node].contains(*other) && reach[*other].contains(node))
            .cloned()
            .collect();
        done.extend(component.iter().cloned());
        let inside: Vec<Import> = imports
            .iter()
            .filter(|i| {
                edge(i).is_some_and(|(f, t)| component.contains(&f) && component.contains(&t))
            })
            .cloned()
            .collect();
        out.push((component, inside));
    }
    out
}

/// Imports that go against the layers: `(from, to)` top-level or second-level prefixes.
fn layer_violations(imports: &[Import]) -> Vec<String> {
    const SERVICES: &[&str] = &["login", "admin", "oidc"];
    const FRONT_ENDS: &[&str] = &["http", "cli"];
    const COMPOSITION: &[&str] = &["server", "enroll"];
    const SUPPORT: &[&str] = &[
        "config",
        "hub",
        "i18n",
        "jose",
        "metrics",
        "qr_image",
        "ratelimit",
        "sealing",
        "shutdown",
        "text",
    ];
    let top = |node: &Node| node[0].clone();
    let is = |node: &Node, set: &[&str]| set.contains(&node[0].as_str());
    let mut out = Vec::new();
    for import in imports {
        let (from, to) = (&import.from, &import.to);
        if from == to {
            continue;
        }
        let why = if top(from) == "domain" && top(to) != "domain" {
            Some("domain is pure: it imports nothing of the server")
        } else if top(from) == "storage" && !["domain", "storage"].contains(&top(to).as_str()) {
            Some("storage imports the domain only")
        } else if is(from, SERVICES) && (is(to, FRONT_ENDS) || is(to, COMPOSITION)) {
            Some("services never import a front end (HTTP, command line)")
        } else if is(from, SUPPORT)
            && (is(to, SERVICES) || is(to, FRONT_ENDS) || is(to, COMPOSITION))
        {
            Some("support modules never import services or front ends")
        } else if is(from, FRONT_ENDS) && top(to) == "storage" {
            Some("front ends reach storage through the services")
        } else if is(from, FRONT_ENDS) && is(to, FRONT_ENDS) && top(from) != top(to) {
            Some("the HTTP layer and the command line never import each other")
        } else if from.len() >= 2
            && to.len() >= 2
            && from[0] == "http"
            && to[0] == "http"
            && from[1] != to[1]
            && ["api", "pages"].contains(&from[1].as_str())
            && ["api", "pages"].contains(&to[1].as_str())
        {
            Some("the JSON API and the pages are siblings: neither calls the other")
        } else {
            None
        };
        if let Some(why) = why {
            out.push(format!(
                "{} -> {} at {}: {why}",
                name(from),
                name(to),
                import.at
            ));
        }
    }
    out
}

fn source_tree() -> Vec<(PathBuf, String)> {
    let root = std::env::var_os("TIGR_SOURCE_TREE")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("src"));
    let mut files = Vec::new();
    rust_files(&root, &root, &mut files);
    assert!(
        files.len() > 20,
        "{}: not the server's sources",
        root.display()
    );
    files
}

fn report(circles: &[(Vec<Node>, Vec<Import>)]) -> String {
    let mut text = String::new();
    for (component, inside) in circles {
        let names: Vec<String> = component.iter().map(name).collect();
        text.push_str(&format!("circle between {}:\n", names.join(", ")));
        for import in inside {
            text.push_str(&format!(
                "  {} -> {} at {}\n",
                name(&import.from),
                name(&import.to),
                import.at
            ));
        }
    }
    text
}

#[test]
fn no_circle_between_server_modules() {
    let imports = imports_of(&source_tree());
    assert!(
        imports.len() > 50,
        "too few imports found: the parser missed them"
    );
    let circles = circles(&imports);
    assert!(circles.is_empty(), "{}", report(&circles));
}

#[test]
fn dependencies_point_down_the_layers() {
    let violations = layer_violations(&imports_of(&source_tree()));
    assert!(violations.is_empty(), "{}", violations.join("\n"));
}

/// The checker itself finds a circle through `super::` paths and inline paths, and a layer
/// violation, in a small tree made for it.
#[test]
fn the_checker_finds_circles_and_wrong_directions() {
    let file = |path: &str, text: &str| (PathBuf::from(path), text.to_owned());
    let tree = vec![
        file("lib.rs", "pub mod a; pub mod b; pub mod domain;"),
        file("a/mod.rs", "mod x; mod y; use self::x::f;"),
        file("a/x.rs", "use super::y::g; pub fn f() {}"),
        file(
            "a/y.rs",
            "pub fn g() { tokio::select! { () = crate::a::x::f() => {} } }",
        ),
        file("b.rs", "use crate::a::x::f; pub fn h() {}"),
        file("c/mod.rs", "mod inner; pub fn k() {}"),
        file("c/inner.rs", "fn l() { super::k(); crate::d::m(); }"),
        file("d.rs", "pub fn m() { crate::c::k(); }"),
        file(
            "domain/mod.rs",
            "mod rules; #[cfg(test)] mod tests { fn t() { super::rules::r(); } }",
        ),
        file("domain/rules.rs", "pub fn r() { crate::b::h(); }"),
    ];
    let imports = imports_of(&tree);
    let found = circles(&imports);
    assert_eq!(found.len(), 2, "{}", report(&found));
    let names = |i: usize| -> Vec<String> { found[i].0.iter().map(name).collect() };
    // Siblings through `super::` and a macro body; `a` (the parent) and its children use
    // each other without making a circle.
    assert_eq!(names(0), ["a::x", "a::y"]);
    // Between top-level modules, through a child of one of them.
    assert_eq!(names(1), ["c", "d"]);
    let violations = layer_violations(&imports);
    assert_eq!(violations.len(), 1, "{violations:?}");
    assert!(violations[0].starts_with("domain::rules -> b at domain/rules.rs:1"));
}
