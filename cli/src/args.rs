//! The command line (DESIGN.md §7): `validate`, `plan`, `apply`, `drift`,
//! `show`, `graph`, `export`.

use clap::{Args, Parser, Subcommand, ValueEnum};
use std::path::PathBuf;

/// `--version`: the release, the commit and target it was built from, and
/// the OceanBase lines it plans.
pub const VERSION: &str = concat!(
    env!("CARGO_PKG_VERSION"),
    " (commit ",
    env!("OBBACKUP_COMMIT"),
    ", ",
    env!("OBBACKUP_TARGET"),
    "; OceanBase 3.1 and 3.2 cluster-level, 4.1 and later tenant-level)"
);

/// Declarative backup configuration for OceanBase: plan, apply and drift.
///
/// Declare the log archive and data backup settings of your tenants in HCL;
/// obbackup reads the live parameters and views of the cluster, shows the SQL
/// steps that would make it match (plan), runs them in order waiting where
/// OceanBase is asynchronous (apply), and tells whether the cluster still
/// matches (drift).
///
/// Exit codes: 0 success / no changes / in sync; 1 error; 2 changes present
/// (plan --detailed-exitcode) or drift found (drift).
#[derive(Debug, Parser)]
#[command(name = "obbackup", version = VERSION, propagate_version = true)]
pub struct Cli {
    #[command(subcommand)]
    /// The command to run.
    pub command: Command,
    /// Log to standard error, with timestamps: -v each statement sent (as
    /// shown, secrets redacted) with its duration and rows, and each step's
    /// outcome; -vv also every read and poll and what a wait observed; -vvv
    /// also the MySQL driver. OBBACKUP_LOG (e.g. obbackup=debug) sets the
    /// filter instead.
    #[arg(short, long, action = clap::ArgAction::Count, global = true)]
    pub verbose: u8,
    /// Append the log to this file instead of standard error (at -v detail
    /// unless -vv or OBBACKUP_LOG asks for more).
    #[arg(long, value_name = "PATH", global = true)]
    pub log_file: Option<PathBuf>,
    /// Colour: auto (on a terminal, unless NO_COLOR is set; CLICOLOR_FORCE
    /// forces it), always or never.
    #[arg(long, value_enum, default_value_t = ColorChoice::Auto, global = true)]
    pub color: ColorChoice,
}

/// When to colour output.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ColorChoice {
    /// On a terminal, unless NO_COLOR is set (CLICOLOR_FORCE forces it).
    Auto,
    /// Always, even into a pipe or a file.
    Always,
    /// Never.
    Never,
}

