//! Every accepted setting is applied, in every schedule; every setting that would have
//! no effect is refused at load time with its key (and the key it conflicts with) named.
//!
//! The table below walks schedule × setting. For a row expected to be applied, the test
//! trains a few steps with the setting and without it (same seed) and requires that the
//! weights (or, for the EMA, the samples) differ. For a row expected to be refused, it
//! requires that loading the config fails and that the message names the keys listed.

use std::path::Path;

use tch::{Device, Kind, Tensor};

use gan_train::{ExperimentConfig, Trainer};

mod fixtures;
use fixtures::{torch_lock, write_mnist_fixture};

/// A small 2-D ring experiment: every stabilizer and loss applies to it.
const TOY: &str = r#"
    name = "matrix"
    seed = 5
    [data.toy]
    kind = "ring"
    modes = 8
    radius = 1.0
    std = 0.01
    [generator]
    kind = "mlp"
    latent_dim = 2
    hidden = [16]
    [discriminator]
    kind = "mlp"
    hidden = [16, 8]
    [train]
    steps = 4
    batch_size = 32
    device = "cpu"
    threads = 1
"#;

/// A small labelled-image experiment (the square fixture) for the family members.
fn family_toml(data: &Path) -> String {
    format!(
        r#"
        name = "matrix-family"
        seed = 5
        [data.dataset]
        name = "mnist"
        dir = "{}"
        [generator]
        kind = "mlp"
        latent_dim = 8
        hidden = [32]
        output_activation = "tanh"
        [discriminator]
        kind = "mlp"
        hidden = [32, 16]
        [train]
        steps = 4
        batch_size = 20
        device = "cpu"
        threads = 1
        "#,
        data.display()
    )
}

/// What a row expects.
#[derive(Clone, Copy, Debug)]
enum Expect {
    /// Accepted, and the update differs from the same run without the setting.
    Applied,
    /// Refused at load time; the message names every one of these keys.
    Refused(&'static [&'static str]),
}
use Expect::{Applied, Refused};

const SCHEDULES: [&str; 3] = ["alternating", "simultaneous", "unrolled"];

/// The settings of the toy table, each with its expectation per schedule (in
/// [`SCHEDULES`] order). `base` is what the setting is compared against (the same
/// overrides minus the setting); a setting that needs another one (e.g. a loss option
/// and its loss) carries it in `base`.
struct Row {
    base: &'static [&'static str],
    setting: &'static [&'static str],
    expect: [Expect; 3],
}

const UNROLLED_REFUSES_GP: Expect = Refused(&["train.gradient_penalty", "train.schedule"]);
const UNROLLED_REFUSES_CLIP: Expect = Refused(&["train.weight_clip", "train.schedule"]);
const UNROLLED_REFUSES_HA: Expect = Refused(&["train.historical_averaging", "train.schedule"]);

