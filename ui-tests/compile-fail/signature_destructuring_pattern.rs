#![allow(unused_variables)]

use py38::signature;

#[signature(point, scale = 1)]
fn norm((x, y): (i32, i32), scale: i32) -> i32 {
    (x + y) * scale
}

struct Point {
    x: i32,
}

#[signature(p)]
fn get_x(Point { x }: Point) -> i32 {
    x
}

fn main() {}