/// The commands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Check a configuration file without a cluster: syntax, names, ranges,
    /// destinations, environment variables, credentials. With
    /// --server-version, also that an OceanBase build of that version takes
    /// every setting (parameters that build lacks, ranges it narrows).
    ///
    /// Examples:
    ///   obbackup validate examples/basic-4.2.hcl
    ///   obbackup validate examples/basic-4.2.hcl --server-version 4.2.1.1
    #[command(verbatim_doc_comment)]
    Validate {
        /// The HCL file.
        config: PathBuf,
        /// Check against this OceanBase build, as `SELECT ob_version()` prints
        /// it (4.2.1.2 is 4.2.1 BP2).
        #[arg(long, value_name = "BUILD")]
        server_version: Option<String>,
        /// Also require every variable env() reads to be set (by default an
        /// unset one is checked as a reference only, so validation runs where
        /// secrets are not available).
        #[arg(long)]
        require_env: bool,
    },
    /// Show the changes and the ordered SQL steps that would make the cluster
    /// match the file. Changes nothing.
    ///
    /// Several files (or a directory of *.hcl), one per cluster, are planned in
    /// parallel; each names its DSN variable with cluster { dsn_env = "…" }.
    ///
    /// Examples:
    ///   obbackup plan cluster.hcl --dsn 'mysql://root%40sys:PASSWORD@10.0.0.1:2881'
    ///   obbackup plan cluster.hcl --out reviewed.plan --format markdown
    ///   obbackup plan clusters/ --detailed-exitcode
    ///   obbackup plan examples/basic-4.2.hcl --sandbox
    #[command(verbatim_doc_comment)]
    Plan {
        /// HCL files or directories of them.
        #[arg(required = true)]
        configs: Vec<PathBuf>,
        #[command(flatten)]
        /// Which cluster.
        target: TargetArgs,
        /// Output format.
        #[arg(long, value_enum, default_value_t = Format::Human)]
        format: Format,
        /// Exit 2 when there are changes (0 when none, 1 on error).
        #[arg(long)]
        detailed_exitcode: bool,
        /// Save the plan to this file for `obbackup apply FILE` (one configuration only).
        #[arg(long, value_name = "PLANFILE")]
        out: Option<PathBuf>,
        #[command(flatten)]
        /// Which share of the files this run takes.
        shard: ShardArgs,
        #[command(flatten)]
        /// Wait settings.
        waits: WaitArgs,
        #[command(flatten)]
        /// The date ignores are evaluated on.
        day: DayArgs,
    },
    /// Plan, show the plan, ask, then run the steps on one connection, waiting
    /// for asynchronous states; finally plan again to prove convergence.
    ///
    /// One apply runs at a time: on OceanBase 4.3.1 and later apply holds a
    /// GET_LOCK lock while it plans and runs (see --lock-timeout); on every
    /// build it reads the cluster again just before its first statement and
    /// stops, sending nothing, if the statements changed (for a saved plan:
    /// if the cluster changed). Statements carrying
    /// secrets need a DSN that requires TLS (?ssl-mode=required) unless the
    /// server is on this machine (see --allow-plaintext-secrets).
    ///
    /// Given a saved plan (from plan --out), apply reads the cluster again,
    /// refuses a stale plan (the cluster changed since), and otherwise runs
    /// exactly the saved steps, in the saved order, once the configuration
    /// (with the env() values of this run) still gives each of them; backups
    /// that became due since are named and not run.
    ///
    /// Examples:
    ///   obbackup apply cluster.hcl --dsn "$OB_DSN" --auto-approve
    ///   obbackup apply reviewed.plan --dsn "$OB_DSN" --auto-approve
    #[command(verbatim_doc_comment)]
    Apply {
        /// An HCL file, or a plan file written by plan --out.
        config: PathBuf,
        #[command(flatten)]
        /// Which cluster.
        target: TargetArgs,
        /// Do not ask before running.
        #[arg(long)]
        auto_approve: bool,
        /// Run steps that carry hazards (archive gap, canceled backup) without asking.
        #[arg(long)]
        allow_hazards: bool,
        /// The report's format: human, or json for pipelines (every step
        /// with its outcome, duration and error, and how the apply ended).
        #[arg(long, value_enum, default_value_t = ApplyFormat::Human)]
        format: ApplyFormat,
        /// How long to wait for another apply on the same cluster to finish,
        /// as a duration (30s, 10m) or seconds; default 0: stop at once,
        /// naming its connection. Applies exclude each other through
        /// OceanBase's GET_LOCK (4.3.1 and later, per login tenant); on
        /// other builds apply re-reads the cluster before its first
        /// statement and stops if the statements (for a saved plan: the
        /// cluster) changed.
        #[arg(long, value_name = "DURATION", value_parser = seconds, default_value = "0")]
        lock_timeout: u64,
        #[command(flatten)]
        /// Wait settings.
        waits: WaitArgs,
        #[command(flatten)]
        /// The date ignores are evaluated on.
        day: DayArgs,
    },
    /// Tell whether the cluster still matches the file: exit 0 in sync, 2 with
    /// drift (each drifted address listed), 1 on error. Changes nothing.
    /// Drift accepted by an ignore block is listed but does not count.
    ///
    /// Example: obbackup drift clusters/ --format markdown
    Drift {
        /// HCL files or directories of them.
        #[arg(required = true)]
        configs: Vec<PathBuf>,
        #[command(flatten)]
        /// Which cluster.
        target: TargetArgs,
        /// Output format.
        #[arg(long, value_enum, default_value_t = Format::Human)]
        format: Format,
        #[command(flatten)]
        /// Which share of the files this run takes.
        shard: ShardArgs,
        #[command(flatten)]
        /// The date ignores are evaluated on.
        day: DayArgs,
    },
    /// Render a saved plan file without a cluster.
    ///
    /// Example: obbackup show reviewed.plan --format markdown
    Show {
        /// The plan file.
        planfile: PathBuf,
        /// Output format.
        #[arg(long, value_enum, default_value_t = Format::Human)]
        format: Format,
    },
    /// Print the step graph of a plan as Graphviz DOT, each edge labelled with
    /// the ordering rule that made it. Given a saved plan (plan --out), prints
    /// its graph without a cluster.
    ///
    /// Examples:
    ///   obbackup graph cluster.hcl --dsn "$OB_DSN" | dot -Tsvg > plan.svg
    ///   obbackup graph reviewed.plan | dot -Tsvg > plan.svg
    #[command(verbatim_doc_comment)]
    Graph {
        /// The HCL file, or a plan file written by plan --out.
        config: PathBuf,
        #[command(flatten)]
        /// Which cluster.
        target: TargetArgs,
        #[command(flatten)]
        /// The date ignores are evaluated on.
        day: DayArgs,
    },
    /// Show the backups of every tenant now: archive status and checkpoint lag,
    /// age of the last full and last backup, running jobs with progress, the
    /// point-in-time restore windows and the RPO, the delete policy and its
    /// cleanup jobs, and problems: a failed last cleanup and — given a
    /// configuration — freshness violations and policy breaches.
    ///
    /// `--format openmetrics` prints metrics for node_exporter's textfile
    /// collector (on a failed read, only obbackup_scrape_success 0, and exit 1).
    ///
    /// Examples:
    ///   obbackup status cluster.hcl --dsn "$OB_DSN" --format json
    ///   obbackup status cluster.hcl --format openmetrics --cluster-label prod > prod.prom
    #[command(verbatim_doc_comment)]
    Status {
        /// The HCL file whose policies to check (optional).
        config: Option<PathBuf>,
        #[command(flatten)]
        /// Which cluster.
        target: TargetArgs,
        /// Output format.
        #[arg(long, value_enum, default_value_t = StatusFormat::Human)]
        format: StatusFormat,
        /// The `cluster` label of the metrics (default: the configuration's
        /// file name without extension, or `default`).
        #[arg(long, value_name = "NAME")]
        cluster_label: Option<String>,
        /// Exit 2 on a problem: a failed last cleanup, or with CONFIG a
        /// freshness violation or a policy breach (0 otherwise, 1 on error),
        /// for schedulers and alerts.
        #[arg(long)]
        detailed_exitcode: bool,
    },
    /// Start or cancel data backups now, outside the declared policy, with the
    /// same preconditions and waits as apply.
    ///
    /// Examples:
    ///   obbackup backup full --tenant mysql_tenant --wait --dsn "$OB_DSN"
    ///   obbackup backup incremental --plus-archivelog --dsn "$OB_DSN"
    ///   obbackup backup cancel --tenant mysql_tenant --wait --dsn "$OB_DSN"
    #[command(verbatim_doc_comment)]
    Backup {
        #[command(subcommand)]
        /// What to do.
        action: BackupAction,
    },
    /// Write HCL describing the live cluster, such that planning it against the
    /// same cluster is empty. Credentials become env() references, listed on stderr.
    ///
    /// Example: obbackup export --dsn "$OB_DSN" > cluster.hcl
    Export {
        #[command(flatten)]
        /// Which cluster.
        target: TargetArgs,
    },
    /// Rewrite configuration files in the canonical layout: two spaces per
    /// level, the `=` of consecutive attributes aligned, at most one blank
    /// line, comments kept. `export` writes this layout too.
    ///
    /// Examples:
    ///   obbackup fmt clusters/
    ///   obbackup fmt --check clusters/prod.hcl
    #[command(verbatim_doc_comment)]
    Fmt {
        /// HCL files, or directories of them.
        #[arg(required = true)]
        paths: Vec<PathBuf>,
        /// Change nothing: list the files that are not formatted and exit 2
        /// if there is one (0 when all are, 1 on error).
        #[arg(long)]
        check: bool,
    },
    /// Work with JSON reports of plan and drift.
    Report {
        /// What to do.
        #[command(subcommand)]
        action: ReportAction,
    },
    /// Print a shell completion script.
    ///
    /// Examples:
    ///   obbackup completions bash > /etc/bash_completion.d/obbackup
    ///   obbackup completions zsh > "${fpath[1]}/_obbackup"
    ///   obbackup completions fish > ~/.config/fish/completions/obbackup.fish
    #[command(verbatim_doc_comment)]
    Completions {
        /// The shell.
        shell: clap_complete::Shell,
    },
    /// Print the manual page (roff), or write one page per command into a
    /// directory.
    ///
    /// Examples:
    ///   obbackup man | man -l -
    ///   obbackup man --dir /usr/local/share/man/man1
    #[command(verbatim_doc_comment)]
    Man {
        /// Write obbackup.1 and obbackup-COMMAND.1 here instead.
        #[arg(long, value_name = "DIR")]
        dir: Option<PathBuf>,
    },
}

