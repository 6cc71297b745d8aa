//! `hostile-peer bgp ...`: runs the catalogue of malformed BGP messages against a device
//! under test and prints one line per case, then a Markdown table. Exits 1 when a case's
//! outcome is not the one its RFC asks for.

use clap::{Parser, Subcommand};
use hostile_peer::bgp::{cases, runner, session::Peer, table};
use hostile_peer::report;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

#[derive(Parser)]
#[command(about = "A neighbour that misbehaves on purpose")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Runs the BGP catalogue against a speaker.
    Bgp(Box<BgpArgs>),
    /// Lists the BGP cases with their expected outcome and RFC section.
    List,
}

#[derive(Parser)]
struct BgpArgs {
    /// The device under test's address.
    #[arg(long)]
    dut: IpAddr,
    /// Its TCP port.
    #[arg(long, default_value_t = 179)]
    port: u16,
    /// Its AS.
    #[arg(long)]
    dut_as: u32,
    /// Its BGP Identifier (default: its address, when IPv4).
    #[arg(long)]
    dut_id: Option<Ipv4Addr>,
    /// Source address of the attacking neighbour.
    #[arg(long)]
    attacker: IpAddr,
    /// Source address of an internal (iBGP, the device's AS) attacking neighbour, for the
    /// cases that need one (they fail without it).
    #[arg(long)]
    internal_attacker: Option<IpAddr>,
    /// AS of the attacking neighbour.
    #[arg(long, default_value_t = 65010)]
    attacker_as: u32,
    /// Source address of the observing neighbour.
    #[arg(long)]
    observer: IpAddr,
    /// AS of the observing neighbour.
    #[arg(long, default_value_t = 65020)]
    observer_as: u32,
    /// Source address of the healthy neighbour.
    #[arg(long)]
    healthy: IpAddr,
    /// AS of the healthy neighbour.
    #[arg(long, default_value_t = 65030)]
    healthy_as: u32,
    /// The healthy neighbour's table: one IPv4 prefix a line, plain or .gz.
    #[arg(long)]
    table: PathBuf,
    /// Send only the first N prefixes of the table.
    #[arg(long)]
    table_limit: Option<usize>,
    /// Run only these cases (comma-separated names).
    #[arg(long, value_delimiter = ',')]
    cases: Vec<String>,
    /// Seconds a case waits for the answer.
    #[arg(long, default_value_t = 5)]
    case_timeout: u64,
    /// Seconds the table may take to reach the observer.
    #[arg(long, default_value_t = 300)]
    load_timeout: u64,
    /// Write the Markdown table here too.
    #[arg(long)]
    markdown: Option<PathBuf>,
}

fn main() -> ExitCode {
    match Cli::parse().command {
        Command::List => {
            for c in cases::catalogue() {
                println!("{:<38} {:<14?} {:<40} {}", c.name, c.when, cases::expected(&c), c.rfc);
            }
            ExitCode::SUCCESS
        }
        Command::Bgp(a) => match bgp(*a) {
            Ok(true) => ExitCode::SUCCESS,
            Ok(false) => ExitCode::from(1),
            Err(e) => {
                eprintln!("hostile-peer: {e}");
                ExitCode::from(2)
            }
        },
    }
}

fn id(a: IpAddr, fallback: u8) -> Ipv4Addr {
    match a {
        IpAddr::V4(v) => v,
        IpAddr::V6(_) => Ipv4Addr::new(10, 255, 255, fallback),
    }
}

fn bgp(a: BgpArgs) -> Result<bool, String> {
    let all = cases::catalogue();
    let chosen: Vec<_> = if a.cases.is_empty() {
        all
    } else {
        for n in &a.cases {
            if !all.iter().any(|c| c.name == n) {
                return Err(format!("no case named {n:?} (see `hostile-peer list`)"));
            }
        }
        all.into_iter().filter(|c| a.cases.iter().any(|n| n == c.name)).collect()
    };
    let (prefixes, skipped) = table::load(&a.table, a.table_limit)?;
    eprintln!("table: {} prefixes ({skipped} in the test ranges left out)", prefixes.len());
    let peer = |source, asn, n| Peer { source, asn, bgp_id: id(source, n), hold_time: 90 };
    let setup = runner::Setup {
        dut: SocketAddr::new(a.dut, a.port),
        dut_as: a.dut_as,
        dut_id: a.dut_id.unwrap_or_else(|| id(a.dut, 0)),
        attacker: peer(a.attacker, a.attacker_as, 1),
        internal_attacker: a.internal_attacker.map(|s| peer(s, a.dut_as, 4)),
        observer: peer(a.observer, a.observer_as, 2),
        healthy: peer(a.healthy, a.healthy_as, 3),
        table: prefixes,
        case_timeout: Duration::from_secs(a.case_timeout),
        load_timeout: Duration::from_secs(a.load_timeout),
    };
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(|e| format!("tokio runtime: {e}"))?;
    let results = rt.block_on(runner::run(setup, &chosen, |r| println!("{}", report::line(r))))?;
    let md = report::markdown(&results);
    println!("\n{md}");
    if let Some(p) = &a.markdown {
        std::fs::write(p, &md).map_err(|e| format!("{}: {e}", p.display()))?;
    }
    Ok(results.iter().all(|r| r.pass))
}
