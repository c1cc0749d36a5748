//! The conformance table of `shared/conformance/signature-errors.md` and CPython's own cases,
//! run through the binding functions directly (they are `const fn`s, so they run here too).

#![allow(non_upper_case_globals)]

use super::super::{Call, Param, Signature};
use super::{
    NO_SLOT, complete, keyword_error, keyword_slot, missing_error, positional_slot,
    too_many_positional,
};

const fn param(name: &'static str, default: bool) -> Param {
    Param { name, default }
}

/// `def f(a, b, /, c, d=4, *, e, f=6)`
const F: Signature = Signature {
    name: "f",
    params: &[
        param("a", false),
        param("b", false),
        param("c", false),
        param("d", true),
        param("e", false),
        param("f", true),
    ],
    positional_only: 2,
    positional: 4,
    receiver: false,
};

/// Binds a call the way `call!` does, argument by argument, and collects the errors.
fn bind(
    sig: &Signature,
    positional: usize,
    keywords: &'static [&'static str],
) -> Result<Vec<usize>, Vec<String>> {
    let call = Call {
        positional,
        keywords,
    };
    let mut slots = Vec::new();
    let mut errors = Vec::new();
    for index in 0..positional {
        match positional_slot(sig, &call, index) {
            NO_SLOT => errors.push(too_many_positional(sig, &call).as_str().to_owned()),
            slot => slots.push(slot),
        }
    }
    for index in 0..keywords.len() {
        match keyword_slot(sig, &call, index) {
            NO_SLOT => errors.push(keyword_error(sig, &call, index).as_str().to_owned()),
            slot => slots.push(slot),
        }
    }
    if !complete(sig, &call) {
        errors.push(missing_error(sig, &call).as_str().to_owned());
    }
    if errors.is_empty() {
        Ok(slots)
    } else {
        Err(errors)
    }
}

fn error(sig: &Signature, positional: usize, keywords: &'static [&'static str]) -> String {
    match bind(sig, positional, keywords) {
        Ok(slots) => panic!("accepted, slots {slots:?}"),
        Err(errors) => errors.join("\n"),
    }
}

#[test]
fn accepted_calls_fill_slots_in_order() {
    assert_eq!(bind(&F, 3, &["d", "e", "f"]), Ok(vec![0, 1, 2, 3, 4, 5]));
    assert_eq!(bind(&F, 3, &["e"]), Ok(vec![0, 1, 2, 4]));
    assert_eq!(bind(&F, 2, &["e", "d", "c"]), Ok(vec![0, 1, 4, 3, 2]));
    assert_eq!(bind(&F, 4, &["f", "e"]), Ok(vec![0, 1, 2, 3, 5, 4]));
}

#[test]
fn conformance_table() {
    assert_eq!(
        error(&F, 1, &["b", "c", "e"]),
        "f() got some positional-only arguments passed as keyword arguments: 'b'"
    );
    assert_eq!(
        error(&F, 5, &["f"]),
        "f() takes from 3 to 4 positional arguments but 5 positional arguments \
         (and 1 keyword-only argument) were given"
    );
    assert_eq!(
        error(&F, 7, &[]),
        "f() takes from 3 to 4 positional arguments but 7 were given"
    );
    assert_eq!(
        error(&F, 3, &[]),
        "f() missing 1 required keyword-only argument: 'e'"
    );
    assert_eq!(
        error(&F, 3, &["c", "e"]),
        "f() got multiple values for argument 'c'"
    );
    assert_eq!(
        error(&F, 3, &["e", "g"]),
        "f() got an unexpected keyword argument 'g'"
    );
    assert_eq!(
        error(&F, 0, &["e"]),
        "f() missing 3 required positional arguments: 'a', 'b', and 'c'"
    );
    assert_eq!(
        error(&F, 1, &["e"]),
        "f() missing 2 required positional arguments: 'b' and 'c'"
    );
    assert_eq!(
        error(&F, 2, &["e"]),
        "f() missing 1 required positional argument: 'c'"
    );
}

