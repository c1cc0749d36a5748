//! `#[memoize(maxsize = 128, typed = false)]`: the options, parsed into [`Args`] (the values of
//! `maxsize` and `ttl` by `limits.rs`).

use proc_macro2::TokenStream;
use quote::{ToTokens, quote};
use syn::parse::Parser;
use syn::punctuated::Punctuated;
use syn::{Expr, ExprLit, Ident, Lit, LitBool, LitStr, Meta, Token};

use super::limits::{self, Maxsize, Ttl};
use crate::errors::Errors;

/// The options of one `#[memoize(...)]`, with Python's defaults for those not given.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Args {
    /// `maxsize = 128`, `maxsize = None` (unbounded) or `maxsize = MAX_ENTRIES`.
    pub(crate) maxsize: Maxsize,
    pub(crate) typed: bool,
    /// `ttl = <seconds>` or `ttl = CACHE_TTL`.
    pub(crate) ttl: Option<Ttl>,
    /// `store = disk`, `store = redis("url")`...: where results outlive the process.
    pub(crate) store: Option<Store>,
    /// `version = "2"`: the entries of an earlier version are not read.
    pub(crate) version: Option<LitStr>,
    /// `ignore = ..` or `key = ..`: what the cache is keyed by.
    pub(crate) keying: Keying,
    /// `keep = predicate`: which results are stored (it sees a `Result`'s `Ok` value).
    pub(crate) keep: Option<Expr>,
    /// `single_flight = true`: concurrent calls with one key share one computation (the
    /// literal as written, where a value the function cannot honour is reported).
    pub(crate) single_flight: Option<LitBool>,
}

/// What the cache is keyed by.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub(crate) enum Keying {
    /// Every parameter but these (`ignore = http`, `ignore = [http, pool]`, `ignore = self`).
    #[default]
    Params,
    Ignore(Vec<Ident>),
    /// `key = expression`, over the parameters.
    Expr(Expr),
}

/// A store that outlives the process.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Store {
    /// `disk`, or `disk("path")` with the file.
    Disk(Option<LitStr>),
    /// `redis`, or `redis("url")` with the server.
    Redis(Option<LitStr>),
    /// `custom(open)`: the function that opens a store of the user's own.
    Custom(syn::Path),
}

impl Store {
    /// The option as written: `store = disk`, `redis` or `custom`.
    pub(crate) fn name(&self) -> &'static str {
        match self {
            Store::Disk(_) => "disk",
            Store::Redis(_) => "redis",
            Store::Custom(_) => "custom",
        }
    }
}

impl Args {
    /// `maxsize` as the runtime takes it: `Option<usize>`.
    pub(crate) fn maxsize_expr(&self) -> TokenStream {
        self.maxsize.expr()
    }

    /// [`Args::maxsize_expr`] and [`Args::ttl_expr`] as code text, when both are literals.
    pub(crate) fn literal_limits_text(&self) -> Option<(String, String)> {
        let ttl = match &self.ttl {
            Some(ttl) => ttl.literal_text()?,
            None => "::core::option::Option::None".to_owned(),
        };
        Some((self.maxsize.literal_text()?, ttl))
    }

    /// `ttl` as the runtime takes it: `Option<Duration>`.
    pub(crate) fn ttl_expr(&self) -> TokenStream {
        match &self.ttl {
            Some(ttl) => ttl.expr(),
            None => quote!(::core::option::Option::None),
        }
    }
}

impl Default for Args {
    fn default() -> Self {
        Args {
            maxsize: Maxsize::Literal(Some(128)),
            typed: false,
            ttl: None,
            store: None,
            version: None,
            keying: Keying::Params,
            keep: None,
            single_flight: None,
        }
    }
}