fn toy_rows() -> Vec<Row> {
    let all = [Applied; 3];
    let mut rows = vec![
        Row {
            base: &[],
            setting: &["train.gradient_penalty=1.0"],
            expect: [Applied, Applied, UNROLLED_REFUSES_GP],
        },
        Row {
            base: &["loss.kind=wasserstein"],
            setting: &["train.weight_clip=0.05"],
            expect: [Applied, Applied, UNROLLED_REFUSES_CLIP],
        },
        Row {
            base: &[],
            setting: &["train.feature_matching=true"],
            expect: all,
        },
        Row {
            base: &[],
            setting: &["train.historical_averaging=0.5"],
            expect: [Applied, Applied, UNROLLED_REFUSES_HA],
        },
        Row {
            base: &[],
            setting: &["train.ema=0.5"],
            expect: all,
        },
        Row {
            base: &[],
            setting: &["train.d_steps=2"],
            expect: [
                Applied,
                Refused(&["train.d_steps", "simultaneous"]),
                Refused(&["train.d_steps", "unrolled"]),
            ],
        },
        Row {
            base: &[],
            setting: &["train.lr_decay=linear"],
            expect: all,
        },
        Row {
            base: &[],
            setting: &["train.unrolled_steps=2"],
            expect: [
                Refused(&["train.unrolled_steps", "train.schedule"]),
                Refused(&["train.unrolled_steps", "train.schedule"]),
                Applied,
            ],
        },
        Row {
            base: &[],
            setting: &["discriminator.dropout=0.3"],
            expect: all,
        },
        Row {
            base: &[],
            setting: &["discriminator.minibatch_std=true"],
            expect: all,
        },
        Row {
            base: &[],
            setting: &["discriminator.input_noise=0.1"],
            expect: all,
        },
        Row {
            base: &[],
            setting: &["optim.discriminator.weight_decay=0.1"],
            expect: all,
        },
        Row {
            base: &[],
            setting: &["optim.generator.beta2=0.9"],
            expect: all,
        },
        Row {
            base: &["optim.generator.kind=sgd", "optim.generator.lr=0.01"],
            setting: &["optim.generator.momentum=0.5"],
            expect: all,
        },
        Row {
            base: &["optim.discriminator.kind=rmsprop"],
            setting: &["optim.discriminator.alpha=0.9"],
            expect: all,
        },
        // Options of another rule than the configured one.
        Row {
            base: &[],
            setting: &["optim.generator.momentum=0.5"],
            expect: [Refused(&["optim.generator.momentum", "adam"]); 3],
        },
        Row {
            base: &["optim.discriminator.kind=sgd"],
            setting: &["optim.discriminator.beta1=0.9"],
            expect: [Refused(&["optim.discriminator.beta1", "sgd"]); 3],
        },
        Row {
            base: &[],
            setting: &["optim.generator.eps=inf"],
            expect: [Refused(&["optim.generator.eps"]); 3],
        },
        // Loss options: applied where they act, refused elsewhere.
        Row {
            base: &[],
            setting: &["loss.real_target=0.9"],
            expect: all,
        },
        Row {
            base: &[],
            setting: &["loss.flip_prob=0.3"],
            expect: all,
        },
        Row {
            base: &[],
            setting: &["loss.margin=2.0"],
            expect: [Refused(&["loss.margin", "loss.kind"]); 3],
        },
        Row {
            base: &[],
            setting: &["loss.kind=energy_margin"],
            expect: [Refused(&["loss.kind", "discriminator.kind"]); 3],
        },
    ];
    for kind in [
        "minimax",
        "max_likelihood",
        "least_squares",
        "hinge",
        "wasserstein",
        "relativistic_average",
    ] {
        let set: &'static str = Box::leak(format!("loss.kind={kind}").into_boxed_str());
        let base: &'static [&'static str] = Box::leak(vec![set].into_boxed_slice());
        rows.push(Row {
            base: &[],
            setting: base,
            expect: all,
        });
        if kind != "minimax" && kind != "max_likelihood" {
            for option in [
                "loss.real_target=0.9",
                "loss.flip_prob=0.3",
                "loss.margin=2.0",
            ] {
                let key = option.split('=').next().unwrap();
                let keys: &'static [&'static str] =
                    Box::leak(vec![key, "loss.kind"].into_boxed_slice());
                let setting: &'static [&'static str] = Box::leak(vec![option].into_boxed_slice());
                rows.push(Row {
                    base,
                    setting,
                    expect: [Refused(keys); 3],
                });
            }
        }
    }
    rows
}

/// G's and D's weights after training, then 16 samples: what "the update" is compared on.
fn fingerprint(t: &Trainer) -> Tensor {
    let mut parts: Vec<Tensor> = Vec::new();
    for vs in [t.generator_vars(), t.discriminator_vars()] {
        let mut vars: Vec<_> = vs.variables().into_iter().collect();
        vars.sort_by(|a, b| a.0.cmp(&b.0));
        parts.extend(
            vars.into_iter()
                .map(|(_, v)| v.detach().flatten(0, -1).to_kind(Kind::Double)),
        );
    }
    tch::manual_seed(99);
    parts.push(t.sample(16).unwrap().flatten(0, -1).to_kind(Kind::Double));
    Tensor::cat(&parts, 0)
}

