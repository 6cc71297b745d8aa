//! Loading the real prefix sets of `../shared/data` (one prefix a line, gzip).

use std::fs::File;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};

use flate2::read::GzDecoder;
use ipnet::IpNet;

/// The full IPv4 table of RIPE RIS rrc00, peer AS3333, 2026-05-11 (1,042,325 prefixes).
pub const IPV4_FILE: &str = "ris-rrc00-as3333-20260511-ipv4.txt.gz";
/// The same for IPv6 (246,175 prefixes).
pub const IPV6_FILE: &str = "ris-rrc00-as3333-20260511-ipv6.txt.gz";

/// Environment variable naming the data folder, when it is not `../shared/data` next to the
/// workspace.
pub const DATA_DIR_ENV: &str = "BGP_BENCH_DATA";

/// Why a prefix file could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    /// The file could not be opened or read.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The I/O failure.
        source: std::io::Error,
    },
    /// A line is not a prefix.
    #[error("{path}:{line}: not a prefix: {text:?}")]
    Syntax {
        /// The file.
        path: PathBuf,
        /// The 1-based line number.
        line: usize,
        /// The offending text.
        text: String,
    },
}

/// The data folder: `$BGP_BENCH_DATA`, or `shared/data` beside the workspace checkout.
pub fn data_dir() -> PathBuf {
    match std::env::var_os(DATA_DIR_ENV) {
        Some(dir) => PathBuf::from(dir),
        None => Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/data"),
    }
}

/// Reads a gzip file of one prefix a line (blank lines skipped), at most `limit` of them.
pub fn load(path: &Path, limit: Option<usize>) -> Result<Vec<IpNet>, LoadError> {
    let io = |source| LoadError::Io { path: path.to_owned(), source };
    let file = File::open(path).map_err(io)?;
    let reader = BufReader::new(GzDecoder::new(file));
    let mut out = Vec::new();
    for (index, line) in reader.lines().enumerate() {
        if limit.is_some_and(|n| out.len() >= n) {
            break;
        }
        let line = line.map_err(io)?;
        let text = line.trim();
        if text.is_empty() {
            continue;
        }
        let prefix: IpNet = text.parse().map_err(|_| LoadError::Syntax {
            path: path.to_owned(),
            line: index + 1,
            text: text.to_owned(),
        })?;
        out.push(prefix.trunc());
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    fn gz_file(name: &str, text: &str) -> PathBuf {
        let path = std::env::temp_dir().join(format!("{}-{name}", std::process::id()));
        let file = File::create(&path).unwrap();
        let mut enc = flate2::write::GzEncoder::new(file, flate2::Compression::fast());
        enc.write_all(text.as_bytes()).unwrap();
        enc.finish().unwrap();
        path
    }

    #[test]
    fn reads_prefixes_skips_blank_lines_and_honours_the_limit() {
        let path = gz_file("ok.txt.gz", "1.0.0.0/24\n\n2001:db8::/32\n10.0.0.0/8\n");
        let all = load(&path, None).unwrap();
        assert_eq!(
            all,
            vec![
                "1.0.0.0/24".parse::<IpNet>().unwrap(),
                "2001:db8::/32".parse().unwrap(),
                "10.0.0.0/8".parse().unwrap()
            ]
        );
        assert_eq!(load(&path, Some(2)).unwrap().len(), 2);
        std::fs::remove_file(path).unwrap();
    }

    #[test]
    fn names_the_line_of_a_bad_prefix() {
        let path = gz_file("bad.txt.gz", "1.0.0.0/24\nnot-a-prefix\n");
        match load(&path, None) {
            Err(LoadError::Syntax { line, text, .. }) => {
                assert_eq!(line, 2);
                assert_eq!(text, "not-a-prefix");
            }
            other => panic!("expected a syntax error, got {other:?}"),
        }
        std::fs::remove_file(path).unwrap();
    }
}
