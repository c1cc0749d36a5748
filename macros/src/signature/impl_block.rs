//! `#[signature]` on an `impl` block: each method or associated function marked
//! `#[signature(...)]` gets a call handle (see `member`). An attribute on a method alone could
//! add nothing outside the impl block, where the handle's type and impls must go.

use proc_macro2::TokenStream;
use quote::quote;
use syn::{ImplItem, ItemImpl, Type};

use super::handle::Owner;
use super::model::Model;
use super::{member, parse};
use crate::attrs;
use crate::errors::Errors;

pub(crate) fn impl_block(
    args: TokenStream,
    mut item: ItemImpl,
    errors: &mut Errors,
) -> TokenStream {
    if !args.is_empty() {
        errors.at(
            &args,
            "`#[signature]` on an `impl` block takes no list: put `#[signature(...)]` on each \
             method that has one",
        );
    }
    if let Some((_, path, _)) = &item.trait_ {
        errors.at(
            path,
            "`#[signature]` applies to inherent `impl` blocks: a trait's methods keep the \
             trait's signature",
        );
        // One error for the block, not one more for each method.
        attrs::strip_markers(&mut item, "signature");
        return quote!(#item);
    }
    let type_name = match &*item.self_ty {
        Type::Path(path) if path.qself.is_none() => {
            path.path.segments.last().map(|s| s.ident.clone())
        }
        _ => None,
    };
    let Some(type_name) = type_name else {
        errors.at(
            &item.self_ty,
            "`#[signature]` needs an `impl` block of a named type (`impl Point`)",
        );
        return quote!(#item);
    };

    // The marked methods, their attributes taken off (they have done their job here).
    let mut marked = Vec::new();
    for impl_item in &mut item.items {
        let ImplItem::Fn(method) = impl_item else {
            continue;
        };
        let list = match attrs::take_marker(&mut method.attrs, "signature") {
            None => continue,
            Some(Ok(list)) => list,
            Some(Err(meta)) => {
                errors.at(&meta, "write the signature as `#[signature(a, b = 1)]`");
                continue;
            }
        };
        marked.push((method.sig.clone(), method.vis.clone(), list));
    }

    let owner = Owner {
        self_ty: &item.self_ty,
        type_name: type_name.to_string(),
        generics: &item.generics,
    };
    let mut inside = Vec::new();
    let mut outside = Vec::new();
    for (sig, vis, list) in &marked {
        let mut own = Errors::default();
        let listed = parse::parse(list.clone(), &mut own);
        let model = Model::new(sig, listed, true, &mut own);
        // After a mistake, a stand-in: the method's calls then raise no errors of their own.
        let model = if own.is_empty() {
            Some(model)
        } else {
            model.stand_in()
        };
        if let Some(model) = model {
            let added = member::expand(&model, &owner, vis);
            inside.push(added.inside);
            outside.push(added.outside);
        }
        errors.extend(own);
    }
    // Added as tokens: they are the macro's own, not the user's, so nothing parses them back
    // here, where a failure would read as a mistake of the user's.
    item.items
        .extend(inside.into_iter().map(ImplItem::Verbatim));
    quote!(#item #(#outside)*)
}
