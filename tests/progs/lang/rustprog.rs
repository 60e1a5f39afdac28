// rustprog: plain functions and a generic one, for demangled Rust names.
#[inline(never)]
fn add(a: u64, b: u64) -> u64 { std::hint::black_box(a + b) }
mod shapes {
    pub struct Square(pub u64);
    impl Square {
        #[inline(never)]
        pub fn area(&self) -> u64 { std::hint::black_box(self.0 * self.0) }
    }
}
#[inline(never)]
fn twice<T: Copy + std::ops::Add<Output = T>>(x: T) -> T { std::hint::black_box(x + x) }
fn main() {
    let s = shapes::Square(3);
    println!("{} {} {}", add(1, 2), s.area(), twice(21u64));
}