#[test]
fn keyword_only_and_positional_only_signatures() {
    // def g(*, e, f)
    const g: Signature = Signature {
        name: "g",
        params: &[param("e", false), param("f", false)],
        positional_only: 0,
        positional: 0,
        receiver: false,
    };
    assert_eq!(
        error(&g, 0, &[]),
        "g() missing 2 required keyword-only arguments: 'e' and 'f'"
    );
    assert_eq!(
        error(&g, 1, &["e", "f"]),
        "g() takes 0 positional arguments but 1 positional argument \
         (and 2 keyword-only arguments) were given"
    );
    // def h(a, b, /)
    const h: Signature = Signature {
        name: "h",
        params: &[param("a", false), param("b", false)],
        positional_only: 2,
        positional: 2,
        receiver: false,
    };
    assert_eq!(
        error(&h, 0, &["a", "b"]),
        "h() got some positional-only arguments passed as keyword arguments: 'a, b'"
    );
    assert_eq!(
        error(&h, 3, &[]),
        "h() takes 2 positional arguments but 3 were given"
    );
    assert_eq!(
        error(&h, 1, &[]),
        "h() missing 1 required positional argument: 'b'"
    );
}

#[test]
fn counts_and_plurals_follow_python() {
    // def one(a)
    const one: Signature = Signature {
        name: "one",
        params: &[param("a", false)],
        positional_only: 0,
        positional: 1,
        receiver: false,
    };
    assert_eq!(
        error(&one, 2, &[]),
        "one() takes 1 positional argument but 2 were given"
    );
    // def none(): no parameters, one argument: "was".
    const none: Signature = Signature {
        name: "none",
        params: &[],
        positional_only: 0,
        positional: 0,
        receiver: false,
    };
    assert_eq!(
        error(&none, 1, &[]),
        "none() takes 0 positional arguments but 1 was given"
    );
    // def opt(a=1)
    const opt: Signature = Signature {
        name: "opt",
        params: &[param("a", true)],
        positional_only: 0,
        positional: 1,
        receiver: false,
    };
    assert_eq!(
        error(&opt, 2, &[]),
        "opt() takes from 0 to 1 positional argument but 2 were given"
    );
    assert_eq!(
        error(&opt, 0, &["x"]),
        "opt() got an unexpected keyword argument 'x'"
    );
}

#[test]
fn each_mistake_is_reported_once() {
    // Two extra positional arguments: one error, on the first of them.
    let errors = bind(&F, 6, &["e"]).unwrap_err();
    assert_eq!(errors.len(), 1, "{errors:?}");
    // An unknown keyword and a missing argument are two mistakes.
    let errors = bind(&F, 3, &["g"]).unwrap_err();
    assert_eq!(
        errors,
        [
            "f() got an unexpected keyword argument 'g'",
            "f() missing 1 required keyword-only argument: 'e'"
        ]
    );
    // Two positional-only names passed by keyword: one message naming both.
    let errors = bind(&F, 0, &["a", "b", "c", "e"]).unwrap_err();
    assert_eq!(
        errors,
        ["f() got some positional-only arguments passed as keyword arguments: 'a, b'"]
    );
}

#[test]
fn many_missing_names_keep_an_exact_count() {
    let names: Vec<&'static str> = (0..70).map(|i| &*String::leak(format!("p{i}"))).collect();
    let params: Vec<Param> = names.iter().map(|name| param(name, false)).collect();
    let wide = Signature {
        name: "wide",
        params: params.leak(),
        positional_only: 0,
        positional: 70,
        receiver: false,
    };
    let message = error(&wide, 0, &[]);
    assert!(
        message.starts_with("wide() missing 70 required positional arguments: 'p0', 'p1', "),
        "{message}"
    );
    assert!(message.ends_with("..."), "{message}");
}

#[test]
fn a_method_counts_its_receiver_as_python_counts_self() {
    // class Point: def moved(self, dx, dy=0, *, scale=1)
    const moved: Signature = Signature {
        name: "Point.moved",
        params: &[param("dx", false), param("dy", true), param("scale", true)],
        positional_only: 0,
        positional: 2,
        receiver: true,
    };
    assert_eq!(
        bind(&moved, 3, &[]).unwrap_err(),
        ["Point.moved() takes from 2 to 3 positional arguments but 4 were given"]
    );
    assert_eq!(
        bind(&moved, 3, &["scale"]).unwrap_err(),
        [
            "Point.moved() takes from 2 to 3 positional arguments but 4 positional arguments \
          (and 1 keyword-only argument) were given"
        ]
    );
    assert_eq!(
        bind(&moved, 0, &["dy"]).unwrap_err(),
        ["Point.moved() missing 1 required positional argument: 'dx'"]
    );
    assert_eq!(bind(&moved, 1, &["scale"]), Ok(vec![0, 2]));
}
