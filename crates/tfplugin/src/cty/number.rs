//! Exact decimal text for cty numbers.
//!
//! go-cty numbers are arbitrary-precision decimals. Terraform sends a number as a msgpack
//! string (or an arbitrary-precision JSON number) whenever it is neither an exact `int64` nor
//! an exact `float64`, e.g. `0.1` written in configuration. Such a number must come back
//! unchanged, so it is only turned into an `f64` when that is lossless; otherwise it stays text.

use super::Number;

/// Largest decimal exponent accepted in number text (go-cty rejects absurd exponents too).
const MAX_EXPONENT: i64 = 1_000_000_000;

/// Significant digits that suffice to write any finite `f64` exactly (767 for the smallest
/// subnormal, rounded up).
const F64_EXACT_DIGITS: usize = 770;

/// A decimal number `(-1)^neg × digits × 10^exp`. `digits` are ASCII digits with no leading
/// or trailing zeros; zero is the empty digit string with `neg == false` and `exp == 0`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Decimal {
    neg: bool,
    digits: Vec<u8>,
    exp: i64,
}

impl Decimal {
    /// Parses `[+-]digits[.digits][(e|E)[+-]digits]` (`.5` and `5.` are accepted). Returns the
    /// decimal and whether the text was a plain integer literal (no point, no exponent).
    pub(crate) fn parse(text: &str) -> Option<(Decimal, bool)> {
        let b = text.as_bytes();
        let mut i = 0;
        let neg = match b.first() {
            Some(b'-') => {
                i = 1;
                true
            }
            Some(b'+') => {
                i = 1;
                false
            }
            _ => false,
        };
        let int_start = i;
        while i < b.len() && b[i].is_ascii_digit() {
            i += 1;
        }
        let int_part = &b[int_start..i];
        let mut frac_part: &[u8] = &[];
        let mut integer_literal = true;
        if i < b.len() && b[i] == b'.' {
            integer_literal = false;
            i += 1;
            let start = i;
            while i < b.len() && b[i].is_ascii_digit() {
                i += 1;
            }
            frac_part = &b[start..i];
        }
        if int_part.is_empty() && frac_part.is_empty() {
            return None;
        }
        let mut exp: i64 = 0;
        if i < b.len() && (b[i] == b'e' || b[i] == b'E') {
            integer_literal = false;
            i += 1;
            let exp_neg = match b.get(i) {
                Some(b'-') => {
                    i += 1;
                    true
                }
                Some(b'+') => {
                    i += 1;
                    false
                }
                _ => false,
            };
            let start = i;
            while i < b.len() && b[i].is_ascii_digit() {
                exp = exp * 10 + i64::from(b[i] - b'0');
                if exp > MAX_EXPONENT {
                    return None;
                }
                i += 1;
            }
            if i == start {
                return None;
            }
            if exp_neg {
                exp = -exp;
            }
        }
        if i != b.len() {
            return None;
        }

        let mut digits = Vec::with_capacity(int_part.len() + frac_part.len());
        digits.extend_from_slice(int_part);
        digits.extend_from_slice(frac_part);
        let mut exp = exp - frac_part.len() as i64;
        match digits.iter().position(|&c| c != b'0') {
            None => return Some((Decimal::zero(), integer_literal)),
            Some(first) => {
                digits.drain(..first);
            }
        }
        while digits.last() == Some(&b'0') {
            digits.pop();
            exp += 1;
        }
        Some((Decimal { neg, digits, exp }, integer_literal))
    }

    fn zero() -> Decimal {
        Decimal {
            neg: false,
            digits: Vec::new(),
            exp: 0,
        }
    }

    /// The exact decimal value of a finite `f64`.
    pub(crate) fn from_f64(x: f64) -> Decimal {
        debug_assert!(x.is_finite());
        // Rust's fixed-precision float formatting is exact, so enough digits give the exact
        // binary value in decimal.
        let text = format!("{:.*e}", F64_EXACT_DIGITS, x.abs());
        let mut d = Decimal::parse(&text)
            .map(|(d, _)| d)
            .unwrap_or_else(Decimal::zero);
        d.neg = x < 0.0 && !d.digits.is_empty();
        d
    }

    /// Number of digits before the decimal point (may be zero or negative).
    fn point(&self) -> i64 {
        self.digits.len() as i64 + self.exp
    }

    /// The value as an `i64`, if it is an integer in range.
    pub(crate) fn to_i64(&self) -> Option<i64> {
        if self.digits.is_empty() {
            return Some(0);
        }
        if self.exp < 0 || self.point() > 19 {
            return None;
        }
        let mut v: i128 = 0;
        for &c in &self.digits {
            v = v * 10 + i128::from(c - b'0');
        }
        for _ in 0..self.exp {
            v *= 10;
        }
        if self.neg {
            v = -v;
        }
        i64::try_from(v).ok()
    }

    /// The value as an `f64`, if an `f64` holds it exactly.
    pub(crate) fn to_f64_exact(&self) -> Option<f64> {
        if self.digits.is_empty() {
            return Some(0.0);
        }
        // Outside these bounds no finite f64 can hold the value exactly.
        if self.digits.len() > F64_EXACT_DIGITS || self.point() > 310 || self.point() < -330 {
            return None;
        }
        let text = format!(
            "{}{}e{}",
            if self.neg { "-" } else { "" },
            std::str::from_utf8(&self.digits).ok()?,
            self.exp
        );
        let x: f64 = text.parse().ok()?;
        if x.is_finite() && Decimal::from_f64(x) == *self {
            Some(x)
        } else {
            None
        }
    }

