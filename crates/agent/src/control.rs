//! The control socket: one request per connection, a line of words (`show bgp summary
//! --json`), answered with text and the connection closed. The socket file is created
//! with mode 0600 (what it shows is not for every local user) and replaced if a previous
//! run left it behind.

use std::future::Future;
use std::io;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::{UnixListener, UnixStream};
use tokio::task::JoinHandle;

/// Longest request line accepted.
const MAX_REQUEST: u64 = 4096;

/// A command: its words, and whether `--json` was among them.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Request {
    /// The words but `--json`.
    pub words: Vec<String>,
    /// JSON was asked for.
    pub json: bool,
}

impl Request {
    /// Parses a request line.
    pub fn parse(line: &str) -> Request {
        let mut json = false;
        let words = line
            .split_whitespace()
            .filter(|w| {
                let j = *w == "--json" || *w == "json";
                json |= j;
                !j
            })
            .map(str::to_owned)
            .collect();
        Request { words, json }
    }

    /// The words as `&str`, for matching.
    pub fn args(&self) -> Vec<&str> {
        self.words.iter().map(String::as_str).collect()
    }
}

/// Serves `path`: every request is answered by `handler`. Runs until the task is aborted.
pub fn serve<H, F>(path: &Path, handler: H) -> io::Result<JoinHandle<()>>
where
    H: Fn(Request) -> F + Send + Sync + 'static,
    F: Future<Output = String> + Send + 'static,
{
    if path.exists() {
        std::fs::remove_file(path)?;
    }
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir)?;
    }
    let listener = UnixListener::bind(path)?;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600))?;
    let handler = Arc::new(handler);
    let owned: PathBuf = path.to_owned();
    Ok(tokio::spawn(async move {
        loop {
            match listener.accept().await {
                Ok((stream, _)) => {
                    let h = handler.clone();
                    tokio::spawn(async move {
                        if let Err(e) = answer(stream, h.as_ref()).await {
                            tracing::debug!("control request: {e}");
                        }
                    });
                }
                Err(e) => {
                    tracing::warn!(path = %owned.display(), "control socket: {e}");
                    return;
                }
            }
        }
    }))
}

async fn answer<H, F>(stream: UnixStream, handler: &H) -> io::Result<()>
where
    H: Fn(Request) -> F,
    F: Future<Output = String>,
{
    let (read, mut write) = stream.into_split();
    let mut line = String::new();
    BufReader::new(read.take(MAX_REQUEST)).read_line(&mut line).await?;
    let reply = handler(Request::parse(&line)).await;
    write.write_all(reply.as_bytes()).await?;
    write.shutdown().await
}

/// Sends `words` to the agent listening on `path` and returns its answer.
pub async fn request(path: &Path, words: &[String]) -> io::Result<String> {
    let mut s = UnixStream::connect(path).await?;
    let mut line = words.join(" ");
    line.push('\n');
    s.write_all(line.as_bytes()).await?;
    let mut out = String::new();
    s.read_to_string(&mut out).await?;
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_is_a_flag() {
        let r = Request::parse("show bgp summary --json\n");
        assert_eq!(r.args(), ["show", "bgp", "summary"]);
        assert!(r.json);
        assert!(!Request::parse("show ip route").json);
        assert!(Request::parse("show ip route json").json, "vtysh's spelling");
    }

    #[tokio::test]
    async fn a_request_is_answered_over_the_socket() {
        let dir = std::env::temp_dir().join(format!("agent-control-{}", std::process::id()));
        let path = dir.join("ctl.sock");
        let task =
            serve(&path, |r: Request| async move { format!("{:?} {}", r.words, r.json) }).unwrap();
        let mode = std::fs::metadata(&path).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
        let words = ["show".to_owned(), "ip".to_owned(), "route".to_owned(), "--json".to_owned()];
        let got = request(&path, &words).await.unwrap();
        assert_eq!(got, "[\"show\", \"ip\", \"route\"] true");
        // A second start replaces the socket file a crash left.
        task.abort();
        let again = serve(&path, |_r: Request| async { String::from("ok") }).unwrap();
        assert_eq!(request(&path, &words).await.unwrap(), "ok");
        again.abort();
        let _ = std::fs::remove_dir_all(dir);
    }
}
