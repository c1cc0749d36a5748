#![allow(unused_variables)]

use py38::signature;

#[signature(a, /, /)]
fn slash_twice(a: i32) {}

#[signature(/, a)]
fn leading_slash(a: i32) {}

#[signature(*)]
fn bare_star_at_the_end() {}

#[signature(*, a, /)]
fn slash_after_star(a: i32) {}

#[signature(a = 1, b)]
fn non_default_after_default(a: i32, b: i32) {}

#[signature(a, a)]
fn duplicate(a: i32, b: i32) {}

#[signature(a, *args)]
fn varargs(a: i32, args: Vec<i32>) {}

#[signature(a, **kwargs)]
fn kwargs(a: i32, kwargs: Vec<i32>) {}

#[signature(a, *, b, *, c)]
fn star_twice(a: i32, b: i32, c: i32) {}

fn main() {}