    /// Decimal text: plain notation unless the exponent is extreme. With `float_form`, an
    /// integral value still carries a point or exponent (`3.0`), so it reads back as a float.
    pub(crate) fn to_text(&self, float_form: bool) -> String {
        if self.digits.is_empty() {
            return if float_form { "0.0".into() } else { "0".into() };
        }
        let digits = std::str::from_utf8(&self.digits).unwrap_or("0");
        let sign = if self.neg { "-" } else { "" };
        let point = self.point();
        if self.exp >= 0 && point <= 40 {
            let zeros = "0".repeat(self.exp as usize);
            let suffix = if float_form { ".0" } else { "" };
            format!("{sign}{digits}{zeros}{suffix}")
        } else if self.exp < 0 && point > 0 {
            let (int, frac) = digits.split_at(point as usize);
            format!("{sign}{int}.{frac}")
        } else if self.exp < 0 && point > -20 {
            let zeros = "0".repeat((-point) as usize);
            format!("{sign}0.{zeros}{digits}")
        } else {
            let (first, rest) = digits.split_at(1);
            let dot = if rest.is_empty() { "" } else { "." };
            format!("{sign}{first}{dot}{rest}e{}", point - 1)
        }
    }

    /// Classifies as the codecs do: an integer literal that fits `i64` → `Int`; a value an
    /// `f64` holds exactly → `Float`; another integer that fits `i64` → `Int`; else `Big`.
    pub(crate) fn into_number(self, integer_literal: bool) -> Number {
        if integer_literal {
            if let Some(i) = self.to_i64() {
                return Number::Int(i);
            }
        }
        if let Some(f) = self.to_f64_exact() {
            return Number::Float(f);
        }
        if let Some(i) = self.to_i64() {
            return Number::Int(i);
        }
        Number::Big(self.to_text(false))
    }
}

impl Number {
    /// Parses decimal number text (`12`, `-0.5`, `1e400`, `12345678901234567890123`).
    ///
    /// An integer literal that fits `i64` gives `Int`; a value an `f64` represents exactly
    /// gives `Float`; anything else gives `Big` holding normalised decimal text. `None` if the
    /// text is not a decimal number.
    pub fn parse(text: &str) -> Option<Number> {
        let (d, integer_literal) = Decimal::parse(text)?;
        Some(d.into_number(integer_literal))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dec(s: &str) -> Decimal {
        Decimal::parse(s).unwrap().0
    }

    #[test]
    fn parse_normalises() {
        assert_eq!(dec("0012.3400"), dec("1234e-2"));
        assert_eq!(dec("-0"), Decimal::zero());
        assert_eq!(dec(".5"), dec("5e-1"));
        assert_eq!(dec("5."), dec("5"));
        for bad in [
            "",
            "-",
            ".",
            "e5",
            "1e",
            "1e+",
            "1.2.3",
            "1x",
            " 1",
            "inf",
            "NaN",
            "1e9999999999",
        ] {
            assert!(Decimal::parse(bad).is_none(), "{bad:?}");
        }
    }

    #[test]
    fn classify() {
        assert_eq!(Number::parse("42"), Some(Number::Int(42)));
        assert_eq!(
            Number::parse("-9223372036854775808"),
            Some(Number::Int(i64::MIN))
        );
        assert_eq!(Number::parse("1.5"), Some(Number::Float(1.5)));
        assert_eq!(Number::parse("3.0"), Some(Number::Float(3.0)));
        assert_eq!(Number::parse("1e3"), Some(Number::Float(1000.0)));
        // 0.1 is not an exact binary fraction: it stays decimal text.
        assert_eq!(Number::parse("0.1"), Some(Number::Big("0.1".into())));
        assert_eq!(Number::parse("0.10"), Some(Number::Big("0.1".into())));
        assert_eq!(
            Number::parse("12345678901234567890123"),
            Some(Number::Big("12345678901234567890123".into()))
        );
        // 2^64 is an exact float.
        assert_eq!(
            Number::parse("18446744073709551616"),
            Some(Number::Float(18446744073709551616.0))
        );
        // An integer that fits i64 but not f64, written with a point.
        assert_eq!(
            Number::parse("9007199254740993.0"),
            Some(Number::Int(9007199254740993))
        );
        assert_eq!(Number::parse("1e400"), Some(Number::Big("1e400".into())));
        assert_eq!(
            Number::parse("-1.5e-400"),
            Some(Number::Big("-1.5e-400".into()))
        );
        assert_eq!(
            Number::parse("0.1000000000000000055511151231257827021181583404541015625"),
            Some(Number::Float(0.1))
        );
        // Not the exact value of the smallest subnormal.
        assert_eq!(Number::parse("5e-324"), Some(Number::Big("5e-324".into())));
        assert_eq!(Number::parse("abc"), None);
    }

    #[test]
    fn text_forms() {
        assert_eq!(dec("100").to_text(true), "100.0");
        assert_eq!(dec("100").to_text(false), "100");
        assert_eq!(dec("-0.00012").to_text(false), "-0.00012");
        assert_eq!(dec("1e100").to_text(false), "1e100");
        assert_eq!(dec("1.25e-30").to_text(false), "1.25e-30");
        assert_eq!(Decimal::from_f64(0.5).to_text(true), "0.5");
        assert_eq!(Decimal::from_f64(-2.0).to_text(true), "-2.0");
        assert_eq!(Decimal::from_f64(-0.0), Decimal::zero());
        for x in [
            0.1,
            1e300,
            5e-324,
            f64::MAX,
            f64::MIN_POSITIVE,
            -123.456,
            1e21,
            1e22,
        ] {
            let text = Decimal::from_f64(x).to_text(true);
            assert_eq!(Number::parse(&text), Some(Number::Float(x)), "{text}");
        }
    }
}