/// Train `steps` steps of `text` with `overrides`; `Err` is the load-time message.
fn train(text: &str, overrides: &[&str], steps: usize) -> Result<Tensor, String> {
    let o: Vec<String> = overrides.iter().map(|s| s.to_string()).collect();
    let config = ExperimentConfig::from_toml_str(text, &o).map_err(|e| e.to_string())?;
    let mut t = Trainer::new(config, Device::Cpu).map_err(|e| e.to_string())?;
    for _ in 0..steps {
        let s = t
            .train_step()
            .unwrap_or_else(|e| panic!("{overrides:?}: {e}"));
        assert!(s.d_loss.is_finite(), "{overrides:?}: {s:?}");
    }
    Ok(fingerprint(&t))
}

/// Check one row; returns a failure description, if any.
fn check(
    text: &str,
    schedule: &str,
    base: &[&str],
    setting: &[&str],
    expect: Expect,
) -> Option<String> {
    let sched = format!("train.schedule={schedule}");
    let mut without: Vec<&str> = vec![&sched];
    without.extend_from_slice(base);
    let mut with = without.clone();
    with.extend_from_slice(setting);
    match (expect, train(text, &with, 3)) {
        (Applied, Ok(a)) => {
            let b = train(text, &without, 3).expect("the base config loads");
            // A setting that changes the network (e.g. minibatch-std) changes the shapes.
            let diff = if a.size() == b.size() {
                (&a - &b).abs().max().double_value(&[])
            } else {
                f64::INFINITY
            };
            (diff == 0.0).then(|| format!("{schedule} {setting:?}: accepted but has no effect"))
        }
        (Applied, Err(e)) => Some(format!("{schedule} {setting:?}: refused: {e}")),
        (Refused(keys), Err(e)) => keys
            .iter()
            .find(|k| !e.contains(*k))
            .map(|k| format!("{schedule} {setting:?}: message lacks `{k}`: {e}")),
        (Refused(_), Ok(_)) => Some(format!(
            "{schedule} {setting:?}: accepted, expected refusal"
        )),
    }
}

#[test]
fn every_toy_setting_is_applied_or_refused_in_every_schedule() {
    let _rng = torch_lock();
    let mut failures = Vec::new();
    let mut applied = 0;
    let rows = toy_rows();
    for row in &rows {
        for (schedule, expect) in SCHEDULES.iter().zip(row.expect) {
            if let Some(f) = check(TOY, schedule, row.base, row.setting, expect) {
                failures.push(f);
            } else if matches!(expect, Applied) {
                applied += 1;
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} failures:\n{}",
        failures.len(),
        failures.join("\n")
    );
    assert!(applied > 40, "only {applied} applied combinations checked");
}

#[test]
fn every_family_member_trains_and_its_weight_acts_in_every_schedule() {
    let _rng = torch_lock();
    let data = tempfile::TempDir::new().unwrap();
    write_mnist_fixture(data.path(), 60);
    let text = family_toml(data.path());
    let members: [(&[&str], &[&str]); 5] = [
        (&["variant.kind=acgan"], &["variant.class_weight=3.0"]),
        (&["variant.kind=infogan"], &["variant.info_weight=3.0"]),
        (
            &["variant.kind=conditional"],
            &["train.feature_matching=true"],
        ),
        (
            &["variant.kind=semi_supervised", "variant.labels=20"],
            &["variant.unsupervised_weight=0.5"],
        ),
        (
            &[
                "variant.kind=semi_supervised",
                "variant.labels=20",
                "train.feature_matching=true",
            ],
            &["variant.labeled_batch_size=5"],
        ),
    ];
    let mut failures = Vec::new();
    for (base, setting) in members {
        for schedule in SCHEDULES {
            let expect = if schedule == "unrolled" {
                Refused(&["variant.kind", "unrolled"])
            } else {
                Applied
            };
            if let Some(f) = check(&text, schedule, base, setting, expect) {
                failures.push(f);
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} failures:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

#[test]
fn dcgan_only_settings_are_refused_where_they_do_nothing() {
    let text = TOY.replace(
        "[generator]\n    kind = \"mlp\"\n    latent_dim = 2\n    hidden = [16]",
        "[generator]\n    kind = \"dcgan\"",
    );
    let o = vec!["generator.vbn_reference_size=16".to_string()];
    let e = ExperimentConfig::from_toml_str(&text, &o)
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("generator.vbn_reference_size") && e.contains("norm = \"virtual\""),
        "{e}"
    );
}