/// Parses the options; every mistake is recorded and the defaults stand in for bad values.
pub(crate) fn parse(tokens: TokenStream, errors: &mut Errors) -> Args {
    let mut args = Args::default();
    let parsed = match Punctuated::<Meta, Token![,]>::parse_terminated.parse2(tokens) {
        Ok(parsed) => parsed,
        Err(error) => {
            errors.push(syn::Error::new(
                error.span(),
                format!("{error}; expected options such as `maxsize = 128` or `typed = true`"),
            ));
            return args;
        }
    };
    let mut options = Vec::new();
    for option in parsed {
        match option {
            Meta::NameValue(option) => options.push(option),
            // `maxsize` or `maxsize(4)`: reported at the name, which is what lacks its `= value`.
            Meta::Path(path) => errors.at(&path, without_value(&path)),
            Meta::List(list) => errors.at(&list.path, without_value(&list.path)),
        }
    }
    let mut seen: Vec<String> = Vec::new();
    for option in &options {
        let name = option
            .path
            .get_ident()
            .map(ToString::to_string)
            .unwrap_or_default();
        if seen.contains(&name) {
            errors.at(&option.path, format!("duplicate option `{name}`"));
            continue;
        }
        match name.as_str() {
            "maxsize" => {
                if let Some(maxsize) = limits::parse_maxsize(&option.path, &option.value, errors) {
                    args.maxsize = maxsize;
                }
            }
            "typed" => match &option.value {
                Expr::Lit(ExprLit {
                    lit: Lit::Bool(b), ..
                }) => args.typed = b.value,
                other => errors.at(other, "`typed` takes `true` or `false`"),
            },
            "ttl" => {
                if let Some(ttl) = limits::parse_ttl(&option.path, &option.value, errors) {
                    args.ttl = Some(ttl);
                }
            }
            "store" => args.store = parse_store(&option.value, errors),
            "version" => match &option.value {
                Expr::Lit(ExprLit {
                    lit: Lit::Str(version),
                    ..
                }) => args.version = Some(version.clone()),
                other => errors.at(other, "`version` takes a string, such as `version = \"2\"`"),
            },
            "ignore" | "key" => {
                if let Some(first) = options
                    .iter()
                    .take_while(|o| !core::ptr::eq(*o, option))
                    .find(|o| o.path.is_ident("ignore") || o.path.is_ident("key"))
                {
                    let first = first.path.to_token_stream();
                    errors.at(
                        &option.path,
                        format!(
                            "`key` and `ignore` cannot be combined: with `key = ...` no \
                             parameter is part of the key but through the expression (this \
                             follows `{first}`)"
                        ),
                    );
                    continue;
                }
                args.keying = if name == "key" {
                    Keying::Expr(option.value.clone())
                } else {
                    parse_ignore(&option.value, errors)
                };
            }
            "keep" => args.keep = Some(option.value.clone()),
            "single_flight" => match &option.value {
                Expr::Lit(ExprLit {
                    lit: Lit::Bool(b), ..
                }) => args.single_flight = Some(b.clone()),
                other => errors.at(other, "`single_flight` takes `true` or `false`"),
            },
            _ => {
                errors.at(&option.path, OPTIONS);
                continue;
            }
        }
        seen.push(name);
    }
    if !options.iter().any(|o| o.path.is_ident("store"))
        && let Some(version) = options.iter().find(|o| o.path.is_ident("version"))
    {
        errors.at(
            &version.path,
            "`version` tells apart the entries of a store that outlives the process; add \
             `store = disk` or `store = redis`, or drop `version`",
        );
    }
    // Only a literal `maxsize = 0` is known to store nothing.
    if args.maxsize.literal() == Some(Some(0))
        && args.ttl.is_some()
        && let Some(ttl) = options.iter().find(|o| o.path.is_ident("ttl"))
    {
        errors.at(
            &ttl.path,
            "`ttl` has no effect with `maxsize = 0`, which stores nothing; drop one of them",
        );
    }
    if let Some(store) = &args.store
        && args.single_flight.as_ref().is_some_and(LitBool::value)
        && let Some(option) = options.iter().find(|o| o.path.is_ident("single_flight"))
    {
        errors.at(
            &option.path,
            format!(
                "`single_flight = true` is not supported with `store = {}`: only the in-memory \
                 cache shares a computation between concurrent calls; drop `store` or \
                 `single_flight`",
                store.name()
            ),
        );
    }
    args
}

const OPTIONS: &str = "unknown option; `#[memoize]` takes `maxsize`, `typed`, `ttl`, `ignore`, \
                       `key`, `keep`, `single_flight`, `store` and `version`";

/// `ignore = name`, `ignore = [a, b]` or `ignore = self`: the names, each once.
fn parse_ignore(value: &Expr, errors: &mut Errors) -> Keying {
    const HELP: &str = "`ignore` takes a parameter's name or a list of them: `ignore = client` \
                        or `ignore = [client, pool]` (`self` for the receiver)";
    let names: Vec<&Expr> = match value {
        Expr::Array(array) => array.elems.iter().collect(),
        other => vec![other],
    };
    let mut ignored: Vec<Ident> = Vec::new();
    for name in names {
        let ident = match name {
            Expr::Path(path) if path.qself.is_none() && path.attrs.is_empty() => {
                path.path.get_ident().cloned()
            }
            _ => None,
        };
        match ident {
            None => errors.at(name, HELP),
            Some(ident) if ignored.contains(&ident) => {
                errors.at(&ident, format!("`{ident}` is already ignored"));
            }
            Some(ident) => ignored.push(ident),
        }
    }
    Keying::Ignore(ignored)
}

