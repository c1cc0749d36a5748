//! The memoized function as the expansion sees it: its key parts, its result, its context.
//! Building the model also checks it; every unsupported form is recorded as an error.

use proc_macro2::TokenStream;
use quote::ToTokens;
use syn::visit::Visit;
use syn::{FnArg, GenericArgument, ItemFn, Pat, PathArguments, ReturnType, Type};

use crate::errors::Errors;
use crate::syntax::mentions_self;

/// A memoized function.
pub(crate) struct Function<'a> {
    pub(crate) item: &'a ItemFn,
    /// Every parameter, receiver first, in order: together they form the key.
    pub(crate) key: Vec<KeyPart<'a>>,
    pub(crate) output: Output<'a>,
    /// In an `impl` block: the controls become associated functions beside the method instead
    /// of functions of an `enum f {}`.
    pub(crate) in_impl: bool,
    /// In an `impl` block with type or const parameters: each instantiation of the type gets
    /// its own cache, even when the arguments and result do not mention them.
    pub(crate) generic_owner: bool,
}

/// One parameter's part of the key.
pub(crate) struct KeyPart<'a> {
    /// `self` or the parameter's name, as the user wrote it.
    pub(crate) name: TokenStream,
    pub(crate) ty: &'a Type,
    /// `&T`: stored as `T::Owned`, looked up as `&T`. Otherwise stored as a clone.
    pub(crate) borrowed: bool,
}

/// What the function returns, and so what is stored.
#[derive(Clone, Copy)]
pub(crate) enum Output<'a> {
    /// No `->`: the unit value is stored, which still counts calls and skips the body.
    Unit,
    /// Any other type, stored as it is.
    Plain(&'a Type),
    /// `Result<T, E>` (by any path): only `Ok(T)` is stored.
    Result { full: &'a Type, ok: &'a Type },
}

impl<'a> Function<'a> {
    pub(crate) fn new(item: &'a ItemFn, errors: &mut Errors) -> Self {
        check_signature(item, errors);
        let key = item
            .sig
            .inputs
            .iter()
            .filter_map(|input| key_part(input, errors))
            .collect();
        Function {
            item,
            key,
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

fn has_receiver(item: &ItemFn) -> bool {
    matches!(item.sig.inputs.first(), Some(FnArg::Receiver(_)))
}

fn key_part<'a>(input: &'a FnArg, errors: &mut Errors) -> Option<KeyPart<'a>> {
    match input {
        FnArg::Receiver(receiver) => {
            if receiver.reference.is_some() && receiver.mutability.is_some() {
                errors.at(
                    receiver,
                    "`#[memoize]` cannot key a cache by `&mut self`: a cached result would skip \
                     the mutation",
                );
                return None;
            }
            let name = receiver.self_token.to_token_stream();
            Some(part(name, &receiver.ty, errors))
        }
        FnArg::Typed(typed) => {
            let name = match &*typed.pat {
                Pat::Ident(pat) if pat.by_ref.is_none() && pat.subpat.is_none() => {
                    pat.ident.to_token_stream()
                }
                Pat::Wild(wild) => {
                    errors.at(
                        wild,
                        "`#[memoize]` keys the cache by every argument, so each needs a name; \
                         write `_name` instead of `_`",
                    );
                    return None;
                }
                other => {
                    errors.at(
                        other,
                        "`#[memoize]` needs a plain name for each parameter, not a pattern; \
                         take the value whole and destructure it in the body",
                    );
                    return None;
                }
            };
            Some(part(name, &typed.ty, errors))
        }
    }
}

fn part<'a>(name: TokenStream, ty: &'a Type, errors: &mut Errors) -> KeyPart<'a> {
    let (ty, borrowed) = match ty {
        Type::Reference(reference) if reference.mutability.is_some() => {
            errors.at(
                ty,
                "`#[memoize]` cannot key a cache by a `&mut` argument: a cached result would \
                 skip the mutation",
            );
            (&*reference.elem, true)
        }
        Type::Reference(reference) => (&*reference.elem, true),
        other => (other, false),
    };
    let mut finder = Finder::default();
    finder.visit_type(ty);
    if let Some(impl_trait) = finder.impl_trait {
        errors.at(
            impl_trait,
            "`#[memoize]` cannot key a cache by an `impl Trait` argument: its type has no name \
             to store; use a generic parameter `<T: Trait>` instead",
        );
    } else if let Some(reference) = finder.reference {
        errors.at(
            reference,
            "`#[memoize]` stores an owned copy of each argument, and can only make one from a \
             whole `&T` argument; pass this value owned",
        );
    }
    KeyPart { name, ty, borrowed }
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
    match result_ok_type(ty) {
        Some(ok) => Output::Result { full: ty, ok },
        None => Output::Plain(ty),
    }
}

/// `T` of `Result<T, E>`, `io::Result<T>`, `anyhow::Result<T>`, ...
fn result_ok_type(ty: &Type) -> Option<&Type> {
    let Type::Path(path) = ty else { return None };
    let last = path.path.segments.last()?;
    if last.ident != "Result" {
        return None;
    }
    let PathArguments::AngleBracketed(args) = &last.arguments else {
        return None;
    };
    match args.args.first()? {
        GenericArgument::Type(ok) => Some(ok),
        _ => None,
    }
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
        Function::new(item, &mut errors);
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
        let f = Function::new(&item, &mut errors);
        assert!(errors.is_empty());
        let parts: Vec<_> = f
            .key
            .iter()
            .map(|p| (p.name.to_string(), p.borrowed))
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
    fn finds_result_types_by_any_path() {
        let item: ItemFn = parse_quote!(
            fn f() -> std::io::Result<Vec<u8>> {
                todo!()
            }
        );
        let mut errors = Errors::default();
        let f = Function::new(&item, &mut errors);
        assert!(matches!(f.output, Output::Result { .. }));
        assert!(!f.in_impl);
    }

    #[test]
    fn associated_functions_naming_self_are_in_an_impl() {
        let item: ItemFn = parse_quote!(
            fn origin() -> u8 {
                Self::ZERO
            }
        );
        let mut errors = Errors::default();
        assert!(Function::new(&item, &mut errors).in_impl);
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