/// One-shot backup operations.
#[derive(Debug, Subcommand)]
pub enum BackupAction {
    /// Start a full backup (ALTER SYSTEM BACKUP TENANT = … / BACKUP DATABASE).
    Full(BackupArgs),
    /// Start an incremental backup (OceanBase makes it full when there is no base in the destination).
    Incremental(BackupArgs),
    /// Cancel running backups (ALTER SYSTEM CANCEL BACKUP); nothing running is not an error.
    Cancel(CancelArgs),
}

/// Flags of `backup full|incremental`.
#[derive(Debug, Args)]
pub struct BackupArgs {
    /// Tenant to back up (repeatable); default: every user tenant, or the login tenant.
    #[arg(long = "tenant", value_name = "NAME")]
    pub tenants: Vec<String>,
    /// Include the archive log needed to restore the backup (4.2+).
    #[arg(long)]
    pub plus_archivelog: bool,
    #[command(flatten)]
    /// Which cluster.
    pub target: TargetArgs,
    #[command(flatten)]
    /// Wait settings.
    pub waits: WaitArgs,
}

/// Flags of `backup cancel`.
#[derive(Debug, Args)]
pub struct CancelArgs {
    /// Tenant whose backups to cancel (repeatable); default: every user tenant, or the login tenant.
    #[arg(long = "tenant", value_name = "NAME")]
    pub tenants: Vec<String>,
    /// Cancel without asking (needed where nobody can be asked, as apply
    /// needs it for the same hazard).
    #[arg(long)]
    pub auto_approve: bool,
    #[command(flatten)]
    /// Which cluster.
    pub target: TargetArgs,
    #[command(flatten)]
    /// Wait settings.
    pub waits: WaitArgs,
}

