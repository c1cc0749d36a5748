//! `Self` spelled out, for the items a member's call handle puts outside its `impl` block,
//! where `Self` means nothing. The rewrite works on the syntax tree, so each `Self` becomes
//! what its place needs:
//!
//! | written            | where       | becomes                    |
//! | ------------------ | ----------- | -------------------------- |
//! | `Self`             | type        | `Point<T>`                 |
//! | `Self::Output`     | type        | `<Point<T>>::Output`       |
//! | `Self(0)`, `Self`  | expression  | `Point::<T>(0)`, `Point::<T>` |
//! | `Self::new()`      | expression  | `<Point<T>>::new()`        |
//! | `Self { x: 0 }`    | expression  | `Point::<T> { x: 0 }`      |
//!
//! Inside a macro's input (`vec![Self::new()]`) there is no tree, only tokens: there `Self` is
//! replaced by `<Point<T>>` before a `::`, by `Point::<T>` before parentheses or braces (a
//! constructor), and by `Point<T>` elsewhere.

use proc_macro2::{Delimiter, Group, TokenStream, TokenTree};
use quote::quote;
use syn::visit_mut::{self, VisitMut};
use syn::{
    ExprPath, ExprStruct, Macro, PatStruct, PatTupleStruct, Path, PathArguments, QSelf, Type,
    TypePath,
};

/// Replaces `Self` by `self_ty`, a path type without a qualified self (`Point<T>`).
pub(super) struct ReplaceSelf<'a> {
    self_ty: &'a Type,
}

impl<'a> ReplaceSelf<'a> {
    pub(super) fn new(self_ty: &'a Type) -> Self {
        ReplaceSelf { self_ty }
    }

    /// `self_ty` as an expression path: `Point::<T>`.
    fn expression_path(&self) -> Option<Path> {
        let Type::Path(TypePath { qself: None, path }) = self.self_ty else {
            return None;
        };
        let mut path = path.clone();
        for segment in &mut path.segments {
            if let PathArguments::AngleBracketed(args) = &mut segment.arguments {
                args.colon2_token = Some(Default::default());
            }
        }
        Some(path)
    }

    /// `Self::rest` → `<Point<T>>::rest`, in place; `false` when `path` does not start with
    /// `Self` followed by more segments.
    fn qualify(&self, qself: &mut Option<QSelf>, path: &mut Path) -> bool {
        if qself.is_some() || path.segments.len() < 2 || !starts_with_self(path) {
            return false;
        }
        let segments = std::mem::take(&mut path.segments);
        path.segments = segments.into_iter().skip(1).collect();
        path.leading_colon = Some(Default::default());
        *qself = Some(QSelf {
            lt_token: Default::default(),
            ty: Box::new(self.self_ty.clone()),
            position: 0,
            as_token: None,
            gt_token: Default::default(),
        });
        true
    }

    /// `Self` or `Self::Variant` → `Point::<T>` or `Point::<T>::Variant`, in place, where a
    /// qualified path is not allowed (struct expressions and patterns) or `Self` stands alone.
    fn expand_in_place(&self, path: &mut Path) {
        if !starts_with_self(path) {
            return;
        }
        let Some(mut expanded) = self.expression_path() else {
            return;
        };
        let rest = std::mem::take(&mut path.segments).into_iter().skip(1);
        expanded.segments.extend(rest);
        *path = expanded;
    }

