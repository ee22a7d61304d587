//! tokio_many: a Tokio program with 512 task types, so 512 instances of
//! tokio::runtime::task::raw::poll, for measuring how long observe's Tokio
//! tier takes to attach to a binary with many instances
//! (scripts/bench-observer.sh, docs/bench-observer.md).  Not a demo: built
//! only by `make tokio-many`.
//!
//! Each level of a nested tuple type spawns one task whose future is
//! generic over that level's type: 2^9 levels, 512 distinct future types.
//! The program then runs them all once and sleeps for the given seconds so
//! that a tracer can attach (-p) or observe it launched.

#![recursion_limit = "2048"]

use std::marker::PhantomData;
use std::time::Duration;
use tokio::runtime::{Builder, Handle};

trait SpawnAll {
	fn spawn_all(h: &Handle);
}

impl SpawnAll for () {
	fn spawn_all(_: &Handle) {}
}

impl<T: SpawnAll + Send + 'static> SpawnAll for (T,) {
	fn spawn_all(h: &Handle) {
		let marker = PhantomData::<T>;
		h.spawn(async move {
			let _ = marker;
			tokio::task::yield_now().await;
		});
		T::spawn_all(h);
	}
}

type X2<T> = ((T,),);
type X4<T> = X2<X2<T>>;
type X8<T> = X4<X4<T>>;
type X16<T> = X8<X8<T>>;
type X32<T> = X16<X16<T>>;
type X64<T> = X32<X32<T>>;
type X128<T> = X64<X64<T>>;
type X256<T> = X128<X128<T>>;
type X512<T> = X256<X256<T>>;

fn main() {
	let secs: f64 = std::env::args()
		.nth(1)
		.and_then(|s| s.parse().ok())
		.unwrap_or(2.0);
	let rt = Builder::new_multi_thread()
		.worker_threads(2)
		.enable_time()
		.build()
		.unwrap_or_else(|e| {
			eprintln!("tokio_many: cannot build the runtime: {e}");
			std::process::exit(1);
		});
	rt.block_on(async {
		<X512<()> as SpawnAll>::spawn_all(&Handle::current());
		tokio::time::sleep(Duration::from_secs_f64(secs)).await;
	});
}
