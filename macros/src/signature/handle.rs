//! The call handle: a type with one slot per parameter, which `call!` fills argument by
//! argument and then calls the function through. Members of an `impl` block always get one
//! (`member.rs` builds theirs from the parts here: `Types`, `setters`, `finish`, `describe`); a
//! free function gets one only when it is named after a prelude macro and so cannot have a call
//! macro (`call_macro.rs`). For such a function `f`, `expand` adds, all hidden from docs:
//!
//! - `__py38_call_f<S0, .., Sn>`: the call handle, one type parameter per slot;
//! - `__py38_signature_f`, and `f::__py38_signature` (on an empty `enum f`, so that importing
//!   `f` imports it): the handle with every slot unset, where `call!` starts;
//! - setters `__py38_positional_<i>` and `__py38_keyword_<name>`, each filling one slot with an
//!   argument of the parameter's type (so arguments coerce as in a direct call), and
//!   `__py38_finish`, which calls `f` with the arguments in order and the defaults of the slots
//!   left unset;
//! - `__py38_described_f`, and `f::__py38_described`: the signature as data, for `call!`'s
//!   compile-time checks.
//!
//! The function itself is left exactly as written.

use proc_macro2::{Ident, TokenStream};
use quote::{ToTokens, format_ident, quote};
use syn::visit_mut::VisitMut;
use syn::{
    GenericParam, Generics, Lifetime, ReturnType, Type, TypeImplTrait, Visibility, WherePredicate,
    ext::IdentExt,
};

use super::lifetimes::{lifetimes, name_elided};
use super::model::Model;
use super::self_type::ReplaceSelf;
use crate::paths;
use crate::syntax::{generic_name, names_in};

/// The items to add after the function, with the empty `enum f` if this attribute declares it
/// (see `namespace`).
pub(crate) fn expand(
    model: &Model<'_>,
    vis: &Visibility,
    namespace: Option<TokenStream>,
) -> TokenStream {
    let private = paths::signature();
    let name = &model.sig.ident;
    let handle = format_ident!("__py38_call_{}", name.unraw());
    let handle_const = format_ident!("__py38_signature_{}", name.unraw());
    let described = format_ident!("__py38_described_{}", name.unraw());
    let slots: Vec<Ident> = (0..model.params.len())
        .map(|i| format_ident!("__Py38Slot{}", i))
        .collect();
    let unset = model.params.iter().map(|_| quote!(#private::Unset));
    let unset_value = unset.clone();
    let unset_again = unset.clone();
    let types = Types::new(model, None);

    let setters = setters(model, &types, None, &handle, None, &slots, vis);
    let describe = describe(model, None);
    let finish = finish(model, &types, vis, None);

    quote! {
        #namespace
        #[doc(hidden)]
        #[allow(non_camel_case_types)]
        #vis struct #handle<#(#slots),*>(#(#slots),*);

        #[doc(hidden)]
        #[allow(non_upper_case_globals)]
        #vis const #handle_const: #handle<#(#unset),*> = #handle(#(#unset_value),*);

        #[doc(hidden)]
        #[allow(non_upper_case_globals)]
        #vis const #described: &#private::Signature = #describe;

        #[allow(non_upper_case_globals)]
        impl #name {
            #[doc(hidden)]
            #vis const __py38_signature: #handle<#(#unset_again),*> = #handle_const;
            #[doc(hidden)]
            #vis const __py38_described: &'static #private::Signature = #described;
        }

        impl<#(#slots),*> #handle<#(#slots),*> {
            #setters
            #finish
        }
    }
}

/// The parameter and return types as the handle's items spell them: elided lifetimes named,
/// `impl Trait` parameters turned into type parameters, and, outside an impl block, `Self`
/// spelled as the type it stands for.
pub(super) struct Types {
    pub(super) params: Vec<Type>,
    pub(super) output: ReturnType,
    /// A method's receiver type (`&'__py38_0 Point`).
    pub(super) receiver: Option<Type>,
    /// Every lifetime the receiver type names: the handle's impl declares those the impl
    /// block does not.
    pub(super) receiver_lifetimes: Vec<Lifetime>,
    /// Lifetimes the parameters leave elided, now named.
    pub(super) added_lifetimes: Vec<Lifetime>,
    /// `(name, bounds)` for each `impl Trait` parameter.
    pub(super) impl_params: Vec<(Ident, TypeImplTrait)>,
}