/// The message for an option written without `= value`.
fn without_value(path: &syn::Path) -> String {
    let example = match path.get_ident().map(ToString::to_string).as_deref() {
        Some("maxsize") => "maxsize = 128",
        Some("typed") => "typed = true",
        Some("ttl") => "ttl = 300",
        Some("store") => "store = disk",
        Some("version") => "version = \"2\"",
        Some("ignore") => "ignore = client",
        Some("key") => "key = (user.id, page)",
        Some("keep") => "keep = Option::is_some",
        Some("single_flight") => "single_flight = true",
        _ => {
            return OPTIONS.to_owned();
        }
    };
    format!(
        "`{}` needs a value, such as `{example}`",
        path.to_token_stream()
    )
}

/// `disk`, `redis`, `disk("path")`, `redis("url")` or `custom(open)`; `None` after recording
/// an error.
fn parse_store(value: &Expr, errors: &mut Errors) -> Option<Store> {
    const HELP: &str = "`store` takes `disk`, `disk(\"path/to/file\")`, `redis`, \
                        `redis(\"redis://host:port/db\")` or `custom(open_store)`";
    let (kind, location) = match value {
        Expr::Path(path) if path.qself.is_none() && path.path.get_ident().is_some() => {
            (path.path.get_ident()?.clone(), None)
        }
        Expr::Call(call) => {
            let Expr::Path(path) = &*call.func else {
                errors.at(value, HELP);
                return None;
            };
            let Some(kind) = path.path.get_ident() else {
                errors.at(value, HELP);
                return None;
            };
            if kind == "custom" {
                return parse_custom(kind, &call.args, errors);
            }
            let location = match call.args.iter().collect::<Vec<_>>()[..] {
                [
                    Expr::Lit(ExprLit {
                        lit: Lit::Str(location),
                        ..
                    }),
                ] => location.clone(),
                _ => {
                    errors.at(
                        &call.args,
                        format!("{HELP}: one string, the file or server"),
                    );
                    return None;
                }
            };
            (kind.clone(), Some(location))
        }
        _ => {
            errors.at(value, HELP);
            return None;
        }
    };
    let (enabled, store) = match kind.to_string().as_str() {
        "disk" => (cfg!(feature = "disk"), Store::Disk(location)),
        "redis" => (cfg!(feature = "redis"), Store::Redis(location)),
        _ => {
            errors.at(&kind, format!("unknown store `{kind}`; {HELP}"));
            return None;
        }
    };
    // Unit tests expand as with the features, whichever way the crate is built for them.
    if !enabled && !cfg!(test) {
        errors.at(
            &kind,
            format!(
                "`store = {kind}` needs py38's `{kind}` feature: `py38 = {{ version = \"..\", \
                 features = [\"{kind}\"] }}` in Cargo.toml"
            ),
        );
        return None;
    }
    Some(store)
}

