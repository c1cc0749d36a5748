use py38::call;

fn main() {
    call!();
}
