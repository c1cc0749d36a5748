use py38::memoize;

#[derive(Clone, Hash, PartialEq, Eq)]
struct Grid;

impl Grid {
    const MAX: usize = 4;

    #[memoize(maxsize = Self::MAX * 2)]
    fn cells(&self) -> usize {
        Self::MAX
    }
}

fn main() {
    Grid.cells();
}
