//! The memoized function as the expansion sees it: its key parts, its result, its context.
//! Building the model also checks it; every unsupported form is recorded as an error.

use proc_macro2::{Span, TokenStream};
use quote::ToTokens;
use syn::spanned::Spanned;
use syn::visit::Visit;
use syn::{Expr, FnArg, Ident, ItemFn, Pat, ReturnType, Type};

use super::args::{Args, Keying};

use crate::errors::Errors;
use crate::syntax::mentions_self;

/// A memoized function.
pub(crate) struct Function<'a> {
    pub(crate) item: &'a ItemFn,
    /// Every parameter's name, receiver first, in order: what the body's function is passed.
    pub(crate) params: Vec<TokenStream>,
    /// What the key is made of, in order: the parameters not ignored, or the `key` expression.
    pub(crate) key: Vec<KeyPart<'a>>,
    /// The names of the parameters `cache_invalidate` takes (all of them with `key = ..`).
    pub(crate) invalidate_params: Vec<String>,
    pub(crate) output: Output<'a>,
    /// In an `impl` block: the controls become associated functions beside the method instead
    /// of functions of an `enum f {}`.
    pub(crate) in_impl: bool,
    /// In an `impl` block with type or const parameters: each instantiation of the type gets
    /// its own cache, even when the arguments and result do not mention them.
    pub(crate) generic_owner: bool,
}

/// One part of the key: a parameter, or the `key` expression.
pub(crate) struct KeyPart<'a> {
    /// `self`, the parameter's name as the user wrote it, or the `key` expression.
    pub(crate) value: TokenStream,
    /// Where a value that cannot be a key is reported: the parameter's type, or the expression.
    pub(crate) span: Span,
    /// The parameter's type; `None` for the `key` expression, whose type is inferred.
    pub(crate) ty: Option<&'a Type>,
    /// `&T` (a `&..` expression): stored as `T::Owned`, looked up as `&T`. Otherwise stored as a
    /// clone.
    pub(crate) borrowed: bool,
}

/// What the function returns, and so what is stored.
#[derive(Clone, Copy)]
pub(crate) enum Output<'a> {
    /// No `->`: the unit value is stored, which still counts calls and skips the body.
    Unit,
    /// The return type. Which part of it is stored (the `Ok` value of a `Result`, under any
    /// name) is decided by the type itself, through the trait system: see the runtime's
    /// `outcome.rs`.
    Plain(&'a Type),
}

impl<'a> Function<'a> {
    pub(crate) fn new(item: &'a ItemFn, keying: &'a Keying, errors: &mut Errors) -> Self {
        check_signature(item, errors);
        let ignored = |name: &str| match keying {
            Keying::Params => false,
            Keying::Ignore(names) => names.iter().any(|ignored| ignored == name),
            Keying::Expr(_) => true,
        };
        let mut params = Vec::new();
        let mut key = Vec::new();
        let mut invalidate_params = Vec::new();
        for input in &item.sig.inputs {
            let Some((name, ty)) = param(input, errors) else {
                continue;
            };
            let text = name.to_string();
            // A parameter left out of the key may be of any type: only its name is needed.
            if !ignored(&text) {
                key.push(part(input, name.clone(), ty, errors));
            }
            if !matches!(keying, Keying::Ignore(names) if names.iter().any(|n| *n == text)) {
                invalidate_params.push(text);
            }
            params.push(name);
        }
        match keying {
            Keying::Ignore(names) => check_ignored(item, names, errors),
            Keying::Expr(expr) => key.push(expression_part(expr)),
            Keying::Params => {}
        }
        Function {
            item,
            params,
            key,
            invalidate_params,
            output: output(&item.sig.output, errors),
            // `Self` anywhere: the function is in an `impl`, where no `enum` can be declared.
            in_impl: has_receiver(item) || mentions_self(item.to_token_stream()),
            generic_owner: false,
        }
    }
}

fn check_signature(item: &ItemFn, errors: &mut Errors) {
    let sig = &item.sig;
    if let Some(token) = &sig.constness {
        errors.at(
            token,
            "`#[memoize]` cannot apply to a `const fn`: a cache lookup cannot run at compile time",
        );
    }
    if let Some(token) = &sig.unsafety {
        errors.at(
            token,
            "`#[memoize]` cannot apply to an `unsafe fn`: a cached result would skip the checks \
             the caller's `unsafe` block promised for this call",
        );
    }
    if let Some(abi) = &sig.abi {
        errors.at(abi, "`#[memoize]` cannot apply to an `extern` function");
    }
    if let Some(variadic) = &sig.variadic {
        errors.at(variadic, "`#[memoize]` cannot apply to a variadic function");
    }
}