    /// Tokens without a tree (a macro's input), spelled at the token level.
    fn spell_tokens(&self, tokens: TokenStream) -> TokenStream {
        let self_ty = self.self_ty;
        let trees: Vec<TokenTree> = tokens.into_iter().collect();
        let mut out = TokenStream::new();
        for (i, tree) in trees.iter().enumerate() {
            match tree {
                TokenTree::Ident(ident) if ident == "Self" => match trees.get(i + 1) {
                    Some(TokenTree::Punct(p)) if p.as_char() == ':' => {
                        out.extend(quote!(<#self_ty>));
                    }
                    Some(TokenTree::Group(g)) if g.delimiter() != Delimiter::Bracket => {
                        match self.expression_path() {
                            Some(path) => out.extend(quote!(#path)),
                            None => out.extend(quote!(#self_ty)),
                        }
                    }
                    _ => out.extend(quote!(#self_ty)),
                },
                TokenTree::Group(group) => {
                    let inner = self.spell_tokens(group.stream());
                    let mut spelled = Group::new(group.delimiter(), inner);
                    spelled.set_span(group.span());
                    out.extend([TokenTree::Group(spelled)]);
                }
                other => out.extend([other.clone()]),
            }
        }
        out
    }
}

fn starts_with_self(path: &Path) -> bool {
    path.leading_colon.is_none() && path.segments.first().is_some_and(|s| s.ident == "Self")
}

impl VisitMut for ReplaceSelf<'_> {
    fn visit_type_mut(&mut self, ty: &mut Type) {
        if let Type::Path(TypePath { qself: None, path }) = ty
            && path.is_ident("Self")
        {
            *ty = self.self_ty.clone();
            return;
        }
        visit_mut::visit_type_mut(self, ty);
    }

    fn visit_type_path_mut(&mut self, ty: &mut TypePath) {
        self.qualify(&mut ty.qself, &mut ty.path);
        visit_mut::visit_type_path_mut(self, ty);
    }

    fn visit_expr_path_mut(&mut self, expr: &mut ExprPath) {
        if !self.qualify(&mut expr.qself, &mut expr.path) && expr.qself.is_none() {
            self.expand_in_place(&mut expr.path);
        }
        visit_mut::visit_expr_path_mut(self, expr);
    }

    fn visit_expr_struct_mut(&mut self, expr: &mut ExprStruct) {
        if expr.qself.is_none() {
            self.expand_in_place(&mut expr.path);
        }
        visit_mut::visit_expr_struct_mut(self, expr);
    }

    fn visit_pat_struct_mut(&mut self, pat: &mut PatStruct) {
        if pat.qself.is_none() {
            self.expand_in_place(&mut pat.path);
        }
        visit_mut::visit_pat_struct_mut(self, pat);
    }

    fn visit_pat_tuple_struct_mut(&mut self, pat: &mut PatTupleStruct) {
        if pat.qself.is_none() {
            self.expand_in_place(&mut pat.path);
        }
        visit_mut::visit_pat_tuple_struct_mut(self, pat);
    }

    fn visit_macro_mut(&mut self, mac: &mut Macro) {
        mac.tokens = self.spell_tokens(std::mem::take(&mut mac.tokens));
        visit_mut::visit_macro_mut(self, mac);
    }
}

#[cfg(test)]
mod tests {
    use quote::{ToTokens, quote};
    use syn::visit_mut::VisitMut;

    use super::ReplaceSelf;

    fn replaced_expr(expr: proc_macro2::TokenStream) -> String {
        let self_ty: syn::Type = syn::parse_quote!(Point<T>);
        let mut expr: syn::Expr = syn::parse2(expr).unwrap();
        ReplaceSelf::new(&self_ty).visit_expr_mut(&mut expr);
        without_spaces(&expr)
    }

    fn replaced_type(ty: proc_macro2::TokenStream) -> String {
        let self_ty: syn::Type = syn::parse_quote!(Point<T>);
        let mut ty: syn::Type = syn::parse2(ty).unwrap();
        ReplaceSelf::new(&self_ty).visit_type_mut(&mut ty);
        without_spaces(&ty)
    }

    /// The tokens as text without spaces (`>>` and `> >` print differently, mean the same).
    fn without_spaces(tokens: &impl ToTokens) -> String {
        tokens.to_token_stream().to_string().replace(' ', "")
    }

    #[test]
    fn a_constructor_gets_a_turbofish() {
        assert_eq!(
            replaced_expr(quote!(Self(0))),
            without_spaces(&quote!(Point::<T>(0)))
        );
        assert_eq!(
            replaced_expr(quote!(Self)),
            without_spaces(&quote!(Point::<T>))
        );
        assert_eq!(
            replaced_expr(quote!(Self { x: 0 })),
            without_spaces(&quote!(Point::<T> { x: 0 }))
        );
    }

    #[test]
    fn an_associated_item_gets_a_qualified_path() {
        assert_eq!(
            replaced_expr(quote!(Self::new())),
            without_spaces(&quote!(<Point<T>>::new()))
        );
        assert_eq!(
            replaced_type(quote!(Self::Output)),
            without_spaces(&quote!(<Point<T>>::Output))
        );
    }

    #[test]
    fn a_type_is_the_type_itself_at_any_depth() {
        assert_eq!(
            replaced_type(quote!(Vec<Self>)),
            without_spaces(&quote!(Vec<Point<T>>))
        );
        assert_eq!(
            replaced_expr(quote!(Vec::<Self>::new())),
            without_spaces(&quote!(Vec::<Point<T>>::new()))
        );
    }

    #[test]
    fn a_macro_input_is_spelled_by_tokens() {
        assert_eq!(
            replaced_expr(quote!(vec![Self::new(), Self(1)])),
            without_spaces(&quote!(vec![<Point<T>>::new(), Point::<T>(1)]))
        );
    }

    #[test]
    fn other_paths_are_left_alone() {
        assert_eq!(
            replaced_expr(quote!(self.0 + Selfish::X)),
            without_spaces(&quote!(self.0 + Selfish::X))
        );
        assert_eq!(
            replaced_expr(quote!(<Self as Into<u8>>::into(x))),
            without_spaces(&quote!(<Point<T> as Into<u8>>::into(x)))
        );
    }
}