/// Which cluster to talk to.
#[derive(Debug, Args, Clone)]
pub struct TargetArgs {
    /// MySQL URL of the cluster. The login tenant is part of the user name:
    /// root@sys is written root%40sys. Also read from OBBACKUP_DSN; without
    /// either, the file's cluster { dsn_env = "…" } names the variable to read.
    #[arg(long, env = "OBBACKUP_DSN", hide_env_values = true)]
    pub dsn: Option<String>,
    /// Start the embedded simulator instead of connecting to a cluster: an
    /// empty OceanBase 4.2 cluster with three user tenants, or the cluster
    /// --fixture describes. Changes are lost at exit. It wins over --dsn and
    /// OBBACKUP_DSN.
    #[arg(long)]
    pub sandbox: bool,
    /// The simulated cluster for --sandbox (implied): a fixture file (see
    /// fixtures/README.md).
    #[arg(long, value_name = "FILE")]
    pub fixture: Option<String>,
    /// Seconds to wait for the connection and for each statement.
    #[arg(long, default_value_t = 30, value_name = "SECONDS")]
    pub timeout: u64,
    /// Send statements that carry secrets (storage credentials, the backup
    /// encryption password) even when the DSN does not require TLS
    /// (ssl-mode=required, verify_ca or verify_identity) and the server is
    /// not on this machine. Without it such a plan is refused before
    /// anything runs.
    #[arg(long)]
    pub allow_plaintext_secrets: bool,
}