/// `custom(open)`, given `custom` and what its parentheses hold; `None` after recording an
/// error.
fn parse_custom(
    kind: &syn::Ident,
    args: &Punctuated<Expr, Token![,]>,
    errors: &mut Errors,
) -> Option<Store> {
    match args.iter().collect::<Vec<_>>()[..] {
        [Expr::Path(open)] if open.qself.is_none() => {
            if !cfg!(any(feature = "persist", test)) {
                errors.at(
                    kind,
                    "`store = custom(..)` needs py38's `persist` feature: `py38 = \
                     { version = \"..\", features = [\"persist\"] }` in Cargo.toml",
                );
                return None;
            }
            Some(Store::Custom(open.path.clone()))
        }
        _ => {
            errors.at(
                args,
                "`store = custom(open)` takes the path of a function that opens the \
                 store: `fn() -> Result<Arc<dyn py38::persist::PersistentStore>, \
                 py38::persist::StoreError>`",
            );
            None
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse_ok(tokens: TokenStream) -> Args {
        let mut errors = Errors::default();
        let args = parse(tokens, &mut errors);
        assert!(errors.is_empty(), "{}", errors.to_compile_errors());
        args
    }

    fn parse_err(tokens: TokenStream) -> String {
        let mut errors = Errors::default();
        parse(tokens, &mut errors);
        errors.to_compile_errors().to_string()
    }

    fn error_count(tokens: TokenStream) -> usize {
        let mut errors = Errors::default();
        parse(tokens, &mut errors);
        errors
            .to_compile_errors()
            .to_string()
            .matches("compile_error")
            .count()
    }

    #[test]
    fn defaults_are_pythons() {
        assert_eq!(
            parse_ok(quote!()),
            Args {
                maxsize: Maxsize::Literal(Some(128)),
                typed: false,
                ttl: None,
                store: None,
                version: None,
                keying: Keying::Params,
                keep: None,
                single_flight: None,
            }
        );
    }

    #[test]
    fn ignore_takes_names_and_excludes_key() {
        let args = parse_ok(quote!(ignore = [http, self]));
        let names = match args.keying {
            Keying::Ignore(names) => names.iter().map(ToString::to_string).collect::<Vec<_>>(),
            other => panic!("{other:?}"),
        };
        assert_eq!(names, ["http", "self"]);
        assert!(matches!(
            parse_ok(quote!(key = &*name)).keying,
            Keying::Expr(_)
        ));
        let both = parse_err(quote!(ignore = http, key = id));
        assert!(both.contains("cannot be combined"), "{both}");
        let twice = parse_err(quote!(ignore = [a, a]));
        assert!(twice.contains("already ignored"), "{twice}");
        let bad = parse_err(quote!(ignore = a.b));
        assert!(bad.contains("parameter's name"), "{bad}");
    }

    #[test]
    fn reads_every_option() {
        assert_eq!(
            parse_ok(quote!(maxsize = None, typed = true)),
            Args {
                maxsize: Maxsize::Literal(None),
                typed: true,
                ..Args::default()
            }
        );
        assert_eq!(
            parse_ok(quote!(ttl = 300)).ttl,
            Some(Ttl::Nanos(300_000_000_000))
        );
        assert_eq!(
            parse_ok(quote!(ttl = 0.25)).ttl,
            Some(Ttl::Nanos(250_000_000))
        );
        assert_eq!(
            parse_ok(quote!(maxsize = 0)).maxsize,
            Maxsize::Literal(Some(0))
        );
        assert_eq!(
            parse_ok(quote!(maxsize = 1_000,)).maxsize,
            Maxsize::Literal(Some(1000))
        );
    }

    #[test]
    fn reports_every_mistake_at_once() {
        assert_eq!(
            error_count(quote!(maxsize = -1, typed = 1, colour = 3, maxsize = 2)),
            4 // -1, `typed = 1`, `colour`, and the second `maxsize`
        );
        assert_eq!(error_count(quote!(maxsize = 2, maxsize = 3)), 1);
        assert_eq!(error_count(quote!(maxsize = 1.5)), 1);
        assert_eq!(error_count(quote!(maxsize)), 1);
        assert_eq!(error_count(quote!(ttl = -1, ttl = "x")), 2);
        assert_eq!(error_count(quote!(ttl = 0)), 1);
        assert_eq!(error_count(quote!(maxsize = 0, ttl = 5)), 1);
        // `maxsize = 0` makes any `ttl` pointless; a constant `maxsize` may not be 0.
        assert_eq!(error_count(quote!(maxsize = 0, ttl = TTL)), 1);
        assert_eq!(error_count(quote!(maxsize = MAX, ttl = 5)), 0);
    }

    fn messages(tokens: TokenStream) -> Vec<String> {
        let mut errors = Errors::default();
        parse(tokens, &mut errors);
        errors.messages()
    }

    #[test]
    fn an_option_without_a_value_is_reported_by_its_name() {
        let expected = ["`maxsize` needs a value, such as `maxsize = 128`"];
        assert_eq!(messages(quote!(maxsize)), expected);
        assert_eq!(messages(quote!(maxsize(4))), expected);
        assert_eq!(
            messages(quote!(typed, ttl = 5)),
            ["`typed` needs a value, such as `typed = true`"]
        );
    }

    #[test]
    fn a_negative_literal_reads_like_a_minus_and_a_literal() {
        // rustc hands `maxsize = -1` over as one literal when it ends the attribute, and as
        // `-` and `1` when another option follows.
        for name in [quote!(maxsize), quote!(ttl)] {
            let literal = proc_macro2::Literal::i32_unsuffixed(-1);
            let one_token = messages(quote!(#name = #literal));
            assert_eq!(one_token, messages(quote!(#name = - 1, typed = true)));
            assert!(one_token[0].contains("negative"), "{one_token:?}");
        }
        let literal = proc_macro2::Literal::f64_unsuffixed(-0.5);
        assert_eq!(
            messages(quote!(ttl = #literal)),
            messages(quote!(ttl = -0.5))
        );
    }

    #[test]
    fn single_flight_takes_a_bool_once_and_no_store() {
        let on = parse_ok(quote!(single_flight = true)).single_flight;
        assert!(on.is_some_and(|flag| flag.value));
        let bad = ["`single_flight` takes `true` or `false`"];
        assert_eq!(messages(quote!(single_flight = 1)), bad);
        assert_eq!(messages(quote!(single_flight = "yes")), bad);
        assert_eq!(
            messages(quote!(single_flight)),
            ["`single_flight` needs a value, such as `single_flight = true`"]
        );
        assert_eq!(
            messages(quote!(single_flight = true, single_flight = true)),
            ["duplicate option `single_flight`"]
        );
        let stored = messages(quote!(store = redis, single_flight = true));
        assert_eq!(stored.len(), 1);
        assert!(
            stored[0].starts_with("`single_flight = true` is not supported with `store = redis`"),
            "{stored:?}"
        );
        assert!(messages(quote!(store = disk, single_flight = false)).is_empty());
    }
}