impl Types {
    pub(super) fn new(model: &Model<'_>, owner: Option<&Owner<'_>>) -> Self {
        let spell = |ty: &Type| -> Type {
            match owner {
                Some(owner) => owner.spell_type(ty),
                None => ty.clone(),
            }
        };
        let tys: Vec<Type> = model.params.iter().map(|p| spell(p.ty)).collect();
        let tys: Vec<&Type> = tys.iter().collect();
        let receiver = model.receiver.map(|r| spell(&r.ty));
        let output = match (&model.sig.output, owner) {
            (ReturnType::Type(arrow, ty), Some(_)) => ReturnType::Type(*arrow, Box::new(spell(ty))),
            (output, _) => output.clone(),
        };
        let named = name_elided(receiver.as_ref(), &tys, &output);
        let mut impl_params = Vec::new();
        let params = named
            .params
            .into_iter()
            .map(|ty| match ty {
                Type::ImplTrait(bounds) => {
                    let ident = format_ident!("__Py38Impl{}", impl_params.len());
                    impl_params.push((ident.clone(), bounds));
                    syn::parse_quote!(#ident)
                }
                other => other,
            })
            .collect();
        Types {
            params,
            output: named.output,
            receiver_lifetimes: lifetimes(named.receiver.iter()),
            receiver: named.receiver,
            added_lifetimes: named.added[named.receiver_added..].to_vec(),
            impl_params,
        }
    }
}

/// The impl block a method or associated function belongs to.
pub(super) struct Owner<'a> {
    pub(super) self_ty: &'a Type,
    /// The type's name, as Python names a method's class (`Point.moved()`).
    pub(super) type_name: String,
    pub(super) generics: &'a Generics,
}

impl Owner<'_> {
    /// `ty` as items outside the impl block must spell it (see `self_type`).
    pub(super) fn spell_type(&self, ty: &Type) -> Type {
        let mut ty = ty.clone();
        ReplaceSelf::new(self.self_ty).visit_type_mut(&mut ty);
        ty
    }
}

