//! The controls of a memoized function `f`, whatever its store: `uncached` (the body's
//! function, see `uncached.rs`), the hidden getter of its cache, then `cache_info`, `cache_clear`, `cache_parameters`, `cache_invalidate` and what
//! the store adds (`cache_errors`). A free function's hang on an empty `enum f {}`, in an
//! `impl f { .. }` in the function's scope (`f::cache_info()`); a method's are associated
//! functions beside it (`Self::f_cache_info()`).

use proc_macro2::TokenStream;
use quote::{format_ident, quote};
use syn::{Attribute, Ident, Signature, Visibility};

use crate::namespace::Declarer;
use crate::{paths, text};

/// The memoized function, as far as its controls need it.
pub(crate) struct Site<'a> {
    /// Its attributes, which tell whether `#[signature]` declares the `enum f {}`.
    pub(crate) attrs: &'a [Attribute],
    pub(crate) vis: &'a Visibility,
    pub(crate) name: &'a Ident,
    /// In an `impl`: the controls are associated functions named after the method.
    pub(crate) in_impl: bool,
}

/// What a store gives the controls.
pub(crate) struct Cache {
    /// The type of the cache the getter returns a `&'static` to, as code text
    /// (`::py38::__private::Registry`).
    pub(crate) ty: &'static str,
    /// The expression that makes it, in a `static`.
    pub(crate) new: TokenStream,
    /// The doc attributes of `cache_info`, `cache_clear`, `cache_parameters` and
    /// `cache_invalidate`.
    pub(crate) docs: [TokenStream; 4],
    pub(crate) allow: Allow,
    /// The controls the store adds after the others.
    pub(crate) extra: Vec<Control>,
}

/// Where the controls allow `dead_code`: a control the user never calls is no mistake.
/// `cache_invalidate` allows it itself either way.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Allow {
    /// On a free function's `impl f { .. }` as a whole; in an `impl` block, on each control
    /// but the getter, which the method calls.
    OnNamespace,
    /// On each item, the getter included.
    OnEachItem,
}

/// A control without parameters that calls the cache's method of the same name: `errors`
/// makes `cache_errors()`, which returns `Self::__PY38_CACHE.errors()`.
pub(crate) struct Control {
    pub(crate) method: &'static str,
    pub(crate) doc: TokenStream,
    /// The return type, as code text (`::py38::CacheInfo`); `None`: returns nothing, the
    /// call a statement.
    pub(crate) output: Option<&'static str>,
}

/// `cache_invalidate`: the memoized function's parameters, removing the entry stored for
/// those arguments.
pub(crate) struct Invalidate<'a> {
    /// The memoized function's signature, as generated: the control's takes its generics and
    /// its parameters (less `mut`).
    pub(crate) sig: &'a Signature,
    /// `.invalidate(..)`: the call on the cache that removes the entry.
    pub(crate) call: TokenStream,
    /// Whether the call reads every parameter (a key of the parameters, not `key = ..`).
    pub(crate) reads_every_parameter: bool,
}

/// `#[allow(..)]` of what `cache_invalidate` may trip, only what it may (the compiler reads
/// each `allow` on every build): `dead_code` where the `impl` does not allow it, and with
/// `key = ..`, which may not read every parameter the control takes, `unused_variables`.
fn invalidate_allow(site: &Site<'_>, cache: &Cache, invalidate: &Invalidate<'_>) -> TokenStream {
    let dead_code = cache.allow == Allow::OnEachItem || site.in_impl;
    let unused_variables = !invalidate.reads_every_parameter;
    let text = match (dead_code, unused_variables) {
        (true, true) => "#[allow(dead_code, unused_variables)]",
        (true, false) => "#[allow(dead_code)]",
        (false, true) => "#[allow(unused_variables)]",
        (false, false) => return TokenStream::new(),
    };
    text::tokens(text)
}

/// The getter's name: the associated constant `__PY38_CACHE` on a free function's `enum`, the
/// function `__py38_f_cache` in an `impl` (a constant's name there would have to be the
/// method's in upper case, which two methods may share).
fn getter(in_impl: bool, name: &Ident) -> Ident {
    if in_impl {
        format_ident!("__py38_{}_cache", name)
    } else {
        format_ident!("__PY38_CACHE")
    }
}

/// The cache, as the controls reach it (code text): `Self::__PY38_CACHE`, or
/// `Self::__py38_f_cache()` in an `impl`.
fn self_cache(in_impl: bool, name: &Ident) -> String {
    let getter = getter(in_impl, name);
    if in_impl {
        format!("Self::{getter}()")
    } else {
        format!("Self::{getter}")
    }
}

