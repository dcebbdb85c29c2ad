//! `gan compare`: train several toy configs over several seeds in-process and tabulate
//! mode coverage (2-D: modes, % high-quality, reverse KL) or moment errors (1-D), as
//! mean ± std over seeds. Writes `compare.md` and `compare.csv`. The training, the
//! measurements and the statistics are gan-train's (`gan_train::compare`); this file
//! parses the arguments and writes the tables.

use std::path::PathBuf;

use anyhow::{bail, Context, Result};

use gan_train::{compare, run_dir, ExperimentConfig};

#[derive(clap::Args, Debug)]
pub struct CompareArgs {
    /// Toy experiment configs (TOML) to compare.
    #[arg(long, num_args = 1.., required = true, value_name = "FILE")]
    pub configs: Vec<PathBuf>,
    /// Run each config with seeds 1..=N.
    #[arg(long, default_value_t = 5)]
    pub seeds: u64,
    /// Override `train.steps` of every config.
    #[arg(long)]
    pub steps: Option<u64>,
    /// Override a value of every config, e.g. `--set train.ema=0.999`.
    #[arg(long = "set", value_name = "KEY=VALUE")]
    pub overrides: Vec<String>,
    /// Output directory. Default: runs/compare-<timestamp>.
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
}

/// Runs on `--device` when given, else on the CPU (one thread per run for toy data).
pub fn run(args: CompareArgs, cli_device: Option<&str>, quiet: bool) -> Result<()> {
    let device = super::resolve_device(cli_device, "cpu")?;
    if args.seeds == 0 {
        bail!("--seeds must be at least 1");
    }
    let mut overrides = args.overrides.clone();
    if let Some(steps) = args.steps {
        overrides.push(format!("train.steps={steps}"));
    }
    // Load every config first so a typo fails before hours of training.
    let configs = args
        .configs
        .iter()
        .map(|p| ExperimentConfig::load(p, &overrides).with_context(|| p.display().to_string()))
        .collect::<Result<Vec<_>>>()?;
    if let Some((p, _)) = args
        .configs
        .iter()
        .zip(&configs)
        .find(|(_, c)| c.data.toy.is_none())
    {
        bail!(
            "{}: `gan compare` compares toy (1-D / 2-D) experiments",
            p.display()
        );
    }
    let out = match &args.out {
        Some(d) => d.clone(),
        None => run_dir::create_run_dir(&crate::default_runs_dir(), "compare")?,
    };
    run_dir::ensure_writable_dir(&out)?;

    let mut csv = String::from(compare::CSV_HEADER);
    let mut md = String::from(compare::ConfigRow::MARKDOWN_HEADER);
    for (path, base) in args.configs.iter().zip(&configs) {
        let name = path
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_else(|| base.name.clone());
        let trick = compare::describe(base);
        let mut results = Vec::new();
        for seed in 1..=args.seeds {
            let mut config = base.clone();
            config.seed = seed;
            let r = compare::train_and_measure(config, device)?;
            if !quiet {
                eprintln!("{name} seed {seed}: {}", r.summary_line());
            }
            csv += &compare::csv_line(&name, &trick, base.train.steps, &r);
            results.push(r);
        }
        let row = compare::ConfigRow {
            name: &name,
            trick: &trick,
            steps: base.train.steps,
            results: &results,
        };
        md += &row.markdown();
        md.push('\n');
    }
    println!("{md}");
    gan_train::output_file::write_file(&out.join("compare.md"), md.as_bytes())?;
    gan_train::output_file::write_file(&out.join("compare.csv"), csv.as_bytes())?;
    println!("written: {}", out.join("compare.md").display());
    Ok(())
}
