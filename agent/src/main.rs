//! The `rekam-agent` command.
#![forbid(unsafe_code)]

fn main() {
    println!("rekam-agent");
}