/// The options the function's form cannot honour: `single_flight = false` on an `async fn`
/// kept in memory, whose concurrent calls with one key always share one computation.
pub(crate) fn check_options(item: &ItemFn, args: &Args, errors: &mut Errors) {
    if item.sig.asyncness.is_some()
        && args.store.is_none()
        && let Some(flag) = &args.single_flight
        && !flag.value
    {
        errors.at(
            flag,
            "an `async fn` memoized in memory always shares one computation between \
             concurrent calls with the same arguments; drop `single_flight = false`",
        );
    }
}

fn has_receiver(item: &ItemFn) -> bool {
    matches!(item.sig.inputs.first(), Some(FnArg::Receiver(_)))
}

/// A parameter's name and type (`&self`'s type is `&Self`); `None` after an error for a
/// parameter without a plain name.
fn param<'a>(input: &'a FnArg, errors: &mut Errors) -> Option<(TokenStream, &'a Type)> {
    match input {
        FnArg::Receiver(receiver) => Some((receiver.self_token.to_token_stream(), &receiver.ty)),
        FnArg::Typed(typed) => match &*typed.pat {
            Pat::Ident(pat) if pat.by_ref.is_none() && pat.subpat.is_none() => {
                Some((pat.ident.to_token_stream(), &typed.ty))
            }
            Pat::Wild(wild) => {
                errors.at(
                    wild,
                    "`#[memoize]` passes each argument on to the body by name; write `_name` \
                     instead of `_`",
                );
                None
            }
            other => {
                errors.at(
                    other,
                    "`#[memoize]` needs a plain name for each parameter, not a pattern; \
                     take the value whole and destructure it in the body",
                );
                None
            }
        },
    }
}

/// Each name of `ignore = ..` is a parameter.
fn check_ignored(item: &ItemFn, names: &[Ident], errors: &mut Errors) {
    for name in names {
        let found = item.sig.inputs.iter().any(|input| match input {
            FnArg::Receiver(_) => name == "self",
            FnArg::Typed(typed) => matches!(&*typed.pat, Pat::Ident(pat) if pat.ident == *name),
        });
        if !found {
            errors.at(
                name,
                format!(
                    "`{name}` is not a parameter of `{}`; `ignore` names parameters to leave \
                     out of the key",
                    item.sig.ident
                ),
            );
        }
    }
}

/// `key = expression`: borrowed when written `&..` (looked up as it is, stored owned).
fn expression_part(expr: &Expr) -> KeyPart<'_> {
    KeyPart {
        value: expr.to_token_stream(),
        span: expr.span(),
        ty: None,
        borrowed: matches!(expr, Expr::Reference(reference) if reference.mutability.is_none()),
    }
}

/// A parameter that is part of the key.
fn part<'a>(input: &'a FnArg, name: TokenStream, ty: &'a Type, errors: &mut Errors) -> KeyPart<'a> {
    if let FnArg::Receiver(receiver) = input
        && receiver.reference.is_some()
        && receiver.mutability.is_some()
    {
        errors.at(
            receiver,
            "`#[memoize]` cannot key a cache by `&mut self`: a cached result would skip \
             the mutation; leave it out with `ignore = self` if it does not tell calls apart",
        );
    }
    let (inner, borrowed) = match ty {
        Type::Reference(reference) if reference.mutability.is_some() => {
            if matches!(input, FnArg::Typed(_)) {
                errors.at(
                    ty,
                    "`#[memoize]` cannot key a cache by a `&mut` argument: a cached result \
                     would skip the mutation; leave it out with `ignore = <parameter>` if it \
                     does not tell calls apart",
                );
            }
            (&*reference.elem, true)
        }
        Type::Reference(reference) => (&*reference.elem, true),
        other => (other, false),
    };
    let mut finder = Finder::default();
    finder.visit_type(inner);
    if let Some(impl_trait) = finder.impl_trait {
        errors.at(
            impl_trait,
            "`#[memoize]` cannot key a cache by an `impl Trait` argument: its type has no name \
             to store; use a generic parameter `<T: Trait>` instead, or leave it out with \
             `ignore = <parameter>`",
        );
    } else if let Some(reference) = finder.reference {
        errors.at(
            reference,
            "`#[memoize]` stores an owned copy of each argument, and can only make one from a \
             whole `&T` argument; pass this value owned, or choose the key with `key = ...`",
        );
    }
    KeyPart {
        value: name,
        span: inner.span(),
        ty: Some(inner),
        borrowed,
    }
}

fn output<'a>(output: &'a ReturnType, errors: &mut Errors) -> Output<'a> {
    let ReturnType::Type(_, ty) = output else {
        return Output::Unit;
    };
    let mut finder = Finder::default();
    finder.visit_type(ty);
    if let Some(impl_trait) = finder.impl_trait {
        errors.at(
            impl_trait,
            "`#[memoize]` cannot store an `impl Trait` result: name the type",
        );
    }
    if let Some(reference) = finder.non_static_reference {
        errors.at(
            reference,
            "`#[memoize]` cannot store a borrowed result: it outlives the call; return an owned \
             value (or `Arc<T>` to share it)",
        );
    }
    Output::Plain(ty)
}

