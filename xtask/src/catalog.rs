//! What each dataset consists of: file names, mirrors and the published checksums.
//!
//! The file checksums are copied from a named public source (see the comments); the
//! decompressed-content checksums of Fashion-MNIST were computed from Debian's files after
//! checking that those hold the published originals (see the comment on `FASHION_FILES`).

use anyhow::{bail, Result};

use crate::checksum::Check;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dataset {
    FashionMnist,
    Mnist,
    Cifar10,
}

impl Dataset {
    pub const ALL: [Dataset; 3] = [Dataset::FashionMnist, Dataset::Mnist, Dataset::Cifar10];

    /// The directory name under the data root, also the name on the command line.
    pub fn name(self) -> &'static str {
        match self {
            Dataset::FashionMnist => "fashion-mnist",
            Dataset::Mnist => "mnist",
            Dataset::Cifar10 => "cifar10",
        }
    }

    /// Parses command-line names (`all` expands to every dataset), without duplicates.
    pub fn parse_list(names: &[String]) -> Result<Vec<Dataset>> {
        let mut out = Vec::new();
        for name in names {
            let found: Vec<Dataset> = match name.as_str() {
                "all" => Dataset::ALL.to_vec(),
                other => match Dataset::ALL.iter().find(|d| d.name() == other) {
                    Some(d) => vec![*d],
                    None => bail!(
                        "unknown dataset {other:?}; expected one of fashion-mnist, mnist, cifar10, all"
                    ),
                },
            };
            for d in found {
                if !out.contains(&d) {
                    out.push(d);
                }
            }
        }
        Ok(out)
    }
}

/// One file with its accepted checksums.
#[derive(Debug, Clone, Copy)]
pub struct FileSpec {
    pub name: &'static str,
    pub checks: &'static [Check],
}

// Fashion-MNIST, original files: SHA-256 from tensorflow/datasets
// `tensorflow_datasets/url_checksums/fashion_mnist.txt` (sizes 26421880, 29515, 4422102, 5148).
// Debian's `dataset-fashion-mnist` ships the same deflate streams under a rewritten gzip header
// (no FNAME field, new mtime), so its .gz bytes differ; for those the SHA-256 of the
// decompressed IDX content is pinned, computed from Debian's files. Cross-checked when this was
// written: putting the original header back (FNAME, mtime 1504176606/1504176627, OS 3) onto
// Debian's streams reproduces files whose MD5s are the ones Fashion-MNIST's README publishes
// and whose SHA-256s are the tensorflow/datasets values below — so the content is the original.
pub const FASHION_FILES: [FileSpec; 4] = [
    FileSpec {
        name: "train-images-idx3-ubyte.gz",
        checks: &[
            Check::Sha256("3aede38d61863908ad78613f6a32ed271626dd12800ba2636569512369268a84"),
            Check::GzContentSha256(
                "c59f468a2f672dc815687fe0f83887768d799fd8a3f3276145d20f83aa44d888",
            ),
        ],
    },
    FileSpec {
        name: "train-labels-idx1-ubyte.gz",
        checks: &[
            Check::Sha256("a04f17134ac03560a47e3764e11b92fc97de4d1bfaf8ba1a3aa29af54cc90845"),
            Check::GzContentSha256(
                "bad3541b69d912435c50bb6ba87bec294ff4f6a2e1246121d8633921760443d9",
            ),
        ],
    },
    FileSpec {
        name: "t10k-images-idx3-ubyte.gz",
        checks: &[
            Check::Sha256("346e55b948d973a97e58d2351dde16a484bd415d4595297633bb08f03db6a073"),
            Check::GzContentSha256(
                "5b4141f0afbad91edebe8549f8fcffe087ea10ca49f1dbef5c9a5cd8815ce37b",
            ),
        ],
    },
    FileSpec {
        name: "t10k-labels-idx1-ubyte.gz",
        checks: &[
            Check::Sha256("67da17c76eaffca5446c3361aaab5c3cd6d1c2608764d35dfb1850b086bf8dd5"),
            Check::GzContentSha256(
                "0402a96d92fd2663957122ceb108a494c5af83dab82d92729df917d7dec38c34",
            ),
        ],
    },
];
pub const FASHION_MIRRORS: &[&str] =
    &["http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/"];
