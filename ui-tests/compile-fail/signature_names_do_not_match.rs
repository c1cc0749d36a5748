#![allow(unused_variables)]

use py38::signature;

#[signature(a, c, b)]
fn out_of_order(a: i32, b: i32, c: i32) {}

#[signature(a)]
fn missing_one(a: i32, b: i32) {}

#[signature(a, b, extra = 1)]
fn one_too_many(a: i32, b: i32) {}

#[signature((a, b))]
fn not_a_name(a: i32) {}

fn main() {}