/// One setter per way into a slot: `__py38_positional_<n>` for each parameter that may be
/// passed by position, `__py38_keyword_<name>` for each that may be passed by keyword. A
/// method's handle has the receiver (its type is `receiver`) in field 0, before the slots.
pub(super) fn setters(
    model: &Model<'_>,
    types: &Types,
    owner: Option<&Owner<'_>>,
    handle: &Ident,
    receiver: Option<&TokenStream>,
    slots: &[Ident],
    vis: &Visibility,
) -> TokenStream {
    let private = paths::signature();
    let first_slot = usize::from(receiver.is_some());
    let receiver_field = receiver.map(|_| quote!(self.0,));
    let mut out = TokenStream::new();
    for (i, param) in model.params.iter().enumerate() {
        let ty = &types.params[i];
        let (params, predicates) = slot_generics(model, types, i);
        let predicates = predicates.iter().map(|p| spell(owner, *p));
        let after = slot_types(slots, i, quote!(#private::Given<#ty>));
        let moved = (0..slots.len()).map(|j| {
            if j == i {
                quote!(#private::Given(value))
            } else {
                let field = syn::Index::from(j + first_slot);
                quote!(self.#field)
            }
        });
        let receiver_type = receiver.map(|r| quote!(#r,));
        let body = quote! {
            <#(#params),*>(self, value: #ty) -> #handle<#receiver_type #(#after),*>
            where #(#predicates,)*
            {
                #handle(#receiver_field #(#moved),*)
            }
        };
        let mut names = Vec::new();
        if i < model.positional {
            // Counted from 1, as the argument's position is said: the first, the second; a
            // method's receiver is the first, as it is when the method is called through its
            // type (`Point::moved(&p, 1)`).
            let position = i + 1 + usize::from(model.receiver.is_some());
            names.push(format_ident!("__py38_positional_{}", position));
        }
        if i >= model.positional_only {
            names.push(format_ident!("__py38_keyword_{}", param.ident.unraw()));
        }
        for name in names {
            out.extend(quote! {
                #[doc(hidden)]
                #[inline(always)]
                #vis fn #name #body
            });
        }
    }
    out
}

/// The generics that filling slot `i` needs: only those of the function that `Ti` mentions,
/// so that each is fixed by the argument's type, with the bounds and `where` predicates that
/// mention nothing else.
fn slot_generics<'m>(
    model: &'m Model<'_>,
    types: &Types,
    i: usize,
) -> (Vec<TokenStream>, Vec<&'m WherePredicate>) {
    let ty = &types.params[i];
    let generics = &model.sig.generics;
    let all: Vec<String> = generics
        .params
        .iter()
        .map(generic_name)
        .chain(types.added_lifetimes.iter().map(|l| l.ident.to_string()))
        .filter(|name| !types.receiver_lifetimes.iter().any(|l| l.ident == name))
        .collect();
    let uses = |tokens: TokenStream| -> Vec<String> {
        names_in(tokens)
            .into_iter()
            .filter(|m| all.contains(m))
            .collect()
    };
    let mentioned = uses(ty.to_token_stream());

    let mut params: Vec<TokenStream> = Vec::new();
    for lifetime in &types.added_lifetimes {
        if mentioned.contains(&lifetime.ident.to_string()) {
            params.push(lifetime.to_token_stream());
        }
    }
    let mut known: Vec<String> = Vec::new();
    for param in &generics.params {
        let ident = generic_name(param);
        if mentioned.contains(&ident) {
            known.push(ident);
        }
    }
    for param in &generics.params {
        if known.contains(&generic_name(param)) {
            params.push(only_within(param, &known, &uses));
        }
    }
    if let Some((ident, bounds)) = types.impl_params.iter().find(|(id, _)| ty_is(ty, id)) {
        let bounds = &bounds.bounds;
        if uses(bounds.to_token_stream())
            .iter()
            .all(|m| known.contains(m) || types.added_lifetimes.iter().any(|l| l.ident == m))
        {
            params.push(quote!(#ident: #bounds));
        } else {
            params.push(quote!(#ident));
        }
    }
    let predicates: Vec<_> = generics
        .where_clause
        .iter()
        .flat_map(|w| &w.predicates)
        .filter(|p| {
            let used = uses(p.to_token_stream());
            !used.is_empty() && used.iter().all(|m| known.contains(m))
        })
        .collect();
    (params, predicates)
}

fn slot_types(slots: &[Ident], at: usize, this: TokenStream) -> Vec<TokenStream> {
    slots
        .iter()
        .enumerate()
        .map(|(j, slot)| {
            if j == at {
                this.clone()
            } else {
                slot.to_token_stream()
            }
        })
        .collect()
}

fn ty_is(ty: &Type, ident: &Ident) -> bool {
    matches!(ty, Type::Path(path) if path.path.is_ident(ident))
}

/// `&Signature { .. }`: the names, defaults and kinds `call!` checks calls against.
pub(super) fn describe(model: &Model<'_>, owner: Option<&Owner<'_>>) -> TokenStream {
    described(model, owner, false)
}

/// `describe` for a method called through its type (`Point::moved(&p, 1)`): the receiver is
/// the first parameter, `self`, positional-only, as Python sees `Point.moved`.
pub(super) fn describe_through_type(model: &Model<'_>, owner: &Owner<'_>) -> TokenStream {
    described(model, Some(owner), true)
}

fn described(model: &Model<'_>, owner: Option<&Owner<'_>>, through_type: bool) -> TokenStream {
    let private = paths::signature();
    let function = model.sig.ident.unraw();
    let name = match owner {
        Some(owner) => format!("{}.{function}", owner.type_name),
        None => function.to_string(),
    };
    let receiver_param =
        through_type.then(|| quote!(#private::Param { name: "self", default: false },));
    let params = model.params.iter().map(|p| {
        let name = p.ident.unraw().to_string();
        let default = p.default.is_some();
        quote!(#private::Param { name: #name, default: #default })
    });
    let shift = usize::from(through_type);
    let positional_only = proc_macro2::Literal::usize_unsuffixed(model.positional_only + shift);
    let positional = proc_macro2::Literal::usize_unsuffixed(model.positional + shift);
    let receiver = model.receiver.is_some() && !through_type;
    quote! {
        &#private::Signature {
            name: #name,
            params: &[#receiver_param #(#params),*],
            positional_only: #positional_only,
            positional: #positional,
            receiver: #receiver,
        }
    }
}

/// `__py38_finish`: calls the function with each slot's argument, or its default. Generic over
/// everything the function is, so that inference (and a turbofish) works as in a direct call.
/// Its `PhantomData` argument names every parameter type, so that the bounds those types imply
/// (`&'a [&'b str]` implies `'b: 'a`) hold inside it as they do inside the function.
pub(super) fn finish(
    model: &Model<'_>,
    types: &Types,
    vis: &Visibility,
    owner: Option<&Owner<'_>>,
) -> TokenStream {
    let private = paths::signature();
    let sig = model.sig;
    let name = &sig.ident;
    let generics = &sig.generics;
    let on_receiver = |l: &Lifetime| types.receiver_lifetimes.contains(l);

    // A lifetime the receiver names belongs to the handle's impl, not to this function.
    let lifetimes = generics
        .lifetimes()
        .filter(|l| !on_receiver(&l.lifetime))
        .map(ToTokens::to_token_stream)
        .chain(types.added_lifetimes.iter().map(ToTokens::to_token_stream));
    let rest = generics
        .params
        .iter()
        .filter(|p| !matches!(p, GenericParam::Lifetime(_)))
        .map(ToTokens::to_token_stream)
        .chain(types.impl_params.iter().map(|(ident, bounds)| {
            let bounds = &bounds.bounds;
            quote!(#ident: #bounds)
        }));
    let own_predicates = generics.where_clause.iter().flat_map(|w| &w.predicates);
    let own_predicates = own_predicates.map(|p| spell(owner, p));

    // A method's handle keeps the receiver in field 0, before the slots.
    let first_slot = usize::from(owner.is_some());
    let mut slot_bounds = Vec::new();
    let mut arguments = Vec::new();
    for (i, (param, ty)) in model.params.iter().zip(&types.params).enumerate() {
        let slot = format_ident!("__Py38Slot{}", i);
        let field = syn::Index::from(i + first_slot);
        match &param.default {
            Some(default) => {
                let default = spell(owner, default);
                slot_bounds.push(quote!(#slot: #private::Slot<#ty>));
                arguments.push(quote!(#private::Slot::or_default(self.#field, || #default)));
            }
            None => {
                slot_bounds.push(quote!(#slot: #private::Required<#ty>));
                arguments.push(quote!(#private::Required::value(self.#field)));
            }
        }
    }

    let turbofish = turbofish(generics, !types.impl_params.is_empty());
    let call = match owner {
        None => quote!(#name #turbofish(#(#arguments),*)),
        Some(owner) => {
            let self_ty = owner.self_ty;
            let receiver = model.receiver.map(|_| quote!(self.0,));
            quote!(<#self_ty>::#name #turbofish(#receiver #(#arguments),*))
        }
    };
    let param_types = &types.params;
    let unsafety = &sig.unsafety;
    let body = if unsafety.is_some() {
        quote!(unsafe { #call })
    } else {
        call
    };

    let output = if sig.asyncness.is_some() {
        async_output(model, types, owner)
    } else {
        types.output.to_token_stream()
    };

    quote! {
        #[doc(hidden)]
        #[inline(always)]
        #vis #unsafety fn __py38_finish<#(#lifetimes,)* #(#rest),*>(
            self,
            _: ::core::marker::PhantomData<(#(#param_types,)*)>,
        ) #output
        where
            #(#own_predicates,)*
            #(#slot_bounds,)*
        {
            #body
        }
    }
}

/// `__py38_finish` of a method called through its type without its receiver (`Point::moved()`):
/// never called, since the constants that check the call fail (Python's "missing 1 required
/// positional argument: 'self'"), but present so that the call type-checks until then.
pub(super) fn finish_without_receiver(
    model: &Model<'_>,
    types: &Types,
    vis: &Visibility,
    owner: &Owner<'_>,
) -> TokenStream {
    let generics = &model.sig.generics;
    let declared = |l: &Lifetime| owner.generics.lifetimes().any(|o| o.lifetime == *l);
    let lifetimes = generics
        .lifetimes()
        .map(|l| l.lifetime.clone())
        .chain(types.receiver_lifetimes.iter().cloned())
        .filter(|l| !declared(l) && l.ident != "_")
        .chain(types.added_lifetimes.iter().cloned());
    let mut seen = Vec::new();
    let lifetimes: Vec<Lifetime> = lifetimes
        .filter(|l| {
            let new = !seen.contains(l);
            seen.push(l.clone());
            new
        })
        .collect();
    let rest = generics
        .params
        .iter()
        .filter(|p| !matches!(p, GenericParam::Lifetime(_)))
        .map(ToTokens::to_token_stream)
        .chain(types.impl_params.iter().map(|(ident, bounds)| {
            let bounds = &bounds.bounds;
            quote!(#ident: #bounds)
        }));
    let own_predicates = generics.where_clause.iter().flat_map(|w| &w.predicates);
    let own_predicates = own_predicates.map(|p| spell(Some(owner), p));
    let param_types = &types.params;
    let unsafety = &model.sig.unsafety;
    let (output, body) = if model.sig.asyncness.is_some() {
        let output = async_output(model, types, Some(owner));
        (output, quote!(async move { ::core::unreachable!() }))
    } else {
        (
            types.output.to_token_stream(),
            quote!(::core::unreachable!()),
        )
    };
    quote! {
        #[doc(hidden)]
        #[inline(always)]
        #vis #unsafety fn __py38_finish<#(#lifetimes,)* #(#rest),*>(
            self,
            _: ::core::marker::PhantomData<(#(#param_types,)*)>,
        ) #output
        where
            #(#own_predicates,)*
        {
            #body
        }
    }
}

/// `-> impl Future<Output = R> + use<..>`: what `__py38_finish` of an `async fn` returns. The
/// `use<..>` list names lifetimes first, then every type and const parameter in scope: the
/// impl block's, the function's, and the slots.
fn async_output(model: &Model<'_>, types: &Types, owner: Option<&Owner<'_>>) -> TokenStream {
    let generics = &model.sig.generics;
    let on_receiver = |l: &Lifetime| types.receiver_lifetimes.contains(l);
    let ret = match &types.output {
        ReturnType::Default => quote!(()),
        ReturnType::Type(_, ty) => ty.to_token_stream(),
    };
    let outer = owner.map(|o| o.generics);
    let lifetimes = outer
        .into_iter()
        .flat_map(Generics::lifetimes)
        .map(|l| l.lifetime.to_token_stream())
        .chain(types.receiver_lifetimes.iter().filter_map(|l| {
            let declared = outer.is_some_and(|g| g.lifetimes().any(|o| o.lifetime == *l));
            (!declared && l.ident != "_").then(|| l.to_token_stream())
        }))
        .chain(
            generics
                .lifetimes()
                .filter(|l| !on_receiver(&l.lifetime))
                .map(|l| l.lifetime.to_token_stream()),
        )
        .chain(types.added_lifetimes.iter().map(ToTokens::to_token_stream));
    let others = outer
        .into_iter()
        .chain([generics])
        .flat_map(|g| {
            g.type_params()
                .map(|t| t.ident.to_token_stream())
                .chain(g.const_params().map(|c| c.ident.to_token_stream()))
        })
        .chain(
            (0..model.params.len()).map(|i| format_ident!("__Py38Slot{}", i).into_token_stream()),
        )
        .chain(
            types
                .impl_params
                .iter()
                .map(|(ident, _)| ident.to_token_stream()),
        );
    let captured: Vec<TokenStream> = lifetimes.chain(others).collect();
    quote!(-> impl ::core::future::Future<Output = #ret> + use<#(#captured),*>)
}

/// `::<T, N>` to call the function with the generic arguments its caller gave, or `None`:
/// with an `impl Trait` parameter Rust allows none, and inference does the same job (as it
/// does for a function without type or const parameters).
pub(super) fn turbofish(generics: &Generics, has_impl_trait: bool) -> Option<TokenStream> {
    let explicit: Vec<&Ident> = generics
        .params
        .iter()
        .filter_map(|p| match p {
            GenericParam::Type(t) => Some(&t.ident),
            GenericParam::Const(c) => Some(&c.ident),
            GenericParam::Lifetime(_) => None,
        })
        .collect();
    (!explicit.is_empty() && !has_impl_trait).then(|| quote!(::<#(#explicit),*>))
}

/// A default or `where` predicate as written, or as the handle's impl must spell it for a
/// member of `owner`: with `Self` spelled out (see `self_type`).
fn spell<T: Clone + Spelled>(owner: Option<&Owner<'_>>, node: &T) -> T {
    let mut node = node.clone();
    if let Some(owner) = owner {
        node.replace_self(&mut ReplaceSelf::new(owner.self_ty));
    }
    node
}

/// The syntax nodes `spell` rewrites.
trait Spelled {
    fn replace_self(&mut self, replace: &mut ReplaceSelf<'_>);
}

impl Spelled for syn::Expr {
    fn replace_self(&mut self, replace: &mut ReplaceSelf<'_>) {
        replace.visit_expr_mut(self);
    }
}

impl Spelled for WherePredicate {
    fn replace_self(&mut self, replace: &mut ReplaceSelf<'_>) {
        replace.visit_where_predicate_mut(self);
    }
}

/// The parameter with its bounds if they mention only `known` generics, bare otherwise.
fn only_within(
    param: &GenericParam,
    known: &[String],
    uses: &dyn Fn(TokenStream) -> Vec<String>,
) -> TokenStream {
    let bounds_known = |tokens: TokenStream| uses(tokens).iter().all(|m| known.contains(m));
    match param {
        GenericParam::Type(t) if !bounds_known(t.bounds.to_token_stream()) => {
            let ident = &t.ident;
            quote!(#ident)
        }
        GenericParam::Lifetime(l) if !bounds_known(l.bounds.to_token_stream()) => {
            l.lifetime.to_token_stream()
        }
        GenericParam::Type(t) => {
            let (ident, colon, bounds) = (&t.ident, &t.colon_token, &t.bounds);
            quote!(#ident #colon #bounds)
        }
        other => other.to_token_stream(),
    }
}
