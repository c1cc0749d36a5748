//! Names the lifetimes a signature leaves out (`&str`, `Cow<'_, str>`), so that the handle's
//! items, which take no references themselves, can spell the parameter and return types.

use proc_macro2::Span;
use syn::visit_mut::{self, VisitMut};
use syn::{Lifetime, PathArguments, ReturnType, Type, TypeBareFn, TypeReference};

/// Parameter types and the return type with every elided lifetime named, and the new names.
pub(crate) struct Named {
    /// A method's receiver type (`&'__py38_0 Point` for `&self`), when there is one.
    pub(crate) receiver: Option<Type>,
    pub(crate) params: Vec<Type>,
    pub(crate) output: ReturnType,
    /// The new names, the receiver's first.
    pub(crate) added: Vec<Lifetime>,
    /// How many of `added` are the receiver's.
    pub(crate) receiver_added: usize,
}

pub(crate) fn name_elided(receiver: Option<&Type>, params: &[&Type], output: &ReturnType) -> Named {
    let mut namer = Elided::Name(Vec::new());
    let mut name = |ty: &Type| {
        let mut ty = ty.clone();
        namer.visit_type_mut(&mut ty);
        ty
    };
    let receiver = receiver.map(&mut name);
    let receiver_lifetimes = lifetimes(receiver.iter());
    let params: Vec<Type> = params.iter().map(|ty| name(ty)).collect();
    let Elided::Name(added) = namer else {
        unreachable!("the namer stays a namer")
    };
    // Rust's elision rules: a method's elided output lifetimes are its receiver's (when the
    // receiver borrows); otherwise, with exactly one lifetime among the inputs, they are that
    // one. Otherwise the function itself does not compile.
    let inputs = lifetimes(receiver.iter().chain(&params));
    let mut output = output.clone();
    if let Some(lifetime) = receiver_lifetimes.first().or(match &inputs[..] {
        [only] => Some(only),
        _ => None,
    }) {
        Elided::Fill(lifetime.clone()).visit_return_type_mut(&mut output);
    }
    let receiver_added = added
        .iter()
        .filter(|l| receiver_lifetimes.contains(l))
        .count();
    Named {
        receiver,
        params,
        output,
        added,
        receiver_added,
    }
}

/// Every lifetime named in `types` but `'static`, once each, in order.
pub(crate) fn lifetimes<'t>(types: impl Iterator<Item = &'t Type>) -> Vec<Lifetime> {
    let mut collect = Elided::Collect(Vec::new());
    for ty in types {
        collect.visit_type_mut(&mut ty.clone());
    }
    let Elided::Collect(found) = collect else {
        unreachable!("the collector stays a collector")
    };
    found
}

/// One walk over a type's lifetimes, outside `fn(..)` types and `Fn(..)` bounds (which bind
/// their own).
enum Elided {
    /// Names each elided lifetime `'__py38_N`, recording the new names.
    Name(Vec<Lifetime>),
    /// Records each named lifetime but `'static`, once.
    Collect(Vec<Lifetime>),
    /// Gives each elided lifetime this one.
    Fill(Lifetime),
}

impl Elided {
    /// What an elided lifetime becomes, if this walk changes it.
    fn replace(&mut self) -> Option<Lifetime> {
        match self {
            Elided::Name(added) => {
                let lifetime =
                    Lifetime::new(&format!("'__py38_{}", added.len()), Span::call_site());
                added.push(lifetime.clone());
                Some(lifetime)
            }
            Elided::Collect(_) => None,
            Elided::Fill(lifetime) => Some(lifetime.clone()),
        }
    }
}

impl VisitMut for Elided {
    fn visit_type_reference_mut(&mut self, reference: &mut TypeReference) {
        if reference.lifetime.as_ref().is_none_or(|l| l.ident == "_")
            && let Some(lifetime) = self.replace()
        {
            reference.lifetime = Some(lifetime);
        }
        visit_mut::visit_type_reference_mut(self, reference);
    }

    fn visit_lifetime_mut(&mut self, lifetime: &mut Lifetime) {
        if let Elided::Collect(seen) = self {
            if lifetime.ident != "static" && !seen.contains(lifetime) {
                seen.push(lifetime.clone());
            }
        } else if lifetime.ident == "_"
            && let Some(named) = self.replace()
        {
            *lifetime = named;
        }
    }

    fn visit_type_bare_fn_mut(&mut self, _: &mut TypeBareFn) {}

    fn visit_path_arguments_mut(&mut self, arguments: &mut PathArguments) {
        if !matches!(arguments, PathArguments::Parenthesized(_)) {
            visit_mut::visit_path_arguments_mut(self, arguments);
        }
    }
}

#[cfg(test)]
mod tests {
    use quote::{ToTokens, quote};
    use syn::{ReturnType, Type};

    use super::name_elided;

    fn run(params: &[Type], output: ReturnType) -> (Vec<String>, String, usize) {
        let refs: Vec<&Type> = params.iter().collect();
        let named = name_elided(None, &refs, &output);
        (
            named
                .params
                .iter()
                .map(|t| t.to_token_stream().to_string())
                .collect(),
            named.output.to_token_stream().to_string(),
            named.added.len(),
        )
    }

    #[test]
    fn elided_inputs_get_names_and_one_flows_to_the_output() {
        let (params, output, added) = run(
            &[syn::parse_quote!(&str), syn::parse_quote!(u8)],
            syn::parse_quote!(-> &str),
        );
        assert_eq!(params, ["& '__py38_0 str", "u8"]);
        assert_eq!(output, quote!(-> &'__py38_0 str).to_string());
        assert_eq!(added, 1);
    }

    #[test]
    fn named_lifetimes_stay_and_higher_ranked_ones_are_left_alone() {
        let (params, output, added) = run(
            &[
                syn::parse_quote!(&'a [u8]),
                syn::parse_quote!(fn(&u8) -> &u8),
                syn::parse_quote!(Box<dyn Fn(&str) -> usize>),
            ],
            syn::parse_quote!(-> Cow<'_, str>),
        );
        assert_eq!(params[0], "& 'a [u8]");
        assert_eq!(params[1], quote!(fn(&u8) -> &u8).to_string());
        assert_eq!(params[2], quote!(Box<dyn Fn(&str) -> usize>).to_string());
        assert_eq!(output, quote!(-> Cow<'a, str>).to_string());
        assert_eq!(added, 0);
    }

    #[test]
    fn a_borrowing_receiver_gives_the_output_its_lifetime() {
        let receiver: Type = syn::parse_quote!(&Point);
        let params: [Type; 1] = [syn::parse_quote!(&str)];
        let refs: Vec<&Type> = params.iter().collect();
        let named = name_elided(Some(&receiver), &refs, &syn::parse_quote!(-> &str));
        let receiver = named.receiver.map(|r| r.to_token_stream().to_string());
        assert_eq!(receiver.as_deref(), Some("& '__py38_0 Point"));
        assert_eq!(
            named.params[0].to_token_stream().to_string(),
            "& '__py38_1 str"
        );
        let output = named.output.to_token_stream().to_string();
        assert_eq!(output, quote!(-> &'__py38_0 str).to_string());
        assert_eq!((named.added.len(), named.receiver_added), (2, 1));
    }

    #[test]
    fn two_input_lifetimes_leave_the_output_as_written() {
        let (_, output, added) = run(
            &[syn::parse_quote!(&str), syn::parse_quote!(Cow<'_, str>)],
            syn::parse_quote!(-> &str),
        );
        assert_eq!(output, quote!(-> &str).to_string());
        assert_eq!(added, 2);
    }
}
