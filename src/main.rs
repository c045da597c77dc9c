fn main() {
    std::process::exit(ibcert::cli::main());
}