/// Finds the forms a stored type cannot contain.
#[derive(Default)]
struct Finder<'a> {
    impl_trait: Option<&'a syn::TypeImplTrait>,
    reference: Option<&'a syn::TypeReference>,
    non_static_reference: Option<&'a syn::TypeReference>,
}

impl<'a> Visit<'a> for Finder<'a> {
    fn visit_type_impl_trait(&mut self, node: &'a syn::TypeImplTrait) {
        self.impl_trait.get_or_insert(node);
    }
    fn visit_type_reference(&mut self, node: &'a syn::TypeReference) {
        self.reference.get_or_insert(node);
        let is_static = node.lifetime.as_ref().is_some_and(|l| l.ident == "static");
        if !is_static {
            self.non_static_reference.get_or_insert(node);
        }
        syn::visit::visit_type_reference(self, node);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use syn::parse_quote;

    fn model_errors(item: &ItemFn) -> String {
        let mut errors = Errors::default();
        Function::new(item, &Keying::Params, &mut errors);
        errors.to_compile_errors().to_string()
    }

    #[test]
    fn references_are_borrowed_key_parts() {
        let item: ItemFn = parse_quote!(
            fn f(&self, name: &str, n: u64) -> String {
                todo!()
            }
        );
        let mut errors = Errors::default();
        let f = Function::new(&item, &Keying::Params, &mut errors);
        assert!(errors.is_empty());
        let parts: Vec<_> = f
            .key
            .iter()
            .map(|p| (p.value.to_string(), p.borrowed))
            .collect();
        assert_eq!(
            parts,
            [
                ("self".into(), true),
                ("name".into(), true),
                ("n".into(), false)
            ]
        );
        assert!(f.in_impl);
    }

    #[test]
    fn ignored_parameters_are_passed_on_but_not_keyed() {
        let item: ItemFn = parse_quote!(
            fn f(&self, http: &mut Client, (a, b): (u8, u8), n: u64) -> u64 {
                todo!()
            }
        );
        let self_ = Ident::new("self", Span::call_site());
        let keying = Keying::Ignore(vec![self_, parse_quote!(http)]);
        let mut errors = Errors::default();
        let f = Function::new(&item, &keying, &mut errors);
        let errors = errors.to_compile_errors().to_string();
        assert!(errors.contains("pattern"), "{errors}");
        assert!(
            !errors.contains("&mut"),
            "an ignored `&mut` is fine: {errors}"
        );
        let keyed: Vec<_> = f.key.iter().map(|p| p.value.to_string()).collect();
        assert_eq!(keyed, ["n"]);
        let passed: Vec<_> = f.params.iter().map(ToString::to_string).collect();
        assert_eq!(passed, ["self", "http", "n"]);
        assert_eq!(f.invalidate_params, ["n"]);
    }

    #[test]
    fn a_key_expression_is_the_whole_key() {
        let item: ItemFn = parse_quote!(
            fn f(client: &Client, name: &String) -> u64 {
                todo!()
            }
        );
        let keying = Keying::Expr(parse_quote!(&**name));
        let mut errors = Errors::default();
        let f = Function::new(&item, &keying, &mut errors);
        assert!(errors.is_empty());
        assert_eq!(f.key.len(), 1);
        assert!(f.key[0].borrowed && f.key[0].ty.is_none());
        assert_eq!(f.invalidate_params, ["client", "name"]);
    }

    #[test]
    fn ignoring_what_is_not_a_parameter_is_an_error() {
        let item: ItemFn = parse_quote!(
            fn f(n: u64) -> u64 {
                todo!()
            }
        );
        let keying = Keying::Ignore(vec![parse_quote!(client)]);
        let mut errors = Errors::default();
        Function::new(&item, &keying, &mut errors);
        let errors = errors.to_compile_errors().to_string();
        assert!(
            errors.contains("`client` is not a parameter of `f`"),
            "{errors}"
        );
    }

    #[test]
    fn associated_functions_naming_self_are_in_an_impl() {
        let item: ItemFn = parse_quote!(
            fn origin() -> u8 {
                Self::ZERO
            }
        );
        let mut errors = Errors::default();
        assert!(Function::new(&item, &Keying::Params, &mut errors).in_impl);
    }

    #[test]
    fn every_unsupported_form_is_reported_at_once() {
        let item: ItemFn = parse_quote!(
            async unsafe fn f(
                &mut self,
                a: &mut u8,
                (b, c): (u8, u8),
                d: impl Fn(),
                _: u8,
            ) -> &str {
                todo!()
            }
        );
        let errors = model_errors(&item);
        for needle in [
            "unsafe fn",
            "`&mut self`",
            "`&mut` argument",
            "pattern",
            "impl Trait",
            "instead of `_`",
            "borrowed result",
        ] {
            assert!(
                errors.contains(needle),
                "no error mentions {needle}: {errors}"
            );
        }
    }
}