/// The cache, as the memoized function reaches it: `f::__PY38_CACHE`, or
/// `Self::__py38_f_cache()` in an `impl`.
pub(crate) fn cache_path(in_impl: bool, name: &Ident) -> TokenStream {
    let getter = getter(in_impl, name);
    if in_impl {
        quote!(Self::#getter())
    } else {
        quote!(#name::#getter)
    }
}

/// A control's name: `cache_info` on a free function's `enum`, `f_cache_info` in an `impl`.
fn control_name(site: &Site<'_>, control: &str) -> Ident {
    if site.in_impl {
        format_ident!("{}_{}", site.name, control)
    } else {
        format_ident!("{}", control)
    }
}

/// The getter and the controls; `invalidate` is `None` in the stand-in for a function with
/// errors, whose parameters may not make a key.
pub(crate) fn controls(
    site: &Site<'_>,
    cache: &Cache,
    invalidate: Option<&Invalidate<'_>>,
    uncached: Option<&TokenStream>,
) -> TokenStream {
    let getter = getter_fn(site, cache);
    let [info_doc, clear_doc, parameters_doc, invalidate_doc] = &cache.docs;
    let standard = [
        Control {
            method: "info",
            doc: info_doc.clone(),
            output: Some(paths::CACHE_INFO),
        },
        Control {
            method: "clear",
            doc: clear_doc.clone(),
            output: None,
        },
        Control {
            method: "parameters",
            doc: parameters_doc.clone(),
            output: Some(paths::CACHE_PARAMETERS),
        },
    ];
    let standard = standard
        .iter()
        .map(|control| control_fn(site, cache, control));
    let invalidate =
        invalidate.map(|invalidate| invalidate_fn(site, cache, invalidate_doc, invalidate));
    let extra = cache
        .extra
        .iter()
        .map(|control| control_fn(site, cache, control));
    let items = quote! {
        #uncached
        #getter
        #(#standard)*
        #invalidate
        #(#extra)*
    };
    if site.in_impl {
        return items;
    }
    // An empty enum as the namespace, not a module: its `impl` stands in the function's
    // scope, so the parameter types of `cache_invalidate` resolve as the function's do,
    // even for a function inside a block.
    let namespace = namespace(site);
    let name = site.name;
    let allow = (cache.allow == Allow::OnNamespace).then(|| quote!(#[allow(dead_code)]));
    quote! {
        #namespace
        #allow
        impl #name {
            #items
        }
    }
}

/// The `enum` the controls of a free function hang on, unless `#[signature]` declares it.
fn namespace(site: &Site<'_>) -> Option<TokenStream> {
    let name = site.name;
    let doc = format!(
        " Cache controls of the memoized function `{name}`: `{name}::cache_info()` and so on."
    );
    crate::namespace::declare(Declarer::Memoize, site.attrs, site.vis, name, Some(&doc))
}

/// The hidden constant (a free function's) or function (a method's) that holds the cache in a
/// `static`. A constant is the cheaper to compile: no function to check, lower and build per
/// definition (`const_refs_to_static`, Rust 1.83).
fn getter_fn(site: &Site<'_>, cache: &Cache) -> TokenStream {
    let getter = getter(site.in_impl, site.name);
    let Cache { ty, new, .. } = cache;
    let allow = if cache.allow == Allow::OnEachItem {
        "#[allow(dead_code)]"
    } else {
        ""
    };
    // Only `new` may hold the user's tokens (a constant `maxsize`): the rest is lexed from
    // text (see `text.rs`).
    let head = if site.in_impl {
        format!("#[doc(hidden)] {allow} fn {getter}() -> &'static {ty}")
    } else {
        format!("#[doc(hidden)] {allow} const {getter}: &'static {ty} =")
    };
    let head = text::tokens(&head);
    let declaration = text::tokens(&format!("static __CACHE: {ty} ="));
    let reference = text::tokens("&__CACHE");
    let semi = (!site.in_impl).then(|| quote!(;));
    quote! {
        #head {
            #declaration #new;
            #reference
        }
        #semi
    }
}

fn control_fn(site: &Site<'_>, cache: &Cache, control: &Control) -> TokenStream {
    let Control {
        method,
        doc,
        output,
    } = control;
    let vis = site.vis;
    let cache_expr = self_cache(site.in_impl, site.name);
    let name = control_name(site, &format!("cache_{method}"));
    let each = cache.allow == Allow::OnEachItem || site.in_impl;
    let allow = each.then(|| text::tokens("#[allow(dead_code)]"));
    // No token of the user's from `fn` on: lexed from text (see `text.rs`).
    let function = match output {
        Some(output) => format!("fn {name}() -> {output} {{ {cache_expr}.{method}() }}"),
        None => format!("fn {name}() {{ {cache_expr}.{method}(); }}"),
    };
    let function = text::tokens(&function);
    quote! {
        #doc
        #allow
        #vis #function
    }
}

fn invalidate_fn(
    site: &Site<'_>,
    cache: &Cache,
    doc: &TokenStream,
    invalidate: &Invalidate<'_>,
) -> TokenStream {
    let vis = site.vis;
    let cache_expr = text::tokens(&self_cache(site.in_impl, site.name));
    let name = control_name(site, "cache_invalidate");
    let inputs = invalidate.sig.inputs.iter().cloned().map(|mut input| {
        // Bindings are only read here: `mut` would draw an `unused_mut` warning.
        crate::syntax::drop_mut_binding(&mut input);
        input
    });
    let (generics, _, where_clause) = invalidate.sig.generics.split_for_impl();
    let call = &invalidate.call;
    let allow = invalidate_allow(site, cache, invalidate);
    quote! {
        #doc
        #allow
        #vis fn #name #generics (#(#inputs),*) -> bool #where_clause {
            #cache_expr #call
        }
    }
}
