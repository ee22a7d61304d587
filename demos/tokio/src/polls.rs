//! Counting the polls of a future: the evidence of what the cooperative
//! budget did.  A task that drains an always-ready source is polled once per
//! drain without the budget, and once per 128 ready awaits with it.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

/// Wraps `F`; its output is `F`'s output and the number of times it was
/// polled.  Boxed so that the wrapper is Unpin without pin projection.
pub struct CountPolls<F> {
	inner: Pin<Box<F>>,
	polls: u64,
}

impl<F: Future> CountPolls<F> {
	pub fn new(f: F) -> CountPolls<F> {
		CountPolls { inner: Box::pin(f), polls: 0 }
	}
}

impl<F: Future> Future for CountPolls<F> {
	type Output = (F::Output, u64);

	fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
		let this = &mut *self;
		this.polls += 1;
		match this.inner.as_mut().poll(cx) {
			Poll::Ready(v) => Poll::Ready((v, this.polls)),
			Poll::Pending => Poll::Pending,
		}
	}
}

#[cfg(test)]
mod tests {
	use super::*;

	#[test]
	fn counts_every_poll() {
		let rt = tokio::runtime::Builder::new_current_thread().build().unwrap();
		let (v, polls) = rt.block_on(CountPolls::new(async {
			tokio::task::yield_now().await;
			tokio::task::yield_now().await;
			7
		}));
		assert_eq!(v, 7);
		assert_eq!(polls, 3);
	}
}
