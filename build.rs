//! Builds the small C part of the library (the variadic `fuse_log`, which Rust
//! cannot define) and tells the linker the soname and the symbol-version map.

fn main() {
    let dir = std::env::var("CARGO_MANIFEST_DIR").unwrap();
    println!("cargo:rerun-if-changed=src/capi/log.c");
    println!("cargo:rerun-if-changed=src/loops/worker.c");
    println!("cargo:rerun-if-changed=src/capi/fuse3.map");
    println!("cargo:rerun-if-changed=tools/versioned-gcc");

    cc::Build::new()
        .file("src/capi/log.c")
        .file("src/loops/worker.c")
        // Unwind tables: pthread_cancel unwinds through worker.c's frame.
        .flag("-fexceptions")
        .flag_if_supported("-fvisibility=default")
        .warnings(true)
        .extra_warnings(true)
        .cargo_metadata(false)
        .compile("ferrofuse_c");
    let out = std::env::var("OUT_DIR").unwrap();
    println!("cargo:rustc-link-search=native={out}");
    // whole-archive: fuse_log is referenced only by C clients, not by Rust.
    println!("cargo:rustc-link-lib=static:+whole-archive=ferrofuse_c");

    println!("cargo:rustc-cdylib-link-arg=-Wl,-soname,libfuse3.so.3");
    println!("cargo:rustc-cdylib-link-arg=-Wl,--version-script={dir}/src/capi/fuse3.map");
    // Without our linker driver the library would export unversioned symbols,
    // which makes every existing libfuse client abort at load time.
    match std::env::var("RUSTC_LINKER") {
        Ok(l) if l.ends_with("versioned-gcc") => {}
        _ => println!(
            "cargo:warning=libfuse3.so is being linked without tools/versioned-gcc: \
             its symbols will lack libfuse's versions (build from the ferrofuse directory)"
        ),
    }
}
