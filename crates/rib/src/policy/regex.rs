//! FRR's regular expressions, translated for `regex-lite`.
//!
//! bgpd compiles AS-path and community regexes as POSIX extended regexes after one
//! substitution: `_` stands for any delimiter of the AS path text, i.e. the beginning or end
//! of the string, a space, a comma, `{`, `}`, `(` or `)` (FRR user guide, "AS Path Regular
//! Expression"). We make the same substitution and compile once with `regex-lite`, whose
//! syntax agrees with POSIX ERE on what policy configurations use: anchors, `.`, bracket
//! expressions including `[[:digit:]]`, `* + ?`, `{m,n}`, alternation and groups.
//!
//! Two deliberate differences from FRR's textual substitution: an `_` inside a bracket
//! expression stays a literal underscore (FRR would splice a group into the brackets, which
//! cannot have been meant), and `\_` is a literal underscore.

use core::fmt;

use super::PolicyError;

/// What FRR's `_` becomes: a non-capturing group of every AS-path delimiter.
const UNDERSCORE: &str = "(?:^|[,{}() ]|$)";

/// A regex written in FRR's dialect, compiled once.
#[derive(Clone)]
pub struct FrrRegex {
    source: String,
    re: regex_lite::Regex,
}

impl FrrRegex {
    /// Translates and compiles `source`; the error names the regex (line 0: the parser sets
    /// the line).
    pub fn new(source: &str) -> Result<FrrRegex, PolicyError> {
        let translated = translate(source);
        let re = regex_lite::Regex::new(&translated)
            .map_err(|e| PolicyError::new(0, format!("bad regex '{source}': {e}")))?;
        Ok(FrrRegex { source: source.to_owned(), re })
    }

    /// The regex as written.
    pub fn as_str(&self) -> &str {
        &self.source
    }

    /// True when the regex matches anywhere in `text` (POSIX `regexec` is unanchored too).
    pub fn is_match(&self, text: &str) -> bool {
        self.re.is_match(text)
    }
}

impl fmt::Debug for FrrRegex {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "FrrRegex({:?})", self.source)
    }
}

impl PartialEq for FrrRegex {
    fn eq(&self, other: &Self) -> bool {
        self.source == other.source
    }
}

impl Eq for FrrRegex {}

/// Rewrites FRR's `_` outside bracket expressions; everything else is copied.
pub(crate) fn translate(src: &str) -> String {
    let mut out = String::with_capacity(src.len() + 16);
    let mut chars = src.chars().peekable();
    let mut in_class = false;
    while let Some(c) = chars.next() {
        match c {
            '\\' => match chars.next() {
                Some('_') => out.push('_'),
                Some(n) => {
                    out.push('\\');
                    out.push(n);
                }
                None => out.push('\\'),
            },
            '[' if !in_class => {
                in_class = true;
                out.push('[');
                if chars.peek() == Some(&'^') {
                    chars.next();
                    out.push('^');
                }
                // POSIX: a `]` right after the opening bracket is a literal.
                if chars.peek() == Some(&']') {
                    chars.next();
                    out.push_str("\\]");
                }
            }
            '[' => {
                // A POSIX class such as `[:digit:]` is copied whole; any other `[` inside a
                // bracket expression is a literal.
                if chars.peek() == Some(&':') {
                    out.push('[');
                    for n in chars.by_ref() {
                        out.push(n);
                        if n == ']' {
                            break;
                        }
                    }
                } else {
                    out.push_str("\\[");
                }
            }
            ']' if in_class => {
                in_class = false;
                out.push(']');
            }
            '_' if !in_class => out.push_str(UNDERSCORE),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn re(s: &str) -> FrrRegex {
        FrrRegex::new(s).unwrap()
    }

    /// FRR user guide, "AS Path Regular Expression": `_` matches space, comma, the AS set
    /// delimiters `{` `}`, the confederation delimiters `(` `)`, and the beginning and end of
    /// the line, so `_7675_` finds AS 7675 anywhere as a whole number.
    #[test]
    fn underscore_matches_every_delimiter() {
        let r = re("_7675_");
        for text in [
            "7675",
            "1 7675",
            "7675 2",
            "1 7675 2",
            "1 {7675,3}",
            "{3,7675}",
            "(7675 1) 2",
            "1 (2 7675)",
        ] {
            assert!(r.is_match(text), "{text}");
        }
        for text in ["17675", "76751", "1 27675 3", ""] {
            assert!(!r.is_match(text), "{text}");
        }
    }

    #[test]
    fn table_of_frr_idioms() {
        // (regex, text, matches)
        let cases = [
            ("^$", "", true),
            ("^$", "65001", false),
            ("^65001_", "65001 65002", true),
            ("^65001_", "650011 65002", false),
            ("_65002$", "65001 65002", true),
            ("^65001$", "65001", true),
            ("^[0-9]+$", "65001", true),
            ("^[[:digit:]]+_[[:digit:]]+$", "1 2", true),
            ("^(65001_)+$", "65001 65001 65001", true),
            ("^6500[1-3]_", "65003 1", true),
            ("\\{65003,65004\\}", "65001 {65003,65004}", true),
            ("^[_]", "_x", true),
            ("a\\_b", "a_b", true),
            (".*", "", true),
        ];
        for (r, text, want) in cases {
            assert_eq!(re(r).is_match(text), want, "{r} on {text:?}");
        }
    }

    #[test]
    fn bad_regex_names_itself() {
        let e = FrrRegex::new("(65001").unwrap_err();
        assert_eq!(e.line, 0);
        assert!(e.reason.contains("'(65001'"), "{}", e.reason);
    }

    #[test]
    fn translation_is_textual() {
        assert_eq!(translate("_1_"), "(?:^|[,{}() ]|$)1(?:^|[,{}() ]|$)");
        assert_eq!(translate("[]a]"), "[\\]a]");
        assert_eq!(translate("[^_]"), "[^_]");
    }
}
