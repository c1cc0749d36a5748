use py38::call;

fn main() {
    let point = (1, 2);
    call!(point.0);
    call!(1 + 2);
    call!(<i32 as Default>::default());
    call!(f(a.b = 1));
}