/// Reads a duration (`30m`, `90s`, `6h`) or a number of seconds, as seconds.
fn seconds(text: &str) -> Result<u64, String> {
    if let Ok(n) = text.trim().parse::<u64>() {
        return Ok(n);
    }
    obbackup_planner::units::Duration::parse(text)
        .map(|d| d.0 / 1_000_000)
        .filter(|&s| s > 0)
        .ok_or_else(|| format!("{text:?} is not a duration such as 30m, 90s or 6h"))
}

/// How long waits may last and how often they poll.
#[derive(Debug, Args, Clone, Copy)]
pub struct WaitArgs {
    /// Upper bound of the archive and job waits (archive round DOING or STOP,
    /// canceled jobs gone, a new backup job appearing), as a duration (30m,
    /// 90s) or seconds; default 30m for DOING, 10m for the others.
    #[arg(long, value_name = "DURATION", value_parser = seconds)]
    pub wait_timeout: Option<u64>,
    /// Upper bound of following a backup job to its end (with --wait), as a
    /// duration (6h, 90m) or seconds; default 6h.
    #[arg(long, value_name = "DURATION", value_parser = seconds)]
    pub backup_timeout: Option<u64>,
    /// Longest pause between two polls of a wait, in milliseconds. Polls
    /// start 50 ms apart and back off to it; the waits of many tenants for
    /// the same state share one query per poll.
    #[arg(long, default_value_t = 1000, value_name = "MS")]
    pub poll_interval_ms: u64,
    /// Follow backup jobs to their end (exit 1 when one ends FAILED or CANCELED);
    /// with cancel, wait until the jobs are gone.
    #[arg(long)]
    pub wait: bool,
}

/// Spreading a fleet over several runs (a CI matrix, GitLab `parallel:`, a
/// Kubernetes Indexed Job).
#[derive(Debug, Args, Clone, Default)]
pub struct ShardArgs {
    /// Take share I of N of the configuration files (1-based; file k of the
    /// sorted list goes to share k mod N + 1). Without it, GitLab's
    /// CI_NODE_INDEX/CI_NODE_TOTAL, or Kubernetes' JOB_COMPLETION_INDEX
    /// (0-based) with OBBACKUP_SHARD_TOTAL, choose the share when several
    /// files are given. Merge the JSON reports with `obbackup report merge`.
    #[arg(long, value_name = "I/N")]
    pub shard: Option<String>,
}

/// The date ignore blocks are evaluated on.
#[derive(Debug, Args, Clone)]
pub struct DayArgs {
    /// Evaluate ignore { until } as of this date (YYYY-MM-DD) instead of today (UTC).
    #[arg(long, env = "OBBACKUP_TODAY", value_name = "DATE", hide = true)]
    pub today: Option<String>,
}

/// Output formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// For people.
    Human,
    /// The versioned JSON contract (docs/json-format.md).
    Json,
    /// A block to post as a pull-request comment.
    Markdown,
}

/// `obbackup report …`.
#[derive(Debug, Subcommand)]
pub enum ReportAction {
    /// Combine the JSON reports of a fleet spread over several runs (plan or
    /// drift with --shard) into one, with the exit code one run over every
    /// file would have had: 1 if any cluster failed, else 2 if any has
    /// changes or drift, else 0.
    ///
    /// Example: obbackup report merge shard-*.json --format markdown
    Merge {
        /// The JSON reports (plan_report or drift_report, or single plan or drift reports).
        #[arg(required = true)]
        reports: Vec<PathBuf>,
        /// Output format.
        #[arg(long, value_enum, default_value_t = Format::Human)]
        format: Format,
    },
}

/// Output formats of `status`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum StatusFormat {
    /// For people.
    Human,
    /// The versioned JSON contract (docs/json-format.md).
    Json,
    /// A block to post as a pull-request comment.
    Markdown,
    /// OpenMetrics text for node_exporter's textfile collector.
    Openmetrics,
}

/// Output formats of apply's report.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ApplyFormat {
    /// For people: the plan, then one line per step.
    Human,
    /// One JSON object on standard output (docs/json-format.md, "kind":
    /// "apply"); the plan and progress go to standard error.
    Json,
}

/// The default sandbox fixture.
pub const DEFAULT_SANDBOX: &str = include_str!("../../fixtures/live/empty-4.2.json");