/// Where Debian's `dataset-fashion-mnist` puts the files (also looked up with `dpkg -L`).
pub const FASHION_DEBIAN_DIR: &str = "/usr/share/datasets/fashion-mnist";
pub const FASHION_DEBIAN_PACKAGE: &str = "dataset-fashion-mnist";

// MNIST: SHA-256 from tensorflow/datasets `tensorflow_datasets/url_checksums/mnist.txt`
// (computed on the CVDF mirror's copies of LeCun's files; sizes 9912422, 28881, 1648877, 4542).
pub const MNIST_FILES: [FileSpec; 4] = [
    FileSpec {
        name: "train-images-idx3-ubyte.gz",
        checks: &[Check::Sha256(
            "440fcabf73cc546fa21475e81ea370265605f56be210a4024d2ca8f203523609",
        )],
    },
    FileSpec {
        name: "train-labels-idx1-ubyte.gz",
        checks: &[Check::Sha256(
            "3552534a0a558bbed6aed32b30c495cca23d567ec52cac8be1a0730e8010255c",
        )],
    },
    FileSpec {
        name: "t10k-images-idx3-ubyte.gz",
        checks: &[Check::Sha256(
            "8d422c7b0a1c1c79245a5bcf07fe86e33eeafee792b84584aec276f5a2dbc4e6",
        )],
    },
    FileSpec {
        name: "t10k-labels-idx1-ubyte.gz",
        checks: &[Check::Sha256(
            "f7ae60f92e00ec6debd23a6088c31dbd2371eca3ffa0defaefb259924204aec6",
        )],
    },
];
/// torchvision's mirror first, then the CVDF copy the checksums came from, then LeCun's site.
pub const MNIST_MIRRORS: &[&str] = &[
    "https://ossci-datasets.s3.amazonaws.com/mnist/",
    "https://storage.googleapis.com/cvdf-datasets/mnist/",
    "http://yann.lecun.com/exdb/mnist/",
];

// CIFAR-10 binary version: SHA-256 from tensorflow/datasets
// `tensorflow_datasets/url_checksums/cifar10.txt` (170052171 bytes).
pub const CIFAR_ARCHIVE: FileSpec = FileSpec {
    name: "cifar-10-binary.tar.gz",
    checks: &[Check::Sha256(
        "c4a38c50a1bc5f3a1c5537f2155ab9d68f9f25eb1ed8d9ddda3db29a59bca1dd",
    )],
};
pub const CIFAR_MIRRORS: &[&str] = &["https://www.cs.toronto.edu/~kriz/"];
pub const CIFAR_BATCH_DIR: &str = "cifar-10-batches-bin";
pub const CIFAR_BATCHES: [&str; 6] = [
    "data_batch_1.bin",
    "data_batch_2.bin",
    "data_batch_3.bin",
    "data_batch_4.bin",
    "data_batch_5.bin",
    "test_batch.bin",
];
/// 10,000 records of 1 label byte + 3×32×32 pixels per batch file.
pub const CIFAR_BATCH_BYTES: u64 = 10_000 * (1 + 3072);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_dataset_names() {
        let names = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        assert_eq!(
            Dataset::parse_list(&names(&["mnist"])).unwrap(),
            vec![Dataset::Mnist]
        );
        assert_eq!(
            Dataset::parse_list(&names(&["cifar10", "all"])).unwrap(),
            vec![Dataset::Cifar10, Dataset::FashionMnist, Dataset::Mnist]
        );
        assert!(Dataset::parse_list(&names(&["imagenet"])).is_err());
    }

    #[test]
    fn checksums_are_sha256_hex() {
        let all = FASHION_FILES
            .iter()
            .chain(&MNIST_FILES)
            .chain([&CIFAR_ARCHIVE]);
        for spec in all {
            for check in spec.checks {
                let (Check::Sha256(hex) | Check::GzContentSha256(hex)) = check;
                assert!(
                    hex.len() == 64 && hex.chars().all(|c| matches!(c, '0'..='9' | 'a'..='f')),
                    "{}",
                    spec.name
                );
            }
        }
    }
}
