//! A tiny JSON object writer: the demos print one flat-ish object at exit,
//! so an ordered builder is enough (no JSON crate needed offline).

use std::fmt::Write;

/// An object under construction; keys keep the order they were added in.
#[derive(Default)]
pub struct Obj {
	buf: String,
}

fn escape(out: &mut String, s: &str) {
	out.push('"');
	for ch in s.chars() {
		match ch {
			'"' => out.push_str("\\\""),
			'\\' => out.push_str("\\\\"),
			'\n' => out.push_str("\\n"),
			c if (c as u32) < 0x20 => {
				let _ = write!(out, "\\u{:04x}", c as u32);
			}
			c => out.push(c),
		}
	}
	out.push('"');
}

impl Obj {
	pub fn new() -> Obj {
		Obj::default()
	}

	fn key(&mut self, k: &str) {
		self.buf.push_str(if self.buf.is_empty() { "{" } else { ", " });
		escape(&mut self.buf, k);
		self.buf.push_str(": ");
	}

	pub fn str(mut self, k: &str, v: &str) -> Obj {
		self.key(k);
		escape(&mut self.buf, v);
		self
	}

	pub fn uint(mut self, k: &str, v: u64) -> Obj {
		self.key(k);
		let _ = write!(self.buf, "{v}");
		self
	}

	/// A float with `prec` decimals; non-finite values (never expected) as 0
	/// so that the output always parses.
	pub fn float(mut self, k: &str, v: f64, prec: usize) -> Obj {
		self.key(k);
		let v = if v.is_finite() { v } else { 0.0 };
		let _ = write!(self.buf, "{v:.prec$}");
		self
	}

	/// A real in full precision, always with a fraction or exponent ("3.0"),
	/// as jansson prints json_real.
	pub fn real(mut self, k: &str, v: f64) -> Obj {
		self.key(k);
		let v = if v.is_finite() { v } else { 0.0 };
		let _ = write!(self.buf, "{v:?}");
		self
	}

	/// An array of integers, "[1, 2]".
	pub fn uints(mut self, k: &str, v: &[u64]) -> Obj {
		self.key(k);
		self.buf.push('[');
		for (i, n) in v.iter().enumerate() {
			let _ = write!(self.buf, "{}{n}", if i > 0 { ", " } else { "" });
		}
		self.buf.push(']');
		self
	}

	/// An array of floats with `prec` decimals, "[0.5, 1.0]".
	pub fn floats(mut self, k: &str, v: &[f64], prec: usize) -> Obj {
		self.key(k);
		self.buf.push('[');
		for (i, x) in v.iter().enumerate() {
			let x = if x.is_finite() { *x } else { 0.0 };
			let _ = write!(self.buf, "{}{x:.prec$}", if i > 0 { ", " } else { "" });
		}
		self.buf.push(']');
		self
	}

	pub fn bool(mut self, k: &str, v: bool) -> Obj {
		self.key(k);
		self.buf.push_str(if v { "true" } else { "false" });
		self
	}

	pub fn obj(mut self, k: &str, v: Obj) -> Obj {
		self.key(k);
		self.buf.push_str(&v.finish());
		self
	}

	pub fn finish(self) -> String {
		if self.buf.is_empty() {
			"{}".to_string()
		} else {
			self.buf + "}"
		}
	}
}

#[cfg(test)]
mod tests {
	use super::*;

	#[test]
	fn nested_and_escaped() {
		let o = Obj::new()
			.str("a\"b", "x\ny")
			.uint("n", 3)
			.real("s", 3.0)
			.float("f", 1.25, 1)
			.obj("o", Obj::new().bool("t", true))
			.obj("e", Obj::new())
			.uints("a", &[1, 22])
			.uints("z", &[]);
		assert_eq!(
			o.finish(),
			r#"{"a\"b": "x\ny", "n": 3, "s": 3.0, "f": 1.2, "o": {"t": true}, "e": {}, "a": [1, 22], "z": []}"#
		);
	}
}
