//! `bgp-dump FILE...`: decode the BGP messages of pcap/pcapng captures and MRT dumps (plain,
//! gzip or bzip2) and print one JSON object per message. Without a file it decodes a bundled
//! capture. A summary of counts goes to stderr.

use std::collections::BTreeMap;
use std::io::Write;
use std::process::ExitCode;

use bytes::Bytes;
use clap::Parser;
use serde_json::Value;

use bgp_dump::{capture, mrt_input, mrt_output, pcap};

/// The capture decoded when no file is given (tcpdump's `bgp-4byte-asn.pcap`, BSD-3).
const DEMO: &[u8] = include_bytes!("../data/demo.pcap");

#[derive(Parser)]
#[command(
    name = "bgp-dump",
    about = "Print the BGP messages of pcap/pcapng or MRT files as JSON lines"
)]
struct Args {
    /// pcap, pcapng or MRT files (MRT may be gzip or bzip2 compressed).
    files: Vec<std::path::PathBuf>,
    /// More TCP ports to follow besides 179 (repeatable).
    #[arg(long = "port")]
    ports: Vec<u16>,
    /// BMP ports (RFC 7854) whose carried BGP messages to decode (repeatable; default 1790).
    #[arg(long = "bmp-port")]
    bmp_ports: Vec<u16>,
    /// Also write the messages of the captures to this file as MRT (BGP4MP_ET records).
    #[arg(long = "write-mrt", value_name = "FILE")]
    write_mrt: Option<std::path::PathBuf>,
    /// Also write the routes each capture leaves in place as a TABLE_DUMP_V2 RIB dump (one
    /// capture: with several, the last one's).
    #[arg(long = "write-rib", value_name = "FILE")]
    write_rib: Option<std::path::PathBuf>,
}

fn main() -> ExitCode {
    let args = Args::parse();
    let mut ports = vec![capture::BGP_PORT];
    ports.extend(&args.ports);
    let bmp_ports =
        if args.bmp_ports.is_empty() { vec![capture::BMP_PORT] } else { args.bmp_ports.clone() };
    let mut summary: BTreeMap<String, u64> = BTreeMap::new();
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    let mut status = ExitCode::SUCCESS;
    let inputs: Vec<(String, Result<Vec<u8>, std::io::Error>)> = if args.files.is_empty() {
        vec![("(bundled demo capture)".to_string(), Ok(DEMO.to_vec()))]
    } else {
        args.files.iter().map(|p| (p.display().to_string(), std::fs::read(p))).collect()
    };
    let mut mrt = bytes::BytesMut::new();
    let mut rib = bytes::BytesMut::new();
    for (name, data) in inputs {
        let values = match data.and_then(mrt_input::decompress) {
            Ok(d) => decode_file(&name, d, (&ports, &bmp_ports), &mut mrt, &mut rib),
            Err(e) => Err(format!("{name}: {e}")),
        };
        match values {
            Ok(values) => {
                for v in values {
                    count(&v, &mut summary);
                    if writeln!(out, "{v}").is_err() {
                        return ExitCode::FAILURE;
                    }
                }
            }
            Err(e) => {
                eprintln!("bgp-dump: {e}");
                status = ExitCode::FAILURE;
            }
        }
    }
    let _ = out.flush();
    for (path, data) in [(&args.write_mrt, &mrt), (&args.write_rib, &rib)] {
        if let Some(path) = path {
            if let Err(e) = std::fs::write(path, data) {
                eprintln!("bgp-dump: {}: {e}", path.display());
                status = ExitCode::FAILURE;
            }
        }
    }
    let summary: Vec<String> = summary.iter().map(|(k, v)| format!("{k}={v}")).collect();
    eprintln!("summary: {}", summary.join(" "));
    status
}

fn decode_file(
    name: &str,
    data: Vec<u8>,
    (ports, bmp_ports): (&[u16], &[u16]),
    mrt: &mut bytes::BytesMut,
    rib: &mut bytes::BytesMut,
) -> Result<Vec<Value>, String> {
    if pcap::is_pcap(&data) || pcap::is_pcapng(&data) {
        let c = capture::decode_with_bmp(&data, ports, bmp_ports);
        mrt_output::write(&c, mrt);
        rib.clear();
        let end = c.items.last().map_or(0, |i| u32::try_from(i.time.secs).unwrap_or(u32::MAX));
        mrt_output::write_rib(&c, end, rib);
        if let Some(e) = &c.read_error {
            eprintln!("bgp-dump: {name}: {e} (after {} frames)", c.frames);
        }
        Ok(c.items.iter().map(capture::Item::to_json).collect())
    } else if mrt_input::looks_like_mrt(&data) {
        Ok(mrt_input::decode(Bytes::from(data)))
    } else {
        Err(format!("{name}: neither pcap, pcapng nor MRT"))
    }
}

fn count(v: &Value, summary: &mut BTreeMap<String, u64>) {
    let t = v.get("type").and_then(Value::as_str).unwrap_or("UNKNOWN").to_string();
    *summary.entry(t).or_default() += 1;
    if v.get("error").is_some() {
        *summary.entry("errors".into()).or_default() += 1;
    }
    if v.get("rfc7606").is_some() {
        *summary.entry("rfc7606".into()).or_default() += 1;
    }
    *summary.entry("total".into()).or_default() += 1;
}
