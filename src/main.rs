//! The `ibcert` binary. Everything but the allocator lives in the library (`ibcert::cli`).
//!
//! The allocator: MPFR numbers are small heap blocks (a few limbs each), made and freed
//! by the million in a run (every temporary of the right-hand side, the Newton
//! iteration and the linear algebra), so the allocator is a visible share of the time.
//! The binary uses mimalloc for Rust's allocations and, through
//! `mp_set_memory_functions`, for GMP's and MPFR's, set before any GMP call. Values do
//! not depend on the allocator: results are the same bit for bit.

use gmp_mpfr_sys::gmp;
use libmimalloc_sys::{mi_free, mi_malloc, mi_realloc};
use std::ffi::c_void;

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// GMP does not check what its allocation functions return: out of memory is fatal
/// here, as with GMP's own functions.
fn out_of_memory(size: usize) -> ! {
    eprintln!("ibcert: out of memory (allocating {size} bytes for GMP)");
    std::process::abort()
}

extern "C" fn gmp_alloc(size: usize) -> *mut c_void {
    // SAFETY: mi_malloc takes any size and returns a block or null
    let p = unsafe { mi_malloc(size) };
    if p.is_null() {
        out_of_memory(size);
    }
    p
}

unsafe extern "C" fn gmp_realloc(ptr: *mut c_void, _old: usize, new: usize) -> *mut c_void {
    // SAFETY: ptr came from gmp_alloc or gmp_realloc (set before any GMP allocation)
    let p = unsafe { mi_realloc(ptr, new) };
    if p.is_null() {
        out_of_memory(new);
    }
    p
}

unsafe extern "C" fn gmp_free(ptr: *mut c_void, _size: usize) {
    // SAFETY: ptr came from gmp_alloc or gmp_realloc
    unsafe { mi_free(ptr) }
}

fn main() {
    // SAFETY: the first thing the process does, before any GMP or MPFR allocation, so
    // every block GMP frees was allocated by these functions
    unsafe {
        gmp::set_memory_functions(Some(gmp_alloc), Some(gmp_realloc), Some(gmp_free));
    }
    std::process::exit(ibcert::cli::main());
}
